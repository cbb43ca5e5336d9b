//! The credentials lifecycle: profile files, resolution into role chains, the environment,
//! `credential_process` output, STS requests and responses, and the refreshing cache.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration as StdDuration;

use sigv4::profile::{BaseCredentials, FileKind, ProfileError, ProfileFile, ProfileSet};
use sigv4::provider::{
    from_environment, parse_process_output, CachedCredentials, Clock, ProviderError, RefreshWindows,
};
use sigv4::sts::{self, AssumeRole, Endpoint, StsError};
use sigv4::{
    Body, Credentials, InMemoryStore, Payload, SignableRequest, StoredCredential, Verifier,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn profiles() -> ProfileSet {
    let config = ProfileFile::parse(FileKind::Config, "config", &fixture("profiles/config"))
        .expect("config parses");
    let credentials = ProfileFile::parse(
        FileKind::Credentials,
        "credentials",
        &fixture("profiles/credentials"),
    )
    .expect("credentials parse");
    ProfileSet::new(Some(config), Some(credentials))
}

#[test]
fn the_documented_role_profile_resolves_to_a_chain() {
    let plan = profiles().resolve("marketingadmin").expect("resolves");
    let BaseCredentials::Static(base) = &plan.base else {
        panic!("{plan:?}");
    };
    assert_eq!(base.access_key_id(), "AKIAUSER1");
    assert_eq!(base.session_token().map(|t| t.expose()), Some("user1token"));
    assert_eq!(plan.steps.len(), 1);
    let step = &plan.steps[0];
    assert_eq!(
        step.role_arn,
        "arn:aws:iam::123456789012:role/marketingadminrole"
    );
    assert_eq!(step.role_session_name.as_deref(), Some("marketing-session"));
    assert_eq!(step.duration_seconds, Some(1800));
    assert_eq!(step.external_id.as_deref(), Some("123ABC"));
    assert_eq!(
        step.mfa_serial.as_deref(),
        Some("arn:aws:iam::123456789012:mfa/user1")
    );

    let chained = profiles().resolve("chained").expect("resolves");
    let roles: Vec<&str> = chained.steps.iter().map(|s| s.role_arn.as_str()).collect();
    assert_eq!(
        roles,
        [
            "arn:aws:iam::123456789012:role/marketingadminrole",
            "arn:aws:iam::123456789012:role/second"
        ]
    );
}

#[test]
fn every_rule_of_the_files() {
    let set = profiles();
    // [default] in both files; the credentials file's keys.
    let plan = set.resolve("default").expect("resolves");
    assert!(matches!(&plan.base, BaseCredentials::Static(c) if c.access_key_id() == "AKIADEFAULT"));
    assert_eq!(
        set.profile("default").and_then(|p| p.get("region")),
        Some("us-east-1")
    );
    // Values keep what follows them, inline ";" included.
    assert_eq!(
        set.profile("user1").and_then(|p| p.get("region")),
        Some("us-west-2 ; an inline comment is part of a value in this file format")
    );
    // The credentials file wins over config: static keys beat credential_process.
    let plan = set.resolve("process").expect("resolves");
    assert!(matches!(&plan.base, BaseCredentials::Static(c) if c.access_key_id() == "AKIAWINS"));
    // Sub-properties and continuation lines.
    let nested = set.profile("nested").expect("present");
    assert_eq!(nested.get("s3.max_concurrent_requests"), Some("20"));
    assert_eq!(nested.get("s3.addressing_style"), Some("path"));
    assert_eq!(nested.get("region"), Some("eu-west-1"));
    assert_eq!(
        set.profile("continued")
            .and_then(|p| p.get("aws_secret_access_key")),
        Some("part-one\npart-two")
    );
    // Sections that are not profiles are skipped.
    assert!(set.profile("my-sso").is_none());
    assert!(set.profile("my-services").is_none());
    assert!(set.profile("not-a-profile").is_none());
    // credential_source = Environment; self-sourced static keys.
    let plan = set.resolve("from-env").expect("resolves");
    assert_eq!(plan.base, BaseCredentials::Environment);
    assert_eq!(plan.steps.len(), 1);
    let plan = set.resolve("self-sourced").expect("resolves");
    assert!(matches!(&plan.base, BaseCredentials::Static(c) if c.access_key_id() == "AKIASELF"));
    assert_eq!(plan.steps.len(), 1);
    // credential_process on its own.
    let config = ProfileFile::parse(FileKind::Config, "config", &fixture("profiles/config"))
        .expect("parses");
    let only_config = ProfileSet::new(Some(config), None);
    assert_eq!(
        only_config.resolve("process").expect("resolves").base,
        BaseCredentials::Process {
            command: "/opt/bin/creds --account 123456789012".into()
        }
    );
}

#[test]
fn resolution_errors() {
    let set = profiles();
    assert!(
        matches!(set.resolve("loop-a"), Err(ProfileError::Cycle { chain }) if chain == ["loop-a", "loop-b", "loop-a"])
    );
    // Its own source without keys of its own.
    let text = "[profile selfish]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = selfish\n";
    let file = ProfileFile::parse(FileKind::Config, "config", text).expect("valid");
    assert!(matches!(
        ProfileSet::new(Some(file), None).resolve("selfish"),
        Err(ProfileError::Cycle { chain }) if chain == ["selfish", "selfish"]
    ));
    assert!(matches!(
        set.resolve("both-sources"),
        Err(ProfileError::AmbiguousRoleSource { .. })
    ));
    assert!(matches!(
        set.resolve("imds"),
        Err(ProfileError::UnsupportedCredentialSource { .. })
    ));
    assert!(matches!(
        set.resolve("empty"),
        Err(ProfileError::NoCredentials { .. })
    ));
    assert!(matches!(
        set.resolve("half"),
        Err(ProfileError::IncompleteKeys { .. })
    ));
    assert!(matches!(
        set.resolve("nobody"),
        Err(ProfileError::NoSuchProfile { .. })
    ));
}

#[test]
fn malformed_files_name_the_file_and_line() {
    for (text, line) in [
        ("[default]\nregion = x\nthis is not a property\n", 3),
        ("region = x\n[default]\n", 1),
        ("[default\nregion = x\n", 1),
        ("[default] trailing\n", 1),
        ("  continued\n[default]\n", 1),
        ("[default]\n= value\n", 2),
        ("[default]\ns3 =\n  not a sub property\n", 3),
        ("[]\n", 1),
    ] {
        let err =
            ProfileFile::parse(FileKind::Config, "/home/me/.aws/config", text).expect_err(text);
        match &err {
            ProfileError::Syntax { file, line: at, .. } => {
                assert_eq!(file, "/home/me/.aws/config");
                assert_eq!(*at, line, "{text:?}: {err}");
            }
            other => panic!("{other:?}"),
        }
        assert!(err
            .to_string()
            .starts_with(&format!("/home/me/.aws/config, line {line}:")));
    }
}

#[test]
fn secrets_stay_out_of_errors_and_debug_output() {
    let broken = "[default]\naws_secret_access_key: wJalrXUtnFEMI\n";
    let err = ProfileFile::parse(FileKind::Credentials, "credentials", broken).expect_err("colon");
    assert!(!err.to_string().contains("wJalr"), "{err}");
    let text = "[default]\nregion = eu-west-1\naws_access_key_id = AKID\n\
                aws_secret_access_key = wJalrXUtnFEMI\naws_session_token = FwoGZX\n";
    let file = ProfileFile::parse(FileKind::Credentials, "credentials", text).expect("valid");
    let shown = format!("{file:?} {:?}", ProfileSet::new(None, Some(file.clone())));
    assert!(
        !shown.contains("wJalr") && !shown.contains("FwoGZX"),
        "{shown}"
    );
    assert!(
        shown.contains("eu-west-1") && shown.contains("AKID"),
        "{shown}"
    );
}

#[test]
fn the_environment() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    assert_eq!(from_environment(env(&[])), Ok(None));
    let creds = from_environment(env(&[
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("AWS_CREDENTIAL_EXPIRATION", "2026-11-28T12:00:00Z"),
    ]))
    .expect("valid")
    .expect("present");
    assert_eq!(creds.expiry(), Some(datetime!(2026-11-28 12:00 UTC)));
    assert_eq!(
        from_environment(env(&[("AWS_ACCESS_KEY_ID", "AKID")])),
        Err(ProviderError::IncompleteEnvironment {
            missing: "AWS_SECRET_ACCESS_KEY"
        })
    );
    assert!(matches!(
        from_environment(env(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_CREDENTIAL_EXPIRATION", "soon"),
        ])),
        Err(ProviderError::Invalid { .. })
    ));
}

