//! A `tower` layer that verifies every request before the service behind it sees it: add it
//! to a hyper or tower stack (axum through its tower integration) in one line. The body is
//! read (up to a limit), verified with the signature, `aws-chunked` bodies decoded, and the
//! caller put into the request's extensions as a [`VerifiedRequest`]. Failures are answered
//! in AWS's own XML, S3's or the query protocol's.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Either, Full, Limited};
use tower_layer::Layer;
use tower_service::Service;

use crate::chunked::DecoderSettings;
use crate::provider::{Clock, SystemClock};
use crate::request::SignableRequest;
use crate::verify::{
    AuthLocation, Body, CredentialStore, Dialect, Principal, Verifier, VerifyError,
};

/// What the layer knows of an authentic request, in its extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The access key id that signed.
    pub access_key_id: String,
    /// Who it belongs to.
    pub principal: Principal,
    /// The credential scope's region.
    pub region: String,
    /// The credential scope's service.
    pub service: String,
    /// Where the signature was.
    pub location: AuthLocation,
    /// Whether the credential is temporary (it had a session token).
    pub temporary: bool,
    /// The body's length as the service receives it (decoded, for `aws-chunked`).
    pub body_length: u64,
}

struct Shared<S> {
    verifier: Verifier,
    store: S,
    clock: Box<dyn Clock>,
    max_body: usize,
    next_id: AtomicU64,
}

/// The layer; cheap to clone.
pub struct SigV4Layer<S> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for SigV4Layer<S> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<S> fmt::Debug for SigV4Layer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Layer")
            .field("max_body", &self.shared.max_body)
            .finish_non_exhaustive()
    }
}

/// The largest body the layer reads unless told otherwise: 64 MiB.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024 * 1024;

impl<S: CredentialStore> SigV4Layer<S> {
    /// Verifies with `verifier`, finding credentials in `store`, on the system clock.
    pub fn new(verifier: Verifier, store: S) -> Self {
        Self::with_clock(verifier, store, SystemClock, DEFAULT_MAX_BODY)
    }

    /// With a clock and a body limit of the caller's.
    pub fn with_clock(
        verifier: Verifier,
        store: S,
        clock: impl Clock + 'static,
        max_body: usize,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                verifier,
                store,
                clock: Box::new(clock),
                max_body,
                next_id: AtomicU64::new(1),
            }),
        }
    }
}

impl<S, Inner> Layer<Inner> for SigV4Layer<S> {
    type Service = SigV4Service<S, Inner>;

    fn layer(&self, inner: Inner) -> Self::Service {
        SigV4Service {
            shared: self.shared.clone(),
            inner,
        }
    }
}

/// The service the layer wraps around another.
pub struct SigV4Service<S, Inner> {
    shared: Arc<Shared<S>>,
    inner: Inner,
}

impl<S, Inner: Clone> Clone for SigV4Service<S, Inner> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S, Inner> fmt::Debug for SigV4Service<S, Inner> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4Service").finish_non_exhaustive()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, Inner, B, ResBody> Service<Request<B>> for SigV4Service<S, Inner>
where
    S: CredentialStore + Send + Sync + 'static,
    S::Data: Send + Sync + 'static,
    Inner: Service<Request<Full<Bytes>>, Response = Response<ResBody>> + Clone + Send + 'static,
    Inner::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<ResBody, Full<Bytes>>>;
    type Error = Inner::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        // The clone that was made ready goes into the future; a fresh one stays behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
            // Only an error answer carries the id: it is written out only for one.
            let request_id = || format!("00000000-0000-4000-8000-{id:012x}");
            let (parts, body) = request.into_parts();
            let body = match Limited::new(body, shared.max_body).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => {
                    let too_large = VerifyError::TooLarge {
                        what: "body",
                        limit: shared.max_body,
                    };
                    return Ok(
                        error_response(&too_large, Dialect::S3, &request_id()).map(Either::Right)
                    );
                }
            };
            match verify(&shared, &parts, &body) {
                Ok((verified, data)) => {
                    let mut request = Request::from_parts(parts, Full::new(data));
                    request.extensions_mut().insert(verified);
                    inner.call(request).await.map(|r| r.map(Either::Left))
                }
                Err((error, dialect)) => {
                    Ok(error_response(&error, dialect, &request_id()).map(Either::Right))
                }
            }
        })
    }
}

