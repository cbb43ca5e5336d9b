//! Signing and verification against the official `aws-sigv4` crate and against the hashing
//! floor (the canonical request hashed with `sha2`, plus one HMAC with a precomputed key), on
//! identical inputs in the same run. `BENCHMARKS.md` holds the figures and how to rerun them.

// criterion's macros define undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    self as aws, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignatureLocation,
    UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use criterion::{criterion_group, BenchmarkId, Criterion};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sigv4::{
    Body, ChunkedBody, Credentials, DecoderSettings, InMemoryStore, Payload, SignableRequest,
    Signer, SigningKey, SigningParams, SigningSettings, StoredCredential, StreamingPayload,
    Verifier,
};
use time::macros::datetime;
use time::OffsetDateTime;

const TIME: OffsetDateTime = datetime!(2015-08-30 12:36:00 UTC);
const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

/// One benchmark input, described once and handed to each signer.
struct Input {
    name: &'static str,
    method: &'static str,
    host: &'static str,
    target: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
    service: &'static str,
    s3: bool,
    token: bool,
    presign: Option<u64>,
}

impl Input {
    /// Whether the signature leaves the body out: a presigned S3 URL (`UNSIGNED-PAYLOAD`).
    fn unsigned_payload(&self) -> bool {
        self.s3 && self.presign.is_some()
    }

    /// The body the signature covers.
    fn signed_body(&self) -> &[u8] {
        if self.unsigned_payload() {
            &[]
        } else {
            &self.body
        }
    }
}

fn inputs() -> Vec<Input> {
    vec![
        Input {
            name: "get-vanilla",
            method: "GET",
            host: "example.amazonaws.com",
            target: "/",
            headers: vec![],
            body: vec![],
            service: "service",
            s3: false,
            token: false,
            presign: None,
        },
        Input {
            name: "s3-get-8-headers-query-token",
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            target: "/photos/2024/summer/beach.jpg?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY&partNumber=1",
            headers: vec![
                ("accept", "*/*"),
                ("accept-encoding", "gzip, deflate"),
                ("range", "bytes=0-1048575"),
                ("if-none-match", "\"d41d8cd98f00b204e9800998ecf8427e\""),
                ("x-amz-request-payer", "requester"),
                ("x-amz-expected-bucket-owner", "123456789012"),
                ("x-amz-checksum-mode", "ENABLED"),
            ],
            body: vec![],
            service: "s3",
            s3: true,
            token: true,
            presign: None,
        },
        Input {
            name: "s3-presign-10-params",
            method: "GET",
            host: "examplebucket.s3.amazonaws.com",
            target: "/reports/2024/q3.pdf?response-content-type=application%2Fpdf&response-content-disposition=attachment%3B%20filename%3Dq3.pdf&versionId=abc123",
            headers: vec![],
            body: vec![],
            service: "s3",
            s3: true,
            token: true,
            presign: Some(3600),
        },
        Input {
            name: "post-1k-body",
            method: "POST",
            host: "dynamodb.us-east-1.amazonaws.com",
            target: "/",
            headers: vec![
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "DynamoDB_20120810.PutItem"),
            ],
            body: vec![b'a'; 1024],
            service: "dynamodb",
            s3: false,
            token: false,
            presign: None,
        },
    ]
}

fn credentials(input: &Input) -> Credentials {
    let c = Credentials::new(AKID, SECRET).expect("valid");
    if input.token {
        c.with_session_token(TOKEN).expect("valid token")
    } else {
        c
    }
}

fn signer(input: &Input) -> Signer {
    if input.s3 {
        Signer::s3()
    } else {
        Signer::new(SigningSettings::default())
    }
}

fn signable(input: &Input) -> SignableRequest<'_> {
    let payload = if input.unsigned_payload() {
        Payload::Unsigned
    } else {
        Payload::Bytes(&input.body)
    };
    let mut r = SignableRequest::new(input.method, input.target)
        .header("host", input.host)
        .payload(payload);
    for (n, v) in &input.headers {
        r.push_header(n, v.as_bytes());
    }
    r
}

/// Signs with this crate; returns the signature so nothing is optimized away.
fn sign_ours(signer: &Signer, input: &Input, creds: &Credentials) -> usize {
    let request = signable(input);
    let params = SigningParams::new(creds, "us-east-1", input.service, TIME);
    match input.presign {
        Some(expires) => signer
            .presign(&request, &params, expires)
            .expect("presigns")
            .target()
            .len(),
        None => signer
            .sign(&request, &params)
            .expect("signs")
            .authorization()
            .len(),
    }
}

