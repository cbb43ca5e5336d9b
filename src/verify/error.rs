//! Why a request was rejected, and how AWS says it: the S3 dialect and the query-protocol
//! dialect (STS, IAM, SQS, ...) name the same failures differently.

use std::fmt;

use time::OffsetDateTime;

/// The two ways AWS reports authentication failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// S3's error codes (`SignatureDoesNotMatch`, `InvalidAccessKeyId`, `AccessDenied`, ...).
    S3,
    /// The query protocol's (`IncompleteSignature`, `InvalidClientTokenId`, ...).
    Query,
}

impl Dialect {
    /// The dialect a service speaks: S3's for `s3`, the query protocol's otherwise.
    pub fn for_service(service: &str) -> Self {
        if service == "s3" {
            Self::S3
        } else {
            Self::Query
        }
    }
}

/// Where the signature was carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// The `Authorization` header.
    Header,
    /// The query string (a presigned URL).
    Query,
}

/// Why a request is not authentic, with what explains it. No variant holds a secret key;
/// the canonical request in [`VerifyError::SignatureDoesNotMatch`] repeats what the client
/// sent, its session token included (S3 returns it the same way), so log it with care.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Neither an `Authorization` header nor `X-Amz-Algorithm` in the query.
    MissingAuthentication,
    /// Both an `Authorization` header and presigning parameters.
    MultipleAuthMechanisms,
    /// An algorithm other than `AWS4-HMAC-SHA256`.
    UnsupportedAlgorithm {
        /// The algorithm named.
        algorithm: String,
    },
    /// The `Authorization` header or the presigning parameters are malformed: a part
    /// missing, repeated, or badly formed.
    Malformed {
        /// Where the signature was carried.
        location: AuthLocation,
        /// What is wrong.
        reason: String,
    },
    /// Neither `X-Amz-Date` nor `Date` gives the request time.
    MissingDate,
    /// The request time is not `YYYYMMDDTHHMMSSZ` (or an HTTP date in `Date`).
    MalformedDate {
        /// The value given.
        value: String,
    },
    /// The request time is too far from the server's clock.
    RequestTimeTooSkewed {
        /// The request time.
        request_time: OffsetDateTime,
        /// The server's time.
        server_time: OffsetDateTime,
        /// The largest difference allowed, in seconds.
        max_skew_seconds: i64,
    },
    /// `X-Amz-Expires` is not a number from 1 to 604800.
    ExpiresOutOfRange {
        /// The value given.
        value: String,
    },
    /// A presigned request used after its expiry.
    RequestExpired {
        /// When it expired.
        expired_at: OffsetDateTime,
        /// The server's time.
        server_time: OffsetDateTime,
    },
    /// A presigned request used before its date (beyond the allowed skew).
    RequestNotYetValid {
        /// The request's date.
        valid_from: OffsetDateTime,
        /// The server's time.
        server_time: OffsetDateTime,
    },
    /// The credential scope's date is not the request date's day.
    ScopeDateMismatch {
        /// The scope's date stamp.
        scope_date: String,
        /// The request time.
        request_date: String,
    },
    /// The scope names a region this server does not serve.
    WrongRegion {
        /// The region named.
        region: String,
    },
    /// The scope names a service this server does not serve.
    WrongService {
        /// The service named.
        service: String,
    },
    /// The scope does not end in `aws4_request`.
    WrongTerminator {
        /// The terminator given.
        terminator: String,
    },
    /// `host` is not among the signed headers.
    HostNotSigned,
    /// A header named as signed is not in the request.
    SignedHeaderMissing {
        /// The header's name.
        name: String,
    },
    /// An `x-amz-*` header in the request is not signed.
    UnsignedAmzHeader {
        /// The header's name.
        name: String,
    },
    /// Untrusted input past a bound.
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The bound.
        limit: usize,
    },
    /// No credential has this access key id, or it is not active yet.
    InvalidAccessKeyId {
        /// The access key id given.
        access_key_id: String,
    },
    /// The credential needs a session token and none was sent.
    MissingSecurityToken,
    /// The session token sent does not belong to the credential (or the credential has
    /// none).
    InvalidSecurityToken,
    /// The credential had expired at the request time or has now.
    ExpiredToken {
        /// When the credential expired.
        expiry: OffsetDateTime,
    },
    /// The signature is not the one the server computes.
    SignatureDoesNotMatch {
        /// The canonical request the server computed.
        canonical_request: String,
        /// The string to sign the server computed.
        string_to_sign: String,
    },
    /// S3: `x-amz-content-sha256` is missing.
    MissingContentSha256,
    /// `x-amz-content-sha256` is neither a SHA-256 in hex, `UNSIGNED-PAYLOAD` nor a
    /// streaming sentinel.
    InvalidContentSha256,
    /// `UNSIGNED-PAYLOAD` where the settings do not allow it.
    UnsignedPayloadNotAllowed,
    /// The body's SHA-256 is not the one `x-amz-content-sha256` declared.
    ContentSha256Mismatch {
        /// The declared hash.
        declared: String,
        /// The body's hash.
        computed: String,
    },
    /// The caller did not give the body (or its hash), which this service's signature
    /// covers: a bug in the caller, not in the request.
    BodyRequired,
    /// An `aws-chunked` request without `x-amz-decoded-content-length`.
    MissingDecodedContentLength,
    /// `aws-chunked` framing that is not well-formed.
    MalformedChunk {
        /// What is wrong.
        reason: String,
    },
    /// A chunk whose signature is not the one the chain gives.
    ChunkSignatureDoesNotMatch {
        /// The chunk's index, from 0.
        chunk: u64,
    },
    /// A trailer whose signature is not the one the chain gives.
    TrailerSignatureDoesNotMatch,
    /// A chunk larger than the decoder accepts.
    ChunkTooLarge {
        /// The chunk's size.
        size: u64,
        /// The largest accepted.
        limit: usize,
    },
    /// A data chunk under the minimum that is not the last one.
    ChunkTooSmall {
        /// The chunk's size.
        size: u64,
        /// The minimum.
        minimum: usize,
    },
    /// The body ended before its end, or its data is not `x-amz-decoded-content-length`.
    IncompleteBody {
        /// The declared length.
        expected: u64,
        /// What arrived.
        received: u64,
    },
    /// Trailing headers that are not well-formed.
    MalformedTrailer {
        /// What is wrong.
        reason: String,
    },
    /// A trailing header that `x-amz-trailer` did not announce.
    TrailerNotAnnounced {
        /// The header's name.
        name: String,
    },
    /// The trailing checksum is not the data's.
    ChecksumMismatch {
        /// The checksum header.
        algorithm: &'static str,
        /// The value sent.
        declared: String,
        /// The value computed.
        computed: String,
    },
}

