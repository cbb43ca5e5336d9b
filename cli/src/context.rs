//! A case's `context.json`: the AWS suite's keys plus `double_uri_encode` and
//! `signed_body_value`.

use serde::Deserialize;
use sigv4::{Credentials, Payload, SessionTokenMode, SigningSettings, StreamingPayload};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    pub credentials: ContextCredentials,
    pub region: String,
    pub service: String,
    pub timestamp: String,
    #[serde(default = "yes")]
    pub normalize: bool,
    #[serde(default)]
    pub sign_body: bool,
    #[serde(default = "default_expiry")]
    pub expiration_in_seconds: u64,
    #[serde(default)]
    pub omit_session_token: bool,
    #[serde(default = "yes")]
    pub double_uri_encode: bool,
    #[serde(default)]
    pub signed_body_value: Option<String>,
    /// An `aws-chunked` body: the request's body is encoded in chunks after the seed
    /// signature; `chunk-signatures.txt` and `trailer-signature.txt` hold the chain.
    #[serde(default)]
    pub chunked: Option<ChunkedContext>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkedContext {
    pub chunk_size: usize,
    /// The trailing checksum header, such as `x-amz-checksum-crc32c`.
    #[serde(default)]
    pub trailer: Option<String>,
    /// Whether `Content-Length` (the encoded length) is added and signed.
    #[serde(default)]
    pub content_length: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub token: Option<String>,
}

fn yes() -> bool {
    true
}

fn default_expiry() -> u64 {
    3600
}

impl Context {
    pub fn settings(&self) -> SigningSettings {
        let mut settings = SigningSettings::default();
        settings.normalize_path = self.normalize;
        settings.double_uri_encode = self.double_uri_encode;
        settings.content_sha256_header = self.sign_body;
        settings.session_token = if self.omit_session_token {
            SessionTokenMode::AddedAfterSigning
        } else {
            SessionTokenMode::Signed
        };
        settings
    }

    pub fn credentials(&self) -> Result<Credentials, String> {
        let creds = Credentials::new(
            &self.credentials.access_key_id,
            &self.credentials.secret_access_key,
        )
        .map_err(|e| e.to_string())?;
        match &self.credentials.token {
            Some(token) => creds.with_session_token(token).map_err(|e| e.to_string()),
            None => Ok(creds),
        }
    }

    pub fn time(&self) -> Result<OffsetDateTime, String> {
        OffsetDateTime::parse(&self.timestamp, &Rfc3339)
            .map_err(|e| format!("timestamp {:?}: {e}", self.timestamp))
    }

    /// The payload: the body's hash unless `signed_body_value` names another.
    pub fn payload<'a>(&'a self, body: &'a [u8]) -> Result<Payload<'a>, String> {
        match self.signed_body_value.as_deref() {
            None => Ok(Payload::Bytes(body)),
            Some(value) => payload_literal(value)
                .ok_or_else(|| format!("signed_body_value {value:?} is not a payload hash")),
        }
    }
}

/// A payload hash literal: `UNSIGNED-PAYLOAD`, a streaming sentinel, or 64 hex digits.
pub fn payload_literal(value: &str) -> Option<Payload<'_>> {
    let streaming = [
        StreamingPayload::Signed,
        StreamingPayload::SignedWithTrailer,
        StreamingPayload::UnsignedWithTrailer,
    ];
    if value == sigv4::UNSIGNED_PAYLOAD {
        Some(Payload::Unsigned)
    } else if let Some(kind) = streaming.into_iter().find(|k| k.as_str() == value) {
        Some(Payload::Streaming(kind))
    } else if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(Payload::Precomputed(value))
    } else {
        None
    }
}
