//! AWS Signature Version 4, without I/O.
//!
//! `sigv4` signs requests (in headers or as presigned URLs, for S3 or any other service)
//! and exposes every intermediate value of the signature for debugging. It never touches
//! the network, files, processes or the clock: the caller hands it bytes and a time.
//!
//! - Signing: [`Signer`], [`SigningSettings`], [`Credentials`]; streaming bodies with
//!   [`ChunkedBody`] and [`ChunkedEncoder`].
//! - Verifying: [`Verifier`] (parse, then finish with a stored credential),
//!   [`CredentialStore`], [`ChunkedDecoder`], and with the `tower` feature the `layer`
//!   module that puts it in front of a service.
//! - Credentials: [`profile`] (shared config files, role chains), [`provider`] (environment,
//!   `credential_process`, a refreshing cache), and with the `sts` feature
//!   `sts` (requests and responses, no I/O); with `policy`, IAM policy
//!   evaluation.
//!
//! ```
//! use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningParams, SigningSettings};
//! use time::macros::datetime;
//!
//! let credentials = Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")?;
//! let signer = Signer::new(SigningSettings::s3());
//! let params = SigningParams::new(&credentials, "us-east-1", "s3", datetime!(2013-05-24 0:00 UTC));
//!
//! let mut request = http::Request::get("https://examplebucket.s3.amazonaws.com/test.txt")
//!     .header("range", "bytes=0-9")
//!     .body(())
//!     .expect("a valid request");
//! signer.sign_http(&mut request, Payload::Bytes(b""), &params)?;
//! assert!(request.headers()["authorization"]
//!     .to_str()
//!     .expect("ASCII")
//!     .ends_with("Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
//! # Ok::<(), sigv4::SigningError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod canonical;
mod chunked;
mod credentials;
mod ct;
mod error;
mod hex;
mod inline_vec;
#[cfg(feature = "tower")]
pub mod layer;
#[cfg(feature = "policy")]
pub mod policy;
mod presign;
pub mod profile;
pub mod provider;
mod request;
mod scan;
mod scope;
mod settings;
mod sign;
mod signing_key;
#[cfg(feature = "sts")]
pub mod sts;
mod swar;
mod time;
mod verify;

pub use crate::chunked::{
    ChecksumAlgorithm, ChunkedBody, ChunkedDecoder, ChunkedEncoder, DecodedBody, DecoderSettings,
    DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE, TRAILER_SIGNATURE_HEADER,
};
pub use crate::credentials::{Credentials, Secret};
pub use crate::error::SigningError;
pub use crate::presign::{PresignedRequest, MAX_EXPIRES};
pub use crate::request::{Payload, SignableRequest, StreamingPayload, UNSIGNED_PAYLOAD};
pub use crate::scope::{CredentialScope, ALGORITHM};
pub use crate::settings::{SessionTokenMode, SigningSettings, DEFAULT_EXCLUDED_HEADERS};
pub use crate::sign::{Signer, SigningDetails, SigningOutput, SigningParams};
pub use crate::signing_key::{SigningKey, SigningKeyCache, DEFAULT_CACHE_CAPACITY, TERMINATOR};
pub use crate::time::AmzDate;
pub use crate::verify::{
    AuthLocation, AwsError, Body, BodyChecker, BodyRequirement, CredentialStore, Dialect,
    InMemoryStore, Limits, Pending, Principal, SentToken, StoredCredential, Verified, Verifier,
    VerifierSettings, VerifyError,
};

/// The README's examples, compiled and run as doctests (they use every feature; the
/// workspace's `cargo test` builds the library with all of them, the CLI asking for
/// `tower`).
#[cfg(all(doctest, feature = "sts", feature = "tower"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
