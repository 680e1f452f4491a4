//! Signature profiles: where the protocol puts each signature and what it must sign. A valid
//! XMLDSig signature over some other element than the protocol names is signature wrapping,
//! and is refused here, before any content is trusted.

use crate::SigError;
use crate::ns::{ACTOR_SMEV, is_smev2, is_smev3, is_soap};
use crate::scan::{Frame, IdElement, Signature};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// SMEV 3: signatures in `CallerInformationSystemSignature`,
    /// `SenderInformationSystemSignature`, `SMEVSignature` and `PersonalSignature`.
    Smev3,
    /// SMEV 2: WS-Security header blocks by actor over the Body (and a node's own
    /// `smev:Header`), and personal signatures inside `smev:AppData`.
    Smev2,
    /// Any XMLDSig: every signature must verify; no placement rules.
    Any,
}

impl Profile {
    pub fn from_name(name: &str) -> Option<Profile> {
        Some(match name {
            "smev3" => Profile::Smev3,
            "smev2" => Profile::Smev2,
            "any" => Profile::Any,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Profile::Smev3 => "smev3",
            Profile::Smev2 => "smev2",
            Profile::Any => "any",
        }
    }
}

/// Whose signature this is, by where the protocol places it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// SMEV 3 ЭП-ОВ of the information system calling SMEV.
    CallerInformationSystem,
    /// SMEV 3 ЭП-ОВ of the sender, inside a message SMEV delivers.
    SenderInformationSystem,
    /// SMEV 3 ЭП-СМЭВ.
    Smev,
    /// SMEV 3 ЭП-СП over the business content.
    Personal,
    /// SMEV 2 WS-Security signature with its actor.
    WsSecurity { actor: String },
    /// SMEV 2 ЭП-СП inside `smev:AppData`.
    AppData,
    /// Anywhere else (profile `any` only).
    Other,
}

impl Role {
    pub fn label(&self) -> String {
        match self {
            Role::CallerInformationSystem => "CallerInformationSystemSignature".into(),
            Role::SenderInformationSystem => "SenderInformationSystemSignature".into(),
            Role::Smev => "SMEVSignature".into(),
            Role::Personal => "PersonalSignature".into(),
            Role::WsSecurity { actor } => format!("wsse:Security actor={actor}"),
            Role::AppData => "AppData".into(),
            Role::Other => "ds:Signature".into(),
        }
    }
}