#[test]
fn credential_process_output() {
    let creds = parse_process_output(
        br#"{"Version": 1, "AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-11-28T12:00:00Z"}"#,
    )
    .expect("valid");
    assert_eq!(creds.access_key_id(), "ASIAX");
    assert_eq!(creds.expiry(), Some(datetime!(2026-11-28 12:00 UTC)));
    let long_term =
        parse_process_output(br#"{"Version":1,"AccessKeyId":"AKIA","SecretAccessKey":"s"}"#)
            .expect("valid");
    assert_eq!(long_term.expiry(), None);
    for bad in [
        &b"not json"[..],
        br#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "s"}"#,
        br#"{"AccessKeyId": "A", "SecretAccessKey": "s"}"#,
        br#"{"Version": 1, "SecretAccessKey": "s"}"#,
        br#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "s", "Expiration": "tomorrow"}"#,
    ] {
        assert!(matches!(
            parse_process_output(bad),
            Err(ProviderError::ProcessOutput { .. })
        ));
    }
}

fn endpoint() -> Endpoint {
    Endpoint::regional("us-east-1").expect("valid")
}

#[test]
fn sts_requests_are_signed_and_checked_before_sending() {
    let creds = Credentials::new("AKIDEXAMPLE", "secret").expect("valid");
    let now = datetime!(2026-11-28 12:00 UTC);
    let mut input = AssumeRole::new("arn:aws:iam::123456789012:role/demo", "test_session");
    input.duration_seconds = Some(3600);
    input.external_id = Some("123ABC".into());
    let request = sts::assume_role_request(&endpoint(), &creds, now, &input).expect("builds");
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), "https://sts.us-east-1.amazonaws.com/");
    assert_eq!(
        String::from_utf8_lossy(request.body()),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=test_session&DurationSeconds=3600&ExternalId=123ABC"
    );
    // The request verifies as STS would check it.
    let mut store = InMemoryStore::new();
    store.insert(StoredCredential::new("AKIDEXAMPLE", "secret"));
    let signable = SignableRequest::from_http(&request, Payload::Unsigned);
    let verified = Verifier::default()
        .verify(&signable, Body::Bytes(request.body()), &store, now)
        .expect("authentic");
    assert_eq!(verified.scope().service(), "sts");

    for (name, duration) in [
        ("a", None),
        ("has space", None),
        ("ok_name", Some(899)),
        ("ok_name", Some(43_201)),
    ] {
        let mut bad = AssumeRole::new("arn:aws:iam::123456789012:role/demo", name);
        bad.duration_seconds = duration;
        assert!(matches!(
            sts::assume_role_request(&endpoint(), &creds, now, &bad),
            Err(StsError::InvalidInput { .. })
        ));
    }
    assert!(sts::get_session_token_request(&endpoint(), &creds, now, Some(129_601)).is_err());
    assert!(sts::get_session_token_request(&endpoint(), &creds, now, Some(900)).is_ok());
    let identity = sts::get_caller_identity_request(&endpoint(), &creds, now).expect("builds");
    assert_eq!(
        identity.body(),
        b"Action=GetCallerIdentity&Version=2011-06-15"
    );
}

