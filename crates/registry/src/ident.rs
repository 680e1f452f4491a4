//! The alphabet of every identifier the registry compares with what messages carry, and the
//! characters no name may contain.
//!
//! Identifiers are matched byte for byte. A mnemonic that differs from another only by a
//! Cyrillic look-alike letter, a zero-width space or a soft hyphen looks the same to the
//! operator reading the file and the log, yet is a different system to the lookup: an
//! attacker who gets such an entry registered beside the original is indistinguishable from it
//! in every report. So each identifier has a closed ASCII alphabet and anything outside it is
//! refused at load, naming the character by its code point.
//!
//! Free-text names stay free (Cyrillic is their normal script), but may not carry control or
//! invisible formatting characters: those hide text, reorder it on screen (bidi overrides) or
//! forge log lines.

use crate::error::{ConfigError, ConfigErrorKind};

type Result<T> = std::result::Result<T, ConfigError>;

/// One identifier's alphabet and length bounds, with the sentence that states them.
pub(crate) struct Rule {
    allowed: fn(u8) -> bool,
    min: usize,
    max: usize,
    /// The rule as one sentence, for the refusal: "a mnemonic is …".
    pub(crate) statement: &'static str,
}

fn mnemonic_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn lower_id_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
}

fn digit(b: u8) -> bool {
    b.is_ascii_digit()
}

fn uri_byte(b: u8) -> bool {
    // Printable ASCII without the space: what a namespace URI (an RFC 3986 URI, percent-encoded
    // where needed) is made of.
    b.is_ascii_graphic()
}

fn ncname_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn sid_byte(b: u8) -> bool {
    matches!(b, b'S' | b'I' | b'D') || b.is_ascii_digit()
}

/// An information system's mnemonic. SMEV 2's XSD fixes `Sender/Code` to `[A-Z0-9]{4}\d{5}`;
/// SMEV 3's `MessageMetadata/Sender/Mnemonic` is a `string-50` whose real values include
/// `981601_3T`, `OV_2` and, on the test stand, `pilot1` and `mtfoiv1`. The union of what real
/// traffic carries: ASCII letters of either case, digits and `_`.
pub(crate) const SYSTEM_MNEMONIC: Rule = Rule {
    allowed: mnemonic_byte,
    min: 1,
    max: 50,
    statement: "a mnemonic is 1 to 50 ASCII letters (A-Z, a-z), digits and `_`",
};

/// SMEV 2 `Service/Mnemonic` (or `ServiceName`): `xs:string` in the XSD; real ones are
/// `ESIARegister`, `FNSZDLWS`, `TEST00001`.
pub(crate) const SERVICE_MNEMONIC: Rule = Rule {
    allowed: mnemonic_byte,
    min: 1,
    max: 100,
    statement: "an SMEV 2 service mnemonic is 1 to 100 ASCII letters (A-Z, a-z), digits and `_`",
};

/// SMEV 2 `Recipient/Code` a route matches (MnemonicType, as `Sender/Code`; SMEV 3's recipient
/// mnemonic is a `string-100`).
pub(crate) const RECIPIENT_CODE: Rule = Rule {
    allowed: mnemonic_byte,
    min: 1,
    max: 100,
    statement: "a recipient code is 1 to 100 ASCII letters (A-Z, a-z), digits and `_`",
};

/// This node's code (SMEV 2 `NodeId`, e.g. `44`; SMEV 3's `NodeID` is a `string-50`).
pub(crate) const NODE_CODE: Rule = Rule {
    allowed: mnemonic_byte,
    min: 1,
    max: 50,
    statement: "a node code is 1 to 50 ASCII letters (A-Z, a-z), digits and `_`",
};

/// A participant's id: the registry's own name, only ever written by the operator.
pub(crate) const PARTICIPANT_ID: Rule = Rule {
    allowed: lower_id_byte,
    min: 1,
    max: 64,
    statement: "a participant id is 1 to 64 lower-case ASCII letters (a-z), digits, `_` and `-`",
};

