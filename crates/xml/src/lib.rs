//! rsmev-xml — stage ② *parse*: a hardened, namespace-aware streaming XML reader.
//!
//! quick-xml tokenizes; this crate adds what a gateway facing untrusted input needs and a
//! tokenizer leaves out: no DTD (a DOCTYPE is an error), only the five predefined entities and
//! character references, bounded size/depth/attributes/names, UTF-8 and XML character checks,
//! namespace well-formedness (no unbound prefix, no duplicate expanded attribute name),
//! line-end and attribute-value normalization, and optional refusal of duplicate Ids.
//!
//! ```
//! let limits = rsmev_xml::Limits::default();
//! let doc = rsmev_xml::prepare(b"<a xmlns='urn:x' Id='1'>t</a>", &limits).unwrap();
//! let mut r = rsmev_xml::Reader::new(&doc, limits).track_ids();
//! assert_eq!(r.next().unwrap(), rsmev_xml::Event::Start);
//! assert_eq!(r.start_tag().ns, "urn:x");
//! ```
#![forbid(unsafe_code)]

mod error;
mod limits;
mod names;
mod prepare;
mod reader;

pub use error::XmlError;
pub use limits::Limits;
pub use names::{cmp_str, eq_str, is_ncname, is_xml_char, split_qname};
pub use prepare::prepare;
pub use reader::{
    Attribute, Event, NsDecl, Reader, StartTag, WSU_NS, XML_NS, XMLNS_NS, resolve_ref,
};

/// Reads a whole document and checks it, without producing anything: the cost of parsing.
pub fn check(input: &[u8], limits: &Limits) -> Result<(), XmlError> {
    let doc = prepare(input, limits)?;
    let mut r = Reader::new(&doc, limits.clone()).track_ids();
    while r.next()? != Event::Eof {}
    Ok(())
}