fn path_str(path: &[Frame<'_>]) -> String {
    path.iter().map(|f| f.local).collect::<Vec<_>>().join("/")
}

fn wrong(sig: &Signature<'_>, target: &IdElement<'_>, why: &str) -> SigError {
    SigError::WrongSignedElement(format!(
        "the signature at /{} signs /{}, {why}",
        path_str(&sig.path),
        path_str(&target.path)
    ))
}

/// `path` is Envelope/Body/… in SOAP.
fn in_soap_body(path: &[Frame<'_>]) -> bool {
    path.len() >= 2
        && path[0].local == "Envelope"
        && is_soap(&path[0].ns)
        && path[1].local == "Body"
        && path[1].ns == path[0].ns
}

impl Profile {
    /// The role of a signature, from its place in the document.
    pub(crate) fn classify(self, sig: &Signature<'_>) -> Result<Role, SigError> {
        let p = &sig.path;
        let n = p.len();
        let parent = (n >= 2).then(|| &p[n - 2]);
        match self {
            Profile::Any => Ok(Role::Other),
            Profile::Smev3 => {
                let slot = parent.filter(|f| is_smev3(&f.ns)).map(|f| f.local);
                let role = match slot {
                    Some("CallerInformationSystemSignature") => {
                        // Envelope/Body/<operation>/CallerInformationSystemSignature/Signature.
                        if n != 5 || !in_soap_body(p) {
                            return Err(SigError::ProfileViolation(format!(
                                "CallerInformationSystemSignature must be a child of the \
                                 operation element in the SOAP Body, found at /{}",
                                path_str(p)
                            )));
                        }
                        Role::CallerInformationSystem
                    }
                    Some("SenderInformationSystemSignature") => Role::SenderInformationSystem,
                    Some("SMEVSignature") => Role::Smev,
                    Some("PersonalSignature") => Role::Personal,
                    _ => {
                        return Err(SigError::ProfileViolation(format!(
                            "a signature at /{} is in no SMEV 3 signature slot",
                            path_str(p)
                        )));
                    }
                };
                if !in_soap_body(p) {
                    return Err(SigError::ProfileViolation(format!(
                        "SMEV 3 signatures live in the SOAP Body, found at /{}",
                        path_str(p)
                    )));
                }
                Ok(role)
            }
            Profile::Smev2 => {
                if let Some(sec) = parent.filter(|f| f.local == "Security" && f.actor.is_some()) {
                    // Envelope/Header/Security/Signature.
                    let header = n == 4
                        && p[0].local == "Envelope"
                        && is_soap(&p[0].ns)
                        && p[1].local == "Header"
                        && p[1].ns == p[0].ns;
                    if !header {
                        return Err(SigError::ProfileViolation(format!(
                            "a wsse:Security block must be a SOAP header, found at /{}",
                            path_str(p)
                        )));
                    }
                    let actor = sec.actor.as_deref().unwrap_or_default().to_string();
                    return Ok(Role::WsSecurity { actor });
                }
                if in_soap_body(p) && p.iter().any(|f| f.local == "AppData" && is_smev2(&f.ns)) {
                    return Ok(Role::AppData);
                }
                Err(SigError::ProfileViolation(format!(
                    "a signature at /{} is neither a WS-Security header block with an actor \
                     nor inside smev:AppData",
                    path_str(p)
                )))
            }
        }
    }

    /// Is `target` an element this role may sign?
    pub(crate) fn check_target(
        self,
        role: &Role,
        sig: &Signature<'_>,
        target: &IdElement<'_>,
    ) -> Result<(), SigError> {
        let p = &sig.path;
        let n = p.len();
        let t = &target.path;
        let tn = t.len();
        let this = target.this();
        // The slot's parent: the element the slot and its signed sibling share.
        let sibling_of_slot = |names: &[&str]| -> Result<(), SigError> {
            let slot_parent = &p[n - 3];
            if tn >= 2 && t[tn - 2].node == slot_parent.node {
                if names.contains(&this.local) && is_smev3(&this.ns) {
                    Ok(())
                } else {
                    Err(wrong(
                        sig,
                        target,
                        &format!("expected one of {names:?} beside the signature"),
                    ))
                }
            } else {
                Err(wrong(
                    sig,
                    target,
                    "which is not the sibling of the signature the protocol requires",
                ))
            }
        };
        match (self, role) {
            (Profile::Any, _) => Ok(()),
            (Profile::Smev3, Role::CallerInformationSystem) => sibling_of_slot(&[
                "SenderProvidedRequestData",
                "SenderProvidedResponseData",
                "MessageTypeSelector",
                "AckTargetMessage",
                "Timestamp",
            ]),
            (Profile::Smev3, Role::SenderInformationSystem) => {
                sibling_of_slot(&["SenderProvidedRequestData", "SenderProvidedResponseData"])
            }
            (Profile::Smev3, Role::Smev) => sibling_of_slot(&["Request", "Response"]),
            (Profile::Smev3, Role::Personal) => {
                // Inside the MessagePrimaryContent next to the PersonalSignature slot.
                let slot_parent = &p[n - 3];
                let ok = t.iter().enumerate().any(|(i, f)| {
                    f.local == "MessagePrimaryContent"
                        && is_smev3(&f.ns)
                        && i > 0
                        && t[i - 1].node == slot_parent.node
                        && i + 1 < tn
                });
                if ok {
                    Ok(())
                } else {
                    Err(wrong(
                        sig,
                        target,
                        "a personal signature must sign the content of MessagePrimaryContent",
                    ))
                }
            }
            (Profile::Smev2, Role::WsSecurity { actor }) => {
                let is_body = tn == 2 && in_soap_body(t);
                let is_smev_header = tn == 3
                    && t[0].node == p[0].node
                    && t[1].node == p[1].node
                    && this.local == "Header"
                    && is_smev2(&this.ns);
                if is_body {
                    return Ok(());
                }
                if !is_smev_header {
                    return Err(wrong(
                        sig,
                        target,
                        "a WS-Security signature may sign only the SOAP Body and its node's \
                         smev:Header",
                    ));
                }
                // Each node signs the header it added, the one with its own actor. The
                // Security block's actor is not itself signed: matching the two is what ties
                // a node signature to its hop, so another hop's header is refused.
                match this.actor.as_deref() {
                    Some(a) if a == actor => Ok(()),
                    Some(a) => Err(wrong(
                        sig,
                        target,
                        &format!(
                            "the smev:Header of actor {a}, not this signature's own ({actor})"
                        ),
                    )),
                    // MR 2.4.x (rev111111) defines no actor on smev:Header and its nodes write
                    // none (brazhin/SignOVService mr244_PFR3607SOAPResponse.xml): nothing ties
                    // such a header to a hop but that no other signature claims it, which
                    // `check_required` enforces.
                    None => Ok(()),
                }
            }
            (Profile::Smev2, Role::AppData) => {
                // The enclosing AppData or something inside it.
                let app = p
                    .iter()
                    .rposition(|f| f.local == "AppData" && is_smev2(&f.ns))
                    .map(|i| p[i].node);
                if app.is_some_and(|node| t.iter().any(|f| f.node == node)) {
                    Ok(())
                } else {
                    Err(wrong(sig, target, "outside the smev:AppData that holds it"))
                }
            }
            (_, _) => Err(wrong(sig, target, "for a role this profile does not know")),
        }
    }

    /// Are the signatures the protocol requires all present?
    pub(crate) fn check_required(
        self,
        roles: &[Role],
        targets: &[Vec<&IdElement<'_>>],
    ) -> Result<(), SigError> {
        match self {
            Profile::Any => {
                if roles.is_empty() {
                    return Err(SigError::NoSignature(""));
                }
            }
            Profile::Smev3 => {
                let own = roles.iter().any(|r| {
                    matches!(
                        r,
                        Role::CallerInformationSystem | Role::SenderInformationSystem
                    )
                });
                if !own {
                    return Err(SigError::NoSignature(
                        " (no CallerInformationSystemSignature or \
                         SenderInformationSystemSignature)",
                    ));
                }
            }
            Profile::Smev2 => {
                let ov = roles
                    .iter()
                    .any(|r| matches!(r, Role::WsSecurity { actor } if actor == ACTOR_SMEV));
                if !ov {
                    return Err(SigError::NoSignature(
                        " (no wsse:Security with actor http://smev.gosuslugi.ru/actors/smev)",
                    ));
                }
                // Every WS-Security signature covers the Body, and at most one smev:Header —
                // the one its node added —, which no other signature covers: each hop signs
                // its own header only.
                let mut claimed: Vec<u32> = Vec::new();
                for (r, ts) in roles.iter().zip(targets) {
                    if !matches!(r, Role::WsSecurity { .. }) {
                        continue;
                    }
                    if !ts
                        .iter()
                        .any(|t| t.path.len() == 2 && in_soap_body(&t.path))
                    {
                        return Err(SigError::ProfileViolation(format!(
                            "the {} signature does not cover the SOAP Body",
                            r.label()
                        )));
                    }
                    let mut headers: Vec<u32> = ts
                        .iter()
                        .filter(|t| t.path.len() == 3)
                        .map(|t| t.this())
                        .filter(|f| f.local == "Header" && is_smev2(&f.ns))
                        .map(|f| f.node)
                        .collect();
                    // Two References to one header are one header.
                    headers.sort_unstable();
                    headers.dedup();
                    if headers.len() > 1 {
                        return Err(SigError::ProfileViolation(format!(
                            "the {} signature covers {} smev:Header blocks; a node signs only \
                             the one it added",
                            r.label(),
                            headers.len()
                        )));
                    }
                    if let Some(h) = headers.first() {
                        if claimed.contains(h) {
                            return Err(SigError::ProfileViolation(format!(
                                "the {} signature covers a smev:Header another WS-Security \
                                 signature covers; each node signs only its own",
                                r.label()
                            )));
                        }
                        claimed.push(*h);
                    }
                }
            }
        }
        Ok(())
    }
}
