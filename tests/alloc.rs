//! Heap allocations per signature and per verification, counted by a global allocator. A
//! test binary of its own, since the allocator counts everything in its process.

// A global allocator cannot be written without `unsafe`; the library itself forbids it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sigv4::{
    Body, Credentials, InMemoryStore, Payload, SignableRequest, Signer, SigningParams,
    StoredCredential, Verifier,
};
use time::macros::datetime;

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; counting touches only a thread-local cell.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNT.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let before = COUNT.with(Cell::get);
    let r = f();
    (r, COUNT.with(Cell::get) - before)
}

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

#[test]
fn allocations_per_signature_and_verification() {
    let time = datetime!(2015-08-30 12:36 UTC);
    let creds = Credentials::new(AKID, SECRET)
        .and_then(|c| c.with_session_token("token/with+chars="))
        .expect("valid");
    let params = SigningParams::new(&creds, "us-east-1", "s3", time);
    let signer = Signer::s3();
    let mut store = InMemoryStore::new();
    store.insert(StoredCredential::new(AKID, SECRET).session_token("token/with+chars="));
    let verifier = Verifier::default();

    let target = "/photos/2024/beach%20day.jpg?versionId=3HL4kqtJlcpX&partNumber=1&prefix=a/b";
    let request = SignableRequest::new("GET", target)
        .header("host", "examplebucket.s3.amazonaws.com")
        .header("range", "bytes=0-9")
        .header("x-amz-meta-a", "b")
        .payload(Payload::Bytes(b""));

    // Warm the key caches: the figures are for a cached key.
    let _ = signer.sign(&request, &params).expect("signs");
    let (out, sign_allocs) = count(|| signer.sign(&request, &params).expect("signs"));
    let (presigned, presign_allocs) =
        count(|| signer.presign(&request, &params, 3600).expect("presigns"));
    // From an `http` request, borrowing it included (the headers it gets are not counted:
    // `http` allocates to insert them).
    let http_request =
        http::Request::get(format!("https://examplebucket.s3.amazonaws.com{target}"))
            .header("range", "bytes=0-9")
            .header("x-amz-meta-a", "b")
            .body(())
            .expect("valid");
    let (_, http_sign_allocs) = count(|| {
        let borrowed = SignableRequest::from_http(&http_request, Payload::Bytes(b""));
        signer.sign(&borrowed, &params).expect("signs")
    });

    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), "examplebucket.s3.amazonaws.com".into()),
        ("range".into(), "bytes=0-9".into()),
        ("x-amz-meta-a".into(), "b".into()),
    ];
    headers.extend(out.headers().map(|(n, v)| (n.to_owned(), v.to_owned())));
    let mut signed = SignableRequest::new("GET", target);
    for (n, v) in &headers {
        signed.push_header(n, v.as_bytes());
    }
    let mut query_signed = SignableRequest::new("GET", presigned.target());
    query_signed.push_header("host", b"examplebucket.s3.amazonaws.com");
    query_signed.push_header("range", b"bytes=0-9");
    query_signed.push_header("x-amz-meta-a", b"b");

    let verify = |r: &SignableRequest<'_>| {
        verifier
            .verify(r, Body::Bytes(b""), &store, time)
            .map(|v| v.location)
            .expect("authentic")
    };
    verify(&signed);
    let (_, verify_allocs) = count(|| verify(&signed));
    // The store encoded the token for query strings when the credential was inserted: the
    // first presigned request allocates no more than later ones.
    let (_, first_query_allocs) = count(|| verify(&query_signed));
    let (_, verify_query_allocs) = count(|| verify(&query_signed));

    println!("allocations: sign {sign_allocs}, sign from http {http_sign_allocs}, presign {presign_allocs}, verify (header) {verify_allocs}, verify (presigned) {verify_query_allocs}, the first presigned {first_query_allocs}");
    // The targets are 3 per signature and 1 per verification; these are what the code does
    // today (the output string; nothing), so that any regression shows.
    assert!(
        sign_allocs <= 1,
        "header signing allocated {sign_allocs} times"
    );
    assert!(
        http_sign_allocs <= 1,
        "borrowing and signing an http request allocated {http_sign_allocs} times"
    );
    assert!(
        presign_allocs <= 1,
        "presigning allocated {presign_allocs} times"
    );
    assert_eq!(verify_allocs, 0, "verification allocated");
    assert_eq!(
        first_query_allocs, 0,
        "the first presigned verification allocated"
    );
    assert_eq!(verify_query_allocs, 0, "presigned verification allocated");
}

/// Decoding an aws-chunked body holds one chunk: the allocations (and so the memory) do not
/// grow with the body.
#[test]
fn chunked_decoding_memory_does_not_grow_with_the_body() {
    use sigv4::{ChunkedBody, DecoderSettings, StreamingPayload};

    let time = datetime!(2026-11-28 12:00 UTC);
    let creds = Credentials::new(AKID, SECRET).expect("valid");
    let params = SigningParams::new(&creds, "us-east-1", "s3", time);
    let signer = Signer::s3();
    let mut store = InMemoryStore::new();
    store.insert(StoredCredential::new(AKID, SECRET));
    let verifier = Verifier::default();

    let mut allocations = Vec::new();
    for mib in [1usize, 8] {
        let data = vec![7u8; mib * 1024 * 1024];
        let body = ChunkedBody::new(StreamingPayload::Signed, data.len() as u64);
        let headers = body.headers();
        let mut request = SignableRequest::new("PUT", "/k")
            .header("host", "h")
            .payload(Payload::Streaming(StreamingPayload::Signed));
        for (n, v) in &headers {
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
        let verified = verifier
            .verify(&request, Body::Deferred, &store, time)
            .expect("authentic");
        let mut decoder = verified
            .chunked_decoder(&request, DecoderSettings::default())
            .expect("decoder")
            .expect("chunked");
        let mut released = 0usize;
        let (_, allocs) = count(|| {
            for piece in wire.chunks(1000) {
                decoder
                    .feed(piece, |d| released += d.len())
                    .expect("verified");
            }
        });
        decoder.finish().expect("complete");
        assert_eq!(released, data.len());
        allocations.push(allocs);
    }
    println!("allocations while decoding 1 MiB and 8 MiB: {allocations:?}");
    assert_eq!(
        allocations[0], allocations[1],
        "allocations grew with the body"
    );
    assert!(allocations[1] <= 2, "{allocations:?}");
}
