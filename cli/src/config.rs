//! The verifier's TOML configuration, shared with `serve`:
//!
//! ```toml
//! [settings]
//! regions = ["us-east-1"]        # optional; absent = any region
//! services = ["s3", "sts"]       # optional; absent = any service
//! max_skew_seconds = 900
//!
//! [[credentials]]
//! access_key_id = "AKIDEXAMPLE"
//! secret_access_key = "..."
//! session_token = "..."          # optional
//! expiration = "2026-11-28T12:00:00Z"   # optional, RFC 3339
//! principal = "arn:aws:iam::123456789012:user/alice"  # optional
//! ```
//!
//! Unknown keys and bad values are errors that name the file's line.

use std::fmt;

use serde::Deserialize;
use sigv4::policy::Policy;
use sigv4::{InMemoryStore, Principal, StoredCredential, VerifierSettings};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    credentials: Vec<Credential>,
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    users: Vec<UserSection>,
    #[serde(default)]
    roles: Vec<RoleSection>,
}

/// `[server]`: what `serve` needs beyond the verifier.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    /// The key that seals session tokens, 32 bytes in base64; random at start when absent.
    token_key: Option<Spanned<String>>,
    /// Let sessions be shorter than STS's 900-second minimum (for tests of expiry).
    allow_short_sessions: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessKey {
    access_key_id: Spanned<String>,
    secret_access_key: Spanned<String>,
}

/// `[[users]]`: an IAM user with access keys and identity policies.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserSection {
    arn: Spanned<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    access_keys: Vec<AccessKey>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
}

/// `[[roles]]`: a role with its trust policy, identity policies and maximum session.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSection {
    arn: Spanned<String>,
    #[serde(default)]
    role_id: Option<String>,
    trust_policy: Spanned<String>,
    #[serde(default)]
    policies: Vec<Spanned<String>>,
    #[serde(default)]
    max_session_duration: Option<Spanned<u32>>,
}

/// An IAM user of the configuration.
#[derive(Debug, Clone)]
pub struct User {
    pub arn: String,
    pub policies: Vec<Policy>,
}

/// A role of the configuration.
#[derive(Debug, Clone)]
pub struct Role {
    pub arn: String,
    pub role_id: String,
    pub account: String,
    pub name: String,
    pub trust_policy: Policy,
    pub policies: Vec<Policy>,
    pub max_session_duration: u32,
}

/// What `serve` reads from the configuration.
#[derive(Default)]
pub struct Iam {
    pub users: Vec<User>,
    pub roles: Vec<Role>,
    pub token_key: Option<[u8; 32]>,
    pub allow_short_sessions: bool,
}

impl fmt::Debug for Iam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iam")
            .field("users", &self.users)
            .field("roles", &self.roles)
            .field("token_key", &self.token_key.map(|_| "<redacted>"))
            .field("allow_short_sessions", &self.allow_short_sessions)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    regions: Option<Vec<String>>,
    services: Option<Vec<String>>,
    max_skew_seconds: Option<Spanned<i64>>,
    allow_unsigned_payload: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credential {
    access_key_id: Spanned<String>,
    secret_access_key: Spanned<String>,
    session_token: Option<String>,
    expiration: Option<Spanned<String>>,
    not_before: Option<Spanned<String>>,
    principal: Option<String>,
    account: Option<String>,
    user_id: Option<String>,
}

/// A configuration read and checked.
pub struct Config {
    pub settings: VerifierSettings,
    pub store: InMemoryStore,
    pub iam: Iam,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("settings", &self.settings)
            .field("credentials", &self.store.len())
            .finish()
    }
}

/// Why a configuration was refused: the message names the line.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The line of the first non-blank character at or after `offset` (spans may start on the
/// line break before what they point at).
fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let skipped = text[offset..]
        .find(|c: char| !c.is_whitespace())
        .map_or(0, |n| n);
    text[..offset + skipped].matches('\n').count() + 1
}

fn at<T>(text: &str, spanned: &Spanned<T>, message: impl fmt::Display) -> ConfigError {
    ConfigError(format!(
        "line {}: {message}",
        line_of(text, spanned.span().start)
    ))
}

