//! The fault vocabulary of rsmev: every refusal, whatever stage raises it, ends as one of these
//! codes. Each library error enum maps each of its variants to a [`FaultCode`] beside its own
//! definition, with no catch-all arm, so a new variant cannot ship without a fault decision.
#![forbid(unsafe_code)]

use std::fmt;

pub mod soap;

/// The SMEV 3 message-exchange revisions rsmev speaks (the `…/types/{v}` namespaces). A
/// fault, a selector or an answer is written in the caller's revision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Smev3Version {
    V1_1,
    /// What faults use when the caller's revision is unknown (a message that is not SMEV 3,
    /// or not XML at all): the revision most participants run.
    #[default]
    V1_2,
    V1_3,
}

impl Smev3Version {
    pub const ALL: [Smev3Version; 3] = [Smev3Version::V1_1, Smev3Version::V1_2, Smev3Version::V1_3];

    pub const fn as_str(self) -> &'static str {
        match self {
            Smev3Version::V1_1 => "1.1",
            Smev3Version::V1_2 => "1.2",
            Smev3Version::V1_3 => "1.3",
        }
    }

    pub fn parse(s: &str) -> Option<Smev3Version> {
        Smev3Version::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl fmt::Display for Smev3Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stable fault code, as sent to the caller in the SOAP fault and counted in metrics.
///
/// The SMEV-level code (`smev_code`) follows the public SMEV 3 catalogue where one exists
/// (`SMEV-100` signature, `SMEV-403` invalid content); rsmev's own detail code (`as_str`) is
/// what operators grep for and what metric labels carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FaultCode {
    /// The message is not well-formed XML, or breaks a namespace rule.
    MalformedMessage,
    /// The message carries a DTD or an entity the gateway never expands.
    ForbiddenXmlConstruct,
    /// The message exceeds a configured size, depth or count limit.
    MessageTooLarge,
    /// Two elements carry the same Id: the signed element would be ambiguous.
    DuplicateId,
    /// A reference names an Id no element carries.
    ReferenceNotFound,
    /// A transform or canonicalization algorithm is not supported or not allowed.
    UnsupportedAlgorithm,
    /// A legacy algorithm (GOST R 34.10-2001, GOST R 34.11-94, SHA-1) that policy does not admit.
    LegacyAlgorithmRefused,
    /// The message carries no signature where the protocol requires one.
    SignatureNotFound,
    /// The signature's structure (SignedInfo, References, KeyInfo) breaks XMLDSig or the profile.
    MalformedSignature,
    /// A Reference's digest does not match the signed content: the content changed after signing.
    DigestMismatch,
    /// The SignatureValue does not verify over SignedInfo with the signer's key.
    SignatureInvalid,
    /// The signature covers an element other than the one the protocol requires (wrapping).
    SignedElementMismatch,
    /// The signer's certificate cannot be parsed or carries an unusable key.
    CertificateInvalid,
    /// The signer's certificate is outside its validity period.
    CertificateExpired,
    /// The signer's certificate has been revoked.
    CertificateRevoked,
    /// No path from the signer's certificate to a trusted certificate.
    CertificateUntrusted,
    /// The certificate may not be used for signing (key usage, basic constraints).
    CertificateUsageInvalid,
    /// The signer's certificate is registered for no information system.
    SenderNotRegistered,
    /// The certificate was registered for the sender but has been replaced or withdrawn.
    CertificateReplaced,
    /// The message names no service (вид сведений) the registry knows.
    UnknownService,
    /// The sender's information system may not call this service in this environment.
    AccessDenied,
    /// No route leads to the recipient the message names.
    RecipientNotFound,
    /// The message is not an operation the gateway relays.
    UnsupportedOperation,
    /// The sending system already sent a message with this MessageID (a replay or a resend).
    DuplicateMessage,
    /// The MessageID is not an RFC 4122 version-1 (time-based) UUID, as SMEV 3 requires.
    InvalidMessageId,
    /// The MessageID's UUID timestamp is older than the node remembers MessageIDs, or ahead of
    /// its clock: the message may be a replay, or the sender's clock is wrong.
    StaleMessageId,
    /// The provider or federal SMEV did not answer in time.
    UpstreamTimeout,
    /// The provider or federal SMEV cannot be reached or answered with an error.
    UpstreamUnavailable,
    /// The gateway is at its limit of exchanges in flight.
    Overloaded,
    /// The envelope's structure breaks the SMEV schema: an element stands where the schema allows none (a second Body, an extra element beside the operation or inside the signed part).
    SchemaViolation,
    /// The message's own timestamp (`MessageTypeSelector/Timestamp`, SMEV 2 `smev:Message/Date`) is outside the accepted window.
    StaleMessage,
    /// The signer's key (algorithm or parameter set) does not match the signature algorithm the signature names.
    KeyAlgorithmMismatch,
    /// The message carries more signatures than the signature policy admits.
    TooManySignatures,
    /// A signature carries more References than the signature policy admits.
    TooManyReferences,
    /// The References would make the node digest more bytes than the policy's multiple of the message size.
    DigestBudgetExceeded,
    /// The signer's public key has parameters the policy does not admit (key size, RSA public exponent).
    KeyRefused,
    /// The node cannot tell whether the signer's certificate is revoked: the CRL it holds for the issuer is past its nextUpdate (beyond the configured grace). The node's fault, not the caller's.
    RevocationUnknown,
    /// The provider answered, but its answer was refused: it does not verify, is not signed by the service's provider, or answers another request.
    UpstreamInvalidAnswer,
    /// The request's headers or body did not arrive within the node's deadline (or slower than its minimum rate).
    RequestTimeout,
    /// The service's share of exchanges in flight is in use: one slow service cannot take the others' capacity.
    ServiceOverloaded,
    /// An internal error of the gateway.
    Internal,
}