fn aws_identity(input: &Input) -> Identity {
    AwsCredentials::new(
        AKID,
        SECRET,
        input.token.then(|| TOKEN.to_owned()),
        None,
        "bench",
    )
    .into()
}

fn sign_official(input: &Input, identity: &Identity) -> usize {
    let mut settings = aws::SigningSettings::default();
    if input.s3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        if input.presign.is_none() {
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        }
    }
    if let Some(expires) = input.presign {
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(expires));
    }
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region("us-east-1")
        .name(input.service)
        .time(SystemTime::UNIX_EPOCH + Duration::from_secs(TIME.unix_timestamp() as u64))
        .settings(settings)
        .build()
        .expect("valid params")
        .into();
    let uri = format!("https://{}{}", input.host, input.target);
    let mut headers = vec![("host", input.host)];
    headers.extend(input.headers.iter().copied());
    let body = if input.unsigned_payload() {
        SignableBody::UnsignedPayload
    } else {
        SignableBody::Bytes(&input.body)
    };
    let request =
        aws::SignableRequest::new(input.method, uri, headers.into_iter(), body).expect("signable");
    let (_, signature) = aws::sign(request, &params).expect("signs").into_parts();
    signature.len()
}

/// The floor: what no signer can avoid. The canonical request (taken from this crate once,
/// outside the timing) is hashed, and one HMAC with a precomputed key signs the string to
/// sign.
struct Floor {
    canonical_request: Vec<u8>,
    string_to_sign_prefix: Vec<u8>,
    key: [u8; 32],
}

impl Floor {
    fn new(input: &Input) -> Self {
        let creds = credentials(input);
        let request = signable(input);
        let params = SigningParams::new(&creds, "us-east-1", input.service, TIME);
        let signer = signer(input);
        let details = match input.presign {
            Some(expires) => {
                signer
                    .presign_explained(&request, &params, expires)
                    .expect("presigns")
                    .1
            }
            None => signer.sign_explained(&request, &params).expect("signs").1,
        };
        let (prefix, _) = details
            .string_to_sign
            .rsplit_once('\n')
            .expect("four lines");
        let key = SigningKey::derive(
            creds.secret_access_key(),
            "20150830",
            "us-east-1",
            input.service,
        );
        Self {
            canonical_request: details.canonical_request.into_bytes(),
            string_to_sign_prefix: format!("{prefix}\n").into_bytes(),
            key: *key.expose(),
        }
    }

    fn run(&self, body: &[u8]) -> [u8; 32] {
        // The payload hash is part of the floor wherever a body is signed (an empty body's
        // hash is a constant).
        if !body.is_empty() {
            let _ = black_box(Sha256::digest(body));
        }
        let hash = Sha256::digest(&self.canonical_request);
        let mut hex = [0u8; 64];
        hex::encode_to_slice(hash, &mut hex).expect("sized");
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(&self.string_to_sign_prefix);
        mac.update(&hex);
        mac.finalize().into_bytes().into()
    }
}

fn signing(c: &mut Criterion) {
    for input in inputs() {
        let group_name = if input.presign.is_some() {
            "presign"
        } else {
            "sign-header"
        };
        let mut group = c.benchmark_group(group_name);
        let creds = credentials(&input);
        let cached = signer(&input);
        let identity = aws_identity(&input);
        let floor = Floor::new(&input);
        let floor_body = input.signed_body();
        group.bench_function(BenchmarkId::new("floor", input.name), |b| {
            b.iter(|| floor.run(black_box(floor_body)))
        });
        group.bench_function(BenchmarkId::new("sigv4-cached-key", input.name), |b| {
            b.iter(|| sign_ours(&cached, black_box(&input), &creds))
        });
        group.bench_function(BenchmarkId::new("sigv4-cold-key", input.name), |b| {
            b.iter(|| sign_ours(&signer(&input), black_box(&input), &creds))
        });
        group.bench_function(BenchmarkId::new("aws-sigv4", input.name), |b| {
            b.iter(|| sign_official(black_box(&input), &identity))
        });
        group.finish();
    }
}

