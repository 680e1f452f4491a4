//! Signature profiles: where the protocol puts each signature, what it must sign, and which one
//! is the message's *origin* — the one signature that says who sent it. A valid XMLDSig
//! signature over some other element than the protocol names is signature wrapping, and a
//! signature where the protocol has no slot is refused, both here, before any content is
//! trusted.
//!
//! SMEV 3 slots are exact paths from the operation element (Envelope/Body/<operation>/…), taken
//! from the message-exchange XSDs 1.1–1.3 (types, basic and routing schemas, as in
//! noadavis/smevsign `src/main/resources/smevsign/smev/v1_{1,2,3}`). SMEV 2 signatures are
//! WS-Security header blocks told apart by actor, and personal signatures in `smev:AppData`.

use crate::SigError;
use crate::ns::{
    ACTOR_RECIPIENT, ACTOR_SMEV, is_smev2, is_smev2_actor, is_soap, smev2_node_hop, smev3_sub_ns,
    smev3_types_version,
};
use crate::scan::{Frame, IdElement, Signature};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// SMEV 3: the slots of the message-exchange schemas (see [`Role`]); the origin is the
    /// operation's `CallerInformationSystemSignature` (a participant's call) or SMEV's
    /// `SMEVSignature` (SMEV's answer).
    Smev3,
    /// SMEV 2: WS-Security header blocks by actor over the Body (and a node's own
    /// `smev:Header`), and personal signatures inside `smev:AppData`; the origin is the last
    /// hop's block: the single `…/actors/smevNN` block (federal SMEV's hop towards node NN),
    /// else the single `…/actors/recipient` block (a forwarding node's), else the
    /// participant's `…/actors/smev` block (see [`Verified::origin`]).
    ///
    /// [`Verified::origin`]: crate::Verified::origin
    Smev2,
    /// Any XMLDSig: every signature must verify; no placement rules and no origin.
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
    /// SMEV 3 ЭП-ОВ of the information system calling SMEV (`<op>/CallerInformationSystemSignature`).
    CallerInformationSystem,
    /// SMEV 3 ЭП-ОВ of the sender, inside a message SMEV delivers (`Request`, `Response` or
    /// `Cancel`'s `SenderInformationSystemSignature`).
    SenderInformationSystem,
    /// SMEV 3 ЭП-СМЭВ (`SMEVSignature` of an answer SMEV gives).
    Smev,
    /// SMEV 3 ЭП-СП over the business content (`PersonalSignature`).
    Personal,
    /// SMEV 3 (1.3, MR 3.5) `Routing/RoutingSignature` over `RoutingInformation`.
    Routing,
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
            Role::Routing => "RoutingSignature".into(),
            Role::WsSecurity { actor } => format!("wsse:Security actor={actor}"),
            Role::AppData => "AppData".into(),
            Role::Other => "ds:Signature".into(),
        }
    }
}

/// Which SMEV 3 schema an element of a slot path belongs to; all of one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Schema {
    /// `…/types/{v}`: the operations and their own elements.
    Types,
    /// `…/types/basic/{v}`.
    Basic,
    /// `…/types/routing/{v}` (1.3).
    Routing,
}

impl Schema {
    pub(crate) fn ns(self, types_ns: &str, v: &str) -> String {
        match self {
            Schema::Types => types_ns.to_string(),
            Schema::Basic => smev3_sub_ns("basic", v),
            Schema::Routing => smev3_sub_ns("routing", v),
        }
    }
}

/// What a slot's signature must sign.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Signs {
    /// A sibling of the slot element, one of these.
    Sibling(&'static [(Schema, &'static str)]),
    /// The element directly under the slot's sibling `basic:MessagePrimaryContent`.
    PrimaryContent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SlotRole {
    Caller,
    Sender,
    Smev,
    Personal,
    Routing,
}

/// One place the SMEV 3 schemas give a `ds:Signature`.
#[derive(Debug)]
pub(crate) struct Slot {
    /// From the operation element (a child of the SOAP Body) down to the slot element, whose
    /// only child is the `ds:Signature`.
    pub(crate) path: &'static [(Schema, &'static str)],
    pub(crate) role: SlotRole,
    /// The signature that says who sent the message.
    pub(crate) origin: bool,
    pub(crate) signs: Signs,
    /// The schema versions that have the slot; empty: all (1.1, 1.2, 1.3).
    pub(crate) versions: &'static [&'static str],
}

