//! The error type of signing and presigning.

use std::fmt;

use time::OffsetDateTime;

/// Why a request could not be signed.
///
/// Every variant carries what explains it, and none carries a secret: an error can be
/// logged as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningError {
    /// The access key id is empty or holds a character that cannot stand in a credential
    /// scope (`/`, whitespace, a control character or a non-ASCII byte).
    InvalidAccessKeyId,
    /// The secret access key is empty.
    EmptySecretKey,
    /// The session token holds a character that cannot be sent in an HTTP header.
    InvalidSessionToken,
    /// A region or service name is empty or holds a character outside `[A-Za-z0-9-._]`.
    InvalidScope {
        /// Which part of the scope: `"region"` or `"service"`.
        part: &'static str,
        /// The value that was given.
        value: String,
    },
    /// The HTTP method is empty or not an HTTP token.
    InvalidMethod,
    /// A header name is not an HTTP token.
    InvalidHeaderName {
        /// The name as given.
        name: String,
    },
    /// A header value holds a byte that HTTP forbids (a control character other than tab,
    /// or a line break that does not fold the value onto the next line).
    InvalidHeaderValue {
        /// The header's name.
        name: String,
    },
    /// The request has no `host` header and its URI has no authority: SigV4 always signs
    /// the host.
    MissingHost,
    /// A precomputed payload hash is not 64 hexadecimal digits.
    InvalidPayloadHash,
    /// The signing time is outside the years 0000 to 9999, which `X-Amz-Date` cannot write.
    TimeOutOfRange,
    /// `X-Amz-Expires` must be between 1 and 604800 seconds (seven days).
    ExpiresOutOfRange {
        /// The number of seconds asked for.
        seconds: u64,
    },
    /// The credentials had expired at the signing time.
    CredentialsExpired {
        /// When the credentials expired.
        expiry: OffsetDateTime,
        /// The signing time.
        time: OffsetDateTime,
    },
    /// A presigned URL would outlive the credentials that sign it, so it would stop working
    /// before its `X-Amz-Expires` says. Allowed only when the settings say so.
    CredentialsExpireBeforeUrl {
        /// When the credentials expire.
        expiry: OffsetDateTime,
        /// When the URL would expire.
        url_expiry: OffsetDateTime,
    },
    /// The query of a request to presign already holds one of the parameters presigning
    /// adds (it was presigned before).
    QueryAlreadySigned {
        /// The parameter's name.
        name: String,
    },
    /// The signed values could not be written into the `http` request or URI.
    InvalidUri,
    /// An `aws-chunked` chunk size under 8 KiB, which S3 refuses.
    InvalidChunkSize {
        /// The size asked for.
        bytes: usize,
    },
    /// A trailer streaming mode without a trailing checksum.
    TrailerRequired,
    /// A trailing checksum in a streaming mode that has no trailer.
    TrailerNotAllowed,
    /// A chunk of the wrong size or past the declared length, or a stream finished short
    /// of it.
    ChunkOutOfPlace,
}

impl fmt::Display for SigningError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidAccessKeyId => f.write_str(
                "the access key id is empty or holds '/', whitespace or a non-ASCII character",
            ),
            Self::EmptySecretKey => f.write_str("the secret access key is empty"),
            Self::InvalidSessionToken => {
                f.write_str("the session token holds a character not allowed in an HTTP header")
            }
            Self::InvalidScope { part, value } => write!(
                f,
                "the {part} {value:?} is empty or holds a character outside [A-Za-z0-9-._]"
            ),
            Self::InvalidMethod => f.write_str("the HTTP method is empty or not an HTTP token"),
            Self::InvalidHeaderName { name } => {
                write!(f, "the header name {name:?} is not an HTTP token")
            }
            Self::InvalidHeaderValue { name } => {
                write!(
                    f,
                    "the value of header {name:?} holds a forbidden control character"
                )
            }
            Self::MissingHost => {
                f.write_str("the request has no host header and its URI has no authority")
            }
            Self::InvalidPayloadHash => {
                f.write_str("a precomputed payload hash must be 64 hexadecimal digits")
            }
            Self::TimeOutOfRange => {
                f.write_str("the signing time is outside the years 0000 to 9999")
            }
            Self::ExpiresOutOfRange { seconds } => write!(
                f,
                "X-Amz-Expires must be from 1 to 604800 seconds, not {seconds}"
            ),
            Self::CredentialsExpired { expiry, time } => write!(
                f,
                "the credentials expired at {expiry}, before the signing time {time}"
            ),
            Self::CredentialsExpireBeforeUrl { expiry, url_expiry } => write!(
                f,
                "the credentials expire at {expiry}, before the presigned URL would at {url_expiry}"
            ),
            Self::QueryAlreadySigned { name } => write!(
                f,
                "the query already holds {name}: presign the request without it"
            ),
            Self::InvalidUri => f.write_str("the signed request's URI could not be built"),
            Self::InvalidChunkSize { bytes } => {
                write!(f, "aws-chunked chunks must be at least 8192 bytes, not {bytes}")
            }
            Self::TrailerRequired => {
                f.write_str("a trailer streaming mode needs a trailing checksum")
            }
            Self::TrailerNotAllowed => {
                f.write_str("STREAMING-AWS4-HMAC-SHA256-PAYLOAD has no trailer")
            }
            Self::ChunkOutOfPlace => f.write_str(
                "every chunk but the last must be the chunk size, and the chunks must add up to the declared length",
            ),
        }
    }
}

impl std::error::Error for SigningError {}
