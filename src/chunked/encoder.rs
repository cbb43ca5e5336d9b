//! The client side: a body turned into an `aws-chunked` stream, one chunk at a time.

use sha2::{Digest, Sha256};
use std::io::Write as _;

use super::checksum::{Checksum, ChecksumAlgorithm};
use super::{ChainSigner, SIGNATURE_PREFIX, TRAILER_SIGNATURE_HEADER};
use crate::error::SigningError;
use crate::request::StreamingPayload;
use crate::sign::{Signer, SigningOutput, SigningParams};
use crate::time::AmzDate;

/// The chunk size of the AWS SDKs, 64 KiB.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;

/// S3 refuses data chunks under 8 KiB but for the last one.
pub const MIN_CHUNK_SIZE: usize = 8 * 1024;

/// What an `aws-chunked` body will be: its mode, decoded length, chunk size and trailing
/// checksum. It gives the headers the request must carry (and sign) before the body is
/// encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedBody {
    kind: StreamingPayload,
    decoded_length: u64,
    chunk_size: usize,
    trailer: Option<ChecksumAlgorithm>,
}

impl ChunkedBody {
    /// A body of `decoded_length` bytes in `kind`'s mode, in chunks of 64 KiB.
    pub fn new(kind: StreamingPayload, decoded_length: u64) -> Self {
        Self {
            kind,
            decoded_length,
            chunk_size: DEFAULT_CHUNK_SIZE,
            trailer: None,
        }
    }

    /// Sets the chunk size: at least 8 KiB, as S3 requires of every chunk but the last.
    pub fn chunk_size(mut self, bytes: usize) -> Result<Self, SigningError> {
        if bytes < MIN_CHUNK_SIZE {
            return Err(SigningError::InvalidChunkSize { bytes });
        }
        self.chunk_size = bytes;
        Ok(self)
    }

    /// Adds a trailing checksum; the trailer modes need one.
    pub fn trailer(mut self, algorithm: ChecksumAlgorithm) -> Self {
        self.trailer = Some(algorithm);
        self
    }

    /// The streaming mode.
    pub fn kind(&self) -> StreamingPayload {
        self.kind
    }

    /// The number of bytes of data.
    pub fn decoded_length(&self) -> u64 {
        self.decoded_length
    }

    /// The chunk size.
    pub fn size_of_chunks(&self) -> usize {
        self.chunk_size
    }

    fn check(&self) -> Result<(), SigningError> {
        match (self.kind.has_trailer(), self.trailer) {
            (true, None) => Err(SigningError::TrailerRequired),
            (false, Some(_)) => Err(SigningError::TrailerNotAllowed),
            _ => Ok(()),
        }
    }

    /// The encoded length: the `Content-Length` to send.
    pub fn encoded_length(&self) -> u64 {
        let chunk = self.chunk_size as u64;
        let full = self.decoded_length / chunk;
        let rest = self.decoded_length % chunk;
        let signature = if self.kind.chunks_signed() {
            (SIGNATURE_PREFIX.len() + 64) as u64
        } else {
            0
        };
        // Saturating: a declared length near u64::MAX must not overflow.
        let framed = |size: u64| (hex_len(size) + signature + 4).saturating_add(size);
        let mut total = full
            .saturating_mul(framed(chunk))
            .saturating_add(if rest > 0 { framed(rest) } else { 0 });
        // The final, empty chunk.
        let mut end = 1 + signature + 2;
        match self.trailer {
            None => end += 2,
            Some(algorithm) => {
                end += (algorithm.header_name().len() + 1 + base64_len(algorithm) + 2) as u64;
                if self.kind.chunks_signed() {
                    end += (TRAILER_SIGNATURE_HEADER.len() + 1 + 64 + 2) as u64;
                }
                end += 2;
            }
        }
        total = total.saturating_add(end);
        total
    }

    /// The headers the request carries for this body, to add before signing:
    /// `content-encoding`, `content-length`, `x-amz-decoded-content-length`, and
    /// `x-amz-trailer` when there is a trailer.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("content-encoding", "aws-chunked".to_owned()),
            ("content-length", self.encoded_length().to_string()),
            (
                "x-amz-decoded-content-length",
                self.decoded_length.to_string(),
            ),
        ];
        if let Some(algorithm) = self.trailer {
            headers.push(("x-amz-trailer", algorithm.header_name().to_owned()));
        }
        headers
    }
}

fn hex_len(n: u64) -> u64 {
    u64::from((64 - n.leading_zeros()).div_ceil(4).max(1))
}

