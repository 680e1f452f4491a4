//! rsmev-streebog — GOST R 34.11-2012 (Streebog, RFC 6986) hashing, fast.
//!
//! Its one responsibility is computing Streebog-256 and Streebog-512 digests, byte for byte as
//! the RustCrypto `streebog` crate (and so OpenSSL's GOST engine and XMLDSig `DigestValue`)
//! gives them, but faster: the digest is a large share of the gateway's CPU per exchange.
//!
//! Two implementations sit behind one API, chosen once per hasher:
//!
//! * a portable one: LPS as 64 lookups into eight 256-entry tables that combine S, P and L;
//! * on x86-64 CPUs with AVX-512F/BW/VBMI and GFNI (detected at run time, once per process),
//!   LPS on the whole state in one register: the S-box by byte permutes, L∘P by GF2P8MULB
//!   after moving every byte into the AES field (see `field.rs` and `avx512.rs`).
//!
//! Both derive their tables at compile time from the RFC's S-box π and matrix A, and tests
//! check them against the RFC's definitions, its examples, and the `streebog` crate.
//!
//! Unsafe code is denied, not forbidden: the single call into the runtime-detected AVX-512
//! function needs it, and is allowed on that one function (`avx512::Token::run`) alone.

#![deny(unsafe_code)]

mod consts;
#[cfg(any(target_arch = "x86_64", test))]
mod field;
mod scalar;

#[cfg(target_arch = "x86_64")]
mod avx512;

/// The chaining state of RFC 6986 §8: `h`, the bit counter `N` and the checksum `Σ`, each a
/// 512-bit number as little-endian words.
#[derive(Clone)]
struct State {
    h: [u64; 8],
    n: [u64; 8],
    sigma: [u64; 8],
}

#[inline(always)]
fn words(block: &[u8; 64]) -> [u64; 8] {
    core::array::from_fn(|i| {
        u64::from_le_bytes([
            block[8 * i],
            block[8 * i + 1],
            block[8 * i + 2],
            block[8 * i + 3],
            block[8 * i + 4],
            block[8 * i + 5],
            block[8 * i + 6],
            block[8 * i + 7],
        ])
    })
}

/// `N += bits` modulo 2^512.
#[inline(always)]
fn add_bits(n: &mut [u64; 8], bits: u64) {
    let (sum, mut carry) = n[0].overflowing_add(bits);
    n[0] = sum;
    // A carry out of the low word happens once per 2^64 bits hashed.
    for w in &mut n[1..] {
        if !carry {
            break;
        }
        (*w, carry) = w.overflowing_add(1);
    }
}

/// `Σ += m` modulo 2^512.
#[inline(always)]
fn add_512(sigma: &mut [u64; 8], m: &[u64; 8]) {
    let mut carry = false;
    for (s, &w) in sigma.iter_mut().zip(m) {
        let (a, c1) = s.overflowing_add(w);
        let (b, c2) = a.overflowing_add(carry as u64);
        *s = b;
        carry = c1 | c2;
    }
}

/// Which implementation a hasher runs. For tests and benchmarks; the choice itself is made
/// by [`Streebog256::new`] / [`Streebog512::new`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Scalar,
    Avx512Gfni,
}

impl Backend {
    /// The backend [`Streebog256::new`] picks on this CPU.
    pub fn detected() -> Backend {
        Engine::detect().backend()
    }
}

#[derive(Clone, Copy)]
enum Engine {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx512(avx512::Token),
}

impl Engine {
    fn detect() -> Engine {
        #[cfg(target_arch = "x86_64")]
        if let Some(token) = avx512::Token::detect() {
            return Engine::Avx512(token);
        }
        Engine::Scalar
    }

    fn backend(self) -> Backend {
        match self {
            Engine::Scalar => Backend::Scalar,
            #[cfg(target_arch = "x86_64")]
            Engine::Avx512(_) => Backend::Avx512Gfni,
        }
    }

