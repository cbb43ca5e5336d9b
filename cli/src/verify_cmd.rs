//! `sigv4 verify`: checks a signed raw request against a configuration.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sigv4::{
    AuthLocation, Body, BodyRequirement, DecodedBody, DecoderSettings, Payload, Verified, Verifier,
    VerifyError,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::config::Config;
use crate::http_file::RawRequest;

/// The verdict as JSON: `Ok` for an authentic request, `Err` with the AWS error otherwise.
pub fn verify(
    config: &Config,
    request: &RawRequest,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Value, Value> {
    let verifier = Verifier::new(config.settings.clone());
    let signable = request.signable(Payload::Unsigned);
    let dialect = verifier.dialect_of(&signable);
    let verified = verifier
        .verify(&signable, Body::Bytes(body), &config.store, now)
        .map_err(|e| error_json(&e, dialect))?;
    let decoder = verified
        .chunked_decoder(&signable, DecoderSettings::default())
        .map_err(|e| error_json(&e, dialect))?;
    let Some(mut decoder) = decoder else {
        return Ok(identity(&verified, body, None));
    };
    // The whole body is at hand here; a gateway would feed it as it arrives.
    let mut hasher = Sha256::new();
    decoder
        .feed(body, |data| hasher.update(data))
        .map_err(|e| error_json(&e, dialect))?;
    let decoded = decoder.finish().map_err(|e| error_json(&e, dialect))?;
    Ok(identity(
        &verified,
        body,
        Some((decoded, hasher.finalize().into())),
    ))
}

fn identity(
    verified: &Verified<'_>,
    body: &[u8],
    chunked: Option<(DecodedBody, [u8; 32])>,
) -> Value {
    let c = &verified.credential;
    let scope = verified.scope();
    let body_state = match &verified.body {
        BodyRequirement::None => "verified",
        BodyRequirement::Sha256(_) => "pending",
        BodyRequirement::Streaming { .. } => "streaming",
        _ => "unknown",
    };
    json!({
        "access_key_id": c.access_key_id,
        "principal": {
            "arn": c.principal.arn,
            "account": c.principal.account,
            "user_id": c.principal.user_id,
        },
        "scope": {
            "date": scope.date_stamp(),
            "region": scope.region(),
            "service": scope.service(),
        },
        "location": match verified.location {
            AuthLocation::Header => "header",
            AuthLocation::Query => "query",
        },
        "signed_headers": verified.signed_headers().collect::<Vec<_>>(),
        "request_time": verified.request_time.format(&Rfc3339).unwrap_or_default(),
        "temporary": c.session_token.is_some(),
        "body": match chunked {
            None => json!({
                "state": body_state,
                "length": body.len(),
                "sha256": hex::encode(Sha256::digest(body)),
            }),
            Some((decoded, sha256)) => json!({
                "state": "verified",
                "encoding": "aws-chunked",
                "encoded_length": body.len(),
                "length": decoded.length,
                "sha256": hex::encode(sha256),
                "chunks": decoded.chunks,
                "checksum": decoded.checksum.map(|(algorithm, value)| json!({
                    "header": algorithm.header_name(),
                    "value": value,
                })),
            }),
        },
    })
}

pub fn error_json(error: &VerifyError, dialect: sigv4::Dialect) -> Value {
    let aws = error.to_aws(dialect);
    let mut out = json!({
        "code": aws.code,
        "status": aws.status,
        "message": aws.message,
    });
    if let VerifyError::SignatureDoesNotMatch {
        canonical_request,
        string_to_sign,
    } = error
    {
        out["canonical_request"] = json!(canonical_request);
        out["string_to_sign"] = json!(string_to_sign);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::context::Context;

    /// Every signed request of the AWS suite, in both forms, verifies at its own time.
    #[test]
    fn the_suites_signed_requests_verify() {
        let suite =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/aws-signing-test-suite/v4");
        let mut checked = 0;
        for entry in std::fs::read_dir(&suite).expect("the AWS suite is beside the repository") {
            let dir = entry.expect("entry").path();
            let context: Context = serde_json::from_str(
                &std::fs::read_to_string(dir.join("context.json")).expect("context"),
            )
            .expect("valid context");
            let mut config = Config::parse("").expect("empty config");
            let mut stored = sigv4::StoredCredential::new(
                context.credentials.access_key_id.clone(),
                context.credentials.secret_access_key.clone(),
            );
            if let Some(token) = &context.credentials.token {
                stored = stored.session_token(token.clone());
            }
            config.store.insert(stored);
            // The suite's query form hashes the body even where its header form sends
            // x-amz-content-sha256; only S3 presigns UNSIGNED-PAYLOAD.
            let mut rules = context.settings();
            rules.content_sha256_header = false;
            config.settings.service_rules = vec![("service".into(), rules)];
            if context.omit_session_token {
                config.settings.session_token = sigv4::SessionTokenMode::AddedAfterSigning;
            }
            let now = context.time().expect("time");
            for form in ["header", "query"] {
                let text =
                    std::fs::read(dir.join(format!("{form}-signed-request.txt"))).expect("file");
                let request = RawRequest::parse(&text).expect("parses");
                let verdict = verify(&config, &request, request.body(), now);
                assert!(verdict.is_ok(), "{} {form}: {verdict:?}", dir.display());
                checked += 1;
            }
        }
        assert_eq!(checked, 76);
    }
}
