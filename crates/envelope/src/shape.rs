//! The envelope's shape against the SMEV schemas: which element may stand where, in which
//! order, how often. A provider that reads "the first" or "the last" element of a name acts on
//! whatever stands there; an element the schema does not allow there — a second Body, a forged
//! request data beside the signed one, a copy re-declaring the namespace prefix, an operation in
//! the SOAP Header — is refused before anything is authorized, signed or not.
//!
//! Sequences follow the message-exchange XSDs 1.1–1.3 (`noadavis/smevsign`,
//! `smev-message-exchange-{types,basic}-{v}.xsd`) and for SMEV 2 the `smev:Message` sequence of
//! MR 2.5.x (`smev256.xsd`).

use crate::EnvelopeError;

/// Where an element's namespace is, relative to the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ns {
    /// `…/message-exchange/types/{v}`.
    Types,
    /// `…/message-exchange/types/basic/{v}`.
    Basic,
    /// `…/message-exchange/types/routing/1.3`.
    Routing,
    /// The SMEV 2 namespace of the message (`smev:`).
    Smev2,
}

/// One particle of a sequence: an element, how often it may occur (`max` 0: unbounded).
#[derive(Clone, Copy, Debug)]
pub(crate) struct P {
    pub ns: Ns,
    pub local: &'static str,
    pub min: u8,
    pub max: u8,
}

const fn p(ns: Ns, local: &'static str, min: u8, max: u8) -> P {
    P {
        ns,
        local,
        min,
        max,
    }
}

use Ns::{Basic, Routing, Smev2, Types};

pub(crate) const SEND_REQUEST: &[P] = &[
    p(Types, "SenderProvidedRequestData", 1, 1),
    p(Basic, "AttachmentContentList", 0, 1),
    p(Types, "CallerInformationSystemSignature", 0, 1),
    // 1.3 only (MR 3.5); the namespace exists in no other revision.
    p(Routing, "Routing", 0, 1),
];
pub(crate) const SEND_RESPONSE: &[P] = &[
    p(Types, "SenderProvidedResponseData", 1, 1),
    p(Basic, "AttachmentContentList", 0, 1),
    p(Types, "CallerInformationSystemSignature", 0, 1),
];
pub(crate) const GET_MESSAGE: &[P] = &[
    p(Basic, "MessageTypeSelector", 1, 1),
    p(Types, "CallerInformationSystemSignature", 0, 1),
];
pub(crate) const GET_STATUS: &[P] = &[
    p(Basic, "Timestamp", 1, 1),
    p(Types, "CallerInformationSystemSignature", 1, 1),
];
pub(crate) const ACK: &[P] = &[
    p(Basic, "AckTargetMessage", 1, 1),
    p(Types, "CallerInformationSystemSignature", 0, 1),
];
pub(crate) const QUEUE_STATISTICS: &[P] = &[
    p(Types, "NodeID", 0, 1),
    p(Basic, "Timestamp", 1, 1),
    p(Types, "CallerInformationSystemSignature", 0, 1),
];

