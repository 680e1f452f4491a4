//! Every rendered fault is a well-formed, namespace-well-formed document by rsmev's own strict
//! reader, whatever bytes the reason quotes.

use rsmev_fault::soap::{SoapVersion, render};
use rsmev_fault::{FaultCode, Smev3Version};
use rsmev_xml::{Event, Limits, Reader, prepare};

#[test]
fn faults_parse() {
    let hostile = "]]> <!DOCTYPE x> &amp; \"'\u{0}\u{7}\u{FFFF}кириллица";
    for &code in FaultCode::ALL {
        for soap in [SoapVersion::Soap11, SoapVersion::Soap12] {
            for version in Smev3Version::ALL {
                let x = render(code, soap, version, hostile, Some(hostile));
                let limits = Limits::default();
                let doc = prepare(x.as_bytes(), &limits).unwrap_or_else(|e| panic!("{e}: {x}"));
                let mut r = Reader::new(&doc, limits);
                let mut elements = 0;
                loop {
                    match r.next().unwrap_or_else(|e| panic!("{e}: {x}")) {
                        Event::Start => elements += 1,
                        Event::Eof => break,
                        _ => {}
                    }
                }
                assert!(elements >= 8, "{x}");
            }
        }
    }
}