fn base64_len(algorithm: ChecksumAlgorithm) -> usize {
    let digest: usize = match algorithm {
        ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
        ChecksumAlgorithm::Sha1 => 20,
        ChecksumAlgorithm::Sha256 => 32,
    };
    digest.div_ceil(3) * 4
}

/// Encodes a body chunk by chunk, signing each in the chain that starts at the request's
/// signature. It never holds more than the chunk it is given.
#[derive(Debug)]
pub struct ChunkedEncoder {
    body: ChunkedBody,
    chain: Option<ChainSigner>,
    checksum: Option<Checksum>,
    written: u64,
}

impl Signer {
    /// The encoder for a body whose request was signed as `seed`, with the same
    /// parameters. The request must have carried `body.headers()` and the payload
    /// `Payload::Streaming(body.kind())`.
    pub fn chunked_encoder(
        &self,
        params: &SigningParams<'_>,
        seed: &SigningOutput<'_>,
        body: ChunkedBody,
    ) -> Result<ChunkedEncoder, SigningError> {
        body.check()?;
        let chain = if body.kind.chunks_signed() {
            let mut seed_signature = [0u8; 32];
            hex::decode_to_slice(seed.signature(), &mut seed_signature)
                .map_err(|_| SigningError::InvalidUri)?;
            let date: AmzDate = seed.date();
            let start = crate::sign::Start::new_for_chunks(params, date)?;
            let key = start.with_key(self, params.credentials, |cached| cached.key().clone());
            Some(ChainSigner::new(key, &date, &start.scope(), seed_signature))
        } else {
            None
        };
        Ok(ChunkedEncoder {
            checksum: body.trailer.map(ChecksumAlgorithm::hasher),
            body,
            chain,
            written: 0,
        })
    }
}

impl ChunkedEncoder {
    /// Appends one chunk of `data` (1 byte to the chunk size) to `out`. Every chunk but the
    /// last must be exactly the chunk size.
    pub fn encode_chunk(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), SigningError> {
        let full = self.body.chunk_size;
        let after = self.written + data.len() as u64;
        if data.is_empty() || data.len() > full || after > self.body.decoded_length {
            return Err(SigningError::ChunkOutOfPlace);
        }
        if data.len() < full && after != self.body.decoded_length {
            return Err(SigningError::ChunkOutOfPlace);
        }
        self.write_chunk(data, out);
        if let Some(checksum) = &mut self.checksum {
            checksum.update(data);
        }
        self.written = after;
        Ok(())
    }

    fn write_chunk(&mut self, data: &[u8], out: &mut Vec<u8>) {
        // Writing to a `Vec` cannot fail.
        let _ = write!(out, "{:x}", data.len());
        if let Some(chain) = &mut self.chain {
            let signature = chain.chunk(&Sha256::digest(data).into());
            out.extend_from_slice(SIGNATURE_PREFIX);
            out.extend_from_slice(&crate::hex::encode32(&signature));
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(data);
        if !data.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
    }

    /// Appends the final chunk and the trailer; fails if the data written is not the
    /// declared length.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), SigningError> {
        if self.written != self.body.decoded_length {
            return Err(SigningError::ChunkOutOfPlace);
        }
        self.write_chunk(b"", out);
        match (self.body.trailer, self.checksum.take()) {
            (Some(algorithm), Some(checksum)) => {
                let mut trailer = Vec::with_capacity(64);
                trailer.extend_from_slice(algorithm.header_name().as_bytes());
                trailer.push(b':');
                trailer.extend_from_slice(checksum.finish().as_bytes());
                out.extend_from_slice(&trailer);
                out.extend_from_slice(b"\r\n");
                if let Some(chain) = &mut self.chain {
                    trailer.push(b'\n');
                    let signature = chain.trailer(&trailer);
                    out.extend_from_slice(TRAILER_SIGNATURE_HEADER.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(&crate::hex::encode32(&signature));
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"\r\n");
            }
            _ => out.extend_from_slice(b"\r\n"),
        }
        Ok(())
    }

    /// Encodes a whole body held in memory.
    pub fn encode_all(mut self, data: &[u8]) -> Result<Vec<u8>, SigningError> {
        if data.len() as u64 != self.body.decoded_length {
            return Err(SigningError::ChunkOutOfPlace);
        }
        let mut out = Vec::with_capacity(usize::try_from(self.body.encoded_length()).unwrap_or(0));
        for chunk in data.chunks(self.body.chunk_size) {
            self.encode_chunk(chunk, &mut out)?;
        }
        self.finish(&mut out)?;
        Ok(out)
    }
}
