//! Where the command's credentials come from: the environment, or a profile of the shared
//! files (`credential_process` run here), as the AWS SDKs look for them. Role chains are
//! shown, not assumed: this command does not call STS.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};
use sigv4::profile::{BaseCredentials, CredentialPlan, FileKind, ProfileFile, ProfileSet};
use sigv4::provider::{from_environment, parse_process_output};
use sigv4::Credentials;
use time::format_description::well_known::Rfc3339;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn home_file(name: &str) -> Option<PathBuf> {
    env("HOME").map(|home| PathBuf::from(home).join(".aws").join(name))
}

fn read_file(kind: FileKind, var: &str, default: &str) -> Result<Option<ProfileFile>, String> {
    let path = match env(var) {
        Some(path) => PathBuf::from(path),
        None => match home_file(default) {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    ProfileFile::parse(kind, &path.display().to_string(), &text)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// The shared files, from `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` or `~/.aws`.
pub fn profiles() -> Result<ProfileSet, String> {
    let config = read_file(FileKind::Config, "AWS_CONFIG_FILE", "config")?;
    let credentials = read_file(
        FileKind::Credentials,
        "AWS_SHARED_CREDENTIALS_FILE",
        "credentials",
    )?;
    Ok(ProfileSet::new(config, credentials))
}

fn run_process(command: &str) -> Result<Credentials, String> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(command)
        .output()
        .map_err(|e| format!("credential_process could not start: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "credential_process failed ({}): {}",
            output.status,
            stderr.lines().next().unwrap_or("").trim()
        ));
    }
    parse_process_output(&output.stdout).map_err(|e| e.to_string())
}

fn describe_plan(plan: &CredentialPlan) -> Value {
    let base = match &plan.base {
        BaseCredentials::Static(c) => json!({
            "source": "static",
            "access_key_id": c.access_key_id(),
            "session_token": c.session_token().is_some(),
        }),
        BaseCredentials::Environment => json!({ "source": "environment" }),
        BaseCredentials::Process { command } => json!({
            "source": "credential_process",
            "command": command,
        }),
        _ => json!({ "source": "unknown" }),
    };
    json!({
        "profile": plan.profile,
        "base": base,
        "role_chain": plan.steps.iter().map(|s| json!({
            "profile": s.profile,
            "role_arn": s.role_arn,
            "role_session_name": s.role_session_name,
            "duration_seconds": s.duration_seconds,
            "external_id": s.external_id,
            "mfa_serial": s.mfa_serial,
        })).collect::<Vec<_>>(),
    })
}

fn describe(credentials: &Credentials, source: &str) -> Value {
    json!({
        "source": source,
        "access_key_id": credentials.access_key_id(),
        "session_token": credentials.session_token().is_some(),
        "expiry": credentials.expiry().and_then(|e| e.format(&Rfc3339).ok()),
    })
}

/// The base credentials of a plan, fetched (environment read, process run).
fn base_credentials(plan: &CredentialPlan) -> Result<(Credentials, &'static str), String> {
    match &plan.base {
        BaseCredentials::Static(c) => Ok((c.clone(), "static")),
        BaseCredentials::Environment => from_environment(env)
            .map_err(|e| e.to_string())?
            .map(|c| (c, "environment"))
            .ok_or_else(|| {
                "credential_source = Environment, but AWS_ACCESS_KEY_ID is not set".into()
            }),
        BaseCredentials::Process { command } => {
            run_process(command).map(|c| (c, "credential_process"))
        }
        _ => Err("this kind of base credentials is not supported".into()),
    }
}

/// The credentials to sign with: `--profile`'s, or the environment's, or `AWS_PROFILE`'s
/// (`default` when unset).
pub fn resolve(profile: Option<&str>) -> Result<Credentials, String> {
    if profile.is_none() {
        if let Some(credentials) = from_environment(env).map_err(|e| e.to_string())? {
            return Ok(credentials);
        }
    }
    let name = profile
        .map(str::to_owned)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let set = profiles()?;
    let plan = set.resolve(&name).map_err(|e| {
        if profile.is_none() && matches!(e, sigv4::profile::ProfileError::NoSuchProfile { .. }) {
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile with --profile".to_owned()
        } else {
            e.to_string()
        }
    })?;
    if !plan.steps.is_empty() {
        let roles: Vec<&str> = plan.steps.iter().map(|s| s.role_arn.as_str()).collect();
        return Err(format!(
            "profile {name:?} assumes {} through STS; sigv4 does not call STS itself: assume the role elsewhere (or against `sigv4 serve`) and pass the resulting credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN",
            roles.join(" then ")
        ));
    }
    Ok(base_credentials(&plan)?.0)
}

/// `sigv4 credentials`: where the credentials come from, without secrets.
pub fn explain(profile: Option<&str>) -> Result<Value, String> {
    if profile.is_none() {
        if let Some(credentials) = from_environment(env).map_err(|e| e.to_string())? {
            return Ok(describe(&credentials, "environment"));
        }
    }
    let name = profile
        .map(str::to_owned)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned());
    let plan = profiles()?.resolve(&name).map_err(|e| e.to_string())?;
    let mut out = describe_plan(&plan);
    if plan.steps.is_empty() {
        let (credentials, source) = base_credentials(&plan)?;
        let resolved = describe(&credentials, source);
        out["source"] = resolved["source"].clone();
        out["access_key_id"] = resolved["access_key_id"].clone();
        out["session_token"] = resolved["session_token"].clone();
        out["expiry"] = resolved["expiry"].clone();
    } else {
        out["source"] = json!("assume_role");
        out["note"] = json!("the role chain is not assumed here: sigv4 does not call STS");
    }
    Ok(out)
}
