//! What the node remembers of admitted messages, to refuse their replay: per sending system,
//! the MessageID (SMEV 3 `MessageIsAlreadySent`) and the caller's signature. A captured signed
//! request cannot be replayed through the node, a client's blind resend is not executed twice,
//! and messages that carry no MessageID (SMEV 2 without a node header, queue operations) are
//! still de-duplicated: GOST signatures are randomized, so a genuine resend is a new signature,
//! while a replay is the same one.
//!
//! Memory is bounded in time and in count, per system and over all. Time alone is not enough
//! against replays: an id older than the window would pass again. SMEV 3 MessageIDs are
//! version-1 UUIDs, whose timestamp is covered by the signature, so a SMEV 3 id is also refused
//! once it is older than the window (`StaleMessageId`); messages without one carry a signed
//! timestamp the gateway checks the same way. Every message still acceptable is one the node
//! remembers.
//!
//! Keys are 128-bit digests of (kind, value): an entry costs the same whatever the sender put
//! in its MessageID, and the ids themselves are not kept.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rsmev_fault::FaultCode;
use sha2::Digest;

/// How far ahead of this node's clock a MessageID's timestamp may be.
pub const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Why a message is refused as a replay, or its id as unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("MessageID {0} is not an RFC 4122 version-1 UUID in lower case")]
    Format(String),
    #[error("the MessageID is {len} bytes long; at most {max} are accepted")]
    TooLong { len: usize, max: usize },
    #[error("MessageID {id} was made {age} ago; MessageIDs are accepted for {window}")]
    Stale {
        id: String,
        age: HumanDuration,
        window: HumanDuration,
    },
    #[error("MessageID {id} is {ahead} ahead of this node's clock")]
    Future { id: String, ahead: HumanDuration },
    #[error("MessageID {0} was already sent by this information system")]
    Duplicate(String),
    #[error("this signed message was already admitted from this sender (a replay)")]
    ReplayedSignature,
}

impl IdError {
    pub fn fault_code(&self) -> FaultCode {
        match self {
            IdError::Format(_) => FaultCode::InvalidMessageId,
            IdError::TooLong { .. } => FaultCode::InvalidMessageId,
            IdError::Stale { .. } => FaultCode::StaleMessageId,
            IdError::Future { .. } => FaultCode::StaleMessageId,
            IdError::Duplicate(_) => FaultCode::DuplicateMessage,
            IdError::ReplayedSignature => FaultCode::DuplicateMessage,
        }
    }
}

/// A duration in whole seconds, minutes or hours for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl std::fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.as_secs();
        if s >= 7200 {
            write!(f, "{} h", s / 3600)
        } else if s >= 120 {
            write!(f, "{} min", s / 60)
        } else {
            write!(f, "{s} s")
        }
    }
}

/// The time a version-1 UUID was made, or `None` if `id` is not one (SMEV's `basic:UUID` is
/// lower-case hex in the 8-4-4-4-12 layout).
pub fn uuid_v1_time(id: &str) -> Option<SystemTime> {
    let b = id.as_bytes();
    if b.len() != 36 {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let dash = matches!(i, 8 | 13 | 18 | 23);
        if dash != (c == b'-') || (!dash && !matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
    }
    // Version nibble 1; RFC 4122 variant (10xx).
    if b[14] != b'1' || !matches!(b[19], b'8' | b'9' | b'a' | b'b') {
        return None;
    }
    let hex = |r: std::ops::Range<usize>| u64::from_str_radix(&id[r], 16).ok();
    let (low, mid, high) = (hex(0..8)?, hex(9..13)?, hex(15..18)?);
    let ticks = (high << 48) | (mid << 32) | low;
    // 100 ns intervals since 1582-10-15, the Gregorian reform.
    const GREGORIAN_TO_UNIX: u64 = 0x01B2_1DD2_1381_4000;
    let since_unix = ticks.checked_sub(GREGORIAN_TO_UNIX)?;
    Some(UNIX_EPOCH + Duration::from_nanos(since_unix.saturating_mul(100)))
}

/// A remembered fact about a message, as a 128-bit digest.
pub type Key = [u8; 16];

fn key(kind: u8, value: &[u8]) -> Key {
    let mut h = sha2::Sha256::new();
    h.update([kind]);
    h.update(value);
    let d = h.finalize();
    let mut k = [0u8; 16];
    k.copy_from_slice(&d[..16]);
    k
}

/// The key of a MessageID.
pub fn id_key(id: &str) -> Key {
    key(b'i', id.as_bytes())
}

/// The key of a signature (its SignatureValue bytes).
pub fn signature_key(value: &[u8]) -> Key {
    key(b's', value)
}

/// What one message asks to be remembered.
#[derive(Debug, Clone, Default)]
pub struct Claim<'a> {
    /// The message's own MessageID, if it has one.
    pub message_id: Option<&'a str>,
    /// SMEV 3 ids must be fresh version-1 UUIDs.
    pub smev3: bool,
    /// The origin signature's SignatureValue.
    pub signature: Option<&'a [u8]>,
}

