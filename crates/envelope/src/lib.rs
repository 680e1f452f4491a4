//! rsmev-envelope — the facts of an exchange that routing and authorization act on: protocol,
//! operation, message id, service (вид сведений), environment (test or production), and for
//! SMEV 2 the sender/recipient codes and OKTMO.
//!
//! Every fact is read from inside an element a verified signature covers, never from the rest
//! of the envelope: an attacker who can add unsigned elements (a `TestMessage` outside
//! `SenderProvidedRequestData`, a second `smev:Message` in the header) changes nothing here.
//! The only input is a [`Verified`] message, which only `rsmev-signature` can make.
//!
//! No IO, no async.
#![forbid(unsafe_code)]

mod extract;

use rsmev_fault::FaultCode;
pub use rsmev_fault::Smev3Version;
use rsmev_signature::{Message, Verified};

/// Which protocol, and which revision of it, the envelope speaks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// SMEV 3 message-exchange, in the revision its types namespace names.
    Smev3 { version: Smev3Version },
    /// SMEV 2; `namespace` is the `smev:` namespace (`http://smev.gosuslugi.ru/rev120315`, …).
    Smev2 { namespace: String },
}

/// What the caller asks SMEV (or the regional bus) to do.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    SendRequest,
    SendResponse,
    GetRequest,
    GetResponse,
    GetStatus,
    Ack,
    GetIncomingQueueStatistics,
    /// SMEV 2: the service's own operation element in the Body (its local name), e.g.
    /// `queryINNFL`.
    Smev2(String),
}

/// Test or production: test messages may only reach test endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Environment {
    Test,
    Prod,
}

impl Environment {
    pub const fn as_str(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Prod => "prod",
        }
    }
}

/// How the message names its service (вид сведений).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServiceKey {
    /// SMEV 3: the qualified name of the business element under `MessagePrimaryContent` (its
    /// namespace identifies the вид сведений, as SMEV 3 registers it).
    Smev3Root { namespace: String, local: String },
    /// SMEV 2: `smev:Service/Mnemonic` (+ `Version`) or `smev:ServiceName`.
    Smev2Mnemonic {
        mnemonic: String,
        version: Option<String>,
    },
}

/// The facts of one exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub protocol: Protocol,
    pub operation: Operation,
    /// SMEV 3 `MessageID` of `SenderProvidedRequestData`/`SenderProvidedResponseData` (always
    /// present for SendRequest and SendResponse, `None` for the other operations); SMEV 2
    /// `smev:Header/MessageId` when a node's header carrying one is signed (a participant's
    /// own request usually has none).
    pub message_id: Option<String>,
    /// `Test` when the signed part carries `TestMessage` (SMEV 3) or `TestMsg` (SMEV 2).
    pub environment: Environment,
    /// The service, when the message names one: SendRequest always, SendResponse with
    /// content, GetRequest/GetResponse with a selector naming a root element, SMEV 2 with
    /// `Service` or `ServiceName`.
    pub service: Option<ServiceKey>,
    /// SMEV 2 `smev:Message/Sender/Code` (always `Some` for SMEV 2, `None` for SMEV 3). The
    /// message asserts it; checking it against the signer's certificate is authorization's job.
    pub sender_code: Option<String>,
    /// SMEV 2 `smev:Message/Recipient/Code` (always `Some` for SMEV 2, `None` for SMEV 3).
    pub recipient_code: Option<String>,
    /// SMEV 2 `smev:Message/OKTMO`.
    pub oktmo: Option<String>,
}

