//! Header signing: the `Authorization` header and the headers that go with it.

use hmac::Mac;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::canonical::query::Take;
use crate::canonical::{self, CanonicalRequest, HeaderSource, SortedHeader};
use crate::credentials::Credentials;
use crate::error::SigningError;
use crate::inline_vec::InlineVec;
use crate::request::{Payload, SignableRequest, UNSIGNED_PAYLOAD};
use crate::scope::{write_string_to_sign, CredentialScope, ALGORITHM};
use crate::settings::{SessionTokenMode, SigningSettings};
use crate::signing_key::{CachedKey, HmacSha256, SigningKeyCache};
use crate::time::AmzDate;

/// Who signs, for where and when.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The credentials that sign.
    pub credentials: &'a Credentials,
    /// The region, such as `us-east-1`.
    pub region: &'a str,
    /// The service's signing name, such as `s3` or `execute-api`.
    pub service: &'a str,
    /// The signing time, which becomes `X-Amz-Date`.
    pub time: OffsetDateTime,
}

impl<'a> SigningParams<'a> {
    /// Bundles the parameters.
    pub fn new(
        credentials: &'a Credentials,
        region: &'a str,
        service: &'a str,
        time: OffsetDateTime,
    ) -> Self {
        Self {
            credentials,
            region,
            service,
            time,
        }
    }
}

/// The payload hash as it goes into the canonical request, held inline.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadHash {
    Hex([u8; 64]),
    Literal(&'static str),
}

impl PayloadHash {
    pub(crate) fn of(payload: Payload<'_>) -> Result<Self, SigningError> {
        Ok(match payload {
            // Most requests have no body; its hash is a constant.
            Payload::Bytes([]) => Self::Literal(EMPTY_SHA256_STR),
            Payload::Bytes(body) => Self::Hex(hex_sha256(body)),
            Payload::Precomputed(hash) => {
                let bytes: [u8; 64] = hash
                    .as_bytes()
                    .try_into()
                    .map_err(|_| SigningError::InvalidPayloadHash)?;
                if !bytes.iter().all(u8::is_ascii_hexdigit) {
                    return Err(SigningError::InvalidPayloadHash);
                }
                Self::Hex(bytes)
            }
            Payload::Unsigned => Self::Literal(UNSIGNED_PAYLOAD),
            Payload::Streaming(kind) => Self::Literal(kind.as_str()),
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only hex digits are ever stored.
            Self::Hex(hex) => std::str::from_utf8(hex).unwrap_or(""),
            Self::Literal(text) => text,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Hex(hex) => hex,
            Self::Literal(text) => text.as_bytes(),
        }
    }
}

impl std::fmt::Debug for PayloadHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The hex SHA-256 of no bytes.
pub(crate) const EMPTY_SHA256: &[u8; 64] = {
    match EMPTY_SHA256_STR.as_bytes().first_chunk() {
        Some(bytes) => bytes,
        None => panic!("64 characters"),
    }
};

const EMPTY_SHA256_STR: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub(crate) fn hex_sha256(data: &[u8]) -> [u8; 64] {
    crate::hex::encode32(&Sha256::digest(data).into())
}

/// What a header signature adds to the request. `Debug` leaves out the session token.
#[derive(Clone)]
pub struct SigningOutput<'c> {
    date: AmzDate,
    authorization: String,
    content_sha256: Option<PayloadHash>,
    session_token: Option<&'c str>,
}

impl std::fmt::Debug for SigningOutput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningOutput")
            .field("date", &self.date)
            .field("authorization", &self.authorization)
            .field("content_sha256", &self.content_sha256)
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

