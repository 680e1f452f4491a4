//! Identifier alphabets: an entry that differs from a registered one only by a look-alike
//! letter, letter case or an invisible character is refused at load, never registered beside
//! the original. Each refusal names the key path, the character by code point, and what it is.

mod common;

use common::*;
use rsmev_registry::{ConfigError, ConfigErrorKind, Snapshot};

fn base() -> String {
    std::fs::read_to_string(data().join("registry.toml")).unwrap()
}

/// The test registry with `extra` appended.
fn load(extra: &str) -> Result<Snapshot, ConfigError> {
    Snapshot::from_toml(&format!("{}\n{extra}", base()), &data())
}

/// A participant with one system (no certificates) per mnemonic, in order.
fn systems(mnemonics: &[&str]) -> String {
    let mut out = String::from(
        "[[participants]]\nid = \"lookalikes\"\nname = \"L\"\nogrn = \"1024400534577\"\nregion = \"44\"\n",
    );
    for m in mnemonics {
        out += &format!("[[participants.systems]]\nmnemonic = \"{m}\"\nname = \"S\"\n");
    }
    out
}

/// A regional service; `sid` and `smev2` are written as given.
fn service(sid: &str, smev2: &str) -> String {
    format!(
        "[[services]]\nsid = \"{sid}\"\nname = \"S\"\nowner = \"gibdd44\"\nlevel = \"regional\"\n\
         mode = \"sync\"\nsmev2_mnemonic = \"{smev2}\"\ntimeout_ms = 1000\n\
         [services.endpoints]\ntest = \"http://127.0.0.1:9009/x\"\n"
    )
}

#[track_caller]
fn bad_character(result: Result<Snapshot, ConfigError>, at: &str, cp: u32, what: &str) {
    let err = result.expect_err("the registry loaded");
    match err.kind() {
        ConfigErrorKind::BadCharacter {
            at: got_at,
            character,
            what: got_what,
            ..
        } => {
            assert_eq!(got_at, at, "{err}");
            assert_eq!(u32::from(*character), cp, "{err}");
            assert_eq!(got_what, what, "{err}");
            assert!(
                err.to_string()
                    .contains(&format!(", U+{cp:04X}, is {what}; ")),
                "{err}"
            );
        }
        other => panic!("expected BadCharacter at {at}, got {other}"),
    }
}

#[test]
fn the_originals_load() {
    let s = load(&(systems(&["ABEKMHOPCTX"]) + &service("SID0004402", "FNSZDLWS"))).unwrap();
    assert!(s.system("ABEKMHOPCTX").is_some());
    assert!(s.service("SID0004402").is_some());
}

/// Each Cyrillic capital that looks like a Latin one, in a mnemonic registered beside the
/// all-Latin original.
#[test]
fn cyrillic_look_alikes_in_a_mnemonic() {
    let original = "ABEKMHOPCTX";
    let cyrillic = ['А', 'В', 'Е', 'К', 'М', 'Н', 'О', 'Р', 'С', 'Т', 'Х'];
    for (i, (latin, cyr)) in original.chars().zip(cyrillic).enumerate() {
        let forged: String = original
            .chars()
            .enumerate()
            .map(|(j, c)| if j == i { cyr } else { c })
            .collect();
        bad_character(
            load(&systems(&[original, &forged])),
            "participants[3].systems[1].mnemonic",
            u32::from(cyr),
            &format!("the Cyrillic letter {cyr}, a look-alike of Latin `{latin}`"),
        );
    }
}

#[test]
fn invisible_and_full_width_characters_in_a_mnemonic() {
    for (forged, cp, what) in [
        ("MFC44\u{200B}0001", 0x200B, "a zero-width space"),
        (
            "MFC44\u{AD}0001",
            0xAD,
            "a soft hyphen, invisible in most fonts",
        ),
        (
            "MFC\u{202E}440001",
            0x202E,
            "a bidirectional control, which reorders how text is displayed",
        ),
        (
            "MFC４４0001",
            0xFF14,
            "the full-width digit ４, a look-alike of `4`",
        ),
        (
            "MFC440001\u{FEFF}",
            0xFEFF,
            "a zero-width no-break space (byte-order mark)",
        ),
    ] {
        bad_character(
            load(&systems(&[forged])),
            "participants[3].systems[0].mnemonic",
            cp,
            what,
        );
    }
}

/// Mnemonics may have lower-case letters (SMEV 3's `pilot1`), so a case variant of a
/// registered one is refused as such — wherever it is.
#[test]
fn a_case_variant_of_a_mnemonic() {
    for (forged, at) in [
        ("mfc440001", "participants[3].systems[0].mnemonic"),
        ("Mfc440001", "participants[3].systems[0].mnemonic"),
    ] {
        let err = load(&systems(&[forged])).err().unwrap();
        match err.kind() {
            ConfigErrorKind::CaseVariant {
                at: got,
                value,
                other,
                first,
            } => {
                assert_eq!(got, at);
                assert_eq!(value, forged);
                assert_eq!(other, "MFC440001");
                assert_eq!(first, "participants[0].systems[0].mnemonic");
            }
            other => panic!("{forged}: {other}"),
        }
        assert!(
            err.to_string()
                .ends_with("differs from \"MFC440001\" (at participants[0].systems[0].mnemonic) only by letter case"),
            "{err}"
        );
    }
    // Lower case on its own is a mnemonic like any other.
    assert!(load(&systems(&["pilot1"])).is_ok());
}

