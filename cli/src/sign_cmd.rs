//! `sigv4 sign`: signs a raw request read from a file or stdin.

use sigv4::{
    ChunkedBody, Payload, Signer, SigningDetails, SigningError, SigningParams,
    TRAILER_SIGNATURE_HEADER,
};

use crate::http_file::RawRequest;

/// A signed raw request and what led to it.
pub struct Signed {
    pub details: SigningDetails,
    /// `Authorization`, for the header form.
    pub authorization: Option<String>,
    /// The headers added, for the header form.
    pub added: Vec<(String, String)>,
    /// The request target sent (presigned for the query form).
    pub target: String,
    /// The signed request in `request.txt` form.
    pub signed_request: Vec<u8>,
}

/// Signs in headers, or presigns for `presign` seconds.
pub fn sign_raw(
    signer: &Signer,
    params: &SigningParams<'_>,
    request: &RawRequest,
    payload: Payload<'_>,
    presign: Option<u64>,
) -> Result<Signed, SigningError> {
    let signable = request.signable(payload);
    match presign {
        Some(expires) => {
            let (presigned, details) = signer.presign_explained(&signable, params, expires)?;
            Ok(Signed {
                details,
                authorization: None,
                added: Vec::new(),
                target: presigned.target().to_owned(),
                signed_request: request.render(presigned.target(), &[]),
            })
        }
        None => {
            let (output, details) = signer.sign_explained(&signable, params)?;
            let added: Vec<(&str, &str)> = output.headers().collect();
            Ok(Signed {
                details,
                authorization: Some(output.authorization().to_owned()),
                signed_request: request.render(request.target(), &added),
                added: added
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                target: request.target().to_owned(),
            })
        }
    }
}

/// The signed request as a curl command line, over HTTPS to the request's host.
pub fn curl(request: &RawRequest, signed: &Signed) -> String {
    let host = request.header("host").unwrap_or("localhost");
    let mut out = format!(
        "curl --request {} {}",
        request.method(),
        shell_quote(&format!("https://{host}{}", signed.target))
    );
    for (name, value) in request.header_pairs() {
        if name.eq_ignore_ascii_case("host")
            || signed
                .added
                .iter()
                .any(|(a, _)| a.eq_ignore_ascii_case(name))
        {
            continue;
        }
        out.push_str(" \\\n  --header ");
        out.push_str(&shell_quote(&format!("{name}: {value}")));
    }
    for (name, value) in &signed.added {
        out.push_str(" \\\n  --header ");
        out.push_str(&shell_quote(&format!("{name}: {value}")));
    }
    if !request.body().is_empty() {
        out.push_str(" \\\n  --data-binary ");
        out.push_str(&shell_quote(&String::from_utf8_lossy(request.body())));
    }
    out
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The framing headers of an `aws-chunked` body, as this command writes them.
const FRAMING: [(&str, &str); 4] = [
    ("content-encoding", "Content-Encoding"),
    ("content-length", "Content-Length"),
    (
        "x-amz-decoded-content-length",
        "X-Amz-Decoded-Content-Length",
    ),
    ("x-amz-trailer", "X-Amz-Trailer"),
];

/// Signs a request whose body goes as `aws-chunked`: the framing headers replace any the
/// file has (`Content-Length` is signed only when `sign_content_length`), the seed
/// signature covers them, and the body is encoded chunk by chunk.
pub fn sign_chunked(
    signer: &Signer,
    params: &SigningParams<'_>,
    request: &RawRequest,
    body: &ChunkedBody,
    sign_content_length: bool,
) -> Result<(Signed, Vec<u8>), SigningError> {
    let framing = body.headers();
    let skip: Vec<&str> = FRAMING.iter().map(|(name, _)| *name).collect();
    let mut signable = request.signable_except(Payload::Streaming(body.kind()), &skip);
    for (name, value) in &framing {
        if *name != "content-length" || sign_content_length {
            signable.push_header(name, value.as_bytes());
        }
    }
    let (output, details) = signer.sign_explained(&signable, params)?;
    let encoder = signer.chunked_encoder(params, &output, body.clone())?;
    let wire = encoder.encode_all(request.body())?;
    let mut added: Vec<(String, String)> = framing
        .iter()
        .map(|(name, value)| {
            let shown = FRAMING
                .iter()
                .find(|(n, _)| n == name)
                .map_or(*name, |(_, shown)| *shown);
            (shown.to_owned(), value.clone())
        })
        .collect();
    added.extend(output.headers().map(|(n, v)| (n.to_owned(), v.to_owned())));
    let borrowed: Vec<(&str, &str)> = added
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let signed_request = request.render_with_body(request.target(), &borrowed, &wire);
    Ok((
        Signed {
            details,
            authorization: Some(output.authorization().to_owned()),
            added,
            target: request.target().to_owned(),
            signed_request,
        },
        wire,
    ))
}

/// The signatures in an encoded body, in order: the chunks', then the trailer's.
pub fn chain_signatures(wire: &[u8]) -> (Vec<String>, Option<String>) {
    let text = String::from_utf8_lossy(wire);
    let chunks = text
        .match_indices(";chunk-signature=")
        .filter_map(|(at, m)| text.get(at + m.len()..at + m.len() + 64))
        .map(str::to_owned)
        .collect();
    let trailer = text
        .match_indices(TRAILER_SIGNATURE_HEADER)
        .find_map(|(at, m)| text.get(at + m.len()..)?.strip_prefix(':')?.get(..64))
        .map(str::to_owned);
    (chunks, trailer)
}
