//! aws-chunked bodies: the encoder and the decoder against each other, in every split, with
//! every byte corrupted.

use sigv4::{
    Body, ChecksumAlgorithm, ChunkedBody, Credentials, DecoderSettings, Dialect, InMemoryStore,
    Payload, SignableRequest, Signer, SigningParams, StoredCredential, StreamingPayload, Verifier,
    VerifyError,
};
use time::macros::datetime;
use time::OffsetDateTime;

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

/// A signed aws-chunked upload: the request's headers and the encoded body.
struct Upload {
    headers: Vec<(String, String)>,
    wire: Vec<u8>,
}

fn upload(
    data: &[u8],
    kind: StreamingPayload,
    chunk: usize,
    trailer: Option<ChecksumAlgorithm>,
) -> Upload {
    let creds = Credentials::new(AKID, SECRET).expect("valid");
    let params = SigningParams::new(&creds, "us-east-1", "s3", NOW);
    let mut body = ChunkedBody::new(kind, data.len() as u64)
        .chunk_size(chunk)
        .expect("chunk size");
    if let Some(t) = trailer {
        body = body.trailer(t);
    }
    let mut headers: Vec<(String, String)> =
        vec![("host".into(), "bucket.s3.amazonaws.com".into())];
    headers.extend(body.headers().into_iter().map(|(n, v)| (n.to_owned(), v)));
    let mut request = SignableRequest::new("PUT", "/key").payload(Payload::Streaming(kind));
    for (n, v) in &headers {
        request.push_header(n, v.as_bytes());
    }
    let signer = Signer::s3();
    let out = signer.sign(&request, &params).expect("signs");
    let encoder = signer
        .chunked_encoder(&params, &out, body.clone())
        .expect("encoder");
    let wire = encoder.encode_all(data).expect("encodes");
    assert_eq!(
        wire.len() as u64,
        body.encoded_length(),
        "Content-Length must match"
    );
    headers.extend(out.headers().map(|(n, v)| (n.to_owned(), v.to_owned())));
    Upload { headers, wire }
}

/// Decodes `wire` fed in `pieces`; returns what was released and the outcome.
fn decode(
    up: &Upload,
    wire: &[u8],
    cuts: &[usize],
    settings: DecoderSettings,
) -> (Vec<u8>, Result<u64, VerifyError>) {
    let mut request = SignableRequest::new("PUT", "/key");
    for (n, v) in &up.headers {
        request.push_header(n, v.as_bytes());
    }
    let mut store = InMemoryStore::new();
    store.insert(StoredCredential::new(AKID, SECRET));
    let verifier = Verifier::default();
    let verified = match verifier.verify(&request, Body::Deferred, &store, NOW) {
        Ok(v) => v,
        Err(e) => return (Vec::new(), Err(e)),
    };
    let mut decoder = match verified.chunked_decoder(&request, settings) {
        Ok(Some(d)) => d,
        Ok(None) => panic!("not a chunked body"),
        Err(e) => return (Vec::new(), Err(e)),
    };
    let mut released = Vec::new();
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&wire.len())) {
        let cut = cut.clamp(at, wire.len());
        if let Err(e) = decoder.feed(&wire[at..cut], |d| released.extend_from_slice(d)) {
            return (released, Err(e));
        }
        at = cut;
    }
    let result = decoder.finish().map(|d| d.length);
    (released, result)
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

const MODES: [(StreamingPayload, Option<ChecksumAlgorithm>); 4] = [
    (StreamingPayload::Signed, None),
    (
        StreamingPayload::SignedWithTrailer,
        Some(ChecksumAlgorithm::Crc32c),
    ),
    (
        StreamingPayload::SignedWithTrailer,
        Some(ChecksumAlgorithm::Sha256),
    ),
    (
        StreamingPayload::UnsignedWithTrailer,
        Some(ChecksumAlgorithm::Crc32),
    ),
];

#[test]
fn round_trips_at_every_boundary_in_any_split() {
    let chunk = 8192;
    let mut rng = Lcg(7);
    for (kind, trailer) in MODES {
        for len in [0, 1, chunk - 1, chunk, chunk + 1, 3 * chunk + 5] {
            let original = data(len);
            let up = upload(&original, kind, chunk, trailer);
            for _ in 0..4 {
                let mut cuts: Vec<usize> = (0..6).map(|_| rng.next(up.wire.len() + 1)).collect();
                cuts.sort_unstable();
                let (released, result) = decode(&up, &up.wire, &cuts, DecoderSettings::default());
                assert_eq!(result, Ok(len as u64), "{kind:?} {len}");
                assert_eq!(released, original, "{kind:?} {len}");
            }
        }
    }
}

