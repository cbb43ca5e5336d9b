//! `aws-chunked` bodies: each chunk signed in a chain that starts at the request's
//! signature (the seed), optionally ending in a trailing checksum that is signed too.
//!
//! On the wire (signed modes):
//!
//! ```text
//! 10000;chunk-signature=<64 hex>\r\n<65536 bytes>\r\n
//! 400;chunk-signature=<64 hex>\r\n<1024 bytes>\r\n
//! 0;chunk-signature=<64 hex>\r\n\r\n
//! ```
//!
//! With a trailer, the final chunk's line is followed by the trailing headers and their
//! signature instead of the empty line:
//!
//! ```text
//! 0;chunk-signature=<64 hex>\r\n
//! x-amz-checksum-crc32c:sOO8/Q==\r\n
//! x-amz-trailer-signature:<64 hex>\r\n
//! \r\n
//! ```
//!
//! `STREAMING-UNSIGNED-PAYLOAD-TRAILER` drops the `;chunk-signature=` parts and the trailer
//! signature.

mod checksum;
mod decoder;
mod encoder;

pub use checksum::ChecksumAlgorithm;
pub use decoder::{ChunkedDecoder, DecodedBody, DecoderSettings};
pub use encoder::{ChunkedBody, ChunkedEncoder, DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE};

use hmac::Mac;
use sha2::{Digest, Sha256};

use crate::canonical::Sink;
use crate::hex::encode32;
use crate::scope::CredentialScope;
use crate::sign::EMPTY_SHA256;
use crate::signing_key::SigningKey;
use crate::time::AmzDate;

const CHUNK_ALGORITHM: &str = "AWS4-HMAC-SHA256-PAYLOAD";
const TRAILER_ALGORITHM: &str = "AWS4-HMAC-SHA256-TRAILER";
/// The trailing header that carries the trailer's signature.
pub const TRAILER_SIGNATURE_HEADER: &str = "x-amz-trailer-signature";
const SIGNATURE_PREFIX: &[u8] = b";chunk-signature=";

/// The chain of chunk signatures: each signs its chunk and the signature before it.
#[derive(Clone)]
pub(crate) struct ChainSigner {
    key: SigningKey,
    /// `<amz date>\n<scope>\n`, shared by every chunk's string to sign.
    prefix: Vec<u8>,
    previous: [u8; 32],
}

impl std::fmt::Debug for ChainSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainSigner")
            .field("previous", &hex::encode(self.previous))
            .finish_non_exhaustive()
    }
}

impl ChainSigner {
    pub(crate) fn new(
        key: SigningKey,
        date: &AmzDate,
        scope: &CredentialScope<'_>,
        seed: [u8; 32],
    ) -> Self {
        let mut prefix = Vec::with_capacity(16 + 1 + scope.len() + 1);
        prefix.extend_from_slice(date.as_bytes());
        prefix.push(b'\n');
        scope.write(&mut prefix);
        prefix.push(b'\n');
        Self {
            key,
            prefix,
            previous: seed,
        }
    }

    /// Signs the next chunk, given the SHA-256 of its data, and moves the chain on.
    pub(crate) fn chunk(&mut self, data_hash: &[u8; 32]) -> [u8; 32] {
        let mut mac = self.key.mac();
        mac.put(CHUNK_ALGORITHM.as_bytes());
        mac.put(b"\n");
        mac.put(&self.prefix);
        mac.put(&encode32(&self.previous));
        mac.put(b"\n");
        mac.put(EMPTY_SHA256);
        mac.put(b"\n");
        mac.put(&encode32(data_hash));
        self.previous = mac.finalize().into_bytes().into();
        self.previous
    }

    /// Signs the trailer, given its canonical form (`name:value\n` per header).
    pub(crate) fn trailer(&mut self, canonical_trailer: &[u8]) -> [u8; 32] {
        let mut mac = self.key.mac();
        mac.put(TRAILER_ALGORITHM.as_bytes());
        mac.put(b"\n");
        mac.put(&self.prefix);
        mac.put(&encode32(&self.previous));
        mac.put(b"\n");
        mac.put(&encode32(&Sha256::digest(canonical_trailer).into()));
        self.previous = mac.finalize().into_bytes().into();
        self.previous
    }
}
