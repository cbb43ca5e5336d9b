//! Properties over generated input: nothing panics, and the explained path agrees with the
//! fast one.

use proptest::prelude::*;
use sigv4::{Credentials, Payload, SignableRequest, Signer, SigningParams, SigningSettings};
use time::OffsetDateTime;

fn any_time() -> impl Strategy<Value = OffsetDateTime> {
    (-62_000_000_000i64..300_000_000_000i64)
        .prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(
        method in ".{0,8}",
        target in ".{0,64}",
        headers in proptest::collection::vec((".{0,12}", proptest::collection::vec(any::<u8>(), 0..24)), 0..6),
        region in ".{0,12}",
        service in ".{0,8}",
        time in any_time(),
        body in proptest::collection::vec(any::<u8>(), 0..32),
        expires in any::<u64>(),
        s3 in any::<bool>(),
    ) {
        let c = Credentials::new("AKIDEXAMPLE", "secret").expect("valid");
        let mut request = SignableRequest::new(&method, &target).payload(Payload::Bytes(&body));
        for (name, value) in &headers {
            request.push_header(name, value);
        }
        let params = SigningParams::new(&c, &region, &service, time);
        let signer = if s3 { Signer::s3() } else { Signer::new(SigningSettings::default()) };
        let _ = signer.sign(&request, &params);
        let _ = signer.presign(&request, &params, expires);
    }

    #[test]
    fn explained_and_fast_paths_agree(
        path in "(/[a-zA-Z0-9._~ %-]{0,8}){0,4}",
        query in "([a-zA-Z0-9%/ ]{0,5}(=[a-zA-Z0-9%/ ]{0,5})?&?){0,4}",
        values in proptest::collection::vec("[ -~]{0,16}", 0..4),
        s3 in any::<bool>(),
    ) {
        let c = Credentials::new("AKIDEXAMPLE", "secret").expect("valid");
        let target = format!("{path}?{query}");
        let mut request = SignableRequest::new("GET", &target).header("host", "example.com");
        for value in &values {
            request.push_header("x-amz-meta-v", value.as_bytes());
        }
        let params = SigningParams::new(&c, "us-east-1", "s3", OffsetDateTime::UNIX_EPOCH);
        let signer = if s3 { Signer::s3() } else { Signer::default() };
        let fast = signer.sign(&request, &params).expect("signs");
        let (slow, details) = signer.sign_explained(&request, &params).expect("signs");
        prop_assert_eq!(fast.authorization(), slow.authorization());
        prop_assert_eq!(&details.signature, fast.signature());
        let presigned = signer.presign(&request, &params, 60).expect("presigns");
        let (again, details) = signer.presign_explained(&request, &params, 60).expect("presigns");
        prop_assert_eq!(presigned.target(), again.target());
        prop_assert_eq!(&details.signature, presigned.signature());
    }
}
