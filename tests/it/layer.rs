//! The verification layer around a tower service.

use std::convert::Infallible;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use sigv4::layer::{SigV4Layer, VerifiedRequest};
use sigv4::provider::Clock;
use sigv4::{
    ChunkedBody, Credentials, InMemoryStore, Payload, Principal, SignableRequest, Signer,
    SigningParams, StoredCredential, StreamingPayload, Verifier,
};
use time::macros::datetime;
use time::OffsetDateTime;
use tower::{Layer, ServiceExt};

const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> OffsetDateTime {
        NOW
    }
}

fn layer() -> SigV4Layer<InMemoryStore> {
    let mut store = InMemoryStore::new();
    store.insert(
        StoredCredential::new("AKIDEXAMPLE", "secret").principal(Principal {
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            account: "123456789012".into(),
            user_id: "AIDAALICE".into(),
        }),
    );
    SigV4Layer::with_clock(Verifier::default(), store, Fixed, 1024 * 1024)
}

/// The service behind: echoes who called and what body it got.
async fn echo(request: Request<Full<Bytes>>) -> Result<Response<Full<Bytes>>, Infallible> {
    let who = request.extensions().get::<VerifiedRequest>().cloned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let text = format!(
        "{}|{}|{}",
        who.map(|w| w.principal.arn).unwrap_or_default(),
        body.len(),
        String::from_utf8_lossy(&body[..body.len().min(5)])
    );
    Ok(Response::new(Full::new(Bytes::from(text))))
}

fn signed(method: &str, uri: &str, body: &[u8], secret: &str, s3: bool) -> Request<Full<Bytes>> {
    let creds = Credentials::new("AKIDEXAMPLE", secret).expect("valid");
    let params = SigningParams::new(&creds, "us-east-1", if s3 { "s3" } else { "service" }, NOW);
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(Full::new(Bytes::copy_from_slice(body)))
        .expect("valid");
    let signer = if s3 { Signer::s3() } else { Signer::default() };
    signer
        .sign_http(&mut request, Payload::Bytes(body), &params)
        .expect("signs");
    request
}

async fn call(request: Request<Full<Bytes>>) -> (u16, String) {
    let service = layer().layer(tower::service_fn(echo));
    let response = service.oneshot(request).await.expect("infallible");
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn admits_signed_requests_and_names_the_caller() {
    let (status, body) = call(signed(
        "POST",
        "https://example.amazonaws.com/x",
        b"hello",
        "secret",
        false,
    ))
    .await;
    assert_eq!(
        (status, body.as_str()),
        (200, "arn:aws:iam::123456789012:user/alice|5|hello")
    );
}

#[tokio::test]
async fn rejects_in_the_services_dialect() {
    let (status, body) = call(signed(
        "GET",
        "https://bucket.s3.amazonaws.com/k",
        b"",
        "wrong",
        true,
    ))
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>")
            && body.contains("<CanonicalRequest>GET\n/k\n"),
        "{body}"
    );
    let (status, body) = call(signed(
        "GET",
        "https://example.amazonaws.com/",
        b"",
        "wrong",
        false,
    ))
    .await;
    assert_eq!(status, 403);
    assert!(
        body.contains("<ErrorResponse") && body.contains("The Canonical String for this request"),
        "{body}"
    );
    let unsigned = Request::get("https://bucket.s3.amazonaws.com/k")
        .body(Full::new(Bytes::new()))
        .expect("valid");
    let (status, body) = call(unsigned).await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
}

#[tokio::test]
async fn a_changed_body_is_refused() {
    let mut request = signed(
        "PUT",
        "https://bucket.s3.amazonaws.com/k",
        b"hello",
        "secret",
        true,
    );
    *request.body_mut() = Full::new(Bytes::from_static(b"jello"));
    let (status, body) = call(request).await;
    assert_eq!(status, 400);
    assert!(body.contains("XAmzContentSHA256Mismatch"), "{body}");
}

#[tokio::test]
async fn aws_chunked_bodies_reach_the_service_decoded() {
    let data = vec![b'z'; 20_000];
    let creds = Credentials::new("AKIDEXAMPLE", "secret").expect("valid");
    let params = SigningParams::new(&creds, "us-east-1", "s3", NOW);
    let chunked = ChunkedBody::new(StreamingPayload::Signed, data.len() as u64)
        .chunk_size(8192)
        .expect("size");
    let mut builder = Request::put("https://bucket.s3.amazonaws.com/big");
    for (name, value) in chunked.headers() {
        builder = builder.header(name, value);
    }
    let mut request = builder.body(Full::new(Bytes::new())).expect("valid");
    let signer = Signer::s3();
    let seed = signer
        .sign(
            &SignableRequest::from_http(&request, Payload::Streaming(StreamingPayload::Signed)),
            &params,
        )
        .expect("signs");
    seed.apply_to(&mut request).expect("applied");
    let wire = signer
        .chunked_encoder(&params, &seed, chunked)
        .and_then(|e| e.encode_all(&data))
        .expect("encodes");
    *request.body_mut() = Full::new(Bytes::from(wire));
    let (status, body) = call(request).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "arn:aws:iam::123456789012:user/alice|20000|zzzzz")
    );
}

#[test]
fn query_errors_are_escaped_and_typed() {
    let doc = sigv4::layer::query_error_document(403, "AccessDenied", "user 'a' & <b>", "rid-1");
    assert!(doc.contains("<Type>Sender</Type>"), "{doc}");
    assert!(doc.contains("<Code>AccessDenied</Code>"), "{doc}");
    assert!(
        doc.contains("<Message>user &apos;a&apos; &amp; &lt;b&gt;</Message>"),
        "{doc}"
    );
    assert!(doc.contains("<RequestId>rid-1</RequestId>"), "{doc}");
    let doc = sigv4::layer::query_error_document(503, "ServiceUnavailable", "later", "r");
    assert!(doc.contains("<Type>Receiver</Type>"), "{doc}");
}

#[tokio::test]
async fn a_request_without_host_is_checked_against_its_authority_as_signed() {
    // As an HTTP/2 request arrives: no Host header, the authority in the URI with its
    // default port, which the signer leaves out of `host`.
    let request = signed(
        "GET",
        "https://example.amazonaws.com:443/x",
        b"",
        "secret",
        false,
    );
    assert!(!request.headers().contains_key(http::header::HOST));
    let (status, body) = call(request).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "arn:aws:iam::123456789012:user/alice|0|")
    );
}
