//! The canonical request: the one place where SigV4 says how a request is turned into the
//! bytes that are hashed. The signer and the verifier both go through it.
//!
//! It is written into a [`Sink`]: a SHA-256 hasher on the hot path, so the canonical request
//! is hashed as it is produced and never held in memory, or a byte buffer when a caller asks
//! to see it.

pub(crate) mod headers;
pub(crate) mod path;
pub(crate) mod query;

use hmac::Hmac;
use sha2::{Digest, Sha256};

pub(crate) use headers::{
    name_key, parse_signed_names, HeaderSource, Matched, SignedList, SignedName, SignedNames,
    SortedHeader,
};
pub(crate) use query::{Component, QueryParam};

/// Something the canonical request or the string to sign can be written into.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);

    fn put_str(&mut self, text: &str) {
        self.put(text.as_bytes());
    }

    /// One byte: the separators of the canonical request, written without a copy call.
    fn put_byte(&mut self, byte: u8) {
        self.put(&[byte]);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

/// A SHA-256 hasher behind a stack buffer. The canonical request arrives in dozens of
/// small pieces; copying them into a buffer and hashing it a few blocks at a time costs
/// far less than a hasher call per piece.
pub(crate) struct BufferedSha256 {
    hasher: Sha256,
    buf: [u8; BUFFER],
    len: usize,
}

const BUFFER: usize = 256;

impl BufferedSha256 {
    pub(crate) fn new() -> Self {
        Self {
            hasher: Sha256::new(),
            buf: [0; BUFFER],
            len: 0,
        }
    }

    pub(crate) fn finish(&mut self) -> [u8; 32] {
        self.hasher.update(&self.buf[..self.len]);
        self.len = 0;
        self.hasher.finalize_reset().into()
    }

    #[cold]
    fn put_slow(&mut self, bytes: &[u8]) {
        self.hasher.update(&self.buf[..self.len]);
        self.len = 0;
        if bytes.len() >= BUFFER {
            self.hasher.update(bytes);
        } else {
            self.buf[..bytes.len()].copy_from_slice(bytes);
            self.len = bytes.len();
        }
    }
}

impl Sink for BufferedSha256 {
    #[inline]
    fn put_byte(&mut self, byte: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) => {
                *slot = byte;
                self.len += 1;
            }
            None => self.put_slow(&[byte]),
        }
    }

    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(room) => {
                room.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.put_slow(bytes),
        }
    }
}

impl Sink for Hmac<Sha256> {
    fn put(&mut self, bytes: &[u8]) {
        hmac::Mac::update(self, bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// How the path is canonicalized: the rules that differ between S3 and other services.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PathRules {
    pub(crate) normalize: bool,
    pub(crate) double_encode: bool,
}

/// The parts of a canonical request, each already in the order SigV4 wants: the query
/// parameters sorted and encoded, the headers sorted and limited to the signed ones.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CanonicalRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) path_rules: PathRules,
    /// The query's parameters: two runs, each sorted, merged as they are written.
    pub(crate) query: [&'a [QueryParam<'a>]; 2],
    pub(crate) headers: HeaderSource<'a>,
    /// The signed header list as text, when the caller has written it already (the
    /// signer, into `Authorization`); otherwise it is written from `headers`.
    pub(crate) signed_names: Option<&'a str>,
    pub(crate) payload_hash: &'a [u8],
}

impl CanonicalRequest<'_> {
    /// Writes the canonical request:
    /// method, path, query, headers (each line ending in a newline), signed header names,
    /// payload hash, separated by newlines.
    pub(crate) fn write<S: Sink>(&self, sink: &mut S) {
        sink.put_str(self.method);
        sink.put_byte(b'\n');
        path::write(sink, self.path, self.path_rules);
        sink.put_byte(b'\n');
        query::write(sink, self.query);
        sink.put_byte(b'\n');
        self.headers.write_canonical(sink);
        sink.put_byte(b'\n');
        match self.signed_names {
            Some(names) => sink.put_str(names),
            None => self.headers.write_signed_names(sink),
        }
        sink.put_byte(b'\n');
        sink.put(self.payload_hash);
    }

    /// The SHA-256 of the canonical request, computed without building it.
    pub(crate) fn hash(&self) -> [u8; 32] {
        let mut hasher = BufferedSha256::new();
        self.write(&mut hasher);
        hasher.finish()
    }

    /// The canonical request as text, for debugging.
    pub(crate) fn to_text(self) -> String {
        let mut out = Vec::with_capacity(512);
        self.write(&mut out);
        // Header values may hold any bytes; the text is for people, so those are replaced.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}
