//! The verifier: round trips with the signer and with `aws-sigv4`, every signed part
//! mutated, each check on its own, and arbitrary input.

use std::sync::Arc;
use std::time::{Duration as StdDuration, SystemTime};

use proptest::prelude::*;
use sigv4::{
    AuthLocation, Body, BodyRequirement, CredentialStore, Credentials, Dialect, InMemoryStore,
    Payload, SignableRequest, Signer, SigningParams, StoredCredential, Verifier, VerifierSettings,
    VerifyError,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZ+Tw==";
const NOW: OffsetDateTime = datetime!(2026-11-28 12:00:00 UTC);

/// A signed request held as owned parts, so tests can change any of them.
#[derive(Debug, Clone)]
struct Signed {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Signed {
    fn signable(&self) -> SignableRequest<'_> {
        let mut r = SignableRequest::new(&self.method, &self.target);
        for (n, v) in &self.headers {
            r.push_header(n, v.as_bytes());
        }
        r
    }

    fn header_mut(&mut self, name: &str) -> Option<&mut String> {
        self.headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// What to sign.
#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    token: bool,
    s3: bool,
    presign: Option<u64>,
}

fn credentials(token: bool) -> Credentials {
    let c = Credentials::new(AKID, SECRET).expect("valid");
    if token {
        c.with_session_token(TOKEN).expect("valid")
    } else {
        c
    }
}

fn store(token: bool) -> InMemoryStore {
    let mut store = InMemoryStore::new();
    let mut c = StoredCredential::new(AKID, SECRET);
    if token {
        c = c.session_token(TOKEN);
    }
    store.insert(c);
    store
}

fn sign(case: &Case, time: OffsetDateTime) -> Signed {
    let creds = credentials(case.token);
    let service = if case.s3 { "s3" } else { "service" };
    let params = SigningParams::new(&creds, "us-east-1", service, time);
    let query = case
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let target = if query.is_empty() {
        case.path.clone()
    } else {
        format!("{}?{query}", case.path)
    };
    let mut headers: Vec<(String, String)> = vec![("host".into(), "example.amazonaws.com".into())];
    headers.extend(case.headers.iter().map(|(n, v)| (n.to_string(), v.clone())));
    let payload = if case.s3 && case.presign.is_some() {
        Payload::Unsigned
    } else {
        Payload::Bytes(&case.body)
    };
    let signer = if case.s3 {
        Signer::s3()
    } else {
        Signer::default()
    };
    let mut request = SignableRequest::new(case.method, &target).payload(payload);
    for (n, v) in &headers {
        request.push_header(n, v.as_bytes());
    }
    match case.presign {
        Some(expires) => {
            let presigned = signer
                .presign(&request, &params, expires)
                .expect("presigns");
            Signed {
                method: case.method.into(),
                target: presigned.target().into(),
                headers,
                body: case.body.clone(),
            }
        }
        None => {
            let out = signer.sign(&request, &params).expect("signs");
            let added: Vec<(String, String)> = out
                .headers()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            headers.extend(added);
            Signed {
                method: case.method.into(),
                target,
                headers,
                body: case.body.clone(),
            }
        }
    }
}

fn verifier() -> Verifier {
    let mut settings = VerifierSettings::default();
    settings.regions = Some(vec!["us-east-1".into()]);
    Verifier::new(settings)
}

fn check(signed: &Signed, token: bool, now: OffsetDateTime) -> Result<(), VerifyError> {
    let request = signed.signable();
    let verified = verifier().verify(&request, Body::Bytes(&signed.body), &store(token), now)?;
    assert!(matches!(verified.body, BodyRequirement::None));
    Ok(())
}

fn code(result: Result<(), VerifyError>, s3: bool) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(e) => e.to_aws(if s3 { Dialect::S3 } else { Dialect::Query }).code,
    }
}

fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._~-]{1,6}|%[0-9A-F]{2}[a-z]{0,3}"
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just("GET"), Just("PUT"), Just("POST"), Just("DELETE")],
        proptest::collection::vec(segment(), 0..3),
        proptest::collection::vec((segment(), segment()), 0..4),
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("x-amz-meta-a"),
                    Just("content-type"),
                    Just("x-custom"),
                    Just("X-Custom")
                ],
                "[a-zA-Z0-9,;=/]{1,4}( [a-zA-Z0-9]{1,4}){0,2}",
            ),
            0..3,
        ),
        proptest::collection::vec(any::<u8>(), 0..48),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(1u64..=604_800),
    )
        .prop_map(
            |(method, segments, query, headers, body, token, s3, presign)| Case {
                method,
                path: format!("/{}", segments.join("/")),
                query,
                headers,
                body,
                token,
                s3,
                presign,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signed_requests_verify(case in case()) {
        let signed = sign(&case, NOW);
        prop_assert_eq!(check(&signed, case.token, NOW), Ok(()));
    }

    /// `verify` and `parse` then `finish` agree on signed requests, and on their query
    /// with one byte replaced (often a presigning parameter's), whatever the outcome.
    #[test]
    fn both_apis_agree(
        case in case(),
        pick in any::<prop::sample::Index>(),
        with in prop_oneof![Just("%2f"), Just("/"), Just("="), Just("&"), Just("%20"), Just(" "), Just("a"), Just("%")],
    ) {
        let signed = sign(&case, NOW);
        prop_assert_eq!(both_ways(&verifier(), &signed, case.token), "ok");
        if let Some(at) = signed.target.find('?') {
            let query = at + 1..signed.target.len();
            if !query.is_empty() {
                let place = query.start + pick.index(query.len());
                if signed.target.is_char_boundary(place) && signed.target.is_char_boundary(place + 1) {
                    let mut m = signed.clone();
                    m.target.replace_range(place..place + 1, with);
                    both_ways(&verifier(), &m, case.token);
                }
            }
        }
    }

    #[test]
    fn any_signed_part_changed_is_rejected(case in case(), pick in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let signed = sign(&case, NOW);
        let s3 = case.s3;
        let mut mutations: Vec<(Signed, &'static str)> = Vec::new();
        let mut m = signed.clone();
        m.method = if m.method == "GET" { "HEAD".into() } else { "GET".into() };
        mutations.push((m, "SignatureDoesNotMatch"));
        // A byte added at the end of the path (at its start, normalization could fold it
        // away: "/zA/.." and "/A/.." are both "/").
        let mut m = signed.clone();
        let path_end = m.target.find('?').unwrap_or(m.target.len());
        m.target.insert(path_end, 'z');
        mutations.push((m, "SignatureDoesNotMatch"));
        for (k, v) in &case.query {
            let mut m = signed.clone();
            m.target = m.target.replacen(&format!("{k}={v}"), &format!("{k}={v}z"), 1);
            mutations.push((m, "SignatureDoesNotMatch"));
        }
        for (name, _) in case.headers.iter().chain([&("host", String::new())]) {
            let mut m = signed.clone();
            if let Some(v) = m.header_mut(name) {
                v.push('z');
            }
            mutations.push((m, "SignatureDoesNotMatch"));
        }
        if case.presign.is_none() {
            let mut m = signed.clone();
            if let Some(d) = m.header_mut("x-amz-date") {
                *d = d.replace("1200", "1201");
            }
            mutations.push((m, "SignatureDoesNotMatch"));
        } else {
            let mut m = signed.clone();
            m.target = m.target.replace("X-Amz-Date=20261128T120000Z", "X-Amz-Date=20261128T120001Z");
            mutations.push((m, "SignatureDoesNotMatch"));
        }
        // The signature itself: one hex digit changed.
        let mut m = signed.clone();
        let sig_at = if case.presign.is_some() {
            m.target.len() - 1
        } else {
            m.header_mut("authorization").map(|a| a.len() - 1).unwrap_or(0)
        };
        let swap = |s: &mut String| {
            let last = s.pop().unwrap_or('0');
            s.push(if last == '0' { '1' } else { '0' });
        };
        if case.presign.is_some() { swap(&mut m.target) } else if let Some(a) = m.header_mut("authorization") { swap(a) }
        let _ = sig_at;
        mutations.push((m, "SignatureDoesNotMatch"));
        // The body: signed in the canonical request, or declared in x-amz-content-sha256.
        if !(s3 && case.presign.is_some()) {
            let mut m = signed.clone();
            let i = pick.index(m.body.len().max(1));
            if m.body.is_empty() { m.body.push(flip) } else { m.body[i] ^= flip }
            mutations.push((m, if s3 { "XAmzContentSHA256Mismatch" } else { "SignatureDoesNotMatch" }));
        }
        // The scope: another day, another region.
        let (scope_from, scope_to) = if case.presign.is_some() {
            ("%2F20261128%2F", "%2F20261127%2F")
        } else {
            ("/20261128/", "/20261127/")
        };
        for (from, to, want) in [
            (scope_from, scope_to, if s3 { "AuthorizationHeaderMalformed" } else { "SignatureDoesNotMatch" }),
            ("us-east-1", "us-west-2", if s3 { "AuthorizationHeaderMalformed" } else { "SignatureDoesNotMatch" }),
        ] {
            let mut m = signed.clone();
            if case.presign.is_some() {
                m.target = m.target.replacen(from, to, 1);
            } else if let Some(a) = m.header_mut("authorization") {
                *a = a.replacen(from, to, 1);
            }
            mutations.push((m, want));
        }
        // The token.
        if case.token {
            let mut m = signed.clone();
            if case.presign.is_some() {
                m.target = m.target.replacen("X-Amz-Security-Token=AQo", "X-Amz-Security-Token=AQp", 1);
            } else if let Some(t) = m.header_mut("x-amz-security-token") {
                t.push('z');
            }
            mutations.push((m, if s3 { "InvalidToken" } else { "InvalidClientTokenId" }));
        }
        for (mutated, want) in mutations {
            let got = code(check(&mutated, case.token, NOW), s3);
            prop_assert_eq!(got, want, "{:?}", mutated);
        }
    }

    #[test]
    fn arbitrary_input_never_panics(
        authorization in proptest::option::of(".{0,200}"),
        target in ".{0,120}",
        date in proptest::option::of(".{0,24}"),
        headers in proptest::collection::vec(("[a-zA-Z-]{1,12}", proptest::collection::vec(any::<u8>(), 0..32)), 0..6),
        body in proptest::collection::vec(any::<u8>(), 0..16),
        token in any::<bool>(),
    ) {
        let mut request = SignableRequest::new("GET", &target).header("host", "h");
        if let Some(a) = &authorization {
            request.push_header("authorization", a.as_bytes());
        }
        if let Some(d) = &date {
            request.push_header("x-amz-date", d.as_bytes());
        }
        for (n, v) in &headers {
            request.push_header(n, v);
        }
        let verifier = Verifier::default();
        let _ = verifier.dialect_of(&request);
        prop_assert!(verifier.verify(&request, Body::Bytes(&body), &store(token), NOW).is_err());
    }

    #[test]
    fn near_miss_presigned_queries_never_panic(
        credential in "[A-Za-z0-9%/]{0,60}",
        signed in "[a-z;%3B-]{0,40}",
        expires in "[0-9+-]{0,8}",
        date in "[0-9TZ]{0,18}",
        signature in "[0-9a-f]{0,66}",
    ) {
        let target = format!(
            "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={credential}&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders={signed}&X-Amz-Signature={signature}"
        );
        let request = SignableRequest::new("GET", &target).header("host", "h");
        prop_assert!(Verifier::default().verify(&request, Body::Bytes(b""), &store(false), NOW).is_err());
    }
}

fn plain_case() -> Case {
    Case {
        method: "GET",
        path: "/photos/a.jpg".into(),
        query: vec![("versionId".into(), "3".into())],
        headers: vec![("x-amz-meta-a", "b".into())],
        body: vec![],
        token: false,
        s3: true,
        presign: None,
    }
}

/// `X-Amz-Date` and `x-amz-content-sha256` values read as they came go into the canonical
/// request without a second look; one read trimmed, or past the first 64 headers, is
/// checked and trimmed as any other value.
#[test]
fn values_read_plain_are_taken_as_they_are() {
    let signed = sign(&plain_case(), NOW);
    assert_eq!(check(&signed, false, NOW), Ok(()));
    let mut padded = signed.clone();
    let date = padded.header_mut("x-amz-date").expect("dated");
    *date = format!(" {date}\t ");
    assert_eq!(check(&padded, false, NOW), Ok(()));
    let mut crowded = signed.clone();
    let extra = (0..70).map(|n| (format!("x-extra-{n}"), "x".to_owned()));
    crowded.headers.splice(0..0, extra);
    assert_eq!(check(&crowded, false, NOW), Ok(()));
    let date = crowded.header_mut("x-amz-date").expect("dated");
    *date = format!("{date} ");
    assert_eq!(check(&crowded, false, NOW), Ok(()));
    // Between values that need folding, so that a mark on a neighbour's place would show.
    let case = Case {
        headers: vec![
            ("x-amz-meta-a", "a  b ".into()),
            ("x-amz-meta-b", " c\t d".into()),
            ("x-amz-meta-c", "e   f".into()),
        ],
        ..plain_case()
    };
    let mut folded = sign(&case, NOW);
    let order = [
        "x-amz-meta-a",
        "x-amz-date",
        "x-amz-meta-b",
        "x-amz-content-sha256",
        "x-amz-meta-c",
    ];
    folded
        .headers
        .sort_by_key(|(name, _)| order.iter().position(|o| o == name));
    assert_eq!(check(&folded, false, NOW), Ok(()));
    // A value changed within is still a value changed.
    let mut changed = signed.clone();
    let date = changed.header_mut("x-amz-date").expect("dated");
    *date = date.replace("0000Z", "0001Z");
    assert_eq!(
        code(check(&changed, false, NOW), true),
        "SignatureDoesNotMatch"
    );
}

/// A session token sent in a header is taken as it is only when the stored token it
/// matched needs no folding; one with a run of spaces is folded, as its signer folded it.
/// Past the first 64 headers, it is checked as any value is.
#[test]
fn session_tokens_in_headers_are_folded_as_stored() {
    let extra: Vec<String> = (0..70).map(|n| format!("x-extra-{n}")).collect();
    let cases = [TOKEN, "Token  with   runs of spaces"]
        .into_iter()
        .flat_map(|token| [(token, 0), (token, extra.len())]);
    for (token, crowd) in cases {
        let creds = Credentials::new(AKID, SECRET)
            .and_then(|c| c.with_session_token(token))
            .expect("valid");
        let params = SigningParams::new(&creds, "us-east-1", "s3", NOW);
        let mut request = SignableRequest::new("GET", "/a");
        request.push_header("host", b"example.amazonaws.com");
        request.push_header("x-amz-meta-a", b" needs  folding ");
        request.push_header("x-amz-meta-b", b"needs\t folding too");
        let out = Signer::s3().sign(&request, &params).expect("signs");
        let mut signed = SignableRequest::new("GET", "/a");
        for name in &extra[..crowd] {
            signed.push_header(name, b"x");
        }
        signed.push_header("host", b"example.amazonaws.com");
        let added: Vec<(String, String)> = out
            .headers()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        // The token between two values that need folding, so that a mark on a neighbour's
        // place would show.
        for (n, v) in &added {
            if n.eq_ignore_ascii_case("x-amz-security-token") {
                signed.push_header("x-amz-meta-a", b" needs  folding ");
                signed.push_header(n, v.as_bytes());
                signed.push_header("x-amz-meta-b", b"needs\t folding too");
            } else {
                signed.push_header(n, v.as_bytes());
            }
        }
        let mut store = InMemoryStore::new();
        store.insert(StoredCredential::new(AKID, SECRET).session_token(token));
        let verified = verifier().verify(&signed, Body::Bytes(b""), &store, NOW);
        assert!(verified.is_ok(), "{token:?} {crowd}: {:?}", verified.err());
    }
}

#[test]
fn the_clock_is_checked_both_ways() {
    let signed = sign(&plain_case(), NOW);
    assert_eq!(check(&signed, false, NOW + Duration::minutes(15)), Ok(()));
    assert_eq!(check(&signed, false, NOW - Duration::minutes(15)), Ok(()));
    for now in [NOW + Duration::minutes(16), NOW - Duration::minutes(16)] {
        assert_eq!(
            code(check(&signed, false, now), true),
            "RequestTimeTooSkewed"
        );
        assert_eq!(code(check(&signed, false, now), false), "RequestExpired");
    }
}

#[test]
fn presigned_urls_live_exactly_their_expiry() {
    let case = Case {
        presign: Some(600),
        ..plain_case()
    };
    let signed = sign(&case, NOW);
    assert_eq!(check(&signed, false, NOW + Duration::seconds(600)), Ok(()));
    // To the nanosecond, on both bounds.
    let just_after = check(
        &signed,
        false,
        NOW + Duration::seconds(600) + Duration::nanoseconds(1),
    );
    assert!(matches!(
        just_after,
        Err(VerifyError::RequestExpired { .. })
    ));
    let earliest = NOW - Duration::minutes(15);
    assert_eq!(check(&signed, false, earliest), Ok(()));
    let just_before = check(&signed, false, earliest - Duration::nanoseconds(1));
    assert!(matches!(
        just_before,
        Err(VerifyError::RequestNotYetValid { .. })
    ));
    let expired = check(&signed, false, NOW + Duration::seconds(601));
    assert!(matches!(expired, Err(VerifyError::RequestExpired { .. })));
    let aws = expired.expect_err("expired").to_aws(Dialect::S3);
    assert_eq!((aws.code, aws.status), ("AccessDenied", 403));
    assert!(aws.message.starts_with("Request has expired"));
    assert_eq!(check(&signed, false, NOW - Duration::minutes(15)), Ok(()));
    assert!(matches!(
        check(&signed, false, NOW - Duration::minutes(16)),
        Err(VerifyError::RequestNotYetValid { .. })
    ));
    for bad in ["0", "604801", "-1", "+5", "x"] {
        let mut m = signed.clone();
        m.target = m
            .target
            .replace("X-Amz-Expires=600", &format!("X-Amz-Expires={bad}"));
        assert!(
            matches!(
                check(&m, false, NOW),
                Err(VerifyError::ExpiresOutOfRange { .. })
            ),
            "{bad}"
        );
    }
}

#[test]
fn credentials_are_checked_after_the_lookup() {
    let signed = sign(&plain_case(), NOW);
    let request = signed.signable();
    let v = verifier();
    let empty: InMemoryStore = InMemoryStore::new();
    let unknown = v.verify(&request, Body::Bytes(b""), &empty, NOW);
    assert_eq!(code(unknown.map(|_| ()), true), "InvalidAccessKeyId");

    let mut later = InMemoryStore::new();
    later.insert(StoredCredential::new(AKID, SECRET).not_before(NOW + Duration::hours(1)));
    assert!(matches!(
        v.verify(&request, Body::Bytes(b""), &later, NOW),
        Err(VerifyError::InvalidAccessKeyId { .. })
    ));

    let mut expired = InMemoryStore::new();
    expired.insert(StoredCredential::new(AKID, SECRET).expiry(NOW));
    let err = v
        .verify(&request, Body::Bytes(b""), &expired, NOW)
        .map(|_| ())
        .expect_err("expired");
    assert_eq!(err.to_aws(Dialect::S3).code, "ExpiredToken");
    // Expired by the server's clock though valid at the request time.
    let mut soon = InMemoryStore::new();
    soon.insert(StoredCredential::new(AKID, SECRET).expiry(NOW + Duration::minutes(1)));
    assert!(v.verify(&request, Body::Bytes(b""), &soon, NOW).is_ok());
    assert!(matches!(
        v.verify(
            &request,
            Body::Bytes(b""),
            &soon,
            NOW + Duration::minutes(2)
        ),
        Err(VerifyError::ExpiredToken { .. })
    ));

    // A key that needs a token, asked without one; a token for a key that has none.
    assert_eq!(code(check(&signed, true, NOW), true), "InvalidToken");
    let with_token = sign(
        &Case {
            token: true,
            ..plain_case()
        },
        NOW,
    );
    assert!(matches!(
        check(&with_token, false, NOW),
        Err(VerifyError::InvalidSecurityToken)
    ));
    assert!(matches!(
        check(&signed, true, NOW),
        Err(VerifyError::MissingSecurityToken)
    ));
}

#[test]
fn signature_mismatch_explains_itself() {
    let case = Case {
        s3: false,
        ..plain_case()
    };
    let signed = sign(&case, NOW);
    let mut wrong = InMemoryStore::new();
    wrong.insert(StoredCredential::new(AKID, "another secret"));
    let request = signed.signable();
    let err = verifier()
        .verify(&request, Body::Bytes(b""), &wrong, NOW)
        .map(|_| ())
        .expect_err("wrong secret");
    let VerifyError::SignatureDoesNotMatch {
        canonical_request,
        string_to_sign,
    } = err
    else {
        panic!("{err:?}");
    };
    let creds = credentials(false);
    let params = SigningParams::new(&creds, "us-east-1", "service", NOW);
    let unsigned = SignableRequest::new("GET", "/photos/a.jpg?versionId=3")
        .header("host", "example.amazonaws.com")
        .header("x-amz-meta-a", "b");
    let (_, details) = Signer::default()
        .sign_explained(&unsigned, &params)
        .expect("signs");
    assert_eq!(canonical_request, details.canonical_request);
    assert_eq!(string_to_sign, details.string_to_sign);
    assert!(!format!("{canonical_request}{string_to_sign}").contains(SECRET));
}

#[test]
fn headers_rules() {
    let signed = sign(&plain_case(), NOW);
    let mut extra = signed.clone();
    extra.headers.push(("X-Amz-Meta-Sneaky".into(), "1".into()));
    let err = check(&extra, false, NOW).expect_err("unsigned header");
    let aws = err.to_aws(Dialect::S3);
    assert_eq!(aws.code, "AccessDenied");
    assert!(aws
        .message
        .contains("headers present in the request which were not signed"));

    let mut missing = signed.clone();
    missing.headers.retain(|(n, _)| n != "x-amz-meta-a");
    assert!(matches!(
        check(&missing, false, NOW),
        Err(VerifyError::SignedHeaderMissing { .. })
    ));

    // Both wrong: the missing header is reported first, as it was before the unsigned one.
    let mut both_wrong = missing.clone();
    both_wrong
        .headers
        .push(("X-Amz-Meta-Sneaky".into(), "1".into()));
    assert!(matches!(
        check(&both_wrong, false, NOW),
        Err(VerifyError::SignedHeaderMissing { name }) if name == "x-amz-meta-a"
    ));

    let mut no_sha = signed.clone();
    no_sha.headers.retain(|(n, _)| n != "x-amz-content-sha256");
    let auth = no_sha.header_mut("authorization").expect("present");
    *auth = auth.replace("x-amz-content-sha256;", "");
    assert!(matches!(
        check(&no_sha, false, NOW),
        Err(VerifyError::MissingContentSha256)
    ));

    let mut both = signed.clone();
    both.target.push_str("&X-Amz-Algorithm=AWS4-HMAC-SHA256");
    assert!(matches!(
        check(&both, false, NOW),
        Err(VerifyError::MultipleAuthMechanisms)
    ));

    // Presigned only by a parameter of that name, with or without a value: the name
    // elsewhere in the query leaves the header's signature to check (and the changed
    // query fails it).
    let mut bare = signed.clone();
    bare.target.push_str("&X-Amz-Algorithm");
    assert!(matches!(
        check(&bare, false, NOW),
        Err(VerifyError::MultipleAuthMechanisms)
    ));
    let mut elsewhere = signed.clone();
    elsewhere
        .target
        .push_str("&note=X-Amz-Algorithm&X-Amz-Algorithms=1&a-X-Amz-Algorithm=2");
    assert!(matches!(
        check(&elsewhere, false, NOW),
        Err(VerifyError::SignatureDoesNotMatch { .. })
    ));

    let mut none = signed.clone();
    none.headers.retain(|(n, _)| n != "Authorization");
    assert_eq!(code(check(&none, false, NOW), true), "AccessDenied");
    assert_eq!(
        code(check(&none, false, NOW), false),
        "MissingAuthenticationToken"
    );

    let mut no_host = signed.clone();
    let auth = no_host.header_mut("authorization").expect("present");
    *auth = auth.replace("SignedHeaders=host;", "SignedHeaders=");
    assert!(matches!(
        check(&no_host, false, NOW),
        Err(VerifyError::HostNotSigned)
    ));
    // Names that start as `host` does are not `host`.
    for other in ["hos", "host-a", "hosts", "hostname0"] {
        let mut no_host = signed.clone();
        let auth = no_host.header_mut("authorization").expect("present");
        *auth = auth.replace("SignedHeaders=host;", &format!("SignedHeaders={other};"));
        assert!(
            matches!(check(&no_host, false, NOW), Err(VerifyError::HostNotSigned)),
            "{other}"
        );
    }
}

#[test]
fn deferred_bodies_are_checked_as_they_stream() {
    let case = Case {
        method: "PUT",
        body: b"hello world".to_vec(),
        ..plain_case()
    };
    let signed = sign(&case, NOW);
    let request = signed.signable();
    let verified = verifier()
        .verify(&request, Body::Deferred, &store(false), NOW)
        .expect("authentic");
    let mut checker = verified.body.checker().expect("a hash to check");
    checker.update(b"hello ");
    checker.update(b"world");
    assert!(checker.finish().is_ok());
    let mut forged = verified.body.checker().expect("a hash to check");
    forged.update(b"hello there");
    let err = forged.finish().expect_err("forged");
    assert_eq!(err.to_aws(Dialect::S3).code, "XAmzContentSHA256Mismatch");

    // Other services sign the body's hash itself: it must be given.
    let other = sign(&Case { s3: false, ..case }, NOW);
    let request = other.signable();
    assert!(matches!(
        verifier().verify(&request, Body::Deferred, &store(false), NOW),
        Err(VerifyError::BodyRequired)
    ));
    let hash = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
    assert!(verifier()
        .verify(&request, Body::Sha256Hex(hash), &store(false), NOW)
        .is_ok());
}

#[test]
fn unsigned_payload_only_where_allowed() {
    let mut case = plain_case();
    case.presign = Some(60);
    let signed = sign(&case, NOW);
    assert_eq!(check(&signed, false, NOW), Ok(()));
    let mut settings = VerifierSettings::default();
    settings.allow_unsigned_payload = false;
    let request = signed.signable();
    assert!(matches!(
        Verifier::new(settings).verify(&request, Body::Bytes(b""), &store(false), NOW),
        Err(VerifyError::UnsignedPayloadNotAllowed)
    ));
}

#[test]
fn bounds_on_untrusted_input() {
    let signed = sign(&plain_case(), NOW);
    let mut long = signed.clone();
    long.headers
        .push(("authorization".into(), "x".repeat(10_000)));
    long.headers
        .retain(|(n, v)| n != "Authorization" || v.len() > 9_000);
    assert!(matches!(
        check(&long, false, NOW),
        Err(VerifyError::TooLarge { .. })
    ));

    let mut many = signed.clone();
    many.target = format!("/?{}", vec!["a=1"; 300].join("&"));
    assert!(matches!(
        check(&many, false, NOW),
        Err(VerifyError::TooLarge { .. })
    ));
    // Presigned, with the presigning parameters after or before the bound.
    let presigned = sign(
        &Case {
            presign: Some(600),
            ..plain_case()
        },
        NOW,
    );
    let (path, query) = presigned.target.split_once('?').expect("a query");
    let junk = vec!["a=1"; 300].join("&");
    for target in [
        format!("{path}?{junk}&{query}"),
        format!("{path}?{query}&{junk}"),
    ] {
        let mut m = presigned.clone();
        m.target = target;
        let result = check(&m, false, NOW);
        let too_many = matches!(
            result,
            Err(VerifyError::TooLarge {
                what: "number of query parameters",
                ..
            })
        );
        assert!(too_many, "{result:?}");
    }
    // At the edge of the default 256 pieces: 255 separators make 256 empty pieces, 256
    // make one too many.
    for (separators, too_many) in [(255, false), (256, true)] {
        let mut edge = signed.clone();
        edge.target = format!("/?{}", "&".repeat(separators));
        let result = check(&edge, false, NOW);
        let refused = matches!(
            result,
            Err(VerifyError::TooLarge {
                what: "number of query parameters",
                ..
            })
        );
        assert_eq!(refused, too_many, "{separators}: {result:?}");
    }

    let mut headers = signed;
    for i in 0..200 {
        headers.headers.push((format!("x-h{i}"), "v".into()));
    }
    assert!(matches!(
        check(&headers, false, NOW),
        Err(VerifyError::TooLarge { .. })
    ));
}

#[test]
fn an_async_lookup_fits_between_the_two_steps() {
    let signed = sign(&plain_case(), NOW);
    let request = signed.signable();
    let verifier = verifier();
    let pending = verifier
        .parse(&request, Body::Bytes(b""), NOW)
        .expect("well formed");
    assert_eq!(pending.access_key_id(), AKID);
    assert_eq!(pending.location(), AuthLocation::Header);
    // Here a server would await its database.
    let found: Option<Arc<StoredCredential>> = store(false).lookup(pending.access_key_id());
    let verified = pending.finish(&verifier, found).expect("authentic");
    assert_eq!(verified.scope().service(), "s3");
    assert_eq!(
        verified.signed_headers().collect::<Vec<_>>(),
        ["host", "x-amz-content-sha256", "x-amz-date", "x-amz-meta-a"]
    );
}

/// A presigned URL's session token and credential may be spelled in any way that decodes
/// to what was signed; the canonical query takes them re-encoded, as their signer did,
/// whether the query was collected while it was parsed (`verify`) or split again
/// (`parse`, then `finish`). A parameter beside them is spelled otherwise too, and a
/// re-spelled token that does not decode to the stored one is refused.
#[test]
fn presigned_values_spelled_otherwise_verify() {
    let mut case = plain_case();
    case.token = true;
    case.presign = Some(600);
    case.query = vec![("k".into(), "a%2Fb".into())];
    let signed = sign(&case, NOW);
    assert!(signed.target.contains("%2F%2F"), "{}", signed.target);
    // The token and the credential spelled as `spell` says, and `k` with a raw `/`.
    let respell = |target: &str, spell: &dyn Fn(&str) -> String| {
        let (path, query) = target.split_once('?').expect("a query");
        let query: Vec<String> = query
            .split('&')
            .map(|piece| match piece.split_once('=') {
                Some((name @ ("X-Amz-Security-Token" | "X-Amz-Credential"), value)) => {
                    format!("{name}={}", spell(value))
                }
                Some(("k", value)) => format!("k={}", value.replace("%2F", "/")),
                _ => piece.to_owned(),
            })
            .collect();
        format!("{path}?{}", query.join("&"))
    };
    let spellings: [&dyn Fn(&str) -> String; 4] = [
        &|v| v.to_owned(),
        &|v| v.replace("%2F", "%2f"),
        &|v| v.replace("%2F", "/").replace("%2B", "+"),
        &|v| v.replace("%3D", "="),
    ];
    let verifier = verifier();
    let store = store(true);
    for (n, spelling) in spellings.iter().enumerate() {
        let mut m = signed.clone();
        // The first as it was signed, every value canonical.
        if n > 0 {
            m.target = respell(&signed.target, spelling);
        }
        let request = m.signable();
        let one_step = verifier.verify(&request, Body::Bytes(b""), &store, NOW);
        assert!(one_step.is_ok(), "{n} {}: {:?}", m.target, one_step.err());
        let pending = verifier
            .parse(&request, Body::Bytes(b""), NOW)
            .expect("well formed");
        let found = store.lookup(pending.access_key_id());
        let two_steps = pending.finish(&verifier, found);
        assert!(two_steps.is_ok(), "{n} {}: {:?}", m.target, two_steps.err());
    }
    let mut m = signed.clone();
    m.target = signed.target.replacen("EPT%2F", "EPT%2E", 1);
    assert_ne!(m.target, signed.target);
    let request = m.signable();
    let refused = verifier.verify(&request, Body::Bytes(b""), &store, NOW);
    assert!(
        matches!(refused, Err(VerifyError::InvalidSecurityToken)),
        "{refused:?}"
    );
    let pending = verifier
        .parse(&request, Body::Bytes(b""), NOW)
        .expect("well formed");
    let found = store.lookup(pending.access_key_id());
    let refused = pending.finish(&verifier, found);
    assert!(
        matches!(refused, Err(VerifyError::InvalidSecurityToken)),
        "{refused:?}"
    );
}

/// A request verified by `verify` and by `parse` then `finish`: "ok", the canonical
/// request a mismatch explains, or the error; the two must agree.
fn both_ways(verifier: &Verifier, signed: &Signed, token: bool) -> String {
    let request = signed.signable();
    let store = store(token);
    let body = || Body::Bytes(&signed.body);
    let show = |r: Result<sigv4::Verified<'_, ()>, VerifyError>| match r {
        Ok(_) => "ok".to_owned(),
        Err(VerifyError::SignatureDoesNotMatch {
            canonical_request, ..
        }) => canonical_request,
        Err(e) => format!("{e:?}"),
    };
    let one = show(verifier.verify(&request, body(), &store, NOW));
    let two = show(
        verifier
            .parse(&request, body(), NOW)
            .and_then(|pending| pending.finish(verifier, store.lookup(AKID))),
    );
    assert_eq!(one, two, "{}", signed.target);
    one
}

/// `verify`, which keeps the signed names from their split and collects a presigned
/// query's parameters while it looks for the presigning ones, and `parse` then `finish`,
/// which split both again, agree: on success, and on the canonical request a mismatch
/// explains. The queries hold empty pieces, pieces without `=`, a name that decodes to a
/// presigning one, more parameters than fit on the stack, a date read trimmed, and a token
/// added after signing; the header signature, repeated and mixed-case headers.
#[test]
fn verify_and_parse_then_finish_agree() {
    let outcome = both_ways;
    let mut case = plain_case();
    case.token = true;
    case.presign = Some(600);
    let many: Vec<(String, String)> = (0..20).map(|i| (format!("p{i:02}"), "v".into())).collect();
    for query in [case.query.clone(), many] {
        case.query = query;
        let signed = sign(&case, NOW);
        assert_eq!(
            outcome(&verifier(), &signed, true),
            "ok",
            "{}",
            signed.target
        );
        let date = "X-Amz-Date=20261128T120000Z";
        assert!(signed.target.contains(date), "{}", signed.target);
        for (change, expected) in [
            ("&&flag&X-Amz-Dat%65=x", "X-Amz-Date=x"),
            ("&=", "\n=&X-Amz-Algorithm"),
            (" ", "X-Amz-Date=20261128T120000Z%20&"),
        ] {
            let mut m = signed.clone();
            m.target = signed.target.replace(date, &format!("{date}{change}"));
            let explained = outcome(&verifier(), &m, true);
            assert!(explained.contains(expected), "{change:?}: {explained}");
        }
    }

    // Header signatures too: `verify` writes the canonical headers from the names it kept
    // from the split, `finish` splits the list again. Repeated and mixed-case headers, a
    // mismatch explained.
    let mut case = plain_case();
    case.token = true;
    case.headers = vec![
        ("X-Amz-Meta-A", "1".into()),
        ("x-amz-meta-a", " 2  two ".into()),
        ("Content-Type", "text/plain".into()),
    ];
    let signed = sign(&case, NOW);
    assert_eq!(outcome(&verifier(), &signed, true), "ok");
    let mut m = signed.clone();
    m.headers.push(("X-AMZ-META-A".into(), "3".into()));
    let explained = outcome(&verifier(), &m, true);
    assert!(
        explained.contains("\nx-amz-meta-a:1,2 two,3\n"),
        "{explained}"
    );

    // The token added after signing: in the query, not in the canonical request.
    let mut settings = sigv4::SigningSettings::s3();
    settings.session_token = sigv4::SessionTokenMode::AddedAfterSigning;
    let creds = credentials(true);
    let params = SigningParams::new(&creds, "us-east-1", "s3", NOW);
    let mut request = SignableRequest::new("GET", "/a?x=1").payload(Payload::Unsigned);
    request.push_header("host", b"example.amazonaws.com");
    let presigned = Signer::new(settings)
        .presign(&request, &params, 600)
        .expect("presigns");
    assert!(presigned.target().contains("X-Amz-Security-Token="));
    let signed = Signed {
        method: "GET".into(),
        target: presigned.target().into(),
        headers: vec![("host".into(), "example.amazonaws.com".into())],
        body: vec![],
    };
    let mut verifier_settings = VerifierSettings::default();
    verifier_settings.session_token = sigv4::SessionTokenMode::AddedAfterSigning;
    let verifier = Verifier::new(verifier_settings);
    assert_eq!(outcome(&verifier, &signed, true), "ok");
    let mut m = signed.clone();
    m.target = m.target.replace("x=1", "x=2");
    let explained = outcome(&verifier, &m, true);
    assert!(!explained.contains("Security-Token"), "{explained}");
}

/// Requests signed by the official `aws-sigv4` crate verify.
#[test]
fn requests_signed_by_aws_sigv4_verify() {
    use aws_credential_types::Credentials as AwsCredentials;
    use aws_sigv4::http_request::{self as aws, SignableBody, SignatureLocation};
    use aws_sigv4::sign::v4;
    use aws_smithy_runtime_api::client::identity::Identity;

    for (location, token) in [
        (SignatureLocation::Headers, false),
        (SignatureLocation::Headers, true),
        (SignatureLocation::QueryParams, false),
        (SignatureLocation::QueryParams, true),
    ] {
        let identity: Identity =
            AwsCredentials::new(AKID, SECRET, token.then(|| TOKEN.to_owned()), None, "t").into();
        let mut settings = aws::SigningSettings::default();
        settings.signature_location = location;
        settings.expires_in = Some(StdDuration::from_secs(300));
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("sts")
            .time(SystemTime::UNIX_EPOCH + StdDuration::from_secs(NOW.unix_timestamp() as u64))
            .settings(settings)
            .build()
            .expect("params")
            .into();
        let mut request = http::Request::post(
            "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"a=b".to_vec())
        .expect("request");
        let signable = aws::SignableRequest::new(
            "POST",
            request.uri().to_string(),
            request
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str(), v.to_str().expect("ASCII"))),
            SignableBody::Bytes(request.body()),
        )
        .expect("signable");
        let (instructions, _) = aws::sign(signable, &params).expect("signs").into_parts();
        instructions.apply_to_request_http1x(&mut request);

        let ours = SignableRequest::from_http(&request, Payload::Unsigned);
        let verified = Verifier::default()
            .verify(&ours, Body::Bytes(request.body()), &store(token), NOW)
            .unwrap_or_else(|e| panic!("{location:?} token={token}: {e}"));
        assert_eq!(verified.scope().service(), "sts");
    }
}

