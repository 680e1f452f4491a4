//! The x86-64 path: LPS on the whole 512-bit state in one zmm register (qword lane = word), with
//! the S-box from VPERMI2B and L∘P from GF2P8MULB.
//!
//! # How L∘P is computed
//!
//! `l` is an 8×8 matrix `c` over GF(2⁸) (see `field.rs`), so once every byte is mapped into the
//! AES field, output byte `b` of a word is `⊕_j c[b][j] · (input byte j)`: a sum of eight
//! products by per-byte constants, which is what GF2P8MULB does on 64 bytes at once. Walking the
//! matrix by diagonals, term `t` pairs output byte `b` with input byte `(b + t) mod 8`, so each
//! term is one data movement and one GF2P8MULB, and the eight terms are XORed.
//!
//! Where the input bytes sit decides the data movement, and P decides where they sit:
//!
//! * state *natural* (lane `w` = word `w`): P∘S wants byte `i` of word `j` as byte `j` of word
//!   `i`, so the sum runs across lanes: term `t` rotates the lanes by `t` (VALIGNQ) and the
//!   result comes out *transposed* (lane `b` holds byte `b` of every word);
//! * state transposed: after S, lane `i` already holds word `i` of P's output, so the sum runs
//!   within lanes: term `t` rotates each lane by `t` bytes (VPRORQ) and the result comes out
//!   natural.
//!
//! So consecutive LPS alternate between the two forms and no LPS pays for a transpose. The key
//! and the message chain flip together, so whatever is XORed into an LPS is in its layout; only
//! the message, `N` and `h`, off the dependency chain, are transposed (VPERMB) as a block needs
//! them, and each block leaves `h` in the other layout than it found it.
//!
//! # Performance
//!
//! An LPS is about 23 zmm operations (4 for S, 7 rotations, 8 products, 4 three-way XORs), and
//! a block is 25 LPS in two dependent chains (keys and message), 13 deep. On Zen 4, which splits
//! every zmm operation in two, that measured about twice the scalar tables' speed. The obvious
//! scheme — one GF2P8AFFINEQB per (output byte, input word) matrix of L, each fed by a VPERMB
//! that gathers the word into every lane — measured the same there; this one was kept because
//! it has no lane-crossing byte shuffle inside LPS, the resource that runs out first on cores
//! with a single shuffle port.

use core::arch::x86_64::*;
use core::sync::atomic::{AtomicU8, Ordering};

use crate::State;
use crate::field::{C_AES, L_COEFF_AES, PHI_INV, PHI_TABLE, SBOX_AES, affine_of};

/// Proof that this CPU has AVX-512F/BW/VBMI and GFNI. It has a private field and only
/// [`Token::detect`] makes one, so holding one is what makes [`Token::run`] sound.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token(());

impl Token {
    /// Runs CPUID once per process; later calls read the cached answer.
    pub(crate) fn detect() -> Option<Token> {
        const UNKNOWN: u8 = 0;
        const ABSENT: u8 = 1;
        const PRESENT: u8 = 2;
        static CACHE: AtomicU8 = AtomicU8::new(UNKNOWN);
        let known = match CACHE.load(Ordering::Relaxed) {
            UNKNOWN => {
                let present = std::is_x86_feature_detected!("avx512f")
                    && std::is_x86_feature_detected!("avx512bw")
                    && std::is_x86_feature_detected!("avx512vbmi")
                    && std::is_x86_feature_detected!("gfni");
                let known = if present { PRESENT } else { ABSENT };
                CACHE.store(known, Ordering::Relaxed);
                known
            }
            known => known,
        };
        (known == PRESENT).then_some(Token(()))
    }

    /// The crate's only way into code compiled for AVX-512, and its only unsafe operation.
    #[allow(unsafe_code)]
    #[inline]
    pub(crate) fn run(
        self,
        state: &mut State,
        blocks: &[[u8; 64]],
        last: Option<(&[u8; 64], usize)>,
    ) {
        // SAFETY: `run` is safe apart from needing the CPU features it was compiled for, and
        // a `Token` exists only after `detect` saw avx512f, avx512bw, avx512vbmi and gfni on
        // this CPU at run time.
        unsafe { run(state, blocks, last) }
    }
}

/// VPERMB indices that transpose the 8×8 byte matrix of a state (the transpose is its own
/// inverse): byte `8l + b` takes byte `8b + l`.
const TRANSPOSE: [u64; 8] = {
    let mut out = [0u64; 8];
    let mut l = 0;
    while l < 8 {
        let mut b = 0;
        while b < 8 {
            out[l] |= ((8 * b + l) as u64) << (8 * b);
            b += 1;
        }
        l += 1;
    }
    out
};

