//! Where the verifier finds the secret behind an access key id: a trait the caller
//! implements, and an in-memory store.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
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
    credentials: HashMap<String, Arc<StoredCredential<D>>, IdHash>,
}

impl<D> Default for InMemoryStore<D> {
    fn default() -> Self {
        Self {
            credentials: HashMap::with_hasher(IdHash::new()),
        }
    }
}

/// How the store hashes access key ids: the key cache's word-at-a-time hash, seeded at
/// random for each store, in place of SipHash (some 20 ns a lookup, a tenth of parsing a
/// request). It is not a keyed hash: the seed places ids differently in each store, but
/// ids can be made that collide in any store (an id and the same with its last word
/// repeated, say). That is safe here because clients only choose the ids looked up, and a
/// lookup only walks the entries there are; only the store's owner inserts, and ids that
/// collide can only slow the lookups of their own kind.
#[derive(Clone)]
struct IdHash {
    seed: u64,
}

impl IdHash {
    fn new() -> Self {
        Self {
            seed: RandomState::new().hash_one(0u64),
        }
    }
}

impl BuildHasher for IdHash {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.seed)
    }
}

struct IdHasher(u64);

impl Hasher for IdHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0 = crate::signing_key::hash_words(self.0, bytes);
    }

    /// The end mark a `str` writes after its bytes, folded in as one word.
    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.0 = crate::signing_key::mix(self.0, u64::from(byte));
    }

    /// Every bit of the state spread over the low bits, which pick a map's bucket: the
    /// hash's multiplies carry upwards only, and ids that differ in their last characters
    /// (the high bytes of their last word) would otherwise share buckets. (The finalizer of
    /// `splitmix64`.)
    fn finish(&self) -> u64 {
        let h = self.0;
        let h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 31)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids that differ in a digit or two spread over a map's buckets (the low bits pick the
    /// bucket, the top seven the tag), and two stores hash differently.
    #[test]
    fn ids_spread_over_buckets() {
        let hash = IdHash::new();
        let buckets = 1 << 12;
        let mut counts = vec![0u32; buckets];
        let mut tags = [0u32; 128];
        let ids = 4 * buckets;
        for n in 0..ids {
            let h = hash.hash_one(format!("AKIA{n:016}"));
            counts[(h as usize) & (buckets - 1)] += 1;
            tags[(h >> 57) as usize] += 1;
        }
        // Four ids a bucket on average; a fair hash puts at most some twenty in any.
        let fullest = counts.iter().max().copied().unwrap_or(0);
        assert!(fullest <= 20, "{fullest} ids in one bucket");
        let tag_most = tags.iter().max().copied().unwrap_or(0);
        assert!(
            tag_most <= 2 * ids as u32 / 128,
            "{tag_most} ids share a tag"
        );
        let other = IdHash::new();
        assert_ne!(hash.hash_one("AKIDEXAMPLE"), other.hash_one("AKIDEXAMPLE"));
    }

    #[test]
    fn finds_what_was_inserted() {
        let mut store = InMemoryStore::new();
        for n in 0..1000 {
            store.insert(StoredCredential::new(format!("AKIA{n:016}"), "secret"));
        }
        assert_eq!(store.len(), 1000);
        for n in 0..1000 {
            let id = format!("AKIA{n:016}");
            assert_eq!(store.lookup(&id).map(|c| c.access_key_id.clone()), Some(id));
        }
        assert!(store.lookup("AKIA0000000000001000").is_none());
    }
}