/// A вид сведений: `SID` and seven digits (`SID0003133`); checked for shape after the alphabet.
pub(crate) const SID: Rule = Rule {
    allowed: sid_byte,
    min: 10,
    max: 10,
    statement: "a SID is `SID` followed by 7 digits, e.g. \"SID0003133\"",
};

pub(crate) const OGRN: Rule = Rule {
    allowed: digit,
    min: 13,
    max: 15,
    statement: "an OGRN is 13 ASCII digits (15 for an individual entrepreneur)",
};

pub(crate) const REGION: Rule = Rule {
    allowed: digit,
    min: 2,
    max: 3,
    statement: "a region code is 2 or 3 ASCII digits",
};

pub(crate) const OKTMO: Rule = Rule {
    allowed: digit,
    min: 1,
    max: 11,
    statement: "an OKTMO code or prefix is 1 to 11 ASCII digits",
};

/// An SMEV 3 namespace URI (`urn://x-artefacts-gibdd-gov-ru/breach/root/1.0`).
pub(crate) const NAMESPACE: Rule = Rule {
    allowed: uri_byte,
    min: 1,
    max: 2048,
    statement: "a namespace is a URI of 1 to 2048 printable ASCII characters without spaces \
                (percent-encode anything else)",
};

/// The local name of a request's root element: an XML NCName, ASCII only.
pub(crate) const ELEMENT: Rule = Rule {
    allowed: ncname_byte,
    min: 1,
    max: 256,
    statement: "an element name is 1 to 256 ASCII letters, digits, `_`, `-` and `.`, \
                starting with a letter or `_`",
};

/// Checks `value` against `rule`: every character in the alphabet, then the length. `at` is
/// the key path for the refusal.
pub(crate) fn check(at: &str, value: &str, rule: &Rule) -> Result<()> {
    if value.is_empty() {
        return invalid(at, format!("must not be empty; {}", rule.statement));
    }
    for (i, c) in value.chars().enumerate() {
        let ok = u8::try_from(c).is_ok_and(|b| b.is_ascii() && (rule.allowed)(b));
        if !ok {
            return Err(bad_character(at, value, i, c, rule.statement));
        }
    }
    // ASCII from here on: bytes are characters.
    if value.len() < rule.min || value.len() > rule.max {
        return invalid(
            at,
            format!(
                "{value:?} is {} characters long; {}",
                value.len(),
                rule.statement
            ),
        );
    }
    Ok(())
}

/// A SID: the alphabet, then the shape `SID` + 7 digits.
pub(crate) fn check_sid(at: &str, value: &str) -> Result<()> {
    check(at, value, &SID)?;
    let shaped = value.starts_with("SID") && value[3..].bytes().all(|b| b.is_ascii_digit());
    if !shaped {
        return invalid(at, format!("{value:?} is not a SID; {}", SID.statement));
    }
    Ok(())
}

/// An OGRN: 13 or 15 digits (14 is no length an OGRN has).
pub(crate) fn check_ogrn(at: &str, value: &str) -> Result<()> {
    check(at, value, &OGRN)?;
    if value.len() == 14 {
        return invalid(
            at,
            format!("{value:?} is 14 characters long; {}", OGRN.statement),
        );
    }
    Ok(())
}

/// An element's local name: the alphabet, then an NCName's first character.
pub(crate) fn check_element(at: &str, value: &str) -> Result<()> {
    check(at, value, &ELEMENT)?;
    if !value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
    {
        return invalid(
            at,
            format!(
                "{value:?} does not start with a letter or `_`; {}",
                ELEMENT.statement
            ),
        );
    }
    Ok(())
}

const NAME_RULE: &str = "names may not contain control characters or invisible formatting \
                         characters (zero-width, soft hyphen, bidirectional controls)";