/// The conjugated S-box in four 64-byte quarters, for two VPERMI2B of 128 entries each.
const SBOX: [[u64; 8]; 4] = {
    let mut out = [[0u64; 8]; 4];
    let mut i = 0;
    while i < 256 {
        out[i / 64][i % 64 / 8] |= (SBOX_AES[i] as u64) << (8 * (i % 8));
        i += 1;
    }
    out
};

/// Multipliers of term `t` for a natural input: lane `b` (output byte `b`) multiplies input
/// word `(b + t) mod 8`, every byte of the lane by `c[b][(b + t) mod 8]`.
pub(crate) const MUL_NATURAL: [[u64; 8]; 8] = {
    let mut out = [[0u64; 8]; 8];
    let mut t = 0;
    while t < 8 {
        let mut b = 0;
        while b < 8 {
            out[t][b] = L_COEFF_AES[b][(b + t) % 8] as u64 * 0x0101_0101_0101_0101;
            b += 1;
        }
        t += 1;
    }
    out
};

/// Multipliers of term `t` for a transposed input: byte `b` of every lane multiplies byte
/// `(b + t) mod 8` of that lane by `c[b][(b + t) mod 8]`.
pub(crate) const MUL_TRANSPOSED: [[u64; 8]; 8] = {
    let mut out = [[0u64; 8]; 8];
    let mut t = 0;
    while t < 8 {
        let mut word = 0u64;
        let mut b = 0;
        while b < 8 {
            word |= (L_COEFF_AES[b][(b + t) % 8] as u64) << (8 * b);
            b += 1;
        }
        out[t] = [word; 8];
        t += 1;
    }
    out
};

/// The transpose of 8 little-endian words seen as an 8×8 byte matrix.
const fn transpose(w: [u64; 8]) -> [u64; 8] {
    let mut out = [0u64; 8];
    let mut i = 0;
    while i < 8 {
        let mut j = 0;
        while j < 8 {
            out[i] |= (w[j] >> (8 * i) & 0xff) << (8 * j);
            j += 1;
        }
        i += 1;
    }
    out
}

/// The round constants in the AES field, natural and transposed.
const C_NATURAL: [[u64; 8]; 12] = C_AES;
const C_TRANSPOSED: [[u64; 8]; 12] = {
    let mut out = [[0u64; 8]; 12];
    let mut i = 0;
    while i < 12 {
        out[i] = transpose(C_AES[i]);
        i += 1;
    }
    out
};

const TO_AES: u64 = affine_of(&PHI_TABLE);
const FROM_AES: u64 = affine_of(&PHI_INV);

// Every function below is compiled for these features (`#[target_feature]`), and the small
// ones are `#[inline]` into `run`, so the constants stay in registers across all rounds.

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn vector(w: &[u64; 8]) -> __m512i {
    _mm512_set_epi64(
        w[7] as i64,
        w[6] as i64,
        w[5] as i64,
        w[4] as i64,
        w[3] as i64,
        w[2] as i64,
        w[1] as i64,
        w[0] as i64,
    )
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn words(v: __m512i) -> [u64; 8] {
    let lo = _mm512_castsi512_si256(v);
    let hi = _mm512_extracti64x4_epi64::<1>(v);
    [
        _mm256_extract_epi64::<0>(lo) as u64,
        _mm256_extract_epi64::<1>(lo) as u64,
        _mm256_extract_epi64::<2>(lo) as u64,
        _mm256_extract_epi64::<3>(lo) as u64,
        _mm256_extract_epi64::<0>(hi) as u64,
        _mm256_extract_epi64::<1>(hi) as u64,
        _mm256_extract_epi64::<2>(hi) as u64,
        _mm256_extract_epi64::<3>(hi) as u64,
    ]
}

struct Consts {
    sbox: [__m512i; 4],
    mul_natural: [__m512i; 8],
    mul_transposed: [__m512i; 8],
    transpose: __m512i,
    to_aes: __m512i,
    from_aes: __m512i,
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn consts() -> Consts {
    macro_rules! vectors {
        ($table:ident; $($i:literal)*) => { [$(vector(&$table[$i])),*] };
    }
    Consts {
        sbox: vectors!(SBOX; 0 1 2 3),
        mul_natural: vectors!(MUL_NATURAL; 0 1 2 3 4 5 6 7),
        mul_transposed: vectors!(MUL_TRANSPOSED; 0 1 2 3 4 5 6 7),
        transpose: vector(&TRANSPOSE),
        to_aes: _mm512_set1_epi64(TO_AES as i64),
        from_aes: _mm512_set1_epi64(FROM_AES as i64),
    }
}

/// S, bytewise in the AES field.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn sbox(k: &Consts, x: __m512i) -> __m512i {
    // VPERMI2B indexes 128 entries by the low 7 bits; the top bit picks the half.
    let lo = _mm512_permutex2var_epi8(k.sbox[0], x, k.sbox[1]);
    let hi = _mm512_permutex2var_epi8(k.sbox[2], x, k.sbox[3]);
    _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi)
}

