//! Server-side verification of signed requests, in two steps so that the credential lookup
//! can happen anywhere (a database, a cache, across an `.await`):
//!
//! 1. [`Verifier::parse`] checks everything that needs no secret: the `Authorization`
//!    header or presigning parameters, the clock, the credential scope, the signed headers,
//!    and what the payload hash must be. It returns a [`Pending`] that names the access key
//!    id.
//! 2. [`Pending::finish`] takes the stored credential for that key and checks the key's
//!    validity, the session token, the expiry and the signature.
//!
//! [`Verifier::verify`] does both with a synchronous [`CredentialStore`].

mod body;
mod error;
mod parse;
mod store;

use std::fmt;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

pub use body::{BodyChecker, BodyRequirement};
pub use error::{AuthLocation, AwsError, Dialect, VerifyError};
pub use store::{CredentialStore, InMemoryStore, Principal, SentToken, StoredCredential};

use crate::canonical::query::Take;
use crate::canonical::{
    self, CanonicalRequest, HeaderSource, Matched, SignedList, SignedName, SignedNames,
};
use crate::chunked::{ChainSigner, ChecksumAlgorithm, ChunkedDecoder, DecoderSettings};
use crate::credentials::Secret;
use crate::inline_vec::InlineVec;
use crate::request::{SignableRequest, StreamingPayload, UNSIGNED_PAYLOAD};
use crate::scope::{write_string_to_sign, CredentialScope};
use crate::settings::{SessionTokenMode, SigningSettings};
use crate::sign::{hex_sha256, EMPTY_SHA256};
use crate::signing_key::{SigningKey, SigningKeyCache, TERMINATOR};
use crate::swar;
use crate::time::AmzDate;
use parse::{Claims, Collected, PresigningParams, TokenRef};

/// Bounds on untrusted input. Past any of them a request is rejected with
/// [`VerifyError::TooLarge`] before any work proportional to it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest `Authorization` header, in bytes.
    pub max_authorization_len: usize,
    /// The most signed headers.
    pub max_signed_headers: usize,
    /// The most headers in the request. Past 65,536 a request is refused whatever this
    /// says: the verifier keeps headers' positions in 16 bits.
    pub max_headers: usize,
    /// The most bytes of header names and values together.
    pub max_header_bytes: usize,
    /// The most query parameters.
    pub max_query_params: usize,
    /// The longest path and query, in bytes.
    pub max_target_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_authorization_len: 8 * 1024,
            max_signed_headers: 64,
            max_headers: 128,
            max_header_bytes: 64 * 1024,
            max_query_params: 256,
            max_target_len: 16 * 1024,
        }
    }
}

/// What a verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifierSettings {
    /// The regions served; `None` accepts any.
    pub regions: Option<Vec<String>>,
    /// The services served; `None` accepts any.
    pub services: Option<Vec<String>>,
    /// How far the request time may be from the server's, either way (15 minutes, as AWS).
    pub max_skew: Duration,
    /// Accept `UNSIGNED-PAYLOAD` in `x-amz-content-sha256` (S3 does).
    pub allow_unsigned_payload: bool,
    /// Reject requests with an `x-amz-*` header that is not signed (S3 does).
    pub require_signed_amz_headers: bool,
    /// Where clients put the session token. With
    /// [`SessionTokenMode::AddedAfterSigning`] the token is left out of the canonical query
    /// and may be sent unsigned.
    pub session_token: SessionTokenMode,
    /// The canonicalization rules of services that differ from the default ones (S3 by
    /// default: no path normalization, single encoding, `x-amz-content-sha256` required).
    pub service_rules: Vec<(String, SigningSettings)>,
    /// Bounds on untrusted input.
    pub limits: Limits,
}

impl Default for VerifierSettings {
    fn default() -> Self {
        Self {
            regions: None,
            services: None,
            max_skew: Duration::minutes(15),
            allow_unsigned_payload: true,
            require_signed_amz_headers: true,
            session_token: SessionTokenMode::Signed,
            service_rules: vec![("s3".to_owned(), SigningSettings::s3())],
            limits: Limits::default(),
        }
    }
}

impl VerifierSettings {
    /// Whether clients add the session token after signing, so that it is not signed.
    fn token_unsigned(&self) -> bool {
        self.session_token == SessionTokenMode::AddedAfterSigning
    }

    /// What of the service's signing settings a verification needs: how its paths are
    /// canonicalized, and whether it takes `x-amz-content-sha256` (S3's payload rules).
    fn rules_for(&self, service: &str) -> ServiceRules {
        let rules = |settings: &SigningSettings| ServiceRules {
            path: settings.path_rules(),
            content_sha256_header: settings.content_sha256_header,
        };
        match self.service_rules.iter().find(|(name, _)| name == service) {
            Some((_, settings)) => rules(settings),
            None => rules(&SigningSettings::default()),
        }
    }
}

/// The part of a service's [`SigningSettings`] that verification reads.
#[derive(Debug, Clone, Copy)]
struct ServiceRules {
    path: canonical::PathRules,
    content_sha256_header: bool,
}

