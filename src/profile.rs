//! AWS shared configuration files (`~/.aws/config`, `~/.aws/credentials`), parsed as the AWS
//! SDKs parse them, and the resolution of a profile into a plan: base credentials and the
//! `AssumeRole` steps of its role chain. Reading the files is the caller's part.

use std::collections::BTreeMap;
use std::fmt;

use crate::credentials::Credentials;

/// Which of the two files a text is: they name their sections differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`: `[default]` and `[profile name]`.
    Config,
    /// `~/.aws/credentials`: `[name]`.
    Credentials,
}

/// Why a profile file or a profile could not be used. File errors name the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileError {
    /// A line that is not a section, a property, a continuation or a comment.
    Syntax {
        /// The file's name, as the caller gave it.
        file: String,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No profile of that name.
    NoSuchProfile {
        /// The name asked for.
        profile: String,
    },
    /// A profile that names no credentials: no keys, no `credential_process`, no role.
    NoCredentials {
        /// The profile.
        profile: String,
    },
    /// A profile with keys but missing one of them.
    IncompleteKeys {
        /// The profile.
        profile: String,
        /// The missing key.
        missing: &'static str,
    },
    /// A role profile with both `source_profile` and `credential_source`, or neither.
    AmbiguousRoleSource {
        /// The profile.
        profile: String,
    },
    /// A `credential_source` other than `Environment`.
    UnsupportedCredentialSource {
        /// The profile.
        profile: String,
        /// The source named.
        source: String,
    },
    /// `source_profile` chains that come back to a profile already in the chain.
    Cycle {
        /// The profiles of the chain, in order, ending with the repeated one.
        chain: Vec<String>,
    },
    /// A property with a value that cannot be used.
    InvalidValue {
        /// The profile.
        profile: String,
        /// The property.
        key: String,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax { file, line, message } => write!(f, "{file}, line {line}: {message}"),
            Self::NoSuchProfile { profile } => write!(f, "no profile named {profile:?}"),
            Self::NoCredentials { profile } => write!(
                f,
                "profile {profile:?} has no aws_access_key_id, credential_process or role_arn"
            ),
            Self::IncompleteKeys { profile, missing } => {
                write!(f, "profile {profile:?} has static keys but no {missing}")
            }
            Self::AmbiguousRoleSource { profile } => write!(
                f,
                "profile {profile:?} has role_arn and needs exactly one of source_profile and credential_source"
            ),
            Self::UnsupportedCredentialSource { profile, source } => write!(
                f,
                "profile {profile:?}: credential_source {source:?} is not supported here (only Environment)"
            ),
            Self::Cycle { chain } => {
                write!(f, "the source_profile chain loops: {}", chain.join(" -> "))
            }
            Self::InvalidValue { profile, key, message } => {
                write!(f, "profile {profile:?}, {key}: {message}")
            }
        }
    }
}

impl std::error::Error for ProfileError {}

