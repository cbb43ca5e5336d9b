//! AWS STS without I/O: the signed `AssumeRole`, `GetSessionToken` and `GetCallerIdentity`
//! requests (query protocol, form body), ready for any HTTP client, and the parsing of their
//! XML responses. [`assume_role_chain`] drives a profile's role chain over a transport the
//! caller supplies.

use std::fmt;

use http::header::{CONTENT_TYPE, HOST};
use quick_xml::events::Event;
use quick_xml::Reader;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::profile::AssumeRoleStep;
use crate::request::Payload;
use crate::sign::{Signer, SigningParams};

/// The STS API version of the query protocol.
pub const API_VERSION: &str = "2011-06-15";

/// Why an STS exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StsError {
    /// An input that STS would refuse, caught before sending.
    InvalidInput {
        /// The parameter.
        parameter: &'static str,
        /// What is wrong.
        message: String,
    },
    /// STS answered with an `ErrorResponse`.
    Service {
        /// The HTTP status.
        status: u16,
        /// `Sender` or `Receiver`.
        kind: String,
        /// The code, such as `AccessDenied` or `ExpiredToken`.
        code: String,
        /// The message.
        message: String,
        /// The request id.
        request_id: Option<String>,
    },
    /// A response that is not STS's XML, or lacks a field.
    MalformedResponse {
        /// What is wrong.
        message: String,
    },
    /// The request could not be signed.
    Signing(crate::SigningError),
    /// The caller's transport failed.
    Transport {
        /// Its message.
        message: String,
    },
}

impl fmt::Display for StsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput { parameter, message } => write!(f, "{parameter}: {message}"),
            Self::Service {
                status,
                code,
                message,
                ..
            } => {
                write!(f, "STS answered {status} {code}: {message}")
            }
            Self::MalformedResponse { message } => {
                write!(f, "STS's response could not be read: {message}")
            }
            Self::Signing(e) => write!(f, "the STS request could not be signed: {e}"),
            Self::Transport { message } => write!(f, "the STS request failed: {message}"),
        }
    }
}

impl std::error::Error for StsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Signing(e) => Some(e),
            _ => None,
        }
    }
}

impl StsError {
    /// The STS error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The parameters of `AssumeRole`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// The role's ARN.
    pub role_arn: String,
    /// The session name: 2 to 64 of `[\w+=,.@-]`.
    pub role_session_name: String,
    /// 900 seconds and up (the role's maximum, 3600 to 43200, is STS's to enforce).
    pub duration_seconds: Option<u32>,
    /// The external id a trust policy may require.
    pub external_id: Option<String>,
    /// The MFA device and the code it shows, when the role needs MFA.
    pub mfa: Option<(String, String)>,
}

impl AssumeRole {
    /// `AssumeRole` of `role_arn` as session `role_session_name`.
    pub fn new(role_arn: impl Into<String>, role_session_name: impl Into<String>) -> Self {
        Self {
            role_arn: role_arn.into(),
            role_session_name: role_session_name.into(),
            duration_seconds: None,
            external_id: None,
            mfa: None,
        }
    }

    fn check(&self) -> Result<(), StsError> {
        let invalid = |parameter, message: String| StsError::InvalidInput { parameter, message };
        if !(20..=2048).contains(&self.role_arn.len()) || !self.role_arn.starts_with("arn:") {
            return Err(invalid(
                "RoleArn",
                format!("{:?} is not a role ARN", self.role_arn),
            ));
        }
        check_session_name(&self.role_session_name)?;
        if let Some(seconds) = self.duration_seconds {
            if !(900..=43_200).contains(&seconds) {
                return Err(invalid(
                    "DurationSeconds",
                    format!(
                        "must be from 900 to 43200 (and at most the role's maximum), not {seconds}"
                    ),
                ));
            }
        }
        if let Some(id) = &self.external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b));
            if !ok {
                return Err(invalid(
                    "ExternalId",
                    "must be 2 to 1224 of [\\w+=,.@:/-]".into(),
                ));
            }
        }
        if let Some((serial, code)) = &self.mfa {
            if !(9..=256).contains(&serial.len()) {
                return Err(invalid(
                    "SerialNumber",
                    "must be 9 to 256 characters".into(),
                ));
            }
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("TokenCode", "must be six digits".into()));
            }
        }
        Ok(())
    }
}