/// A request signed by this crate, held as owned parts for the verifier to read.
struct SignedInput {
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn signed(input: &Input) -> SignedInput {
    let creds = credentials(input);
    let request = signable(input);
    let params = SigningParams::new(&creds, "us-east-1", input.service, TIME);
    let signer = signer(input);
    let mut headers: Vec<(String, String)> = vec![("host".into(), input.host.into())];
    headers.extend(
        input
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string())),
    );
    let target = match input.presign {
        Some(expires) => signer
            .presign(&request, &params, expires)
            .expect("presigns")
            .target()
            .to_owned(),
        None => {
            let out = signer.sign(&request, &params).expect("signs");
            headers.extend(out.headers().map(|(n, v)| (n.to_owned(), v.to_owned())));
            input.target.to_owned()
        }
    };
    SignedInput {
        target,
        headers,
        body: input.body.clone(),
    }
}

impl SignedInput {
    fn request(&self, method: &'static str) -> SignableRequest<'_> {
        let mut request = SignableRequest::new(method, &self.target);
        for (n, v) in &self.headers {
            request.push_header(n, v.as_bytes());
        }
        request
    }
}

/// The verifier's store, holding the input's credential.
fn store(input: &Input) -> InMemoryStore {
    let mut store = InMemoryStore::new();
    let mut stored = StoredCredential::new(AKID, SECRET);
    if input.token {
        stored = stored.session_token(TOKEN);
    }
    store.insert(stored);
    store
}

fn verification(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    for input in inputs() {
        let signed = signed(&input);
        let store = store(&input);
        let verifier = Verifier::default();
        let request = signed.request(input.method);
        let floor = Floor::new(&input);
        let floor_body = input.signed_body();
        verifier
            .verify(&request, Body::Bytes(&signed.body), &store, TIME)
            .expect("authentic");
        group.bench_function(BenchmarkId::new("floor", input.name), |b| {
            b.iter(|| floor.run(black_box(floor_body)))
        });
        group.bench_function(BenchmarkId::new("sigv4-cached-key", input.name), |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(&request), Body::Bytes(&signed.body), &store, TIME)
                    .map(|v| v.location)
                    .expect("authentic")
            })
        });
    }
    group.finish();
}

fn canonicalization(c: &mut Criterion) {
    let mut group = c.benchmark_group("canonical-request");
    for input in inputs() {
        let creds = credentials(&input);
        let signer = signer(&input);
        let request = signable(&input);
        let params = SigningParams::new(&creds, "us-east-1", input.service, TIME);
        let text = signer
            .canonical_request(&request, &params)
            .expect("canonicalizes");
        group.bench_function(BenchmarkId::new("copy-floor", input.name), |b| {
            b.iter(|| black_box(text.as_str()).to_owned())
        });
        group.bench_function(BenchmarkId::new("sigv4", input.name), |b| {
            b.iter(|| {
                signer
                    .canonical_request(black_box(&request), &params)
                    .expect("canonicalizes")
            })
        });
    }
    group.finish();
}

fn key_derivation(c: &mut Criterion) {
    let mut group = c.benchmark_group("key-derivation");
    let creds = Credentials::new(AKID, SECRET).expect("valid");
    group.bench_function("sigv4", |b| {
        b.iter(|| {
            SigningKey::derive(
                creds.secret_access_key(),
                black_box("20150830"),
                "us-east-1",
                "service",
            )
        })
    });
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(TIME.unix_timestamp() as u64);
    group.bench_function("aws-sigv4", |b| {
        b.iter(|| v4::generate_signing_key(SECRET, black_box(time), "us-east-1", "service"))
    });
    group.finish();
}