impl SigningOutput<'_> {
    /// The value of `X-Amz-Date`.
    pub fn date(&self) -> AmzDate {
        self.date
    }

    /// The value of `Authorization`.
    pub fn authorization(&self) -> &str {
        &self.authorization
    }

    /// The signature, 64 hex digits.
    pub fn signature(&self) -> &str {
        let at = self.authorization.len().saturating_sub(64);
        self.authorization.get(at..).unwrap_or("")
    }

    /// The value of `x-amz-content-sha256`, when the settings add it.
    pub fn content_sha256(&self) -> Option<&str> {
        self.content_sha256.as_ref().map(PayloadHash::as_str)
    }

    /// The value of `X-Amz-Security-Token`, for temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token
    }

    /// The headers to add, in the order this crate writes them.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            self.session_token.map(|t| ("X-Amz-Security-Token", t)),
            Some(("X-Amz-Date", self.date.as_str())),
            self.content_sha256().map(|h| ("x-amz-content-sha256", h)),
            Some(("Authorization", self.authorization.as_str())),
        ]
        .into_iter()
        .flatten()
    }

    /// Sets the headers on an `http` request, replacing any of the same names.
    pub fn apply_to<B>(&self, request: &mut http::Request<B>) -> Result<(), SigningError> {
        for (name, value) in self.headers() {
            let value = http::HeaderValue::from_str(value)
                .map_err(|_| SigningError::InvalidSessionToken)?;
            let name = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| SigningError::InvalidUri)?;
            request.headers_mut().insert(name, value);
        }
        Ok(())
    }
}

/// The intermediate values of a signature, for a person looking for why two signers
/// disagree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigningDetails {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The signature, 64 hex digits.
    pub signature: String,
}

/// Signs and presigns requests with one set of settings, caching signing keys.
///
/// A `Signer` is `Sync`: share one across threads so that they share its key cache.
///
/// ```
/// use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningParams};
/// use time::macros::datetime;
///
/// let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
/// let request = SignableRequest::new("GET", "/").header("host", "example.amazonaws.com");
/// let params = SigningParams::new(&credentials, "us-east-1", "service", datetime!(2015-08-30 12:36 UTC));
///
/// let signed = Signer::default().sign(&request, &params)?;
/// assert_eq!(signed.signature(), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
/// # Ok::<(), sigv4::SigningError>(())
/// ```
#[derive(Debug, Default)]
pub struct Signer {
    pub(crate) settings: SigningSettings,
    pub(crate) keys: SigningKeyCache,
}

impl Signer {
    /// A signer with these settings and a key cache of the default size.
    pub fn new(settings: SigningSettings) -> Self {
        Self {
            settings,
            keys: SigningKeyCache::default(),
        }
    }

    /// A signer for S3 ([`SigningSettings::s3`]).
    pub fn s3() -> Self {
        Self::new(SigningSettings::s3())
    }

    /// A signer with these settings and this key cache.
    pub fn with_cache(settings: SigningSettings, keys: SigningKeyCache) -> Self {
        Self { settings, keys }
    }

    /// The settings.
    pub fn settings(&self) -> &SigningSettings {
        &self.settings
    }

