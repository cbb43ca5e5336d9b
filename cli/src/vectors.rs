//! `sigv4 vectors`: runs every case folder under the given directories.

use std::fs;
use std::path::{Path, PathBuf};

use sigv4::{
    Body, ChecksumAlgorithm, ChunkedBody, DecoderSettings, InMemoryStore, Payload, Signer,
    SigningParams, StoredCredential, Verifier, VerifierSettings,
};

use crate::context::{ChunkedContext, Context};
use crate::http_file::RawRequest;
use crate::sign_cmd::{chain_signatures, sign_chunked, sign_raw};

/// The two forms a case can be signed in, and the files that hold their expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Header,
    Query,
}

impl Form {
    fn prefix(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Query => "query",
        }
    }
}

const EXPECTED: [&str; 4] = [
    "canonical-request.txt",
    "string-to-sign.txt",
    "signature.txt",
    "signed-request.txt",
];

/// Runs the cases; prints a line per case and form and a closing count. Returns the counts.
pub fn run(dirs: &[PathBuf]) -> Result<(usize, usize), String> {
    let mut cases = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
        find_cases(dir, &mut cases).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    cases.sort();
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        for (form, outcome) in run_case(case) {
            let name = case.display();
            match outcome {
                Ok(()) => {
                    passed += 1;
                    println!("PASS {name} [{}]", form.map_or("case", Form::prefix));
                }
                Err(why) => {
                    failed += 1;
                    println!("FAIL {name} [{}]: {why}", form.map_or("case", Form::prefix));
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok((passed, failed))
}

fn find_cases(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.join("context.json").is_file() && dir.join("request.txt").is_file() {
        out.push(dir.to_path_buf());
    }
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            find_cases(&path, out)?;
        }
    }
    Ok(())
}

type Outcome = (Option<Form>, Result<(), String>);

fn run_case(dir: &Path) -> Vec<Outcome> {
    let loaded = load(dir);
    let (context, request) = match loaded {
        Ok(loaded) => loaded,
        Err(why) => return vec![(None, Err(why))],
    };
    let forms: Vec<Form> = [Form::Header, Form::Query]
        .into_iter()
        .filter(|form| {
            EXPECTED
                .iter()
                .any(|f| dir.join(format!("{}-{f}", form.prefix())).is_file())
        })
        .collect();
    if forms.is_empty() {
        return vec![(
            None,
            Err("no header-* or query-* file to compare with".into()),
        )];
    }
    forms
        .into_iter()
        .map(|form| (Some(form), check(dir, form, &context, &request)))
        .collect()
}

fn load(dir: &Path) -> Result<(Context, RawRequest), String> {
    let context =
        fs::read_to_string(dir.join("context.json")).map_err(|e| format!("context.json: {e}"))?;
    let context: Context =
        serde_json::from_str(&context).map_err(|e| format!("context.json: {e}"))?;
    let request = fs::read(dir.join("request.txt")).map_err(|e| format!("request.txt: {e}"))?;
    let request = RawRequest::parse(&request).map_err(|e| format!("request.txt: {e}"))?;
    Ok((context, request))
}

fn check(dir: &Path, form: Form, context: &Context, request: &RawRequest) -> Result<(), String> {
    let credentials = context.credentials()?;
    let signer = Signer::new(context.settings());
    let params = SigningParams::new(
        &credentials,
        &context.region,
        &context.service,
        context.time()?,
    );
    let payload = context.payload(request.body())?;
    let (produced, wire) = match (&context.chunked, form) {
        (Some(_), Form::Query) => return Err("aws-chunked cases have only a header form".into()),
        (Some(chunked), Form::Header) => {
            let body = chunked_body(chunked, payload, request.body().len())?;
            let (signed, wire) =
                sign_chunked(&signer, &params, request, &body, chunked.content_length)
                    .map_err(|e| e.to_string())?;
            (signed, Some(wire))
        }
        (None, _) => {
            let presign = (form == Form::Query).then_some(context.expiration_in_seconds);
            let signed =
                sign_raw(&signer, &params, request, payload, presign).map_err(|e| e.to_string())?;
            (signed, None)
        }
    };
    let got: [&[u8]; 4] = [
        produced.details.canonical_request.as_bytes(),
        produced.details.string_to_sign.as_bytes(),
        produced.details.signature.as_bytes(),
        &produced.signed_request,
    ];
    let mut compared = 0;
    for (file, got) in EXPECTED.iter().zip(got) {
        let path = dir.join(format!("{}-{file}", form.prefix()));
        let Ok(want) = fs::read(&path) else { continue };
        compared += 1;
        if want != got {
            return Err(format!(
                "{}-{file} differs: {}",
                form.prefix(),
                first_difference(&want, got)
            ));
        }
    }
    if compared == 0 {
        return Err("nothing to compare".into());
    }
    if let Some(wire) = wire {
        check_chain(dir, &wire)?;
        round_trip(context, &produced.signed_request, &wire, request.body())?;
    }
    Ok(())
}

fn chunked_body(
    chunked: &ChunkedContext,
    payload: Payload<'_>,
    length: usize,
) -> Result<ChunkedBody, String> {
    let Payload::Streaming(kind) = payload else {
        return Err("a chunked case needs a STREAMING-* signed_body_value".into());
    };
    let mut body = ChunkedBody::new(kind, length as u64)
        .chunk_size(chunked.chunk_size)
        .map_err(|e| e.to_string())?;
    if let Some(name) = &chunked.trailer {
        let algorithm = ChecksumAlgorithm::from_header_name(name)
            .ok_or_else(|| format!("unknown trailer {name:?}"))?;
        body = body.trailer(algorithm);
    }
    Ok(body)
}

/// The chunk and trailer signatures against `chunk-signatures.txt` and
/// `trailer-signature.txt`, when present.
fn check_chain(dir: &Path, wire: &[u8]) -> Result<(), String> {
    let (chunks, trailer) = chain_signatures(wire);
    if let Ok(want) = fs::read_to_string(dir.join("chunk-signatures.txt")) {
        let want: Vec<&str> = want.lines().collect();
        if want != chunks {
            return Err(format!(
                "chunk signatures differ: expected {want:?}, got {chunks:?}"
            ));
        }
    }
    if let Ok(want) = fs::read_to_string(dir.join("trailer-signature.txt")) {
        if Some(want.trim()) != trailer.as_deref() {
            return Err(format!(
                "trailer signature differs: expected {want:?}, got {trailer:?}"
            ));
        }
    }
    Ok(())
}

/// The signed request verifies, and its encoded body decodes back to the original.
fn round_trip(
    context: &Context,
    signed: &[u8],
    wire: &[u8],
    original: &[u8],
) -> Result<(), String> {
    let parsed = RawRequest::parse(signed).map_err(|e| format!("signed request: {e}"))?;
    let request = parsed.signable(Payload::Unsigned);
    let mut store = InMemoryStore::new();
    let mut stored = StoredCredential::new(
        context.credentials.access_key_id.clone(),
        context.credentials.secret_access_key.clone(),
    );
    if let Some(token) = &context.credentials.token {
        stored = stored.session_token(token.clone());
    }
    store.insert(stored);
    let mut settings = VerifierSettings::default();
    settings.service_rules = vec![(context.service.clone(), context.settings())];
    let verifier = Verifier::new(settings);
    let verified = verifier
        .verify(&request, Body::Deferred, &store, context.time()?)
        .map_err(|e| format!("the signed request does not verify: {e}"))?;
    let mut decoder = verified
        .chunked_decoder(&request, DecoderSettings::default())
        .map_err(|e| e.to_string())?
        .ok_or("the verifier did not see an aws-chunked body")?;
    let mut decoded = Vec::with_capacity(original.len());
    decoder
        .feed(wire, |data| decoded.extend_from_slice(data))
        .map_err(|e| format!("the encoded body does not verify: {e}"))?;
    decoder.finish().map_err(|e| e.to_string())?;
    if decoded != original {
        return Err("the encoded body does not decode to the original".into());
    }
    Ok(())
}

/// A short description of where two texts part: the line number and both lines.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let want = String::from_utf8_lossy(want);
    let got = String::from_utf8_lossy(got);
    let mut want_lines = want.split('\n');
    let mut got_lines = got.split('\n');
    let mut n = 0;
    loop {
        n += 1;
        match (want_lines.next(), got_lines.next()) {
            (Some(w), Some(g)) if w == g => continue,
            (w, g) => {
                return format!(
                    "line {n}: expected {:?}, got {:?}",
                    w.unwrap_or("<end>"),
                    g.unwrap_or("<end>")
                )
            }
        }
    }
}
