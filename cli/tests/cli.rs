//! The `sigv4` command as a user runs it: exit codes, output forms, the vectors runner.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn suite() -> PathBuf {
    let dir = repo().join("../shared/aws-signing-test-suite/v4");
    assert!(
        dir.is_dir(),
        "the AWS signing test suite must be at {}",
        dir.display()
    );
    dir
}

fn sigv4(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    cmd.args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/config")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(input) = stdin {
        use std::io::Write;
        // A command that fails before reading its input closes the pipe early; that
        // is what some tests check, so a refused write is not an error here.
        let _ = child.stdin.take().expect("stdin").write_all(input);
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("the binary finishes")
}

const CREDS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ),
];

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh scratch directory for one test, removed when it is dropped.
fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("sigv4-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    Scratch(dir)
}

/// See [`scratch`].
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_case(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("case dir");
    for entry in std::fs::read_dir(from).expect("case readable") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copied");
    }
}

#[test]
fn every_suite_case_passes_in_both_forms() {
    let out = sigv4(
        &["vectors", suite().to_str().expect("UTF-8 path")],
        &[],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.ends_with("76 passed, 0 failed\n"), "{stdout}");
    for case in [
        "get-header-value-multiline",
        "get-space-normalized",
        "get-space-unnormalized",
        "get-utf8",
        "get-vanilla-utf8-query",
    ] {
        for form in ["header", "query"] {
            assert!(
                stdout.contains(&format!("PASS {} [{form}]", suite().join(case).display())),
                "{case} {form} did not pass"
            );
        }
    }
}