    /// Signs `request` in its headers.
    pub fn sign<'c>(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'c>,
    ) -> Result<SigningOutput<'c>, SigningError> {
        self.sign_inner(request, params, None)
    }

    /// Signs `request` in its headers and returns the intermediate values too.
    pub fn sign_explained<'c>(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'c>,
    ) -> Result<(SigningOutput<'c>, SigningDetails), SigningError> {
        let mut details = SigningDetails::default();
        let output = self.sign_inner(request, params, Some(&mut details))?;
        Ok((output, details))
    }

    /// The canonical request a header signature of `request` would cover, for debugging;
    /// no key is derived and nothing is signed.
    pub fn canonical_request(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'_>,
    ) -> Result<String, SigningError> {
        let start = Start::new(request, params)?;
        self.with_canonical(request, &start, |canonical, _, _| canonical.to_text())
    }

    /// Signs an `http` request in place, adding the signature's headers.
    pub fn sign_http<B>(
        &self,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        params: &SigningParams<'_>,
    ) -> Result<(), SigningError> {
        let output = self.sign(&SignableRequest::from_http(request, payload), params)?;
        output.apply_to(request)
    }

    fn sign_inner<'c>(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'c>,
        details: Option<&mut SigningDetails>,
    ) -> Result<SigningOutput<'c>, SigningError> {
        let start = Start::new(request, params)?;
        self.with_canonical(request, &start, |canonical, headers, payload_hash| {
            const SIGNATURE: &str = ", Signature=";
            let mut authorization = String::with_capacity(
                ALGORITHM.len()
                    + " Credential=/, SignedHeaders=".len()
                    + params.credentials.access_key_id().len()
                    + start.scope_len()
                    + headers.iter().map(|h| h.name.len() + 1).sum::<usize>()
                    + SIGNATURE.len()
                    + 64,
            );
            // The key, and the text before the signed names, from the signer's cache.
            let mac = start.with_key(self, params.credentials, |cached| {
                authorization.push_str(cached.authorization_prefix());
                cached.key().mac()
            });
            let names_at = authorization.len();
            canonical.headers.push_signed_names(&mut authorization, ";");
            // The canonical request's signed header list is the text just written.
            let canonical = CanonicalRequest {
                signed_names: authorization.get(names_at..),
                ..*canonical
            };
            let signature = start.signature(mac, &canonical, details);
            authorization.push_str(SIGNATURE);
            authorization.push_str(signature_str(&signature));
            SigningOutput {
                date: start.date,
                authorization,
                content_sha256: self.settings.content_sha256_header.then_some(payload_hash),
                session_token: start.token,
            }
        })
    }

    /// Builds the canonical request of a header signature and hands it to `f`, with the
    /// signed headers (sorted) and the payload hash.
    fn with_canonical<R>(
        &self,
        request: &SignableRequest<'_>,
        start: &Start<'_, '_>,
        f: impl FnOnce(&CanonicalRequest<'_>, &[SortedHeader<'_>], PayloadHash) -> R,
    ) -> Result<R, SigningError> {
        let payload_hash = PayloadHash::of(request.payload)?;
        let sign_token = self.settings.session_token == SessionTokenMode::Signed;
        // The headers signing adds, with whether their values go in as they are: the date
        // and the payload hash always do, the token as the credentials found it.
        let date = SortedHeader::with_plain("x-amz-date", start.date.as_bytes(), true);
        let mut added = [date; 3];
        let mut n = 1;
        if let (Some(token), true) = (start.token, sign_token) {
            added[n] = SortedHeader::with_plain(
                "x-amz-security-token",
                token.as_bytes(),
                start.token_plain,
            );
            n += 1;
        }
        if self.settings.content_sha256_header {
            added[n] =
                SortedHeader::with_plain("x-amz-content-sha256", payload_hash.as_bytes(), true);
            n += 1;
        }
        let mut headers = SignedHeaders::new();
        let lowercase = self.signed_headers(request, &added[..n], &mut headers)?;
        let headers = headers.as_mut_slice();
        let mut query = canonical::query::Params::new();
        canonical::query::parse(request.query, |_| Take::Raw, &mut query);
        canonical::query::sort(query.as_mut_slice());
        let canonical = CanonicalRequest {
            method: request.method,
            path: request.path,
            path_rules: self.settings.path_rules(),
            query: [query.as_slice(), &[]],
            headers: HeaderSource::Sorted { headers, lowercase },
            signed_names: None,
            payload_hash: payload_hash.as_bytes(),
        };
        Ok(f(&canonical, headers, payload_hash))
    }

    /// Puts the headers to sign into `headers`, sorted: the request's (without excluded
    /// ones, and without those `added` replaces) and `added`. Returns whether every name
    /// is lower-case.
    pub(crate) fn signed_headers<'a>(
        &self,
        request: &SignableRequest<'a>,
        added: &[SortedHeader<'a>],
        headers: &mut SignedHeaders<'a>,
    ) -> Result<bool, SigningError> {
        headers.clear();
        let mut has_host = false;
        let mut lowercase = true;
        let exclusions = self.settings.exclusions();
        for &(name, value) in request.headers.iter() {
            let scan = if request.names_checked {
                canonical::headers::NameScan::checked(name)
            } else {
                canonical::headers::scan_name(name)
            };
            if !scan.token {
                return Err(SigningError::InvalidHeaderName {
                    name: name.to_owned(),
                });
            }
            // The keys (a name's first eight bytes, lower-cased) settle most comparisons.
            let replaced = added.iter().any(|a| {
                canonical::headers::same_name(a.name.as_bytes(), a.key(), name.as_bytes(), scan.key)
            });
            if replaced || exclusions.is_excluded(name, scan.key) {
                continue;
            }
            let header = SortedHeader::new(name, scan.key, value).ok_or_else(|| {
                SigningError::InvalidHeaderValue {
                    name: name.to_owned(),
                }
            })?;
            has_host |= scan.key == canonical::headers::HOST_KEY && name.len() == 4;
            lowercase &= !scan.upper;
            headers.push(header);
        }
        if !has_host {
            return Err(SigningError::MissingHost);
        }
        headers.extend_from_slice(added);
        canonical::headers::sort(headers.as_mut_slice(), lowercase);
        Ok(lowercase)
    }
}