/// One profile's properties. Nested properties (`s3 =` followed by indented
/// `key = value` lines) are kept as `parent.key`.
///
/// `Debug` shows every property but the secret key and session token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Profile {
    properties: BTreeMap<String, String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in &self.properties {
            if matches!(key.as_str(), "aws_secret_access_key" | "aws_session_token") {
                map.entry(key, &"<redacted>");
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

impl Profile {
    /// A property's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.properties.get(key).map(String::as_str)
    }

    /// Every property, sorted by key.
    pub fn properties(&self) -> impl Iterator<Item = (&str, &str)> {
        self.properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The profiles of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileFile {
    profiles: BTreeMap<String, Profile>,
}

impl ProfileFile {
    /// Parses a file's text. `file` names it in errors.
    ///
    /// The rules are the AWS SDKs': `#` and `;` start comment lines, and may follow a
    /// section header; `[profile name]` in the config file (and `[default]`), `[name]` in
    /// the credentials file; other sections (`[sso-session x]`, `[services x]`, a config
    /// section without `profile `) are skipped; `key = value` properties; a line that starts
    /// with a space or tab continues the previous value, or, after a property with an empty
    /// value, holds a sub-property; later values of a repeated key win.
    pub fn parse(kind: FileKind, file: &str, text: &str) -> Result<Self, ProfileError> {
        let mut out = Self::default();
        // The section being read: `Some(name)` for a profile, `None` for a skipped one.
        let mut section: Option<Option<String>> = None;
        let mut last_key: Option<String> = None;
        let error = |line: usize, message: String| ProfileError::Syntax {
            file: file.to_owned(),
            line,
            message,
        };
        for (index, raw) in text.lines().enumerate() {
            let n = index + 1;
            let line = raw.trim_end_matches('\r');
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            if line.starts_with([' ', '\t']) {
                let Some(current) = &section else {
                    return Err(error(
                        n,
                        "a continuation line comes before any section".into(),
                    ));
                };
                let Some(name) = current else { continue };
                let Some(key) = &last_key else {
                    return Err(error(
                        n,
                        "a continuation line comes before any property".into(),
                    ));
                };
                let profile = out.profiles.entry(name.clone()).or_default();
                // A property with an empty value keeps that value while sub-properties
                // follow it.
                if profile.properties.get(key).is_some_and(String::is_empty) {
                    let (sub, value) = trimmed.split_once('=').ok_or_else(|| {
                        error(
                            n,
                            format!("expected a sub-property `key = value` under {key}"),
                        )
                    })?;
                    let sub = sub.trim();
                    if sub.is_empty() {
                        return Err(error(n, "a sub-property has no name".into()));
                    }
                    profile
                        .properties
                        .insert(format!("{key}.{sub}"), value.trim().to_owned());
                } else if let Some(value) = profile.properties.get_mut(key) {
                    value.push('\n');
                    value.push_str(trimmed);
                }
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix('[') {
                let close = rest
                    .find(']')
                    .ok_or_else(|| error(n, "a section header has no closing ]".into()))?;
                let after = rest[close + 1..].trim();
                if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                    return Err(error(
                        n,
                        format!("unexpected text after the section header: {after:?}"),
                    ));
                }
                let header = rest[..close].trim();
                if header.is_empty() {
                    return Err(error(n, "a section header is empty".into()));
                }
                let name = match kind {
                    FileKind::Credentials => Some(header.to_owned()),
                    FileKind::Config => match header.split_once(|c: char| c.is_whitespace()) {
                        Some(("profile", name)) => Some(name.trim().to_owned()),
                        Some(_) => None,
                        None if header == "default" => Some("default".to_owned()),
                        None => None,
                    },
                };
                if let Some(name) = &name {
                    if name.is_empty() || name.contains(char::is_whitespace) {
                        return Err(error(n, format!("{header:?} is not a valid profile name")));
                    }
                    out.profiles.entry(name.clone()).or_default();
                }
                section = Some(name);
                last_key = None;
                continue;
            }
            let (key, value) = trimmed.split_once('=').ok_or_else(|| {
                error(
                    n,
                    "expected `key = value` (the line is not repeated: it may hold a secret)"
                        .to_string(),
                )
            })?;
            let key = key.trim();
            if key.is_empty() {
                return Err(error(n, "a property has no name".into()));
            }
            let Some(current) = &section else {
                return Err(error(
                    n,
                    format!("the property {key:?} comes before any section"),
                ));
            };
            if let Some(name) = current {
                let profile = out.profiles.entry(name.clone()).or_default();
                // A repeated parent replaces its sub-properties. They sort together, so
                // finding them costs a lookup rather than a pass over the profile.
                let prefix = format!("{key}.");
                let nested: Vec<String> = profile
                    .properties
                    .range(prefix.clone()..)
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in nested {
                    profile.properties.remove(&k);
                }
                profile
                    .properties
                    .insert(key.to_owned(), value.trim().to_owned());
            }
            last_key = Some(key.to_owned());
        }
        Ok(out)
    }

    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// The profile names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }
}

/// The config and credentials files together. A profile in both is merged, the
/// credentials file's values winning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
}

impl ProfileSet {
    /// Merges the two files (either may be absent).
    pub fn new(config: Option<ProfileFile>, credentials: Option<ProfileFile>) -> Self {
        let mut profiles = config.map(|c| c.profiles).unwrap_or_default();
        for (name, profile) in credentials.map(|c| c.profiles).unwrap_or_default() {
            profiles
                .entry(name)
                .or_default()
                .properties
                .extend(profile.properties);
        }
        Self { profiles }
    }

    /// A profile by name.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.profiles.get(name)
    }

    /// How `name`'s credentials are obtained: its base credentials and its role chain, the
    /// first step assumed with the base credentials.
    pub fn resolve(&self, name: &str) -> Result<CredentialPlan, ProfileError> {
        // Steps are found from the named profile back to the base; they run the other way.
        let finish = |base, mut steps: Vec<AssumeRoleStep>| {
            steps.reverse();
            Ok(CredentialPlan {
                profile: name.to_owned(),
                base,
                steps,
            })
        };
        let mut steps = Vec::new();
        let mut visited: Vec<String> = Vec::new();
        let mut current = name.to_owned();
        loop {
            let profile =
                self.profiles
                    .get(&current)
                    .ok_or_else(|| ProfileError::NoSuchProfile {
                        profile: current.clone(),
                    })?;
            visited.push(current.clone());
            let role = profile.get("role_arn").filter(|r| !r.is_empty());
            // A profile reached through `source_profile` with static keys supplies them,
            // even if it names a role itself, except where it is its own source (then the
            // keys assume its role), as the AWS SDKs do.
            let keys = static_keys(&current, profile)?;
            let is_start = visited.len() == 1;
            let self_sourced = profile.get("source_profile") == Some(current.as_str());
            if let (Some(keys), false) = (&keys, role.is_some() && (is_start || self_sourced)) {
                return finish(BaseCredentials::Static(keys.clone()), steps);
            }
            let Some(role) = role else {
                if let Some(command) = profile.get("credential_process").filter(|c| !c.is_empty()) {
                    let command = command.to_owned();
                    return finish(BaseCredentials::Process { command }, steps);
                }
                return Err(ProfileError::NoCredentials { profile: current });
            };
            steps.push(role_step(&current, profile, role)?);
            match (
                profile.get("source_profile"),
                profile.get("credential_source"),
            ) {
                (Some(source), None) => {
                    // Its own source: its keys assume its role. Without keys, the check
                    // below reports the cycle.
                    if let (true, Some(keys)) = (source == current, keys) {
                        return finish(BaseCredentials::Static(keys), steps);
                    }
                    if visited.iter().any(|v| v == source) {
                        let mut chain = visited.clone();
                        chain.push(source.to_owned());
                        return Err(ProfileError::Cycle { chain });
                    }
                    current = source.to_owned();
                }
                (None, Some(source)) => {
                    if source != "Environment" {
                        return Err(ProfileError::UnsupportedCredentialSource {
                            profile: current,
                            source: source.to_owned(),
                        });
                    }
                    return finish(BaseCredentials::Environment, steps);
                }
                _ => return Err(ProfileError::AmbiguousRoleSource { profile: current }),
            }
        }
    }
}

fn static_keys(name: &str, profile: &Profile) -> Result<Option<Credentials>, ProfileError> {
    let akid = profile.get("aws_access_key_id").filter(|v| !v.is_empty());
    let secret = profile
        .get("aws_secret_access_key")
        .filter(|v| !v.is_empty());
    let (akid, secret) = match (akid, secret) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(ProfileError::IncompleteKeys {
                profile: name.to_owned(),
                missing: "aws_secret_access_key",
            })
        }
        (None, Some(_)) => {
            return Err(ProfileError::IncompleteKeys {
                profile: name.to_owned(),
                missing: "aws_access_key_id",
            })
        }
        (Some(a), Some(s)) => (a, s),
    };
    let invalid = |key: &str, e: crate::SigningError| ProfileError::InvalidValue {
        profile: name.to_owned(),
        key: key.to_owned(),
        message: e.to_string(),
    };
    let mut credentials =
        Credentials::new(akid, secret).map_err(|e| invalid("aws_access_key_id", e))?;
    if let Some(token) = profile.get("aws_session_token").filter(|v| !v.is_empty()) {
        credentials = credentials
            .with_session_token(token)
            .map_err(|e| invalid("aws_session_token", e))?;
    }
    Ok(Some(credentials))
}

