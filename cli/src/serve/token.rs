//! Session tokens that carry their own credential: the secret, expiry and identity of an
//! issued session, sealed (ChaCha20-Poly1305) under the server's key and bound to the access
//! key id, so any server holding the key checks any session with no shared database.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The first bytes of every token, so that a token from elsewhere is told apart at once.
const PREFIX: &str = "SV4S1";

/// What a session token seals. `Debug` leaves out the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub secret_access_key: String,
    /// Unix seconds.
    pub expires: i64,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, or the user's ARN.
    pub arn: String,
    /// `AROA...:SESSION`, or the user's id.
    pub user_id: String,
    pub account: String,
    /// The role assumed, for role sessions.
    pub role_arn: Option<String>,
    pub session_name: Option<String>,
    /// Who asked for the session.
    pub source_identity: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("expires", &self.expires)
            .field("arn", &self.arn)
            .field("user_id", &self.user_id)
            .field("account", &self.account)
            .field("role_arn", &self.role_arn)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn expiry(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp(self.expires).ok()
    }
}

/// The server's sealing key.
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(** redacted **)")
    }
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|e| format!("no randomness: {e}"))?;
    Ok(out)
}

impl Sealer {
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
        }
    }

    /// Seals `session` for `access_key_id`.
    pub fn seal(&self, access_key_id: &str, session: &Session) -> Result<String, String> {
        let plain = serde_json::to_vec(session).map_err(|e| e.to_string())?;
        let nonce: [u8; 12] = random()?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: access_key_id.as_bytes(),
                },
            )
            .map_err(|_| "sealing failed".to_owned())?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Opens a token sent with `access_key_id`: `None` when it is not one of this key's, was
    /// altered, or belongs to another access key id.
    pub fn open(&self, access_key_id: &str, token: &str) -> Option<Session> {
        let bytes = URL_SAFE_NO_PAD.decode(token.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() < 12 + 16 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: access_key_id.as_bytes(),
                },
            )
            .ok()?;
        serde_json::from_slice(&plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            secret_access_key: "s3cret".into(),
            expires: 1_800_000_000,
            arn: "arn:aws:sts::123456789012:assumed-role/admin/alice".into(),
            user_id: "AROAEXAMPLE:alice".into(),
            account: "123456789012".into(),
            role_arn: Some("arn:aws:iam::123456789012:role/admin".into()),
            session_name: Some("alice".into()),
            source_identity: "arn:aws:iam::123456789012:user/alice".into(),
        }
    }

    #[test]
    fn seals_and_opens_bound_to_the_key_id() {
        let sealer = Sealer::new([7; 32]);
        let token = sealer.seal("ASIAEXAMPLE", &session()).expect("sealed");
        assert!(!token.contains("s3cret"));
        assert_eq!(sealer.open("ASIAEXAMPLE", &token), Some(session()));
        assert_eq!(
            sealer.open("ASIAOTHER", &token),
            None,
            "bound to its access key id"
        );
        assert_eq!(
            Sealer::new([8; 32]).open("ASIAEXAMPLE", &token),
            None,
            "another server's key"
        );
        // Every single-character change is refused.
        for i in PREFIX.len()..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).expect("ASCII");
            if altered != token {
                assert_eq!(sealer.open("ASIAEXAMPLE", &altered), None, "position {i}");
            }
        }
        assert_eq!(sealer.open("ASIAEXAMPLE", "not a token"), None);
    }
}