#[test]
fn sts_responses_parse() {
    let assumed =
        sts::parse_assume_role(200, fixture("sts/assume-role.xml").as_bytes()).expect("parses");
    assert_eq!(
        assumed.arn,
        "arn:aws:sts::123456789012:assumed-role/demo/TestAR"
    );
    assert_eq!(assumed.assumed_role_id, "ARO123EXAMPLE123:TestAR");
    assert_eq!(assumed.credentials.access_key_id(), "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(
        assumed.credentials.expiry(),
        Some(datetime!(2019-11-09 13:34:41 UTC))
    );
    let session =
        sts::parse_get_session_token(200, fixture("sts/get-session-token.xml").as_bytes())
            .expect("parses");
    assert!(session.session_token().is_some());
    let who =
        sts::parse_get_caller_identity(200, fixture("sts/get-caller-identity.xml").as_bytes())
            .expect("parses");
    assert_eq!(
        (who.account.as_str(), who.user_id.as_str()),
        ("123456789012", "AIDACKCEVSQ6C2EXAMPLE")
    );

    let denied = sts::parse_assume_role(403, fixture("sts/error-access-denied.xml").as_bytes())
        .expect_err("an error");
    assert_eq!(denied.code(), Some("AccessDenied"));
    assert!(
        matches!(&denied, StsError::Service { status: 403, kind, request_id: Some(_), .. } if kind == "Sender")
    );
    let expired =
        sts::parse_get_caller_identity(403, fixture("sts/error-expired-token.xml").as_bytes())
            .expect_err("an error");
    assert_eq!(expired.code(), Some("ExpiredToken"));
    // Entity references split the text into pieces; the message comes back whole.
    let quoted = b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
        <Message>User &apos;bob&apos; &amp; caf&#233; <![CDATA[<x>]]> denied</Message>\
        </Error></ErrorResponse>";
    match sts::parse_assume_role(403, quoted) {
        Err(StsError::Service { message, .. }) => {
            assert_eq!(message, "User 'bob' & caf\u{e9} <x> denied")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        sts::parse_assume_role(
            403,
            b"<ErrorResponse><Error><Code>&bogus;</Code></Error></ErrorResponse>"
        ),
        Err(StsError::MalformedResponse { .. })
    ));
    assert!(matches!(
        sts::parse_assume_role(200, fixture("sts/truncated.xml").as_bytes()),
        Err(StsError::MalformedResponse { .. })
    ));
    assert!(matches!(
        sts::parse_assume_role(200, b"\xff\xfe"),
        Err(StsError::MalformedResponse { .. })
    ));
}