/// The body as the caller has it when verifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body<'a> {
    /// The whole body.
    Bytes(&'a [u8]),
    /// The body's SHA-256 in hex, computed by the caller.
    Sha256Hex(&'a str),
    /// Not read yet: the verdict says what the body must satisfy. Services other than S3
    /// sign the body's hash directly, so they need `Bytes` or `Sha256Hex` unless the client
    /// sent `x-amz-content-sha256`.
    Deferred,
}

/// Checks signed requests. Holds its settings and a signing-key cache; share one across
/// threads.
#[derive(Debug, Default)]
pub struct Verifier {
    settings: VerifierSettings,
    keys: SigningKeyCache,
}

/// A request whose claims parsed and passed every check that needs no secret.
pub struct Pending<'r> {
    request: &'r SignableRequest<'r>,
    claims: Claims<'r>,
    matched: MatchedHeaders,
    /// The headers, by place (the first 64), whose values `parse` found plain.
    plain: u64,
    /// The session token header's place, as a bit of `plain`: set once the token is found
    /// to be the stored one, if that is plain.
    token_plain_bit: u64,
    /// The presigning parameters whose values `parse` found canonical, a bit each (see
    /// `PresigningParams::take`); the session token's is found later.
    query_canonical: u8,
    date: AmzDate,
    request_time: OffsetDateTime,
    now: OffsetDateTime,
    rules: ServiceRules,
    /// The payload hash that goes into the canonical request.
    payload_hash: PayloadHash<'r>,
    /// A body hash declared in `x-amz-content-sha256` that the body itself must match.
    declared: Option<[u8; 32]>,
    streaming: Option<StreamingPayload>,
    body: Body<'r>,
}

/// Shows the claims (the session token redacted) and the dates, not the request: its
/// headers carry the token and the signature.
impl fmt::Debug for Pending<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("claims", &self.claims)
            .field("date", &self.date)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy)]
enum PayloadHash<'r> {
    Given(&'r [u8]),
    Computed([u8; 64]),
}

impl PayloadHash<'_> {
    fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Given(bytes) => bytes,
            Self::Computed(hex) => hex,
        }
    }
}

/// The request headers that were signed, sorted.
pub(crate) type MatchedHeaders = InlineVec<Matched, 24>;

/// An authentic request: who signed it, for what, and what its body must still satisfy.
#[derive(Debug)]
pub struct Verified<'r, D = ()> {
    /// The credential that signed it.
    pub credential: Arc<StoredCredential<D>>,
    /// Where the signature was carried.
    pub location: AuthLocation,
    /// The request time.
    pub request_time: OffsetDateTime,
    /// What the body must still satisfy.
    pub body: BodyRequirement,
    scope: CredentialScope<'r>,
    signed: SignedList<'r>,
}

impl<'r, D> Verified<'r, D> {
    /// The decoder for an `aws-chunked` body, seeded with this request's signature, when
    /// the body is one (`None` otherwise). It reads `x-amz-decoded-content-length` and
    /// `x-amz-trailer` from `request`.
    pub fn chunked_decoder(
        &self,
        request: &SignableRequest<'_>,
        settings: DecoderSettings,
    ) -> Result<Option<ChunkedDecoder>, VerifyError> {
        let BodyRequirement::Streaming {
            kind,
            seed_signature,
            key,
            date,
        } = &self.body
        else {
            return Ok(None);
        };
        let length = find_header(request, "x-amz-decoded-content-length")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or(VerifyError::MissingDecodedContentLength)?;
        let announced = match find_header(request, "x-amz-trailer") {
            None => None,
            Some(value) => {
                let name = std::str::from_utf8(value).unwrap_or("").trim();
                Some(ChecksumAlgorithm::from_header_name(name).ok_or_else(|| {
                    VerifyError::MalformedTrailer {
                        reason: format!("x-amz-trailer names no supported checksum: {name:?}"),
                    }
                })?)
            }
        };
        if kind.has_trailer() != announced.is_some() {
            return Err(VerifyError::MalformedTrailer {
                reason: "x-amz-trailer must name a checksum exactly when the payload has a trailer"
                    .into(),
            });
        }
        let chain = kind
            .chunks_signed()
            .then(|| ChainSigner::new(key.clone(), date, &self.scope, *seed_signature));
        Ok(Some(ChunkedDecoder::new(
            *kind, chain, length, announced, settings,
        )))
    }

    /// The credential scope.
    pub fn scope(&self) -> CredentialScope<'r> {
        self.scope
    }

    /// The signed header names, in order.
    pub fn signed_headers(&self) -> impl Iterator<Item = &'r str> + '_ {
        self.signed.names()
    }
}

impl Verifier {
    /// A verifier with these settings.
    pub fn new(settings: VerifierSettings) -> Self {
        Self {
            settings,
            keys: SigningKeyCache::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &VerifierSettings {
        &self.settings
    }

    /// The dialect to report errors for `request` in, from the service its credential
    /// scope names (the query protocol's when none can be read).
    pub fn dialect_of(&self, request: &SignableRequest<'_>) -> Dialect {
        let limits = &self.settings.limits;
        let mut names = SignedNames::new();
        let claims = match (find_header(request, "authorization"), request.query) {
            (Some(value), _) => parse::parse_authorization(value, limits, &mut names).ok(),
            (None, Some(query)) => parse::parse_presigned(query, limits, &mut names).ok(),
            (None, None) => None,
        };
        claims.map_or(Dialect::Query, |c| {
            Dialect::for_service(c.credential.service)
        })
    }

    /// Verifies `request` with a synchronous store: [`parse`](Self::parse), lookup,
    /// [`finish`](Pending::finish).
    pub fn verify<'r, S: CredentialStore>(
        &self,
        request: &'r SignableRequest<'r>,
        body: Body<'r>,
        store: &S,
        now: OffsetDateTime,
    ) -> Result<Verified<'r, S::Data>, VerifyError> {
        // What `parse` keeps for the canonical request, so that `finish` splits nothing
        // again: the signed names, and a presigned query's parameters.
        let mut collected = Collected::new();
        // Borrowed where it lies rather than moved out of the `Result`: it is some
        // hundreds of bytes.
        let parsed = self.parse_collecting(request, body, now, Some(&mut collected));
        let pending = match parsed {
            Ok(ref pending) => pending,
            Err(error) => return Err(error),
        };
        let token = SentToken(pending.claims.token);
        let credential = store.lookup_with_token(pending.access_key_id(), token)?;
        pending.finish_in_place(self, credential, Some(&mut collected))
    }

