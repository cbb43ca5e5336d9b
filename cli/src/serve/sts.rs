//! The STS query API of `serve`: `AssumeRole`, `GetSessionToken`, `GetCallerIdentity`,
//! answered in STS's XML, with IAM's rules for who may assume which role.

use std::collections::BTreeMap;

use sigv4::layer::{escape, query_error_document};
use sigv4::policy::{evaluate, evaluate_resource_policy, Decision, PrincipalMatch, RequestContext};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::token::{random, Sealer, Session};
use crate::config::Iam;

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Who made a verified request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub arn: String,
    pub account: String,
    pub user_id: String,
    /// The role of a role session.
    pub role_arn: Option<String>,
    /// Whether the caller signed with temporary credentials (a session).
    pub temporary: bool,
}

/// An STS answer: status and XML.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// STS's `ErrorResponse`.
pub fn error(status: u16, code: &str, message: &str, request_id: &str) -> Answer {
    Answer {
        status,
        body: query_error_document(status, code, message, request_id),
    }
}

fn validation(message: &str, request_id: &str) -> Answer {
    error(400, "ValidationError", message, request_id)
}

fn denied(caller: &Caller, action: &str, resource: &str, request_id: &str) -> Answer {
    error(
        403,
        "AccessDenied",
        &format!(
            "User: {} is not authorized to perform: {action} on resource: {resource}",
            caller.arn
        ),
        request_id,
    )
}

fn ok(action: &str, result: &str, request_id: &str) -> Answer {
    Answer {
        status: 200,
        body: format!(
            "<{action}Response xmlns=\"{XMLNS}\">\n  <{action}Result>\n{result}  </{action}Result>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n"
        ),
    }
}

/// A random access key id of temporary credentials: `ASIA` and 16 of `[A-Z2-7]`.
fn access_key_id() -> Result<String, String> {
    let bytes: [u8; 16] = random()?;
    Ok(format!("ASIA{}", crate::config::id_chars(&bytes)))
}