/// Checks a role session name as STS does: 2 to 64 of `[\w+=,.@-]`.
pub fn check_session_name(name: &str) -> Result<(), StsError> {
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StsError::InvalidInput {
            parameter: "RoleSessionName",
            message: format!("{name:?} must be 2 to 64 of [\\w+=,.@-]"),
        })
    }
}

/// Where STS requests go: the endpoint (`https://sts.amazonaws.com` or a regional one) and
/// the region they are signed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The base URI, such as `https://sts.us-east-1.amazonaws.com`.
    pub uri: http::Uri,
    /// The signing region.
    pub region: String,
}

impl Endpoint {
    /// The regional endpoint of `region`.
    pub fn regional(region: &str) -> Result<Self, StsError> {
        let uri = format!("https://sts.{region}.amazonaws.com/")
            .parse()
            .map_err(|_| StsError::InvalidInput {
                parameter: "region",
                message: format!("{region:?} makes no valid endpoint"),
            })?;
        Ok(Self {
            uri,
            region: region.to_owned(),
        })
    }
}

/// A signed POST of `params` to the endpoint.
fn signed_request(
    endpoint: &Endpoint,
    credentials: &Credentials,
    time: OffsetDateTime,
    params: &[(&str, &str)],
) -> Result<http::Request<Vec<u8>>, StsError> {
    let mut body = String::new();
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            body.push('&');
        }
        crate::canonical::query::encode_into(&mut body, name);
        body.push('=');
        crate::canonical::query::encode_into(&mut body, value);
    }
    let authority = endpoint
        .uri
        .authority()
        .ok_or_else(|| StsError::InvalidInput {
            parameter: "endpoint",
            message: "the endpoint has no host".into(),
        })?;
    let mut request = http::Request::post(endpoint.uri.clone())
        .header(HOST, authority.as_str())
        .header(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(body.into_bytes())
        .map_err(|e| StsError::InvalidInput {
            parameter: "endpoint",
            message: e.to_string(),
        })?;
    let params = SigningParams::new(credentials, &endpoint.region, "sts", time);
    let payload = request.body().clone();
    Signer::default()
        .sign_http(&mut request, Payload::Bytes(&payload), &params)
        .map_err(StsError::Signing)?;
    Ok(request)
}

/// The signed `AssumeRole` request.
pub fn assume_role_request(
    endpoint: &Endpoint,
    credentials: &Credentials,
    time: OffsetDateTime,
    input: &AssumeRole,
) -> Result<http::Request<Vec<u8>>, StsError> {
    input.check()?;
    let duration = input.duration_seconds.map(|d| d.to_string());
    let mut params = vec![
        ("Action", "AssumeRole"),
        ("Version", API_VERSION),
        ("RoleArn", input.role_arn.as_str()),
        ("RoleSessionName", input.role_session_name.as_str()),
    ];
    if let Some(d) = &duration {
        params.push(("DurationSeconds", d));
    }
    if let Some(id) = &input.external_id {
        params.push(("ExternalId", id));
    }
    if let Some((serial, code)) = &input.mfa {
        params.push(("SerialNumber", serial));
        params.push(("TokenCode", code));
    }
    signed_request(endpoint, credentials, time, &params)
}

/// The signed `GetSessionToken` request; `duration_seconds` is 900 to 129600.
pub fn get_session_token_request(
    endpoint: &Endpoint,
    credentials: &Credentials,
    time: OffsetDateTime,
    duration_seconds: Option<u32>,
) -> Result<http::Request<Vec<u8>>, StsError> {
    if let Some(seconds) = duration_seconds {
        if !(900..=129_600).contains(&seconds) {
            return Err(StsError::InvalidInput {
                parameter: "DurationSeconds",
                message: format!("must be from 900 to 129600, not {seconds}"),
            });
        }
    }
    let duration = duration_seconds.map(|d| d.to_string());
    let mut params = vec![("Action", "GetSessionToken"), ("Version", API_VERSION)];
    if let Some(d) = &duration {
        params.push(("DurationSeconds", d));
    }
    signed_request(endpoint, credentials, time, &params)
}