/// The README's error table is what `to_aws` says.
#[test]
fn the_readme_error_table_is_true() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let t = NOW;
    let examples: Vec<(&str, VerifyError)> = vec![
        ("MissingAuthentication", VerifyError::MissingAuthentication),
        (
            "MultipleAuthMechanisms",
            VerifyError::MultipleAuthMechanisms,
        ),
        (
            "UnsupportedAlgorithm",
            VerifyError::UnsupportedAlgorithm {
                algorithm: "x".into(),
            },
        ),
        (
            "Malformed` (header)",
            VerifyError::Malformed {
                location: AuthLocation::Header,
                reason: "x".into(),
            },
        ),
        (
            "Malformed` (query)",
            VerifyError::Malformed {
                location: AuthLocation::Query,
                reason: "x".into(),
            },
        ),
        ("MissingDate", VerifyError::MissingDate),
        (
            "MalformedDate",
            VerifyError::MalformedDate { value: "x".into() },
        ),
        (
            "RequestTimeTooSkewed",
            VerifyError::RequestTimeTooSkewed {
                request_time: t,
                server_time: t,
                max_skew_seconds: 900,
            },
        ),
        (
            "ExpiresOutOfRange",
            VerifyError::ExpiresOutOfRange { value: "0".into() },
        ),
        (
            "RequestExpired",
            VerifyError::RequestExpired {
                expired_at: t,
                server_time: t,
            },
        ),
        (
            "RequestNotYetValid",
            VerifyError::RequestNotYetValid {
                valid_from: t,
                server_time: t,
            },
        ),
        (
            "ScopeDateMismatch",
            VerifyError::ScopeDateMismatch {
                scope_date: "20260101".into(),
                request_date: "20260102T000000Z".into(),
            },
        ),
        (
            "WrongRegion",
            VerifyError::WrongRegion { region: "x".into() },
        ),
        (
            "WrongService",
            VerifyError::WrongService {
                service: "x".into(),
            },
        ),
        (
            "WrongTerminator",
            VerifyError::WrongTerminator {
                terminator: "x".into(),
            },
        ),
        ("HostNotSigned", VerifyError::HostNotSigned),
        (
            "SignedHeaderMissing",
            VerifyError::SignedHeaderMissing { name: "x".into() },
        ),
        (
            "UnsignedAmzHeader",
            VerifyError::UnsignedAmzHeader { name: "x".into() },
        ),
        (
            "TooLarge",
            VerifyError::TooLarge {
                what: "x",
                limit: 1,
            },
        ),
        (
            "InvalidAccessKeyId",
            VerifyError::InvalidAccessKeyId {
                access_key_id: "x".into(),
            },
        ),
        ("MissingSecurityToken", VerifyError::MissingSecurityToken),
        ("InvalidSecurityToken", VerifyError::InvalidSecurityToken),
        ("ExpiredToken", VerifyError::ExpiredToken { expiry: t }),
        (
            "SignatureDoesNotMatch",
            VerifyError::SignatureDoesNotMatch {
                canonical_request: String::new(),
                string_to_sign: String::new(),
            },
        ),
        ("MissingContentSha256", VerifyError::MissingContentSha256),
        ("InvalidContentSha256", VerifyError::InvalidContentSha256),
        (
            "UnsignedPayloadNotAllowed",
            VerifyError::UnsignedPayloadNotAllowed,
        ),
        (
            "ContentSha256Mismatch",
            VerifyError::ContentSha256Mismatch {
                declared: String::new(),
                computed: String::new(),
            },
        ),
        ("BodyRequired", VerifyError::BodyRequired),
        (
            "MissingDecodedContentLength",
            VerifyError::MissingDecodedContentLength,
        ),
        (
            "MalformedChunk",
            VerifyError::MalformedChunk { reason: "x".into() },
        ),
        (
            "ChunkSignatureDoesNotMatch",
            VerifyError::ChunkSignatureDoesNotMatch { chunk: 0 },
        ),
        (
            "TrailerSignatureDoesNotMatch",
            VerifyError::TrailerSignatureDoesNotMatch,
        ),
        (
            "ChunkTooLarge",
            VerifyError::ChunkTooLarge { size: 2, limit: 1 },
        ),
        (
            "ChunkTooSmall",
            VerifyError::ChunkTooSmall {
                size: 1,
                minimum: 2,
            },
        ),
        (
            "IncompleteBody",
            VerifyError::IncompleteBody {
                expected: 2,
                received: 1,
            },
        ),
        (
            "MalformedTrailer",
            VerifyError::MalformedTrailer { reason: "x".into() },
        ),
        (
            "TrailerNotAnnounced",
            VerifyError::TrailerNotAnnounced { name: "x".into() },
        ),
        (
            "ChecksumMismatch",
            VerifyError::ChecksumMismatch {
                algorithm: "x-amz-checksum-crc32",
                declared: String::new(),
                computed: String::new(),
            },
        ),
    ];
    for (name, error) in examples {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}")))
            .unwrap_or_else(|| panic!("no README row for {name}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let s3 = error.to_aws(Dialect::S3);
        let query = error.to_aws(Dialect::Query);
        assert!(
            cells[2].starts_with(&format!("`{}`", s3.code)),
            "{name}: {row}"
        );
        assert_eq!(cells[3], s3.status.to_string(), "{name}");
        assert!(
            cells[4].starts_with(&format!("`{}`", query.code)),
            "{name}: {row}"
        );
        assert_eq!(cells[5], query.status.to_string(), "{name}");
    }
}

