//! The reader over arbitrary bytes: `prepare`, then every event with Id tracking, under the
//! default limits and under tight ones. Must never panic; every refusal is an `XmlError`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rsmev_xml::{Event, Limits, Reader, prepare};

fn read_all(data: &[u8], limits: &Limits) {
    let Ok(doc) = prepare(data, limits) else {
        return;
    };
    let mut r = Reader::new(&doc, limits.clone()).track_ids();
    let mut last_depth = 0usize;
    loop {
        match r.next() {
            Ok(Event::Eof) => {
                assert_eq!(r.depth(), 0, "Eof inside an element");
                break;
            }
            Ok(Event::Start) => {
                let t = r.start_tag();
                assert_eq!(t.depth, last_depth + 1);
                assert!(t.depth <= limits.max_depth);
                assert!(t.attrs.len() + t.ns_decls.len() <= limits.max_attributes);
                // Exercise the scope queries on every element.
                let _ = r.in_scope();
                let _ = r.lookup(t.prefix);
                let _ = r.parent_lookup("");
                last_depth = t.depth;
            }
            Ok(Event::End { depth, .. }) => {
                assert_eq!(depth, last_depth);
                last_depth -= 1;
            }
            Ok(_) => {}
            Err(e) => {
                let _ = e.fault_code();
                let _ = e.to_string();
                break;
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    read_all(data, &Limits::default());
    read_all(
        data,
        &Limits {
            max_size: 4096,
            max_depth: 4,
            max_attributes: 3,
            max_name_len: 8,
            max_attr_value_len: 16,
            max_namespace_bindings: 4,
        },
    );
    let _ = rsmev_xml::check(data, &Limits::default());
});