fn role_step(name: &str, profile: &Profile, role: &str) -> Result<AssumeRoleStep, ProfileError> {
    let duration_seconds = match profile.get("duration_seconds") {
        None => None,
        Some(text) => Some(
            text.parse::<u32>()
                .map_err(|_| ProfileError::InvalidValue {
                    profile: name.to_owned(),
                    key: "duration_seconds".into(),
                    message: format!("{text:?} is not a whole number of seconds"),
                })?,
        ),
    };
    Ok(AssumeRoleStep {
        profile: name.to_owned(),
        role_arn: role.to_owned(),
        role_session_name: profile.get("role_session_name").map(str::to_owned),
        duration_seconds,
        external_id: profile.get("external_id").map(str::to_owned),
        mfa_serial: profile.get("mfa_serial").map(str::to_owned),
    })
}

/// Where a profile's first credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseCredentials {
    /// Keys written in the profile.
    Static(Credentials),
    /// `AWS_ACCESS_KEY_ID` and friends (`credential_source = Environment`).
    Environment,
    /// The output of `credential_process`.
    Process {
        /// The command line.
        command: String,
    },
}

/// One `AssumeRole` of a role chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleStep {
    /// The profile that names the role.
    pub profile: String,
    /// The role.
    pub role_arn: String,
    /// `role_session_name`, if set.
    pub role_session_name: Option<String>,
    /// `duration_seconds`, if set.
    pub duration_seconds: Option<u32>,
    /// `external_id`, if set.
    pub external_id: Option<String>,
    /// `mfa_serial`, if set: the step needs a token code from the user.
    pub mfa_serial: Option<String>,
}

/// How a profile's credentials are obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPlan {
    /// The profile resolved.
    pub profile: String,
    /// The first credentials.
    pub base: BaseCredentials,
    /// The roles to assume in order, each with the credentials of the one before.
    pub steps: Vec<AssumeRoleStep>,
}
