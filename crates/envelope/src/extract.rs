//! One read of the verified text. The SOAP skeleton (Envelope, Header, Body, the operation
//! element, the carrier) is checked against the schemas' sequences (`shape.rs`) as it is read;
//! facts are taken only from inside the element the message's *origin* signature covers, and
//! only at the depth the schema puts them, matched by namespace URI and local name.
//!
//! Every element is classified when its start tag is read, from its parent's class alone, so
//! the read keeps one small enum (and, for checked containers, a sequence cursor) per open
//! element and copies nothing but the few texts it reports. Whether an element is covered by
//! the origin signature is known at its start tag too: the signatures' spans were fixed by
//! verification before this read.

use rsmev_signature::ns::{DS, SMEV3_TYPES_PREFIX, WSSE, is_smev2, is_soap};
use rsmev_signature::{Message, Role, Verified, VerifiedSignature};
use rsmev_xml::{Event, Limits, Reader, StartTag};

use crate::shape::{self, Ns, Seq};
use crate::{
    Ack, Answer, AnswerKind, EnvelopeError, Environment, Exchange, Operation, Protocol, ServiceKey,
    Smev3Version,
};

/// SMEV 3's WSDL namespace is `…/message-exchange/{v}` and its types namespace
/// `…/message-exchange/types/{v}`; the operation elements are in the latter.
const SMEV3_PREFIX: &str = "urn://x-artefacts-smev-gov-ru/services/message-exchange/";
/// Every SMEV 3 namespace (types, basic, faults, routing, business schemas of SMEV itself).
const SMEV_ARTEFACTS: &str = "urn://x-artefacts-smev-gov-ru/";
/// The revisions whose element structure this module knows (smev-protocol.md §2.3). A newer
/// one is refused rather than read by guesswork.
const SMEV3_VERSIONS: [Smev3Version; 3] = Smev3Version::ALL;
/// Header blocks kept to be judged once the Body says which protocol this is.
const MAX_HEADER_BLOCKS: usize = 64;

/// What the namespace of the Body's first element says about the protocol.
enum Family {
    /// An SMEV 3 operation namespace of a known revision.
    Smev3(Smev3Version),
    /// Something under the SMEV 3 prefix that is no operation namespace this module knows
    /// (an unknown revision, or `…/types/basic/1.1`).
    UnknownSmev3,
    /// Anything else: a SMEV 2 service's own operation element, or not SMEV at all.
    Other,
}

fn family(ns: &str) -> Family {
    let Some(rest) = ns.strip_prefix(SMEV3_PREFIX) else {
        return Family::Other;
    };
    let version = rest.strip_prefix("types/").unwrap_or(rest);
    SMEV3_VERSIONS
        .into_iter()
        .find(|v| v.as_str() == version)
        .map_or(Family::UnknownSmev3, Family::Smev3)
}

/// The element under an SMEV 3 operation element that the caller's signature covers, and so
/// the only place the operation's facts may come from (types XSD annotations, §2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Carrier {
    RequestData,
    ResponseData,
    Selector,
    AckTarget,
    Timestamp,
}

impl Carrier {
    fn local(self) -> &'static str {
        match self {
            Carrier::RequestData => "SenderProvidedRequestData",
            Carrier::ResponseData => "SenderProvidedResponseData",
            Carrier::Selector => "MessageTypeSelector",
            Carrier::AckTarget => "AckTargetMessage",
            Carrier::Timestamp => "Timestamp",
        }
    }

    /// The carrier's children, as the schema orders them (`None`: text only).
    fn content(self) -> Option<Seq> {
        match self {
            Carrier::RequestData => Some(Seq::new(self.local(), shape::REQUEST_DATA)),
            Carrier::ResponseData => Some(Seq::response_data()),
            Carrier::Selector => Some(Seq::new(self.local(), shape::SELECTOR)),
            Carrier::AckTarget | Carrier::Timestamp => None,
        }
    }
}

/// The request elements of the SMEV 3 WSDL (§2.2) with their children's sequence.
fn smev3_operation(
    local: &str,
    version: Smev3Version,
) -> Option<(Operation, Carrier, &'static [shape::P])> {
    Some(match local {
        "SendRequestRequest" => (
            Operation::SendRequest,
            Carrier::RequestData,
            shape::SEND_REQUEST,
        ),
        "SendResponseRequest" => (
            Operation::SendResponse,
            Carrier::ResponseData,
            shape::SEND_RESPONSE,
        ),
        "GetRequestRequest" => (Operation::GetRequest, Carrier::Selector, shape::GET_MESSAGE),
        "GetResponseRequest" => (
            Operation::GetResponse,
            Carrier::Selector,
            shape::GET_MESSAGE,
        ),
        "GetStatusRequest" => (Operation::GetStatus, Carrier::Timestamp, shape::GET_STATUS),
        "AckRequest" => (Operation::Ack, Carrier::AckTarget, shape::ACK),
        // 1.3 dropped it from the WSDL.
        "GetIncomingQueueStatisticsRequest" if version != Smev3Version::V1_3 => (
            Operation::GetIncomingQueueStatistics,
            Carrier::Timestamp,
            shape::QUEUE_STATISTICS,
        ),
        _ => return None,
    })
}

