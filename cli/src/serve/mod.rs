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
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use sha2::{Digest, Sha256};
use sigv4::layer::{SigV4Layer, VerifiedRequest};
use sigv4::{CredentialStore, Principal, SentToken, StoredCredential, Verifier, VerifyError};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tower::{Layer, Service};

use crate::config::{Config, Iam};
use sts::Caller;
use token::Sealer;

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

/// What the service behind the verification layer needs.
pub struct State {
    pub iam: crate::config::Iam,
    pub sealer: Arc<Sealer>,
    next_id: AtomicU64,
}

/// The credentials `serve` knows: those of the configuration, and issued sessions opened
/// from their sealed tokens.
pub struct ServeStore {
    store: sigv4::InMemoryStore,
    sealer: Arc<Sealer>,
}

impl CredentialStore for ServeStore {
    type Data = ();

    fn lookup(&self, access_key_id: &str) -> Option<Arc<StoredCredential>> {
        self.store.lookup(access_key_id)
    }

    fn lookup_with_token(
        &self,
        access_key_id: &str,
        session_token: SentToken<'_>,
    ) -> Result<Option<Arc<StoredCredential>>, VerifyError> {
        if let Some(found) = self.store.lookup(access_key_id) {
            return Ok(Some(found));
        }
        if !access_key_id.starts_with("ASIA") {
            return Ok(None);
        }
        let token = session_token
            .get()
            .ok_or(VerifyError::MissingSecurityToken)?;
        let session = self
            .sealer
            .open(access_key_id, &token)
            .ok_or(VerifyError::InvalidSecurityToken)?;
        // Every issued session expires: one whose expiry cannot be read is not ours.
        let expiry = session.expiry().ok_or(VerifyError::InvalidSecurityToken)?;
        let stored = StoredCredential::new(access_key_id, session.secret_access_key.clone())
            .session_token(token)
            .expiry(expiry)
            .principal(Principal {
                arn: session.arn.clone(),
                account: session.account.clone(),
                user_id: session.user_id.clone(),
            });
        Ok(Some(Arc::new(stored)))
    }
}

/// The verification layer and the state of the service behind it, from a configuration.
pub fn build(config: Config) -> Result<(SigV4Layer<ServeStore>, Arc<State>), String> {
    let key = match config.iam.token_key {
        Some(key) => key,
        None => token::random()?,
    };
    let sealer = Arc::new(Sealer::new(key));
    let verifier = Verifier::new(config.settings);
    let store = ServeStore {
        store: config.store,
        sealer: sealer.clone(),
    };
    // The layer's default body limit, 64 MiB, is serve's.
    let layer = SigV4Layer::new(verifier, store);
    let state = Arc::new(State {
        iam: config.iam,
        sealer,
        next_id: AtomicU64::new(1),
    });
    Ok((layer, state))
}

fn respond(status: u16, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
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

/// The service behind the layer: STS actions, or the caller's identity.
async fn app(
    state: Arc<State>,
    request: Request<Full<Bytes>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = format!(
        "00000000-0000-4000-9000-{:012x}",
        state.next_id.fetch_add(1, Ordering::Relaxed)
    );
    let Some(verified) = request.extensions().get::<VerifiedRequest>().cloned() else {
        return Ok(respond(500, "text/plain", "no verified identity\n".into()));
    };
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let principal = &verified.principal;
    let caller = Caller {
        arn: principal.arn.clone(),
        account: principal.account.clone(),
        user_id: principal.user_id.clone(),
        // Only STS asks which role a session belongs to.
        role_arn: None,
        temporary: verified.temporary,
    };
    tracing::info!(
        method = %parts.method,
        path = %parts.uri.path(),
        access_key_id = %verified.access_key_id,
        caller = %caller.arn,
        "verified"
    );
    if verified.service == "sts" {
        let caller = Caller {
            role_arn: role_of_session(&state.iam, &caller.arn),
            ..caller
        };
        let params = if parts.method == hyper::Method::POST {
            form(&String::from_utf8_lossy(&body))
        } else {
            form(parts.uri.query().unwrap_or(""))
        };
        let answer = sts::handle(
            &state.iam,
            &state.sealer,
            &caller,
            &params,
            OffsetDateTime::now_utc(),
            &request_id,
        );
        return Ok(respond(answer.status, "text/xml", answer.body));
    }
    let sha256 = hex::encode(Sha256::digest(&body));
    if verified.service == "s3" && parts.method == hyper::Method::PUT {
        // S3 clients read a PUT's answer from its headers and treat a body as an error.
        let response = Response::builder()
            .status(200)
            .header("etag", format!("\"{}\"", &sha256[..32]))
            .header("x-sigv4-caller", caller.arn.as_str())
            .header("x-sigv4-body-bytes", body.len().to_string())
            .header("x-sigv4-body-sha256", sha256.as_str())
            .body(Full::new(Bytes::new()))
            .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())));
        return Ok(response);
    }
    let mut identity = json!({
        "arn": caller.arn,
        "account": caller.account,
        "user_id": caller.user_id,
        "access_key_id": verified.access_key_id,
        "temporary": verified.temporary,
        "service": verified.service,
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
    });
    if parts.method == hyper::Method::PUT || parts.method == hyper::Method::POST {
        identity["body"] = json!({ "bytes": body.len(), "sha256": sha256 });
    }
    Ok(respond(200, "application/json", format!("{identity}\n")))
}

/// The role of a session's ARN, with its path when the configuration has the role (the
/// session's ARN leaves the path out).
fn role_of_session(iam: &Iam, arn: &str) -> Option<String> {
    let bare = sigv4::policy::session_role_arn(arn)?;
    // `arn:aws:iam::ACCOUNT:role/NAME`: the account is the fifth part, the name follows.
    let mut parts = bare.splitn(6, ':');
    let account = parts.nth(4)?;
    let name = parts.next()?.strip_prefix("role/")?;
    let configured = iam
        .roles
        .iter()
        .find(|role| role.account == account && role.name == name);
    Some(configured.map_or_else(|| bare.clone(), |role| role.arn.clone()))
}

/// Serves until SIGINT or SIGTERM. `ready` receives the bound address.
pub async fn run(
    config: Config,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), String> {
    let (layer, state) = build(config)?;
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    ready(local);
    let service = layer.layer(tower::service_fn(move |request| {
        app(state.clone(), request)
    }));
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
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
        let service = service.clone();
        let connection = {
            let connection_service =
                hyper::service::service_fn(move |request: Request<Incoming>| {
                    let mut service = service.clone();
                    async move {
                        if request.method() == hyper::Method::GET
                            && request.uri().path() == "/health"
                        {
                            return Ok(respond(200, "text/plain", "ok\n".into()).map(Either::Right));
                        }
                        match tokio::time::timeout(REQUEST_TIMEOUT, service.call(request)).await {
                            Ok(response) => {
                                if let Ok(r) = &response {
                                    if r.status().as_u16() >= 400 {
                                        tracing::info!(status = r.status().as_u16(), "rejected");
                                    }
                                }
                                response
                            }
                            Err(_) => Ok(respond(408, "text/plain", "request timeout\n".into())
                                .map(Either::Right)),
                        }
                    }
                });
            http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(StdDuration::from_secs(10))
                .serve_connection(TokioIo::new(stream), connection_service)
        };
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    // Requests in flight finish (for a bounded time); idle connections close.
    tracing::info!("shutting down");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(REQUEST_TIMEOUT) => tracing::warn!("requests still in flight at shutdown"),
    }
    Ok(())
}
