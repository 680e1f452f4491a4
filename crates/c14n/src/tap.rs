//! Canonicalization fed by a caller that drives its own [`Reader`]: a verifier has to read the
//! whole message once anyway (to find every Id and signature), and with a tap it produces the
//! canonical form of a signed element in that same pass, before it has read the signature that
//! will ask for it. Exclusive C14N (optionally followed by the SMEV transform) only: those need
//! nothing from the element's ancestors but the namespace bindings the reader already tracks.

use rsmev_xml::{Event, Reader};

use crate::C14nError;
use crate::canon::Canon;
use crate::driver::{Emitter, Inherited, Top};
use crate::out::{Out, Sink};
use crate::smev::Smev;

enum Em<'a> {
    Exclusive(Canon<'a>),
    Smev(Smev<'a>),
}

/// Exclusive C14N (comments removed, as for any same-document reference) of one element,
/// with or without the SMEV transform after it.
pub struct Tap<'a> {
    em: Em<'a>,
    out: Out<Capped>,
    apex_depth: usize,
    done: bool,
}

/// Collects the tap's output, refusing to grow past its limit: a speculative copy must never
/// cost more memory than the input justifies.
struct Capped {
    out: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Sink for Capped {
    fn write(&mut self, bytes: &[u8]) {
        if self.over || self.out.len() + bytes.len() > self.limit {
            self.over = true;
            return;
        }
        self.out.extend_from_slice(bytes);
    }
}

/// Why a tap stopped early; the caller falls back to an ordinary canonicalization pass, which
/// reports any real error itself.
#[derive(Debug)]
pub enum TapStop {
    /// The canonical form grew past the tap's byte limit.
    TooLarge,
    /// The emitter refused the content (e.g. an unqualified element under the SMEV transform).
    Refused(Box<C14nError>),
}

impl<'a> Tap<'a> {
    /// Starts on the element whose [`Event::Start`] the reader has just returned. `limit`
    /// bounds the canonical bytes kept (checked as each 32 KiB output block is handed over,
    /// so memory stays under `limit` plus one block).
    pub fn start(r: &Reader<'a>, smev_transform: bool, limit: usize) -> Result<Self, TapStop> {
        let em = if smev_transform {
            Em::Smev(Smev::new(false))
        } else {
            Em::Exclusive(Canon::new(true, &[]))
        };
        let mut tap = Tap {
            em,
            out: Out::new(Capped {
                out: Vec::new(),
                limit,
                over: false,
            }),
            apex_depth: r.depth(),
            done: false,
        };
        tap.with_out(|em, out| match em {
            Em::Exclusive(c) => c.start(out, r, true, &Inherited::default()),
            Em::Smev(s) => s.start(out, r, true, &Inherited::default()),
        })?;
        Ok(tap)
    }

    fn with_out(
        &mut self,
        f: impl FnOnce(&mut Em<'a>, &mut Out<Capped>) -> Result<(), C14nError>,
    ) -> Result<(), TapStop> {
        f(&mut self.em, &mut self.out).map_err(|e| TapStop::Refused(Box::new(e)))?;
        if self.out.sink().over {
            return Err(TapStop::TooLarge);
        }
        Ok(())
    }

    /// Feeds the event the reader has just returned (after the apex's start). Returns `true`
    /// once the element has ended; the tap takes no more events after that.
    #[inline]
    pub fn feed(&mut self, r: &Reader<'a>, ev: Event<'a>) -> Result<bool, TapStop> {
        if self.done {
            return Ok(true);
        }
        match ev {
            Event::Start => self.with_out(|em, out| match em {
                Em::Exclusive(c) => c.start(out, r, false, &Inherited::default()),
                Em::Smev(s) => s.start(out, r, false, &Inherited::default()),
            })?,
            Event::End { qname, depth } => {
                self.done = depth == self.apex_depth;
                self.with_out(|em, out| {
                    match em {
                        Em::Exclusive(c) => c.end(out, qname),
                        Em::Smev(s) => s.end(out, qname),
                    }
                    Ok(())
                })?;
            }
            Event::Text(t) => self.with_out(|em, out| {
                match em {
                    Em::Exclusive(c) => c.text(out, t),
                    Em::Smev(s) => s.text(out, t),
                }
                Ok(())
            })?,
            Event::Ref(ch) => self.with_out(|em, out| {
                match em {
                    Em::Exclusive(c) => c.ch(out, ch),
                    Em::Smev(s) => s.ch(out, ch),
                }
                Ok(())
            })?,
            Event::CData(t) => self.with_out(|em, out| {
                match em {
                    Em::Exclusive(c) => c.cdata(out, t),
                    Em::Smev(s) => s.cdata(out, t),
                }
                Ok(())
            })?,
            Event::Pi { target, data } => self.with_out(|em, out| {
                match em {
                    Em::Exclusive(c) => c.pi(out, target, data, Top::Inside),
                    Em::Smev(s) => s.pi(out, target, data, Top::Inside),
                }
                Ok(())
            })?,
            // Same-document references drop comments (XMLDSig §4.3.3.3).
            Event::Comment(_) | Event::Eof => {}
        }
        Ok(self.done)
    }

    /// The canonical bytes, once [`Tap::feed`] has returned `true`.
    pub fn into_bytes(self) -> Option<Vec<u8>> {
        if !self.done {
            return None;
        }
        let sink = self.out.into_sink();
        (!sink.over).then_some(sink.out)
    }
}
