//! One read of the verified text. The SOAP skeleton (Envelope, Body, the operation element) is
//! found by structure; facts are taken only from inside an element a verified signature covers,
//! and only at the depth the schema puts them, matched by namespace URI and local name.
//!
//! Every element is classified when its start tag is read, from its parent's class alone, so
//! the read keeps one small enum per open element and copies nothing but the few texts it
//! reports. Whether an element is signed is known at its start tag too: the signatures' spans
//! were fixed by verification before this read.

use rsmev_signature::ns::{ACTOR_SMEV, SMEV3_TYPES_PREFIX, is_smev2, is_soap};
use rsmev_signature::{Message, Role, Verified, VerifiedSignature};
use rsmev_xml::{Event, Limits, Reader, StartTag};

use crate::{EnvelopeError, Environment, Exchange, Operation, Protocol, ServiceKey, Smev3Version};

/// SMEV 3's WSDL namespace is `…/message-exchange/{v}` and its types namespace
/// `…/message-exchange/types/{v}`; the operation elements are in the latter.
const SMEV3_PREFIX: &str = "urn://x-artefacts-smev-gov-ru/services/message-exchange/";
/// The revisions whose element structure this module knows (smev-protocol.md §2.3). A newer
/// one is refused rather than read by guesswork.
const SMEV3_VERSIONS: [Smev3Version; 3] = Smev3Version::ALL;

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

    /// The request and response data are `types` elements; the rest are `basic` ones.
    fn in_basic(self) -> bool {
        match self {
            Carrier::RequestData | Carrier::ResponseData => false,
            Carrier::Selector | Carrier::AckTarget | Carrier::Timestamp => true,
        }
    }
}

/// The request elements of the SMEV 3 WSDL (§2.2). Responses SMEV returns
/// (`GetResponseResponse`, …) are not operations a participant invokes.
fn smev3_operation(local: &str, version: Smev3Version) -> Option<(Operation, Carrier)> {
    Some(match local {
        "SendRequestRequest" => (Operation::SendRequest, Carrier::RequestData),
        "SendResponseRequest" => (Operation::SendResponse, Carrier::ResponseData),
        "GetRequestRequest" => (Operation::GetRequest, Carrier::Selector),
        "GetResponseRequest" => (Operation::GetResponse, Carrier::Selector),
        "GetStatusRequest" => (Operation::GetStatus, Carrier::Timestamp),
        "AckRequest" => (Operation::Ack, Carrier::AckTarget),
        // 1.3 dropped it from the WSDL.
        "GetIncomingQueueStatisticsRequest" if version != Smev3Version::V1_3 => {
            (Operation::GetIncomingQueueStatistics, Carrier::Timestamp)
        }
        _ => return None,
    })
}

/// A text the exchange reports. Each is read from one place, as a direct child of a signed
/// element (or of its `Sender`/`Recipient`/`Service` child in SMEV 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    MessageId,
    SelectorNamespace,
    SelectorLocal,
    SenderCode,
    RecipientCode,
    Mnemonic,
    Version,
    ServiceName,
    Oktmo,
    /// `smev:Header/MessageId` of the node header being read.
    NodeMessageId,
}

const FIELDS: usize = 10;

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::MessageId => "MessageID",
            Field::SelectorNamespace => "NamespaceURI",
            Field::SelectorLocal => "RootElementLocalName",
            Field::SenderCode => "Sender/Code",
            Field::RecipientCode => "Recipient/Code",
            Field::Mnemonic => "Service/Mnemonic",
            Field::Version => "Service/Version",
            Field::ServiceName => "ServiceName",
            Field::Oktmo => "OKTMO",
            Field::NodeMessageId => "smev:Header/MessageId",
        }
    }
}

/// What an open element is, as far as the exchange's facts go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    Envelope,
    SoapHeader,
    Body,
    Operation,
    /// A `smev:Header` block a verified WS-Security signature covers.
    NodeHeader,
    /// The SMEV 3 carrier, covered by the caller's signature.
    Carrier,
    PrimaryContent,
    /// `smev:Message`, covered by the participant's WS-Security signature.
    SmevMessage,
    Sender,
    Recipient,
    Service,
    Text(Field),
    /// Nothing here or below is read.
    Skip,
}

enum Mode {
    Smev3 {
        version: Smev3Version,
        operation: Operation,
        carrier: Carrier,
        types_ns: String,
        basic_ns: String,
    },
    /// Not SMEV 3: SMEV 2 once a `smev:Message` turns up under the operation element.
    Smev2 { operation: String },
}