fn secret() -> Result<String, String> {
    use base64::Engine as _;
    let bytes: [u8; 30] = random()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// New credentials for `session`: an access key id, a random secret, and the token that
/// seals them.
fn issue(
    sealer: &Sealer,
    mut session: Session,
    request_id: &str,
) -> Result<(String, Session, String), Answer> {
    let internal = |e: String| error(500, "InternalFailure", &e, request_id);
    let akid = access_key_id().map_err(internal)?;
    session.secret_access_key = secret().map_err(internal)?;
    let token = sealer.seal(&akid, &session).map_err(internal)?;
    Ok((akid, session, token))
}

fn credentials_xml(akid: &str, session: &Session, token: &str) -> String {
    let expiration = session
        .expiry()
        .and_then(|e| e.format(&Rfc3339).ok())
        .unwrap_or_default();
    format!(
        "    <Credentials>\n      <AccessKeyId>{akid}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      <Expiration>{expiration}</Expiration>\n    </Credentials>\n",
        escape(&session.secret_access_key),
        escape(token)
    )
}

/// Answers one STS action for a verified caller.
pub fn handle(
    iam: &Iam,
    sealer: &Sealer,
    caller: &Caller,
    params: &BTreeMap<String, String>,
    now: OffsetDateTime,
    request_id: &str,
) -> Answer {
    let action = params.get("Action").map(String::as_str).unwrap_or("");
    match action {
        "GetCallerIdentity" => ok(
            "GetCallerIdentity",
            &format!(
                "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
                escape(&caller.arn),
                escape(&caller.user_id),
                escape(&caller.account)
            ),
            request_id,
        ),
        "AssumeRole" => assume_role(iam, sealer, caller, params, now, request_id),
        "GetSessionToken" => get_session_token(iam, sealer, caller, params, now, request_id),
        "" => error(
            400,
            "MissingAction",
            "The request has no Action",
            request_id,
        ),
        other => error(
            400,
            "InvalidAction",
            &format!("Could not find operation {other} for version 2011-06-15"),
            request_id,
        ),
    }
}

fn duration(
    params: &BTreeMap<String, String>,
    default: i64,
    max: i64,
    allow_short: bool,
    request_id: &str,
) -> Result<i64, Answer> {
    let Some(text) = params.get("DurationSeconds") else {
        return Ok(default.min(max));
    };
    let seconds: i64 = text.parse().map_err(|_| {
        validation(
            &format!("1 validation error detected: Value '{text}' at 'durationSeconds' failed to satisfy constraint: Member must be a number"),
            request_id,
        )
    })?;
    let min = if allow_short { 1 } else { 900 };
    if seconds < min {
        return Err(validation(
            &format!("1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"),
            request_id,
        ));
    }
    Ok(seconds)
}

fn assume_role(
    iam: &Iam,
    sealer: &Sealer,
    caller: &Caller,
    params: &BTreeMap<String, String>,
    now: OffsetDateTime,
    request_id: &str,
) -> Answer {
    let Some(role_arn) = params.get("RoleArn") else {
        return validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null", request_id);
    };
    let Some(session_name) = params.get("RoleSessionName") else {
        return validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null", request_id);
    };
    if sigv4::sts::check_session_name(session_name).is_err() {
        return validation(
            &format!("1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length from 2 to 64"),
            request_id,
        );
    }
    let Some(role) = iam.roles.iter().find(|r| &r.arn == role_arn) else {
        return denied(caller, "sts:AssumeRole", role_arn, request_id);
    };
    let chained = caller.role_arn.is_some();
    let seconds = match duration(
        params,
        3600,
        i64::from(role.max_session_duration),
        iam.allow_short_sessions,
        request_id,
    ) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    if chained && seconds > 3600 {
        return validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", request_id);
    }
    if seconds > i64::from(role.max_session_duration) {
        return validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            request_id,
        );
    }

    let mut context = RequestContext {
        principal_arn: &caller.arn,
        principal_account: &caller.account,
        action: "sts:AssumeRole",
        resource: &role.arn,
        keys: BTreeMap::new(),
    };
    if let Some(id) = params.get("ExternalId") {
        context
            .keys
            .insert("sts:ExternalId".into(), vec![id.clone()]);
    }
    context
        .keys
        .insert("sts:RoleSessionName".into(), vec![session_name.clone()]);
    if let Some(own) = &caller.role_arn {
        context
            .keys
            .insert("aws:PrincipalArn".into(), vec![own.clone()]);
    }
    // The caller's own policies: a user's, or the role's of a role session.
    let identity: Vec<&sigv4::policy::Policy> = match &caller.role_arn {
        Some(own) => iam
            .roles
            .iter()
            .filter(|r| &r.arn == own)
            .flat_map(|r| r.policies.iter())
            .collect(),
        None => iam
            .users
            .iter()
            .filter(|u| u.arn == caller.arn)
            .flat_map(|u| u.policies.iter())
            .collect(),
    };
    let identity_decision = evaluate(&identity, &context);
    let (trust, named) = evaluate_resource_policy(&role.trust_policy, &context);
    let same_account = caller.account == role.account;
    let allowed = match (trust, named) {
        _ if identity_decision == Decision::ExplicitDeny => false,
        (Decision::Allow, Some(PrincipalMatch::Named)) if same_account => true,
        (Decision::Allow, Some(_)) => identity_decision == Decision::Allow,
        _ => false,
    };
    if !allowed {
        return denied(caller, "sts:AssumeRole", &role.arn, request_id);
    }

    let issued = issue(
        sealer,
        Session {
            secret_access_key: String::new(),
            expires: (now + Duration::seconds(seconds)).unix_timestamp(),
            arn: format!(
                "arn:aws:sts::{}:assumed-role/{}/{session_name}",
                role.account, role.name
            ),
            user_id: format!("{}:{session_name}", role.role_id),
            account: role.account.clone(),
            role_arn: Some(role.arn.clone()),
            session_name: Some(session_name.clone()),
            source_identity: caller.arn.clone(),
        },
        request_id,
    );
    let (akid, session, token) = match issued {
        Ok(issued) => issued,
        Err(answer) => return answer,
    };
    tracing::info!(role = %role.arn, session = %session_name, caller = %caller.arn, seconds, "AssumeRole");
    ok(
        "AssumeRole",
        &format!(
            "{}    <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n",
            credentials_xml(&akid, &session, &token),
            escape(&session.user_id),
            escape(&session.arn)
        ),
        request_id,
    )
}

fn get_session_token(
    iam: &Iam,
    sealer: &Sealer,
    caller: &Caller,
    params: &BTreeMap<String, String>,
    now: OffsetDateTime,
    request_id: &str,
) -> Answer {
    if caller.temporary || caller.arn.contains(":assumed-role/") {
        return error(
            403,
            "AccessDenied",
            "Cannot call GetSessionToken with session credentials",
            request_id,
        );
    }
    let seconds = match duration(
        params,
        43_200,
        129_600,
        iam.allow_short_sessions,
        request_id,
    ) {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    if seconds > 129_600 {
        return validation(
            &format!("1 validation error detected: Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"),
            request_id,
        );
    }
    let issued = issue(
        sealer,
        Session {
            secret_access_key: String::new(),
            expires: (now + Duration::seconds(seconds)).unix_timestamp(),
            arn: caller.arn.clone(),
            user_id: caller.user_id.clone(),
            account: caller.account.clone(),
            role_arn: None,
            session_name: None,
            source_identity: caller.arn.clone(),
        },
        request_id,
    );
    let (akid, session, token) = match issued {
        Ok(issued) => issued,
        Err(answer) => return answer,
    };
    ok(
        "GetSessionToken",
        &credentials_xml(&akid, &session, &token),
        request_id,
    )
}