/// Human-readable text: not blank, and none of the characters that hide or reorder text.
pub(crate) fn check_name(at: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return invalid(at, "must not be empty");
    }
    for (i, c) in value.chars().enumerate() {
        if c.is_control() || is_invisible(c) {
            return Err(bad_character(at, value, i, c, NAME_RULE));
        }
    }
    Ok(())
}

/// Is the character invisible or a formatting control? General categories Cf (format: soft
/// hyphen, zero-width characters, bidi controls, tags, …), Zl and Zp (line and paragraph
/// separators), and the other Default_Ignorable_Code_Point characters of Unicode 15 (Hangul
/// fillers, variation selectors, the combining grapheme joiner), which render as nothing.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00AD
            | 0x034F
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180F
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x206F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFEFF
            | 0xFFA0
            | 0xFFF0..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0000..=0xE0FFF
    )
}

fn invalid<T>(at: &str, why: impl Into<String>) -> Result<T> {
    Err(ConfigError::new(ConfigErrorKind::Invalid {
        at: at.into(),
        why: why.into(),
    }))
}

fn bad_character(at: &str, value: &str, index: usize, c: char, rule: &'static str) -> ConfigError {
    ConfigError::new(ConfigErrorKind::BadCharacter {
        at: at.into(),
        value: value.into(),
        character: c,
        position: index + 1,
        what: describe(c),
        rule,
    })
}