pub(crate) const REQUEST_DATA: &[P] = &[
    p(Types, "MessageID", 1, 1),
    // Mandatory in 1.2; real 1.2 traffic is lenient about it, and the signature covers it.
    p(Types, "ReferenceMessageID", 0, 1),
    p(Types, "TransactionCode", 0, 1),
    p(Types, "NodeID", 0, 1),
    p(Types, "EOL", 0, 1),
    p(Basic, "MessagePrimaryContent", 1, 1),
    p(Types, "PersonalSignature", 0, 1),
    p(Basic, "AttachmentHeaderList", 0, 1),
    p(Basic, "RefAttachmentHeaderList", 0, 1),
    p(Types, "BusinessProcessMetadata", 0, 1),
    p(Types, "TestMessage", 0, 1),
];
/// `SenderProvidedResponseData`: MessageID, To, then one of four alternatives.
pub(crate) const RESPONSE_DATA_HEAD: &[P] = &[p(Types, "MessageID", 1, 1), p(Types, "To", 1, 1)];
pub(crate) const RESPONSE_CONTENT: &[P] = &[
    p(Basic, "MessagePrimaryContent", 1, 1),
    p(Types, "PersonalSignature", 0, 1),
    p(Basic, "AttachmentHeaderList", 0, 1),
    p(Basic, "RefAttachmentHeaderList", 0, 1),
];
pub(crate) const RESPONSE_REJECTED: &[P] = &[p(Types, "RequestRejected", 1, 0)];
pub(crate) const RESPONSE_STATUS: &[P] = &[p(Types, "RequestStatus", 1, 1)];
pub(crate) const RESPONSE_ASYNC: &[P] = &[p(Types, "AsyncProcessingStatus", 1, 1)];
pub(crate) const SELECTOR: &[P] = &[
    p(Basic, "NamespaceURI", 0, 1),
    p(Basic, "RootElementLocalName", 0, 1),
    p(Basic, "Timestamp", 1, 1),
    p(Basic, "NodeID", 0, 1),
];

/// SMEV 2's operation wrapper (`BaseMessageType`).
pub(crate) const SMEV2_OPERATION: &[P] =
    &[p(Smev2, "Message", 1, 1), p(Smev2, "MessageData", 1, 1)];
/// `smev:Message` (MessageType), MR 2.5.x; the MR 2.4.x sequence is a prefix-compatible subset.
pub(crate) const SMEV2_MESSAGE: &[P] = &[
    p(Smev2, "Sender", 1, 1),
    p(Smev2, "Recipient", 1, 1),
    p(Smev2, "Originator", 0, 1),
    // ServiceName and Service are a choice: both at most once, and not both (checked where
    // the service is read).
    p(Smev2, "ServiceName", 0, 1),
    p(Smev2, "Service", 0, 1),
    p(Smev2, "TypeCode", 1, 1),
    p(Smev2, "Status", 1, 1),
    p(Smev2, "Date", 1, 1),
    p(Smev2, "ExchangeType", 1, 1),
    p(Smev2, "RequestIdRef", 0, 1),
    p(Smev2, "OriginRequestIdRef", 0, 1),
    p(Smev2, "ServiceCode", 0, 1),
    p(Smev2, "CaseNumber", 0, 1),
    p(Smev2, "SubMessages", 0, 1),
    p(Smev2, "TestMsg", 0, 1),
    p(Smev2, "OKTMO", 0, 1),
];

/// Matching one container's children against a sequence, child by child.
#[derive(Clone, Debug)]
pub(crate) struct Seq {
    container: &'static str,
    particles: &'static [P],
    at: usize,
    count: u8,
    /// `SenderProvidedResponseData`: the choice after `To` is made by its first element.
    response_choice: bool,
}

impl Seq {
    pub(crate) fn new(container: &'static str, particles: &'static [P]) -> Seq {
        Seq {
            container,
            particles,
            at: 0,
            count: 0,
            response_choice: false,
        }
    }

    pub(crate) fn response_data() -> Seq {
        Seq {
            response_choice: true,
            ..Seq::new("SenderProvidedResponseData", RESPONSE_DATA_HEAD)
        }
    }

    fn refuse(&self, what: String) -> EnvelopeError {
        EnvelopeError::Schema {
            container: self.container,
            what,
        }
    }

