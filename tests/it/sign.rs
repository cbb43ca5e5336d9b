//! Header signing and presigning through the public API.

use sigv4::{
    Credentials, Payload, SessionTokenMode, SignableRequest, Signer, SigningError, SigningParams,
    SigningSettings, StreamingPayload,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const TIME: OffsetDateTime = datetime!(2015-08-30 12:36:00 UTC);

fn creds() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").expect("valid")
}

fn vanilla() -> SignableRequest<'static> {
    SignableRequest::new("GET", "/").header("Host", "example.amazonaws.com")
}

#[test]
fn documented_iam_example() {
    // The IAM ListUsers example of the SigV4 documentation.
    let c = creds();
    let request = SignableRequest::new("GET", "/?Action=ListUsers&Version=2010-05-08")
        .header("host", "iam.amazonaws.com")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
    let params = SigningParams::new(&c, "us-east-1", "iam", TIME);
    let (out, details) = Signer::default()
        .sign_explained(&request, &params)
        .expect("signs");
    assert_eq!(
        out.signature(),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
    assert_eq!(details.signature, out.signature());
    assert_eq!(
        out.authorization(),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
         SignedHeaders=content-type;host;x-amz-date, \
         Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
    assert!(details
        .canonical_request
        .starts_with("GET\n/\nAction=ListUsers&Version=2010-05-08\n"));
}

#[test]
fn signs_http_requests_in_place() {
    let c = creds()
        .with_session_token("token-value")
        .expect("valid token");
    let params = SigningParams::new(&c, "us-east-1", "s3", TIME);
    let mut request = http::Request::put("https://bucket.s3.amazonaws.com/key%20name")
        .header("x-amz-meta-a", "b")
        .body(b"hello".to_vec())
        .expect("valid");
    let body = request.body().clone();
    Signer::s3()
        .sign_http(&mut request, Payload::Bytes(&body), &params)
        .expect("signs");
    let h = request.headers();
    assert_eq!(h["x-amz-date"], "20150830T123600Z");
    assert_eq!(h["x-amz-security-token"], "token-value");
    assert_eq!(
        h["x-amz-content-sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    let auth = h["authorization"].to_str().expect("ASCII");
    assert!(
        auth.contains(
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-meta-a;x-amz-security-token,"
        ),
        "{auth}"
    );
}

#[test]
fn http_requests_sign_as_the_same_request_built_by_hand() {
    // `from_http` marks its names as checked lower-case tokens; the signature must be the
    // one of the same headers given by hand, in any case, and bad names still refused.
    let c = creds();
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    let request = http::Request::get("https://example.amazonaws.com/a?b=c")
        .header("X-Amz-Meta-A", "one")
        .header("x-amz-meta-a", "two")
        .header("User-Agent", "excluded")
        .header("Content-Type", "text/plain")
        .body(())
        .expect("valid");
    let signer = Signer::default();
    let from_http = signer
        .sign(
            &SignableRequest::from_http(&request, Payload::Unsigned),
            &params,
        )
        .expect("signs");
    let by_hand = SignableRequest::new("GET", "/a?b=c")
        .header("Host", "example.amazonaws.com")
        .header("x-amz-meta-a", "one")
        .header("X-AMZ-META-A", "two")
        .header("user-agent", "excluded")
        .header("content-type", "text/plain")
        .payload(Payload::Unsigned);
    assert_eq!(
        signer
            .sign(&by_hand, &params)
            .expect("signs")
            .authorization(),
        from_http.authorization()
    );
    assert!(from_http
        .authorization()
        .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-meta-a,"));
    let bad = SignableRequest::from_http(&request, Payload::Unsigned).header("bad name", "x");
    assert!(matches!(
        signer.sign(&bad, &params),
        Err(SigningError::InvalidHeaderName { .. })
    ));
}

#[test]
fn token_after_signing_is_sent_but_not_signed() {
    let c = creds().with_session_token("tok").expect("valid");
    let mut settings = SigningSettings::default();
    settings.session_token = SessionTokenMode::AddedAfterSigning;
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    let out = Signer::new(settings)
        .sign(&vanilla(), &params)
        .expect("signs");
    assert_eq!(out.session_token(), Some("tok"));
    assert!(out
        .authorization()
        .contains("SignedHeaders=host;x-amz-date,"));
    let shown = format!("{out:?}");
    assert!(!shown.contains("tok\""), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    // Without a token at all, the signature is the suite's get-vanilla one.
    assert_eq!(
        out.signature(),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn presign_http_rewrites_the_uri() {
    let c = creds();
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    let mut request = http::Request::get("https://example.amazonaws.com/?Param1=value1")
        .body(())
        .expect("valid");
    Signer::default()
        .presign_http(&mut request, Payload::Bytes(b""), &params, 3600)
        .expect("presigns");
    // The suite's get-vanilla-empty-query-key, query form.
    assert_eq!(
        request.uri().to_string(),
        "https://example.amazonaws.com/?Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request\
         &X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600\
         &X-Amz-Signature=49096700cbbaa5753443850f40df10f904fc2fdb544dc9512203cc77c471a9de"
    );
}

#[test]
fn expires_must_be_one_second_to_seven_days() {
    let c = creds();
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    let signer = Signer::default();
    for seconds in [0, 604_801, u64::MAX] {
        assert_eq!(
            signer.presign(&vanilla(), &params, seconds),
            Err(SigningError::ExpiresOutOfRange { seconds })
        );
    }
    for seconds in [1, 604_800] {
        let url = signer
            .presign(&vanilla(), &params, seconds)
            .expect("in range");
        assert!(url.target().contains(&format!("X-Amz-Expires={seconds}&")));
    }
}

#[test]
fn presigning_past_the_credentials_expiry_is_refused_unless_allowed() {
    let c = creds().with_expiry(TIME + Duration::minutes(30));
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    let refused = Signer::default().presign(&vanilla(), &params, 3600);
    assert!(matches!(
        refused,
        Err(SigningError::CredentialsExpireBeforeUrl { .. })
    ));
    assert!(Signer::default().presign(&vanilla(), &params, 1800).is_ok());
    let mut settings = SigningSettings::default();
    settings.allow_presign_beyond_expiry = true;
    assert!(Signer::new(settings)
        .presign(&vanilla(), &params, 3600)
        .is_ok());
}

#[test]
fn expired_credentials_do_not_sign() {
    let c = creds().with_expiry(TIME);
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    assert_eq!(
        Signer::default().sign(&vanilla(), &params).map(|_| ()),
        Err(SigningError::CredentialsExpired {
            expiry: TIME,
            time: TIME
        })
    );
}

#[test]
fn bad_requests_get_errors() {
    let c = creds();
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    let signer = Signer::default();
    let no_host = SignableRequest::new("GET", "/");
    assert_eq!(
        signer.sign(&no_host, &params).map(|_| ()),
        Err(SigningError::MissingHost)
    );
    let bad_name = vanilla().header("bad name", "x");
    assert!(matches!(
        signer.sign(&bad_name, &params),
        Err(SigningError::InvalidHeaderName { .. })
    ));
    let bad_value = vanilla().header("x", "a\nb");
    assert!(matches!(
        signer.sign(&bad_value, &params),
        Err(SigningError::InvalidHeaderValue { .. })
    ));
    let bad_method = SignableRequest::new("GE T", "/").header("host", "h");
    assert_eq!(
        signer.sign(&bad_method, &params).map(|_| ()),
        Err(SigningError::InvalidMethod)
    );
    let bad_hash = vanilla().payload(Payload::Precomputed("abc"));
    assert_eq!(
        signer.sign(&bad_hash, &params).map(|_| ()),
        Err(SigningError::InvalidPayloadHash)
    );
    let resigned = SignableRequest::new("GET", "/?X-Amz-Signature=abc").header("host", "h");
    assert!(matches!(
        signer.presign(&resigned, &params, 60),
        Err(SigningError::QueryAlreadySigned { .. })
    ));
    let bad_region = SigningParams::new(&c, "us east", "service", TIME);
    assert!(matches!(
        signer.sign(&vanilla(), &bad_region),
        Err(SigningError::InvalidScope { part: "region", .. })
    ));
}

#[test]
fn excluded_headers_are_not_signed() {
    let c = creds();
    let params = SigningParams::new(&c, "us-east-1", "service", TIME);
    let request = vanilla()
        .header("User-Agent", "curl/8")
        .header("X-Amzn-Trace-Id", "Root=1")
        .header("Authorization", "old")
        .header("Connection", "keep-alive");
    let out = Signer::default().sign(&request, &params).expect("signs");
    assert_eq!(
        out.signature(),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn payload_kinds_reach_the_canonical_request() {
    let c = creds();
    let params = SigningParams::new(&c, "us-east-1", "s3", TIME);
    let signer = Signer::s3();
    for (payload, last_line) in [
        (Payload::Unsigned, "UNSIGNED-PAYLOAD"),
        (
            Payload::Streaming(StreamingPayload::Signed),
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        ),
        (
            Payload::Precomputed(
                "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            ),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ),
        (
            Payload::Bytes(b"Param1=value1"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        ),
    ] {
        let request = vanilla().payload(payload);
        let (out, details) = signer.sign_explained(&request, &params).expect("signs");
        assert!(details
            .canonical_request
            .ends_with(&format!("\n{last_line}")));
        assert_eq!(out.content_sha256(), Some(last_line));
    }
}

#[test]
fn the_key_cache_does_not_change_signatures() {
    let signer = Signer::default();
    let a = creds();
    let b = Credentials::new("AKIDEXAMPLE", "another-secret").expect("valid");
    let sig = |c: &Credentials| {
        let params = SigningParams::new(c, "us-east-1", "service", TIME);
        signer
            .sign(&vanilla(), &params)
            .expect("signs")
            .signature()
            .to_owned()
    };
    let first = sig(&a);
    let rotated = sig(&b);
    assert_ne!(
        first, rotated,
        "a rotated secret must not reuse the old key"
    );
    assert_eq!(sig(&a), first);
    assert_eq!(
        first,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}

#[test]
fn the_key_cache_keeps_each_keys_authorization_opening() {
    // Two access key ids with one secret, and every other part of the scope the same: on
    // a cache hit each signature still names its own credential and scope.
    let signer = Signer::default();
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let authorization = |akid: &str, region: &str| {
        let c = Credentials::new(akid, secret).expect("valid");
        let params = SigningParams::new(&c, region, "service", TIME);
        signer
            .sign(&vanilla(), &params)
            .expect("signs")
            .authorization()
            .to_owned()
    };
    for _ in 0..2 {
        for (akid, region) in [
            ("AKIDEXAMPLE", "us-east-1"),
            ("AKIDOTHER", "us-east-1"),
            ("AKIDEXAMPLE", "eu-west-1"),
        ] {
            let value = authorization(akid, region);
            let prefix = format!(
                "AWS4-HMAC-SHA256 Credential={akid}/20150830/{region}/service/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature="
            );
            assert!(value.starts_with(&prefix), "{value}");
        }
    }
    assert_eq!(
        authorization("AKIDEXAMPLE", "us-east-1"),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
}
