//! The one place a refusal becomes a SOAP fault, in the shape SMEV 3 clients already parse
//! (`../shared/research/smev-protocol.md` §6.1): `faultstring` in Russian, and in `detail`
//! one element of the SMEV 3 faults namespace of the caller's version, with `Code` and
//! `Description` (`SMEV-NNN:` + text) in the basic namespace. rsmev adds an English text and
//! the reason in its own namespace, so an operator can read the log line and the fault alike.

use crate::{FaultCode, Smev3Version};

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// rsmev's own detail elements.
pub const RSMEV_NS: &str = "urn://rsmev/faults/1.0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoapVersion {
    Soap11,
    Soap12,
}

impl SoapVersion {
    /// The version a request's envelope namespace names; SOAP 1.1 for anything else, as SMEV
    /// speaks it.
    pub fn of_namespace(ns: &str) -> SoapVersion {
        if ns == SOAP12 {
            SoapVersion::Soap12
        } else {
            SoapVersion::Soap11
        }
    }

    pub const fn content_type(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => "text/xml; charset=utf-8",
            SoapVersion::Soap12 => "application/soap+xml; charset=utf-8",
        }
    }
}

/// The SMEV 3 fault element a code is reported as, and for `SignatureVerificationFault` the
/// value of its enumerated child.
pub const fn smev3_fault(code: FaultCode) -> (&'static str, Option<&'static str>) {
    match code {
        FaultCode::MalformedMessage
        | FaultCode::ForbiddenXmlConstruct
        | FaultCode::MessageTooLarge
        | FaultCode::UnsupportedOperation => ("InvalidContent", None),
        FaultCode::SignatureNotFound => ("SignatureVerificationFault", Some("NoSignatureFound")),
        FaultCode::DuplicateId
        | FaultCode::ReferenceNotFound
        | FaultCode::SignedElementMismatch => (
            "SignatureVerificationFault",
            Some("IncorrectSignatureTarget"),
        ),
        FaultCode::UnsupportedAlgorithm
        | FaultCode::LegacyAlgorithmRefused
        | FaultCode::MalformedSignature
        | FaultCode::DigestMismatch
        | FaultCode::SignatureInvalid => ("SignatureVerificationFault", Some("SignatureIsInvalid")),
        FaultCode::CertificateExpired => {
            ("SignatureVerificationFault", Some("CertificateIsExpired"))
        }
        FaultCode::CertificateInvalid
        | FaultCode::CertificateRevoked
        | FaultCode::CertificateUntrusted
        | FaultCode::CertificateUsageInvalid
        | FaultCode::CertificateReplaced => {
            ("SignatureVerificationFault", Some("CertificateIsNotFound"))
        }
        FaultCode::SenderNotRegistered => ("SenderIsNotRegistered", None),
        FaultCode::UnknownService => ("BusinessDataTypeIsNotSupported", None),
        FaultCode::AccessDenied => ("AccessDenied", None),
        FaultCode::RecipientNotFound => ("RecipientIsNotFound", None),
        FaultCode::DuplicateMessage => ("MessageIsAlreadySent", None),
        FaultCode::InvalidMessageId => ("InvalidMessageIdFormat", None),
        FaultCode::StaleMessageId => ("StaleMessageId", None),
        FaultCode::SchemaViolation => ("InvalidContent", None),
        FaultCode::StaleMessage => ("InvalidContent", None),
        FaultCode::KeyAlgorithmMismatch => {
            ("SignatureVerificationFault", Some("SignatureIsInvalid"))
        }
        FaultCode::TooManySignatures => ("SignatureVerificationFault", Some("SignatureIsInvalid")),
        FaultCode::TooManyReferences => ("SignatureVerificationFault", Some("SignatureIsInvalid")),
        FaultCode::DigestBudgetExceeded => {
            ("SignatureVerificationFault", Some("SignatureIsInvalid"))
        }
        FaultCode::KeyRefused => ("SignatureVerificationFault", Some("CertificateIsNotFound")),
        FaultCode::RevocationUnknown => ("SMEVFailure", None),
        FaultCode::UpstreamInvalidAnswer => ("SMEVFailure", None),
        FaultCode::RequestTimeout => ("InvalidContent", None),
        FaultCode::ServiceOverloaded => ("SMEVFailure", None),
        FaultCode::UpstreamTimeout
        | FaultCode::UpstreamUnavailable
        | FaultCode::Overloaded
        | FaultCode::Internal => ("SMEVFailure", None),
    }
}

/// Escapes text for element content and attribute values.
fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 cannot carry at all: a reason quoting hostile input must
            // not make the fault itself malformed.
            c if !matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..) => {
                out.push('\u{FFFD}')
            }
            c => out.push(c),
        }
    }
}