/// What SMEV answers (§2.2): not operations a participant invokes, read by [`answer`].
fn smev3_answer(local: &str) -> Option<AnswerKind> {
    Some(match local {
        "SendRequestResponse" => AnswerKind::SendRequestResponse,
        "SendResponseResponse" => AnswerKind::SendResponseResponse,
        "GetRequestResponse" => AnswerKind::GetRequestResponse,
        "GetResponseResponse" => AnswerKind::GetResponseResponse,
        "GetStatusResponse" => AnswerKind::GetStatusResponse,
        "AckResponse" => AnswerKind::AckResponse,
        "GetIncomingQueueStatisticsResponse" => AnswerKind::GetIncomingQueueStatisticsResponse,
        _ => return None,
    })
}

/// A text the exchange reports. Each is read from one place, as a direct child of a signed
/// element (or of its `Sender`/`Recipient`/`Service` child in SMEV 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    MessageId,
    ReferenceMessageId,
    To,
    SelectorNamespace,
    SelectorLocal,
    /// `MessageTypeSelector/Timestamp`, the `Timestamp` carrier, SMEV 2 `smev:Message/Date`.
    Timestamp,
    /// The text of `AckTargetMessage`: the acknowledged message's id.
    AckTarget,
    SenderCode,
    RecipientCode,
    Mnemonic,
    Version,
    ServiceName,
    Oktmo,
    RequestIdRef,
    /// `smev:Header/MessageId` of the origin's node header.
    NodeMessageId,
    /// `MessageMetadata/MessageId` of an SMEV answer.
    MetadataMessageId,
}

const FIELDS: usize = 16;

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::MessageId => "MessageID",
            Field::ReferenceMessageId => "ReferenceMessageID",
            Field::To => "To",
            Field::SelectorNamespace => "NamespaceURI",
            Field::SelectorLocal => "RootElementLocalName",
            Field::Timestamp => "Timestamp",
            Field::AckTarget => "AckTargetMessage",
            Field::SenderCode => "Sender/Code",
            Field::RecipientCode => "Recipient/Code",
            Field::Mnemonic => "Service/Mnemonic",
            Field::Version => "Service/Version",
            Field::ServiceName => "ServiceName",
            Field::Oktmo => "OKTMO",
            Field::RequestIdRef => "RequestIdRef",
            Field::NodeMessageId => "smev:Header/MessageId",
            Field::MetadataMessageId => "MessageMetadata/MessageId",
        }
    }
}

/// What an open element is, as far as the exchange's facts and shape go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    Envelope,
    SoapHeader,
    Body,
    Operation,
    /// The origin's own `smev:Header` block (SMEV 2 node hop).
    NodeHeader,
    /// The SMEV 3 carrier, covered by the origin signature.
    Carrier,
    PrimaryContent,
    /// `smev:Message`, covered by the origin signature.
    SmevMessage,
    Sender,
    Recipient,
    Service,
    /// An SMEV answer's `MessageMetadata` covered by the origin (SMEV's signature).
    Metadata,
    Text(Field),
    /// Nothing here or below is read, but its shape is not checked either: a header block of
    /// another namespace, or an element whose parent's sequence already placed it.
    Skip,
}

/// What the read is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Request,
    Answer,
}

enum Mode {
    Smev3 {
        version: Smev3Version,
        operation: Operation,
        carrier: Carrier,
        types_ns: String,
        basic_ns: String,
    },
    Smev3Answer {
        version: Smev3Version,
        kind: AnswerKind,
        types_ns: String,
    },
    /// Not SMEV 3: SMEV 2 once a `smev:Message` turns up under the operation element.
    Smev2 { operation: String },
}

/// Counts of elements that may appear once; a second one is refused, never "first wins".
#[derive(Default)]
struct Seen {
    header: bool,
    body: bool,
    carrier: bool,
    test: bool,
    primary_content: bool,
    root: bool,
    message: bool,
    sender: bool,
    recipient: bool,
    service: bool,
    metadata: bool,
    /// The operation element has an element child (an answer's content).
    operation_content: bool,
}

fn once(seen: &mut bool, element: &'static str) -> Result<(), EnvelopeError> {
    if std::mem::replace(seen, true) {
        Err(EnvelopeError::Repeated { element })
    } else {
        Ok(())
    }
}

struct Extractor<'v> {
    purpose: Purpose,
    /// `None` (profile `any`): nothing is covered, every fact is unsigned.
    origin: Option<&'v VerifiedSignature>,
    soap_ns: String,
    /// Header blocks, judged at the Body's operation element: (namespace, local name).
    header_blocks: Vec<(String, String)>,
    mode: Option<Mode>,
    seen: Seen,
    /// The SMEV 3 carrier was covered by the origin signature.
    carrier_signed: bool,
    /// `smev:Message` was covered by the origin signature, and its namespace.
    message_signed: bool,
    message_ns: String,
    /// SMEV 3: the element under `MessagePrimaryContent`.
    root: Option<(String, String)>,
    fields: [Option<String>; FIELDS],
    /// `AckTargetMessage/@accepted`.
    accepted: Option<bool>,
}

/// The origin signature covers the element starting at `pos` as one of its own targets
/// (SMEV 3 signs the carrier itself, by Id).
fn targets(origin: Option<&VerifiedSignature>, pos: usize) -> bool {
    origin.is_some_and(|o| o.signed.iter().any(|e| e.pos == pos))
}

/// The origin signature covers the element starting at `pos`: it lies inside one of the
/// signature's targets (SMEV 2 signs the whole Body).
fn inside(origin: Option<&VerifiedSignature>, pos: usize) -> bool {
    origin.is_some_and(|o| o.signed.iter().any(|e| e.pos <= pos && pos < e.end))
}