impl Slot {
    pub(crate) fn in_version(&self, v: &str) -> bool {
        self.versions.is_empty() || self.versions.contains(&v)
    }

    const fn only(mut self, versions: &'static [&'static str]) -> Slot {
        self.versions = versions;
        self
    }
}

use Schema::{Basic, Routing as Rout, Types};

const SPRD: &[(Schema, &str)] = &[(Types, "SenderProvidedRequestData")];
const SPRSD: &[(Schema, &str)] = &[(Types, "SenderProvidedResponseData")];
const SELECTOR: &[(Schema, &str)] = &[(Basic, "MessageTypeSelector")];
const TIMESTAMP: &[(Schema, &str)] = &[(Basic, "Timestamp")];

const fn caller(
    op: &'static [(Schema, &'static str)],
    signs: &'static [(Schema, &'static str)],
) -> Slot {
    Slot {
        path: op,
        role: SlotRole::Caller,
        origin: true,
        signs: Signs::Sibling(signs),
        versions: &[],
    }
}

const fn slot(path: &'static [(Schema, &'static str)], role: SlotRole, signs: Signs) -> Slot {
    Slot {
        path,
        role,
        origin: matches!(role, SlotRole::Smev),
        signs,
        versions: &[],
    }
}

/// Every SMEV 3 signature slot. The XSD annotation of each slot names what it signs
/// ("Подписан элемент …").
pub(crate) const SLOTS: &[Slot] = &[
    // A participant's call: the caller's ЭП-ОВ over exactly the operation's own carrier.
    caller(
        &[
            (Types, "SendRequestRequest"),
            (Types, "CallerInformationSystemSignature"),
        ],
        SPRD,
    ),
    caller(
        &[
            (Types, "SendResponseRequest"),
            (Types, "CallerInformationSystemSignature"),
        ],
        SPRSD,
    ),
    caller(
        &[
            (Types, "GetRequestRequest"),
            (Types, "CallerInformationSystemSignature"),
        ],
        SELECTOR,
    ),
    caller(
        &[
            (Types, "GetResponseRequest"),
            (Types, "CallerInformationSystemSignature"),
        ],
        SELECTOR,
    ),
    caller(
        &[
            (Types, "AckRequest"),
            (Types, "CallerInformationSystemSignature"),
        ],
        &[(Basic, "AckTargetMessage")],
    ),
    caller(
        &[
            (Types, "GetStatusRequest"),
            (Types, "CallerInformationSystemSignature"),
        ],
        TIMESTAMP,
    ),
    // 1.3 dropped the operation.
    caller(
        &[
            (Types, "GetIncomingQueueStatisticsRequest"),
            (Types, "CallerInformationSystemSignature"),
        ],
        TIMESTAMP,
    )
    .only(&["1.1", "1.2"]),
    // SMEV's answers: ЭП-СМЭВ.
    slot(
        &[(Types, "SendRequestResponse"), (Types, "SMEVSignature")],
        SlotRole::Smev,
        Signs::Sibling(&[(Types, "MessageMetadata")]),
    ),
    slot(
        &[(Types, "SendResponseResponse"), (Types, "SMEVSignature")],
        SlotRole::Smev,
        Signs::Sibling(&[(Types, "MessageMetadata")]),
    ),
    slot(
        &[
            (Types, "GetRequestResponse"),
            (Types, "RequestMessage"),
            (Types, "SMEVSignature"),
        ],
        SlotRole::Smev,
        Signs::Sibling(&[(Types, "Request"), (Types, "Cancel")]),
    ),
    slot(
        &[
            (Types, "GetResponseResponse"),
            (Types, "ResponseMessage"),
            (Types, "SMEVSignature"),
        ],
        SlotRole::Smev,
        Signs::Sibling(&[(Types, "Response")]),
    ),
    slot(
        &[
            (Types, "GetStatusResponse"),
            (Types, "SmevAsyncProcessingMessage"),
            (Types, "SMEVSignature"),
        ],
        SlotRole::Smev,
        Signs::Sibling(&[(Types, "AsyncProcessingStatusData")]),
    ),
    // The sender's ЭП-ОВ inside what SMEV delivers.
    slot(
        &[
            (Types, "GetRequestResponse"),
            (Types, "RequestMessage"),
            (Types, "Request"),
            (Types, "SenderInformationSystemSignature"),
        ],
        SlotRole::Sender,
        Signs::Sibling(SPRD),
    ),
    // The XSD (1.1–1.3) names `//SenderProvidedCancelData`, an element no version defines:
    // the slot exists, and a signature in it must sign that element, as its annotation says.
    slot(
        &[
            (Types, "GetRequestResponse"),
            (Types, "RequestMessage"),
            (Types, "Cancel"),
            (Types, "SenderInformationSystemSignature"),
        ],
        SlotRole::Sender,
        Signs::Sibling(&[(Types, "SenderProvidedCancelData")]),
    ),
    slot(
        &[
            (Types, "GetResponseResponse"),
            (Types, "ResponseMessage"),
            (Types, "Response"),
            (Types, "SenderInformationSystemSignature"),
        ],
        SlotRole::Sender,
        Signs::Sibling(SPRSD),
    ),
    // ЭП-СП, a child of the sender-provided data, wherever that data legitimately stands.
    slot(
        &[
            (Types, "SendRequestRequest"),
            (Types, "SenderProvidedRequestData"),
            (Types, "PersonalSignature"),
        ],
        SlotRole::Personal,
        Signs::PrimaryContent,
    ),
    slot(
        &[
            (Types, "SendResponseRequest"),
            (Types, "SenderProvidedResponseData"),
            (Types, "PersonalSignature"),
        ],
        SlotRole::Personal,
        Signs::PrimaryContent,
    ),
    slot(
        &[
            (Types, "GetRequestResponse"),
            (Types, "RequestMessage"),
            (Types, "Request"),
            (Types, "SenderProvidedRequestData"),
            (Types, "PersonalSignature"),
        ],
        SlotRole::Personal,
        Signs::PrimaryContent,
    ),
    slot(
        &[
            (Types, "GetResponseResponse"),
            (Types, "ResponseMessage"),
            (Types, "Response"),
            (Types, "SenderProvidedResponseData"),
            (Types, "PersonalSignature"),
        ],
        SlotRole::Personal,
        Signs::PrimaryContent,
    ),
    // 1.3 (MR 3.5): routing of a directive request, signed apart from the request.
    slot(
        &[
            (Types, "SendRequestRequest"),
            (Rout, "Routing"),
            (Rout, "RoutingSignature"),
        ],
        SlotRole::Routing,
        Signs::Sibling(&[(Rout, "RoutingInformation")]),
    )
    .only(&["1.3"]),
];