#[derive(Default)]
struct System {
    /// key → when it is forgotten.
    keys: HashMap<Key, Instant>,
    /// Insertion order, for expiry and the count bound. An entry may be stale (forgotten or
    /// re-remembered since); it is checked against `keys` when it reaches the front.
    order: VecDeque<(Instant, Key)>,
}

impl System {
    fn insert(&mut self, k: Key, until: Instant) {
        self.keys.insert(k, until);
        self.order.push_back((until, k));
    }

    /// Forgets what has expired, then the oldest until at most `keep` remain; returns how many
    /// unexpired keys had to go for the bound.
    fn expire(&mut self, now: Instant, keep: usize) -> u64 {
        let mut evicted = 0;
        while let Some((until, _)) = self.order.front() {
            let over = self.keys.len() > keep;
            if *until > now && !over {
                break;
            }
            let (until, k) = self.order.pop_front().expect("front exists");
            // Only the entry that set the current deadline removes the key.
            if self.keys.get(&k) == Some(&until) {
                self.keys.remove(&k);
                if until > now {
                    evicted += 1;
                }
            }
        }
        evicted
    }
}

#[derive(Default)]
struct Inner {
    systems: HashMap<Box<str>, System>,
    total: usize,
}

/// The node's memory of admitted messages, per sending system.
pub struct Seen {
    window: Duration,
    capacity: usize,
    per_system: usize,
    max_id_bytes: usize,
    inner: Mutex<Inner>,
}

/// Keys remembered for an exchange that may still be given back: if the message never leaves
/// the node, dropping the reservation forgets them (the sender may send again); once it may
/// have reached the upstream, [`Reservation::keep`] makes them stay, whatever happens next.
#[must_use]
pub struct Reservation<'s> {
    seen: &'s Seen,
    sender: Box<str>,
    keys: Vec<Key>,
    kept: bool,
}

impl Reservation<'_> {
    /// The keys stay spent: the message reached, or may have reached, the upstream.
    pub fn keep(&mut self) {
        self.kept = true;
    }

    /// The message never left the node after all: its sender may send it again.
    pub fn give_back(&mut self) {
        self.kept = false;
    }

    pub fn kept(&self) -> bool {
        self.kept
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if !self.kept {
            self.seen.forget(&self.sender, &self.keys);
        }
    }
}