/// The signed `GetCallerIdentity` request.
pub fn get_caller_identity_request(
    endpoint: &Endpoint,
    credentials: &Credentials,
    time: OffsetDateTime,
) -> Result<http::Request<Vec<u8>>, StsError> {
    signed_request(
        endpoint,
        credentials,
        time,
        &[("Action", "GetCallerIdentity"), ("Version", API_VERSION)],
    )
}

/// The session an `AssumeRole` created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    /// The temporary credentials, with their expiry.
    pub credentials: Credentials,
    /// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    pub arn: String,
    /// `AROA...:SESSION`.
    pub assumed_role_id: String,
}

/// Who `GetCallerIdentity` says the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The caller's ARN.
    pub arn: String,
    /// The unique id.
    pub user_id: String,
    /// The account.
    pub account: String,
}

/// The text of each element of an XML document, keyed by its path (`A/B/C`).
fn texts(xml: &[u8]) -> Result<Vec<(String, String)>, StsError> {
    let mut reader = Reader::from_reader(xml);
    let mut path: Vec<String> = Vec::new();
    let mut out = Vec::new();
    // An element's text arrives in pieces: runs of text, with each entity reference
    // (`&apos;`, `&#233;`) an event of its own.
    let mut text = String::new();
    let malformed = |message: String| StsError::MalformedResponse { message };
    let flush = |path: &[String], text: &mut String, out: &mut Vec<(String, String)>| {
        if !text.trim().is_empty() {
            out.push((path.join("/"), text.trim().to_owned()));
        }
        text.clear();
    };
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                flush(&path, &mut text, &mut out);
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                if path.len() > 16 {
                    return Err(malformed("the XML nests too deep".into()));
                }
            }
            Ok(Event::End(_)) => {
                flush(&path, &mut text, &mut out);
                path.pop();
            }
            Ok(Event::Text(t)) => {
                text.push_str(&t.decode().map_err(|e| malformed(e.to_string()))?);
            }
            Ok(Event::CData(t)) => {
                text.push_str(&t.decode().map_err(|e| malformed(e.to_string()))?);
            }
            Ok(Event::GeneralRef(r)) => {
                let name = r.decode().map_err(|e| malformed(e.to_string()))?;
                if let Some(c) = r.resolve_char_ref().map_err(|e| malformed(e.to_string()))? {
                    text.push(c);
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                    text.push_str(s);
                } else {
                    return Err(malformed(format!("unknown entity &{name};")));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(malformed(e.to_string())),
        }
    }
    Ok(out)
}

fn field<'t>(texts: &'t [(String, String)], path: &str) -> Result<&'t str, StsError> {
    texts
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, t)| t.as_str())
        .ok_or_else(|| StsError::MalformedResponse {
            message: format!("{path} is missing"),
        })
}

/// An `ErrorResponse` as a typed error; other bodies with an error status likewise.
fn service_error(status: u16, texts: &[(String, String)]) -> StsError {
    let get = |path: &str| field(texts, path).ok().map(str::to_owned);
    StsError::Service {
        status,
        kind: get("ErrorResponse/Error/Type").unwrap_or_default(),
        code: get("ErrorResponse/Error/Code").unwrap_or_else(|| "Unknown".into()),
        message: get("ErrorResponse/Error/Message").unwrap_or_default(),
        request_id: get("ErrorResponse/RequestId"),
    }
}

fn credentials_at(texts: &[(String, String)], base: &str) -> Result<Credentials, StsError> {
    let malformed = |message: String| StsError::MalformedResponse { message };
    let akid = field(texts, &format!("{base}/Credentials/AccessKeyId"))?;
    let secret = field(texts, &format!("{base}/Credentials/SecretAccessKey"))?;
    let token = field(texts, &format!("{base}/Credentials/SessionToken"))?;
    let expiration = field(texts, &format!("{base}/Credentials/Expiration"))?;
    let expiry = OffsetDateTime::parse(expiration, &Rfc3339)
        .map_err(|e| malformed(format!("Expiration {expiration:?}: {e}")))?;
    Credentials::new(akid, secret)
        .and_then(|c| c.with_session_token(token))
        .map(|c| c.with_expiry(expiry))
        .map_err(|e| malformed(e.to_string()))
}

