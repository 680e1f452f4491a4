//! MessageIDs the node has seen: a message whose MessageID its sending system already used is
//! refused (SMEV 3 `MessageIsAlreadySent`), so a captured signed request cannot be replayed
//! through the node and a client's blind resend is not executed twice.
//!
//! Memory is bounded in time and in count. Time alone is not enough against replays: an id
//! older than the window would pass again. SMEV 3 MessageIDs are version-1 UUIDs, whose
//! timestamp is covered by the signature, so a SMEV 3 id is also refused once it is older
//! than the window (`StaleMessageId`) — every id still acceptable is one the node remembers.
//! SMEV 2 MessageIds carry no time; they are remembered for the same window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rsmev_fault::FaultCode;

/// How far ahead of this node's clock a MessageID's timestamp may be.
pub const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Why a MessageID is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("MessageID {0} is not an RFC 4122 version-1 UUID in lower case")]
    Format(String),
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
}

impl IdError {
    pub fn fault_code(&self) -> FaultCode {
        match self {
            IdError::Format(_) => FaultCode::InvalidMessageId,
            IdError::Stale { .. } => FaultCode::StaleMessageId,
            IdError::Future { .. } => FaultCode::StaleMessageId,
            IdError::Duplicate(_) => FaultCode::DuplicateMessage,
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

/// The node's memory of MessageIDs, per sending system.
pub struct Seen {
    window: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

/// (sending system, MessageID).
type Key = (Box<str>, Box<str>);

#[derive(Default)]
struct Inner {
    /// (sender, id) → when it is forgotten.
    ids: HashMap<Key, Instant>,
    /// Insertion order, for expiry and the count bound. An entry may be stale (forgotten or
    /// re-remembered since); it is checked against `ids` when it reaches the front.
    order: VecDeque<(Instant, Key)>,
}

/// What [`Seen::admit`] did, for the exchange's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admitted {
    /// The id is now remembered; [`Seen::forget`] it if the message never left the node.
    Remembered,
    /// The message has no MessageID of its own (GetRequest, Ack, …): nothing to remember.
    NoId,
}

impl Seen {
    pub fn new(window: Duration, capacity: usize) -> Seen {
        Seen {
            window,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn window(&self) -> Duration {
        self.window
    }

    /// Checks a message's id and remembers it. `smev3` ids must be fresh version-1 UUIDs.
    pub fn admit(
        &self,
        sender: &str,
        id: Option<&str>,
        smev3: bool,
        now: SystemTime,
        evicted: impl FnOnce(u64),
    ) -> Result<Admitted, IdError> {
        let Some(id) = id else {
            return Ok(Admitted::NoId);
        };
        if smev3 {
            let made = uuid_v1_time(id).ok_or_else(|| IdError::Format(id.to_string()))?;
            match now.duration_since(made) {
                Ok(age) if age > self.window => {
                    return Err(IdError::Stale {
                        id: id.to_string(),
                        age: HumanDuration(age),
                        window: HumanDuration(self.window),
                    });
                }
                Ok(_) => {}
                Err(e) if e.duration() > CLOCK_SKEW => {
                    return Err(IdError::Future {
                        id: id.to_string(),
                        ahead: HumanDuration(e.duration()),
                    });
                }
                Err(_) => {}
            }
        }
        let at = Instant::now();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let dropped = inner.expire(at, self.capacity.saturating_sub(1));
        if dropped > 0 {
            evicted(dropped);
        }
        let key: Key = (sender.into(), id.into());
        if inner.ids.contains_key(&key) {
            return Err(IdError::Duplicate(id.to_string()));
        }
        inner.insert(key, at + self.window);
        Ok(Admitted::Remembered)
    }

    /// Remembers an id read back from the journal at start, for what is left of its window.
    pub fn remember(&self, sender: &str, id: &str, arrived: SystemTime, now: SystemTime) {
        let age = now.duration_since(arrived).unwrap_or_default();
        let Some(left) = self.window.checked_sub(age) else {
            return;
        };
        let until = Instant::now() + left;
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.expire(Instant::now(), self.capacity.saturating_sub(1));
        inner.insert((sender.into(), id.into()), until);
    }

    /// Takes back an id whose message never reached the upstream (no connection, circuit
    /// open): the sender may send it again.
    pub fn forget(&self, sender: &str, id: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.ids.remove(&(Box::from(sender), Box::from(id)));
    }

    /// Ids remembered now.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .ids
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn insert(&mut self, key: Key, until: Instant) {
        self.ids.insert(key.clone(), until);
        self.order.push_back((until, key));
    }

    /// Forgets what has expired, then the oldest until at most `keep` remain; returns how many
    /// unexpired ids had to go for the bound.
    fn expire(&mut self, now: Instant, keep: usize) -> u64 {
        let mut evicted = 0;
        while let Some((until, _)) = self.order.front() {
            let over = self.ids.len() > keep;
            if *until > now && !over {
                break;
            }
            let (until, key) = self.order.pop_front().expect("front exists");
            // Only the entry that set the current deadline removes the id.
            if self.ids.get(&key) == Some(&until) {
                self.ids.remove(&key);
                if until > now {
                    evicted += 1;
                }
            }
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

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
        let id = crate::node::message_id(now, 0);
        let back = uuid_v1_time(&id).unwrap();
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
        let seen = Seen::new(DAY, 100);
        let now = SystemTime::now();
        let id = crate::node::message_id(now, 1);
        let ok = |s: &str| seen.admit(s, Some(&id), true, now, |_| panic!("evicted"));
        assert_eq!(ok("MFC440001"), Ok(Admitted::Remembered));
        assert_eq!(ok("MFC440001"), Err(IdError::Duplicate(id.clone())));
        // Another system's ids are its own.
        assert_eq!(ok("GIBD44001"), Ok(Admitted::Remembered));
        // A message that never left the node may come again.
        seen.forget("MFC440001", &id);
        assert_eq!(ok("MFC440001"), Ok(Admitted::Remembered));
        assert_eq!(
            seen.admit("MFC440001", None, true, now, |_| ()),
            Ok(Admitted::NoId)
        );
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn old_future_and_malformed_smev3_ids() {
        let seen = Seen::new(DAY, 100);
        let now = SystemTime::now();
        let old = crate::node::message_id(now - DAY - Duration::from_secs(60), 0);
        assert!(matches!(
            seen.admit("A", Some(&old), true, now, |_| ()),
            Err(IdError::Stale { .. })
        ));
        let ahead = crate::node::message_id(now + CLOCK_SKEW + Duration::from_secs(60), 0);
        let e = seen
            .admit("A", Some(&ahead), true, now, |_| ())
            .unwrap_err();
        assert_eq!(e.fault_code(), FaultCode::StaleMessageId);
        let slightly = crate::node::message_id(now + Duration::from_secs(10), 0);
        assert!(seen.admit("A", Some(&slightly), true, now, |_| ()).is_ok());
        let v4 = "b7675722-7819-47cb-8b9f-51ce2e9296df";
        assert_eq!(
            seen.admit("A", Some(v4), true, now, |_| ()),
            Err(IdError::Format(v4.into()))
        );
        // SMEV 2 ids are free-form: remembered, not parsed.
        assert!(seen.admit("A", Some(v4), false, now, |_| ()).is_ok());
        assert!(seen.admit("A", Some(v4), false, now, |_| ()).is_err());
    }

    #[test]
    fn memory_is_bounded_by_count_and_time() {
        let seen = Seen::new(DAY, 3);
        let now = SystemTime::now();
        let mut evicted = 0;
        for n in 0..5 {
            let id = crate::node::message_id(now, n);
            seen.admit("A", Some(&id), true, now, |k| evicted += k)
                .unwrap();
        }
        assert_eq!(seen.len(), 3);
        assert_eq!(evicted, 2);
        // The oldest went first: the newest are still refused.
        let newest = crate::node::message_id(now, 4);
        assert!(seen.admit("A", Some(&newest), true, now, |_| ()).is_err());

        let short = Seen::new(Duration::from_millis(20), 100);
        let id = crate::node::message_id(now, 9);
        short.admit("A", Some(&id), false, now, |_| ()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        let other = crate::node::message_id(now, 10);
        short
            .admit("A", Some(&other), false, now, |_| {
                panic!("expired, not evicted")
            })
            .unwrap();
        assert_eq!(short.len(), 1);
        // Expired ids are forgotten: the old one is accepted again (its age is the
        // timestamp check's business, not the memory's).
        assert!(short.admit("A", Some(&id), false, now, |_| ()).is_ok());
    }
}