/// An error as AWS writes it: a code, an HTTP status and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The error code, such as `SignatureDoesNotMatch`.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The message.
    pub message: String,
}

const SIGNATURE_MISMATCH_S3: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const SIGNATURE_MISMATCH_QUERY: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl VerifyError {
    /// The code, status and message AWS uses for this failure in `dialect`.
    pub fn to_aws(&self, dialect: Dialect) -> AwsError {
        let s3 = dialect == Dialect::S3;
        let (code, status, message): (&'static str, u16, String) = match self {
            Self::MissingAuthentication if s3 => ("AccessDenied", 403, "Access Denied".into()),
            Self::MissingAuthentication => (
                "MissingAuthenticationToken",
                403,
                "Request is missing Authentication Token".into(),
            ),
            Self::MultipleAuthMechanisms => (
                if s3 { "InvalidArgument" } else { "InvalidParameterCombination" },
                400,
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified".into(),
            ),
            Self::UnsupportedAlgorithm { algorithm } => (
                if s3 { "InvalidArgument" } else { "IncompleteSignature" },
                400,
                format!("Unsupported Authorization Type: {algorithm:?}; only AWS4-HMAC-SHA256 is accepted"),
            ),
            Self::Malformed { location, reason } => (
                malformed_code(dialect, *location),
                400,
                reason.clone(),
            ),
            Self::MissingDate if s3 => (
                "AccessDenied",
                403,
                "AWS authentication requires a valid Date or x-amz-date header".into(),
            ),
            Self::MissingDate => (
                "IncompleteSignature",
                400,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.".into(),
            ),
            Self::MalformedDate { value } => (
                if s3 { "AccessDenied" } else { "IncompleteSignature" },
                if s3 { 403 } else { 400 },
                format!("The request time {value:?} is not a valid X-Amz-Date (YYYYMMDDTHHMMSSZ) or HTTP date"),
            ),
            Self::RequestTimeTooSkewed { request_time, server_time, max_skew_seconds } => (
                if s3 { "RequestTimeTooSkewed" } else { "RequestExpired" },
                if s3 { 403 } else { 400 },
                format!(
                    "The difference between the request time ({request_time}) and the server's time ({server_time}) is larger than {max_skew_seconds} seconds."
                ),
            ),
            Self::ExpiresOutOfRange { value } => (
                if s3 { "AuthorizationQueryParametersError" } else { "IncompleteSignature" },
                400,
                format!("X-Amz-Expires must be a whole number of seconds from 1 to 604800 (a week), not {value:?}"),
            ),
            Self::RequestExpired { expired_at, server_time } if s3 => (
                "AccessDenied",
                403,
                format!("Request has expired (expired at {expired_at}, server time {server_time})"),
            ),
            Self::RequestExpired { expired_at, server_time } => (
                "RequestExpired",
                400,
                format!("Request has expired: it expired at {expired_at}, and the server's time is {server_time}"),
            ),
            Self::RequestNotYetValid { valid_from, server_time } => (
                if s3 { "AccessDenied" } else { "RequestExpired" },
                if s3 { 403 } else { 400 },
                format!("Request is not valid yet: it is dated {valid_from}, and the server's time is {server_time}"),
            ),
            Self::ScopeDateMismatch { scope_date, request_date } => scope_error(
                dialect,
                format!(
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{}', from '{request_date}'.",
                    request_date.get(..8).unwrap_or(request_date)
                ),
            ),
            Self::WrongRegion { region } => scope_error(
                dialect,
                format!("Credential should be scoped to a valid region, not '{region}'."),
            ),
            Self::WrongService { service } => scope_error(
                dialect,
                format!("Credential should be scoped to correct service, not '{service}'."),
            ),
            Self::WrongTerminator { terminator } => scope_error(
                dialect,
                format!("Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."),
            ),
            Self::HostNotSigned => (
                if s3 { "AccessDenied" } else { "IncompleteSignature" },
                if s3 { 403 } else { 400 },
                "The host header must be signed".into(),
            ),
            Self::SignedHeaderMissing { name } => (
                if s3 { "AccessDenied" } else { "IncompleteSignature" },
                if s3 { 403 } else { 400 },
                format!("The signed header {name:?} is not in the request"),
            ),
            Self::UnsignedAmzHeader { name } => (
                if s3 { "AccessDenied" } else { "IncompleteSignature" },
                if s3 { 403 } else { 400 },
                format!("There were headers present in the request which were not signed: {name}"),
            ),
            Self::TooLarge { what, limit } => (
                if s3 { "InvalidRequest" } else { "InvalidParameterValue" },
                400,
                format!("The request's {what} exceeds the limit of {limit}"),
            ),
            Self::InvalidAccessKeyId { .. } if s3 => (
                "InvalidAccessKeyId",
                403,
                "The AWS Access Key Id you provided does not exist in our records.".into(),
            ),
            Self::InvalidAccessKeyId { .. } => (
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.".into(),
            ),
            Self::MissingSecurityToken | Self::InvalidSecurityToken if s3 => (
                "InvalidToken",
                400,
                "The provided token is malformed or otherwise invalid.".into(),
            ),
            Self::MissingSecurityToken | Self::InvalidSecurityToken => (
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.".into(),
            ),
            Self::ExpiredToken { .. } => (
                "ExpiredToken",
                if s3 { 400 } else { 403 },
                if s3 {
                    "The provided token has expired.".into()
                } else {
                    "The security token included in the request is expired".into()
                },
            ),
            Self::SignatureDoesNotMatch { .. } => (
                "SignatureDoesNotMatch",
                403,
                if s3 { SIGNATURE_MISMATCH_S3 } else { SIGNATURE_MISMATCH_QUERY }.into(),
            ),
            Self::MissingContentSha256 => (
                "InvalidRequest",
                400,
                "Missing required header for this request: x-amz-content-sha256".into(),
            ),
            Self::InvalidContentSha256 => (
                "InvalidArgument",
                400,
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.".into(),
            ),
            Self::UnsignedPayloadNotAllowed => (
                if s3 { "InvalidRequest" } else { "IncompleteSignature" },
                400,
                "UNSIGNED-PAYLOAD is not accepted here: the payload must be signed".into(),
            ),
            Self::ContentSha256Mismatch { declared, computed } => (
                "XAmzContentSHA256Mismatch",
                400,
                format!("The provided 'x-amz-content-sha256' header does not match what was computed. Client: {declared}, server: {computed}"),
            ),
            Self::BodyRequired => (
                "InternalFailure",
                500,
                "The server did not supply the request body to the signature check".into(),
            ),
            Self::MissingDecodedContentLength => (
                "MissingContentLength",
                411,
                "An aws-chunked request must carry x-amz-decoded-content-length".into(),
            ),
            Self::MalformedChunk { reason } => (
                "IncompleteBody",
                400,
                format!("The aws-chunked body is not well-formed: {reason}"),
            ),
            Self::ChunkSignatureDoesNotMatch { chunk } => (
                "SignatureDoesNotMatch",
                403,
                format!("The signature of chunk {chunk} does not match the one calculated"),
            ),
            Self::TrailerSignatureDoesNotMatch => (
                "SignatureDoesNotMatch",
                403,
                "The trailer signature does not match the one calculated".into(),
            ),
            Self::ChunkTooLarge { size, limit } => (
                "InvalidChunkSizeError",
                400,
                format!("A chunk of {size} bytes exceeds the limit of {limit}"),
            ),
            Self::ChunkTooSmall { size, minimum } => (
                "InvalidChunkSizeError",
                400,
                format!("Only the last chunk is allowed to have a size less than {minimum} bytes; a chunk had {size}"),
            ),
            Self::IncompleteBody { expected, received } => (
                "IncompleteBody",
                400,
                format!("You did not provide the number of bytes specified by x-amz-decoded-content-length ({expected}); received {received}"),
            ),
            Self::MalformedTrailer { reason } => (
                "MalformedTrailerError",
                400,
                format!("The request contained trailing data that was not well-formed: {reason}"),
            ),
            Self::TrailerNotAnnounced { name } => (
                "MalformedTrailerError",
                400,
                format!("The trailing header {name:?} was not announced in x-amz-trailer"),
            ),
            Self::ChecksumMismatch { algorithm, .. } => (
                "BadDigest",
                400,
                format!("The {algorithm} you specified did not match the calculated checksum."),
            ),
        };
        AwsError {
            code,
            status,
            message,
        }
    }
}

