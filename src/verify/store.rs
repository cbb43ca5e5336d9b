//! Where the verifier finds the secret behind an access key id: a trait the caller
//! implements, and an in-memory store.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::credentials::Secret;

/// Who a credential belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    /// The ARN, such as `arn:aws:iam::123456789012:user/alice`.
    pub arn: String,
    /// The account id.
    pub account: String,
    /// The unique id (`AIDA...` for a user, `AROA...:session` for a role session).
    pub user_id: String,
}

/// A credential as the server knows it.
#[derive(Clone)]
#[non_exhaustive]
pub struct StoredCredential<D = ()> {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: Secret,
    /// The session token a temporary credential must be presented with.
    pub session_token: Option<Secret>,
    /// When the credential stops working.
    pub expiry: Option<OffsetDateTime>,
    /// When the credential starts working.
    pub not_before: Option<OffsetDateTime>,
    /// Who it belongs to.
    pub principal: Principal,
    /// Whatever else the caller keeps with it.
    pub data: D,
}

impl StoredCredential<()> {
    /// A long-term credential with no principal details.
    pub fn new(access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self::with_data(access_key_id, secret, ())
    }
}

impl<D> StoredCredential<D> {
    /// A long-term credential carrying `data`.
    pub fn with_data(access_key_id: impl Into<String>, secret: impl Into<String>, data: D) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret: Secret::new(secret),
            session_token: None,
            expiry: None,
            not_before: None,
            principal: Principal::default(),
            data,
        }
    }

    /// Makes it a temporary credential that needs this token.
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.session_token = Some(Secret::new(token));
        self
    }

    /// Sets the expiry.
    pub fn expiry(mut self, expiry: OffsetDateTime) -> Self {
        self.expiry = Some(expiry);
        self
    }

    /// Sets the time it starts working.
    pub fn not_before(mut self, not_before: OffsetDateTime) -> Self {
        self.not_before = Some(not_before);
        self
    }

    /// Sets the principal.
    pub fn principal(mut self, principal: Principal) -> Self {
        self.principal = principal;
        self
    }
}

impl<D> fmt::Debug for StoredCredential<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("access_key_id", &self.access_key_id)
            .field("secret", &self.secret)
            .field("session_token", &self.session_token)
            .field("expiry", &self.expiry)
            .field("not_before", &self.not_before)
            .field("principal", &self.principal)
            .finish_non_exhaustive()
    }
}

/// Finds credentials by access key id. Implement it over a database, a file or a service;
/// when the lookup is asynchronous, call [`Verifier::parse`](crate::Verifier::parse),
/// await the lookup, then [`Pending::finish`](crate::Pending::finish).
pub trait CredentialStore {
    /// What the caller keeps with each credential.
    type Data;

    /// The credential with this access key id, if there is one.
    fn lookup(&self, access_key_id: &str) -> Option<Arc<StoredCredential<Self::Data>>>;

    /// The credential, knowing the session token the request carries: a store of
    /// self-contained tokens (sealed credentials) opens it here. By default, [`lookup`].
    ///
    /// [`lookup`]: Self::lookup
    fn lookup_with_token(
        &self,
        access_key_id: &str,
        session_token: SentToken<'_>,
    ) -> Result<Option<Arc<StoredCredential<Self::Data>>>, super::VerifyError> {
        let _ = session_token;
        Ok(self.lookup(access_key_id))
    }
}

/// The session token a request carries, decoded only when asked for (most stores never
/// need it, and decoding a presigned URL's token would cost an allocation).
#[derive(Debug, Clone, Copy)]
pub struct SentToken<'r>(pub(crate) Option<super::parse::TokenRef<'r>>);

impl SentToken<'_> {
    /// The token, decoded; `None` when the request has none.
    pub fn get(&self) -> Option<String> {
        match self.0? {
            super::parse::TokenRef::Header(value) => {
                Some(String::from_utf8_lossy(value).into_owned())
            }
            super::parse::TokenRef::Query(value) => Some(
                percent_encoding::percent_decode_str(value)
                    .decode_utf8_lossy()
                    .into_owned(),
            ),
        }
    }
}

/// Credentials held in memory.
pub struct InMemoryStore<D = ()> {
    credentials: HashMap<String, Arc<StoredCredential<D>>>,
}

impl<D> Default for InMemoryStore<D> {
    fn default() -> Self {
        Self {
            credentials: HashMap::new(),
        }
    }
}

impl<D> fmt::Debug for InMemoryStore<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryStore")
            .field("credentials", &self.credentials.len())
            .finish()
    }
}

impl<D> InMemoryStore<D> {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a credential, replacing any with the same access key id. A session token is
    /// encoded for query strings here, once, so that presigned requests carrying it are
    /// compared with that encoding.
    pub fn insert(&mut self, credential: StoredCredential<D>) {
        if let Some(token) = &credential.session_token {
            token.query_encoded();
        }
        self.credentials
            .insert(credential.access_key_id.clone(), Arc::new(credential));
    }

    /// Removes the credential with this access key id.
    pub fn remove(&mut self, access_key_id: &str) -> Option<Arc<StoredCredential<D>>> {
        self.credentials.remove(access_key_id)
    }

    /// How many credentials it holds.
    pub fn len(&self) -> usize {
        self.credentials.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.credentials.is_empty()
    }
}

impl<D> CredentialStore for InMemoryStore<D> {
    type Data = D;

    fn lookup(&self, access_key_id: &str) -> Option<Arc<StoredCredential<D>>> {
        self.credentials.get(access_key_id).cloned()
    }
}
