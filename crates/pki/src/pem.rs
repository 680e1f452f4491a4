//! PEM blocks (RFC 7468, lax form): text outside blocks is ignored, as OpenSSL bundles carry
//! `subject=`/`issuer=` lines between them.

use base64::Engine as _;

pub(crate) struct Block {
    pub label: String,
    pub der: Vec<u8>,
}

pub(crate) fn is_pem(data: &[u8]) -> bool {
    find(data, b"-----BEGIN ").is_some()
}

/// Every block in order. A BEGIN without its matching END, or a body that is not base64, is an
/// error: a half-read bundle must not silently lose certificates.
pub(crate) fn blocks(data: &[u8]) -> Result<Vec<Block>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(off) = find(&data[pos..], b"-----BEGIN ") {
        let label_start = pos + off + b"-----BEGIN ".len();
        let label_len = find(&data[label_start..], b"-----").ok_or("unterminated BEGIN line")?;
        let label = std::str::from_utf8(&data[label_start..label_start + label_len])
            .map_err(|_| "BEGIN label is not text")?;
        if label.contains(['\n', '\r']) {
            return Err("unterminated BEGIN line".into());
        }
        let body_start = label_start + label_len + 5;
        let end_marker = format!("-----END {label}-----");
        let body_len = find(&data[body_start..], end_marker.as_bytes())
            .ok_or_else(|| format!("BEGIN {label} without END {label}"))?;
        let body = &data[body_start..body_start + body_len];
        // Encapsulated headers (RFC 1421 `Proc-Type:`) only occur on encrypted keys; such a block
        // is not ours to read, but it must not fail the whole bundle either.
        let der = if body.contains(&b':') {
            None
        } else {
            let compact: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            Some(
                base64::engine::general_purpose::STANDARD
                    .decode(&compact)
                    .map_err(|e| format!("{label} block: base64: {e}"))?,
            )
        };
        if let Some(der) = der {
            out.push(Block {
                label: label.to_owned(),
                der,
            });
        }
        pos = body_start + body_len + end_marker.len();
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_blocks_with_text_between() {
        let text = b"subject=CN=a\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
junk\r\n-----BEGIN X509 CRL-----\r\nBA\r\nU=\r\n-----END X509 CRL-----\r\n";
        let b = blocks(text).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].label.as_str(), b[0].der.as_slice()),
            ("CERTIFICATE", &[1u8, 2, 3][..])
        );
        assert_eq!(
            (b[1].label.as_str(), b[1].der.as_slice()),
            ("X509 CRL", &[4u8, 5][..])
        );
        assert!(is_pem(text));
        assert!(!is_pem(b"\x30\x03"));
    }

    #[test]
    fn broken_blocks_are_errors() {
        assert!(blocks(b"-----BEGIN CERTIFICATE-----\nAQID\n").is_err());
        assert!(blocks(b"-----BEGIN CERTIFICATE-----\nA*ID\n-----END CERTIFICATE-----").is_err());
        assert!(blocks(b"-----BEGIN CERTIFICATE-----\nAQID\n-----END X509 CRL-----").is_err());
    }
}