/// A SOAP fault for `code` in the caller's SOAP and SMEV 3 versions. `correlation` ties the
/// fault to the node's log line and journal record; `detail` is the specific reason, given
/// only when it is the caller's to read (see [`FaultCode::blames_caller`]) — it goes into
/// rsmev's detail element, never in place of the catalogue text.
pub fn render(
    code: FaultCode,
    soap: SoapVersion,
    version: Smev3Version,
    correlation: &str,
    detail: Option<&str>,
) -> String {
    let version = version.as_str();
    let reason = detail.unwrap_or_default();
    let faults =
        format!("urn://x-artefacts-smev-gov-ru/services/message-exchange/types/faults/{version}");
    let basic =
        format!("urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/{version}");
    let (element, enumerated) = smev3_fault(code);
    let mut x = String::with_capacity(1024 + reason.len());
    let env = match soap {
        SoapVersion::Soap11 => SOAP11,
        SoapVersion::Soap12 => SOAP12,
    };
    x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"");
    x.push_str(env);
    x.push_str("\"><soap:Body><soap:Fault>");
    // SMEV answers soap:Server for every fault, client errors included (§6.1); SOAP 1.2
    // spells that soap:Receiver.
    match soap {
        SoapVersion::Soap11 => {
            x.push_str("<faultcode>soap:Server</faultcode><faultstring xml:lang=\"ru\">");
            escape(code.text_ru(), &mut x);
            x.push_str("</faultstring><detail>");
        }
        SoapVersion::Soap12 => {
            x.push_str(
                "<soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>\
                 <soap:Reason><soap:Text xml:lang=\"ru\">",
            );
            escape(code.text_ru(), &mut x);
            x.push_str("</soap:Text><soap:Text xml:lang=\"en\">");
            escape(code.text_en(), &mut x);
            x.push_str("</soap:Text></soap:Reason><soap:Detail>");
        }
    }
    x.push_str("<ns3:");
    x.push_str(element);
    x.push_str(" xmlns:ns3=\"");
    x.push_str(&faults);
    x.push_str("\" xmlns=\"");
    x.push_str(&basic);
    x.push_str("\"><Code>");
    x.push_str(code.as_str());
    x.push_str("</Code><Description>");
    x.push_str(code.smev_code());
    x.push(':');
    escape(code.text_ru(), &mut x);
    x.push_str("</Description>");
    if let Some(value) = enumerated {
        x.push_str("<ns3:SignatureVerificationFault>");
        x.push_str(value);
        x.push_str("</ns3:SignatureVerificationFault>");
    }
    x.push_str("</ns3:");
    x.push_str(element);
    x.push_str("><r:Reason xmlns:r=\"");
    x.push_str(RSMEV_NS);
    x.push_str("\" code=\"");
    x.push_str(code.as_str());
    x.push_str("\" smev=\"");
    x.push_str(code.smev_code());
    x.push_str("\" correlation=\"");
    escape(correlation, &mut x);
    x.push_str("\"><r:Text xml:lang=\"en\">");
    escape(code.text_en(), &mut x);
    x.push_str("</r:Text>");
    if detail.is_some() {
        x.push_str("<r:Detail>");
        escape(reason, &mut x);
        x.push_str("</r:Detail>");
    }
    x.push_str("</r:Reason>");
    match soap {
        SoapVersion::Soap11 => x.push_str("</detail>"),
        SoapVersion::Soap12 => x.push_str("</soap:Detail>"),
    }
    x.push_str("</soap:Fault></soap:Body></soap:Envelope>");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_renders_in_both_soap_versions() {
        for &code in FaultCode::ALL {
            for soap in [SoapVersion::Soap11, SoapVersion::Soap12] {
                let x = render(
                    code,
                    soap,
                    Smev3Version::V1_1,
                    "c0ffee",
                    Some("reason <&> \u{1}"),
                );
                assert!(x.contains(code.as_str()));
                assert!(x.contains(&format!("{}:", code.smev_code())));
                assert!(x.contains("reason &lt;&amp;&gt; \u{FFFD}"), "{x}");
                assert!(x.contains("types/faults/1.1"));
                assert!(x.contains(" correlation=\"c0ffee\""), "{x}");
                let bare = render(code, soap, Smev3Version::V1_3, "c0ffee", None);
                assert!(!bare.contains("r:Detail"), "{bare}");
                assert!(bare.contains("types/faults/1.3"));
            }
        }
    }

    #[test]
    fn signature_faults_carry_the_enumerated_reason() {
        let x = render(
            FaultCode::CertificateExpired,
            SoapVersion::Soap11,
            Smev3Version::V1_2,
            "1",
            Some("expired at 2021-02-18"),
        );
        assert!(x.contains(
            "<ns3:SignatureVerificationFault>CertificateIsExpired</ns3:SignatureVerificationFault>"
        ));
        assert!(x.contains("<faultcode>soap:Server</faultcode>"));
        assert!(x.contains("<Description>SMEV-100:"));
    }
}

#[cfg(test)]
mod blame {
    use crate::FaultCode;

    /// Node-side failures never hand their reason to the caller; caller-side ones do.
    #[test]
    fn who_is_to_blame() {
        for c in [
            FaultCode::UpstreamUnavailable,
            FaultCode::UpstreamTimeout,
            FaultCode::UpstreamInvalidAnswer,
            FaultCode::Internal,
            FaultCode::Overloaded,
            FaultCode::RevocationUnknown,
        ] {
            assert!(!c.blames_caller(), "{c}");
        }
        for c in [
            FaultCode::DigestMismatch,
            FaultCode::AccessDenied,
            FaultCode::SchemaViolation,
        ] {
            assert!(c.blames_caller(), "{c}");
        }
    }
}