#[test]
fn byte_at_a_time_and_several_mebibytes() {
    let original = data(20_000);
    let up = upload(
        &original,
        StreamingPayload::SignedWithTrailer,
        8192,
        Some(ChecksumAlgorithm::Crc32c),
    );
    let cuts: Vec<usize> = (1..up.wire.len()).collect();
    let (released, result) = decode(&up, &up.wire, &cuts, DecoderSettings::default());
    assert_eq!(result, Ok(20_000));
    assert_eq!(released, original);

    let big = data(3 * 1024 * 1024 + 17);
    let up = upload(&big, StreamingPayload::Signed, 64 * 1024, None);
    let cuts: Vec<usize> = (1..40).map(|i| i * 99_991).collect();
    let (released, result) = decode(&up, &up.wire, &cuts, DecoderSettings::default());
    assert_eq!(result, Ok(big.len() as u64));
    assert!(released == big);
}

/// Where each data chunk starts in the decoded body, by the offset its size line starts at
/// in the encoded body.
fn chunk_starts(wire: &[u8], chunk: usize) -> Vec<(usize, usize)> {
    let mut starts = Vec::new();
    let mut at = 0;
    let mut decoded = 0;
    while at < wire.len() {
        let line_end = match wire[at..].windows(2).position(|w| w == b"\r\n") {
            Some(p) => at + p,
            None => break,
        };
        let size_text = std::str::from_utf8(&wire[at..line_end]).unwrap_or("0");
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        starts.push((at, decoded));
        if size == 0 {
            break;
        }
        at = line_end + 2 + size + 2;
        decoded += size;
        assert!(size <= chunk);
    }
    starts
}

#[test]
fn every_corrupted_byte_is_rejected_and_nothing_unverified_is_released() {
    let chunk = 8192;
    for (kind, trailer) in MODES {
        let original = data(2 * chunk + 300);
        let up = upload(&original, kind, chunk, trailer);
        let starts = chunk_starts(&up.wire, chunk);
        let signed = kind != StreamingPayload::UnsignedWithTrailer;
        // Every byte of the signed stream; for the other modes every framing byte, and data
        // bytes at a stride (in unsigned chunks only the final checksum can show a change).
        let positions: Vec<usize> = (0..up.wire.len())
            .filter(|&i| {
                let in_data = starts.iter().any(|&(s, _)| {
                    let line = up.wire[s..]
                        .windows(2)
                        .position(|w| w == b"\r\n")
                        .unwrap_or(0)
                        + 2;
                    i >= s + line && i < s + line + chunk && i + 2 < up.wire.len()
                });
                kind == StreamingPayload::Signed || !in_data || i % 211 == 0
            })
            .collect();
        for i in positions {
            let mut wire = up.wire.clone();
            wire[i] ^= 0x01;
            let (released, result) = decode(&up, &wire, &[], DecoderSettings::default());
            let err = match result {
                Err(e) => e,
                Ok(_) => panic!(
                    "{kind:?}: flipping byte {i} ({:?}) went unnoticed",
                    up.wire[i] as char
                ),
            };
            let code = err.to_aws(Dialect::S3).code;
            assert!(
                [
                    "SignatureDoesNotMatch",
                    "IncompleteBody",
                    "InvalidChunkSizeError",
                    "MalformedTrailerError",
                    "BadDigest",
                ]
                .contains(&code),
                "{kind:?} byte {i}: {err:?}"
            );
            // Unsigned chunks are released as they arrive: only the trailing checksum, at the
            // end, can tell they were altered.
            if signed {
                assert!(
                    original.starts_with(&released),
                    "{kind:?} byte {i}: released altered data"
                );
                // Nothing from the corrupted chunk (or later) is released.
                let chunk_start = starts
                    .iter()
                    .rev()
                    .find(|&&(s, _)| s <= i)
                    .map_or(0, |&(_, d)| d);
                assert!(
                    released.len() <= chunk_start,
                    "{kind:?} byte {i}: released unverified data"
                );
            }
        }
    }
}

