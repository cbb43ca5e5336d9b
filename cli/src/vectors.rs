//! `sigv4 vectors`: runs every case folder under the given directories.

use std::fs;
use std::path::{Path, PathBuf};

use sigv4::{Signer, SigningParams};

use crate::context::Context;
use crate::http_file::RawRequest;
use crate::sign_cmd::sign_raw;

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
    let presign = (form == Form::Query).then_some(context.expiration_in_seconds);
    let produced =
        sign_raw(&signer, &params, request, payload, presign).map_err(|e| e.to_string())?;
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