    /// Step one: every check that needs no secret. `now` is the server's clock.
    pub fn parse<'r>(
        &self,
        request: &'r SignableRequest<'r>,
        body: Body<'r>,
        now: OffsetDateTime,
    ) -> Result<Pending<'r>, VerifyError> {
        self.parse_collecting(request, body, now, None)
    }

    /// [`parse`](Self::parse), keeping in `collect` the signed names and, for a presigned
    /// request, its query's parameters as the canonical query takes them: the values of
    /// the credential, the date and the session token as canonical before they are read,
    /// which `Pending` records for the first two and `with_canonical` finds for the token,
    /// re-reading those that are not.
    fn parse_collecting<'r>(
        &self,
        request: &'r SignableRequest<'r>,
        body: Body<'r>,
        now: OffsetDateTime,
        collect: Option<&mut Collected<'r>>,
    ) -> Result<Pending<'r>, VerifyError> {
        let mut own_names = SignedNames::new();
        let (names, query) = match collect {
            Some(collected) => (
                &mut collected.names,
                Some((&mut collected.params, &mut collected.presigning_at)),
            ),
            None => (&mut own_names, None),
        };
        let limits = &self.settings.limits;
        if request.headers.len() > limits.max_headers {
            return Err(VerifyError::TooLarge {
                what: "number of headers",
                limit: limits.max_headers,
            });
        }
        let known = KnownHeaders::find(&request.headers);
        self.check_bounds(request, known.total_bytes)?;

        // Where the signature is.
        let authorization = known.authorization.map(|found| found.value);
        // A query is split only when it holds the name of the parameter that presigns it.
        let presigning = request
            .query
            .filter(|q| q.contains(crate::presign::param::ALGORITHM))
            .map(|q| {
                let token_unsigned = self.settings.token_unsigned();
                let collect = query.map(|(params, at)| (params, at, token_unsigned));
                PresigningParams::find(q, limits, collect)
            })
            .filter(PresigningParams::presigned);
        if presigning.is_none() {
            self.check_query_params(request.query)?;
        }
        let claims = match (authorization, presigning) {
            (Some(_), Some(_)) => return Err(VerifyError::MultipleAuthMechanisms),
            (None, None) => return Err(VerifyError::MissingAuthentication),
            (Some(value), None) => {
                let mut claims = parse::parse_authorization(value, limits, names)?;
                claims.token = known
                    .security_token
                    .map(|found| TokenRef::Header(found.value));
                claims
            }
            (None, Some(found)) => parse::presigned_claims(found, limits, names)?,
        };

        // When.
        // The headers whose values are found plain here, by place (the first 64): the
        // canonical request takes them as they are, without a second look.
        let bit = |at: usize| if at < 64 { 1u64 << at } else { 0 };
        let mut plain = 0u64;
        let token_plain_bit = match (claims.location, known.security_token) {
            (AuthLocation::Header, Some(found)) => bit(found.at),
            _ => 0,
        };
        let mut mark_plain = |at: usize| plain |= bit(at);
        // A presigned query's values that are canonical, a bit per presigning parameter.
        let mut query_canonical = 0;
        let (date, request_time) = match claims.query_date {
            Some(value) => {
                query_canonical = PresigningParams::CANONICAL_ONCE_ACCEPTED;
                if claims.credential_canonical {
                    query_canonical |= PresigningParams::CREDENTIAL;
                }
                let (parsed, as_sent) = parse::parse_amz_date(value.as_bytes())?;
                if as_sent {
                    query_canonical |= PresigningParams::DATE;
                }
                parsed
            }
            None => match known.amz_date {
                Some(found) => {
                    let (parsed, as_sent) = parse::parse_amz_date(found.value)?;
                    if as_sent {
                        mark_plain(found.at);
                    }
                    parsed
                }
                None => match known.date {
                    Some(found) => parse::parse_request_time(found.value, true)?,
                    None => return Err(VerifyError::MissingDate),
                },
            },
        };
        self.check_time(&claims, request_time, now)?;

        // For what.
        let credential = claims.credential;
        if credential.date_stamp.as_bytes() != &date.as_bytes()[..8] {
            return Err(VerifyError::ScopeDateMismatch {
                scope_date: credential.date_stamp.to_owned(),
                request_date: date.as_str().to_owned(),
            });
        }
        let allowed = |list: &Option<Vec<String>>, value: &str| {
            list.as_ref()
                .is_none_or(|list| list.iter().any(|v| v == value))
        };
        if !allowed(&self.settings.regions, credential.region)
            || !crate::scope::is_valid_name(credential.region)
        {
            return Err(VerifyError::WrongRegion {
                region: credential.region.to_owned(),
            });
        }
        if !allowed(&self.settings.services, credential.service)
            || !crate::scope::is_valid_name(credential.service)
        {
            return Err(VerifyError::WrongService {
                service: credential.service.to_owned(),
            });
        }
        if credential.terminator != TERMINATOR {
            return Err(VerifyError::WrongTerminator {
                terminator: credential.terminator.to_owned(),
            });
        }

        // Which headers.
        // No other checked name has `host`'s key: a longer one starting with it has a token
        // character where `host`'s is padded with zeros.
        if names
            .binary_search_by(|n| n.key.cmp(&canonical::headers::HOST_KEY))
            .is_err()
        {
            return Err(VerifyError::HostNotSigned);
        }
        let matched = self.match_signed_headers(request, names)?;

        // What the body must be.
        let rules = self.settings.rules_for(credential.service);
        let content_sha256 = known.content_sha256;
        let mut declared = None;
        let mut streaming = None;
        let payload_hash = match (content_sha256, claims.location) {
            (Some(Found { value, at }), _) => {
                // Only S3's rules let the body go uncovered by the signature: unsigned, or in
                // chunks (unsigned ones only where unsigned payloads are allowed).
                let s3 = rules.content_sha256_header;
                let kind = classify_content_sha256(value)?;
                // Accepted only as it came: a hash's digits or a name's letters and `-`.
                mark_plain(at);
                match kind {
                    Declared::Unsigned if !s3 || !self.settings.allow_unsigned_payload => {
                        return Err(VerifyError::UnsignedPayloadNotAllowed)
                    }
                    Declared::Streaming(StreamingPayload::UnsignedWithTrailer)
                        if !s3 || !self.settings.allow_unsigned_payload =>
                    {
                        return Err(VerifyError::UnsignedPayloadNotAllowed)
                    }
                    Declared::Streaming(_) if !s3 => {
                        return Err(VerifyError::UnsignedPayloadNotAllowed)
                    }
                    Declared::Unsigned => {}
                    Declared::Hash(hash) => declared = Some(hash),
                    Declared::Streaming(kind) => streaming = Some(kind),
                }
                PayloadHash::Given(value)
            }
            (None, AuthLocation::Header) if rules.content_sha256_header => {
                return Err(VerifyError::MissingContentSha256)
            }
            // S3 presigned URLs never cover the body.
            (None, AuthLocation::Query) if rules.content_sha256_header => {
                if !self.settings.allow_unsigned_payload {
                    return Err(VerifyError::UnsignedPayloadNotAllowed);
                }
                PayloadHash::Given(UNSIGNED_PAYLOAD.as_bytes())
            }
            (None, _) => match body {
                Body::Bytes([]) => PayloadHash::Computed(*EMPTY_SHA256),
                Body::Bytes(bytes) => PayloadHash::Computed(hex_sha256(bytes)),
                Body::Sha256Hex(hash) => {
                    let bytes: [u8; 64] = hash
                        .as_bytes()
                        .try_into()
                        .map_err(|_| VerifyError::BodyRequired)?;
                    PayloadHash::Computed(bytes)
                }
                Body::Deferred => return Err(VerifyError::BodyRequired),
            },
        };

        Ok(Pending {
            request,
            claims,
            matched,
            plain,
            token_plain_bit,
            query_canonical,
            date,
            request_time,
            now,
            rules,
            payload_hash,
            declared,
            streaming,
            body,
        })
    }

    /// Finds each request header among the signed names, in one pass over the headers (a
    /// header's key, its first eight bytes lower-cased, settles most pairs at once). Every
    /// signed name must be sent, and with `require_signed_amz_headers` every `x-amz-*`
    /// header must be signed.
    fn match_signed_headers(
        &self,
        request: &SignableRequest<'_>,
        names: &[SignedName<'_>],
    ) -> Result<MatchedHeaders, VerifyError> {
        let token_unsigned = self.settings.token_unsigned();
        let limit = Matched::POSITIONS;
        if request.headers.len() > limit || names.len() > limit {
            return Err(VerifyError::TooLarge {
                what: "number of headers",
                limit,
            });
        }
        let mut matched = InlineVec::new();
        let mut unsigned_amz = None;
        for (at, &(name, _)) in request.headers.iter().enumerate() {
            let key = canonical::name_key(name);
            let found = names.iter().position(|n| n.is(name, key));
            match found {
                // Both positions fit (checked above); should they not, the request is
                // refused rather than a signed header left out.
                Some(index) => match Matched::new(index, at) {
                    Some(key) => matched.push(key),
                    None => {
                        return Err(VerifyError::TooLarge {
                            what: "number of headers",
                            limit,
                        })
                    }
                },
                None if unsigned_amz.is_none() && self.settings.require_signed_amz_headers => {
                    let amz = name.len() > 6
                        && name.as_bytes()[..6].eq_ignore_ascii_case(b"x-amz-")
                        && !(token_unsigned && name.eq_ignore_ascii_case("x-amz-security-token"));
                    if amz {
                        unsigned_amz = Some(name);
                    }
                }
                None => {}
            }
        }
        // Sorted, the keys group by name, each name's headers in the order they were sent.
        matched.as_mut_slice().sort_unstable();
        let mut present = 0;
        for &key in matched.as_slice() {
            let index = key.name();
            if index == present {
                present += 1;
            } else if index > present {
                break;
            }
        }
        if let Some(missing) = names.get(present) {
            return Err(VerifyError::SignedHeaderMissing {
                name: String::from_utf8_lossy(missing.name).into_owned(),
            });
        }
        if let Some(name) = unsigned_amz {
            return Err(VerifyError::UnsignedAmzHeader {
                name: name.to_ascii_lowercase(),
            });
        }
        Ok(matched)
    }

    /// The sizes of the header section and the request target, which `parse` checks
    /// before it reads them (the number of query parameters is
    /// [`Verifier::check_query_params`]'s). `header_bytes`: the headers' names and values,
    /// all told.
    fn check_bounds(
        &self,
        request: &SignableRequest<'_>,
        header_bytes: usize,
    ) -> Result<(), VerifyError> {
        let limits = &self.settings.limits;
        if header_bytes > limits.max_header_bytes {
            return Err(VerifyError::TooLarge {
                what: "header section",
                limit: limits.max_header_bytes,
            });
        }
        let target = request.path.len() + request.query.map_or(0, str::len);
        if target > limits.max_target_len {
            return Err(VerifyError::TooLarge {
                what: "request target",
                limit: limits.max_target_len,
            });
        }
        Ok(())
    }

    /// Bounds the number of a query's parameters, for a request that is not presigned (the
    /// search for presigning parameters stops at the bound by itself).
    fn check_query_params(&self, query: Option<&str>) -> Result<(), VerifyError> {
        let max = self.settings.limits.max_query_params;
        // A query holds at most one piece more than it has bytes: a short one needs no
        // count.
        match query {
            Some(query)
                if query.len() >= max && canonical::query::count_upper_bound(query) > max =>
            {
                Err(VerifyError::TooLarge {
                    what: "number of query parameters",
                    limit: max,
                })
            }
            _ => Ok(()),
        }
    }

    fn check_time(
        &self,
        claims: &Claims<'_>,
        request_time: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), VerifyError> {
        let skew = self.settings.max_skew;
        match claims.expires {
            None => {
                if elapsed(request_time, now).abs() > skew {
                    return Err(VerifyError::RequestTimeTooSkewed {
                        request_time,
                        server_time: now,
                        max_skew_seconds: skew.whole_seconds(),
                    });
                }
            }
            Some(raw) => {
                let expires = raw
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=crate::MAX_EXPIRES).contains(s) && !raw.starts_with('+'))
                    .ok_or_else(|| VerifyError::ExpiresOutOfRange {
                        value: raw.chars().take(32).collect(),
                    })?;
                let since = elapsed(request_time, now);
                // Saturating: a skew of any size must not overflow.
                if since.saturating_add(skew).is_negative() {
                    return Err(VerifyError::RequestNotYetValid {
                        valid_from: request_time,
                        server_time: now,
                    });
                }
                // At most seven days, so the cast is exact.
                let lifetime = Duration::seconds(expires as i64);
                if since > lifetime {
                    // Saturating: a request dated at the edge of the calendar must not
                    // overflow.
                    return Err(VerifyError::RequestExpired {
                        expired_at: request_time.saturating_add(lifetime),
                        server_time: now,
                    });
                }
            }
        }
        Ok(())
    }
}