fn verify<S: CredentialStore>(
    shared: &Shared<S>,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<(VerifiedRequest, Bytes), (VerifyError, Dialect)> {
    // The payload is the verifier's to read from the body, not the request's to declare.
    let request = SignableRequest::from_http_parts(
        &parts.method,
        &parts.uri,
        &parts.headers,
        crate::Payload::default(),
    );
    // Which dialect to answer in matters only for an error, so it is guessed only then.
    let fail = |e: VerifyError| {
        let dialect = guess_dialect(&shared.verifier, &request, body);
        (e, dialect)
    };
    let verified = shared
        .verifier
        .verify(
            &request,
            Body::Bytes(body),
            &shared.store,
            shared.clock.now(),
        )
        .map_err(fail)?;
    let dialect = Dialect::for_service(verified.scope().service());
    let data = match verified
        .chunked_decoder(&request, DecoderSettings::default())
        .map_err(|e| (e, dialect))?
    {
        None => body.clone(),
        Some(mut decoder) => {
            let mut decoded = Vec::with_capacity(body.len());
            decoder
                .feed(body, |d| decoded.extend_from_slice(d))
                .and_then(|()| decoder.finish().map(|_| ()))
                .map_err(|e| (e, dialect))?;
            Bytes::from(decoded)
        }
    };
    let scope = verified.scope();
    Ok((
        VerifiedRequest {
            access_key_id: verified.credential.access_key_id.clone(),
            principal: verified.credential.principal.clone(),
            region: scope.region().to_owned(),
            service: scope.service().to_owned(),
            location: verified.location,
            temporary: verified.credential.session_token.is_some(),
            body_length: data.len() as u64,
        },
        data,
    ))
}

/// The dialect to answer in: the signed service's, or for a request whose signature cannot
/// be read, the query protocol's when it looks like an API call (`Action=`), S3's otherwise.
pub fn guess_dialect(verifier: &Verifier, request: &SignableRequest<'_>, body: &[u8]) -> Dialect {
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

/// `text` with XML's five special characters escaped, for element content.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The query protocol's `<ErrorResponse>` (STS, IAM, SQS and the like), for errors a
/// service finds after the signature checked out, such as `AccessDenied`. A status of 500
/// and up is the `Receiver`'s fault, anything else the `Sender`'s.
pub fn query_error_document(status: u16, code: &str, message: &str, request_id: &str) -> String {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
        escape(code),
        escape(message),
        escape(request_id)
    )
}

/// An error as AWS answers it: S3's `<Error>` document (with `CanonicalRequest` and
/// `StringToSign` on a signature mismatch), or the query protocol's `<ErrorResponse>`.
pub fn error_response(
    error: &VerifyError,
    dialect: Dialect,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let aws = error.to_aws(dialect);
    let (content_type, body) = match dialect {
        Dialect::S3 => {
            let mut extra = String::new();
            if let VerifyError::SignatureDoesNotMatch {
                canonical_request,
                string_to_sign,
            } = error
            {
                extra = format!(
                    "<StringToSign>{}</StringToSign><CanonicalRequest>{}</CanonicalRequest>",
                    escape(string_to_sign),
                    escape(canonical_request)
                );
            }
            (
                "application/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>{extra}<RequestId>{request_id}</RequestId></Error>",
                    aws.code,
                    escape(&aws.message)
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
            (
                "text/xml",
                query_error_document(aws.status, aws.code, &message, request_id),
            )
        }
    };
    Response::builder()
        .status(aws.status)
        .header(http::header::CONTENT_TYPE, content_type)
        .header("x-amzn-requestid", request_id)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// The layered service's response: the inner service's, or the layer's error.
pub type LayeredResponse<ResBody> = Response<Either<ResBody, Full<Bytes>>>;