impl Seen {
    pub fn new(window: Duration, capacity: usize, per_system: usize, max_id_bytes: usize) -> Seen {
        Seen {
            window,
            capacity: capacity.max(1),
            per_system: per_system.clamp(1, capacity.max(1)),
            max_id_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a message against what its sender already sent and remembers it. `evicted`
    /// hears how many of this sender's keys (first value) or of others' (second) had to be
    /// forgotten early for the capacity bounds.
    pub fn admit(
        &self,
        sender: &str,
        claim: &Claim<'_>,
        now: SystemTime,
        mut evicted: impl FnMut(&str, u64),
    ) -> Result<Reservation<'_>, IdError> {
        let mut keys = Vec::with_capacity(2);
        if let Some(id) = claim.message_id {
            if id.len() > self.max_id_bytes {
                return Err(IdError::TooLong {
                    len: id.len(),
                    max: self.max_id_bytes,
                });
            }
            if claim.smev3 {
                self.check_time(id, now)?;
            }
            keys.push(id_key(id));
        }
        if let Some(sig) = claim.signature {
            keys.push(signature_key(sig));
        }
        let at = Instant::now();
        let mut inner = self.lock();
        let inner = &mut *inner;
        let system = inner.systems.entry(sender.into()).or_default();
        let before = system.keys.len();
        let dropped = system.expire(at, self.per_system.saturating_sub(keys.len()));
        inner.total -= before - system.keys.len();
        if dropped > 0 {
            evicted(sender, dropped);
        }
        for (i, k) in keys.iter().enumerate() {
            if system.keys.contains_key(k) {
                return Err(match (i, claim.message_id) {
                    (0, Some(id)) => IdError::Duplicate(id.to_string()),
                    _ => IdError::ReplayedSignature,
                });
            }
        }
        for k in &keys {
            system.insert(*k, at + self.window);
        }
        inner.total += keys.len();
        // Over the global bound: the biggest system gives way (one system's flood costs
        // only that system's memory first).
        while inner.total > self.capacity {
            let Some((name, biggest)) = inner.systems.iter_mut().max_by_key(|(_, s)| s.keys.len())
            else {
                break;
            };
            let keep = biggest
                .keys
                .len()
                .saturating_sub(inner.total - self.capacity);
            let before = biggest.keys.len();
            let n = biggest.expire(at, keep);
            inner.total -= before - biggest.keys.len();
            if n > 0 {
                evicted(name, n);
            }
            if before == biggest.keys.len() {
                break;
            }
        }
        inner.systems.retain(|_, s| !s.keys.is_empty());
        Ok(Reservation {
            seen: self,
            sender: sender.into(),
            keys,
            kept: false,
        })
    }

    fn check_time(&self, id: &str, now: SystemTime) -> Result<(), IdError> {
        let made = uuid_v1_time(id).ok_or_else(|| IdError::Format(id.to_string()))?;
        match now.duration_since(made) {
            Ok(age) if age > self.window => Err(IdError::Stale {
                id: id.to_string(),
                age: HumanDuration(age),
                window: HumanDuration(self.window),
            }),
            Ok(_) => Ok(()),
            Err(e) if e.duration() > CLOCK_SKEW => Err(IdError::Future {
                id: id.to_string(),
                ahead: HumanDuration(e.duration()),
            }),
            Err(_) => Ok(()),
        }
    }

    /// Remembers a key read back from the journal at start, for what is left of its window.
    pub fn remember(&self, sender: &str, k: Key, arrived: SystemTime, now: SystemTime) {
        let age = now.duration_since(arrived).unwrap_or_default();
        let Some(left) = self.window.checked_sub(age) else {
            return;
        };
        let at = Instant::now();
        let mut inner = self.lock();
        let inner = &mut *inner;
        let system = inner.systems.entry(sender.into()).or_default();
        let before = system.keys.len();
        system.expire(at, self.per_system.saturating_sub(1));
        system.insert(k, at + left);
        inner.total = inner.total + system.keys.len() - before;
    }

    fn forget(&self, sender: &str, keys: &[Key]) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let Some(system) = inner.systems.get_mut(sender) {
            for k in keys {
                if system.keys.remove(k).is_some() {
                    inner.total -= 1;
                }
            }
        }
    }

