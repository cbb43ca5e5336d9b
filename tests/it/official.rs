//! Cross-checks against the official `aws-sigv4` crate: over generated requests, both
//! signers produce the same signature, in headers and in the query string.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    self as aws, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignatureLocation,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use proptest::prelude::*;
use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningParams};
use time::OffsetDateTime;

/// A request in the subset of inputs both crates read alike: percent-encoded paths and
/// queries (no raw `+`, which `aws-sigv4` decodes as a space), lower-case header names
/// outside both exclusion lists.
#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    token: Option<String>,
    secs: u64,
    s3: bool,
    presign: Option<u64>,
}

fn segment() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9._~-]".prop_map(|s| s),
            // Escapes of whole UTF-8 characters: `aws-sigv4` decodes the query into a
            // `String`, replacing invalid UTF-8, where this crate keeps the bytes.
            any::<char>().prop_map(|c| {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect::<String>()
            }),
        ],
        1..6,
    )
    .prop_map(|parts| parts.concat())
    .prop_filter("no dot segments", |s| s != "." && s != "..")
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![
            Just("GET"),
            Just("PUT"),
            Just("POST"),
            Just("DELETE"),
            Just("HEAD")
        ],
        proptest::collection::vec(segment(), 0..4),
        proptest::collection::vec((segment(), proptest::option::of(segment())), 0..4),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("x-amz-meta-a"),
                    Just("content-type"),
                    Just("x-custom"),
                    Just("range")
                ],
                "[a-zA-Z0-9,;=/]{1,4}( {1,3}[a-zA-Z0-9]{1,4}){0,2}",
            ),
            0..5,
        ),
        proptest::collection::vec(any::<u8>(), 0..64),
        proptest::option::of("[A-Za-z0-9/+=]{8,40}"),
        0u64..4_000_000_000,
        any::<bool>(),
        proptest::option::of(1u64..=604_800),
    )
        .prop_map(
            |(method, segments, params, headers, body, token, secs, s3, presign)| Case {
                method,
                path: format!("/{}", segments.join("/")),
                query: params
                    .iter()
                    .map(|(k, v)| match v {
                        Some(v) => format!("{k}={v}"),
                        None => format!("{k}="),
                    })
                    .collect::<Vec<_>>()
                    .join("&"),
                headers: headers
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect(),
                body,
                token,
                secs,
                s3,
                presign,
            },
        )
}

fn ours(case: &Case) -> String {
    let mut c =
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").expect("valid");
    if let Some(token) = &case.token {
        c = c.with_session_token(token.clone()).expect("valid token");
    }
    let time = OffsetDateTime::from_unix_timestamp(case.secs as i64).expect("in range");
    let params = SigningParams::new(
        &c,
        "us-east-1",
        if case.s3 { "s3" } else { "service" },
        time,
    );
    let target = if case.query.is_empty() {
        case.path.clone()
    } else {
        format!("{}?{}", case.path, case.query)
    };
    let payload = if case.s3 && case.presign.is_some() {
        Payload::Unsigned
    } else {
        Payload::Bytes(&case.body)
    };
    let mut request = SignableRequest::new(case.method, &target)
        .header("host", "example.amazonaws.com")
        .payload(payload);
    for (name, value) in &case.headers {
        request.push_header(name, value.as_bytes());
    }
    let signer = if case.s3 {
        Signer::s3()
    } else {
        Signer::default()
    };
    match case.presign {
        Some(expires) => signer
            .presign(&request, &params, expires)
            .expect("presigns")
            .signature()
            .to_owned(),
        None => signer
            .sign(&request, &params)
            .expect("signs")
            .signature()
            .to_owned(),
    }
}

fn official(case: &Case) -> String {
    let identity: Identity = AwsCredentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        case.token.clone(),
        None,
        "test",
    )
    .into();
    let mut settings = aws::SigningSettings::default();
    if case.s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if case.presign.is_none() {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
    }
    if let Some(expires) = case.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name(if case.s3 { "s3" } else { "service" })
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(case.secs))
        .settings(settings)
        .build()
        .expect("valid params")
        .into();
    let uri = if case.query.is_empty() {
        format!("https://example.amazonaws.com{}", case.path)
    } else {
        format!("https://example.amazonaws.com{}?{}", case.path, case.query)
    };
    let mut headers = vec![("host", "example.amazonaws.com")];
    headers.extend(case.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let body = if case.s3 && case.presign.is_some() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&case.body)
    };
    let request =
        aws::SignableRequest::new(case.method, uri, headers.into_iter(), body).expect("signable");
    let (_, signature) = aws::sign(request, &params).expect("signs").into_parts();
    signature
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn same_signature_as_aws_sigv4(case in case()) {
        prop_assert_eq!(ours(&case), official(&case), "{:?}", case);
    }
}