/// The headers to sign, on the stack while they are few.
pub(crate) type SignedHeaders<'a> = InlineVec<SortedHeader<'a>, 24>;

/// What every signature starts from: the checked time, scope, token and key.
pub(crate) struct Start<'s, 'c> {
    pub(crate) date: AmzDate,
    region: &'s str,
    service: &'s str,
    pub(crate) token: Option<&'c str>,
    /// Whether the token goes into the canonical request as it is (see `Credentials`).
    pub(crate) token_plain: bool,
}

impl<'s, 'c> Start<'s, 'c> {
    pub(crate) fn new(
        request: &SignableRequest<'_>,
        params: &'s SigningParams<'c>,
    ) -> Result<Self, SigningError> {
        if !canonical::headers::is_token(request.method) {
            return Err(SigningError::InvalidMethod);
        }
        let credentials = params.credentials;
        if let Some(expiry) = credentials.expiry() {
            if expiry <= params.time {
                return Err(SigningError::CredentialsExpired {
                    expiry,
                    time: params.time,
                });
            }
        }
        Self::new_for_chunks(params, AmzDate::new(params.time)?)
    }

    /// The start of a chunk signature chain: the seed request's date and the parameters'
    /// scope and token.
    pub(crate) fn new_for_chunks(
        params: &'s SigningParams<'c>,
        date: AmzDate,
    ) -> Result<Self, SigningError> {
        // The date stamp comes from `AmzDate`, eight digits by construction.
        crate::scope::check_name("region", params.region)?;
        crate::scope::check_name("service", params.service)?;
        Ok(Self {
            date,
            region: params.region,
            service: params.service,
            token: params.credentials.session_token().map(|t| t.expose()),
            token_plain: params.credentials.session_token_plain(),
        })
    }

    /// Hands the signing key, from the signer's cache, to `f`, with the opening of the
    /// `Authorization` value under it (see `SigningKeyCache::with_key`).
    pub(crate) fn with_key<R>(
        &self,
        signer: &Signer,
        credentials: &Credentials,
        f: impl FnOnce(CachedKey<'_>) -> R,
    ) -> R {
        signer.keys.with_key(
            credentials.access_key_id(),
            credentials.secret_access_key(),
            &self.date.as_bytes()[..8],
            self.region,
            self.service,
            f,
        )
    }

    /// Hashes the canonical request, signs the string to sign with `mac` (keyed with the
    /// signing key), and fills `details` when asked.
    pub(crate) fn signature(
        &self,
        mut mac: HmacSha256,
        canonical: &CanonicalRequest<'_>,
        details: Option<&mut SigningDetails>,
    ) -> [u8; 64] {
        let hash = canonical.hash();
        let (date, region, service) = (self.date.as_bytes(), self.region, self.service);
        write_string_to_sign(&mut mac, date, region, service, &hash);
        let signature = crate::hex::encode32(&mac.finalize().into_bytes().into());
        if let Some(details) = details {
            details.canonical_request = canonical.to_text();
            let mut text = Vec::new();
            write_string_to_sign(&mut text, date, region, service, &hash);
            details.string_to_sign = String::from_utf8_lossy(&text).into_owned();
            details.signature = signature_str(&signature).to_owned();
        }
        signature
    }

    /// The length of the scope as written.
    pub(crate) fn scope_len(&self) -> usize {
        crate::scope::written_len(8, self.region, self.service)
    }

    /// The scope with its real date stamp.
    pub(crate) fn scope(&self) -> CredentialScope<'_> {
        CredentialScope {
            date_stamp: self.date.date_stamp(),
            region: self.region,
            service: self.service,
        }
    }
}

pub(crate) fn signature_str(signature: &[u8; 64]) -> &str {
    // Only hex digits are ever stored.
    std::str::from_utf8(signature).unwrap_or("")
}
