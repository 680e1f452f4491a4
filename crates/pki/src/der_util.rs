//! The few raw-DER operations the typed decoder cannot give us: the exact bytes a signature
//! covers (re-encoding a decoded structure could differ from what the issuer signed), and a
//! hand-walked CRL so very large or version-1 lists need no full typed decode.

use std::time::{SystemTime, UNIX_EPOCH};

/// One tag-length-value element, as offsets into the buffer it was read from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv {
    pub tag: u8,
    /// Offset of the tag byte.
    pub start: usize,
    /// Offset of the first content byte.
    pub content: usize,
    /// Offset just past the element.
    pub end: usize,
}

/// Reads one element at `pos`. Only low tag numbers (all X.509 uses) and definite lengths are
/// accepted: an indefinite length is BER, never DER.
pub(crate) fn read_tlv(buf: &[u8], pos: usize) -> Result<Tlv, String> {
    let tag = *buf.get(pos).ok_or("truncated: tag expected")?;
    if tag & 0x1f == 0x1f {
        return Err(format!("high tag number form at offset {pos}"));
    }
    let first = *buf.get(pos + 1).ok_or("truncated: length expected")?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 {
            return Err(format!("indefinite length at offset {pos}"));
        }
        if n > 4 {
            return Err(format!("length of {n} octets at offset {pos}"));
        }
        let bytes = buf
            .get(pos + 2..pos + 2 + n)
            .ok_or("truncated: long length")?;
        let mut len = 0usize;
        for b in bytes {
            len = (len << 8) | *b as usize;
        }
        (len, 2 + n)
    };
    let content = pos + header;
    let end = content
        .checked_add(len)
        .filter(|e| *e <= buf.len())
        .ok_or_else(|| format!("element at offset {pos} runs past the end of its container"))?;
    Ok(Tlv {
        tag,
        start: pos,
        content,
        end,
    })
}

/// Splits `Certificate`/`CertificateList` (SEQUENCE { tbs, algorithm, signature }) and returns
/// the range of the complete `tbs` element, tag and length included: the signed bytes.
pub(crate) fn signed_part(der: &[u8]) -> Result<std::ops::Range<usize>, String> {
    let outer = read_tlv(der, 0)?;
    if outer.tag != 0x30 {
        return Err("not a SEQUENCE".into());
    }
    if outer.end != der.len() {
        return Err(format!(
            "{} trailing bytes after the outer SEQUENCE",
            der.len() - outer.end
        ));
    }
    let tbs = read_tlv(der, outer.content)?;
    if tbs.tag != 0x30 {
        return Err("the signed part is not a SEQUENCE".into());
    }
    Ok(tbs.start..tbs.end)
}

/// A UTC instant as `YYYY-MM-DD HH:MM:SS UTC`, for messages.
pub fn format_time(t: SystemTime) -> String {
    let secs = unix(t);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds since the epoch, for compact storage and comparisons in tests.
pub(crate) fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// The inverse of [`unix`].
#[cfg(test)]
pub(crate) fn from_unix(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + std::time::Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH - std::time::Duration::from_secs(secs.unsigned_abs())
    }
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// An INTEGER's content octets (two's complement) as OpenSSL prints a serial: the magnitude in
/// upper-case hex without leading zeros, `-` in front of a negative one, `00` for zero.
pub(crate) fn integer_hex(content: &[u8]) -> String {
    if content.first().is_some_and(|b| b & 0x80 != 0) {
        // Negative: the magnitude is the two's complement.
        let mut mag: Vec<u8> = content.iter().map(|b| !b).collect();
        for b in mag.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
        return format!("-{}", strip_hex(&mag));
    }
    strip_hex(content)
}

fn strip_hex(bytes: &[u8]) -> String {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    if first == bytes.len() {
        return "00".into();
    }
    hex_upper(&bytes[first..])
}

/// The canonical content octets of a non-negative INTEGER, for comparing serials that were
/// encoded with or without a redundant leading zero.
pub(crate) fn integer_key(content: &[u8]) -> Vec<u8> {
    let mut s = content;
    while s.len() > 1 && s[0] == 0 && s[1] & 0x80 == 0 {
        s = &s[1..];
    }
    s.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_short_and_long_lengths() {
        let short = [0x04, 0x02, 0xaa, 0xbb];
        let t = read_tlv(&short, 0).unwrap();
        assert_eq!((t.tag, t.content, t.end), (0x04, 2, 4));
        let mut long = vec![0x04, 0x82, 0x01, 0x00];
        long.extend(std::iter::repeat_n(0u8, 256));
        let t = read_tlv(&long, 0).unwrap();
        assert_eq!((t.content, t.end), (4, 260));
    }

    #[test]
    fn tlv_refusals() {
        assert!(read_tlv(&[0x30, 0x80, 0, 0], 0).is_err(), "indefinite");
        assert!(read_tlv(&[0x1f, 0x01, 0x00], 0).is_err(), "high tag");
        assert!(read_tlv(&[0x04, 0x05, 0x00], 0).is_err(), "overrun");
        assert!(read_tlv(&[0x04], 0).is_err(), "no length");
        assert!(
            read_tlv(&[0x04, 0x85, 1, 1, 1, 1, 1], 0).is_err(),
            "5-octet length"
        );
    }

    #[test]
    fn signed_part_rejects_trailing_bytes() {
        let der = [0x30, 0x04, 0x30, 0x02, 0x05, 0x00];
        assert_eq!(signed_part(&der).unwrap(), 2..6);
        let mut trailing = der.to_vec();
        trailing.push(0);
        assert!(signed_part(&trailing).is_err());
    }

    #[test]
    fn times_format_in_utc() {
        assert_eq!(format_time(UNIX_EPOCH), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            format_time(from_unix(1_609_459_199)),
            "2020-12-31 23:59:59 UTC"
        );
        assert_eq!(
            format_time(from_unix(951_782_400)),
            "2000-02-29 00:00:00 UTC"
        );
        assert_eq!(format_time(from_unix(-86_400)), "1969-12-31 00:00:00 UTC");
        assert_eq!(unix(from_unix(-5)), -5);
    }

    #[test]
    fn serial_hex_like_openssl() {
        assert_eq!(integer_hex(&[0x00, 0x9f, 0x01]), "9F01");
        assert_eq!(integer_hex(&[0x01, 0xd0]), "01D0");
        assert_eq!(integer_hex(&[0x00]), "00");
        assert_eq!(integer_hex(&[0xff]), "-01");
        assert_eq!(integer_hex(&[0xff, 0x00]), "-0100");
        assert_eq!(integer_key(&[0x00, 0x00, 0x7f]), vec![0x7f]);
        assert_eq!(integer_key(&[0x00, 0x80]), vec![0x00, 0x80]);
    }
}