/// `now - request_time`. When both are UTC times of one day, as they nearly always are,
/// from their times of day alone: the calendar arithmetic of a full subtraction costs more
/// than the rest of the clock check.
fn elapsed(request_time: OffsetDateTime, now: OffsetDateTime) -> Duration {
    let utc = now.offset().is_utc() && request_time.offset().is_utc();
    if !(utc && now.date() == request_time.date()) {
        return now - request_time;
    }
    let seconds = |t: OffsetDateTime| {
        let (hour, minute, second) = t.to_hms();
        i64::from(hour) * 3_600 + i64::from(minute) * 60 + i64::from(second)
    };
    let nanoseconds = i64::from(now.nanosecond()) - i64::from(request_time.nanosecond());
    Duration::seconds(seconds(now) - seconds(request_time)) + Duration::nanoseconds(nanoseconds)
}

enum Declared {
    Unsigned,
    Hash([u8; 32]),
    Streaming(StreamingPayload),
}

fn classify_content_sha256(value: &[u8]) -> Result<Declared, VerifyError> {
    if value == UNSIGNED_PAYLOAD.as_bytes() {
        return Ok(Declared::Unsigned);
    }
    for kind in [
        StreamingPayload::Signed,
        StreamingPayload::SignedWithTrailer,
        StreamingPayload::UnsignedWithTrailer,
    ] {
        if value == kind.as_str().as_bytes() {
            return Ok(Declared::Streaming(kind));
        }
    }
    // Most requests with a hash have no body: its hash is known without reading the hex.
    if value == EMPTY_SHA256 {
        return Ok(Declared::Hash(body::EMPTY_DIGEST));
    }
    crate::hex::decode32(value)
        .map(Declared::Hash)
        .ok_or(VerifyError::InvalidContentSha256)
}