/// Found by the mutation property: a path whose dot segments normalize away.
#[test]
fn a_path_change_survives_normalization() {
    let case = Case {
        path: "/A/..".into(),
        query: vec![],
        headers: vec![],
        s3: false,
        ..plain_case()
    };
    let signed = sign(&case, NOW);
    assert_eq!(check(&signed, false, NOW), Ok(()));
    let mut m = signed.clone();
    m.target = "/A/..z".into();
    assert_eq!(code(check(&m, false, NOW), false), "SignatureDoesNotMatch");
    // Wire paths that normalize alike are the same request to a normalizing service.
    let mut same = signed;
    same.target = "/zA/..".into();
    assert_eq!(check(&same, false, NOW), Ok(()));
}

/// Dates at the edge of the calendar neither overflow nor panic.
#[test]
fn the_edge_of_the_calendar() {
    for date in ["99991231T235959Z", "00000101T000000Z"] {
        let target = format!(
            "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F{}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={date}&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            &date[..8]
        );
        let request = SignableRequest::new("GET", &target).header("host", "h");
        for now in [NOW, datetime!(9999-12-31 23:59:59 UTC)] {
            let result = verifier().verify(&request, Body::Bytes(b""), &store(false), now);
            assert!(result.is_err(), "{date} at {now}");
        }
        let header = SignableRequest::new("GET", "/")
            .header("host", "h")
            .header("x-amz-date", date)
            .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/99991231/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
        assert!(verifier()
            .verify(&header, Body::Bytes(b""), &store(false), NOW)
            .is_err());
    }
}
