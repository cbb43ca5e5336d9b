//! The signing key (kDate, kRegion, kService, kSigning) and a bounded cache of derived keys.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, OnceLock};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::credentials::Secret;
use crate::scope::ALGORITHM;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// The scope terminator that ends every SigV4 credential scope.
pub const TERMINATOR: &str = "aws4_request";

/// A derived signing key: valid for one secret, one day, one region and one service.
///
/// It holds the HMAC already keyed with it too, so that each signature starts from the
/// keyed state instead of hashing the key's two pad blocks again. That state is derived
/// from the key and is as sensitive; `hmac` offers no way to zero it, so only the key bytes
/// are zeroed on drop.
#[derive(Clone)]
pub struct SigningKey {
    bytes: [u8; 32],
    mac: HmacSha256,
}

impl Drop for SigningKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl SigningKey {
    /// Derives the key as SigV4 defines it:
    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    pub fn derive(secret: &Secret, date_stamp: &str, region: &str, service: &str) -> Self {
        Self::derive_raw(secret, date_stamp.as_bytes(), region, service)
    }

    fn derive_raw(secret: &Secret, date_stamp: &[u8], region: &str, service: &str) -> Self {
        let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.expose().len()));
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret.expose().as_bytes());
        let k_date = hmac(&seed, date_stamp);
        let k_region = hmac(&k_date[..], region.as_bytes());
        let k_service = hmac(&k_region[..], service.as_bytes());
        Self::from_bytes(*hmac(&k_service[..], TERMINATOR.as_bytes()))
    }

    /// A key from its 32 bytes, as derived elsewhere.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self {
            mac: new_mac(&bytes),
            bytes,
        }
    }

    /// A MAC keyed with this key, ready to take a string to sign (or a chunk's).
    pub(crate) fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    /// The key's bytes. Take care where they go.
    pub fn expose(&self) -> &[u8; 32] {
        &self.bytes
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(** redacted **)")
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = new_mac(key);
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// A bounded cache of signing keys.
///
/// Entries are found by access key id, date, region and service, and an entry is used only
/// when the secret it was derived from equals (in constant time) the secret asked with: a
/// rotated secret under the same access key id derives a new key, never reuses the old one.
/// When full, the entry with the oldest date goes first, since keys are valid for a day.
pub struct SigningKeyCache {
    entries: Mutex<Entries>,
    capacity: usize,
}

/// The cached keys by slot (see `slot_of`), and the slot of the one found last.
#[derive(Default)]
struct Entries {
    map: HashMap<u64, Entry, BuildHasherDefault<SlotHasher>>,
    /// Most callers sign with one key for a while: looking at this entry first spares
    /// hashing the scope's parts.
    last: u64,
}

/// The map's keys are already hashes (see `slot_of`); hashing them again would only cost.
#[derive(Default)]
struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

struct Entry {
    access_key_id: String,
    date_stamp: [u8; 8],
    region: String,
    service: String,
    secret: Secret,
    key: SigningKey,
    /// See [`CachedKey::authorization_prefix`]; made when a signer first asks for it.
    authorization_prefix: OnceLock<String>,
}

/// A key as [`SigningKeyCache::with_key`] hands it out.
pub(crate) struct CachedKey<'a> {
    key: &'a SigningKey,
    prefix: &'a OnceLock<String>,
    /// Access key id, date stamp, region and service.
    parts: (&'a str, &'a [u8], &'a str, &'a str),
}

impl CachedKey<'_> {
    pub(crate) fn key(&self) -> &SigningKey {
        self.key
    }

    /// `AWS4-HMAC-SHA256 Credential=<access key id>/<scope>, SignedHeaders=`: the part of a
    /// header signature's `Authorization` value that only the key's values decide, made
    /// once per cached key (when a signer first asks; verifiers never do) instead of piece
    /// by piece for every signature.
    pub(crate) fn authorization_prefix(&self) -> &str {
        self.prefix.get_or_init(|| {
            let (access_key_id, date_stamp, region, service) = self.parts;
            // Signers pass the date stamp of an `AmzDate` (eight digits); anything else
            // would show as U+FFFD.
            let date_stamp = String::from_utf8_lossy(date_stamp);
            format!(
                "{ALGORITHM} Credential={access_key_id}/{date_stamp}/{region}/{service}/\
                 {TERMINATOR}, SignedHeaders="
            )
        })
    }
}

/// How many keys a cache holds unless told otherwise.
pub const DEFAULT_CACHE_CAPACITY: usize = 256;