/// Character data as the schema types involved read it: whitespace around the value is
/// never part of it (UUID, NCName, anyURI, codes, dateTime), and an empty value is no value.
fn value(text: Option<String>) -> Option<String> {
    let text = text?;
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r']);
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == text.len() {
        Some(text)
    } else {
        Some(trimmed.to_string())
    }
}

/// An element stands where the SMEV schemas allow none.
fn schema(container: &'static str, what: String) -> EnvelopeError {
    EnvelopeError::Schema { container, what }
}

impl<'v> Extractor<'v> {
    fn new(purpose: Purpose, origin: Option<&'v VerifiedSignature>) -> Self {
        Extractor {
            purpose,
            origin,
            soap_ns: String::new(),
            header_blocks: Vec::new(),
            mode: None,
            seen: Seen::default(),
            carrier_signed: false,
            message_signed: false,
            message_ns: String::new(),
            root: None,
            fields: Default::default(),
            accepted: None,
        }
    }

    /// Starts collecting a text; a second occurrence of the same field is refused.
    fn text(&mut self, field: Field) -> Result<Frame, EnvelopeError> {
        let slot = &mut self.fields[field as usize];
        if slot.is_some() {
            return Err(EnvelopeError::Repeated {
                element: field.name(),
            });
        }
        *slot = Some(String::new());
        Ok(Frame::Text(field))
    }

    fn take(&mut self, field: Field) -> Option<String> {
        value(self.fields[field as usize].take())
    }

    /// Was the field's element present at all, empty or not?
    fn present(&self, field: Field) -> bool {
        self.fields[field as usize].is_some()
    }