/// Checks a key pair before it joins `store`: an id of letters and digits not seen
/// before, and a secret. Returns the id.
fn check_key_pair<'k>(
    text: &str,
    store: &InMemoryStore,
    id: &'k Spanned<String>,
    secret: &Spanned<String>,
) -> Result<&'k String, ConfigError> {
    let akid = id.get_ref();
    if akid.is_empty() || !akid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(at(text, id, "access_key_id must be letters and digits"));
    }
    if sigv4::CredentialStore::lookup(store, akid).is_some() {
        return Err(at(text, id, format!("access_key_id {akid} appears twice")));
    }
    if secret.get_ref().is_empty() {
        return Err(at(text, secret, "secret_access_key is empty"));
    }
    Ok(akid)
}

fn time(text: &str, value: &Spanned<String>, key: &str) -> Result<OffsetDateTime, ConfigError> {
    OffsetDateTime::parse(value.get_ref(), &Rfc3339).map_err(|e| {
        at(
            text,
            value,
            format!("{key} {:?} is not an RFC 3339 time: {e}", value.get_ref()),
        )
    })
}

fn policy(text: &str, document: &Spanned<String>) -> Result<Policy, ConfigError> {
    Policy::parse(document.get_ref()).map_err(|e| at(text, document, e))
}

/// A stable id made from an ARN, for users and roles the file gives none: `prefix` and 17
/// characters of its hash.
fn id_from(prefix: &str, arn: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(arn.as_bytes());
    format!("{prefix}{}", id_chars(&digest[..17]))
}

/// One character of `[A-Z2-7]` per byte, as AWS's ids are written.
pub fn id_chars(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect()
}

fn iam(
    text: &str,
    server: ServerSection,
    users: Vec<UserSection>,
    roles: Vec<RoleSection>,
    store: &mut InMemoryStore,
) -> Result<Iam, ConfigError> {
    let mut out = Iam {
        allow_short_sessions: server.allow_short_sessions.unwrap_or(false),
        ..Iam::default()
    };
    if let Some(key) = &server.token_key {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.get_ref())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| at(text, key, "token_key must be 32 bytes in base64"))?;
        out.token_key = Some(bytes);
    }
    for user in users {
        let arn = user.arn.get_ref();
        let (account, _) = parse_arn(arn)
            .filter(|(_, kind)| kind.starts_with("user/"))
            .ok_or_else(|| at(text, &user.arn, format!("{arn:?} is not a user ARN")))?;
        let user_id = user.user_id.unwrap_or_else(|| id_from("AIDA", arn));
        for key in &user.access_keys {
            let akid = check_key_pair(text, store, &key.access_key_id, &key.secret_access_key)?;
            store.insert(
                StoredCredential::new(akid.clone(), key.secret_access_key.get_ref().clone())
                    .principal(Principal {
                        arn: arn.clone(),
                        account: account.to_owned(),
                        user_id: user_id.clone(),
                    }),
            );
        }
        out.users.push(User {
            arn: arn.clone(),
            policies: user
                .policies
                .iter()
                .map(|p| policy(text, p))
                .collect::<Result<_, _>>()?,
        });
    }
    for role in roles {
        let arn = role.arn.get_ref();
        let (account, kind) = parse_arn(arn)
            .filter(|(_, kind)| kind.starts_with("role/"))
            .ok_or_else(|| at(text, &role.arn, format!("{arn:?} is not a role ARN")))?;
        let name = kind.rsplit('/').next().unwrap_or(kind).to_owned();
        let max = match &role.max_session_duration {
            None => 3600,
            Some(max) if (3600..=43_200).contains(max.get_ref()) => *max.get_ref(),
            Some(max) => {
                return Err(at(
                    text,
                    max,
                    "max_session_duration must be from 3600 to 43200",
                ))
            }
        };
        out.roles.push(Role {
            arn: arn.clone(),
            role_id: role.role_id.unwrap_or_else(|| id_from("AROA", arn)),
            account: account.to_owned(),
            name,
            trust_policy: policy(text, &role.trust_policy)?,
            policies: role
                .policies
                .iter()
                .map(|p| policy(text, p))
                .collect::<Result<_, _>>()?,
            max_session_duration: max,
        });
    }
    Ok(out)
}

/// `arn:aws:iam::ACCOUNT:RESOURCE` → (ACCOUNT, RESOURCE).
fn parse_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then_some((account, resource))
}

/// The account id in an ARN (`arn:aws:iam::123456789012:user/alice`).
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