impl Default for SigningKeyCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CACHE_CAPACITY)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(Entries::default()),
            capacity: capacity.max(1),
        }
    }

    /// How many keys are cached.
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The key for these values, derived on a miss.
    pub fn get(
        &self,
        access_key_id: &str,
        secret: &Secret,
        date_stamp: &str,
        region: &str,
        service: &str,
    ) -> SigningKey {
        self.with_key(
            access_key_id,
            secret,
            date_stamp.as_bytes(),
            region,
            service,
            |cached| cached.key().clone(),
        )
    }

    /// Hands the key for these values to `f` (see [`CachedKey`]): the cached one (under
    /// the lock), or one derived on a miss. A signature needs only `SigningKey::mac`, the
    /// keyed state, and so copies no more than that.
    pub(crate) fn with_key<R>(
        &self,
        access_key_id: &str,
        secret: &Secret,
        date_stamp: &[u8],
        region: &str,
        service: &str,
        f: impl FnOnce(CachedKey<'_>) -> R,
    ) -> R {
        let parts = (access_key_id, date_stamp, region, service);
        let Ok(date): Result<[u8; 8], _> = date_stamp.try_into() else {
            return f(CachedKey {
                key: &SigningKey::derive_raw(secret, date_stamp, region, service),
                prefix: &OnceLock::new(),
                parts,
            });
        };
        let same = |e: &Entry| {
            e.access_key_id == access_key_id
                && e.date_stamp == date
                && e.region == region
                && e.service == service
                && same_secret(&e.secret, secret)
        };
        let slot = {
            let mut entries = self.lock();
            // The entry found last first: it is nearly always the one asked for again.
            let mut slot = entries.last;
            let mut found = entries.map.get(&slot).is_some_and(same);
            if !found {
                slot = slot_of(access_key_id, &date, region, service);
                found = entries.map.get(&slot).is_some_and(same);
            }
            if found {
                entries.last = slot;
                if let Some(e) = entries.map.get(&slot) {
                    return f(CachedKey {
                        key: &e.key,
                        prefix: &e.authorization_prefix,
                        parts,
                    });
                }
            }
            slot
        };
        let key = SigningKey::derive_raw(secret, date_stamp, region, service);
        let prefix = OnceLock::new();
        let result = f(CachedKey {
            key: &key,
            prefix: &prefix,
            parts,
        });
        let mut entries = self.lock();
        entries.last = slot;
        let entries = &mut entries.map;
        if entries.len() >= self.capacity && !entries.contains_key(&slot) {
            let oldest = entries
                .iter()
                .min_by_key(|(_, e)| e.date_stamp)
                .map(|(slot, _)| *slot);
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        entries.insert(
            slot,
            Entry {
                access_key_id: access_key_id.to_owned(),
                date_stamp: date,
                region: region.to_owned(),
                service: service.to_owned(),
                secret: secret.clone(),
                key,
                authorization_prefix: prefix,
            },
        );
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // A panic while holding the lock cannot leave an entry half-written (inserts are
        // single calls), so a poisoned map is still sound to use.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where an entry lives: a multiply-rotate hash over the parts' 8-byte words, in two
/// independent chains (the access key id and date, the region and service) that the CPU
/// runs side by side, and the parts' lengths last. Collisions only cost a derivation,
/// since an entry is used only when every part matches.
fn slot_of(access_key_id: &str, date: &[u8; 8], region: &str, service: &str) -> u64 {
    let first = hash_words(
        hash_words(0xcbf2_9ce4_8422_2325, access_key_id.as_bytes()),
        date,
    );
    let second = hash_words(
        hash_words(0x8422_2325_cbf2_9ce4, region.as_bytes()),
        service.as_bytes(),
    );
    // The lengths tell ("ab", "c") from ("a", "bc"); wrapping only costs collisions.
    let lengths =
        (access_key_id.len() as u64) << 40 ^ (region.len() as u64) << 20 ^ service.len() as u64;
    mix(mix(first, second), lengths)
}

pub(crate) fn mix(h: u64, word: u64) -> u64 {
    (h ^ word)
        .wrapping_mul(0x0000_0100_0000_01b3)
        .rotate_left(29)
}

/// Folds `part` into `h` a word at a time; the last few bytes as one word (the part's
/// last eight when it has eight), so that no part costs a step per byte.
pub(crate) fn hash_words(mut h: u64, part: &[u8]) -> u64 {
    let mut words = part.chunks_exact(8);
    for w in &mut words {
        h = mix(h, crate::swar::le_word(w));
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let last = match part.len().checked_sub(8) {
            Some(at) => crate::swar::le_word(&part[at..]),
            None => rest.iter().fold(0, |w, &b| w << 8 | u64::from(b)),
        };
        h = mix(h, last);
    }
    h
}

/// Compares two secrets without an early exit, so the time taken does not tell how much of
/// a secret matched.
fn same_secret(a: &Secret, b: &Secret) -> bool {
    let (a, b) = (a.expose().as_bytes(), b.expose().as_bytes());
    crate::ct::eq(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_tell_parts_apart() {
        let date = *b"20150830";
        let slot = |akid, region, service| slot_of(akid, &date, region, service);
        assert_ne!(slot("AKID", "ab", "c"), slot("AKID", "a", "bc"));
        assert_ne!(
            slot("AKIDEXAMPLE", "us-east-1", "s3"),
            slot("AKIDEXAMPLF", "us-east-1", "s3")
        );
        assert_ne!(
            slot("AKIDEXAMPLE", "us-east-1", "s3"),
            slot("AKIDEXAMPLE", "us-east-2", "s3")
        );
        assert_eq!(
            slot("AKIDEXAMPLE", "us-east-1", "s3"),
            slot("AKIDEXAMPLE", "us-east-1", "s3")
        );
    }

    /// Scopes that differ in an id's last digits, or in the region, spread over the cache
    /// map's buckets, which the slot's low bits pick.
    #[test]
    fn slots_spread_over_buckets() {
        let date = *b"20150830";
        let buckets = 1 << 12;
        let mut counts = vec![0u32; buckets];
        for n in 0..4 * buckets {
            let id = format!("AKIA{n:016}");
            let region = ["us-east-1", "us-east-2", "eu-west-1", "ap-south-1"][n % 4];
            counts[(slot_of(&id, &date, region, "s3") as usize) & (buckets - 1)] += 1;
        }
        // Four a bucket on average; a fair hash puts at most some twenty in any.
        let fullest = counts.iter().max().copied().unwrap_or(0);
        assert!(fullest <= 20, "{fullest} slots in one bucket");
    }

    #[test]
    fn derives_the_documented_key() {
        // The key derivation example of the SigV4 documentation (IAM, 2015-08-30).
        let key = SigningKey::derive(
            &Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key.expose()),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn rotated_secret_never_reuses_a_key() {
        let cache = SigningKeyCache::with_capacity(4);
        let old = cache.get("AKID", &Secret::new("old"), "20250101", "r", "s");
        let new = cache.get("AKID", &Secret::new("new"), "20250101", "r", "s");
        assert_ne!(old.expose(), new.expose());
        assert_eq!(
            new.expose(),
            SigningKey::derive(&Secret::new("new"), "20250101", "r", "s").expose()
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn hits_and_misses_in_any_order_give_the_derived_key() {
        // The entry found last is looked at first: alternating keys, a rotated secret and
        // an evicted entry must each still give the key derived from what was asked.
        let cache = SigningKeyCache::with_capacity(2);
        let asks = [
            ("AKID", "old", "r", "s"),
            ("AKID", "old", "r", "s"),
            ("AKID", "old", "r2", "s"),
            ("AKID", "old", "r", "s"),
            ("AKID", "new", "r", "s"),
            ("AKID", "old", "r", "s"),
            ("OTHER", "old", "r", "s"),
            ("AKID", "old", "r", "other"),
            ("AKID", "old", "r2", "s"),
            ("AKID", "old", "r2", "s"),
        ];
        for (akid, secret, region, service) in asks {
            let secret = Secret::new(secret);
            let key = cache.get(akid, &secret, "20250101", region, service);
            let derived = SigningKey::derive(&secret, "20250101", region, service);
            assert_eq!(key.expose(), derived.expose(), "{akid} {region} {service}");
            assert!(cache.len() <= 2);
        }
    }

    #[test]
    fn stays_bounded() {
        let cache = SigningKeyCache::with_capacity(3);
        let secret = Secret::new("s");
        for day in 10..30 {
            let date = format!("202501{day}");
            let key = cache.get("AKID", &secret, &date, "r", "s");
            assert_eq!(
                key.expose(),
                SigningKey::derive(&secret, &date, "r", "s").expose()
            );
            assert!(cache.len() <= 3);
        }
    }

    #[test]
    fn debug_hides_keys() {
        let key = SigningKey::derive(&Secret::new("s"), "20250101", "r", "s");
        assert!(!format!("{key:?}").contains(&hex::encode(key.expose())));
    }
}