    /// Compresses whole `blocks`, then, given `last` (the padded final block and how many of
    /// its bytes are message), finishes the hash into `state.h`.
    #[inline]
    fn run(self, state: &mut State, blocks: &[[u8; 64]], last: Option<(&[u8; 64], usize)>) {
        match self {
            Engine::Scalar => scalar::run(state, blocks, last),
            #[cfg(target_arch = "x86_64")]
            Engine::Avx512(token) => token.run(state, blocks, last),
        }
    }
}

/// Shared by both digest sizes, which differ only in the initial `h` and the output half.
#[derive(Clone)]
struct Core {
    state: State,
    buf: [u8; 64],
    pos: usize,
    engine: Engine,
}

impl Core {
    fn new(iv: u64, engine: Engine) -> Core {
        Core {
            state: State {
                h: [iv; 8],
                n: [0; 8],
                sigma: [0; 8],
            },
            buf: [0; 64],
            pos: 0,
            engine,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        if self.pos > 0 {
            let take = data.len().min(64 - self.pos);
            self.buf[self.pos..self.pos + take].copy_from_slice(&data[..take]);
            self.pos += take;
            data = &data[take..];
            if self.pos < 64 {
                return;
            }
            self.engine
                .run(&mut self.state, core::slice::from_ref(&self.buf), None);
            self.pos = 0;
        }
        // Whole blocks go straight from the caller's slice. A full block is compressed at once,
        // even if it ends the message: the padded final block is then the empty one, which is
        // what RFC 6986 §8.3 prescribes for a length that is a multiple of 512 bits.
        let (blocks, rest) = data.as_chunks::<64>();
        if !blocks.is_empty() {
            self.engine.run(&mut self.state, blocks, None);
        }
        self.buf[..rest.len()].copy_from_slice(rest);
        self.pos = rest.len();
    }

    fn finalize(mut self) -> [u8; 64] {
        let mut last = [0u8; 64];
        last[..self.pos].copy_from_slice(&self.buf[..self.pos]);
        last[self.pos] = 1;
        self.engine
            .run(&mut self.state, &[], Some((&last, self.pos)));
        let mut out = [0u8; 64];
        for (chunk, w) in out.chunks_exact_mut(8).zip(self.state.h) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

macro_rules! hasher {
    ($(#[$doc:meta])* $name:ident, $len:literal, $iv:literal, $one_shot:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Core);

        impl $name {
            /// A hasher on the fastest implementation this CPU supports.
            pub fn new() -> $name {
                $name(Core::new($iv, Engine::detect()))
            }

            /// A hasher on the portable implementation whatever the CPU, so that tests and
            /// benchmarks can compare it with the detected one.
            #[doc(hidden)]
            pub fn new_scalar() -> $name {
                $name(Core::new($iv, Engine::Scalar))
            }

            #[doc(hidden)]
            pub fn backend(&self) -> Backend {
                self.0.engine.backend()
            }

            pub fn update(&mut self, data: &[u8]) {
                self.0.update(data);
            }

            /// The digest in the byte order XMLDSig `DigestValue`, OpenSSL and the `streebog`
            /// crate use: `h` little-endian, the reverse of the RFC's hexadecimal notation.
            pub fn finalize(self) -> [u8; $len] {
                let h = self.0.finalize();
                // A 256-bit digest is the most significant half of h (RFC 6986 §8.3: MSB_256).
                let mut out = [0u8; $len];
                out.copy_from_slice(&h[64 - $len..]);
                out
            }

            /// One-shot digest of `data`.
            pub fn digest(data: &[u8]) -> [u8; $len] {
                let mut h = $name::new();
                h.update(data);
                h.finalize()
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl core::fmt::Debug for $name {
            // The state is derived from the data being hashed, which may be secret.
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("backend", &self.backend())
                    .finish_non_exhaustive()
            }
        }

        /// One-shot digest of `data`.
        pub fn $one_shot(data: &[u8]) -> [u8; $len] {
            $name::digest(data)
        }
    };
}

hasher!(
    /// Streebog with a 256-bit digest (`id-tc26-gost3411-12-256`).
    Streebog256,
    32,
    0x0101_0101_0101_0101,
    streebog256
);

hasher!(
    /// Streebog with a 512-bit digest (`id-tc26-gost3411-12-512`).
    Streebog512,
    64,
    0,
    streebog512
);