    /// The next child, in namespace `ns` (`None`: a namespace the schema has nothing for).
    pub(crate) fn child(&mut self, ns: Option<Ns>, local: &str) -> Result<usize, EnvelopeError> {
        loop {
            if let Some(part) = self.particles.get(self.at)
                && Some(part.ns) == ns
                && part.local == local
            {
                if part.max != 0 && self.count >= part.max {
                    return Err(self.refuse(format!("`{local}` more than {} time(s)", part.max)));
                }
                self.count = self.count.saturating_add(1);
                return Ok(self.at);
            }
            // Not this particle: it must be satisfied to move past it.
            match self.particles.get(self.at) {
                Some(part) if self.count < part.min => {
                    return Err(self.refuse(format!("`{local}` where `{}` must come", part.local)));
                }
                Some(_) => {
                    self.at += 1;
                    self.count = 0;
                }
                None if self.response_choice => {
                    self.response_choice = false;
                    self.particles = match (ns, local) {
                        (Some(Basic), "MessagePrimaryContent") => RESPONSE_CONTENT,
                        (Some(Types), "RequestRejected") => RESPONSE_REJECTED,
                        (Some(Types), "RequestStatus") => RESPONSE_STATUS,
                        (Some(Types), "AsyncProcessingStatus") => RESPONSE_ASYNC,
                        _ => {
                            return Err(self.refuse(format!(
                                "`{local}` where the content, a rejection or a status must come"
                            )));
                        }
                    };
                    self.at = 0;
                    self.count = 0;
                }
                None => {
                    return Err(
                        self.refuse(format!("`{local}`, which the schema has no place for"))
                    );
                }
            }
        }
    }

    /// The container closed: every required particle must have come.
    pub(crate) fn end(&self) -> Result<(), EnvelopeError> {
        if self.response_choice {
            return Err(self.refuse("no content, rejection or status after `To`".to_string()));
        }
        let mut at = self.at;
        let mut count = self.count;
        while let Some(part) = self.particles.get(at) {
            if count < part.min {
                return Err(self.refuse(format!("no `{}`", part.local)));
            }
            at += 1;
            count = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seq: &mut Seq, children: &[(Ns, &str)]) -> Result<(), EnvelopeError> {
        for (ns, local) in children {
            seq.child(Some(*ns), local)?;
        }
        seq.end()
    }

    #[test]
    fn sequences() {
        let ok = [
            (Types, "MessageID"),
            (Basic, "MessagePrimaryContent"),
            (Types, "TestMessage"),
        ];
        run(
            &mut Seq::new("SenderProvidedRequestData", REQUEST_DATA),
            &ok,
        )
        .unwrap();
        // Out of order, twice, missing, foreign.
        for bad in [
            &[(Basic, "MessagePrimaryContent"), (Types, "MessageID")][..],
            &[
                (Types, "MessageID"),
                (Basic, "MessagePrimaryContent"),
                (Basic, "MessagePrimaryContent"),
            ],
            &[(Types, "MessageID")],
            &[
                (Types, "MessageID"),
                (Basic, "MessagePrimaryContent"),
                (Types, "SenderProvidedRequestData"),
            ],
            &[(Basic, "MessageID"), (Basic, "MessagePrimaryContent")],
        ] {
            let e = run(
                &mut Seq::new("SenderProvidedRequestData", REQUEST_DATA),
                bad,
            )
            .unwrap_err();
            assert!(matches!(e, EnvelopeError::Schema { .. }), "{bad:?}: {e}");
        }
        let mut s = Seq::new("x", SEND_REQUEST);
        assert!(s.child(None, "SenderProvidedRequestData").is_err());
    }

    #[test]
    fn response_data_choice() {
        let content = [
            (Types, "MessageID"),
            (Types, "To"),
            (Basic, "MessagePrimaryContent"),
            (Basic, "AttachmentHeaderList"),
        ];
        run(&mut Seq::response_data(), &content).unwrap();
        let rejected = [
            (Types, "MessageID"),
            (Types, "To"),
            (Types, "RequestRejected"),
            (Types, "RequestRejected"),
        ];
        run(&mut Seq::response_data(), &rejected).unwrap();
        for bad in [
            &[(Types, "MessageID"), (Types, "To")][..],
            &[
                (Types, "MessageID"),
                (Types, "To"),
                (Types, "RequestStatus"),
                (Basic, "MessagePrimaryContent"),
            ],
            &[(Types, "MessageID"), (Types, "To"), (Types, "TestMessage")],
        ] {
            assert!(run(&mut Seq::response_data(), bad).is_err(), "{bad:?}");
        }
    }
}
