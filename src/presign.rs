//! Presigning: the signature carried in the query string, for URLs handed to someone else.

use time::Duration;

use crate::canonical::query::Take;
use crate::canonical::{self, CanonicalRequest, Component, HeaderSource, QueryParam};
use crate::error::SigningError;
use crate::inline_vec::InlineVec;
use crate::request::{Payload, SignableRequest};
use crate::scope::ALGORITHM;
use crate::settings::SessionTokenMode;
use crate::sign::{
    signature_str, PayloadHash, SignedHeaders, Signer, SigningDetails, SigningParams, Start,
};
use crate::signing_key::TERMINATOR;

/// The longest a presigned URL may live: seven days, in seconds.
pub const MAX_EXPIRES: u64 = 604_800;

/// The names of the query parameters presigning adds, for the signer and the verifier.
pub(crate) mod param {
    pub(crate) const ALGORITHM: &str = "X-Amz-Algorithm";
    pub(crate) const CREDENTIAL: &str = "X-Amz-Credential";
    pub(crate) const DATE: &str = "X-Amz-Date";
    pub(crate) const EXPIRES: &str = "X-Amz-Expires";
    pub(crate) const SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
    pub(crate) const SIGNATURE: &str = "X-Amz-Signature";
    pub(crate) const SECURITY_TOKEN: &str = "X-Amz-Security-Token";

    /// All of them, which a request to presign must not already hold. The verifier's
    /// slots for them (`PresigningParams`) are in this order.
    pub(crate) const ALL: [&str; 7] = [
        ALGORITHM,
        CREDENTIAL,
        DATE,
        EXPIRES,
        SIGNED_HEADERS,
        SIGNATURE,
        SECURITY_TOKEN,
    ];
}

/// A presigned request target: the path and the query with the signature in it.
#[derive(Clone, PartialEq, Eq)]
pub struct PresignedRequest {
    target: String,
    params_at: usize,
}

impl PresignedRequest {
    /// The request target to send: `/path?original-query&X-Amz-Algorithm=...&X-Amz-Signature=...`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The query parameters that presigning added, encoded and joined with `&`.
    pub fn params(&self) -> &str {
        self.target.get(self.params_at..).unwrap_or("")
    }

    /// The signature, 64 hex digits.
    pub fn signature(&self) -> &str {
        let at = self.target.len().saturating_sub(64);
        self.target.get(at..).unwrap_or("")
    }

    /// The URI with `base`'s scheme and authority and this target.
    pub fn uri(&self, base: &http::Uri) -> Result<http::Uri, SigningError> {
        let mut parts = base.clone().into_parts();
        parts.path_and_query = Some(self.target.parse().map_err(|_| SigningError::InvalidUri)?);
        http::Uri::from_parts(parts).map_err(|_| SigningError::InvalidUri)
    }

    /// Replaces an `http` request's URI with the presigned one.
    pub fn apply_to<B>(&self, request: &mut http::Request<B>) -> Result<(), SigningError> {
        *request.uri_mut() = self.uri(request.uri())?;
        Ok(())
    }
}

impl std::fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A presigned URL is a bearer credential until it expires: show where it goes,
        // not what opens it.
        let path = self.target.split('?').next().unwrap_or("");
        f.debug_struct("PresignedRequest")
            .field("path", &path)
            .field("signature", &"** redacted **")
            .finish()
    }
}

impl Signer {
    /// Presigns `request`: the signature goes into the query string and stays valid for
    /// `expires_in` seconds (1 to 604800).
    ///
    /// Fails when the credentials expire before the URL would, unless the settings allow
    /// it ([`SigningSettings::allow_presign_beyond_expiry`](crate::SigningSettings)).
    pub fn presign(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'_>,
        expires_in: u64,
    ) -> Result<PresignedRequest, SigningError> {
        self.presign_inner(request, params, expires_in, None)
    }

    /// Presigns `request` and returns the intermediate values too.
    pub fn presign_explained(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'_>,
        expires_in: u64,
    ) -> Result<(PresignedRequest, SigningDetails), SigningError> {
        let mut details = SigningDetails::default();
        let out = self.presign_inner(request, params, expires_in, Some(&mut details))?;
        Ok((out, details))
    }

    /// Presigns an `http` request in place, replacing its URI.
    pub fn presign_http<B>(
        &self,
        request: &mut http::Request<B>,
        payload: Payload<'_>,
        params: &SigningParams<'_>,
        expires_in: u64,
    ) -> Result<(), SigningError> {
        let presigned = self.presign(
            &SignableRequest::from_http(request, payload),
            params,
            expires_in,
        )?;
        presigned.apply_to(request)
    }