/// aws-chunked verification of a 64 MiB body against plain SHA-256 of the same bytes.
fn chunked(c: &mut Criterion) {
    const SIZE: usize = 64 * 1024 * 1024;
    let data = vec![0x5au8; SIZE];
    let creds = Credentials::new(AKID, SECRET).expect("valid");
    let params = SigningParams::new(&creds, "us-east-1", "s3", TIME);
    let signer = Signer::s3();
    let body = ChunkedBody::new(StreamingPayload::Signed, SIZE as u64);
    let framing = body.headers();
    let mut request = SignableRequest::new("PUT", "/big")
        .header("host", "bucket.s3.amazonaws.com")
        .payload(Payload::Streaming(StreamingPayload::Signed));
    for (n, v) in &framing {
        request.push_header(n, v.as_bytes());
    }
    let out = signer.sign(&request, &params).expect("signs");
    let wire = signer
        .chunked_encoder(&params, &out, body)
        .and_then(|e| e.encode_all(&data))
        .expect("encodes");
    let added: Vec<(String, String)> = out
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    for (n, v) in &added {
        request.push_header(n, v.as_bytes());
    }
    let mut store = InMemoryStore::new();
    store.insert(StoredCredential::new(AKID, SECRET));
    let verifier = Verifier::default();
    let verified = verifier
        .verify(&request, Body::Deferred, &store, TIME)
        .expect("authentic");

    let mut group = c.benchmark_group("chunked-64MiB");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    group.throughput(criterion::Throughput::Bytes(SIZE as u64));
    group.bench_function("sha256-floor", |b| {
        b.iter(|| Sha256::digest(black_box(&data)))
    });
    group.bench_function("sigv4-decode-verify", |b| {
        b.iter(|| {
            let mut decoder = verified
                .chunked_decoder(&request, DecoderSettings::default())
                .expect("decoder")
                .expect("chunked");
            // Fed in 16 KiB reads, as a server receives it.
            let mut released = 0usize;
            for piece in wire.chunks(16 * 1024) {
                decoder
                    .feed(piece, |d| released += d.len())
                    .expect("verified");
            }
            decoder.finish().expect("complete");
            released
        })
    });
    group.finish();
}

/// The ratios again, measured side by side. Criterion runs one benchmark after another, so
/// a change in the machine's load between the floor's and this crate's moves their ratio
/// (on a shared machine, by tens of percent). Here the floor, signing, verification and
/// `aws-sigv4` take turns in batches of a millisecond or so, each round gives its own
/// ratios, and the median round's are reported.
fn interleaved() {
    const ROUNDS: usize = 300;
    const BATCH: usize = 500;
    println!(
        "\ninterleaved: median of {ROUNDS} rounds, each timing {BATCH} of every operation in turn"
    );
    println!("| input | floor | sign ÷ floor | verify ÷ floor | aws-sigv4 ÷ sign |");
    println!("| --- | --- | --- | --- | --- |");
    for input in inputs() {
        let creds = credentials(&input);
        let signer = signer(&input);
        let identity = aws_identity(&input);
        let floor = Floor::new(&input);
        let floor_body = input.signed_body();
        let signed = signed(&input);
        let store = store(&input);
        let verifier = Verifier::default();
        let request = signed.request(input.method);
        let ops: [&dyn Fn() -> usize; 4] = [
            &|| usize::from(floor.run(black_box(floor_body))[0]),
            &|| sign_ours(&signer, black_box(&input), &creds),
            &|| {
                verifier
                    .verify(black_box(&request), Body::Bytes(&signed.body), &store, TIME)
                    .map(|v| v.request_time.second())
                    .expect("authentic") as usize
            },
            &|| sign_official(black_box(&input), &identity),
        ];
        let mut rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let mut round = [0f64; 4];
            for (time, op) in round.iter_mut().zip(ops) {
                let start = std::time::Instant::now();
                for _ in 0..BATCH {
                    black_box(op());
                }
                *time = start.elapsed().as_nanos() as f64 / BATCH as f64;
            }
            rounds.push(round);
        }
        let median = |f: &dyn Fn(&[f64; 4]) -> f64| {
            let mut values: Vec<f64> = rounds.iter().map(f).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        println!(
            "| {} | {:.0} ns | {:.2}× | {:.2}× | {:.1}× |",
            input.name,
            median(&|r| r[0]),
            median(&|r| r[1] / r[0]),
            median(&|r| r[2] / r[0]),
            median(&|r| r[3] / r[1]),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30);
    targets = signing, verification, canonicalization, key_derivation, chunked
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` runs each benchmark once, as a
    // test, and has no use for the interleaved pass.
    let benchmarking = args.iter().any(|a| a == "--bench");
    // `INTERLEAVED_ONLY=1 cargo bench --bench sigv4`: the side-by-side ratios alone.
    if benchmarking && std::env::var("INTERLEAVED_ONLY").is_ok_and(|v| v == "1") {
        interleaved();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only in a full run: a filtered run (`cargo bench -- verify`) wants its group alone. A
    // filter is a word that is not an option's value (`--save-baseline main`).
    let filtered = args
        .iter()
        .enumerate()
        .any(|(i, arg)| !arg.starts_with('-') && (i == 0 || !args[i - 1].starts_with("--")));
    if benchmarking && !filtered {
        interleaved();
    }
}