fn parse<T>(
    status: u16,
    body: &[u8],
    ok: impl FnOnce(&[(String, String)]) -> Result<T, StsError>,
) -> Result<T, StsError> {
    let texts = texts(body)?;
    if !(200..300).contains(&status) || texts.iter().any(|(p, _)| p.starts_with("ErrorResponse/")) {
        return Err(service_error(status, &texts));
    }
    ok(&texts)
}

/// Reads an `AssumeRole` response.
pub fn parse_assume_role(status: u16, body: &[u8]) -> Result<AssumedRole, StsError> {
    parse(status, body, |t| {
        Ok(AssumedRole {
            credentials: credentials_at(t, "AssumeRoleResponse/AssumeRoleResult")?,
            arn: field(t, "AssumeRoleResponse/AssumeRoleResult/AssumedRoleUser/Arn")?.to_owned(),
            assumed_role_id: field(
                t,
                "AssumeRoleResponse/AssumeRoleResult/AssumedRoleUser/AssumedRoleId",
            )?
            .to_owned(),
        })
    })
}

/// Reads a `GetSessionToken` response.
pub fn parse_get_session_token(status: u16, body: &[u8]) -> Result<Credentials, StsError> {
    parse(status, body, |t| {
        credentials_at(t, "GetSessionTokenResponse/GetSessionTokenResult")
    })
}

/// Reads a `GetCallerIdentity` response.
pub fn parse_get_caller_identity(status: u16, body: &[u8]) -> Result<CallerIdentity, StsError> {
    parse(status, body, |t| {
        let base = "GetCallerIdentityResponse/GetCallerIdentityResult";
        Ok(CallerIdentity {
            arn: field(t, &format!("{base}/Arn"))?.to_owned(),
            user_id: field(t, &format!("{base}/UserId"))?.to_owned(),
            account: field(t, &format!("{base}/Account"))?.to_owned(),
        })
    })
}

/// Assumes each role of a profile's chain in turn, starting from `base`, sending requests
/// through `transport` (the caller's HTTP client: request in, status and body out).
/// `session_name` names sessions whose profile sets none; `mfa_code` supplies a code for
/// steps with `mfa_serial`. Each request is signed at the `clock`'s time when it is made,
/// so a slow prompt for a code does not leave the later requests signed in the past.
pub fn assume_role_chain(
    base: Credentials,
    steps: &[AssumeRoleStep],
    endpoint: &Endpoint,
    clock: &impl crate::provider::Clock,
    session_name: &str,
    mut mfa_code: impl FnMut(&str) -> Option<String>,
    mut transport: impl FnMut(http::Request<Vec<u8>>) -> Result<(u16, Vec<u8>), String>,
) -> Result<AssumedRole, StsError> {
    let mut credentials = base;
    let mut last = None;
    for step in steps {
        let mut input = AssumeRole::new(
            step.role_arn.clone(),
            step.role_session_name
                .clone()
                .unwrap_or_else(|| session_name.to_owned()),
        );
        input.duration_seconds = step.duration_seconds;
        input.external_id = step.external_id.clone();
        if let Some(serial) = &step.mfa_serial {
            let code = mfa_code(serial).ok_or_else(|| StsError::InvalidInput {
                parameter: "TokenCode",
                message: format!("the role needs a code from {serial}"),
            })?;
            input.mfa = Some((serial.clone(), code));
        }
        let request = assume_role_request(endpoint, &credentials, clock.now(), &input)?;
        let (status, body) =
            transport(request).map_err(|message| StsError::Transport { message })?;
        let assumed = parse_assume_role(status, &body)?;
        credentials = assumed.credentials.clone();
        last = Some(assumed);
    }
    last.ok_or_else(|| StsError::InvalidInput {
        parameter: "steps",
        message: "the chain has no role to assume".into(),
    })
}