/// Counts of elements that may appear once; a second one is refused, never "first wins".
#[derive(Default)]
struct Seen {
    body: bool,
    carrier: bool,
    test: bool,
    primary_content: bool,
    root: bool,
    message: bool,
    sender: bool,
    recipient: bool,
    service: bool,
}

fn once(seen: &mut bool, element: &'static str) -> Result<(), EnvelopeError> {
    if std::mem::replace(seen, true) {
        Err(EnvelopeError::Repeated { element })
    } else {
        Ok(())
    }
}

struct Extractor<'v> {
    signatures: &'v [VerifiedSignature],
    soap_ns: String,
    mode: Option<Mode>,
    seen: Seen,
    /// The SMEV 3 carrier was covered by the caller's signature.
    carrier_signed: bool,
    /// `smev:Message` was covered by the participant's signature, and its namespace.
    message_signed: bool,
    message_ns: String,
    /// SMEV 3: the element under `MessagePrimaryContent`.
    root: Option<(String, String)>,
    fields: [Option<String>; FIELDS],
    /// `MessageId`s of the signed node headers, in document order.
    node_ids: Vec<String>,
}

/// A verified signature of this role covers the element starting at `pos`: it is one of the
/// signature's own targets (SMEV 3 signs the carrier itself, by Id).
fn targets(sigs: &[VerifiedSignature], role: &Role, pos: usize) -> bool {
    sigs.iter()
        .any(|s| &s.role == role && s.signed.iter().any(|e| e.pos == pos))
}

/// A verified WS-Security signature (of `actor`, or any actor) covers the element starting at
/// `pos`: it lies inside one of the signature's targets (SMEV 2 signs the whole Body).
fn inside_ws(sigs: &[VerifiedSignature], actor: Option<&str>, pos: usize) -> bool {
    sigs.iter().any(|s| {
        matches!(&s.role, Role::WsSecurity { actor: a } if actor.is_none_or(|want| a == want))
            && s.signed.iter().any(|e| e.pos <= pos && pos < e.end)
    })
}

/// Character data as the schema types involved read it: whitespace around the value is
/// never part of it (UUID, NCName, anyURI, codes), and an empty value is no value.
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

