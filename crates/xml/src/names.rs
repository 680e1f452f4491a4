//! XML name checks. ASCII is checked exactly against the XML 1.0 (5th ed.) productions; any
//! non-ASCII character is accepted as a name character, which admits a few code points the
//! production excludes (e.g. U+00D7) but never lets markup delimiters through.

const fn table(start: bool) -> [bool; 128] {
    let mut t = [false; 128];
    let mut c = 0;
    while c < 128 {
        let b = c as u8;
        t[c] = b.is_ascii_alphabetic()
            || b == b'_'
            || (!start && (b.is_ascii_digit() || b == b'-' || b == b'.'));
        c += 1;
    }
    t
}

static START: [bool; 128] = table(true);
static CHAR: [bool; 128] = table(false);

/// Is `s` an NCName (a name without colons)?
pub fn is_ncname(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        None => false,
        Some(&c) if c < 128 && !START[c as usize] => false,
        _ => b.iter().all(|&c| c >= 128 || CHAR[c as usize]),
    }
}

/// Splits a QName into (prefix, local), the prefix being "" when absent; `None` when the name
/// is not a namespace-well-formed QName. One pass over the bytes: called for every element and
/// attribute name, mostly a few bytes long, where a separate colon search costs more than the
/// check itself.
pub fn split_qname(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let is_start = |c: u8| c >= 128 || START[c as usize];
    if !is_start(*b.first()?) {
        return None;
    }
    let mut colon = None;
    let mut i = 1;
    while i < b.len() {
        let c = b[i];
        if c < 128 && !CHAR[c as usize] {
            if c != b':' || colon.is_some() || !is_start(*b.get(i + 1)?) {
                return None;
            }
            colon = Some(i);
            i += 1;
        }
        i += 1;
    }
    Some(match colon {
        None => ("", s),
        Some(i) => (&s[..i], &s[i + 1..]),
    })
}

/// Byte-wise ordering of two short strings (names, prefixes, URIs). `Ord for str` calls
/// `memcmp` for every comparison, whose call overhead dominates on names of a few bytes;
/// canonicalization sorts attributes and declarations of every element.
#[inline]
pub fn cmp_str(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

/// Equality without a `memcmp` call for the common short case, and without looking at the
/// bytes at all when both sides are the same slice of the document.
#[inline]
pub fn eq_str(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && (std::ptr::eq(a.as_ptr(), b.as_ptr()) || a.bytes().zip(b.bytes()).all(|(x, y)| x == y))
}

/// Is `c` a character XML 1.0 allows in a document (production [2] Char)?
pub fn is_xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qnames() {
        assert_eq!(split_qname("a"), Some(("", "a")));
        assert_eq!(split_qname("soap:Body"), Some(("soap", "Body")));
        assert_eq!(split_qname("Док.имя-1"), Some(("", "Док.имя-1")));
        assert_eq!(split_qname("ns2:Док"), Some(("ns2", "Док")));
        assert_eq!(split_qname("Д:я"), Some(("Д", "я")));
        assert_eq!(split_qname("a:b.c-1_"), Some(("a", "b.c-1_")));
        for bad in [
            "", ":a", "a:", "a:b:c", "1a", "-a", "a b", "a=b", "a\"", "a/", "a::b", "a:1", "a:-b",
            "a:b c",
        ] {
            assert_eq!(split_qname(bad), None, "{bad}");
        }
    }
}