    fn presign_inner(
        &self,
        request: &SignableRequest<'_>,
        params: &SigningParams<'_>,
        expires_in: u64,
        details: Option<&mut SigningDetails>,
    ) -> Result<PresignedRequest, SigningError> {
        if !(1..=MAX_EXPIRES).contains(&expires_in) {
            return Err(SigningError::ExpiresOutOfRange {
                seconds: expires_in,
            });
        }
        let start = Start::new(request, params)?;
        if let Some(expiry) = params.credentials.expiry() {
            // `expires_in` is at most seven days, so this cannot overflow a real date.
            let url_expiry = params
                .time
                .saturating_add(Duration::seconds(expires_in.min(MAX_EXPIRES) as i64));
            if expiry < url_expiry && !self.settings.allow_presign_beyond_expiry {
                return Err(SigningError::CredentialsExpireBeforeUrl { expiry, url_expiry });
            }
        }
        let payload_hash = if self.settings.presign_unsigned_payload {
            PayloadHash::of(Payload::Unsigned)?
        } else {
            PayloadHash::of(request.payload)?
        };
        let mut headers = SignedHeaders::new();
        let lowercase = self.signed_headers(request, &[], &mut headers)?;
        let headers = headers.as_mut_slice();
        let source = HeaderSource::Sorted { headers, lowercase };
        let sign_token = self.settings.session_token == SessionTokenMode::Signed;

        // Room for the path, the query and every parameter added, with each character of
        // the values that may need encoding counted three times.
        let mut target = String::with_capacity(
            request.path.len()
                + request.query.map_or(0, str::len)
                + 256
                + params.credentials.access_key_id().len() * 3
                + params.region.len()
                + params.service.len()
                + headers.iter().map(|h| h.name.len() + 3).sum::<usize>()
                + start.token.map_or(0, |t| t.len() * 3),
        );
        target.push_str(request.path);
        target.push('?');
        if let Some(query) = request.query.filter(|q| !q.is_empty()) {
            target.push_str(query);
            target.push('&');
        }
        let params_at = target.len();
        let value = |target: &mut String, name: &str, write: &dyn Fn(&mut String)| {
            if target.len() > params_at {
                target.push('&');
            }
            target.push_str(name);
            target.push('=');
            let from = target.len();
            write(target);
            from..target.len()
        };
        let algorithm = value(&mut target, param::ALGORITHM, &|t| t.push_str(ALGORITHM));
        let credential = value(&mut target, param::CREDENTIAL, &|t| {
            canonical::query::encode_into(t, params.credentials.access_key_id());
            // Region and service are checked to hold only unreserved characters, so the
            // scope needs no encoding but for its slashes.
            let scope = start.scope();
            for part in [scope.date_stamp(), scope.region(), scope.service()] {
                t.push_str("%2F");
                t.push_str(part);
            }
            t.push_str("%2F");
            t.push_str(TERMINATOR);
        });
        let date = value(&mut target, param::DATE, &|t| {
            t.push_str(start.date.as_str())
        });
        let signed_headers = value(&mut target, param::SIGNED_HEADERS, &|t| {
            source.push_signed_names(t, "%3B")
        });
        let expires = value(&mut target, param::EXPIRES, &|t| {
            push_decimal(t, expires_in)
        });
        // The credentials hold the token encoded already.
        let token = params
            .credentials
            .session_token_query()
            .map(|token| value(&mut target, param::SECURITY_TOKEN, &|t| t.push_str(token)));

        let mut query = canonical::query::Params::new();
        canonical::query::parse(request.query, |_| Take::Raw, &mut query);
        if let Some(taken) = query
            .as_slice()
            .iter()
            .find_map(|p| param::ALL.iter().find(|name| p.name.is(name)))
        {
            return Err(SigningError::QueryAlreadySigned {
                name: (*taken).to_owned(),
            });
        }
        let ours = [
            Some((param::ALGORITHM, algorithm)),
            Some((param::CREDENTIAL, credential)),
            Some((param::DATE, date)),
            Some((param::EXPIRES, expires)),
            token
                .filter(|_| sign_token)
                .map(|t| (param::SECURITY_TOKEN, t)),
            Some((param::SIGNED_HEADERS, signed_headers)),
        ];
        // In canonical order already: merged with the request's own as they are written.
        let mut presigning = InlineVec::<QueryParam<'_>, 6>::new();
        for (name, range) in ours.into_iter().flatten() {
            presigning.push(QueryParam::new(
                Component::encoded(name),
                Component::encoded(target.get(range).unwrap_or("")),
            ));
        }
        canonical::query::sort(query.as_mut_slice());
        let canonical = CanonicalRequest {
            method: request.method,
            path: request.path,
            path_rules: self.settings.path_rules(),
            query: [query.as_slice(), presigning.as_slice()],
            headers: source,
            signed_names: None,
            payload_hash: payload_hash.as_bytes(),
        };
        let mac = start.with_key(self, params.credentials, |cached| cached.key().mac());
        let signature = start.signature(mac, &canonical, details);
        drop((query, presigning));
        target.push('&');
        target.push_str(param::SIGNATURE);
        target.push('=');
        target.push_str(signature_str(&signature));
        Ok(PresignedRequest { target, params_at })
    }
}

/// Appends `n` in decimal; the formatting machinery costs more than the digits.
fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or("0"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for n in [0, 1, 9, 10, 99, 100, 3600, 604_800, u64::MAX] {
            let mut out = String::from("=");
            push_decimal(&mut out, n);
            assert_eq!(out, format!("={n}"));
        }
    }
}