impl FaultCode {
    /// Every code, for documentation and exhaustive tests.
    pub const ALL: &'static [FaultCode] = &[
        FaultCode::MalformedMessage,
        FaultCode::ForbiddenXmlConstruct,
        FaultCode::MessageTooLarge,
        FaultCode::DuplicateId,
        FaultCode::ReferenceNotFound,
        FaultCode::UnsupportedAlgorithm,
        FaultCode::LegacyAlgorithmRefused,
        FaultCode::SignatureNotFound,
        FaultCode::MalformedSignature,
        FaultCode::DigestMismatch,
        FaultCode::SignatureInvalid,
        FaultCode::SignedElementMismatch,
        FaultCode::CertificateInvalid,
        FaultCode::CertificateExpired,
        FaultCode::CertificateRevoked,
        FaultCode::CertificateUntrusted,
        FaultCode::CertificateUsageInvalid,
        FaultCode::SenderNotRegistered,
        FaultCode::CertificateReplaced,
        FaultCode::UnknownService,
        FaultCode::AccessDenied,
        FaultCode::RecipientNotFound,
        FaultCode::UnsupportedOperation,
        FaultCode::DuplicateMessage,
        FaultCode::InvalidMessageId,
        FaultCode::StaleMessageId,
        FaultCode::UpstreamTimeout,
        FaultCode::UpstreamUnavailable,
        FaultCode::Overloaded,
        FaultCode::SchemaViolation,
        FaultCode::StaleMessage,
        FaultCode::KeyAlgorithmMismatch,
        FaultCode::TooManySignatures,
        FaultCode::TooManyReferences,
        FaultCode::DigestBudgetExceeded,
        FaultCode::KeyRefused,
        FaultCode::RevocationUnknown,
        FaultCode::UpstreamInvalidAnswer,
        FaultCode::RequestTimeout,
        FaultCode::ServiceOverloaded,
        FaultCode::Internal,
    ];

    /// rsmev's stable detail code; also the metric label value.
    pub const fn as_str(self) -> &'static str {
        match self {
            FaultCode::MalformedMessage => "RSMEV-XML-MALFORMED",
            FaultCode::ForbiddenXmlConstruct => "RSMEV-XML-FORBIDDEN",
            FaultCode::MessageTooLarge => "RSMEV-XML-TOO-LARGE",
            FaultCode::DuplicateId => "RSMEV-DSIG-DUPLICATE-ID",
            FaultCode::ReferenceNotFound => "RSMEV-DSIG-REFERENCE-NOT-FOUND",
            FaultCode::UnsupportedAlgorithm => "RSMEV-DSIG-UNSUPPORTED-ALGORITHM",
            FaultCode::LegacyAlgorithmRefused => "RSMEV-DSIG-LEGACY-ALGORITHM",
            FaultCode::SignatureNotFound => "RSMEV-DSIG-NO-SIGNATURE",
            FaultCode::MalformedSignature => "RSMEV-DSIG-MALFORMED",
            FaultCode::DigestMismatch => "RSMEV-DSIG-DIGEST-MISMATCH",
            FaultCode::SignatureInvalid => "RSMEV-DSIG-SIGNATURE-INVALID",
            FaultCode::SignedElementMismatch => "RSMEV-DSIG-WRONG-SIGNED-ELEMENT",
            FaultCode::CertificateInvalid => "RSMEV-CERT-INVALID",
            FaultCode::CertificateExpired => "RSMEV-CERT-EXPIRED",
            FaultCode::CertificateRevoked => "RSMEV-CERT-REVOKED",
            FaultCode::CertificateUntrusted => "RSMEV-CERT-UNTRUSTED",
            FaultCode::CertificateUsageInvalid => "RSMEV-CERT-USAGE",
            FaultCode::SenderNotRegistered => "RSMEV-REG-SENDER-NOT-REGISTERED",
            FaultCode::CertificateReplaced => "RSMEV-REG-CERTIFICATE-REPLACED",
            FaultCode::UnknownService => "RSMEV-REG-UNKNOWN-SERVICE",
            FaultCode::AccessDenied => "RSMEV-REG-ACCESS-DENIED",
            FaultCode::RecipientNotFound => "RSMEV-ROUTE-RECIPIENT-NOT-FOUND",
            FaultCode::UnsupportedOperation => "RSMEV-ROUTE-UNSUPPORTED-OPERATION",
            FaultCode::DuplicateMessage => "RSMEV-MSG-DUPLICATE",
            FaultCode::InvalidMessageId => "RSMEV-MSG-ID-FORMAT",
            FaultCode::StaleMessageId => "RSMEV-MSG-ID-STALE",
            FaultCode::UpstreamTimeout => "RSMEV-UPSTREAM-TIMEOUT",
            FaultCode::UpstreamUnavailable => "RSMEV-UPSTREAM-UNAVAILABLE",
            FaultCode::Overloaded => "RSMEV-OVERLOADED",
            FaultCode::SchemaViolation => "RSMEV-ENV-SCHEMA",
            FaultCode::StaleMessage => "RSMEV-MSG-STALE",
            FaultCode::KeyAlgorithmMismatch => "RSMEV-DSIG-KEY-ALGORITHM-MISMATCH",
            FaultCode::TooManySignatures => "RSMEV-DSIG-TOO-MANY-SIGNATURES",
            FaultCode::TooManyReferences => "RSMEV-DSIG-TOO-MANY-REFERENCES",
            FaultCode::DigestBudgetExceeded => "RSMEV-DSIG-DIGEST-BUDGET",
            FaultCode::KeyRefused => "RSMEV-CERT-KEY-REFUSED",
            FaultCode::RevocationUnknown => "RSMEV-CERT-REVOCATION-UNKNOWN",
            FaultCode::UpstreamInvalidAnswer => "RSMEV-UPSTREAM-INVALID-ANSWER",
            FaultCode::RequestTimeout => "RSMEV-HTTP-TIMEOUT",
            FaultCode::ServiceOverloaded => "RSMEV-SERVICE-OVERLOADED",
            FaultCode::Internal => "RSMEV-INTERNAL",
        }
    }

    /// The SMEV catalogue code the fault is reported under.
    pub const fn smev_code(self) -> &'static str {
        match self {
            FaultCode::MalformedMessage
            | FaultCode::ForbiddenXmlConstruct
            | FaultCode::MessageTooLarge => "SMEV-403",
            FaultCode::DuplicateId
            | FaultCode::ReferenceNotFound
            | FaultCode::UnsupportedAlgorithm
            | FaultCode::LegacyAlgorithmRefused
            | FaultCode::SignatureNotFound
            | FaultCode::MalformedSignature
            | FaultCode::DigestMismatch
            | FaultCode::SignatureInvalid
            | FaultCode::SignedElementMismatch
            | FaultCode::CertificateInvalid
            | FaultCode::CertificateExpired
            | FaultCode::CertificateRevoked
            | FaultCode::CertificateUntrusted
            | FaultCode::CertificateUsageInvalid
            | FaultCode::SenderNotRegistered
            | FaultCode::KeyAlgorithmMismatch
            | FaultCode::TooManySignatures
            | FaultCode::TooManyReferences
            | FaultCode::DigestBudgetExceeded
            | FaultCode::KeyRefused
            | FaultCode::CertificateReplaced => "SMEV-100",
            FaultCode::UnknownService
            | FaultCode::AccessDenied
            | FaultCode::RecipientNotFound
            | FaultCode::UnsupportedOperation
            | FaultCode::DuplicateMessage
            | FaultCode::InvalidMessageId
            | FaultCode::SchemaViolation
            | FaultCode::StaleMessage
            | FaultCode::RequestTimeout
            | FaultCode::StaleMessageId => "SMEV-403",
            FaultCode::UpstreamTimeout
            | FaultCode::UpstreamUnavailable
            | FaultCode::Overloaded
            | FaultCode::RevocationUnknown
            | FaultCode::UpstreamInvalidAnswer
            | FaultCode::ServiceOverloaded
            | FaultCode::Internal => "SMEV-500",
        }
    }

    /// Whether the caller is to blame (its message, its certificate, its rights): then the
    /// specific reason helps the participant's developer and goes into the fault. When the
    /// node or an upstream is to blame (`SMEV-500`), the reason names internal addresses and
    /// transport errors: it stays in the log and the journal, under the fault's correlation id.
    pub const fn blames_caller(self) -> bool {
        !matches!(self.smev_code().as_bytes(), b"SMEV-500")
    }

    /// Human-readable text in Russian, as SMEV faults carry it.
    pub const fn text_ru(self) -> &'static str {
        match self {
            FaultCode::MalformedMessage => "Сообщение не является корректным XML-документом",
            FaultCode::ForbiddenXmlConstruct => {
                "Сообщение содержит DTD или внешние сущности, которые не допускаются"
            }
            FaultCode::MessageTooLarge => "Сообщение превышает допустимый размер или вложенность",
            FaultCode::DuplicateId => {
                "Несколько элементов сообщения имеют одинаковый идентификатор (Id)"
            }
            FaultCode::ReferenceNotFound => "Подписанный элемент с указанным Id не найден",
            FaultCode::UnsupportedAlgorithm => {
                "Алгоритм преобразования или подписи не поддерживается"
            }
            FaultCode::LegacyAlgorithmRefused => {
                "Устаревший алгоритм подписи или хеширования не допускается политикой"
            }
            FaultCode::SignatureNotFound => "Отсутствует ЭП-ОВ",
            FaultCode::MalformedSignature => "Структура электронной подписи некорректна",
            FaultCode::DigestMismatch => {
                "Хеш подписанных данных не совпадает: данные изменены после подписания"
            }
            FaultCode::SignatureInvalid => "Электронная подпись не прошла проверку",
            FaultCode::SignedElementMismatch => {
                "Подписан не тот элемент сообщения, который требует протокол"
            }
            FaultCode::CertificateInvalid => "Сертификат ЭП некорректен",
            FaultCode::CertificateExpired => "Срок действия сертификата ЭП истёк или не наступил",
            FaultCode::CertificateRevoked => "Сертификат ЭП отозван",
            FaultCode::CertificateUntrusted => {
                "Сертификат ЭП выдан не доверенным удостоверяющим центром"
            }
            FaultCode::CertificateUsageInvalid => {
                "Сертификат ЭП не предназначен для электронной подписи"
            }
            FaultCode::SenderNotRegistered => {
                "Отправитель не зарегистрирован: сертификат ЭП-ОВ не зарегистрирован ни за одной информационной системой"
            }
            FaultCode::CertificateReplaced => {
                "Сертификат ЭП-ОВ заменён или отозван в реестре участников"
            }
            FaultCode::UnknownService => "Вид сведений не зарегистрирован",
            FaultCode::AccessDenied => {
                "Доступ к виду сведений запрещён для информационной системы отправителя в данной среде"
            }
            FaultCode::RecipientNotFound => "Получатель сообщения не найден",
            FaultCode::UnsupportedOperation => "Операция не поддерживается",
            FaultCode::DuplicateMessage => {
                "Сообщение с таким идентификатором (MessageID) уже было послано ранее"
            }
            FaultCode::InvalidMessageId => {
                "Недопустимый формат идентификатора сообщения: требуется UUID версии 1 (RFC 4122)"
            }
            FaultCode::StaleMessageId => {
                "Идентификатор сообщения устарел или опережает время узла: проверьте часы отправителя"
            }
            FaultCode::UpstreamTimeout => "Поставщик сведений не ответил за отведённое время",
            FaultCode::UpstreamUnavailable => "Поставщик сведений недоступен",
            FaultCode::Overloaded => "Шлюз перегружен, повторите запрос позже",
            FaultCode::SchemaViolation => {
                "Структура конверта не соответствует схеме СМЭВ: элемент находится там, где схема его не допускает"
            }
            FaultCode::StaleMessage => {
                "Время формирования сообщения вне допустимого окна: сообщение устарело или часы отправителя неверны"
            }
            FaultCode::KeyAlgorithmMismatch => {
                "Ключ подписанта не соответствует заявленному алгоритму подписи"
            }
            FaultCode::TooManySignatures => {
                "Сообщение содержит больше подписей, чем допускает политика узла"
            }
            FaultCode::TooManyReferences => {
                "Подпись содержит больше ссылок (Reference), чем допускает политика узла"
            }
            FaultCode::DigestBudgetExceeded => {
                "Объём подписанных данных превышает допустимый для размера сообщения"
            }
            FaultCode::KeyRefused => {
                "Параметры открытого ключа подписанта не допускаются политикой узла"
            }
            FaultCode::RevocationUnknown => {
                "Узел не может проверить статус отзыва сертификата: список отозванных сертификатов устарел"
            }
            FaultCode::UpstreamInvalidAnswer => "Ответ поставщика сведений отклонён узлом",
            FaultCode::RequestTimeout => "Запрос не был получен полностью за отведённое время",
            FaultCode::ServiceOverloaded => {
                "Превышено число одновременных обращений к виду сведений, повторите запрос позже"
            }
            FaultCode::Internal => "Внутренняя ошибка шлюза",
        }
    }

    /// Human-readable text in English.
    pub const fn text_en(self) -> &'static str {
        match self {
            FaultCode::MalformedMessage => "The message is not well-formed XML",
            FaultCode::ForbiddenXmlConstruct => {
                "The message contains a DTD or external entities, which are not allowed"
            }
            FaultCode::MessageTooLarge => "The message exceeds the allowed size or nesting",
            FaultCode::DuplicateId => "Several elements of the message carry the same Id",
            FaultCode::ReferenceNotFound => "No element carries the referenced Id",
            FaultCode::UnsupportedAlgorithm => {
                "The transform or signature algorithm is not supported"
            }
            FaultCode::LegacyAlgorithmRefused => {
                "A legacy signature or digest algorithm is not admitted by policy"
            }
            FaultCode::SignatureNotFound => "The message carries no agency signature",
            FaultCode::MalformedSignature => "The signature structure is malformed",
            FaultCode::DigestMismatch => {
                "The digest of the signed data does not match: the data changed after signing"
            }
            FaultCode::SignatureInvalid => "The signature value does not verify",
            FaultCode::SignedElementMismatch => {
                "The signature does not cover the element the protocol requires"
            }
            FaultCode::CertificateInvalid => "The signer's certificate is invalid",
            FaultCode::CertificateExpired => "The signer's certificate is expired or not yet valid",
            FaultCode::CertificateRevoked => "The signer's certificate is revoked",
            FaultCode::CertificateUntrusted => {
                "The signer's certificate does not chain to a trusted certificate"
            }
            FaultCode::CertificateUsageInvalid => {
                "The signer's certificate is not meant for digital signatures"
            }
            FaultCode::SenderNotRegistered => {
                "The sender is not registered: the signing certificate belongs to no registered information system"
            }
            FaultCode::CertificateReplaced => {
                "The signing certificate has been replaced or withdrawn in the participant registry"
            }
            FaultCode::UnknownService => {
                "The requested service (type of information) is not registered"
            }
            FaultCode::AccessDenied => {
                "The sender's information system has no access to this service in this environment"
            }
            FaultCode::RecipientNotFound => "No route to the recipient of the message",
            FaultCode::UnsupportedOperation => "The operation is not supported",
            FaultCode::DuplicateMessage => "A message with this MessageID was already sent",
            FaultCode::InvalidMessageId => "The MessageID is not a version-1 UUID (RFC 4122)",
            FaultCode::StaleMessageId => {
                "The MessageID is too old or ahead of the node's clock: check the sender's clock"
            }
            FaultCode::UpstreamTimeout => "The provider did not answer in time",
            FaultCode::UpstreamUnavailable => "The provider is unavailable",
            FaultCode::Overloaded => "The gateway is overloaded; retry later",
            FaultCode::SchemaViolation => {
                "The envelope does not follow the SMEV schema: an element stands where the schema allows none"
            }
            FaultCode::StaleMessage => {
                "The message's timestamp is outside the accepted window: it is stale, or the sender's clock is wrong"
            }
            FaultCode::KeyAlgorithmMismatch => {
                "The signer's key does not match the signature algorithm"
            }
            FaultCode::TooManySignatures => {
                "The message carries more signatures than the node's policy admits"
            }
            FaultCode::TooManyReferences => {
                "A signature carries more References than the node's policy admits"
            }
            FaultCode::DigestBudgetExceeded => {
                "The signed data to digest exceeds the allowed multiple of the message size"
            }
            FaultCode::KeyRefused => {
                "The signer's public key has parameters the node's policy does not admit"
            }
            FaultCode::RevocationUnknown => {
                "The node cannot check the certificate's revocation status: its CRL is out of date"
            }
            FaultCode::UpstreamInvalidAnswer => "The provider's answer was refused by the node",
            FaultCode::RequestTimeout => "The request was not received in time",
            FaultCode::ServiceOverloaded => {
                "Too many exchanges with this service are in flight; retry later"
            }
            FaultCode::Internal => "Internal gateway error",
        }
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_texts_present() {
        let mut seen = std::collections::HashSet::new();
        for c in FaultCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(c.smev_code().starts_with("SMEV-"));
            assert!(!c.text_ru().is_empty() && !c.text_en().is_empty());
        }
    }
}

#[cfg(test)]
mod docs {
    use super::FaultCode;

    /// docs/faults.md is what operators read: every code, with its SMEV code and both texts.
    #[test]
    fn docs_list_every_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/faults.md");
        let doc = std::fs::read_to_string(path).expect("docs/faults.md");
        for c in FaultCode::ALL {
            let row = format!(
                "| `{}` | {} | {} | {} |",
                c.as_str(),
                c.smev_code(),
                c.text_en(),
                c.text_ru()
            );
            assert!(
                doc.contains(&row),
                "docs/faults.md lacks or misstates:\n{row}"
            );
        }
    }
}
