/// Bounds applied to every document the reader accepts.
///
/// The defaults admit any real SMEV message (SMEV 3 caps inline content at 5 MB; envelopes nest
/// a few dozen levels) with a wide margin, while keeping a hostile document's cost linear in its
/// size and small in absolute terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_size: usize,
    /// Deepest element nesting accepted (the root element is depth 1).
    pub max_depth: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Longest element or attribute name, in bytes.
    pub max_name_len: usize,
    /// Longest attribute value, in bytes, before normalization.
    pub max_attr_value_len: usize,
    /// Most namespace bindings in scope at once.
    pub max_namespace_bindings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 64 << 20,
            max_depth: 256,
            max_attributes: 256,
            max_name_len: 1024,
            max_attr_value_len: 1 << 20,
            max_namespace_bindings: 1024,
        }
    }
}