/// The headers `parse` reads, each the first of its name (case-insensitive), found in one
/// pass over the request's headers that also totals their size.
#[derive(Default)]
struct KnownHeaders<'r> {
    authorization: Option<Found<'r>>,
    amz_date: Option<Found<'r>>,
    date: Option<Found<'r>>,
    security_token: Option<Found<'r>>,
    content_sha256: Option<Found<'r>>,
    /// The names' and values' lengths, summed.
    total_bytes: usize,
}

/// A header's value, and its place among the request's headers.
#[derive(Clone, Copy)]
struct Found<'r> {
    value: &'r [u8],
    at: usize,
}

impl<'r> KnownHeaders<'r> {
    fn find(headers: &[(&'r str, &'r [u8])]) -> Self {
        let mut found = Self::default();
        for (at, &(name, value)) in headers.iter().enumerate() {
            found.total_bytes = found
                .total_bytes
                .saturating_add(name.len())
                .saturating_add(value.len());
            // The length settles which name it could be; the two of 20 bytes differ in
            // their seventh.
            let header = Found { value, at };
            match name.len() {
                4 => keep_first(&mut found.date, name, "date", header),
                10 => keep_first(&mut found.amz_date, name, "x-amz-date", header),
                13 => keep_first(&mut found.authorization, name, "authorization", header),
                20 if name.as_bytes()[6].eq_ignore_ascii_case(&b's') => keep_first(
                    &mut found.security_token,
                    name,
                    "x-amz-security-token",
                    header,
                ),
                20 => keep_first(
                    &mut found.content_sha256,
                    name,
                    "x-amz-content-sha256",
                    header,
                ),
                _ => {}
            }
        }
        found
    }
}

/// Sets `slot` to `header` if it is empty and `name` is `known` (lower case, four bytes or
/// more) in any case. Inlined, so that each comparison is with constant words.
#[inline(always)]
fn keep_first<'r>(slot: &mut Option<Found<'r>>, name: &str, known: &str, header: Found<'r>) {
    if slot.is_none() && swar::eq_lower(name.as_bytes(), known.as_bytes()) {
        *slot = Some(header);
    }
}

/// The first value of a header, by case-insensitive name.
fn find_header<'r>(request: &SignableRequest<'r>, name: &str) -> Option<&'r [u8]> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