fn malformed_code(dialect: Dialect, location: AuthLocation) -> &'static str {
    match (dialect, location) {
        (Dialect::S3, AuthLocation::Header) => "AuthorizationHeaderMalformed",
        (Dialect::S3, AuthLocation::Query) => "AuthorizationQueryParametersError",
        (Dialect::Query, _) => "IncompleteSignature",
    }
}

fn scope_error(dialect: Dialect, message: String) -> (&'static str, u16, String) {
    match dialect {
        Dialect::S3 => ("AuthorizationHeaderMalformed", 400, message),
        Dialect::Query => ("SignatureDoesNotMatch", 403, message),
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let aws = self.to_aws(Dialect::Query);
        match self {
            // The query dialect folds several failures into one code; say which.
            Self::MissingSecurityToken => {
                f.write_str("the credential needs a session token and none was sent")
            }
            Self::InvalidSecurityToken => {
                f.write_str("the session token does not belong to the credential")
            }
            Self::InvalidAccessKeyId { access_key_id } => {
                write!(f, "unknown or inactive access key id {access_key_id:?}")
            }
            Self::ExpiredToken { expiry } => write!(f, "the credential expired at {expiry}"),
            _ => write!(f, "{}: {}", aws.code, aws.message),
        }
    }
}

impl std::error::Error for VerifyError {}
