//! A tap fed by the caller's own reader gives exactly the bytes of an ordinary subset
//! canonicalization, for every element with an Id in the conformance corpus and the real
//! SMEV samples, with and without the SMEV transform.

use rsmev_c14n::{Algorithm, Options, Tap, TapStop, canonicalize_to_vec};
use rsmev_xml::{Event, Limits, Reader};

fn check_doc(path: &std::path::Path) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let limits = Limits::default();
    let Ok(doc) = rsmev_xml::prepare(&bytes, &limits) else {
        return 0;
    };
    let mut checked = 0;
    for smev in [false, true] {
        let mut r = Reader::new(&doc, limits.clone());
        // Every element with an Id gets its own tap, nested ones too.
        let mut open: Vec<(String, Tap<'_>)> = Vec::new();
        let mut finished: Vec<(String, Result<Vec<u8>, TapStop>)> = Vec::new();
        loop {
            let Ok(ev) = r.next() else {
                return checked;
            };
            let mut keep = Vec::new();
            for (id, mut tap) in open.drain(..) {
                match tap.feed(&r, ev) {
                    Ok(true) => finished.push((id, Ok(tap.into_bytes().unwrap()))),
                    Ok(false) => keep.push((id, tap)),
                    Err(e) => finished.push((id, Err(e))),
                }
            }
            open = keep;
            if ev == Event::Start
                && let Some(a) = r.start_tag().attrs.iter().find(|a| a.is_id())
            {
                let id = a.value.to_string();
                match Tap::start(&r, smev, 1 << 24) {
                    Ok(t) => open.push((id, t)),
                    Err(e) => finished.push((id, Err(e))),
                }
            }
            if ev == Event::Eof {
                break;
            }
        }
        for (id, got) in finished {
            let opts = Options::new(Algorithm::Exclusive)
                .smev_transform(smev)
                .subset(id.as_str());
            match (canonicalize_to_vec(&bytes, &opts), got) {
                (Ok(want), Ok(got)) => assert!(
                    want == got,
                    "{} #{id} smev={smev}:\nwant {}\ngot  {}",
                    path.display(),
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&got)
                ),
                (Err(_), Err(TapStop::Refused(_))) => {}
                (want, got) => panic!("{} #{id} smev={smev}: {want:?} vs {got:?}", path.display()),
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn tap_equals_subset_canonicalization() {
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut n = 0;
    for dir in ["corpus", "samples"] {
        for e in std::fs::read_dir(format!("{base}/{dir}")).unwrap() {
            n += check_doc(&e.unwrap().path());
        }
    }
    assert!(n > 100, "only {n} elements checked");
}

/// Past its limit (checked whenever a 32 KiB output block is handed over, and at the end) a
/// tap gives up instead of growing.
#[test]
fn tap_stops_at_its_limit() {
    let big = "0123456789".repeat(10_000);
    for (text, limit) in [("0123456789", 8), (big.as_str(), 50_000)] {
        let doc = format!("<a:r xmlns:a=\"urn:a\"><a:x Id=\"x\">{text}</a:x></a:r>");
        let mut r = Reader::new(&doc, Limits::default());
        assert_eq!(r.next().unwrap(), Event::Start);
        assert_eq!(r.next().unwrap(), Event::Start);
        let mut tap = Tap::start(&r, false, limit).unwrap();
        let stopped = loop {
            let ev = r.next().unwrap();
            match tap.feed(&r, ev) {
                Err(TapStop::TooLarge) => break true,
                Ok(true) => break false,
                Ok(false) => {}
                Err(e) => panic!("{e:?}"),
            }
        };
        assert!(stopped || tap.into_bytes().is_none(), "limit {limit}");
    }
}