impl<'r> Pending<'r> {
    /// The access key id to look up.
    pub fn access_key_id(&self) -> &'r str {
        self.claims.credential.access_key_id
    }

    /// The credential scope the request claims.
    pub fn scope(&self) -> CredentialScope<'r> {
        let c = self.claims.credential;
        CredentialScope {
            date_stamp: c.date_stamp,
            region: c.region,
            service: c.service,
        }
    }

    /// Where the signature was carried.
    pub fn location(&self) -> AuthLocation {
        self.claims.location
    }

    /// The session token the request carries (decoded from the query for presigned
    /// requests): a server that issues self-contained tokens opens it to find the
    /// credential before [`finish`](Self::finish).
    pub fn session_token(&self) -> Option<String> {
        SentToken(self.claims.token).get()
    }

    /// The dialect errors for this request should be written in.
    pub fn dialect(&self) -> Dialect {
        Dialect::for_service(self.claims.credential.service)
    }

    /// Step two: checks the stored credential (`None` when the lookup found nothing) and
    /// the signature.
    pub fn finish<D>(
        self,
        verifier: &Verifier,
        credential: Option<Arc<StoredCredential<D>>>,
    ) -> Result<Verified<'r, D>, VerifyError> {
        self.finish_in_place(verifier, credential, None)
    }

    /// [`finish`](Self::finish) without moving `self`, which is some hundreds of bytes.
    /// `collected`: what `parse` kept, if it kept it.
    fn finish_in_place<D>(
        &self,
        verifier: &Verifier,
        credential: Option<Arc<StoredCredential<D>>>,
        mut collected: Option<&mut Collected<'r>>,
    ) -> Result<Verified<'r, D>, VerifyError> {
        let claimed = self.claims.credential;
        let Some(credential) = credential else {
            return Err(VerifyError::InvalidAccessKeyId {
                access_key_id: claimed.access_key_id.to_owned(),
            });
        };
        if credential.access_key_id != claimed.access_key_id
            || credential.not_before.is_some_and(|t| self.now < t)
        {
            return Err(VerifyError::InvalidAccessKeyId {
                access_key_id: claimed.access_key_id.to_owned(),
            });
        }
        let token = match (&credential.session_token, self.claims.token) {
            (None, None) => TokenCheck::default(),
            (Some(_), None) => return Err(VerifyError::MissingSecurityToken),
            (None, Some(_)) => return Err(VerifyError::InvalidSecurityToken),
            (Some(stored), Some(sent)) => {
                let check = token_matches(stored, sent);
                if !check.matches {
                    return Err(VerifyError::InvalidSecurityToken);
                }
                check
            }
        };
        if let Some(expiry) = credential.expiry {
            if expiry <= self.request_time || expiry <= self.now {
                return Err(VerifyError::ExpiredToken { expiry });
            }
        }

        let scope = self.scope();
        // The scope's date stamp was found equal to the request date's.
        let date = self.date.as_bytes();
        // The keyed MAC, copied out of the cache. The canonical request is hashed apart
        // from it, and built again only to explain a mismatch.
        let mut mac = self.with_key(verifier, &credential, SigningKey::mac);
        let hash = self.with_canonical(verifier, token, collected.as_deref_mut(), |c| c.hash());
        write_string_to_sign(&mut mac, date, scope.region, scope.service, &hash);
        let signature: [u8; 32] = hmac::Mac::finalize(mac).into_bytes().into();
        // Compared as hex, as it was sent: encoding the expected signature costs less
        // than decoding the sent one.
        if !crate::ct::eq(&crate::hex::encode32(&signature), self.claims.signature) {
            let mut string_to_sign = Vec::new();
            write_string_to_sign(
                &mut string_to_sign,
                date,
                scope.region,
                scope.service,
                &hash,
            );
            return Err(VerifyError::SignatureDoesNotMatch {
                canonical_request: self.with_canonical(verifier, token, collected, |c| c.to_text()),
                string_to_sign: String::from_utf8_lossy(&string_to_sign).into_owned(),
            });
        }

        let body = match (self.declared, self.streaming) {
            (_, Some(kind)) => BodyRequirement::Streaming {
                kind,
                seed_signature: signature,
                key: self.with_key(verifier, &credential, SigningKey::clone),
                date: self.date,
            },
            (Some(declared), None) => match self.body {
                Body::Bytes(bytes) => {
                    let mut checker = BodyChecker::new(declared);
                    checker.update(bytes);
                    checker.finish()?;
                    BodyRequirement::None
                }
                Body::Sha256Hex(given) => {
                    let mut given_bytes = [0u8; 32];
                    let same = hex::decode_to_slice(given, &mut given_bytes).is_ok()
                        && crate::ct::eq(&given_bytes, &declared);
                    if !same {
                        return Err(VerifyError::ContentSha256Mismatch {
                            declared: hex::encode(declared),
                            computed: given.chars().take(64).collect(),
                        });
                    }
                    BodyRequirement::None
                }
                Body::Deferred => BodyRequirement::Sha256(declared),
            },
            (None, None) => BodyRequirement::None,
        };

        Ok(Verified {
            credential,
            location: self.claims.location,
            request_time: self.request_time,
            body,
            scope,
            signed: self.claims.signed,
        })
    }

    /// Hands `f` the signing key for the scope the request claims, from the verifier's
    /// cache.
    fn with_key<D, R>(
        &self,
        verifier: &Verifier,
        credential: &StoredCredential<D>,
        f: impl FnOnce(&SigningKey) -> R,
    ) -> R {
        let claimed = self.claims.credential;
        verifier.keys.with_key(
            claimed.access_key_id,
            &credential.secret,
            claimed.date_stamp.as_bytes(),
            claimed.region,
            claimed.service,
            |cached| f(cached.key()),
        )
    }

    /// Builds the canonical request the client should have signed and hands it to `f`.
    /// `token`: how the session token compared with the stored one; a token found
    /// canonical (in a query) or plain (in a header) needs no second look. `collected`: what
    /// `parse` kept, if it kept it: the signed names, which the canonical headers take, and
    /// a presigned query's parameters, whose values taken as canonical and found not to be
    /// are read again, and whose request's own are sorted, in place (so a second call
    /// finds them ready). Without it, the list and the query are split again.
    fn with_canonical<R>(
        &self,
        verifier: &Verifier,
        token: TokenCheck,
        collected: Option<&mut Collected<'r>>,
        f: impl FnOnce(&CanonicalRequest<'_>) -> R,
    ) -> R {
        let plain = if token.header_plain {
            self.plain | self.token_plain_bit
        } else {
            self.plain
        };
        let presigned = self.claims.location == AuthLocation::Query;
        // The presigning parameters whose values are canonical, a bit each.
        let mut canonical = self.query_canonical;
        if token.query_canonical {
            canonical |= PresigningParams::TOKEN;
        }
        let mut own = canonical::query::Params::new();
        let (names, query) = match collected {
            Some(Collected {
                names,
                params,
                presigning_at,
            }) => (Some(names.as_slice()), Some((params, *presigning_at))),
            None => (None, None),
        };
        let (params, presigning_at) = match query {
            // Collected by `parse` with some values taken as canonical before they were
            // read: those that are not are read again.
            Some((params, at)) if presigned => {
                let mut reread = PresigningParams::COLLECTED_AS_CANONICAL & !canonical;
                if self.claims.token.is_none() {
                    reread &= !PresigningParams::TOKEN;
                }
                if reread != 0 {
                    for param in params.iter_mut().skip(at) {
                        // The presigning parameters' names, as they are collected.
                        let slot = PresigningParams::slot(param.name.text());
                        if slot.is_some_and(|i| reread >> i & 1 == 1) {
                            param.reread_value();
                        }
                    }
                }
                (params, at)
            }
            _ => {
                let token_unsigned = verifier.settings.token_unsigned();
                let take = |name: &str| {
                    if presigned {
                        let slot = PresigningParams::slot(name);
                        PresigningParams::take(slot, canonical, token_unsigned)
                    } else {
                        Take::Raw
                    }
                };
                canonical::query::parse(self.request.query, take, &mut own);
                let len = own.len();
                (&mut own, len)
            }
        };
        // Two sorted runs: the parameters before `presigning_at`, sorted here, and those
        // after it (collected in order).
        let split = presigning_at.min(params.len());
        let (others, presigning) = params.split_at_mut(split);
        canonical::query::sort(others);
        let canonical = CanonicalRequest {
            method: self.request.method,
            path: self.request.path,
            path_rules: self.rules.path,
            query: [others, presigning],
            headers: HeaderSource::Listed {
                signed: self.claims.signed,
                names,
                matched: self.matched.as_slice(),
                all: &self.request.headers,
                plain,
            },
            signed_names: None,
            payload_hash: self.payload_hash.as_bytes(),
        };
        f(&canonical)
    }
}

