//! RFC 3339 timestamps in the one form the registry accepts, `YYYY-MM-DDTHH:MM:SSZ` (the gateway
//! writes its SMEV 2 header times and journal times with the same two functions). UTC only:
//! a certificate window is an instant, and an offset or a local time in a registry file is a
//! mistake waiting for a daylight-saving change. No chrono for two conversions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Parses `YYYY-MM-DDTHH:MM:SSZ`; the error says what was expected.
pub fn parse_utc(text: &str) -> Result<SystemTime, String> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return Err("expected an RFC 3339 UTC timestamp `YYYY-MM-DDTHH:MM:SSZ`".into());
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if year < 1970 {
        return Err(format!("year {year} is before 1970"));
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not 01..12"));
    }
    let last = days_in_month(year, month);
    if day < 1 || day > last {
        return Err(format!("day {day} is not 01..{last} in {year}-{month:02}"));
    }
    // Leap seconds (:60) are refused: SystemTime has no place for them.
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!(
            "time {hour:02}:{minute:02}:{second:02} is not a valid time of day"
        ));
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Ok(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Formats an instant as `YYYY-MM-DDTHH:MM:SSZ` (sub-seconds dropped).
pub fn format_utc(at: SystemTime) -> String {
    let Ok(since) = at.duration_since(UNIX_EPOCH) else {
        return "before 1970-01-01T00:00:00Z".into();
    };
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

fn digits(b: &[u8]) -> Result<u64, String> {
    let mut n = 0u64;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(format!("`{}` is not a number", String::from_utf8_lossy(b)));
        }
        n = n * 10 + u64::from(c - b'0');
    }
    Ok(n)
}

fn is_leap(year: u64) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date, year ≥ 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    const CUMULATIVE: [u64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let years = year - 1970;
    // Leap days in the whole years 1970..year: leap years in [1970, year).
    let leaps = |y: u64| y / 4 - y / 100 + y / 400;
    let leap_days = leaps(year - 1) - leaps(1969);
    let mut days = years * 365 + leap_days + CUMULATIVE[(month - 1) as usize] + day - 1;
    if month > 2 && is_leap(year) {
        days += 1;
    }
    days
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`): closed form,
/// so a far-future instant costs the same as today.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> u64 {
        parse_utc(text)
            .unwrap()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn known_instants() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2000-03-01T00:00:00Z"), 951_868_800);
        assert_eq!(secs("2026-01-01T00:00:00Z"), 1_767_225_600);
        assert_eq!(secs("2024-02-29T23:59:59Z"), 1_709_251_199);
        assert_eq!(secs("2100-03-01T00:00:00Z"), 4_107_542_400);
    }

    #[test]
    fn round_trip() {
        for t in [
            "1970-01-01T00:00:00Z",
            "1999-12-31T23:59:59Z",
            "2000-02-29T12:00:00Z",
            "2026-06-01T12:00:00Z",
            "2400-02-29T01:02:03Z",
        ] {
            assert_eq!(format_utc(parse_utc(t).unwrap()), t);
        }
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "2026-01-01",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00+03:00",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00.5Z",
            "2026-01-01t00:00:00z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:60Z",
            "1969-12-31T23:59:59Z",
            "２026-01-01T00:00:00Z",
            "+026-01-01T00:00:00Z",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad:?} accepted");
        }
    }
}
