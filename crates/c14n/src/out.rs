//! Buffered output into the caller's sink, and the escaping rules of each output grammar.

/// Where canonical bytes go: a hasher, a buffer, a socket writer. Writes cannot fail: a sink
/// that can (a socket) buffers and reports its error after [`crate::canonicalize`] returns.
pub trait Sink {
    fn write(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn write(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn write(&mut self, bytes: &[u8]) {
        (**self).write(bytes);
    }
}

/// Hashers cost per call: coalesce the many small writes of markup into large blocks.
const BLOCK: usize = 32 * 1024;

pub(crate) struct Out<S: Sink> {
    buf: Vec<u8>,
    sink: S,
}

impl<S: Sink> Out<S> {
    pub(crate) fn new(sink: S) -> Self {
        Out {
            buf: Vec::with_capacity(BLOCK),
            sink,
        }
    }

    pub(crate) fn sink(&self) -> &S {
        &self.sink
    }

    /// Flushes and gives the sink back.
    pub(crate) fn into_sink(mut self) -> S {
        self.flush();
        self.sink
    }

    #[inline]
    pub(crate) fn put(&mut self, b: &[u8]) {
        if self.buf.len() + b.len() > BLOCK {
            self.flush();
            if b.len() > BLOCK {
                self.sink.write(b);
                return;
            }
        }
        self.buf.extend_from_slice(b);
    }

    #[inline]
    pub(crate) fn s(&mut self, s: &str) {
        self.put(s.as_bytes());
    }

    pub(crate) fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.sink.write(&self.buf);
            self.buf.clear();
        }
    }

    /// C14N text: `&`, `<`, `>` and CR escaped (C14N 1.0 §2.3 / §5).
    pub(crate) fn c14n_text(&mut self, t: &str) {
        self.escaped(t, |b| match b {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            b'\r' => Some("&#xD;"),
            _ => None,
        });
    }

    /// Literal text from the reader holds no `&`, `<` or CR; only `>` can need escaping.
    #[inline]
    pub(crate) fn c14n_literal_text(&mut self, t: &str) {
        let b = t.as_bytes();
        let mut start = 0;
        for i in memchr::memchr_iter(b'>', b) {
            self.put(&b[start..i]);
            self.put(b"&gt;");
            start = i + 1;
        }
        self.put(&b[start..]);
    }

    /// C14N attribute value: `&`, `<`, `"`, TAB, LF, CR escaped.
    pub(crate) fn c14n_attr(&mut self, t: &str) {
        self.escaped(t, |b| match b {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'"' => Some("&quot;"),
            b'\t' => Some("&#x9;"),
            b'\n' => Some("&#xA;"),
            b'\r' => Some("&#xD;"),
            _ => None,
        });
    }

    pub(crate) fn c14n_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.c14n_text(c.encode_utf8(&mut tmp));
    }

    #[inline]
    fn escaped(&mut self, t: &str, esc: impl Fn(u8) -> Option<&'static str>) {
        let b = t.as_bytes();
        let mut start = 0;
        for (i, &c) in b.iter().enumerate() {
            if let Some(e) = esc(c) {
                self.put(&b[start..i]);
                self.s(e);
                start = i + 1;
            }
        }
        self.put(&b[start..]);
    }
}
