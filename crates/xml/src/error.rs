use rsmev_fault::FaultCode;

/// Why the reader refused a document. Every variant names the byte offset where the problem
/// was found, so a participant's developer can locate it in the message they sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    #[error("document is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("element nesting deeper than {limit} levels at byte {pos}")]
    TooDeep { limit: usize, pos: usize },
    #[error("more than {limit} attributes on one element at byte {pos}")]
    TooManyAttributes { limit: usize, pos: usize },
    #[error("name longer than {limit} bytes at byte {pos}")]
    NameTooLong { limit: usize, pos: usize },
    #[error("attribute value longer than {limit} bytes at byte {pos}")]
    AttributeValueTooLong { limit: usize, pos: usize },
    #[error("more than {limit} namespace bindings in scope at byte {pos}")]
    TooManyNamespaces { limit: usize, pos: usize },
    #[error("invalid UTF-8 at byte {pos}")]
    InvalidUtf8 { pos: usize },
    #[error("unsupported encoding `{encoding}`: only UTF-8 is accepted")]
    UnsupportedEncoding { encoding: String },
    #[error("character U+{code:04X} is not allowed in XML 1.0, at byte {pos}")]
    ForbiddenChar { code: u32, pos: usize },
    #[error("DOCTYPE declaration at byte {pos}: DTDs and entity declarations are not accepted")]
    Doctype { pos: usize },
    #[error(
        "undefined entity `&{name};` at byte {pos}: only the five predefined entities and character references are accepted"
    )]
    UndefinedEntity { name: String, pos: usize },
    #[error("invalid character reference `&{reference};` at byte {pos}")]
    InvalidCharRef { reference: String, pos: usize },
    #[error("unbound namespace prefix `{prefix}` at byte {pos}")]
    UnboundPrefix { prefix: String, pos: usize },
    #[error("attribute `{name}` appears twice on one element at byte {pos}")]
    DuplicateAttribute { name: String, pos: usize },
    #[error("namespace rule broken at byte {pos}: {reason}")]
    Namespace { reason: &'static str, pos: usize },
    #[error("invalid name `{name}` at byte {pos}")]
    InvalidName { name: String, pos: usize },
    #[error("malformed attribute list at byte {pos}: {reason}")]
    MalformedAttribute { reason: &'static str, pos: usize },
    #[error("end tag `</{found}>` does not match start tag `<{expected}>` at byte {pos}")]
    MismatchedEndTag {
        expected: String,
        found: String,
        pos: usize,
    },
    #[error("malformed XML at byte {pos}: {reason}")]
    Syntax { reason: String, pos: usize },
    #[error("document ends early at byte {pos}: {reason}")]
    Truncated { reason: &'static str, pos: usize },
    #[error("document structure: {reason} at byte {pos}")]
    Structure { reason: &'static str, pos: usize },
    #[error("Id `{id}` is carried by more than one element (second at byte {pos})")]
    DuplicateId { id: String, pos: usize },
}

impl XmlError {
    /// The SMEV fault this refusal is reported as.
    pub fn fault_code(&self) -> FaultCode {
        match self {
            XmlError::TooLarge { .. }
            | XmlError::TooDeep { .. }
            | XmlError::TooManyAttributes { .. }
            | XmlError::NameTooLong { .. }
            | XmlError::AttributeValueTooLong { .. }
            | XmlError::TooManyNamespaces { .. } => FaultCode::MessageTooLarge,
            XmlError::Doctype { .. } | XmlError::UndefinedEntity { .. } => {
                FaultCode::ForbiddenXmlConstruct
            }
            XmlError::InvalidUtf8 { .. }
            | XmlError::UnsupportedEncoding { .. }
            | XmlError::ForbiddenChar { .. }
            | XmlError::InvalidCharRef { .. }
            | XmlError::UnboundPrefix { .. }
            | XmlError::DuplicateAttribute { .. }
            | XmlError::Namespace { .. }
            | XmlError::InvalidName { .. }
            | XmlError::MalformedAttribute { .. }
            | XmlError::MismatchedEndTag { .. }
            | XmlError::Syntax { .. }
            | XmlError::Truncated { .. }
            | XmlError::Structure { .. } => FaultCode::MalformedMessage,
            XmlError::DuplicateId { .. } => FaultCode::DuplicateId,
        }
    }
}