#[test]
fn the_projects_own_vectors_pass() {
    let out = sigv4(
        &[
            "vectors",
            repo().join("test-vectors").to_str().expect("UTF-8"),
        ],
        &[],
        None,
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn a_flipped_byte_in_any_expected_file_fails() {
    let dir = scratch("flip");
    for file in [
        "header-canonical-request.txt",
        "header-string-to-sign.txt",
        "header-signature.txt",
        "header-signed-request.txt",
        "query-signature.txt",
    ] {
        let case = dir.join(file);
        copy_case(&suite().join("get-vanilla-with-session-token"), &case);
        let path = case.join(file);
        let mut bytes = std::fs::read(&path).expect("readable");
        let last = bytes.len() - 3;
        bytes[last] ^= 0x01;
        std::fs::write(&path, bytes).expect("writable");
    }
    let out = sigv4(&["vectors", dir.to_str().expect("UTF-8")], &[], None);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.ends_with("5 passed, 5 failed\n"), "{stdout}");
}

#[test]
fn vectors_needs_at_least_one_case() {
    let dir = scratch("empty");
    let out = sigv4(&["vectors", dir.to_str().expect("UTF-8")], &[], None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "0 passed, 0 failed\n");
    let out = sigv4(&["vectors", "/nonexistent/dir"], &[], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_malformed_case_is_a_failure_not_a_skip() {
    let dir = scratch("malformed");
    let case = dir.join("bad");
    copy_case(&suite().join("get-vanilla"), &case);
    std::fs::write(case.join("context.json"), "{ not json").expect("writable");
    let out = sigv4(&["vectors", dir.to_str().expect("UTF-8")], &[], None);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL") && stdout.contains("context.json"),
        "{stdout}"
    );
}

fn sign_vanilla(extra: &[&str]) -> Output {
    let request = suite().join("get-vanilla/request.txt");
    let mut args = vec![
        "sign",
        "--request",
        request.to_str().expect("UTF-8"),
        "--region",
        "us-east-1",
        "--service",
        "service",
        "--time",
        "2015-08-30T12:36:00Z",
    ];
    args.extend_from_slice(extra);
    sigv4(&args, CREDS, None)
}

#[test]
fn sign_prints_the_suites_signed_request() {
    let out = sign_vanilla(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let want = std::fs::read(suite().join("get-vanilla/header-signed-request.txt")).expect("file");
    assert_eq!(text(&out.stdout), text(&want));

    let out = sign_vanilla(&["--presign", "3600"]);
    let want = std::fs::read(suite().join("get-vanilla/query-signed-request.txt")).expect("file");
    assert_eq!(text(&out.stdout), text(&want));
}

#[test]
fn sign_formats() {
    let out = sign_vanilla(&["--format", "signature"]);
    assert_eq!(
        text(&out.stdout),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n"
    );
    let out = sign_vanilla(&["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for key in [
        "canonical_request",
        "string_to_sign",
        "signature",
        "authorization",
        "signed_request",
    ] {
        assert!(json[key].is_string(), "{key} missing in {json}");
    }
    let want = std::fs::read_to_string(suite().join("get-vanilla/header-canonical-request.txt"))
        .expect("file");
    assert_eq!(json["canonical_request"], want.as_str());
    let out = sign_vanilla(&["--format", "curl"]);
    let curl = text(&out.stdout);
    assert!(
        curl.starts_with("curl --request GET 'https://example.amazonaws.com/'"),
        "{curl}"
    );
    assert!(
        curl.contains("--header 'Authorization: AWS4-HMAC-SHA256 Credential="),
        "{curl}"
    );
}

#[test]
fn sign_reads_stdin() {
    let out = sigv4(
        &[
            "sign",
            "--request",
            "-",
            "--region",
            "us-east-1",
            "--service",
            "service",
            "--time",
            "2015-08-30T12:36:00Z",
            "--format",
            "signature",
        ],
        CREDS,
        Some(b"GET / HTTP/1.1\nHost:example.amazonaws.com\n"),
    );
    assert_eq!(
        text(&out.stdout),
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31\n"
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let request = suite().join("get-vanilla/request.txt");
    let request = request.to_str().expect("UTF-8");
    let base = [
        "sign",
        "--request",
        request,
        "--region",
        "us-east-1",
        "--service",
        "service",
    ];
    type Env<'a> = &'a [(&'a str, &'a str)];
    let cases: Vec<(Vec<&str>, Env<'_>, &str)> = vec![
        (base.to_vec(), &[], "no credentials: set AWS_ACCESS_KEY_ID"),
        (
            [&base[..], &["--time", "yesterday"]].concat(),
            CREDS,
            "RFC 3339",
        ),
        ([&base[..], &["--presign", "0"]].concat(), CREDS, "604800"),
        (
            [&base[..], &["--presign", "604801"]].concat(),
            CREDS,
            "604800",
        ),
        (
            vec![
                "sign",
                "--request",
                "/nonexistent",
                "--region",
                "r",
                "--service",
                "s",
            ],
            CREDS,
            "/nonexistent",
        ),
        (
            vec![
                "sign",
                "--request",
                "-",
                "--region",
                "bad/region",
                "--service",
                "s",
            ],
            CREDS,
            "region",
        ),
    ];
    for (args, env, needle) in cases {
        let out = sigv4(&args, env, Some(b"GET / HTTP/1.1\nHost:h\n"));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let out = sigv4(
        &["sign", "--request", "-", "--region", "r", "--service", "s"],
        CREDS,
        Some(b"GET / HTTP/1.1\nthis is not a header\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn secrets_never_reach_stderr() {
    let out = sigv4(
        &[
            "sign",
            "--request",
            "-",
            "--region",
            "r",
            "--service",
            "s",
            "--presign",
            "0",
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "SECRETSECRET"),
            ("AWS_SESSION_TOKEN", "TOKENTOKEN"),
        ],
        Some(b"GET / HTTP/1.1\nHost:h\n"),
    );
    let stderr = text(&out.stderr);
    assert!(
        !stderr.contains("SECRETSECRET") && !stderr.contains("TOKENTOKEN"),
        "{stderr}"
    );
}

const CONFIG: &str = r#"
[settings]
regions = ["us-east-1"]
max_skew_seconds = 900

[[credentials]]
access_key_id = "AKIDEXAMPLE"
secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
principal = "arn:aws:iam::123456789012:user/alice"
"#;

fn verify_with(config: &str, request: &[u8], time: &str) -> Output {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("verify-{n}"));
    let path = dir.join("config.toml");
    std::fs::write(&path, config).expect("config written");
    sigv4(
        &[
            "verify",
            "--request",
            "-",
            "--config",
            path.to_str().expect("UTF-8"),
            "--time",
            time,
        ],
        &[],
        Some(request),
    )
}

#[test]
fn verify_admits_a_signed_request_and_names_who_signed() {
    let signed =
        std::fs::read(suite().join("post-x-www-form-urlencoded/header-signed-request.txt"))
            .expect("file");
    let out = verify_with(CONFIG, &signed, "2015-08-30T12:40:00Z");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        json["principal"]["arn"],
        "arn:aws:iam::123456789012:user/alice"
    );
    assert_eq!(json["principal"]["account"], "123456789012");
    assert_eq!(json["scope"]["service"], "service");
    assert_eq!(json["body"]["length"], 13);
    assert_eq!(
        json["body"]["sha256"],
        "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"
    );
    assert!(!text(&out.stdout).contains("wJalrXUtnFEMI"));
}

#[test]
fn verify_explains_a_mismatch() {
    let signed =
        std::fs::read(suite().join("get-vanilla/header-signed-request.txt")).expect("file");
    let tampered = text(&signed).replace("GET / ", "GET /x ");
    let out = verify_with(CONFIG, tampered.as_bytes(), "2015-08-30T12:36:00Z");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["code"], "SignatureDoesNotMatch");
    assert_eq!(json["status"], 403);
    assert!(json["canonical_request"]
        .as_str()
        .expect("text")
        .starts_with("GET\n/x\n"));
    assert!(json["string_to_sign"]
        .as_str()
        .expect("text")
        .starts_with("AWS4-HMAC-SHA256\n"));

    let out = verify_with(CONFIG, &signed, "2015-08-30T13:36:00Z");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["code"], "RequestExpired", "{json}");
}

#[test]
fn verify_refuses_a_bad_config_with_its_line() {
    let signed =
        std::fs::read(suite().join("get-vanilla/header-signed-request.txt")).expect("file");
    let bad = CONFIG.replace("max_skew_seconds", "max_skew");
    let out = verify_with(&bad, &signed, "2015-08-30T12:36:00Z");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 4") && stderr.contains("max_skew"),
        "{stderr}"
    );
}

#[test]
fn chunked_uploads_sign_and_verify_end_to_end() {
    let dir = scratch("chunked");
    let request = dir.join("put.txt");
    let mut text = b"PUT /bucket/key HTTP/1.1\nHost:bucket.s3.amazonaws.com\n\n".to_vec();
    text.extend(std::iter::repeat_n(b'z', 20_000));
    std::fs::write(&request, &text).expect("written");
    let config = dir.join("config.toml");
    std::fs::write(&config, CONFIG).expect("written");
    for extra in [
        vec![],
        vec!["--trailer", "x-amz-checksum-crc32c"],
        vec!["--trailer", "x-amz-checksum-sha256", "--unsigned-payload"],
    ] {
        let mut args = vec![
            "sign",
            "--request",
            request.to_str().expect("UTF-8"),
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--s3",
            "--time",
            "2026-11-28T12:00:00Z",
            "--chunk-size",
            "8192",
        ];
        args.extend(extra.iter().copied());
        let signed = sigv4(&args, CREDS, None);
        assert!(signed.status.success(), "{}", text_of(&signed.stderr));
        let verify = |body: &[u8]| {
            sigv4(
                &[
                    "verify",
                    "--request",
                    "-",
                    "--config",
                    config.to_str().expect("UTF-8"),
                    "--time",
                    "2026-11-28T12:01:00Z",
                ],
                &[],
                Some(body),
            )
        };
        let out = verify(&signed.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{extra:?}: {}",
            text_of(&out.stdout)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["body"]["encoding"], "aws-chunked");
        assert_eq!(json["body"]["length"], 20_000);
        assert_eq!(json["body"]["sha256"], sha256_hex(&[b'z'; 20_000]));
        // One byte of data changed.
        let mut forged = signed.stdout.clone();
        let at = forged.len() - 3000;
        forged[at] ^= 0x01;
        let out = verify(&forged);
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
    }
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// Runs the binary with the shared files of `tests/fixtures/profiles` (and a
/// credential_process script written to a scratch folder).
fn with_profiles(args: &[&str], extra_config: &str) -> Output {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = scratch(&format!("profiles-{n}"));
    let fixtures = repo().join("tests/fixtures/profiles");
    let mut config = std::fs::read_to_string(fixtures.join("config")).expect("fixture");
    config.push_str(extra_config);
    let config_path = dir.join("config");
    std::fs::write(&config_path, config).expect("written");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sigv4"));
    cmd.args(args)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", &config_path)
        .env("AWS_SHARED_CREDENTIALS_FILE", fixtures.join("credentials"));
    cmd.output().expect("runs")
}

#[test]
fn credentials_explains_sources_without_secrets() {
    let out = with_profiles(&["credentials", "--profile", "user1"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["source"], "static");
    assert_eq!(json["access_key_id"], "AKIAUSER1");
    assert!(
        !text(&out.stdout).contains("user1secret") && !text(&out.stdout).contains("user1token")
    );

    let out = with_profiles(&["credentials", "--profile", "chained"], "");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["source"], "assume_role");
    assert_eq!(json["role_chain"].as_array().map(Vec::len), Some(2));
    assert_eq!(json["role_chain"][0]["external_id"], "123ABC");
    assert_eq!(json["base"]["access_key_id"], "AKIAUSER1");

    let out = with_profiles(&["credentials", "--profile", "loop-a"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("loop-a -> loop-b -> loop-a"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn sign_with_a_profile() {
    let request = suite().join("get-vanilla/request.txt");
    let request = request.to_str().expect("UTF-8");
    let common = [
        "sign",
        "--request",
        request,
        "--region",
        "us-east-1",
        "--service",
        "service",
        "--time",
        "2015-08-30T12:36:00Z",
        "--format",
        "json",
    ];
    let out = with_profiles(&[&common[..], &["--profile", "default"]].concat(), "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(json["authorization"]
        .as_str()
        .expect("header")
        .contains("Credential=AKIADEFAULT/"));

    // credential_process: run, parsed; failing or malformed, a clear error.
    let scripts = scratch("scripts");
    let script = |name: &str, body: &str| {
        let path = scripts.join(format!("{name}.sh"));
        std::fs::write(&path, body).expect("written");
        path
    };
    let good = script(
        "good",
        r#"printf '{"Version":1,"AccessKeyId":"ASIAPROCESS","SecretAccessKey":"s","SessionToken":"t","Expiration":"2015-08-30T13:00:00Z"}'"#,
    );
    let bad = script("bad", "echo 'not json'");
    let failing = script("failing", "echo 'no session' >&2; exit 3");
    for (path, ok, needle) in [
        (&good, true, "ASIAPROCESS"),
        (&bad, false, "credential_process printed unusable output"),
        (&failing, false, "no session"),
    ] {
        let extra = format!(
            "\n[profile proc]\ncredential_process = sh {}\n",
            path.display()
        );
        let out = with_profiles(&[&common[..], &["--profile", "proc"]].concat(), &extra);
        if ok {
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert!(text(&out.stdout).contains(needle));
        } else {
            assert_eq!(out.status.code(), Some(2));
            assert!(text(&out.stderr).contains(needle), "{}", text(&out.stderr));
        }
    }

    // A role chain is explained, not attempted.
    let out = with_profiles(
        &[&common[..], &["--profile", "marketingadmin"]].concat(),
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("does not call STS") && stderr.contains("marketingadminrole"),
        "{stderr}"
    );
}

/// `serve` on the embedded demo, spoken to over a plain TCP connection.
#[test]
fn serve_answers_signed_requests_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;

    let mut server = Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut stdout = BufReader::new(server.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a line");
    let addr = first
        .trim()
        .rsplit("http://")
        .next()
        .expect("an address")
        .to_owned();

    let exchange = |request: &[u8]| {
        let mut stream = TcpStream::connect(&addr).expect("connects");
        stream.write_all(request).expect("sent");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    };
    let health = exchange(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");

    // Sign with the demo's key pair, the way `sigv4 sign` prints it, and send it.
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats");
    let request = format!("GET /bucket/key HTTP/1.1\nHost:{addr}\nConnection:close\n\n");
    let signed = sigv4(
        &[
            "sign",
            "--request",
            "-",
            "--region",
            "us-east-1",
            "--service",
            "s3",
            "--s3",
            "--time",
            &now,
        ],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
        ],
        Some(request.as_bytes()),
    );
    assert!(signed.status.success(), "{}", text(&signed.stderr));
    let wire = text(&signed.stdout).replace('\n', "\r\n");
    let response = exchange(wire.as_bytes());
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("arn:aws:iam::123456789012:user/user1"),
        "{response}"
    );

    let forged = wire.replace("GET /bucket/key", "GET /bucket/other");
    let response = exchange(forged.as_bytes());
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(
        response.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{response}"
    );

    // SIGTERM: the server exits cleanly.
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = server.wait().expect("exits");
    assert!(status.success(), "{status:?}");
}