/// LPS(x) ⊕ extra for a natural `x`; the result is transposed.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn lps_natural(k: &Consts, x: __m512i, extra: __m512i) -> __m512i {
    let y = sbox(k, x);
    let m = &k.mul_natural;
    macro_rules! term {
        ($t:literal) => {
            _mm512_gf2p8mul_epi8(_mm512_alignr_epi64::<$t>(y, y), m[$t])
        };
    }
    // Folded in issue order (0x96 is the three-way XOR), so a single fold follows the last
    // product, and `extra` rides on that fold instead of costing an XOR of its own.
    let acc = _mm512_ternarylogic_epi64::<0x96>(_mm512_gf2p8mul_epi8(y, m[0]), term!(1), term!(2));
    let acc = _mm512_ternarylogic_epi64::<0x96>(acc, term!(3), term!(4));
    let acc = _mm512_ternarylogic_epi64::<0x96>(acc, term!(5), term!(6));
    _mm512_ternarylogic_epi64::<0x96>(acc, term!(7), extra)
}

/// LPS(x) ⊕ extra for a transposed `x`; the result is natural.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn lps_transposed(k: &Consts, x: __m512i, extra: __m512i) -> __m512i {
    let y = sbox(k, x);
    let m = &k.mul_transposed;
    macro_rules! term {
        ($t:literal) => {
            _mm512_gf2p8mul_epi8(_mm512_ror_epi64::<{ 8 * $t }>(y), m[$t])
        };
    }
    // Folded in issue order (0x96 is the three-way XOR), so a single fold follows the last
    // product, and `extra` rides on that fold instead of costing an XOR of its own.
    let acc = _mm512_ternarylogic_epi64::<0x96>(_mm512_gf2p8mul_epi8(y, m[0]), term!(1), term!(2));
    let acc = _mm512_ternarylogic_epi64::<0x96>(acc, term!(3), term!(4));
    let acc = _mm512_ternarylogic_epi64::<0x96>(acc, term!(5), term!(6));
    _mm512_ternarylogic_epi64::<0x96>(acc, term!(7), extra)
}

/// `g_N(h, m) = E(LPS(h ⊕ N), m) ⊕ h ⊕ m`, for `h` and `N` in layout A (`$first`), the
/// message in layout B; returns the new `h` in layout B. `$first`/`$second` are the LPS forms
/// taking A and B operands, `$c_a`/`$c_b` the round constants in those layouts.
macro_rules! compress {
    ($name:ident, $first:ident, $second:ident, $c_a:ident, $c_b:ident) => {
        #[inline]
        #[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
        fn $name(k: &Consts, h: __m512i, n: __m512i, m: __m512i, h_b: __m512i) -> __m512i {
            let zero = _mm512_setzero_si512();
            // `v` is K_i ⊕ C_i, the input of the LPS that makes K_{i+1}: C_i rides on the
            // last fold of the LPS that makes K_i, keeping an XOR off the key chain. The
            // message side recovers K_i in the ternary XOR that forms its own input.
            // K1 and m are in layout B; K_i alternates, and s_{i-1} is in K_i's layout.
            let xor3 = |a, b, c| _mm512_ternarylogic_epi64::<0x96>(a, b, c);
            // Two rounds per iteration, so that each line names its layout statically.
            let mut v = $first(k, _mm512_xor_si512(h, n), vector(&$c_b[0]));
            let mut s = $second(k, xor3(m, v, vector(&$c_b[0])), zero);
            let mut i = 0;
            while i < 10 {
                v = $second(k, v, vector(&$c_a[i + 1]));
                s = $first(k, xor3(s, v, vector(&$c_a[i + 1])), zero);
                v = $first(k, v, vector(&$c_b[i + 2]));
                s = $second(k, xor3(s, v, vector(&$c_b[i + 2])), zero);
                i += 2;
            }
            v = $second(k, v, vector(&$c_a[11]));
            s = $first(k, xor3(s, v, vector(&$c_a[11])), zero);
            let key = $first(k, v, zero);
            // s12 and K13 are in layout B.
            _mm512_ternarylogic_epi64::<0x96>(_mm512_xor_si512(s, key), h_b, m)
        }
    };
}

compress!(
    compress_natural,
    lps_natural,
    lps_transposed,
    C_NATURAL,
    C_TRANSPOSED
);
compress!(
    compress_transposed,
    lps_transposed,
    lps_natural,
    C_TRANSPOSED,
    C_NATURAL
);

