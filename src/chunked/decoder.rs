//! The server side: an `aws-chunked` stream checked as it arrives, in any split. Each
//! chunk's data is released only once its signature is verified; memory stays at one chunk
//! and a few hundred bytes, whatever the body's length.

use sha2::{Digest, Sha256};

use super::checksum::{Checksum, ChecksumAlgorithm};
use super::encoder::MIN_CHUNK_SIZE;
use super::{ChainSigner, SIGNATURE_PREFIX, TRAILER_SIGNATURE_HEADER};
use crate::ct;
use crate::request::StreamingPayload;
use crate::verify::VerifyError;

/// Bounds and rules of a decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecoderSettings {
    /// The largest chunk accepted (1 MiB by default); the decoder holds one chunk.
    pub max_chunk_size: usize,
    /// The smallest data chunk accepted but for the last one (8 KiB, as S3).
    pub min_chunk_size: usize,
}

impl Default for DecoderSettings {
    fn default() -> Self {
        Self {
            max_chunk_size: 1024 * 1024,
            min_chunk_size: MIN_CHUNK_SIZE,
        }
    }
}

/// The longest chunk-size line: 16 hex digits, the signature part, CRLF, with room to spare.
const MAX_LINE: usize = 128;
/// The most bytes of trailing headers.
const MAX_TRAILER: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    Header,
    /// Reading chunk data.
    Data { remaining: u64 },
    /// Expecting the CRLF after a chunk's data (`seen` of its two bytes so far).
    DataEnd { seen: u8 },
    /// Expecting the CRLF that ends a signed stream without a trailer.
    FinalEnd { seen: u8 },
    /// Reading trailing header lines, up to the empty line.
    Trailer,
    /// Done: anything more is an error.
    End,
}

/// What a finished stream was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBody {
    /// Bytes of data.
    pub length: u64,
    /// Chunks of data (the final empty chunk not counted).
    pub chunks: u64,
    /// The trailing checksum, verified: its header name and value.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

/// Decodes and verifies an `aws-chunked` body incrementally.
pub struct ChunkedDecoder {
    kind: StreamingPayload,
    settings: DecoderSettings,
    chain: Option<ChainSigner>,
    state: State,
    line: Vec<u8>,
    data: Vec<u8>,
    hasher: Sha256,
    declared_signature: [u8; 32],
    announced: Option<ChecksumAlgorithm>,
    checksum: Option<Checksum>,
    trailer_value: Option<String>,
    trailer_canonical: Vec<u8>,
    trailer_signed: bool,
    expected_length: u64,
    length: u64,
    chunks: u64,
    last_chunk_size: u64,
    failed: bool,
}

impl std::fmt::Debug for ChunkedDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkedDecoder")
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("length", &self.length)
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

fn malformed(reason: impl Into<String>) -> VerifyError {
    VerifyError::MalformedChunk {
        reason: reason.into(),
    }
}

impl ChunkedDecoder {
    pub(crate) fn new(
        kind: StreamingPayload,
        chain: Option<ChainSigner>,
        expected_length: u64,
        announced: Option<ChecksumAlgorithm>,
        settings: DecoderSettings,
    ) -> Self {
        Self {
            kind,
            chain,
            state: State::Header,
            line: Vec::with_capacity(MAX_LINE),
            data: Vec::new(),
            hasher: Sha256::new(),
            declared_signature: [0; 32],
            checksum: announced.map(ChecksumAlgorithm::hasher),
            announced,
            trailer_value: None,
            trailer_canonical: Vec::new(),
            trailer_signed: false,
            expected_length,
            length: 0,
            chunks: 0,
            last_chunk_size: 0,
            failed: false,
            settings,
        }
    }