    /// Keys remembered now, over all systems.
    pub fn len(&self) -> usize {
        self.lock().total
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys remembered now for one system.
    pub fn len_of(&self, sender: &str) -> usize {
        self.lock().systems.get(sender).map_or(0, |s| s.keys.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn id(now: SystemTime) -> String {
        crate::node::message_id_at(now)
    }

    fn claim(id: &str) -> Claim<'_> {
        Claim {
            message_id: Some(id),
            smev3: true,
            signature: None,
        }
    }

    fn no_evictions(s: &str, n: u64) {
        panic!("{s}: {n} evicted")
    }

    #[test]
    fn uuid_v1_times() {
        // The MessageID of a public SMEV 3 sample; Python's `uuid.UUID(id).time` puts it at
        // 2015-08-06 07:00:43.658004 UTC.
        let t = uuid_v1_time("db0486d0-3c08-11e5-95e2-d4c9eff07b77").unwrap();
        assert_eq!(crate::node::timestamp(t), "2015-08-06T07:00:43Z");
        let micros = t.duration_since(UNIX_EPOCH).unwrap().as_micros() % 1_000_000;
        assert_eq!(micros, 658_004);
        // Round trip with the node's own generator.
        let now = UNIX_EPOCH + Duration::from_secs(1_796_083_199);
        let back = uuid_v1_time(&id(now)).unwrap();
        assert!(back.duration_since(now).unwrap() < Duration::from_millis(1));
        for bad in [
            "b7675722-7819-47cb-8b9f-51ce2e9296df", // version 4
            "DB0486D0-3C08-11E5-95E2-D4C9EFF07B77", // upper case
            "db0486d0-3c08-11e5-75e2-d4c9eff07b77", // NCS variant
            "db0486d03c0811e595e2d4c9eff07b77",
            "db0486d0-3c08-11e5-95e2-d4c9eff07b7",
            "db0486d0-3c08-11e5-95e2_d4c9eff07b77",
            "",
        ] {
            assert_eq!(uuid_v1_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_second_message_with_one_id_is_refused_per_sender() {
        let seen = Seen::new(DAY, 100, 100, 128);
        let now = SystemTime::now();
        let id = id(now);
        let r = seen.admit("MFC440001", &claim(&id), now, no_evictions);
        let mut r = r.unwrap();
        r.keep();
        drop(r);
        assert_eq!(
            seen.admit("MFC440001", &claim(&id), now, no_evictions)
                .err(),
            Some(IdError::Duplicate(id.clone()))
        );
        // Another system's ids are its own.
        seen.admit("GIBD44001", &claim(&id), now, no_evictions)
            .unwrap()
            .keep();
        // A message that never left the node (reservation dropped unkept) may come again.
        let other = super::tests::id(now);
        drop(
            seen.admit("MFC440001", &claim(&other), now, no_evictions)
                .unwrap(),
        );
        seen.admit("MFC440001", &claim(&other), now, no_evictions)
            .unwrap()
            .keep();
        assert_eq!(seen.len(), 3);
        assert_eq!(seen.len_of("MFC440001"), 2);
    }

    #[test]
    fn the_same_signature_is_a_replay_without_any_id() {
        let seen = Seen::new(DAY, 100, 100, 128);
        let now = SystemTime::now();
        let sig = b"\x01\x02signature-value";
        let c = Claim {
            message_id: None,
            smev3: false,
            signature: Some(sig),
        };
        seen.admit("A", &c, now, no_evictions).unwrap().keep();
        assert_eq!(
            seen.admit("A", &c, now, no_evictions).err(),
            Some(IdError::ReplayedSignature)
        );
        // A new id does not launder a replayed signature.
        let fresh = id(now);
        let c2 = Claim {
            message_id: Some(&fresh),
            smev3: true,
            signature: Some(sig),
        };
        let e = seen.admit("A", &c2, now, no_evictions).err().unwrap();
        assert_eq!(e, IdError::ReplayedSignature);
        assert_eq!(e.fault_code(), FaultCode::DuplicateMessage);
        // …and the refused message spent nothing.
        seen.admit("A", &claim(&fresh), now, no_evictions)
            .unwrap()
            .keep();
    }

    #[test]
    fn old_future_long_and_malformed_ids() {
        let seen = Seen::new(DAY, 100, 100, 128);
        let now = SystemTime::now();
        let old = id(now - DAY - Duration::from_secs(60));
        assert!(matches!(
            seen.admit("A", &claim(&old), now, no_evictions).err(),
            Some(IdError::Stale { .. })
        ));
        let ahead = id(now + CLOCK_SKEW + Duration::from_secs(60));
        let e = seen
            .admit("A", &claim(&ahead), now, no_evictions)
            .err()
            .unwrap();
        assert_eq!(e.fault_code(), FaultCode::StaleMessageId);
        let slightly = id(now + Duration::from_secs(10));
        assert!(
            seen.admit("A", &claim(&slightly), now, no_evictions)
                .is_ok()
        );
        let v4 = "b7675722-7819-47cb-8b9f-51ce2e9296df";
        assert_eq!(
            seen.admit("A", &claim(v4), now, no_evictions).err(),
            Some(IdError::Format(v4.into()))
        );
        // SMEV 2 ids are free-form: remembered, not parsed — but bounded.
        let smev2 = |id: &'static str| Claim {
            message_id: Some(id),
            smev3: false,
            signature: None,
        };
        seen.admit("A", &smev2(v4), now, no_evictions)
            .unwrap()
            .keep();
        assert!(seen.admit("A", &smev2(v4), now, no_evictions).is_err());
        let long: &'static str = Box::leak("x".repeat(129).into_boxed_str());
        let e = seen
            .admit("A", &smev2(long), now, no_evictions)
            .err()
            .unwrap();
        assert_eq!(e, IdError::TooLong { len: 129, max: 128 });
        assert_eq!(e.fault_code(), FaultCode::InvalidMessageId);
    }

    /// One system's flood evicts only its own memory; the count is per system.
    #[test]
    fn capacity_is_per_system() {
        let seen = Seen::new(DAY, 1000, 3, 128);
        let now = SystemTime::now();
        let victim = id(now);
        seen.admit("VICTIM", &claim(&victim), now, no_evictions)
            .unwrap()
            .keep();
        let mut evicted: HashMap<String, u64> = HashMap::new();
        for _ in 0..50 {
            let i = id(now);
            seen.admit("FLOOD", &claim(&i), now, |s, n| {
                *evicted.entry(s.into()).or_default() += n
            })
            .unwrap()
            .keep();
        }
        assert_eq!(seen.len_of("FLOOD"), 3);
        assert_eq!(evicted.get("FLOOD"), Some(&47));
        assert_eq!(evicted.get("VICTIM"), None);
        assert!(matches!(
            seen.admit("VICTIM", &claim(&victim), now, no_evictions)
                .err(),
            Some(IdError::Duplicate(_))
        ));
    }

    #[test]
    fn the_global_bound_takes_from_the_biggest_system() {
        let seen = Seen::new(DAY, 6, 5, 128);
        let now = SystemTime::now();
        let first = id(now);
        seen.admit("SMALL", &claim(&first), now, no_evictions)
            .unwrap()
            .keep();
        let mut evicted = Vec::new();
        for _ in 0..5 {
            let i = id(now);
            seen.admit("BIG", &claim(&i), now, |s, n| {
                evicted.push((s.to_string(), n))
            })
            .unwrap()
            .keep();
        }
        seen.admit("SMALL", &claim(&id(now)), now, |s, n| {
            evicted.push((s.to_string(), n))
        })
        .unwrap()
        .keep();
        assert_eq!(seen.len(), 6);
        assert_eq!(seen.len_of("SMALL"), 2);
        assert_eq!(evicted, vec![("BIG".to_string(), 1)]);
    }

    #[test]
    fn memory_expires_with_the_window() {
        let short = Seen::new(Duration::from_millis(20), 100, 100, 128);
        let now = SystemTime::now();
        let smev2 = Claim {
            message_id: Some("abc"),
            smev3: false,
            signature: None,
        };
        short.admit("A", &smev2, now, no_evictions).unwrap().keep();
        std::thread::sleep(Duration::from_millis(30));
        let other = Claim {
            message_id: Some("def"),
            ..smev2.clone()
        };
        short.admit("A", &other, now, no_evictions).unwrap().keep();
        assert_eq!(short.len(), 1);
        // Expired keys are forgotten: the old one is accepted again (its age is the
        // timestamp check's business, not the memory's).
        assert!(short.admit("A", &smev2, now, no_evictions).is_ok());
    }

    #[test]
    fn keys_read_back_are_refused() {
        let seen = Seen::new(DAY, 100, 100, 128);
        let now = SystemTime::now();
        let i = id(now);
        seen.remember("A", id_key(&i), now - Duration::from_secs(60), now);
        assert_eq!(seen.len(), 1);
        assert!(matches!(
            seen.admit("A", &claim(&i), now, no_evictions).err(),
            Some(IdError::Duplicate(_))
        ));
        // Out of its window: not remembered at all.
        seen.remember("A", id_key("old"), now - 2 * DAY, now);
        assert_eq!(seen.len(), 1);
    }
}
