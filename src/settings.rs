//! How a request is signed: the rules that differ between S3 and every other service.

use std::borrow::Cow;

use crate::canonical::headers::name_key;
use crate::canonical::PathRules;

/// Where the session token of temporary credentials goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionTokenMode {
    /// `X-Amz-Security-Token` is part of the signed request (what AWS services expect).
    #[default]
    Signed,
    /// `X-Amz-Security-Token` is added after the signature is computed and is not signed
    /// (what a few services, such as IoT's MQTT-over-WebSocket endpoint, expect).
    AddedAfterSigning,
}

/// The headers that are never signed by default: hop-by-hop headers that proxies rewrite,
/// and headers that clients and tracers change after signing.
pub const DEFAULT_EXCLUDED_HEADERS: &[&str] = &[
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
    "connection",
    "expect",
    "keep-alive",
    "te",
    "upgrade",
    "proxy-authorization",
];

/// [`DEFAULT_EXCLUDED_HEADERS`] at one address, which the default settings hold, so that
/// [`SigningSettings::exclusions`] can tell them by address. Each use of a `const` may
/// have an address of its own.
static DEFAULT_EXCLUDED: &[&str] = DEFAULT_EXCLUDED_HEADERS;

/// The knobs of SigV4 that depend on the service.
///
/// [`SigningSettings::default`] fits every service but S3; [`SigningSettings::s3`] fits S3.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigningSettings {
    /// Remove `.` and `..` segments and collapse repeated slashes in the path before it is
    /// canonicalized. S3 object keys may hold such segments, so S3 turns this off.
    pub normalize_path: bool,
    /// Percent-encode the path once more when canonicalizing it (every service but S3).
    pub double_uri_encode: bool,
    /// Add and sign `x-amz-content-sha256` holding the payload hash (S3 requires it).
    pub content_sha256_header: bool,
    /// Where the session token goes.
    pub session_token: SessionTokenMode,
    /// Header names (lowercase) that are never signed.
    pub excluded_headers: Cow<'static, [&'static str]>,
    /// Presigned URLs sign `UNSIGNED-PAYLOAD` whatever the payload given (S3: the body of a
    /// presigned request is not known when the URL is made).
    pub presign_unsigned_payload: bool,
    /// Allow a presigned URL to outlive the credentials that sign it. Off by default: such a
    /// URL stops working early without telling anyone.
    pub allow_presign_beyond_expiry: bool,
}

impl Default for SigningSettings {
    fn default() -> Self {
        Self {
            normalize_path: true,
            double_uri_encode: true,
            content_sha256_header: false,
            session_token: SessionTokenMode::Signed,
            excluded_headers: Cow::Borrowed(DEFAULT_EXCLUDED),
            presign_unsigned_payload: false,
            allow_presign_beyond_expiry: false,
        }
    }
}

impl SigningSettings {
    /// The settings S3 expects: no path normalization, single encoding,
    /// `x-amz-content-sha256` added, and `UNSIGNED-PAYLOAD` in presigned URLs.
    pub fn s3() -> Self {
        Self {
            normalize_path: false,
            double_uri_encode: false,
            content_sha256_header: true,
            presign_unsigned_payload: true,
            ..Self::default()
        }
    }

    /// How paths are canonicalized under these settings.
    pub(crate) fn path_rules(&self) -> PathRules {
        PathRules {
            normalize: self.normalize_path,
            double_encode: self.double_uri_encode,
        }
    }

    /// How to tell whether a header is left unsigned, settled once for a request's headers.
    pub(crate) fn exclusions(&self) -> Exclusions<'_> {
        if self.has_default_exclusions() {
            Exclusions::Default
        } else {
            Exclusions::Listed(&self.excluded_headers)
        }
    }

    /// Whether the excluded list is the default one, which has a faster test.
    fn has_default_exclusions(&self) -> bool {
        matches!(self.excluded_headers, Cow::Borrowed(list) if std::ptr::eq(list, DEFAULT_EXCLUDED))
    }
}

/// How [`SigningSettings::exclusions`] tests a name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Exclusions<'a> {
    /// [`DEFAULT_EXCLUDED_HEADERS`], tested by key.
    Default,
    /// Any other list, tested name by name.
    Listed(&'a [&'a str]),
}

impl Exclusions<'_> {
    /// Whether `name`, whose [`name_key`] is `key`, is left unsigned.
    #[inline]
    pub(crate) fn is_excluded(self, name: &str, key: u64) -> bool {
        match self {
            Self::Default => is_default_excluded(name, key),
            Self::Listed(list) => list
                .iter()
                .any(|excluded| excluded.eq_ignore_ascii_case(name)),
        }
    }
}

/// [`DEFAULT_EXCLUDED_HEADERS`] by key first: this runs once per header of every request,
/// and nearly every name rules itself out by its key alone, compared with all ten keys at
/// once (no branch, so the compiler compares them as vectors).
#[inline]
fn is_default_excluded(name: &str, key: u64) -> bool {
    let candidate = DEFAULT_EXCLUDED_KEYS
        .iter()
        .fold(false, |hit, &excluded_key| hit | (excluded_key == key));
    candidate
        && DEFAULT_EXCLUDED_HEADERS
            .iter()
            .any(|excluded| excluded.eq_ignore_ascii_case(name))
}

/// The keys of [`DEFAULT_EXCLUDED_HEADERS`].
const DEFAULT_EXCLUDED_KEYS: [u64; DEFAULT_EXCLUDED_HEADERS.len()] = {
    let mut keys = [0; DEFAULT_EXCLUDED_HEADERS.len()];
    let mut i = 0;
    while i < keys.len() {
        keys[i] = name_key(DEFAULT_EXCLUDED_HEADERS[i]);
        i += 1;
    }
    keys
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_table_matches_the_list() {
        let excluded = |settings: &SigningSettings, name: &str| {
            settings.exclusions().is_excluded(name, name_key(name))
        };
        let default = SigningSettings::default();
        // The default settings take the keyed test, whatever the constant's address.
        assert!(default.has_default_exclusions());
        assert!(SigningSettings::s3().has_default_exclusions());
        for name in DEFAULT_EXCLUDED_HEADERS {
            assert!(excluded(&default, name), "{name}");
            assert!(excluded(&default, &name.to_ascii_uppercase()), "{name}");
            // Same key, other length; same length, other key.
            assert!(!excluded(&default, &format!("{name}x")), "{name}");
        }
        assert!(!excluded(&default, "authorizatioN-"));
        assert!(!excluded(&default, "x-amz-date"));
        assert!(!excluded(&default, "host"));
        let custom = SigningSettings {
            excluded_headers: Cow::Owned(vec!["x-custom"]),
            ..SigningSettings::default()
        };
        assert!(excluded(&custom, "X-Custom"));
        assert!(!excluded(&custom, "user-agent"));
    }
}