#[test]
fn a_role_chain_runs_over_the_callers_transport() {
    let plan = profiles().resolve("chained").expect("resolves");
    let BaseCredentials::Static(base) = plan.base else {
        panic!("static base")
    };
    let mut sent = Vec::new();
    let mut dates = Vec::new();
    // Before the fixture's credentials expire: the second step signs with them.
    let clock = FakeClock::at(datetime!(2019-11-09 12:00 UTC));
    let assumed = sts::assume_role_chain(
        base,
        &plan.steps,
        &endpoint(),
        &clock,
        "sigv4",
        |serial| {
            // The user takes seven minutes to type the code.
            clock.set(datetime!(2019-11-09 12:07 UTC));
            (serial == "arn:aws:iam::123456789012:mfa/user1").then(|| "123456".to_owned())
        },
        |request| {
            sent.push(String::from_utf8_lossy(request.body()).into_owned());
            dates.push(
                request.headers()["x-amz-date"]
                    .to_str()
                    .expect("ASCII")
                    .to_owned(),
            );
            Ok((200, fixture("sts/assume-role.xml").into_bytes()))
        },
    )
    .expect("assumed");
    assert_eq!(dates, ["20191109T120700Z", "20191109T120700Z"]);
    assert_eq!(assumed.credentials.access_key_id(), "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(sent.len(), 2);
    assert!(sent[0].contains("marketingadminrole") && sent[0].contains("TokenCode=123456"));
    assert!(sent[1].contains("role%2Fsecond") && sent[1].contains("RoleSessionName=sigv4"));
}

/// A clock the test moves by hand.
struct FakeClock(AtomicI64);

impl FakeClock {
    fn at(t: OffsetDateTime) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(t.unix_timestamp())))
    }
    fn set(&self, t: OffsetDateTime) {
        self.0.store(t.unix_timestamp(), Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.0.load(Ordering::SeqCst)).expect("in range")
    }
}

const T0: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

/// A source that issues credentials valid for an hour from the clock's time, and fails when
/// told to.
struct Issuer {
    clock: Arc<FakeClock>,
    calls: AtomicUsize,
    fail: std::sync::atomic::AtomicBool,
    delay: StdDuration,
}

impl sigv4::provider::CredentialSource for Issuer {
    fn fetch(&self) -> Result<Credentials, String> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        if self.fail.load(Ordering::SeqCst) {
            return Err("STS is down".into());
        }
        Ok(Credentials::new(format!("ASIA{n}"), "secret")
            .expect("valid")
            .with_expiry(self.clock.now() + Duration::hours(1)))
    }
}

type Cache = Arc<CachedCredentials<Shared, Arc<FakeClock>>>;

fn cache(delay_ms: u64) -> (Cache, Arc<Issuer>, Arc<FakeClock>) {
    let clock = FakeClock::at(T0);
    let issuer = Arc::new(Issuer {
        clock: clock.clone(),
        calls: AtomicUsize::new(0),
        fail: false.into(),
        delay: StdDuration::from_millis(delay_ms),
    });
    let cache = CachedCredentials::with_clock(
        Shared(issuer.clone()),
        clock.clone(),
        RefreshWindows::default(),
    );
    (Arc::new(cache), issuer, clock)
}

/// The issuer shared between the cache and the test.
struct Shared(Arc<Issuer>);

impl sigv4::provider::CredentialSource for Shared {
    fn fetch(&self) -> Result<Credentials, String> {
        self.0.fetch()
    }
}

