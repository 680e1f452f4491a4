//! The fault vocabulary of rsmev: every refusal, whatever stage raises it, ends as one of these
//! codes. Each library error enum maps each of its variants to a [`FaultCode`] beside its own
//! definition, with no catch-all arm, so a new variant cannot ship without a fault decision.
#![forbid(unsafe_code)]

use std::fmt;

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
            | FaultCode::UnsupportedAlgorithm => "SMEV-100",
        }
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
