//! What the body must still satisfy once the signature is verified.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::request::StreamingPayload;
use crate::signing_key::SigningKey;
use crate::time::AmzDate;
use crate::verify::error::VerifyError;

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
        let computed: [u8; 32] = self.hasher.finalize().into();
        if bool::from(computed.ct_eq(&self.expected)) {
            Ok(computed)
        } else {
            Err(VerifyError::ContentSha256Mismatch {
                declared: hex::encode(self.expected),
                computed: hex::encode(computed),
            })
        }
    }
}