/// `h` in the AES field, in whichever layout the last block left it (each block flips it).
struct Chain {
    h: __m512i,
    transposed: bool,
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn to_aes(k: &Consts, w: &[u64; 8]) -> __m512i {
    _mm512_gf2p8affine_epi64_epi8::<0>(vector(w), k.to_aes)
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn transposed(k: &Consts, v: __m512i) -> __m512i {
    _mm512_permutexvar_epi8(k.transpose, v)
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn compress(k: &Consts, chain: &mut Chain, n: __m512i, m: __m512i) {
    // `h` is needed in the other layout only at the end, so flipping it is off the chain.
    let h_flipped = transposed(k, chain.h);
    chain.h = if chain.transposed {
        compress_transposed(k, chain.h, transposed(k, n), m, h_flipped)
    } else {
        compress_natural(k, chain.h, n, transposed(k, m), h_flipped)
    };
    chain.transposed = !chain.transposed;
}

#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,gfni")]
fn run(state: &mut State, blocks: &[[u8; 64]], last: Option<(&[u8; 64], usize)>) {
    let k = consts();
    let mut chain = Chain {
        h: to_aes(&k, &state.h),
        transposed: false,
    };
    for block in blocks {
        let m = crate::words(block);
        compress(&k, &mut chain, to_aes(&k, &state.n), to_aes(&k, &m));
        crate::add_bits(&mut state.n, 512);
        crate::add_512(&mut state.sigma, &m);
    }
    if let Some((block, len)) = last {
        let m = crate::words(block);
        compress(&k, &mut chain, to_aes(&k, &state.n), to_aes(&k, &m));
        crate::add_bits(&mut state.n, 8 * len as u64);
        crate::add_512(&mut state.sigma, &m);
        let zero = _mm512_setzero_si512();
        compress(&k, &mut chain, zero, to_aes(&k, &state.n));
        compress(&k, &mut chain, zero, to_aes(&k, &state.sigma));
    }
    let h = if chain.transposed {
        transposed(&k, chain.h)
    } else {
        chain.h
    };
    state.h = words(_mm512_gf2p8affine_epi64_epi8::<0>(h, k.from_aes));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::reference::{lps, states, to_bytes};
    use crate::field::{POLY_AES, mul, phi};

    fn phi_bytes(a: &[u8; 64]) -> [u8; 64] {
        a.map(phi)
    }

    /// Both LPS forms emulated byte by byte with the instructions' documented semantics, against
    /// the RFC's LPS: this checks the scheme (layouts, diagonals, field change) on any CPU. The
    /// instructions themselves are checked on this CPU by the differential tests in `tests/`,
    /// which need no unsafe code of their own.
    #[test]
    fn emulated_scheme_is_lps() {
        let t_bytes = to_bytes(&TRANSPOSE);
        let transpose_bytes =
            |a: &[u8; 64]| -> [u8; 64] { core::array::from_fn(|i| a[t_bytes[i] as usize]) };
        let sbox: [u8; 256] = core::array::from_fn(|i| to_bytes(&SBOX[i / 64])[i % 64]);
        assert_eq!(sbox, SBOX_AES);
        for a in states() {
            let want = phi_bytes(&lps(&a));
            let y: [u8; 64] = phi_bytes(&a).map(|v| sbox[v as usize]);

            // Natural input: VALIGNQ by t lanes, GF2P8MULB by MUL_NATURAL[t]; transposed out.
            let mut acc = [0u8; 64];
            for t in 0..8 {
                let mul_t = to_bytes(&MUL_NATURAL[t]);
                for (i, out) in acc.iter_mut().enumerate() {
                    let (lane, byte) = (i / 8, i % 8);
                    let rotated = y[8 * ((lane + t) % 8) + byte];
                    *out ^= mul(rotated, mul_t[i], POLY_AES);
                }
            }
            assert_eq!(transpose_bytes(&acc), want, "natural form, state {a:02x?}");

            // Transposed input: VPRORQ by 8t bits, GF2P8MULB by MUL_TRANSPOSED[t]; natural out.
            let yt = transpose_bytes(&y);
            let mut acc = [0u8; 64];
            for t in 0..8 {
                let mul_t = to_bytes(&MUL_TRANSPOSED[t]);
                for (i, out) in acc.iter_mut().enumerate() {
                    let (lane, byte) = (i / 8, i % 8);
                    let rotated = yt[8 * lane + (byte + t) % 8];
                    *out ^= mul(rotated, mul_t[i], POLY_AES);
                }
            }
            assert_eq!(acc, want, "transposed form, state {a:02x?}");
        }
    }
}
