//! Credentials: an access key id, its secret, and optionally a session token and an expiry.

use std::fmt;
use std::sync::OnceLock;

use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::error::SigningError;

/// A secret string: its `Debug` prints a placeholder and its memory is zeroed on drop.
#[derive(Clone)]
pub struct Secret {
    value: Zeroizing<String>,
    /// The value encoded as a query component, made the first time it is asked for: a
    /// session token goes into every presigned URL, and is compared with the one in every
    /// presigned request. Zeroed on drop too.
    query: OnceLock<Zeroizing<String>>,
    /// Whether the value, as a header value, needs no trimming or folding: found the first
    /// time it is asked for (a session token's, when credentials are made or a verifier
    /// first matches a token sent in a header with it).
    header_plain: OnceLock<bool>,
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: Zeroizing::new(value.into()),
            query: OnceLock::new(),
            header_plain: OnceLock::new(),
        }
    }

    /// The secret itself. Take care where it goes.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// The secret encoded as a canonical query component, encoded once.
    pub(crate) fn query_encoded(&self) -> &str {
        self.query.get_or_init(|| {
            // Room for every byte escaped, so the buffer is never moved, leaving a copy
            // behind (short of that for a value too large to count).
            let room = self.value.len().checked_mul(3).unwrap_or(self.value.len());
            let mut query = String::with_capacity(room);
            crate::canonical::query::encode_into(&mut query, &self.value);
            Zeroizing::new(query)
        })
    }

    /// Whether the value needs no trimming or folding as a header value, found once.
    pub(crate) fn is_plain_header_value(&self) -> bool {
        *self
            .header_plain
            .get_or_init(|| crate::canonical::headers::is_plain_value(self.value.as_bytes()))
    }

    /// [`Secret::query_encoded`] if it was made already.
    pub(crate) fn query_encoded_if_made(&self) -> Option<&str> {
        self.query.get().map(|query| query.as_str())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// AWS credentials, as a role or a user holds them.
///
/// Built through [`Credentials::new`], which checks the values once, so that signing never
/// meets a malformed access key id.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    expiry: Option<OffsetDateTime>,
}

impl Credentials {
    /// Long-term credentials: an access key id and its secret.
    ///
    /// The access key id must be non-empty printable ASCII without `/` or spaces, since it is
    /// written into the credential scope; the secret must be non-empty.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Result<Self, SigningError> {
        let access_key_id = access_key_id.into();
        let secret_access_key = Secret::new(secret_access_key);
        if access_key_id.is_empty()
            || !access_key_id
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'/')
        {
            return Err(SigningError::InvalidAccessKeyId);
        }
        if secret_access_key.expose().is_empty() {
            return Err(SigningError::EmptySecretKey);
        }
        Ok(Self {
            access_key_id,
            secret_access_key,
            session_token: None,
            expiry: None,
        })
    }

    /// Adds the session token that temporary credentials carry.
    ///
    /// The token must be sendable as an HTTP header value: visible ASCII, space or tab.
    pub fn with_session_token(mut self, token: impl Into<String>) -> Result<Self, SigningError> {
        let token = Secret::new(token);
        if token.expose().is_empty()
            || !token
                .expose()
                .bytes()
                .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return Err(SigningError::InvalidSessionToken);
        }
        // Encoded for presigned URLs, and checked as a header value, now rather than in the
        // first signature.
        token.query_encoded();
        token.is_plain_header_value();
        self.session_token = Some(token);
        Ok(self)
    }

    /// Sets the time at which the credentials stop working.
    pub fn with_expiry(mut self, expiry: OffsetDateTime) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// The access key id (`AKIA...` for a user, `ASIA...` for temporary credentials).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    /// The session token, for temporary credentials.
    pub fn session_token(&self) -> Option<&Secret> {
        self.session_token.as_ref()
    }

    /// Whether the session token goes into a canonical request as it is.
    pub(crate) fn session_token_plain(&self) -> bool {
        self.session_token
            .as_ref()
            .is_none_or(Secret::is_plain_header_value)
    }

    /// The session token encoded as a query value.
    pub(crate) fn session_token_query(&self) -> Option<&str> {
        self.session_token.as_ref().map(Secret::query_encoded)
    }

    /// When the credentials stop working, if they do.
    pub fn expiry(&self) -> Option<OffsetDateTime> {
        self.expiry
    }

    /// Whether the credentials have stopped working at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expiry.is_some_and(|expiry| expiry <= now)
    }

    /// Whether the credentials stop working within `window` of `now` (or already have).
    pub fn expires_within(&self, now: OffsetDateTime, window: Duration) -> bool {
        self.expiry
            .is_some_and(|expiry| expiry <= now.saturating_add(window))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("expiry", &self.expiry)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn secrets_keep_their_query_encoding_out_of_equality() {
        let made = Secret::new("a/b c");
        assert_eq!(made.query_encoded_if_made(), None);
        assert_eq!(made.query_encoded(), "a%2Fb%20c");
        assert_eq!(made.query_encoded_if_made(), Some("a%2Fb%20c"));
        let fresh = Secret::new("a/b c");
        assert_eq!(made, fresh);
        assert_eq!(made.clone().query_encoded_if_made(), Some("a%2Fb%20c"));
        assert_ne!(made, Secret::new("a/b d"));
        assert_eq!(format!("{made:?}"), "** redacted **");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
            .and_then(|c| c.with_session_token("TOKEN-VALUE-123"))
            .expect("valid credentials");
        let shown = format!("{creds:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("wJalrXUtnFEMI"));
        assert!(!shown.contains("TOKEN-VALUE-123"));
    }

    #[test]
    fn rejects_bad_access_key_ids() {
        for bad in ["", "AKID/X", "AKID X", "AKID\u{e9}"] {
            assert_eq!(
                Credentials::new(bad, "secret"),
                Err(SigningError::InvalidAccessKeyId),
                "{bad:?}"
            );
        }
        assert_eq!(
            Credentials::new("AKID", ""),
            Err(SigningError::EmptySecretKey)
        );
    }

    #[test]
    fn rejects_tokens_with_line_breaks() {
        let creds = Credentials::new("AKID", "secret").expect("valid");
        assert_eq!(
            creds.with_session_token("a\r\nb"),
            Err(SigningError::InvalidSessionToken)
        );
    }

    #[test]
    fn expiry_windows() {
        let creds = Credentials::new("AKID", "secret")
            .expect("valid")
            .with_expiry(datetime!(2026-01-01 12:00 UTC));
        assert!(!creds.is_expired(datetime!(2026-01-01 11:59:59 UTC)));
        assert!(creds.is_expired(datetime!(2026-01-01 12:00 UTC)));
        assert!(creds.expires_within(datetime!(2026-01-01 11:55 UTC), Duration::minutes(5)));
        assert!(!creds.expires_within(datetime!(2026-01-01 11:54 UTC), Duration::minutes(5)));
        let forever = Credentials::new("AKID", "secret").expect("valid");
        assert!(!forever.is_expired(datetime!(9999-01-01 0:00 UTC)));
    }
}