#[test]
fn truncation_and_trailing_bytes_are_errors() {
    let original = data(10_000);
    for (kind, trailer) in MODES {
        let up = upload(&original, kind, 8192, trailer);
        for cut in [
            0,
            1,
            50,
            8000,
            up.wire.len() / 2,
            up.wire.len() - 3,
            up.wire.len() - 1,
        ] {
            let (_, result) = decode(&up, &up.wire[..cut], &[], DecoderSettings::default());
            assert!(result.is_err(), "{kind:?} cut at {cut}");
        }
        let mut longer = up.wire.clone();
        longer.extend_from_slice(b"x");
        assert!(decode(&up, &longer, &[], DecoderSettings::default())
            .1
            .is_err());
    }
}

#[test]
fn bounds_and_announcements() {
    let original = data(40_000);
    let up = upload(&original, StreamingPayload::Signed, 16_384, None);
    let mut tight = DecoderSettings::default();
    tight.max_chunk_size = 8192;
    let (released, result) = decode(&up, &up.wire, &[], tight);
    assert!(matches!(result, Err(VerifyError::ChunkTooLarge { .. })));
    assert!(released.is_empty());

    // A trailer the request did not announce.
    let mut up = upload(
        &original,
        StreamingPayload::SignedWithTrailer,
        8192,
        Some(ChecksumAlgorithm::Crc32c),
    );
    let at = up
        .wire
        .windows(22)
        .position(|w| w == b"x-amz-checksum-crc32c:")
        .expect("a trailer");
    up.wire.remove(at + 20);
    let (_, result) = decode(&up, &up.wire, &[], DecoderSettings::default());
    assert!(
        matches!(result, Err(VerifyError::TrailerNotAnnounced { .. })),
        "{result:?}"
    );

    // A short chunk that is not the last (unsigned, so it can be written by hand).
    let mut hand = Vec::new();
    for size in [8192usize, 100, 8192] {
        hand.extend_from_slice(format!("{size:x}\r\n").as_bytes());
        hand.extend(std::iter::repeat_n(b'a', size));
        hand.extend_from_slice(b"\r\n");
    }
    let up = upload(
        &[b'a'; 16_484],
        StreamingPayload::UnsignedWithTrailer,
        8192,
        Some(ChecksumAlgorithm::Crc32),
    );
    let (_, result) = decode(&up, &hand, &[], DecoderSettings::default());
    assert!(
        matches!(result, Err(VerifyError::ChunkTooSmall { .. })),
        "{result:?}"
    );

    // A checksum that is not the data's.
    let up = upload(
        &original,
        StreamingPayload::UnsignedWithTrailer,
        8192,
        Some(ChecksumAlgorithm::Crc32),
    );
    let mut wire = up.wire.clone();
    wire[100] ^= 0x20;
    let (_, result) = decode(&up, &wire, &[], DecoderSettings::default());
    assert!(
        matches!(result, Err(VerifyError::ChecksumMismatch { .. })),
        "{result:?}"
    );
}

#[test]
fn the_encoder_refuses_misuse() {
    assert!(ChunkedBody::new(StreamingPayload::Signed, 10)
        .chunk_size(100)
        .is_err());
    let creds = Credentials::new(AKID, SECRET).expect("valid");
    let params = SigningParams::new(&creds, "us-east-1", "s3", NOW);
    let signer = Signer::s3();
    let request = SignableRequest::new("PUT", "/k")
        .header("host", "h")
        .payload(Payload::Streaming(StreamingPayload::SignedWithTrailer));
    let out = signer.sign(&request, &params).expect("signs");
    let no_trailer = ChunkedBody::new(StreamingPayload::SignedWithTrailer, 10);
    assert!(signer.chunked_encoder(&params, &out, no_trailer).is_err());
    let body = ChunkedBody::new(StreamingPayload::Signed, 10);
    let mut encoder = signer
        .chunked_encoder(&params, &out, body)
        .expect("encoder");
    let mut wire = Vec::new();
    assert!(encoder.encode_chunk(&[0; 11], &mut wire).is_err());
    assert!(
        encoder.encode_chunk(&[0; 4], &mut wire).is_err(),
        "short chunk before the end"
    );
    assert!(
        encoder.finish(&mut wire).is_err(),
        "finished short of the declared length"
    );
}