/// What comparing a session token found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct TokenCheck {
    /// The token sent is the stored one.
    matches: bool,
    /// Sent in a query, it is in canonical form already (unreserved characters, and
    /// upper-case escapes of the others), so the canonical query can take it as it is.
    query_canonical: bool,
    /// Sent in a header, it is the stored token, which needs no trimming or folding: the
    /// canonical headers can take it as it is.
    header_plain: bool,
}

/// Compares a stored token with the one sent, in a time that depends on what was sent
/// only. A query token is compared first with the stored token's canonical encoding, as
/// SDKs send it, when the stored token has one made (`InMemoryStore` makes it when a
/// credential is inserted; a store that makes credentials per request does not pay for
/// it). Any other spelling is percent-decoded on the fly, and found canonical or not in
/// the same pass.
fn token_matches(stored: &Secret, sent: TokenRef<'_>) -> TokenCheck {
    let value = match sent {
        TokenRef::Header(value) => {
            let matches = crate::ct::eq_in_sent_time(value, stored.expose().as_bytes());
            return TokenCheck {
                matches,
                query_canonical: false,
                header_plain: matches && stored.is_plain_header_value(),
            };
        }
        TokenRef::Query(value) => value,
    };
    if let Some(encoded) = stored.query_encoded_if_made() {
        if crate::ct::eq_in_sent_time(value.as_bytes(), encoded.as_bytes()) {
            return TokenCheck {
                matches: true,
                query_canonical: true,
                header_plain: false,
            };
        }
    }
    decoded_token_matches(stored.expose().as_bytes(), value)
}