    /// The namespace kind of an element under an SMEV 3 operation.
    fn smev3_ns(&self, ns: &str) -> Option<Ns> {
        match &self.mode {
            Some(Mode::Smev3 {
                types_ns, basic_ns, ..
            }) => {
                if ns == types_ns {
                    Some(Ns::Types)
                } else if ns == basic_ns {
                    Some(Ns::Basic)
                } else if ns
                    == "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/routing/1.3"
                {
                    Some(Ns::Routing)
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// Classifies the element whose start tag was just read, given its parent's class; the
    /// parent's sequence (if it has one) takes the child first.
    fn start(
        &mut self,
        parent: Option<Frame>,
        seq: Option<&mut Seq>,
        t: &StartTag<'_>,
    ) -> Result<(Frame, Option<Seq>), EnvelopeError> {
        let ns: &str = &t.ns;
        let local = t.local;
        let Some(parent) = parent else {
            if local == "Envelope" && is_soap(ns) {
                self.soap_ns = ns.to_string();
                return Ok((Frame::Envelope, None));
            }
            return Err(EnvelopeError::NotSmev);
        };
        let frame = match parent {
            Frame::Envelope => {
                if ns != self.soap_ns {
                    return Err(schema("Envelope", format!("`{local}` ({ns})")));
                }
                match local {
                    "Header" if !self.seen.body => {
                        once(&mut self.seen.header, "Header")?;
                        Frame::SoapHeader
                    }
                    "Body" => {
                        once(&mut self.seen.body, "Body")?;
                        Frame::Body
                    }
                    // SOAP 1.1 allows elements after the Body; SMEV does not, and whoever reads
                    // the envelope next should not find anything there.
                    _ => return Err(schema("Envelope", format!("`{local}`"))),
                }
            }
            Frame::SoapHeader => {
                if self.header_blocks.len() >= MAX_HEADER_BLOCKS {
                    return Err(schema(
                        "Header",
                        format!("more than {MAX_HEADER_BLOCKS} blocks"),
                    ));
                }
                self.header_blocks.push((ns.to_string(), local.to_string()));
                if local == "Header" && is_smev2(ns) && inside(self.origin, t.pos) {
                    // The node header the origin's own signature covers (each hop signs its
                    // own): the only one whose MessageId is this message's.
                    if self.origin_signs_header(t.pos) {
                        self.fields[Field::NodeMessageId as usize] = None;
                        Frame::NodeHeader
                    } else {
                        Frame::Skip
                    }
                } else {
                    Frame::Skip
                }
            }
            Frame::NodeHeader if local == "MessageId" && is_smev2(ns) => {
                self.text(Field::NodeMessageId)?
            }
            Frame::Body => return self.operation(t),
            Frame::Operation => return self.operation_child(seq, t),
            Frame::Carrier => return self.carrier_child(seq, t),
            Frame::PrimaryContent => {
                // The schema allows exactly one business element: a second would leave the
                // service ambiguous.
                once(&mut self.seen.root, "MessagePrimaryContent/*")?;
                self.root = Some((ns.to_string(), local.to_string()));
                Frame::Skip
            }
            Frame::SmevMessage => return self.message_child(seq, t),
            Frame::Sender if ns == self.message_ns && local == "Code" => {
                self.text(Field::SenderCode)?
            }
            Frame::Recipient if ns == self.message_ns && local == "Code" => {
                self.text(Field::RecipientCode)?
            }
            Frame::Service if ns == self.message_ns && local == "Mnemonic" => {
                self.text(Field::Mnemonic)?
            }
            Frame::Service if ns == self.message_ns && local == "Version" => {
                self.text(Field::Version)?
            }
            Frame::Metadata if local == "MessageId" && self.in_answer_types(ns) => {
                self.text(Field::MetadataMessageId)?
            }
            _ => Frame::Skip,
        };
        Ok((frame, None))
    }

    /// Is the node header starting at `pos` one of the origin's own targets?
    fn origin_signs_header(&self, pos: usize) -> bool {
        self.origin
            .is_some_and(|o| matches!(o.role, Role::WsSecurity { .. }))
            && targets(self.origin, pos)
    }

    fn in_answer_types(&self, ns: &str) -> bool {
        matches!(&self.mode, Some(Mode::Smev3Answer { types_ns, .. }) if ns == types_ns)
    }

    /// The Body's element: which protocol and operation; the Header judged now that it is
    /// known.
    fn operation(&mut self, t: &StartTag<'_>) -> Result<(Frame, Option<Seq>), EnvelopeError> {
        if self.mode.is_some() {
            // SOAP 1.1 allows several body entries; SMEV has one, and a second (unsigned in
            // SMEV 3) would be there only to be read by someone else.
            return Err(EnvelopeError::ExtraBodyElement(t.local.to_string()));
        }
        let (mode, seq) = match family(&t.ns) {
            Family::Smev3(version) => {
                let types_ns = format!("{SMEV3_TYPES_PREFIX}{}", version.as_str());
                match (
                    self.purpose,
                    smev3_operation(t.local, version),
                    smev3_answer(t.local),
                ) {
                    (Purpose::Request, Some((operation, carrier, children)), _) => (
                        Mode::Smev3 {
                            version,
                            operation,
                            carrier,
                            types_ns,
                            basic_ns: format!("{SMEV3_TYPES_PREFIX}basic/{}", version.as_str()),
                        },
                        Some(Seq::new(operation_name(t.local), children)),
                    ),
                    (Purpose::Answer, _, Some(kind)) => (
                        Mode::Smev3Answer {
                            version,
                            kind,
                            types_ns,
                        },
                        None,
                    ),
                    _ => return Err(EnvelopeError::UnsupportedOperation(t.local.to_string())),
                }
            }
            Family::UnknownSmev3 => return Err(EnvelopeError::NotSmev),
            Family::Other => (
                Mode::Smev2 {
                    operation: t.local.to_string(),
                },
                Some(Seq::new("SMEV 2 operation", shape::SMEV2_OPERATION)),
            ),
        };
        self.check_header(&mode)?;
        self.mode = Some(mode);
        Ok((Frame::Operation, seq))
    }

    /// What the SOAP Header may hold: SMEV 3 uses none of its own elements there; SMEV 2 only
    /// the nodes' `smev:Header` blocks beside WS-Security. Blocks of other namespaces (WS-
    /// Addressing and the like) are not SMEV's to forbid.
    fn check_header(&self, mode: &Mode) -> Result<(), EnvelopeError> {
        for (ns, local) in &self.header_blocks {
            let smev3 = ns.starts_with(SMEV_ARTEFACTS);
            let allowed = match mode {
                Mode::Smev3 { .. } | Mode::Smev3Answer { .. } => {
                    !smev3 && ns != DS && !is_smev2(ns)
                }
                Mode::Smev2 { .. } => !smev3 && ns != DS && (!is_smev2(ns) || local == "Header"),
            };
            if !allowed {
                return Err(schema("Header", format!("`{local}` ({ns})")));
            }
        }
        // WS-Security in an SMEV 3 envelope would be a signature no profile judges.
        if matches!(mode, Mode::Smev3 { .. } | Mode::Smev3Answer { .. })
            && let Some((_, local)) = self.header_blocks.iter().find(|(ns, _)| ns == WSSE)
        {
            return Err(schema("Header", format!("`{local}` (WS-Security)")));
        }
        Ok(())
    }

    fn operation_child(
        &mut self,
        seq: Option<&mut Seq>,
        t: &StartTag<'_>,
    ) -> Result<(Frame, Option<Seq>), EnvelopeError> {
        match &self.mode {
            Some(Mode::Smev3 { carrier, .. }) => {
                let carrier = *carrier;
                let kind = self.smev3_ns(&t.ns);
                if let Some(seq) = seq {
                    seq.child(kind, t.local)?;
                }
                // The sequence placed it: an element of the carrier's name here is the carrier.
                if t.local != carrier.local() {
                    return Ok((Frame::Skip, None));
                }
                once(&mut self.seen.carrier, carrier.local())?;
                // Only the origin signature speaks for the caller: a personal signature or
                // one SMEV made over something else does not.
                self.carrier_signed = targets(self.origin, t.pos);
                if !self.carrier_signed {
                    return Ok((Frame::Skip, None));
                }
                if carrier == Carrier::AckTarget {
                    self.accepted = t
                        .attrs
                        .iter()
                        .find(|a| a.ns.is_empty() && a.local == "accepted")
                        .map(|a| matches!(a.value.trim(), "true" | "1"));
                    return Ok((self.text(Field::AckTarget)?, None));
                }
                if carrier == Carrier::Timestamp {
                    return Ok((self.text(Field::Timestamp)?, None));
                }
                Ok((Frame::Carrier, carrier.content()))
            }
            Some(Mode::Smev3Answer { .. }) => {
                self.seen.operation_content = true;
                // An SMEV answer's MessageMetadata, when SMEV's signature covers it.
                if t.local == "MessageMetadata" && self.in_answer_types(&t.ns) {
                    once(&mut self.seen.metadata, "MessageMetadata")?;
                    if targets(self.origin, t.pos) {
                        return Ok((Frame::Metadata, None));
                    }
                }
                Ok((Frame::Skip, None))
            }
            Some(Mode::Smev2 { .. }) => {
                // Not SMEV 2 at all unless the operation's first element is `smev:Message`.
                if !(self.seen.message || t.local == "Message" && is_smev2(&t.ns)) {
                    return Err(EnvelopeError::NotSmev);
                }
                if !is_smev2(&t.ns) {
                    return Err(schema(
                        "SMEV 2 operation",
                        format!("`{}` ({})", t.local, t.ns),
                    ));
                }
                if t.local == "Message" {
                    once(&mut self.seen.message, "Message")?;
                    self.message_ns = t.ns.to_string();
                } else if *t.ns != *self.message_ns {
                    return Err(schema(
                        "SMEV 2 operation",
                        format!("`{}` in another SMEV 2 revision", t.local),
                    ));
                }
                if let Some(seq) = seq {
                    seq.child(Some(Ns::Smev2), t.local)?;
                }
                if t.local != "Message" {
                    return Ok((Frame::Skip, None));
                }
                self.message_signed = inside(self.origin, t.pos);
                Ok(if self.message_signed {
                    (
                        Frame::SmevMessage,
                        Some(Seq::new("smev:Message", shape::SMEV2_MESSAGE)),
                    )
                } else {
                    (Frame::Skip, None)
                })
            }
            None => Ok((Frame::Skip, None)),
        }
    }

    /// A direct child of the signed SMEV 3 carrier.
    fn carrier_child(
        &mut self,
        seq: Option<&mut Seq>,
        t: &StartTag<'_>,
    ) -> Result<(Frame, Option<Seq>), EnvelopeError> {
        let kind = self.smev3_ns(&t.ns);
        if let Some(seq) = seq {
            seq.child(kind, t.local)?;
        }
        let Some(Mode::Smev3 { carrier, .. }) = &self.mode else {
            return Ok((Frame::Skip, None));
        };
        let carrier = *carrier;
        let frame = match (carrier, kind, t.local) {
            (Carrier::RequestData | Carrier::ResponseData, Some(Ns::Types), "MessageID") => {
                self.text(Field::MessageId)?
            }
            (Carrier::RequestData, Some(Ns::Types), "ReferenceMessageID") => {
                self.text(Field::ReferenceMessageId)?
            }
            (Carrier::ResponseData, Some(Ns::Types), "To") => self.text(Field::To)?,
            (Carrier::RequestData, Some(Ns::Types), "TestMessage") => {
                once(&mut self.seen.test, "TestMessage")?;
                Frame::Skip
            }
            (
                Carrier::RequestData | Carrier::ResponseData,
                Some(Ns::Basic),
                "MessagePrimaryContent",
            ) => {
                once(&mut self.seen.primary_content, "MessagePrimaryContent")?;
                Frame::PrimaryContent
            }
            (Carrier::Selector, Some(Ns::Basic), "NamespaceURI") => {
                self.text(Field::SelectorNamespace)?
            }
            (Carrier::Selector, Some(Ns::Basic), "RootElementLocalName") => {
                self.text(Field::SelectorLocal)?
            }
            (Carrier::Selector, Some(Ns::Basic), "Timestamp") => self.text(Field::Timestamp)?,
            _ => Frame::Skip,
        };
        Ok((frame, None))
    }

    /// A direct child of the signed `smev:Message`.
    fn message_child(
        &mut self,
        seq: Option<&mut Seq>,
        t: &StartTag<'_>,
    ) -> Result<(Frame, Option<Seq>), EnvelopeError> {
        if *t.ns != *self.message_ns {
            return Err(schema("smev:Message", format!("`{}` ({})", t.local, t.ns)));
        }
        if let Some(seq) = seq {
            seq.child(Some(Ns::Smev2), t.local)?;
        }
        let frame = match t.local {
            "Sender" => {
                once(&mut self.seen.sender, "Sender")?;
                Frame::Sender
            }
            "Recipient" => {
                once(&mut self.seen.recipient, "Recipient")?;
                Frame::Recipient
            }
            "Service" => {
                once(&mut self.seen.service, "Service")?;
                Frame::Service
            }
            "ServiceName" => self.text(Field::ServiceName)?,
            "OKTMO" => self.text(Field::Oktmo)?,
            "Date" => self.text(Field::Timestamp)?,
            "RequestIdRef" => self.text(Field::RequestIdRef)?,
            "TestMsg" => {
                once(&mut self.seen.test, "TestMsg")?;
                Frame::Skip
            }
            _ => Frame::Skip,
        };
        Ok((frame, None))
    }

    fn finish(mut self) -> Result<Exchange, EnvelopeError> {
        let mode = self.mode.take().ok_or(EnvelopeError::NotSmev)?;
        match mode {
            Mode::Smev3 {
                version,
                operation,
                carrier,
                ..
            } => self.finish_smev3(version, operation, carrier),
            Mode::Smev2 { operation } => self.finish_smev2(operation),
            Mode::Smev3Answer { .. } => Err(EnvelopeError::NotSmev),
        }
    }

    fn finish_smev3(
        mut self,
        version: Smev3Version,
        operation: Operation,
        carrier: Carrier,
    ) -> Result<Exchange, EnvelopeError> {
        if !self.seen.carrier {
            return Err(EnvelopeError::Missing(carrier.local()));
        }
        if !self.carrier_signed {
            return Err(EnvelopeError::Unsigned);
        }
        let mut message_id = None;
        let mut service = None;
        let mut ack = None;
        match carrier {
            Carrier::RequestData | Carrier::ResponseData => {
                message_id = Some(
                    self.take(Field::MessageId)
                        .ok_or(EnvelopeError::Missing("MessageID"))?,
                );
                // A response may carry a rejection or a status instead of content; a request
                // always names its service by its content.
                if self.seen.primary_content {
                    let (namespace, local) = self
                        .root
                        .take()
                        .ok_or(EnvelopeError::Missing("MessagePrimaryContent/*"))?;
                    service = Some(ServiceKey::Smev3Root { namespace, local });
                } else if carrier == Carrier::RequestData {
                    return Err(EnvelopeError::Missing("MessagePrimaryContent"));
                }
            }
            Carrier::Selector => {
                // The schema makes the pair optional but inseparable.
                let namespace = self.take(Field::SelectorNamespace);
                let local = self.take(Field::SelectorLocal);
                service = match (namespace, local) {
                    (Some(namespace), Some(local)) => {
                        Some(ServiceKey::Smev3Root { namespace, local })
                    }
                    (None, None) => None,
                    (Some(_), None) => {
                        return Err(EnvelopeError::Missing(Field::SelectorLocal.name()));
                    }
                    (None, Some(_)) => {
                        return Err(EnvelopeError::Missing(Field::SelectorNamespace.name()));
                    }
                };
            }
            Carrier::AckTarget => {
                ack = Some(Ack {
                    message_id: self
                        .take(Field::AckTarget)
                        .ok_or(EnvelopeError::Missing("AckTargetMessage"))?,
                    accepted: self.accepted.unwrap_or(true),
                });
            }
            Carrier::Timestamp => {}
        }
        let timestamp = self.take(Field::Timestamp);
        if matches!(carrier, Carrier::Selector | Carrier::Timestamp) && timestamp.is_none() {
            return Err(EnvelopeError::Missing("Timestamp"));
        }
        Ok(Exchange {
            protocol: Protocol::Smev3 { version },
            operation,
            message_id,
            environment: self.environment(),
            service,
            sender_code: None,
            recipient_code: None,
            oktmo: None,
            timestamp,
            reference_message_id: self.take(Field::ReferenceMessageId),
            to: self.take(Field::To),
            request_id_ref: None,
            ack,
        })
    }

    fn finish_smev2(mut self, operation: String) -> Result<Exchange, EnvelopeError> {
        if !self.seen.message {
            // A SOAP message whose Body element is neither SMEV 3 nor carries smev:Message.
            return Err(EnvelopeError::NotSmev);
        }
        if !self.message_signed {
            return Err(EnvelopeError::Unsigned);
        }
        let sender_code = self
            .take(Field::SenderCode)
            .ok_or(EnvelopeError::Missing(Field::SenderCode.name()))?;
        let recipient_code = self
            .take(Field::RecipientCode)
            .ok_or(EnvelopeError::Missing(Field::RecipientCode.name()))?;
        let service = match (self.seen.service, self.present(Field::ServiceName)) {
            (true, true) => return Err(EnvelopeError::Conflict("Service|ServiceName")),
            (true, false) => Some(ServiceKey::Smev2Mnemonic {
                mnemonic: self
                    .take(Field::Mnemonic)
                    .ok_or(EnvelopeError::Missing(Field::Mnemonic.name()))?,
                version: self.take(Field::Version),
            }),
            (false, true) => Some(ServiceKey::Smev2Mnemonic {
                mnemonic: self
                    .take(Field::ServiceName)
                    .ok_or(EnvelopeError::Missing(Field::ServiceName.name()))?,
                version: None,
            }),
            (false, false) => None,
        };
        let oktmo = self.take(Field::Oktmo);
        Ok(Exchange {
            protocol: Protocol::Smev2 {
                namespace: std::mem::take(&mut self.message_ns),
            },
            operation: Operation::Smev2(operation),
            // Only the origin's own node header carries this hop's MessageId; a participant's
            // own request has none.
            message_id: self.take(Field::NodeMessageId),
            environment: self.environment(),
            service,
            sender_code: Some(sender_code),
            recipient_code: Some(recipient_code),
            oktmo,
            timestamp: self.take(Field::Timestamp),
            reference_message_id: None,
            to: None,
            request_id_ref: self.take(Field::RequestIdRef),
            ack: None,
        })
    }

    fn finish_answer(mut self) -> Result<Answer, EnvelopeError> {
        match self.mode.take() {
            Some(Mode::Smev3Answer { version, kind, .. }) => Ok(Answer {
                version,
                kind,
                empty: !self.seen.operation_content,
                relates_to: self.take(Field::MetadataMessageId),
            }),
            _ => Err(EnvelopeError::NotSmev),
        }
    }

    fn environment(&self) -> Environment {
        if self.seen.test {
            Environment::Test
        } else {
            Environment::Prod
        }
    }
}

/// The operation element's local name as a `'static` label for shape errors.
fn operation_name(local: &str) -> &'static str {
    [
        "SendRequestRequest",
        "SendResponseRequest",
        "GetRequestRequest",
        "GetResponseRequest",
        "GetStatusRequest",
        "AckRequest",
        "GetIncomingQueueStatisticsRequest",
    ]
    .into_iter()
    .find(|n| *n == local)
    .unwrap_or("operation")
}

/// Containers whose character data must be whitespace: the schema gives them element content.
fn element_only(frame: Frame) -> Option<&'static str> {
    match frame {
        Frame::Envelope => Some("Envelope"),
        Frame::SoapHeader => Some("Header"),
        Frame::Body => Some("Body"),
        Frame::Operation => Some("operation"),
        Frame::Carrier => Some("carrier"),
        Frame::PrimaryContent => Some("MessagePrimaryContent"),
        Frame::SmevMessage => Some("smev:Message"),
        _ => None,
    }
}

fn read<'v>(
    verified: &'v Verified<Message<'_>>,
    limits: &Limits,
    purpose: Purpose,
) -> Result<Extractor<'v>, EnvelopeError> {
    let mut x = Extractor::new(purpose, verified.origin());
    let mut r = Reader::new(verified.get().text(), limits.clone());
    let mut stack: Vec<(Frame, Option<Seq>)> = Vec::with_capacity(32);
    loop {
        match r.next()? {
            Event::Start => {
                let entry = match stack.last_mut() {
                    // Below an unread element nothing is read: no tag is looked at.
                    Some((Frame::Skip | Frame::Text(_), _)) => (Frame::Skip, None),
                    Some((parent, seq)) => {
                        let parent = *parent;
                        x.start(Some(parent), seq.as_mut(), r.start_tag())?
                    }
                    None => x.start(None, None, r.start_tag())?,
                };
                stack.push(entry);
            }
            Event::End { .. } => {
                let Some((frame, seq)) = stack.pop() else {
                    break;
                };
                if let Some(seq) = seq {
                    seq.end()?;
                }
                if frame == Frame::PrimaryContent && !x.seen.root {
                    return Err(schema(
                        "MessagePrimaryContent",
                        "no business element".to_string(),
                    ));
                }
                // Nothing after the Body bears on the exchange — but nothing may stand there.
                if frame == Frame::Body {
                    if x.mode.is_none() {
                        return Err(EnvelopeError::NotSmev);
                    }
                    expect_envelope_end(&mut r)?;
                    break;
                }
            }
            Event::Text(s) | Event::CData(s) => match stack.last() {
                Some((Frame::Text(f), _)) => {
                    if let Some(buf) = &mut x.fields[*f as usize] {
                        buf.push_str(s);
                    }
                }
                Some((frame, _)) => {
                    if let Some(container) = element_only(*frame)
                        && !s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                    {
                        return Err(schema(container, "character data".to_string()));
                    }
                }
                None => {}
            },
            Event::Ref(c) => match stack.last() {
                Some((Frame::Text(f), _)) => {
                    if let Some(buf) = &mut x.fields[*f as usize] {
                        buf.push(c);
                    }
                }
                Some((frame, _)) => {
                    if let Some(container) = element_only(*frame) {
                        return Err(schema(container, "character data".to_string()));
                    }
                }
                None => {}
            },
            Event::Comment(_) | Event::Pi { .. } => {}
            Event::Eof => break,
        }
    }
    Ok(x)
}