#[test]
fn serves_cached_credentials_until_the_advisory_window() {
    let (cache, issuer, clock) = cache(0);
    let first = cache.get().expect("fetched");
    assert_eq!(first.access_key_id(), "ASIA0");
    clock.set(T0 + Duration::minutes(44));
    assert_eq!(cache.get().expect("cached").access_key_id(), "ASIA0");
    assert_eq!(issuer.calls.load(Ordering::SeqCst), 1);
    // 14 minutes left: advisory, refreshed.
    clock.set(T0 + Duration::minutes(46));
    assert_eq!(cache.get().expect("refreshed").access_key_id(), "ASIA1");
    assert_eq!(issuer.calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_failed_advisory_refresh_keeps_serving_valid_credentials() {
    let (cache, issuer, clock) = cache(0);
    cache.get().expect("fetched");
    issuer.fail.store(true, Ordering::SeqCst);
    clock.set(T0 + Duration::minutes(47));
    assert_eq!(cache.get().expect("still valid").access_key_id(), "ASIA0");
    // Each call in the window tries again.
    assert_eq!(cache.get().expect("still valid").access_key_id(), "ASIA0");
    assert_eq!(issuer.calls.load(Ordering::SeqCst), 3);
    issuer.fail.store(false, Ordering::SeqCst);
    assert_eq!(cache.get().expect("refreshed").access_key_id(), "ASIA3");
}

/// A source that panics once, then issues credentials.
struct PanicsOnce(AtomicUsize);

impl sigv4::provider::CredentialSource for PanicsOnce {
    fn fetch(&self) -> Result<Credentials, String> {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("the source failed badly");
        }
        Credentials::new("ASIAAFTER", "secret").map_err(|e| e.to_string())
    }
}

#[test]
fn a_panicking_source_does_not_leave_the_cache_refreshing_forever() {
    let cache = Arc::new(CachedCredentials::new(PanicsOnce(AtomicUsize::new(0))));
    let first = std::thread::spawn({
        let cache = cache.clone();
        move || cache.get()
    });
    assert!(first.join().is_err(), "the fetch panicked");
    // Were the refresh still marked as running, this would wait forever.
    let got = cache.get().expect("the second fetch succeeds");
    assert_eq!(got.access_key_id(), "ASIAAFTER");
}

#[test]
fn a_failed_mandatory_refresh_is_an_error() {
    let (cache, issuer, clock) = cache(0);
    cache.get().expect("fetched");
    issuer.fail.store(true, Ordering::SeqCst);
    clock.set(T0 + Duration::minutes(51));
    assert!(matches!(
        cache.get(),
        Err(ProviderError::RefreshFailed { .. })
    ));
    clock.set(T0 + Duration::minutes(70));
    assert!(matches!(
        cache.get(),
        Err(ProviderError::RefreshFailed { .. })
    ));
    issuer.fail.store(false, Ordering::SeqCst);
    let fresh = cache.get().expect("refreshed");
    assert!(!fresh.expires_within(clock.now(), Duration::minutes(15)));
}

#[test]
fn sixteen_threads_cause_one_refresh_per_expiry() {
    let (cache, issuer, clock) = cache(50);
    for (round, minutes) in [(1, 0), (2, 55), (3, 110)] {
        clock.set(T0 + Duration::minutes(minutes));
        let barrier = Arc::new(Barrier::new(16));
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let cache = cache.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    cache.get().map(|c| c.access_key_id().to_owned())
                })
            })
            .collect();
        let keys: Vec<String> = handles
            .into_iter()
            .map(|h| h.join().expect("no panic").expect("credentials"))
            .collect();
        assert_eq!(issuer.calls.load(Ordering::SeqCst), round, "round {round}");
        // Everyone got the same, fresh credentials.
        assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
        assert_eq!(keys[0], format!("ASIA{}", round - 1));
    }
}

#[test]
fn a_repeated_parent_replaces_its_sub_properties_and_big_files_parse() {
    let text = "[default]\ns3 =\n  a = 1\n  b = 2\ns3x = keep\ns3 =\n  c = 3\n";
    let file = ProfileFile::parse(FileKind::Credentials, "credentials", text).expect("valid");
    let profile = file.profile("default").expect("present");
    let keys: Vec<&str> = profile.properties().map(|(k, _)| k).collect();
    assert_eq!(keys, ["s3", "s3.c", "s3x"]);
    // 100,000 sub-properties under one parent: linear work, not a scan per line.
    let mut big = String::from("[default]\nparent =\n");
    for i in 0..100_000 {
        big.push_str(&format!("  key{i} = {i}\n"));
    }
    let start = std::time::Instant::now();
    let file = ProfileFile::parse(FileKind::Credentials, "credentials", &big).expect("valid");
    let profile = file.profile("default").expect("present");
    assert_eq!(profile.get("parent.key99999"), Some("99999"));
    assert_eq!(profile.properties().count(), 100_001);
    // Generous for a debug build; a parser that scans every key per line is far slower.
    assert!(
        start.elapsed() < StdDuration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
}
