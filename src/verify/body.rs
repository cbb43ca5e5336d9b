//! What the body must still satisfy once the signature is verified.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::request::StreamingPayload;
use crate::signing_key::SigningKey;
use crate::time::AmzDate;
use crate::verify::error::VerifyError;

/// The SHA-256 of no bytes.
pub(crate) const EMPTY_DIGEST: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// The body's part of the verdict.
// The streaming variant holds the keyed HMAC state; boxing it would cost an allocation per
// request for nothing but a smaller move.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
#[non_exhaustive]
pub enum BodyRequirement {
    /// Nothing: the body was verified already (it was part of the canonical request), or
    /// it is unsigned and the settings allow that.
    None,
    /// The body must hash to this SHA-256, as `x-amz-content-sha256` declared. Stream it
    /// through a [`BodyChecker`].
    Sha256([u8; 32]),
    /// An `aws-chunked` body whose chunks are signed in a chain starting at the request's
    /// signature.
    Streaming {
        /// Which streaming mode.
        kind: StreamingPayload,
        /// The request's signature, which the first chunk's signature chains from.
        seed_signature: [u8; 32],
        /// The key that signs the chunks.
        key: SigningKey,
        /// The request's `X-Amz-Date`.
        date: AmzDate,
    },
}

impl fmt::Debug for BodyRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Sha256(hash) => write!(f, "Sha256({})", hex::encode(hash)),
            Self::Streaming { kind, .. } => write!(f, "Streaming({})", kind.as_str()),
        }
    }
}

impl BodyRequirement {
    /// A checker that hashes the body as it streams, when a hash is required.
    pub fn checker(&self) -> Option<BodyChecker> {
        match self {
            Self::Sha256(expected) => Some(BodyChecker::new(*expected)),
            _ => None,
        }
    }
}

/// Hashes a body as it streams and fails at the end when it is not the declared one, so a
/// gateway never has to hold a whole body.
#[derive(Clone)]
pub struct BodyChecker {
    hasher: Sha256,
    expected: [u8; 32],
    length: u64,
}

impl fmt::Debug for BodyChecker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyChecker")
            .field("expected", &hex::encode(self.expected))
            .field("length", &self.length)
            .finish()
    }
}

impl BodyChecker {
    /// A checker for a body whose SHA-256 must be `expected`.
    pub fn new(expected: [u8; 32]) -> Self {
        Self {
            hasher: Sha256::new(),
            expected,
            length: 0,
        }
    }

    /// Feeds the next piece of the body.
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.length += bytes.len() as u64;
    }

    /// How many bytes it has seen.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// Ends the body: its SHA-256 on success, `XAmzContentSHA256Mismatch` otherwise.
    pub fn finish(self) -> Result<[u8; 32], VerifyError> {
        // Most requests have no body, whose hash is a constant.
        let computed: [u8; 32] = if self.length == 0 {
            EMPTY_DIGEST
        } else {
            self.hasher.finalize().into()
        };
        if crate::ct::eq(&computed, &self.expected) {
            Ok(computed)
        } else {
            Err(VerifyError::ContentSha256Mismatch {
                declared: hex::encode(self.expected),
                computed: hex::encode(computed),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_digest_is_the_hash_of_no_bytes() {
        let computed: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(computed, EMPTY_DIGEST);
        assert!(BodyChecker::new(EMPTY_DIGEST).finish().is_ok());
        let mut checker = BodyChecker::new(EMPTY_DIGEST);
        checker.update(b"x");
        assert!(checker.finish().is_err());
        assert!(BodyChecker::new([0; 32]).finish().is_err());
    }
}
