//! Reading the times messages carry (`xs:dateTime`: SMEV 3 selector and status `Timestamp`,
//! SMEV 2 `smev:Message/Date`) for the freshness check. Senders write every variant the type
//! allows — fractions of any length, `Z`, an offset, or no zone at all — and the check must not
//! refuse any of them for its form.

use std::time::{Duration, SystemTime};

/// The instant an `xs:dateTime` names, and whether it named its zone. A time without a zone is
/// read as UTC (the caller widens its tolerance for it). `None` if it is not an `xs:dateTime`.
pub fn parse_datetime(text: &str) -> Option<(SystemTime, bool)> {
    let text = text.trim_matches([' ', '\t', '\n', '\r']);
    let core = text.get(..19)?;
    let base = rsmev_registry::time::parse_utc(&format!("{core}Z")).ok()?;
    let mut rest = &text[19..];
    let mut at = base;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Nanoseconds from the first nine digits; more precision than that is noise.
        let mut nanos = 0u64;
        for (i, b) in frac.bytes().take(digits.min(9)).enumerate() {
            nanos += u64::from(b - b'0') * 10u64.pow(8 - i as u32);
        }
        at += Duration::from_nanos(nanos);
        rest = &frac[digits..];
    }
    match rest {
        "" => Some((at, false)),
        "Z" => Some((at, true)),
        _ => {
            let b = rest.as_bytes();
            if b.len() != 6 || b[3] != b':' || !matches!(b[0], b'+' | b'-') {
                return None;
            }
            let num = |s: &[u8]| -> Option<u64> {
                s.iter()
                    .all(u8::is_ascii_digit)
                    .then(|| s.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
            };
            let (h, m) = (num(&b[1..3])?, num(&b[4..6])?);
            if h > 14 || m > 59 {
                return None;
            }
            let offset = Duration::from_secs(h * 3600 + m * 60);
            // Local time = UTC + offset, so UTC = local − offset.
            Some((
                if b[0] == b'+' {
                    at.checked_sub(offset)?
                } else {
                    at + offset
                },
                true,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn secs(t: SystemTime) -> f64 {
        t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
    }

    /// Expected values from Python's `datetime.fromisoformat(...).timestamp()` (an independent
    /// reader), for the forms seen in real SMEV traffic.
    #[test]
    fn the_forms_senders_write() {
        let cases = [
            ("2014-02-11T17:10:03.616+04:00", 1_392_124_203.616, true),
            (
                "2015-08-27T11:17:06.3998232+03:00",
                1_440_663_426.399_823,
                true,
            ),
            ("2014-11-24T06:06:36Z", 1_416_809_196.0, true),
            ("2026-12-01T10:00:00", 1_796_119_200.0, false),
            ("2026-12-02T18:38:24.170+00:00", 1_796_236_704.17, true),
            ("2026-12-01T10:00:00-05:30", 1_796_139_000.0, true),
        ];
        for (text, want, zoned) in cases {
            let (t, z) = parse_datetime(text).unwrap_or_else(|| panic!("{text}"));
            assert!(
                (secs(t) - want).abs() < 1e-3,
                "{text}: {} vs {want}",
                secs(t)
            );
            assert_eq!(z, zoned, "{text}");
        }
        for bad in [
            "",
            "2026-12-01",
            "2026-12-01T10:00",
            "2026-13-01T10:00:00",
            "2026-12-01T10:00:00.",
            "2026-12-01T10:00:00+3",
            "2026-12-01T10:00:00+15:00",
            "2026-12-01T10:00:00 UTC",
            "01.12.2026 10:00:00",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