/// The origin slot of a SMEV 3 operation (`SendRequestRequest`, `GetResponseResponse`, …) in
/// schema version `v`.
pub(crate) fn origin_slot(operation: &str, v: &str) -> Option<&'static Slot> {
    SLOTS
        .iter()
        .find(|s| s.origin && s.path[0].1 == operation && s.in_version(v))
}

/// Where a signature stands, as the profile reads it.
#[derive(Debug)]
pub(crate) struct Placement {
    pub(crate) role: Role,
    /// SMEV 3: the slot. `None` in the other profiles.
    slot: Option<&'static Slot>,
}

impl Placement {
    pub(crate) fn role(&self) -> &Role {
        &self.role
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

fn violation(what: String) -> SigError {
    SigError::ProfileViolation(what)
}

/// `path` is Envelope/Body/… in SOAP.
fn in_soap_body(path: &[Frame<'_>]) -> bool {
    path.len() >= 2
        && path[0].local == "Envelope"
        && is_soap(&path[0].ns)
        && path[1].local == "Body"
        && path[1].ns == path[0].ns
}

/// Does the frame stand for this element of a slot path, in the operation's version?
fn is(frame: &Frame<'_>, (schema, local): (Schema, &str), types_ns: &str, v: &str) -> bool {
    frame.local == local && frame.ns == schema.ns(types_ns, v)
}

impl Profile {
    /// Where a signature stands: its role, from its place in the document. A signature where
    /// the profile has no slot is refused.
    pub(crate) fn classify(self, sig: &Signature<'_>) -> Result<Placement, SigError> {
        let p = &sig.path;
        let n = p.len();
        match self {
            Profile::Any => Ok(Placement {
                role: Role::Other,
                slot: None,
            }),
            Profile::Smev3 => {
                let found = (n >= 5 && in_soap_body(p))
                    .then(|| {
                        let op = &p[2];
                        let v = smev3_types_version(&op.ns)?;
                        let rel = &p[2..n - 1];
                        SLOTS.iter().find(|s| {
                            s.in_version(v)
                                && s.path.len() == rel.len()
                                && s.path.iter().zip(rel).all(|(&e, f)| is(f, e, &op.ns, v))
                        })
                    })
                    .flatten();
                let Some(slot) = found else {
                    return Err(violation(format!(
                        "a signature at /{} is in no SMEV 3 signature slot (the slots are \
                         fixed paths under the operation element, e.g. \
                         SendRequestRequest/CallerInformationSystemSignature)",
                        path_str(p)
                    )));
                };
                let role = match slot.role {
                    SlotRole::Caller => Role::CallerInformationSystem,
                    SlotRole::Sender => Role::SenderInformationSystem,
                    SlotRole::Smev => Role::Smev,
                    SlotRole::Personal => Role::Personal,
                    SlotRole::Routing => Role::Routing,
                };
                Ok(Placement {
                    role,
                    slot: Some(slot),
                })
            }
            Profile::Smev2 => {
                let parent = &p[n.saturating_sub(2)];
                if n >= 2 && parent.local == "Security" && parent.ns == crate::ns::WSSE {
                    // Envelope/Header/Security/Signature.
                    let header = n == 4
                        && p[0].local == "Envelope"
                        && is_soap(&p[0].ns)
                        && p[1].local == "Header"
                        && p[1].ns == p[0].ns;
                    if !header {
                        return Err(violation(format!(
                            "a wsse:Security block must be a SOAP header, found at /{}",
                            path_str(p)
                        )));
                    }
                    if parent.actor_conflict {
                        return Err(violation(
                            "a wsse:Security block carries both a SOAP 1.1 actor and a SOAP \
                             1.2 role: SOAP 1.1 and 1.2 peers would read different actors"
                                .into(),
                        ));
                    }
                    let Some(actor) = parent.actor.as_deref() else {
                        return Err(violation(format!(
                            "a wsse:Security block has no actor: SMEV 2 blocks carry the \
                             envelope's own SOAP version's attribute ({})",
                            if p[0].ns == crate::ns::SOAP12 {
                                "SOAP 1.2 `role`"
                            } else {
                                "SOAP 1.1 `actor`"
                            }
                        )));
                    };
                    if !is_smev2_actor(actor) {
                        return Err(violation(format!(
                            "a wsse:Security block has the actor `{}`; SMEV 2 knows \
                             {ACTOR_SMEV}, {ACTOR_RECIPIENT} and {ACTOR_SMEV}NN",
                            shown(actor)
                        )));
                    }
                    return Ok(Placement {
                        role: Role::WsSecurity {
                            actor: actor.to_string(),
                        },
                        slot: None,
                    });
                }
                if in_soap_body(p) && p.iter().any(|f| f.local == "AppData" && is_smev2(&f.ns)) {
                    return Ok(Placement {
                        role: Role::AppData,
                        slot: None,
                    });
                }
                Err(violation(format!(
                    "a signature at /{} is neither a WS-Security header block with an actor \
                     nor inside smev:AppData",
                    path_str(p)
                )))
            }
        }
    }

    /// The message's origin signature, by index: SMEV 3, the one in an origin slot; SMEV 2,
    /// the last hop's block — the single `…/actors/smevNN` block (federal SMEV's hop), else
    /// the single `…/actors/recipient` block (a forwarding node's), else the single
    /// `…/actors/smev` block (the participant's ЭП-ОВ). `None` for profile `any`, or when the
    /// message has no signature in an origin slot (`check_required` refuses that). Two
    /// candidates are refused: a message has one sender.
    pub(crate) fn origin(
        self,
        sigs: &[Signature<'_>],
        placements: &[Placement],
    ) -> Result<Option<usize>, SigError> {
        // Each slot once: two signatures in one slot, or two slot elements of one name under
        // one parent, would give two answers to "who signed this part".
        for (i, a) in sigs.iter().enumerate() {
            for (j, b) in sigs.iter().enumerate().skip(i + 1) {
                let (pa, pb) = (&placements[i], &placements[j]);
                let same = match (self, &pa.role, &pb.role) {
                    (Profile::Smev3, _, _) => {
                        let (na, nb) = (a.path.len(), b.path.len());
                        na == nb
                            && a.path[na - 2].local == b.path[nb - 2].local
                            && a.path[na - 3].node == b.path[nb - 3].node
                    }
                    (
                        Profile::Smev2,
                        Role::WsSecurity { actor: x },
                        Role::WsSecurity { actor: y },
                    ) => x == y,
                    _ => false,
                };
                if same {
                    return Err(violation(format!(
                        "two signatures in the {} slot at /{}: each slot holds one",
                        pa.role.label(),
                        path_str(&a.path[..a.path.len() - 1])
                    )));
                }
            }
        }
        let candidates: Vec<usize> = match self {
            Profile::Any => return Ok(None),
            Profile::Smev3 => placements
                .iter()
                .enumerate()
                .filter(|(_, p)| p.slot.is_some_and(|s| s.origin))
                .map(|(i, _)| i)
                .collect(),
            Profile::Smev2 => {
                let level = |want: &dyn Fn(&str) -> bool| -> Vec<usize> {
                    placements
                        .iter()
                        .enumerate()
                        .filter(
                            |(_, p)| matches!(&p.role, Role::WsSecurity { actor } if want(actor)),
                        )
                        .map(|(i, _)| i)
                        .collect()
                };
                let hops = level(&|a| smev2_node_hop(a).is_some());
                let recipient = level(&|a| a == ACTOR_RECIPIENT);
                if !hops.is_empty() {
                    hops
                } else if !recipient.is_empty() {
                    recipient
                } else {
                    level(&|a| a == ACTOR_SMEV)
                }
            }
        };
        match candidates.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => Err(violation(format!(
                "the origin is ambiguous: {} signatures ({}) could each be the sender's",
                many.len(),
                many.iter()
                    .map(|&i| placements[i].role.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// A whole-document Reference (`URI=""`) signs everything, the slot's element among it,
    /// but no SMEV signature is made that way and nothing reads the message by it.
    pub(crate) fn check_whole_document(self, sig: &Signature<'_>) -> Result<(), SigError> {
        match self {
            Profile::Any => Ok(()),
            Profile::Smev3 | Profile::Smev2 => Err(SigError::WrongSignedElement(format!(
                "the signature at /{} references the whole document (URI=\"\"); {} signatures \
                 reference the element they sign by Id",
                path_str(&sig.path),
                if self == Profile::Smev3 {
                    "SMEV 3"
                } else {
                    "SMEV 2"
                }
            ))),
        }
    }

    /// Is `target` an element this signature may sign?
    pub(crate) fn check_target(
        self,
        placement: &Placement,
        sig: &Signature<'_>,
        target: &IdElement<'_>,
    ) -> Result<(), SigError> {
        let p = &sig.path;
        let n = p.len();
        let t = &target.path;
        let tn = t.len();
        let this = target.this();
        match (self, &placement.role, placement.slot) {
            (Profile::Any, _, _) => Ok(()),
            (Profile::Smev3, _, Some(slot)) => {
                let op = &p[2];
                let v = smev3_types_version(&op.ns).unwrap_or_default();
                // The element the slot and what it signs share.
                let slot_parent = &p[n - 3];
                match slot.signs {
                    Signs::Sibling(names) => {
                        if !(tn >= 2 && t[tn - 2].node == slot_parent.node) {
                            return Err(wrong(
                                sig,
                                target,
                                "which is not the sibling of the signature the protocol requires",
                            ));
                        }
                        if names.iter().any(|&e| is(this, e, &op.ns, v)) {
                            Ok(())
                        } else {
                            let names: Vec<&str> = names.iter().map(|(_, l)| *l).collect();
                            Err(wrong(
                                sig,
                                target,
                                &format!(
                                    "where the {} of {} signs {}",
                                    placement.role.label(),
                                    slot.path[0].1,
                                    names.join(" or ")
                                ),
                            ))
                        }
                    }
                    Signs::PrimaryContent => {
                        let ok = tn >= 3
                            && is(&t[tn - 2], (Basic, "MessagePrimaryContent"), &op.ns, v)
                            && t[tn - 3].node == slot_parent.node;
                        if ok {
                            Ok(())
                        } else {
                            Err(wrong(
                                sig,
                                target,
                                "a personal signature signs the element directly under the \
                                 MessagePrimaryContent beside it",
                            ))
                        }
                    }
                }
            }
            (Profile::Smev2, Role::WsSecurity { actor }, _) => {
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
            (Profile::Smev2, Role::AppData, _) => {
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
            (_, _, _) => Err(wrong(sig, target, "for a role this profile does not know")),
        }
    }

    /// Are the signatures the protocol requires all present? `judged` holds the placement and
    /// the targets of each signature that passed its checks so far.
    pub(crate) fn check_required(
        self,
        sigs: &[Signature<'_>],
        placements: &[Placement],
        origin: Option<usize>,
        judged: &[(usize, Vec<&IdElement<'_>>)],
    ) -> Result<(), SigError> {
        match self {
            Profile::Any => {}
            Profile::Smev3 => {
                if origin.is_none() {
                    // Name the slot the operation needs, from any signature's operation.
                    let op = sigs.first().and_then(|s| s.path.get(2));
                    let slot = op.and_then(|op| {
                        origin_slot(op.local, smev3_types_version(&op.ns).unwrap_or_default())
                    });
                    let what = match slot {
                        Some(slot) => format!(
                            " (no {} in {})",
                            slot.path[slot.path.len() - 1].1,
                            slot.path[..slot.path.len() - 1]
                                .iter()
                                .map(|(_, l)| *l)
                                .collect::<Vec<_>>()
                                .join("/")
                        ),
                        None => " (no CallerInformationSystemSignature or SMEVSignature)".into(),
                    };
                    return Err(SigError::NoSignature(what));
                }
            }
            Profile::Smev2 => {
                let ov = placements
                    .iter()
                    .any(|p| matches!(&p.role, Role::WsSecurity { actor } if actor == ACTOR_SMEV));
                if origin.is_none() || !ov {
                    return Err(SigError::NoSignature(format!(
                        " (no wsse:Security with actor {ACTOR_SMEV})"
                    )));
                }
                // Every WS-Security signature covers the Body, and at most one smev:Header —
                // the one its node added —, which no other signature covers: each hop signs
                // its own header only.
                let mut claimed: Vec<u32> = Vec::new();
                for (i, ts) in judged {
                    let r = &placements[*i].role;
                    if !matches!(r, Role::WsSecurity { .. }) {
                        continue;
                    }
                    if !ts
                        .iter()
                        .any(|t| t.path.len() == 2 && in_soap_body(&t.path))
                    {
                        return Err(violation(format!(
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
                        return Err(violation(format!(
                            "the {} signature covers {} smev:Header blocks; a node signs only \
                             the one it added",
                            r.label(),
                            headers.len()
                        )));
                    }
                    if let Some(h) = headers.first() {
                        if claimed.contains(h) {
                            return Err(violation(format!(
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

/// Caps attacker-supplied text before it enters an error.
fn shown(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &s[..end], s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every slot path starts at an operation, ends at a slot element, and names what the
    /// annotations of the schemas name; each operation has at most one origin slot.
    #[test]
    fn the_slot_table_is_consistent() {
        for s in SLOTS {
            assert!(s.path.len() >= 2, "{s:?}");
            assert_eq!(s.path[0].0, Types, "{s:?}");
            let last = s.path[s.path.len() - 1].1;
            assert!(last.ends_with("Signature"), "{s:?}");
            assert_eq!(
                s.origin,
                matches!(s.role, SlotRole::Caller | SlotRole::Smev)
            );
            let n = SLOTS
                .iter()
                .filter(|t| t.origin && t.path[0].1 == s.path[0].1)
                .count();
            assert!(n <= 1, "{}", s.path[0].1);
        }
        for op in [
            "SendRequestRequest",
            "SendResponseRequest",
            "GetRequestRequest",
            "GetResponseRequest",
            "AckRequest",
            "GetStatusRequest",
            "GetIncomingQueueStatisticsRequest",
        ] {
            assert_eq!(
                origin_slot(op, "1.2").unwrap().role,
                SlotRole::Caller,
                "{op}"
            );
        }
        for op in [
            "SendRequestResponse",
            "SendResponseResponse",
            "GetRequestResponse",
            "GetResponseResponse",
            "GetStatusResponse",
        ] {
            assert_eq!(origin_slot(op, "1.2").unwrap().role, SlotRole::Smev, "{op}");
        }
        assert!(origin_slot("AckResponse", "1.2").is_none());
        assert!(origin_slot("GetIncomingQueueStatisticsRequest", "1.3").is_none());
    }
}
