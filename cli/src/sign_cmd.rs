//! `sigv4 sign`: signs a raw request read from a file or stdin.

use sigv4::{Payload, Signer, SigningDetails, SigningError, SigningParams};

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
