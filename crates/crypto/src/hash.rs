//! One streaming hasher over every [`DigestAlg`].
//!
//! Streebog, the digest of nearly every SMEV signature and a large share of the gateway's CPU per
//! exchange, is `rsmev-streebog` (SIMD where the CPU has it); the rest are RustCrypto's.

use digest::Digest;

use crate::DigestAlg;

/// A running digest. Feed it with [`Hasher::update`] (or as an [`std::io::Write`]) and take the
/// raw output bytes — in the order XMLDSig's `DigestValue` carries them — with
/// [`Hasher::finalize`].
#[derive(Clone)]
pub struct Hasher(State);

#[derive(Clone)]
enum State {
    Streebog256(rsmev_streebog::Streebog256),
    Streebog512(rsmev_streebog::Streebog512),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
    Sha1(sha1::Sha1),
    Gost94(gost94::Gost94CryptoPro),
}

impl Hasher {
    pub fn new(alg: DigestAlg) -> Hasher {
        Hasher(match alg {
            DigestAlg::Streebog256 => State::Streebog256(rsmev_streebog::Streebog256::new()),
            DigestAlg::Streebog512 => State::Streebog512(rsmev_streebog::Streebog512::new()),
            DigestAlg::Sha256 => State::Sha256(Digest::new()),
            DigestAlg::Sha384 => State::Sha384(Digest::new()),
            DigestAlg::Sha512 => State::Sha512(Digest::new()),
            DigestAlg::Sha1 => State::Sha1(Digest::new()),
            DigestAlg::Gost94 => State::Gost94(Digest::new()),
        })
    }

    pub fn algorithm(&self) -> DigestAlg {
        match &self.0 {
            State::Streebog256(_) => DigestAlg::Streebog256,
            State::Streebog512(_) => DigestAlg::Streebog512,
            State::Sha256(_) => DigestAlg::Sha256,
            State::Sha384(_) => DigestAlg::Sha384,
            State::Sha512(_) => DigestAlg::Sha512,
            State::Sha1(_) => DigestAlg::Sha1,
            State::Gost94(_) => DigestAlg::Gost94,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            State::Streebog256(h) => h.update(data),
            State::Streebog512(h) => h.update(data),
            State::Sha256(h) => Digest::update(h, data),
            State::Sha384(h) => Digest::update(h, data),
            State::Sha512(h) => Digest::update(h, data),
            State::Sha1(h) => Digest::update(h, data),
            State::Gost94(h) => Digest::update(h, data),
        }
    }

    /// The raw digest, [`DigestAlg::output_len`] bytes.
    pub fn finalize(self) -> Vec<u8> {
        match self.0 {
            State::Streebog256(h) => h.finalize().to_vec(),
            State::Streebog512(h) => h.finalize().to_vec(),
            State::Sha256(h) => h.finalize().to_vec(),
            State::Sha384(h) => h.finalize().to_vec(),
            State::Sha512(h) => h.finalize().to_vec(),
            State::Sha1(h) => h.finalize().to_vec(),
            State::Gost94(h) => h.finalize().to_vec(),
        }
    }

    /// One-shot digest of `data`.
    pub fn digest(alg: DigestAlg, data: &[u8]) -> Vec<u8> {
        let mut h = Hasher::new(alg);
        h.update(data);
        h.finalize()
    }
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Hasher").field(&self.algorithm()).finish()
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_algorithm() {
        for &alg in DigestAlg::ALL {
            let h = Hasher::new(alg);
            assert_eq!(h.algorithm(), alg);
            assert_eq!(h.finalize().len(), alg.output_len(), "{alg:?}");
        }
    }

    #[test]
    fn streaming_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        for &alg in DigestAlg::ALL {
            let mut h = Hasher::new(alg);
            for chunk in data.chunks(333) {
                h.update(chunk);
            }
            let mut w = Hasher::new(alg);
            std::io::Write::write_all(&mut w, &data).unwrap();
            let one = Hasher::digest(alg, &data);
            assert_eq!(h.finalize(), one, "{alg:?}");
            assert_eq!(w.finalize(), one, "{alg:?}");
        }
    }
}
