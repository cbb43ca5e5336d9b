//! `sigv4 serve`: a local STS and signature-checking endpoint. Every request is verified as
//! AWS verifies it; STS actions issue sessions whose tokens seal their own credentials.

pub mod sts;
pub mod token;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use sha2::{Digest, Sha256};
use sigv4::{
    Body, CredentialStore, DecoderSettings, Dialect, Principal, SignableRequest, StoredCredential,
    Verifier, VerifyError,
};
use time::OffsetDateTime;
use tokio::net::TcpListener;

use crate::config::Config;
use sts::Caller;
use token::Sealer;

/// The largest request body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;
/// How long a request (head and body) may take.
const REQUEST_TIMEOUT: StdDuration = StdDuration::from_secs(30);

/// The embedded demo: one account, a user with the documentation's example key pair, a role
/// that trusts the user.
pub const DEMO_CONFIG: &str = r#"
[[users]]
arn = "arn:aws:iam::123456789012:user/user1"
access_keys = [{ access_key_id = "AKIAIOSFODNN7EXAMPLE", secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }]

[[roles]]
arn = "arn:aws:iam::123456789012:role/marketingadminrole"
trust_policy = '''
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"AWS": "arn:aws:iam::123456789012:user/user1"}, "Action": "sts:AssumeRole"}]}
'''
max_session_duration = 3600
"#;

/// The server's state, shared by every connection.
pub struct State {
    pub config: Config,
    pub verifier: Verifier,
    pub sealer: Sealer,
    next_id: AtomicU64,
}

impl State {
    pub fn new(config: Config) -> Result<Self, String> {
        let key = match config.iam.token_key {
            Some(key) => key,
            None => token::random()?,
        };
        Ok(Self {
            verifier: Verifier::new(config.settings.clone()),
            sealer: Sealer::new(key),
            config,
            next_id: AtomicU64::new(1),
        })
    }

    fn request_id(&self) -> String {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        format!("00000000-0000-4000-8000-{n:012x}")
    }
}

fn respond(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", "local")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// An error in the dialect of the service the request is for.
fn error_response(
    error: &VerifyError,
    dialect: Dialect,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let aws = error.to_aws(dialect);
    tracing::info!(code = aws.code, status = aws.status, reason = %error, "rejected");
    match dialect {
        Dialect::S3 => {
            let mut extra = String::new();
            if let VerifyError::SignatureDoesNotMatch {
                canonical_request,
                string_to_sign,
            } = error
            {
                extra = format!(
                    "<StringToSign>{}</StringToSign><CanonicalRequest>{}</CanonicalRequest>",
                    sts::escape(string_to_sign),
                    sts::escape(canonical_request)
                );
            }
            respond(
                aws.status,
                "application/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>{extra}<RequestId>{request_id}</RequestId></Error>",
                    aws.code,
                    sts::escape(&aws.message)
                ),
            )
        }
        _ => {
            let mut message = aws.message.clone();
            if let VerifyError::SignatureDoesNotMatch {
                canonical_request,
                string_to_sign,
            } = error
            {
                message.push_str(&format!(
                    "\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
                ));
            }
            let answer = sts::error(aws.status, aws.code, &message, request_id);
            respond(answer.status, "text/xml", answer.body)
        }
    }
}

/// The credential behind an access key id: a configured one, or an issued session opened
/// from its token.
fn credential(
    state: &State,
    access_key_id: &str,
    token: Option<&str>,
) -> Result<Option<Arc<StoredCredential>>, VerifyError> {
    if let Some(found) = state.config.store.lookup(access_key_id) {
        return Ok(Some(found));
    }
    if !access_key_id.starts_with("ASIA") {
        return Ok(None);
    }
    let Some(token) = token else {
        return Err(VerifyError::MissingSecurityToken);
    };
    let session = state
        .sealer
        .open(access_key_id, token)
        .ok_or(VerifyError::InvalidSecurityToken)?;
    let mut stored = StoredCredential::new(access_key_id, session.secret_access_key.clone())
        .session_token(token)
        .principal(Principal {
            arn: session.arn.clone(),
            account: session.account.clone(),
            user_id: session.user_id.clone(),
        });
    if let Some(expiry) = session.expiry() {
        stored = stored.expiry(expiry);
    }
    Ok(Some(Arc::new(stored)))
}