/// After the Body only the Envelope's end tag may come.
fn expect_envelope_end(r: &mut Reader<'_>) -> Result<(), EnvelopeError> {
    loop {
        match r.next()? {
            Event::Start => {
                return Err(schema(
                    "Envelope",
                    format!("`{}` after the Body", r.start_tag().local),
                ));
            }
            Event::Text(s) if !s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) => {
                return Err(schema("Envelope", "character data".to_string()));
            }
            Event::End { .. } | Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

pub(crate) fn exchange(
    verified: &Verified<Message<'_>>,
    limits: &Limits,
) -> Result<Exchange, EnvelopeError> {
    read(verified, limits, Purpose::Request)?.finish()
}

pub(crate) fn answer(
    verified: &Verified<Message<'_>>,
    limits: &Limits,
) -> Result<Answer, EnvelopeError> {
    read(verified, limits, Purpose::Answer)?.finish_answer()
}

/// The Body element of an unsigned message, for answers SMEV sends unsigned (an empty queue, an
/// acknowledgement, queue statistics): its kind, and whether it holds any element. The facts
/// of an unsigned answer are never read.
pub(crate) fn unsigned_answer(text: &str, limits: &Limits) -> Result<Answer, EnvelopeError> {
    let mut r = Reader::new(text, limits.clone());
    let mut depth_body = None;
    let mut answer: Option<Answer> = None;
    let mut soap_ns = String::new();
    loop {
        match r.next()? {
            Event::Start => {
                let t = r.start_tag();
                match (t.depth, depth_body) {
                    (1, _) if t.local == "Envelope" && is_soap(&t.ns) => soap_ns = t.ns.to_string(),
                    (1, _) => return Err(EnvelopeError::NotSmev),
                    (2, _) if t.local == "Body" && *t.ns == *soap_ns => depth_body = Some(2),
                    (2, _) if t.local == "Header" && *t.ns == *soap_ns => {}
                    (2, _) => return Err(schema("Envelope", format!("`{}`", t.local))),
                    (3, Some(_)) => {
                        if answer.is_some() {
                            return Err(EnvelopeError::ExtraBodyElement(t.local.to_string()));
                        }
                        let version = match family(&t.ns) {
                            Family::Smev3(v) => v,
                            _ => return Err(EnvelopeError::NotSmev),
                        };
                        let kind = smev3_answer(t.local)
                            .ok_or_else(|| EnvelopeError::UnsupportedOperation(t.local.into()))?;
                        answer = Some(Answer {
                            version,
                            kind,
                            empty: true,
                            relates_to: None,
                        });
                    }
                    (4, Some(_)) => {
                        if let Some(a) = &mut answer {
                            a.empty = false;
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    answer.ok_or(EnvelopeError::NotSmev)
}

/// The words of a SOAP fault (SOAP 1.1 `faultcode`/`faultstring`, SOAP 1.2 `Code/Value` and
/// the first `Reason/Text`), each at most `MAX_FAULT_TEXT` characters. Read from an unsigned
/// message: for passing on as the sender's words, never as facts.
pub(crate) fn soap_fault(text: &str, limits: &Limits) -> Option<crate::SoapFault> {
    const MAX_FAULT_TEXT: usize = 1000;
    let mut r = Reader::new(text, limits.clone());
    let mut path: Vec<String> = Vec::new();
    let mut soap_ns = String::new();
    let mut fault = crate::SoapFault::default();
    let mut found = false;
    let mut reading: Option<u8> = None;
    loop {
        match r.next().ok()? {
            Event::Start => {
                let t = r.start_tag();
                if t.depth == 1 {
                    if t.local != "Envelope" || !is_soap(&t.ns) {
                        return None;
                    }
                    soap_ns = t.ns.to_string();
                }
                path.push(t.local.to_string());
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                reading = match p.as_slice() {
                    ["Envelope", "Body", "Fault"] if *t.ns == *soap_ns => {
                        found = true;
                        None
                    }
                    ["Envelope", "Body", "Fault", "faultcode"] => Some(0),
                    ["Envelope", "Body", "Fault", "faultstring"] => Some(1),
                    ["Envelope", "Body", "Fault", "Code", "Value"] => Some(0),
                    ["Envelope", "Body", "Fault", "Reason", "Text"] if fault.string.is_empty() => {
                        Some(1)
                    }
                    _ => None,
                };
            }
            Event::End { .. } => {
                path.pop();
                reading = None;
            }
            Event::Text(s) | Event::CData(s) => {
                let field = match reading {
                    Some(0) => &mut fault.code,
                    Some(1) => &mut fault.string,
                    _ => continue,
                };
                for c in s.chars() {
                    if field.chars().count() >= MAX_FAULT_TEXT {
                        break;
                    }
                    field.push(c);
                }
            }
            Event::Ref(c) => match reading {
                Some(0) => fault.code.push(c),
                Some(1) => fault.string.push(c),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    found.then(|| crate::SoapFault {
        code: fault.code.trim().to_string(),
        string: fault.string.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soap_faults() {
        let f11 = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
                   <s:Fault><faultcode>s:Server</faultcode><faultstring>нет &amp; сведений\
                   </faultstring></s:Fault></s:Body></s:Envelope>";
        let f = soap_fault(f11, &Limits::default()).unwrap();
        assert_eq!(
            (f.code.as_str(), f.string.as_str()),
            ("s:Server", "нет & сведений")
        );
        let f12 = "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body>\
                   <e:Fault><e:Code><e:Value>e:Receiver</e:Value></e:Code><e:Reason>\
                   <e:Text xml:lang=\"ru\">сбой</e:Text><e:Text xml:lang=\"en\">failure</e:Text>\
                   </e:Reason></e:Fault></e:Body></e:Envelope>";
        let f = soap_fault(f12, &Limits::default()).unwrap();
        assert_eq!((f.code.as_str(), f.string.as_str()), ("e:Receiver", "сбой"));
        let long = f11.replace("нет &amp; сведений", &"x".repeat(5000));
        assert_eq!(
            soap_fault(&long, &Limits::default()).unwrap().string.len(),
            1000
        );
        for not in [
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><x/></s:Body></s:Envelope>",
            "<Fault/>",
            "not xml",
        ] {
            assert_eq!(soap_fault(not, &Limits::default()), None, "{not}");
        }
    }

    #[test]
    fn families() {
        let p = SMEV3_PREFIX;
        for v in SMEV3_VERSIONS {
            assert!(matches!(family(&format!("{p}types/{v}")), Family::Smev3(x) if x == v));
            assert!(matches!(family(&format!("{p}{v}")), Family::Smev3(x) if x == v));
        }
        for ns in [
            format!("{p}types/1.4"),
            format!("{p}types/basic/1.1"),
            format!("{p}types/faults/1.2"),
            format!("{p}types/1.1/"),
            p.to_string(),
        ] {
            assert!(matches!(family(&ns), Family::UnknownSmev3), "{ns}");
        }
        for ns in [
            "",
            "http://smev.gosuslugi.ru/rev120315",
            "urn://x-artefacts-smev-gov-ru",
        ] {
            assert!(matches!(family(ns), Family::Other), "{ns}");
        }
    }

    #[test]
    fn operations() {
        assert!(matches!(
            smev3_operation("SendRequestRequest", Smev3Version::V1_1),
            Some((Operation::SendRequest, Carrier::RequestData, _))
        ));
        assert!(matches!(
            smev3_operation("GetIncomingQueueStatisticsRequest", Smev3Version::V1_2),
            Some((Operation::GetIncomingQueueStatistics, Carrier::Timestamp, _))
        ));
        assert!(smev3_operation("GetIncomingQueueStatisticsRequest", Smev3Version::V1_3).is_none());
        for responses in [
            "SendRequestResponse",
            "GetRequestResponse",
            "GetResponseResponse",
            "AckResponse",
            "sendrequestrequest",
        ] {
            assert!(smev3_operation(responses, Smev3Version::V1_1).is_none());
        }
        assert_eq!(
            smev3_answer("GetResponseResponse"),
            Some(AnswerKind::GetResponseResponse)
        );
        assert_eq!(smev3_answer("SendRequestRequest"), None);
    }

    #[test]
    fn values_are_trimmed_and_empty_is_none() {
        assert_eq!(value(None), None);
        assert_eq!(value(Some(" \n\t".into())), None);
        assert_eq!(value(Some("a".into())).as_deref(), Some("a"));
        assert_eq!(value(Some("\n a b \r".into())).as_deref(), Some("a b"));
    }
}