#[test]
fn look_alike_sids() {
    for (forged, cp, what) in [
        ("sid0004401", u32::from('s'), "the lower-case letter `s`"),
        (
            "SІD0004401",
            0x0406,
            "the Cyrillic letter І, a look-alike of Latin `I`",
        ),
        (
            "SID00044О1",
            0x041E,
            "the Cyrillic letter О, a look-alike of Latin `O`",
        ),
        ("SID0004401\u{200B}", 0x200B, "a zero-width space"),
        (
            "SID00\u{AD}04401",
            0xAD,
            "a soft hyphen, invisible in most fonts",
        ),
        (
            "SID\u{202E}0004401",
            0x202E,
            "a bidirectional control, which reorders how text is displayed",
        ),
        (
            "SID０００4401",
            0xFF10,
            "the full-width digit ０, a look-alike of `0`",
        ),
    ] {
        bad_character(
            load(&service(forged, "OTHER0001")),
            "services[3].sid",
            cp,
            what,
        );
    }
    // The right alphabet in the wrong shape.
    let err = load(&service("SID00044010", "OTHER0001")).err().unwrap();
    assert!(
        matches!(err.kind(), ConfigErrorKind::Invalid { at, .. } if at == "services[3].sid"),
        "{err}"
    );
}

#[test]
fn look_alike_smev2_service_mnemonics() {
    let err = load(&service("SID0004409", "gibd44001")).err().unwrap();
    assert!(
        matches!(err.kind(), ConfigErrorKind::CaseVariant { at, other, .. }
            if at == "services[3].smev2_mnemonic" && other == "GIBD44001"),
        "{err}"
    );
    bad_character(
        load(&service("SID0004409", "GІBD44001")),
        "services[3].smev2_mnemonic",
        0x0406,
        "the Cyrillic letter І, a look-alike of Latin `I`",
    );
}

#[test]
fn participant_ids_are_lower_case_ascii() {
    let extra = "[[participants]]\nid = \"Mfc44\"\nname = \"M\"\nogrn = \"1024400534577\"\nregion = \"44\"\n";
    bad_character(
        load(extra),
        "participants[3].id",
        u32::from('M'),
        "the upper-case letter `M`",
    );
    let extra = "[[participants]]\nid = \"mfс44\"\nname = \"M\"\nogrn = \"1024400534577\"\nregion = \"44\"\n";
    bad_character(
        load(extra),
        "participants[3].id",
        0x0441,
        "the Cyrillic letter с, a look-alike of Latin `c`",
    );
}

#[test]
fn digits_are_ascii_digits() {
    let p = |ogrn: &str, region: &str| {
        format!(
            "[[participants]]\nid = \"p\"\nname = \"P\"\nogrn = \"{ogrn}\"\nregion = \"{region}\"\n"
        )
    };
    bad_character(
        load(&p("１024400534577", "44")),
        "participants[3].ogrn",
        0xFF11,
        "the full-width digit １, a look-alike of `1`",
    );
    bad_character(
        load(&p("1024400534577", "4\u{200B}4")),
        "participants[3].region",
        0x200B,
        "a zero-width space",
    );
    let route = |recipient: &str, oktmo: &str| {
        format!(
            "[[routes]]\nservice = \"SID0004401\"\nrecipient = \"{recipient}\"\noktmo = \"{oktmo}\"\n"
        )
    };
    bad_character(
        load(&route("GIBD44002", "3470１")),
        "routes[3].oktmo",
        0xFF11,
        "the full-width digit １, a look-alike of `1`",
    );
    bad_character(
        load(&route("GIBD4400З", "34701")),
        "routes[3].recipient",
        u32::from('З'),
        "the Cyrillic letter З, a look-alike of Latin `3`",
    );
}

#[test]
fn names_refuse_hidden_characters() {
    for (name, cp, what) in [
        (
            "МФЦ\u{202E}ЦФМ",
            0x202E,
            "a bidirectional control, which reorders how text is displayed",
        ),
        ("МФЦ\u{200B}", 0x200B, "a zero-width space"),
        ("М\u{AD}ФЦ", 0xAD, "a soft hyphen, invisible in most fonts"),
        (
            "МФЦ\\nrelayed environment=prod",
            0x0A,
            "a control character",
        ),
    ] {
        bad_character(
            load(&format!(
                "[[participants]]\nid = \"p\"\nname = \"{name}\"\nogrn = \"1024400534577\"\nregion = \"44\"\n"
            )),
            "participants[3].name",
            cp,
            what,
        );
    }
}

#[test]
fn namespaces_and_elements_are_ascii() {
    let svc = |ns: &str, element: &str| {
        format!(
            "[[services]]\nsid = \"SID0004409\"\nname = \"S\"\nowner = \"gibdd44\"\nlevel = \"regional\"\n\
             mode = \"sync\"\nrequest_namespace = \"{ns}\"\nrequest_element = \"{element}\"\n\
             timeout_ms = 1000\n[services.endpoints]\ntest = \"http://127.0.0.1:9009/x\"\n"
        )
    };
    bad_character(
        load(&svc(
            "urn://x-artefacts-gibdd-gov-ru/breach/rооt/1.0",
            "BreachRequest",
        )),
        "services[3].request_namespace",
        0x043E,
        "the Cyrillic letter о, a look-alike of Latin `o`",
    );
    bad_character(
        load(&svc(
            "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
            "BreachRequеst",
        )),
        "services[3].request_element",
        0x0435,
        "the Cyrillic letter е, a look-alike of Latin `e`",
    );
}