    /// Takes the next bytes of the body, in any split. `release` is called with each
    /// chunk's data once the chunk is verified (for unsigned streams, as it arrives). After
    /// an error the decoder refuses everything.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        mut release: impl FnMut(&[u8]),
    ) -> Result<(), VerifyError> {
        if self.failed {
            return Err(malformed("the stream already failed"));
        }
        let result = (|| {
            while !input.is_empty() {
                input = self.step(input, &mut release)?;
            }
            Ok(())
        })();
        if result.is_err() {
            self.failed = true;
            self.data.clear();
        }
        result
    }

    /// Consumes a prefix of `input` and returns the rest.
    fn step<'i>(
        &mut self,
        input: &'i [u8],
        release: &mut impl FnMut(&[u8]),
    ) -> Result<&'i [u8], VerifyError> {
        match self.state {
            State::Header | State::Trailer => {
                let limit = if self.state == State::Header {
                    MAX_LINE
                } else {
                    MAX_TRAILER
                };
                let (taken, complete) = match input.iter().position(|&b| b == b'\n') {
                    Some(at) => (at + 1, true),
                    None => (input.len(), false),
                };
                if self.line.len() + taken > limit {
                    return Err(if self.state == State::Header {
                        malformed("a chunk-size line is too long")
                    } else {
                        VerifyError::MalformedTrailer {
                            reason: "the trailer is too long".into(),
                        }
                    });
                }
                self.line.extend_from_slice(&input[..taken]);
                if complete {
                    let line = std::mem::take(&mut self.line);
                    let result = if self.state == State::Header {
                        self.chunk_header(&line)
                    } else {
                        self.trailer_line(&line)
                    };
                    self.line = line;
                    self.line.clear();
                    result?;
                }
                Ok(&input[taken..])
            }
            State::Data { remaining } => {
                let take = usize::try_from(remaining).map_or(input.len(), |r| r.min(input.len()));
                let (data, rest) = input.split_at(take);
                if let Some(checksum) = &mut self.checksum {
                    checksum.update(data);
                }
                if self.kind.chunks_signed() {
                    self.hasher.update(data);
                    self.data.extend_from_slice(data);
                } else {
                    release(data);
                }
                let remaining = remaining - take as u64;
                self.state = if remaining == 0 {
                    State::DataEnd { seen: 0 }
                } else {
                    State::Data { remaining }
                };
                Ok(rest)
            }
            State::DataEnd { seen } | State::FinalEnd { seen } => {
                let want = if seen == 0 { b'\r' } else { b'\n' };
                if input[0] != want {
                    return Err(malformed("chunk data is not followed by CRLF"));
                }
                if seen == 0 {
                    self.state = match self.state {
                        State::DataEnd { .. } => State::DataEnd { seen: 1 },
                        _ => State::FinalEnd { seen: 1 },
                    };
                } else if let State::FinalEnd { .. } = self.state {
                    self.state = State::End;
                } else {
                    self.end_of_chunk(release)?;
                    self.state = State::Header;
                }
                Ok(&input[1..])
            }
            State::End => Err(malformed("bytes after the end of the stream")),
        }
    }

    /// A chunk's data is complete: verify its signature, then release it.
    fn end_of_chunk(&mut self, release: &mut impl FnMut(&[u8])) -> Result<(), VerifyError> {
        if let Some(chain) = &mut self.chain {
            let hash: [u8; 32] = std::mem::replace(&mut self.hasher, Sha256::new())
                .finalize()
                .into();
            let computed = chain.chunk(&hash);
            if !ct::eq(&computed, &self.declared_signature) {
                // `chunks` already counts this chunk.
                return Err(VerifyError::ChunkSignatureDoesNotMatch {
                    chunk: self.chunks - 1,
                });
            }
            release(&self.data);
            self.data.clear();
        }
        Ok(())
    }

    fn chunk_header(&mut self, line: &[u8]) -> Result<(), VerifyError> {
        let line = line
            .strip_suffix(b"\r\n")
            .ok_or_else(|| malformed("a chunk-size line does not end in CRLF"))?;
        let (size_text, signature) = if self.kind.chunks_signed() {
            let at = line
                .iter()
                .position(|&b| b == b';')
                .ok_or_else(|| malformed("a chunk-size line has no chunk-signature"))?;
            let rest = line[at..]
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or_else(|| malformed("a chunk-size line has no chunk-signature"))?;
            let signature = crate::hex::decode32(rest)
                .ok_or_else(|| malformed("a chunk signature is not 64 lower-case hex digits"))?;
            (&line[..at], Some(signature))
        } else {
            (line, None)
        };
        if size_text.is_empty()
            || size_text.len() > 16
            || !size_text.iter().all(u8::is_ascii_hexdigit)
        {
            return Err(malformed("a chunk size is not a hexadecimal number"));
        }
        let size = size_text.iter().fold(0u64, |n, &d| {
            n << 4 | u64::from(char::from(d).to_digit(16).unwrap_or(0))
        });
        if size > self.settings.max_chunk_size as u64 {
            return Err(VerifyError::ChunkTooLarge {
                size,
                limit: self.settings.max_chunk_size,
            });
        }
        if size > 0 && self.chunks > 0 && self.last_chunk_size < self.settings.min_chunk_size as u64
        {
            return Err(VerifyError::ChunkTooSmall {
                size: self.last_chunk_size,
                minimum: self.settings.min_chunk_size,
            });
        }
        if self.length.saturating_add(size) > self.expected_length {
            return Err(VerifyError::IncompleteBody {
                expected: self.expected_length,
                received: self.length.saturating_add(size),
            });
        }
        if let Some(signature) = signature {
            self.declared_signature = signature;
        }
        if size == 0 {
            if let Some(chain) = &mut self.chain {
                let computed = chain.chunk(&Sha256::digest(b"").into());
                if !ct::eq(&computed, &self.declared_signature) {
                    return Err(VerifyError::ChunkSignatureDoesNotMatch { chunk: self.chunks });
                }
            }
            if self.length != self.expected_length {
                return Err(VerifyError::IncompleteBody {
                    expected: self.expected_length,
                    received: self.length,
                });
            }
            self.state = if self.kind.has_trailer() {
                State::Trailer
            } else {
                State::FinalEnd { seen: 0 }
            };
            return Ok(());
        }
        self.chunks += 1;
        self.length += size;
        self.last_chunk_size = size;
        if self.data.capacity() < size as usize && self.kind.chunks_signed() {
            self.data.reserve(size as usize - self.data.len());
        }
        self.state = State::Data { remaining: size };
        Ok(())
    }

    fn trailer_line(&mut self, line: &[u8]) -> Result<(), VerifyError> {
        let bad = |reason: &str| VerifyError::MalformedTrailer {
            reason: reason.to_owned(),
        };
        let line = line
            .strip_suffix(b"\r\n")
            .ok_or_else(|| bad("a trailer line does not end in CRLF"))?;
        if line.is_empty() {
            return self.end_of_trailer();
        }
        let text = std::str::from_utf8(line).map_err(|_| bad("a trailer line is not ASCII"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| bad("a trailer line is not name:value"))?;
        let value = value.trim();
        if self.trailer_signed {
            return Err(bad(
                "nothing may follow the trailer signature but the empty line",
            ));
        }
        if name.eq_ignore_ascii_case(TRAILER_SIGNATURE_HEADER) {
            if !self.kind.chunks_signed() {
                return Err(bad("an unsigned stream has no trailer signature"));
            }
            let declared = crate::hex::decode32(value.as_bytes())
                .ok_or_else(|| bad("the trailer signature is not 64 lower-case hex digits"))?;
            let canonical = std::mem::take(&mut self.trailer_canonical);
            let computed = match &mut self.chain {
                Some(chain) => chain.trailer(&canonical),
                None => return Err(bad("an unsigned stream has no trailer signature")),
            };
            if !ct::eq(&computed, &declared) {
                return Err(VerifyError::TrailerSignatureDoesNotMatch);
            }
            self.trailer_signed = true;
            return Ok(());
        }
        match self.announced {
            Some(algorithm) if algorithm.header_name().eq_ignore_ascii_case(name) => {}
            _ => {
                return Err(VerifyError::TrailerNotAnnounced {
                    name: name.chars().take(64).collect(),
                })
            }
        }
        if self.trailer_value.is_some() {
            return Err(bad("a trailing header appears twice"));
        }
        self.trailer_canonical
            .extend_from_slice(name.to_ascii_lowercase().as_bytes());
        self.trailer_canonical.push(b':');
        self.trailer_canonical.extend_from_slice(value.as_bytes());
        self.trailer_canonical.push(b'\n');
        self.trailer_value = Some(value.to_owned());
        Ok(())
    }

    fn end_of_trailer(&mut self) -> Result<(), VerifyError> {
        if self.kind.chunks_signed() && !self.trailer_signed {
            return Err(VerifyError::MalformedTrailer {
                reason: "the trailer has no x-amz-trailer-signature".into(),
            });
        }
        let (Some(algorithm), Some(checksum)) = (self.announced, self.checksum.take()) else {
            self.state = State::End;
            return Ok(());
        };
        let Some(declared) = &self.trailer_value else {
            return Err(VerifyError::MalformedTrailer {
                reason: format!("the announced {} is missing", algorithm.header_name()),
            });
        };
        let computed = checksum.finish();
        if !ct::eq(computed.as_bytes(), declared.as_bytes()) {
            return Err(VerifyError::ChecksumMismatch {
                algorithm: algorithm.header_name(),
                declared: declared.clone(),
                computed,
            });
        }
        self.state = State::End;
        Ok(())
    }

    /// Ends the stream: fails if it stopped before its end (truncation).
    pub fn finish(self) -> Result<DecodedBody, VerifyError> {
        if self.failed {
            return Err(malformed("the stream already failed"));
        }
        if self.state != State::End {
            return Err(VerifyError::IncompleteBody {
                expected: self.expected_length,
                received: self.length,
            });
        }
        Ok(DecodedBody {
            length: self.length,
            chunks: self.chunks,
            checksum: self.announced.zip(self.trailer_value),
        })
    }
}