fn form(text: &str) -> BTreeMap<String, String> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = state.request_id();
    let (parts, body) = request.into_parts();
    if parts.method == hyper::Method::GET && parts.uri.path() == "/health" {
        return Ok(respond(200, "text/plain", "ok\n".into()));
    }
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(respond(
                413,
                "text/plain",
                format!("the body exceeds {MAX_BODY} bytes\n"),
            ));
        }
    };
    let now = OffsetDateTime::now_utc();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let mut signable = SignableRequest::new(parts.method.as_str(), &target);
    for (name, value) in &parts.headers {
        signable.push_header(name.as_str(), value.as_bytes());
    }
    let dialect = dialect_of(&state.verifier, &signable, &body);
    let verified = (|| {
        let pending = state.verifier.parse(&signable, Body::Bytes(&body), now)?;
        let token = pending.session_token();
        let found = credential(&state, pending.access_key_id(), token.as_deref())?;
        pending.finish(&state.verifier, found)
    })();
    let verified = match verified {
        Ok(v) => v,
        Err(e) => return Ok(error_response(&e, dialect, &request_id)),
    };
    // aws-chunked bodies: every chunk and the trailer checked, the data recovered.
    let mut data: Option<Vec<u8>> = None;
    match verified.chunked_decoder(&signable, DecoderSettings::default()) {
        Ok(Some(mut decoder)) => {
            let mut decoded = Vec::new();
            let result = decoder
                .feed(&body, |d| decoded.extend_from_slice(d))
                .and_then(|()| decoder.finish());
            if let Err(e) = result {
                return Ok(error_response(&e, dialect, &request_id));
            }
            data = Some(decoded);
        }
        Ok(None) => {}
        Err(e) => return Ok(error_response(&e, dialect, &request_id)),
    }
    let principal = &verified.credential.principal;
    let caller = Caller {
        arn: principal.arn.clone(),
        account: principal.account.clone(),
        user_id: principal.user_id.clone(),
        role_arn: state
            .config
            .store
            .lookup(&verified.credential.access_key_id)
            .is_none()
            .then(|| principal.arn.clone())
            .filter(|arn| arn.contains(":assumed-role/"))
            .and_then(|arn| role_of_session(&arn)),
    };
    tracing::info!(
        method = %parts.method,
        path = %parts.uri.path(),
        access_key_id = %verified.credential.access_key_id,
        caller = %caller.arn,
        "verified"
    );
    if verified.scope().service() == "sts" {
        let params = if parts.method == hyper::Method::POST {
            form(&String::from_utf8_lossy(&body))
        } else {
            form(parts.uri.query().unwrap_or(""))
        };
        let answer = sts::handle(
            &state.config.iam,
            &state.sealer,
            &caller,
            &params,
            now,
            &request_id,
        );
        return Ok(respond(answer.status, "text/xml", answer.body));
    }
    let data = data.as_deref().unwrap_or(&body);
    let mut identity = json!({
        "arn": caller.arn,
        "account": caller.account,
        "user_id": caller.user_id,
        "access_key_id": verified.credential.access_key_id,
        "service": verified.scope().service(),
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
    });
    let sha256 = hex::encode(Sha256::digest(data));
    if parts.method == hyper::Method::PUT || parts.method == hyper::Method::POST {
        identity["body"] = json!({ "bytes": data.len(), "sha256": sha256 });
    }
    if verified.scope().service() == "s3" && parts.method == hyper::Method::PUT {
        // S3 clients read a PUT's answer from its headers and treat a body as an error.
        let response = Response::builder()
            .status(200)
            .header("etag", format!("\"{}\"", &sha256[..32]))
            .header("x-sigv4-caller", caller.arn.as_str())
            .header("x-sigv4-body-bytes", data.len().to_string())
            .header("x-sigv4-body-sha256", sha256.as_str())
            .body(Full::new(Bytes::new()))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())));
        return Ok(response);
    }
    Ok(respond(200, "application/json", format!("{identity}\n")))
}

/// The dialect to answer in: the signed service's, or for requests whose signature cannot
/// be read, the query protocol's when they look like an API call (`Action=`), S3's
/// otherwise.
fn dialect_of(verifier: &Verifier, request: &SignableRequest<'_>, body: &[u8]) -> Dialect {
    let signed = request
        .headers()
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        || request
            .query()
            .is_some_and(|q| q.contains("X-Amz-Credential="));
    if signed {
        return verifier.dialect_of(request);
    }
    let action = request.query().is_some_and(|q| q.contains("Action="))
        || body.starts_with(b"Action=")
        || body.windows(8).any(|w| w == b"&Action=");
    if action {
        Dialect::Query
    } else {
        Dialect::S3
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` → the role's ARN.
fn role_of_session(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:sts::")?;
    let (account, resource) = rest.split_once(':')?;
    let (role, _) = resource.strip_prefix("assumed-role/")?.rsplit_once('/')?;
    Some(format!("arn:aws:iam::{account}:role/{role}"))
}

/// Serves until SIGINT or SIGTERM. `ready` receives the bound address.
pub async fn run(
    state: State,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    ready(local);
    let state = Arc::new(state);
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move {
                    match tokio::time::timeout(REQUEST_TIMEOUT, handle(state, request)).await {
                        Ok(response) => response,
                        Err(_) => Ok(respond(408, "text/plain", "request timeout\n".into())),
                    }
                }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(StdDuration::from_secs(10))
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    tracing::info!("shutting down");
    Ok(())
}