/// Why the facts could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Not a SOAP Envelope with a Body, or the Body's element is neither an SMEV 3 operation
    /// of a known revision (1.1–1.3) nor a SMEV 2 operation holding `smev:Message`.
    #[error("the message is not a SOAP envelope of SMEV 2 or SMEV 3")]
    NotSmev,
    /// An SMEV 3 element that is no request a participant sends (`GetResponseResponse`, a
    /// 1.3 `GetIncomingQueueStatisticsRequest`, …).
    #[error("`{0}` is not an operation the gateway relays")]
    UnsupportedOperation(String),
    /// A required element is absent from (or empty in) the signed part.
    #[error("the signed part lacks `{0}`")]
    Missing(&'static str),
    /// An element the schema allows once appears twice where facts are read.
    #[error("`{element}` appears more than once in the signed part")]
    Repeated { element: &'static str },
    /// The signed part states one fact in two ways that disagree: both `Service` and
    /// `ServiceName` in `smev:Message`, or signed node headers with different `MessageId`s.
    #[error("the signed part gives `{0}` two ways")]
    Conflict(&'static str),
    /// A second element in the SOAP Body after the operation element.
    #[error("the SOAP Body holds `{0}` after the operation element; SMEV has exactly one")]
    ExtraBodyElement(String),
    #[error("no verified signature covers the element that carries the exchange's facts")]
    Unsigned,
    #[error(transparent)]
    Xml(#[from] rsmev_xml::XmlError),
}

impl EnvelopeError {
    pub fn fault_code(&self) -> FaultCode {
        match self {
            EnvelopeError::NotSmev => FaultCode::MalformedMessage,
            EnvelopeError::UnsupportedOperation(_) => FaultCode::UnsupportedOperation,
            EnvelopeError::Missing(_) => FaultCode::MalformedMessage,
            EnvelopeError::Repeated { .. } => FaultCode::MalformedMessage,
            EnvelopeError::Conflict(_) => FaultCode::MalformedMessage,
            EnvelopeError::ExtraBodyElement(_) => FaultCode::MalformedMessage,
            EnvelopeError::Unsigned => FaultCode::SignedElementMismatch,
            EnvelopeError::Xml(e) => e.fault_code(),
        }
    }
}

/// Reads the exchange's facts from the signed parts of a verified message.
///
/// SMEV 3 (operation element in `…/message-exchange/types/{1.1,1.2,1.3}`): the facts come
/// from the element the caller's signature (`CallerInformationSystemSignature`) signs, and
/// from nowhere else:
///
/// | Body element | operation | signed element | message_id | service | environment |
/// |---|---|---|---|---|---|
/// | `SendRequestRequest` | `SendRequest` | `SenderProvidedRequestData` | `MessageID` (required) | `MessagePrimaryContent/*` (required) | `Test` iff `TestMessage` |
/// | `SendResponseRequest` | `SendResponse` | `SenderProvidedResponseData` | `MessageID` (required) | `MessagePrimaryContent/*` if content, else `None` (rejection, status) | `Test` iff `TestMessage` (the XSD has none: `Prod`) |
/// | `GetRequestRequest`, `GetResponseRequest` | `GetRequest`, `GetResponse` | `MessageTypeSelector` | `None` | `NamespaceURI` + `RootElementLocalName` if given | `Prod` |
/// | `AckRequest` | `Ack` | `AckTargetMessage` | `None` (its text is the *acknowledged* message's id) | `None` | `Prod` |
/// | `GetStatusRequest`, `GetIncomingQueueStatisticsRequest` (not 1.3) | `GetStatus`, `GetIncomingQueueStatistics` | `Timestamp` | `None` | `None` | `Prod` |
///
/// Anything else in an SMEV 3 namespace — notably what SMEV itself returns
/// (`GetRequestResponse`, `GetResponseResponse`, `SendRequestResponse`) — is
/// [`EnvelopeError::UnsupportedOperation`]: those are not calls a participant makes, and
/// that is decided from the Body element alone, before any signature is looked at. So a
/// `SenderInformationSystemSignature` (inside what SMEV delivers) never supplies facts here,
/// and neither does a personal signature. The signed element must be the only one of its name
/// under the operation element, and the operation element the only element in the Body.
///
/// SMEV 2 (any Body element holding `smev:Message` in a `smev.gosuslugi.ru` namespace): the
/// `smev:Message` must lie inside what a WS-Security signature with actor
/// `http://smev.gosuslugi.ru/actors/smev` signs. `Sender/Code` and `Recipient/Code` are
/// required; the service is `Service/Mnemonic` (+`Version`) or `ServiceName`; `TestMsg`
/// makes it `Test`; `message_id` is the `MessageId` of the signed node `smev:Header`s, if any.
///
/// The text is read with [`rsmev_xml::Limits::default`]; a verifier configured with wider
/// limits should use [`exchange_with_limits`] with the same limits.
pub fn exchange(verified: &Verified<Message<'_>>) -> Result<Exchange, EnvelopeError> {
    extract::exchange(verified, &rsmev_xml::Limits::default())
}

/// [`exchange`], reading the text under `limits` (those the verifier used).
pub fn exchange_with_limits(
    verified: &Verified<Message<'_>>,
    limits: &rsmev_xml::Limits,
) -> Result<Exchange, EnvelopeError> {
    extract::exchange(verified, limits)
}