impl<'v> Extractor<'v> {
    fn new(signatures: &'v [VerifiedSignature]) -> Self {
        Extractor {
            signatures,
            soap_ns: String::new(),
            mode: None,
            seen: Seen::default(),
            carrier_signed: false,
            message_signed: false,
            message_ns: String::new(),
            root: None,
            fields: Default::default(),
            node_ids: Vec::new(),
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

    /// Classifies the element whose start tag was just read, given its parent's class.
    fn start(&mut self, parent: Option<Frame>, t: &StartTag<'_>) -> Result<Frame, EnvelopeError> {
        let ns: &str = &t.ns;
        let local = t.local;
        let Some(parent) = parent else {
            if local == "Envelope" && is_soap(ns) {
                self.soap_ns = ns.to_string();
                return Ok(Frame::Envelope);
            }
            return Err(EnvelopeError::NotSmev);
        };
        match parent {
            Frame::Envelope if ns == self.soap_ns && local == "Header" => Ok(Frame::SoapHeader),
            Frame::Envelope if ns == self.soap_ns && local == "Body" => {
                once(&mut self.seen.body, "Body")?;
                Ok(Frame::Body)
            }
            // A node's header counts only if a node signed it (each hop signs its own).
            Frame::SoapHeader
                if local == "Header" && is_smev2(ns) && inside_ws(self.signatures, None, t.pos) =>
            {
                self.fields[Field::NodeMessageId as usize] = None;
                Ok(Frame::NodeHeader)
            }
            Frame::NodeHeader if local == "MessageId" && is_smev2(ns) => {
                self.text(Field::NodeMessageId)
            }
            Frame::Body => self.operation(t),
            Frame::Operation => self.operation_child(t),
            Frame::Carrier => self.carrier_child(t),
            Frame::PrimaryContent => {
                // The schema allows exactly one business element: a second would leave the
                // service ambiguous.
                once(&mut self.seen.root, "MessagePrimaryContent/*")?;
                self.root = Some((ns.to_string(), local.to_string()));
                Ok(Frame::Skip)
            }
            Frame::SmevMessage => self.message_child(t),
            Frame::Sender if ns == self.message_ns && local == "Code" => {
                self.text(Field::SenderCode)
            }
            Frame::Recipient if ns == self.message_ns && local == "Code" => {
                self.text(Field::RecipientCode)
            }
            Frame::Service if ns == self.message_ns && local == "Mnemonic" => {
                self.text(Field::Mnemonic)
            }
            Frame::Service if ns == self.message_ns && local == "Version" => {
                self.text(Field::Version)
            }
            _ => Ok(Frame::Skip),
        }
    }

    /// The Body's element: which protocol and operation.
    fn operation(&mut self, t: &StartTag<'_>) -> Result<Frame, EnvelopeError> {
        if self.mode.is_some() {
            // SOAP 1.1 allows several body entries; SMEV has one, and a second (unsigned in
            // SMEV 3) would be there only to be read by someone else.
            return Err(EnvelopeError::ExtraBodyElement(t.local.to_string()));
        }
        self.mode = Some(match family(&t.ns) {
            Family::Smev3(version) => {
                let (operation, carrier) = smev3_operation(t.local, version)
                    .ok_or_else(|| EnvelopeError::UnsupportedOperation(t.local.to_string()))?;
                Mode::Smev3 {
                    version,
                    operation,
                    carrier,
                    types_ns: format!("{SMEV3_TYPES_PREFIX}{version}"),
                    basic_ns: format!("{SMEV3_TYPES_PREFIX}basic/{version}"),
                }
            }
            Family::UnknownSmev3 => return Err(EnvelopeError::NotSmev),
            Family::Other => Mode::Smev2 {
                operation: t.local.to_string(),
            },
        });
        Ok(Frame::Operation)
    }

    fn operation_child(&mut self, t: &StartTag<'_>) -> Result<Frame, EnvelopeError> {
        match &self.mode {
            Some(Mode::Smev3 {
                carrier,
                types_ns,
                basic_ns,
                ..
            }) => {
                let want_ns = if carrier.in_basic() {
                    basic_ns
                } else {
                    types_ns
                };
                if t.local != carrier.local() || *t.ns != **want_ns {
                    return Ok(Frame::Skip);
                }
                let carrier = *carrier;
                once(&mut self.seen.carrier, carrier.local())?;
                // Only the caller's own signature speaks for the caller: a personal signature
                // or one SMEV made over something else does not.
                self.carrier_signed =
                    targets(self.signatures, &Role::CallerInformationSystem, t.pos);
                Ok(if self.carrier_signed {
                    Frame::Carrier
                } else {
                    Frame::Skip
                })
            }
            Some(Mode::Smev2 { .. }) if t.local == "Message" && is_smev2(&t.ns) => {
                once(&mut self.seen.message, "Message")?;
                self.message_ns = t.ns.to_string();
                self.message_signed = inside_ws(self.signatures, Some(ACTOR_SMEV), t.pos);
                Ok(if self.message_signed {
                    Frame::SmevMessage
                } else {
                    Frame::Skip
                })
            }
            _ => Ok(Frame::Skip),
        }
    }

    /// A direct child of the signed SMEV 3 carrier.
    fn carrier_child(&mut self, t: &StartTag<'_>) -> Result<Frame, EnvelopeError> {
        let Some(Mode::Smev3 {
            carrier,
            types_ns,
            basic_ns,
            ..
        }) = &self.mode
        else {
            return Ok(Frame::Skip);
        };
        let carrier = *carrier;
        let in_types = *t.ns == **types_ns;
        let in_basic = *t.ns == **basic_ns;
        match (carrier, t.local) {
            (Carrier::RequestData | Carrier::ResponseData, "MessageID") if in_types => {
                self.text(Field::MessageId)
            }
            (Carrier::RequestData | Carrier::ResponseData, "TestMessage") if in_types => {
                once(&mut self.seen.test, "TestMessage")?;
                Ok(Frame::Skip)
            }
            (Carrier::RequestData | Carrier::ResponseData, "MessagePrimaryContent") if in_basic => {
                once(&mut self.seen.primary_content, "MessagePrimaryContent")?;
                Ok(Frame::PrimaryContent)
            }
            (Carrier::Selector, "NamespaceURI") if in_basic => self.text(Field::SelectorNamespace),
            (Carrier::Selector, "RootElementLocalName") if in_basic => {
                self.text(Field::SelectorLocal)
            }
            _ => Ok(Frame::Skip),
        }
    }

    /// A direct child of the signed `smev:Message`.
    fn message_child(&mut self, t: &StartTag<'_>) -> Result<Frame, EnvelopeError> {
        if *t.ns != *self.message_ns {
            return Ok(Frame::Skip);
        }
        match t.local {
            "Sender" => {
                once(&mut self.seen.sender, "Sender")?;
                Ok(Frame::Sender)
            }
            "Recipient" => {
                once(&mut self.seen.recipient, "Recipient")?;
                Ok(Frame::Recipient)
            }
            "Service" => {
                once(&mut self.seen.service, "Service")?;
                Ok(Frame::Service)
            }
            "ServiceName" => self.text(Field::ServiceName),
            "OKTMO" => self.text(Field::Oktmo),
            "TestMsg" => {
                once(&mut self.seen.test, "TestMsg")?;
                Ok(Frame::Skip)
            }
            _ => Ok(Frame::Skip),
        }
    }

    /// An element closed.
    fn end(&mut self, frame: Frame) {
        if frame == Frame::NodeHeader
            && let Some(id) = self.take(Field::NodeMessageId)
        {
            self.node_ids.push(id);
        }
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
            Carrier::AckTarget | Carrier::Timestamp => {}
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
        // Every node on the way adds its own header with the same MessageId; headers that
        // disagree leave no message id to trust.
        let mut ids = std::mem::take(&mut self.node_ids);
        ids.dedup();
        let message_id = match ids.len() {
            0 | 1 => ids.pop(),
            _ => return Err(EnvelopeError::Conflict(Field::NodeMessageId.name())),
        };
        let oktmo = self.take(Field::Oktmo);
        Ok(Exchange {
            protocol: Protocol::Smev2 {
                namespace: std::mem::take(&mut self.message_ns),
            },
            operation: Operation::Smev2(operation),
            message_id,
            environment: self.environment(),
            service,
            sender_code: Some(sender_code),
            recipient_code: Some(recipient_code),
            oktmo,
        })
    }

    fn environment(&self) -> Environment {
        if self.seen.test {
            Environment::Test
        } else {
            Environment::Prod
        }
    }
}

pub(crate) fn exchange(
    verified: &Verified<Message<'_>>,
    limits: &Limits,
) -> Result<Exchange, EnvelopeError> {
    let mut x = Extractor::new(verified.signatures());
    let mut r = Reader::new(verified.get().text(), limits.clone());
    let mut stack: Vec<Frame> = Vec::with_capacity(32);
    loop {
        match r.next()? {
            Event::Start => {
                let frame = match stack.last() {
                    // Below an unread element nothing is read: no tag is looked at.
                    Some(Frame::Skip | Frame::Text(_)) => Frame::Skip,
                    parent => x.start(parent.copied(), r.start_tag())?,
                };
                stack.push(frame);
            }
            Event::End { .. } => {
                let Some(frame) = stack.pop() else { break };
                x.end(frame);
                // Nothing after the Body bears on the exchange.
                if frame == Frame::Body {
                    break;
                }
            }
            Event::Text(s) | Event::CData(s) => {
                if let Some(Frame::Text(f)) = stack.last()
                    && let Some(buf) = &mut x.fields[*f as usize]
                {
                    buf.push_str(s);
                }
            }
            Event::Ref(c) => {
                if let Some(Frame::Text(f)) = stack.last()
                    && let Some(buf) = &mut x.fields[*f as usize]
                {
                    buf.push(c);
                }
            }
            Event::Comment(_) | Event::Pi { .. } => {}
            Event::Eof => break,
        }
    }
    x.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            smev3_operation("SendRequestRequest", Smev3Version::V1_1),
            Some((Operation::SendRequest, Carrier::RequestData))
        );
        assert_eq!(
            smev3_operation("GetIncomingQueueStatisticsRequest", Smev3Version::V1_2),
            Some((Operation::GetIncomingQueueStatistics, Carrier::Timestamp))
        );
        assert_eq!(
            smev3_operation("GetIncomingQueueStatisticsRequest", Smev3Version::V1_3),
            None
        );
        for responses in [
            "SendRequestResponse",
            "GetRequestResponse",
            "GetResponseResponse",
            "AckResponse",
            "sendrequestrequest",
        ] {
            assert_eq!(smev3_operation(responses, Smev3Version::V1_1), None);
        }
    }

    #[test]
    fn values_are_trimmed_and_empty_is_none() {
        assert_eq!(value(None), None);
        assert_eq!(value(Some(" \n\t".into())), None);
        assert_eq!(value(Some("a".into())).as_deref(), Some("a"));
        assert_eq!(value(Some("\n a b \r".into())).as_deref(), Some("a b"));
    }
}
