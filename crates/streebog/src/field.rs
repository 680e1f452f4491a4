//! L as a matrix over GF(2⁸), and the change of field that lets GF2P8MULB compute it.
//!
//! The rows of A come in groups of eight in which each row is the previous one with every byte
//! multiplied by x⁻¹ in GF(2)[x]/(x⁸+x⁴+x³+x²+1) (polynomial 0x11d). So `l` is GF(2⁸)-linear on
//! bytes: output byte `b` of `l(w)` is `⊕_j c[b][j] · w_j`, an 8×8 matrix over that field
//! (Kazymyrov & Kazymyrova, "Algebraic aspects of the Russian hash standard GOST R 34.11-2012",
//! 2013). GF2P8MULB multiplies bytes by per-byte constants, but in the AES field (polynomial
//! 0x11b). The two fields are isomorphic through the GF(2)-linear `φ(v) = Σ v_s·ρ^s`, ρ a root of
//! 0x11d in the AES field; the SIMD path runs the whole compression function on `φ` of every
//! byte, with the S-box, the round constants and `c` mapped through `φ` at compile time.
//! Everything here is derived from [`crate::consts`]; the tests check the claims above.

use crate::consts::{C, PI, l};

/// The field `l`'s matrix lives in.
const POLY_L: u16 = 0x11d;
/// The field GF2P8MULB multiplies in.
pub(crate) const POLY_AES: u16 = 0x11b;

/// Multiplication in GF(2)[x]/(poly).
pub(crate) const fn mul(a: u8, b: u8, poly: u16) -> u8 {
    let (mut a, mut b, mut r) = (a as u16, b, 0u16);
    while b != 0 {
        if b & 1 == 1 {
            r ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0x100 != 0 {
            a ^= poly;
        }
    }
    r as u8
}

/// The least root of 0x11d in the AES field (any of the eight would do).
const RHO: u8 = {
    let mut r = 2u8;
    loop {
        // Evaluate x⁸ + x⁴ + x³ + x² + 1 at r.
        let mut acc = 0u8;
        let mut power = 1u8;
        let mut e = 0;
        while e <= 8 {
            if POLY_L >> e & 1 == 1 {
                acc ^= power;
            }
            power = mul(power, r, POLY_AES);
            e += 1;
        }
        if acc == 0 {
            break r;
        }
        r += 1;
    }
};

/// φ: the field isomorphism from 0x11d to 0x11b, bit `s` going to ρ^s.
pub(crate) const fn phi(v: u8) -> u8 {
    let mut out = 0u8;
    let mut power = 1u8;
    let mut s = 0;
    while s < 8 {
        if v >> s & 1 == 1 {
            out ^= power;
        }
        power = mul(power, RHO, POLY_AES);
        s += 1;
    }
    out
}

/// φ⁻¹ as a table.
pub(crate) const PHI_INV: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut v = 0;
    while v < 256 {
        t[phi(v as u8) as usize] = v as u8;
        v += 1;
    }
    t
};

/// `c[b][j]`: the coefficient of input byte `j` in output byte `b` of `l`, in field 0x11d.
/// It is byte `b` of `l` of the word whose byte `j` is 1.
pub(crate) const L_COEFF: [[u8; 8]; 8] = {
    let mut c = [[0u8; 8]; 8];
    let mut j = 0;
    while j < 8 {
        let column = l(1u64 << (8 * j));
        let mut b = 0;
        while b < 8 {
            c[b][j] = (column >> (8 * b)) as u8;
            b += 1;
        }
        j += 1;
    }
    c
};

/// `c` through φ: the constants GF2P8MULB multiplies by.
pub(crate) const L_COEFF_AES: [[u8; 8]; 8] = {
    let mut c = [[0u8; 8]; 8];
    let mut b = 0;
    while b < 8 {
        let mut j = 0;
        while j < 8 {
            c[b][j] = phi(L_COEFF[b][j]);
            j += 1;
        }
        b += 1;
    }
    c
};

/// The S-box conjugated by φ: `φ(π(φ⁻¹(v)))`.
pub(crate) const SBOX_AES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut v = 0;
    while v < 256 {
        t[v] = phi(PI[PHI_INV[v] as usize]);
        v += 1;
    }
    t
};

/// φ on every byte of a word.
pub(crate) const fn phi_word(w: u64) -> u64 {
    let mut out = 0u64;
    let mut b = 0;
    while b < 8 {
        out |= (phi((w >> (8 * b)) as u8) as u64) << (8 * b);
        b += 1;
    }
    out
}

/// The round constants through φ.
pub(crate) const C_AES: [[u64; 8]; 12] = {
    let mut out = [[0u64; 8]; 12];
    let mut i = 0;
    while i < 12 {
        let mut w = 0;
        while w < 8 {
            out[i][w] = phi_word(C[i][w]);
            w += 1;
        }
        i += 1;
    }
    out
};

/// The GF2P8AFFINEQB matrix of a GF(2)-linear byte map `f` (given by a 256-entry table):
/// result bit `r` is the parity of (data AND matrix byte `7 - r`).
pub(crate) const fn affine_of(f: &[u8; 256]) -> u64 {
    let mut q = 0u64;
    let mut s = 0;
    while s < 8 {
        let column = f[1 << s];
        let mut r = 0;
        while r < 8 {
            if column >> r & 1 == 1 {
                q |= 1u64 << (8 * (7 - r) + s);
            }
            r += 1;
        }
        s += 1;
    }
    q
}

pub(crate) const PHI_TABLE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut v = 0;
    while v < 256 {
        t[v] = phi(v as u8);
        v += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::A;
    use crate::consts::reference::gf2p8affine;

    /// The structure the SIMD path rests on: each group of eight rows of A is one row times
    /// x⁻⁰…x⁻⁷ bytewise, which is what makes `l` GF(2⁸)-linear.
    #[test]
    fn rows_of_a_are_successive_multiples_by_x_inverse() {
        let x_inv = (1..=255u8).find(|&v| mul(v, 2, POLY_L) == 1).unwrap();
        for (i, pair) in A.windows(2).enumerate() {
            if i % 8 == 7 {
                continue;
            }
            let next: u64 = (0..8)
                .map(|b| (mul((pair[0] >> (8 * b)) as u8, x_inv, POLY_L) as u64) << (8 * b))
                .sum();
            assert_eq!(next, pair[1], "A[{}]", i + 1);
        }
    }

    #[test]
    fn l_is_a_matrix_over_the_field() {
        for j in 0..8 {
            for v in 0..=255u8 {
                let out = l((v as u64) << (8 * j));
                for (b, row) in L_COEFF.iter().enumerate() {
                    assert_eq!(
                        (out >> (8 * b)) as u8,
                        mul(row[j], v, POLY_L),
                        "b {b} j {j} v {v}"
                    );
                }
            }
        }
    }

    #[test]
    fn phi_is_a_field_isomorphism() {
        for a in 0..=255u8 {
            assert_eq!(PHI_INV[phi(a) as usize], a);
            for b in 0..=255u8 {
                assert_eq!(phi(mul(a, b, POLY_L)), mul(phi(a), phi(b), POLY_AES));
                assert_eq!(phi(a ^ b), phi(a) ^ phi(b));
            }
        }
    }

    #[test]
    fn affine_matrices_apply_the_maps() {
        let phi_m = affine_of(&PHI_TABLE);
        let inv_m = affine_of(&PHI_INV);
        for v in 0..=255u8 {
            assert_eq!(gf2p8affine(phi_m, v), phi(v));
            assert_eq!(gf2p8affine(inv_m, v), PHI_INV[v as usize]);
        }
    }
}