/// Latin letters that Cyrillic and Greek capitals and small letters imitate.
const LOOK_ALIKES: &[(char, char)] = &[
    // Cyrillic capitals.
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('З', '3'),
    ('І', 'I'),
    ('Ј', 'J'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Ѕ', 'S'),
    ('Т', 'T'),
    ('У', 'Y'),
    ('Х', 'X'),
    // Cyrillic small letters.
    ('а', 'a'),
    ('е', 'e'),
    ('і', 'i'),
    ('ј', 'j'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('ѕ', 's'),
    ('у', 'y'),
    ('х', 'x'),
    // Greek capitals.
    ('Α', 'A'),
    ('Β', 'B'),
    ('Ε', 'E'),
    ('Ζ', 'Z'),
    ('Η', 'H'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ο', 'O'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Υ', 'Y'),
    ('Χ', 'X'),
    ('ο', 'o'),
];

/// What the refused character is, in words an operator recognises.
pub(crate) fn describe(c: char) -> String {
    let cp = u32::from(c);
    if let Some(&(_, latin)) = LOOK_ALIKES.iter().find(|(x, _)| *x == c) {
        let script = if (0x0370..=0x03FF).contains(&cp) {
            "Greek"
        } else {
            "Cyrillic"
        };
        return format!("the {script} letter {c}, a look-alike of Latin `{latin}`");
    }
    match cp {
        0x00AD => return "a soft hyphen, invisible in most fonts".into(),
        0x200B => return "a zero-width space".into(),
        0x200C => return "a zero-width non-joiner".into(),
        0x200D => return "a zero-width joiner".into(),
        0x2060 => return "a word joiner (invisible)".into(),
        0xFEFF => return "a zero-width no-break space (byte-order mark)".into(),
        0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 => {
            return "a bidirectional control, which reorders how text is displayed".into();
        }
        0x2028 | 0x2029 => return "a line or paragraph separator".into(),
        0xFF10..=0xFF19 => {
            return format!(
                "the full-width digit {c}, a look-alike of `{}`",
                char::from(b'0' + (cp - 0xFF10) as u8)
            );
        }
        0xFF21..=0xFF3A | 0xFF41..=0xFF5A => {
            let base = if cp <= 0xFF3A { b'A' } else { b'a' };
            let offset = cp - if cp <= 0xFF3A { 0xFF21 } else { 0xFF41 };
            return format!(
                "the full-width letter {c}, a look-alike of `{}`",
                char::from(base + offset as u8)
            );
        }
        0xFF01..=0xFF5E => return format!("the full-width form {c}"),
        _ => {}
    }
    if c.is_control() {
        return "a control character".into();
    }
    if c.is_whitespace() {
        return "whitespace".into();
    }
    if is_invisible(c) {
        return "an invisible formatting character".into();
    }
    if c.is_ascii_lowercase() {
        return format!("the lower-case letter `{c}`");
    }
    if c.is_ascii_uppercase() {
        return format!("the upper-case letter `{c}`");
    }
    if c.is_ascii_digit() {
        return format!("the digit `{c}`");
    }
    if c.is_ascii() {
        return format!("the character `{c}`");
    }
    if (0x0400..=0x04FF).contains(&cp) {
        return format!("the Cyrillic letter {c}");
    }
    format!("the non-ASCII character {c}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(value: &str, rule: &Rule) -> String {
        match check("x", value, rule).unwrap_err().kind() {
            ConfigErrorKind::BadCharacter { what, .. } => what.clone(),
            other => panic!("{value:?}: {other}"),
        }
    }

    #[test]
    fn real_identifiers_are_in_their_alphabets() {
        for m in [
            "MFC440001",
            "192701441",
            "FNSR01001",
            "981601_3T",
            "OV_2",
            "pilot1",
            "mtfoiv1",
            "77BD01",
        ] {
            assert!(check("x", m, &SYSTEM_MNEMONIC).is_ok(), "{m}");
        }
        for m in ["ESIARegister", "FNSZDLWS", "TEST00001"] {
            assert!(check("x", m, &SERVICE_MNEMONIC).is_ok(), "{m}");
        }
        assert!(check_sid("x", "SID0003133").is_ok());
        assert!(check_sid("x", "SID0003923").is_ok());
        assert!(check_ogrn("x", "1024400534577").is_ok());
        assert!(check_ogrn("x", "304500116000157").is_ok());
        assert!(check("x", "mfc44", &PARTICIPANT_ID).is_ok());
        assert!(check("x", "gibdd-44_b", &PARTICIPANT_ID).is_ok());
        assert!(
            check(
                "x",
                "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
                &NAMESPACE
            )
            .is_ok()
        );
        assert!(check_element("x", "FNSVipULRequest").is_ok());
        assert!(check_name("x", "МФЦ «Мои документы», г. Кострома").is_ok());
    }

    #[test]
    fn shapes_and_lengths() {
        for bad in [
            "SID000313",
            "SID00031330",
            "SIS0003133",
            "DIS0003133",
            "SID00031S3",
        ] {
            let e = check_sid("x", bad).unwrap_err();
            assert!(
                matches!(e.kind(), ConfigErrorKind::Invalid { .. }),
                "{bad}: {e}"
            );
        }
        assert!(matches!(
            check_ogrn("x", "10244005345770").unwrap_err().kind(),
            ConfigErrorKind::Invalid { .. }
        ));
        assert!(matches!(
            check("x", &"A".repeat(51), &SYSTEM_MNEMONIC)
                .unwrap_err()
                .kind(),
            ConfigErrorKind::Invalid { .. }
        ));
        assert!(check("x", &"A".repeat(50), &SYSTEM_MNEMONIC).is_ok());
        assert!(matches!(
            check_element("x", "1Request").unwrap_err().kind(),
            ConfigErrorKind::Invalid { .. }
        ));
        assert!(matches!(
            check("x", "", &SYSTEM_MNEMONIC).unwrap_err().kind(),
            ConfigErrorKind::Invalid { .. }
        ));
        assert!(matches!(
            check_name("x", " \t").unwrap_err().kind(),
            ConfigErrorKind::Invalid { .. }
        ));
    }

    #[test]
    fn each_look_alike_is_named() {
        for (cyr, lat) in [
            ('А', 'A'),
            ('В', 'B'),
            ('Е', 'E'),
            ('К', 'K'),
            ('М', 'M'),
            ('Н', 'H'),
            ('О', 'O'),
            ('Р', 'P'),
            ('С', 'C'),
            ('Т', 'T'),
            ('Х', 'X'),
        ] {
            assert_eq!(
                why(&format!("MFC{cyr}0001"), &SYSTEM_MNEMONIC),
                format!("the Cyrillic letter {cyr}, a look-alike of Latin `{lat}`")
            );
        }
        assert_eq!(
            why("MFC440\u{200B}001", &SYSTEM_MNEMONIC),
            "a zero-width space"
        );
        assert_eq!(
            why("MFC44\u{AD}0001", &SYSTEM_MNEMONIC),
            "a soft hyphen, invisible in most fonts"
        );
        assert_eq!(
            why("MFC\u{202E}440001", &SYSTEM_MNEMONIC),
            "a bidirectional control, which reorders how text is displayed"
        );
        assert_eq!(
            why("MFC４４0001", &SYSTEM_MNEMONIC),
            "the full-width digit ４, a look-alike of `4`"
        );
        assert_eq!(why("sid0003133", &SID), "the lower-case letter `s`");
        assert_eq!(why("Mfc44", &PARTICIPANT_ID), "the upper-case letter `M`");
        assert_eq!(why("MFC-440001", &SYSTEM_MNEMONIC), "the character `-`");
        assert_eq!(why("MFC 440001", &SYSTEM_MNEMONIC), "whitespace");
        assert_eq!(why("MFC\u{7}", &SYSTEM_MNEMONIC), "a control character");
        assert_eq!(
            why("MFCΑ0001", &SYSTEM_MNEMONIC),
            "the Greek letter Α, a look-alike of Latin `A`"
        );
        assert_eq!(why("MFCЖ0001", &SYSTEM_MNEMONIC), "the Cyrillic letter Ж");
    }

    #[test]
    fn the_refusal_names_place_character_and_rule() {
        let e = check(
            "participants[0].systems[1].mnemonic",
            "MFC44\u{200B}0001",
            &SYSTEM_MNEMONIC,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "participants[0].systems[1].mnemonic: \"MFC44\\u{200b}0001\": character 6, \
             U+200B, is a zero-width space; a mnemonic is 1 to 50 ASCII letters (A-Z, a-z), \
             digits and `_`"
        );
    }

    #[test]
    fn names_refuse_hidden_characters_only() {
        for (name, cp) in [
            ("МФЦ\u{200B}", 0x200B),
            ("МФ\u{AD}Ц", 0xAD),
            ("\u{202E}ЦФМ", 0x202E),
            ("МФЦ\nrelayed", 0x0A),
            ("МФЦ\u{2028}", 0x2028),
            ("МФЦ\u{FEFF}", 0xFEFF),
            ("М\u{E0041}ФЦ", 0xE0041),
        ] {
            match check_name("n", name).unwrap_err().kind() {
                ConfigErrorKind::BadCharacter { character, .. } => {
                    assert_eq!(u32::from(*character), cp, "{name:?}")
                }
                other => panic!("{name:?}: {other}"),
            }
        }
        // Full-width digits and Cyrillic are ordinary text in a name.
        assert!(check_name("n", "ИС №１").is_ok());
    }

    /// Every character of general category Cf, Zl or Zp is refused in names. The list was made
    /// by a peer, Python's `unicodedata` (see the file's first line).
    #[test]
    fn every_format_character_is_invisible() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/format-characters.txt");
        let text = std::fs::read_to_string(path).unwrap();
        let mut seen = 0;
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let mut fields = line.split_whitespace();
            let from = u32::from_str_radix(fields.next().unwrap(), 16).unwrap();
            let to = u32::from_str_radix(fields.next().unwrap(), 16).unwrap();
            for cp in from..=to {
                let c = char::from_u32(cp).unwrap();
                assert!(is_invisible(c), "U+{cp:04X}");
                seen += 1;
            }
        }
        assert!(seen > 150, "{seen}");
        // And nothing ordinary is.
        for c in ['A', 'я', ' ', '\u{A0}', '№', '«', '１', '-', '\u{2010}'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }
}
