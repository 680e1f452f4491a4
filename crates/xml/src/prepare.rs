//! Input checks that hold for the whole document and are cheapest done once, up front, over the
//! raw bytes: size, encoding, forbidden characters and line-end normalization (XML 1.0 §2.11).

use std::borrow::Cow;

use crate::{Limits, XmlError};

/// Validates `input` as a UTF-8 XML 1.0 character stream and normalizes its line ends.
///
/// Borrows when the input has no carriage return (the common case); copies once otherwise.
/// After this, every slice the tokenizer hands out is valid UTF-8 and free of CR.
pub fn prepare<'a>(input: &'a [u8], limits: &Limits) -> Result<Cow<'a, str>, XmlError> {
    if input.len() > limits.max_size {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: limits.max_size,
        });
    }
    let (body, offset) = match input {
        [0xEF, 0xBB, 0xBF, rest @ ..] => (rest, 3),
        [0xFE, 0xFF, ..] | [0xFF, 0xFE, ..] => {
            return Err(XmlError::UnsupportedEncoding {
                encoding: "UTF-16".into(),
            });
        }
        _ => (input, 0),
    };
    // SIMD validation on the happy path; std finds the exact offset only for a bad document.
    let text = match simdutf8::basic::from_utf8(body) {
        Ok(t) => t,
        Err(_) => {
            let pos = std::str::from_utf8(body)
                .err()
                .map_or(0, |e| e.valid_up_to());
            return Err(XmlError::InvalidUtf8 { pos: offset + pos });
        }
    };
    check_chars(body).map_err(|(code, pos)| XmlError::ForbiddenChar {
        code,
        pos: pos + offset,
    })?;
    if memchr::memchr(b'\r', body).is_none() {
        return Ok(Cow::Borrowed(text));
    }
    Ok(Cow::Owned(normalize_line_ends(text)))
}

/// Rejects C0 controls other than TAB, LF, CR, and the non-characters U+FFFE / U+FFFF.
/// Surrogates cannot occur in valid UTF-8. The check runs over fixed-size chunks without
/// branches so it vectorizes; the exact offending byte is looked up only on failure.
fn check_chars(bytes: &[u8]) -> Result<(), (u32, usize)> {
    const CHUNK: usize = 64;
    let bad = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    for (n, chunk) in bytes.chunks(CHUNK).enumerate() {
        if chunk.iter().fold(false, |acc, &b| acc | bad(b)) {
            let i = chunk.iter().position(|&b| bad(b)).unwrap_or(0);
            return Err((u32::from(chunk[i]), n * CHUNK + i));
        }
    }
    for pos in memchr::memmem::find_iter(bytes, b"\xEF\xBF") {
        match bytes.get(pos + 2) {
            Some(0xBE) => return Err((0xFFFE, pos)),
            Some(0xBF) => return Err((0xFFFF, pos)),
            _ => {}
        }
    }
    Ok(())
}

/// CR LF and lone CR become LF, as XML 1.0 §2.11 requires before parsing.
fn normalize_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = memchr::memchr(b'\r', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if rest.as_bytes().first() == Some(&b'\n') {
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends() {
        assert_eq!(normalize_line_ends("a\r\nb\rc\r\r\nd\r"), "a\nb\nc\n\nd\n");
    }

    #[test]
    fn rejects_controls_and_nonchars() {
        let l = Limits::default();
        assert!(matches!(
            prepare(b"<a>\x01</a>", &l),
            Err(XmlError::ForbiddenChar { code: 1, pos: 3 })
        ));
        assert!(matches!(
            prepare("<a>\u{FFFF}</a>".as_bytes(), &l),
            Err(XmlError::ForbiddenChar {
                code: 0xFFFF,
                pos: 3
            })
        ));
        assert!(prepare("<a>\u{FFFD}\u{EFBF}</a>".as_bytes(), &l).is_ok());
        assert!(matches!(
            prepare(b"<a>\xff</a>", &l),
            Err(XmlError::InvalidUtf8 { pos: 3 })
        ));
    }

    #[test]
    fn strips_bom_and_borrows() {
        let l = Limits::default();
        assert!(matches!(
            prepare(b"\xEF\xBB\xBF<a/>", &l),
            Ok(Cow::Borrowed("<a/>"))
        ));
        assert!(matches!(
            prepare(b"\xFF\xFE<", &l),
            Err(XmlError::UnsupportedEncoding { .. })
        ));
    }
}