/// [`token_matches`] for a query token spelled in any way.
fn decoded_token_matches(stored: &[u8], value: &str) -> TokenCheck {
    // The runs between escapes are compared whole, a branch-free fold each; where the
    // runs end depends only on the token sent.
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let bytes = value.as_bytes();
    let mut diff = 0u8;
    let mut len = 0usize;
    let mut canonical = true;
    let mut compare = |run: &[u8], len: &mut usize| {
        diff |= match stored.get(*len..*len + run.len()) {
            Some(expected) => run
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b)),
            None => 1,
        };
        *len += run.len();
    };
    let unreserved = |run: &[u8]| {
        run.iter()
            .fold(true, |ok, &b| ok & canonical::query::is_unreserved(b))
    };
    let mut from = 0;
    for at in crate::scan::positions(bytes, b'%') {
        if at < from {
            continue;
        }
        let run = &bytes[from..at];
        canonical &= unreserved(run);
        compare(run, &mut len);
        let (high, low) = (bytes.get(at + 1).copied(), bytes.get(at + 2).copied());
        match high.and_then(hex).zip(low.and_then(hex)) {
            Some((h, l)) => {
                let byte = h << 4 | l;
                canonical &= !canonical::query::is_unreserved(byte)
                    && !high.is_some_and(|c| c.is_ascii_lowercase())
                    && !low.is_some_and(|c| c.is_ascii_lowercase());
                compare(&[byte], &mut len);
                from = at + 3;
            }
            // Not an escape: a literal `%`.
            None => {
                canonical = false;
                compare(b"%", &mut len);
                from = at + 1;
            }
        }
    }
    let run = bytes.get(from..).unwrap_or_default();
    canonical &= unreserved(run);
    compare(run, &mut len);
    TokenCheck {
        matches: diff == 0 && len == stored.len(),
        query_canonical: canonical,
        header_plain: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for times of one UTC day agrees with a full subtraction, on one day and
    /// across days, in other offsets, and to the nanosecond.
    #[test]
    fn elapsed_is_the_difference() {
        use time::macros::{datetime, offset};
        let start = datetime!(2015-08-30 00:00:00 UTC);
        for step in 0..20_000i64 {
            let request = start
                + Duration::seconds(step * 7_919 % 200_000)
                + Duration::nanoseconds(step * 3_333_331 % 1_000_000_000);
            let now = start
                + Duration::seconds(step * 104_729 % 190_000)
                + Duration::nanoseconds(step * 7_777_777 % 1_000_000_000);
            assert_eq!(elapsed(request, now), now - request, "{request} {now}");
            let local = now.to_offset(offset!(+13:45));
            assert_eq!(
                elapsed(request, local),
                local - request,
                "{request} {local}"
            );
            let local = request.to_offset(offset!(-09:30));
            assert_eq!(elapsed(local, now), now - local, "{local} {now}");
        }
    }

    #[test]
    fn known_headers_are_the_first_of_each_name_in_any_case() {
        let headers: [(&str, &[u8]); 9] = [
            ("Host", b"example.com"),
            ("X-Amz-Content-SHA256", b"hash"),
            ("authorization", b"first"),
            ("AUTHORIZATION", b"second"),
            ("x-amz-security-tokem", b"a near miss"),
            ("x-amz-security-token", b"token"),
            ("x-amz-datE", b"20150830T123600Z"),
            ("x-amz-content-sha256", b"a second hash"),
            ("dates", b"not date"),
        ];
        let found = KnownHeaders::find(&headers);
        fn seen(found: Option<Found<'_>>) -> Option<(&[u8], usize)> {
            found.map(|f| (f.value, f.at))
        }
        assert_eq!(seen(found.authorization), Some((&b"first"[..], 2)));
        assert_eq!(seen(found.amz_date), Some((&b"20150830T123600Z"[..], 6)));
        assert_eq!(seen(found.date), None);
        assert_eq!(seen(found.security_token), Some((&b"token"[..], 5)));
        assert_eq!(seen(found.content_sha256), Some((&b"hash"[..], 1)));
        let total: usize = headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        assert_eq!(found.total_bytes, total);
    }

    /// Every string of up to five characters from an alphabet of escapes' pieces, against
    /// stored tokens, agrees with decoding first and comparing after.
    #[test]
    fn query_tokens_compare_as_decoded() {
        let alphabet = [b'a', b'%', b'4', b'1', b'F', b'f', b'g'];
        // Each stored token twice: with its query encoding made (as `InMemoryStore` makes
        // it), which takes the comparison with the encoding first, and without.
        let stored_tokens: Vec<Secret> = ["", "a", "A", "aA", "%", "a\x1fA", "a/b", "a%A"]
            .iter()
            .flat_map(|t| {
                let encoded = Secret::new(*t);
                encoded.query_encoded();
                [encoded, Secret::new(*t)]
            })
            .collect();
        let mut sent: Vec<Vec<u8>> = vec![Vec::new()];
        let mut level = sent.clone();
        for _ in 0..5 {
            level = level
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |&c| {
                        let mut t = s.clone();
                        t.push(c);
                        t
                    })
                })
                .collect();
            sent.extend(level.iter().cloned());
        }
        for text in &sent {
            let text = std::str::from_utf8(text).expect("ASCII");
            let decoded: Vec<u8> = percent_encoding::percent_decode_str(text).collect();
            for stored in &stored_tokens {
                let check = token_matches(stored, TokenRef::Query(text));
                assert_eq!(
                    check.matches,
                    decoded == stored.expose().as_bytes(),
                    "{text:?} against {:?}",
                    stored.expose()
                );
                let canonical = percent_encoding::percent_encode(
                    &decoded,
                    crate::canonical::path::UNRESERVED_ONLY,
                )
                .to_string();
                assert_eq!(check.query_canonical, canonical == text, "{text:?}");
            }
        }
        for made in [false, true] {
            let check = |stored: &str, sent: TokenRef<'_>| {
                let stored = Secret::new(stored);
                if made {
                    stored.query_encoded();
                }
                token_matches(&stored, sent)
            };
            let both = |stored: &str, sent: &str| {
                let check = check(stored, TokenRef::Query(sent));
                (check.matches, check.query_canonical)
            };
            assert_eq!(both("a/b", "a%2Fb"), (true, true));
            assert_eq!(both("a/b", "a%2fb"), (true, false));
            assert_eq!(both("a/b", "a/b"), (true, false));
            assert_eq!(both("a/b", "a%2Fc"), (false, true));
            assert_eq!(both("%", "%25"), (true, true));
            assert_eq!(both("a b", "a%20b"), (true, true));
            assert_eq!(both("a b", "a%20b%20"), (false, true));
            assert_eq!(both("a b", "a%20"), (false, true));
            assert!(check("a/b", TokenRef::Header(b"a/b")).matches);
            assert!(!check("a/b", TokenRef::Header(b"a%2Fb")).matches);
            assert!(!check("a/b", TokenRef::Header(b"a/b/")).matches);
        }
    }
}