impl Config {
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            let message = e.message().to_owned();
            ConfigError(match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            })
        })?;
        let mut settings = VerifierSettings::default();
        settings.regions = file.settings.regions;
        settings.services = file.settings.services;
        if let Some(skew) = &file.settings.max_skew_seconds {
            if !(0..=7 * 24 * 3600).contains(skew.get_ref()) {
                return Err(at(text, skew, "max_skew_seconds must be from 0 to 604800"));
            }
            settings.max_skew = time::Duration::seconds(*skew.get_ref());
        }
        if let Some(allow) = file.settings.allow_unsigned_payload {
            settings.allow_unsigned_payload = allow;
        }
        let mut store = InMemoryStore::new();
        for c in file.credentials {
            let akid = check_key_pair(text, &store, &c.access_key_id, &c.secret_access_key)?;
            let mut stored =
                StoredCredential::new(akid.clone(), c.secret_access_key.get_ref().clone());
            if let Some(token) = c.session_token {
                stored = stored.session_token(token);
            }
            if let Some(expiration) = &c.expiration {
                stored = stored.expiry(time(text, expiration, "expiration")?);
            }
            if let Some(not_before) = &c.not_before {
                stored = stored.not_before(time(text, not_before, "not_before")?);
            }
            let arn = c.principal.unwrap_or_default();
            stored = stored.principal(Principal {
                account: c
                    .account
                    .or_else(|| account_of(&arn).map(str::to_owned))
                    .unwrap_or_default(),
                user_id: c.user_id.unwrap_or_else(|| akid.clone()),
                arn,
            });
            store.insert(stored);
        }
        let iam = iam(text, file.server, file.users, file.roles, &mut store)?;
        Ok(Self {
            settings,
            store,
            iam,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[settings]
regions = ["us-east-1"]
services = ["s3", "sts"]
max_skew_seconds = 900

[[credentials]]
access_key_id = "AKIDEXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
session_token = "tok"
expiration = "2026-11-28T12:00:00Z"
principal = "arn:aws:iam::123456789012:user/alice"
"#;

    #[test]
    fn reads_the_documented_form() {
        let config = Config::parse(GOOD).expect("valid");
        assert_eq!(config.settings.regions, Some(vec!["us-east-1".to_owned()]));
        assert_eq!(config.settings.max_skew, time::Duration::seconds(900));
        let c = sigv4::CredentialStore::lookup(&config.store, "AKIDEXAMPLE").expect("present");
        assert_eq!(c.principal.account, "123456789012");
        assert!(c.session_token.is_some() && c.expiry.is_some());
    }

    #[test]
    fn the_readme_serve_configuration_parses() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("```toml\n[server]")
            .expect("a [server] example")
            + 8;
        let end = start + readme[start..].find("```").expect("closed");
        let config = Config::parse(&readme[start..end]).expect("the README's example is valid");
        assert_eq!(config.iam.users.len(), 1);
        assert_eq!(config.iam.roles[0].max_session_duration, 3600);
        assert!(sigv4::CredentialStore::lookup(&config.store, "AKIAIOSFODNN7EXAMPLE").is_some());
        let demo = Config::parse(crate::serve::DEMO_CONFIG).expect("the demo is valid");
        assert_eq!(demo.iam.roles[0].name, "marketingadminrole");
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, needle) in [
            (GOOD.replace("session_token", "sesion_token"), 10, "sesion_token"),
            (GOOD.replace("2026-11-28T12:00:00Z", "tomorrow"), 11, "RFC 3339"),
            (GOOD.replace("max_skew_seconds = 900", "max_skew_seconds = \"x\""), 5, ""),
            (GOOD.replace("max_skew_seconds = 900", "max_skew_seconds = -1"), 5, "604800"),
            (format!("{GOOD}\n[[credentials]]\naccess_key_id = \"AKIDEXAMPLE\"\nsecret_access_key = \"x\"\n"), 15, "twice"),
            (format!("{GOOD}\n[[credentials]]\naccess_key_id = \"AKID-2\"\nsecret_access_key = \"x\"\n"), 15, "letters and digits"),
            (format!("{GOOD}\n[[credentials]]\naccess_key_id = \"AKID2\"\nsecret_access_key = \"\"\n"), 16, "is empty"),
            (format!("{GOOD}\n[[users]]\narn = \"arn:aws:iam::123456789012:user/bob\"\naccess_keys = [{{ access_key_id = \"AKIDEXAMPLE\", secret_access_key = \"y\" }}]\n"), 16, "twice"),
        ] {
            let err = Config::parse(&text).expect_err("invalid").0;
            assert!(err.starts_with(&format!("line {line}:")), "{err}");
            assert!(err.contains(needle), "{err}");
        }
    }
}
