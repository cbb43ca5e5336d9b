//! `sigv4`: sign requests, run conformance vectors.

// A binary: `pub` marks what its modules share with each other, not an API.
#![allow(unreachable_pub)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use sigv4::{
    ChecksumAlgorithm, ChunkedBody, Payload, Signer, SigningParams, SigningSettings,
    StreamingPayload,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

mod config;
mod context;
mod creds_cmd;
mod http_file;
mod serve;
mod sign_cmd;
mod vectors;
mod verify_cmd;

use http_file::RawRequest;

#[derive(Parser, Debug)]
#[command(
    name = "sigv4",
    version,
    about = "AWS Signature Version 4: sign requests and run conformance vectors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every case folder (context.json + request.txt) under the given directories.
    Vectors {
        /// Directories to search for case folders.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Sign a raw HTTP/1.1 request with credentials from AWS_ACCESS_KEY_ID,
    /// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
    Sign(SignArgs),
    /// Show where the credentials come from (the environment, or a profile of the shared
    /// files and its role chain), as JSON without secrets.
    Credentials {
        /// The profile; without it, the environment, then AWS_PROFILE or `default`.
        #[arg(long)]
        profile: Option<String>,
    },
    /// Serve a local STS and signature-checking endpoint (the embedded demo without
    /// --config).
    Serve {
        /// The TOML configuration: [settings], [[credentials]], [server], [[users]], [[roles]].
        #[arg(long)]
        config: Option<PathBuf>,
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: std::net::SocketAddr,
    },
    /// Verify a signed raw HTTP/1.1 request against the credentials of a configuration.
    /// Exit 0 with the identity as JSON when authentic, 1 with the error as JSON when not.
    Verify(VerifyArgs),
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The signed request, in the AWS suite's request.txt form; `-` reads stdin.
    #[arg(long)]
    request: String,
    /// The TOML configuration with the credentials and settings.
    #[arg(long)]
    config: PathBuf,
    /// The server's time (RFC 3339); now when absent.
    #[arg(long)]
    time: Option<String>,
    /// The body, when it is not in the request file.
    #[arg(long)]
    body_file: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct SignArgs {
    /// The request file, in the AWS suite's request.txt form; `-` reads stdin.
    #[arg(long)]
    request: String,
    /// The region, such as us-east-1.
    #[arg(long)]
    region: String,
    /// The service's signing name, such as s3 or execute-api.
    #[arg(long)]
    service: String,
    /// The signing time (RFC 3339); now when absent.
    #[arg(long)]
    time: Option<String>,
    /// Sign with this profile of ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE
    /// and AWS_SHARED_CREDENTIALS_FILE) instead of the environment.
    #[arg(long)]
    profile: Option<String>,
    /// S3 rules: no path normalization, single encoding, x-amz-content-sha256.
    #[arg(long)]
    s3: bool,
    /// Sign UNSIGNED-PAYLOAD instead of the body's hash.
    #[arg(long)]
    unsigned_payload: bool,
    /// Presign for this many seconds (1 to 604800) instead of signing in headers.
    #[arg(long, value_name = "SECONDS")]
    presign: Option<u64>,
    /// Do not normalize the path.
    #[arg(long)]
    no_normalize: bool,
    /// Send the body as aws-chunked in chunks of this many bytes (8192 or more), each
    /// signed in the chain of the request's signature.
    #[arg(long, value_name = "BYTES")]
    chunk_size: Option<usize>,
    /// With --chunk-size: end the body with this trailing checksum header
    /// (x-amz-checksum-crc32, -crc32c, -sha1 or -sha256). With --unsigned-payload the chunks
    /// go unsigned (STREAMING-UNSIGNED-PAYLOAD-TRAILER).
    #[arg(long, value_name = "HEADER", requires = "chunk_size")]
    trailer: Option<String>,
    /// What to print.
    #[arg(long, value_enum, default_value_t = Format::Request)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Request,
    CanonicalRequest,
    StringToSign,
    Signature,
    Curl,
    Json,
}

/// A failure to report: one line on stderr and an exit code.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Vectors { dirs } => run_vectors(&dirs),
        Command::Sign(args) => run_sign(&args),
        Command::Verify(args) => run_verify(&args),
        Command::Serve { config, listen } => run_serve(config.as_deref(), listen),
        Command::Credentials { profile } => creds_cmd::explain(profile.as_deref())
            .map(|json| {
                println!("{json:#}");
                ExitCode::SUCCESS
            })
            .map_err(usage),
    };
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("sigv4: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run_vectors(dirs: &[PathBuf]) -> Result<ExitCode, Failure> {
    let (passed, failed) = vectors::run(dirs).map_err(usage)?;
    Ok(if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_input(path: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| usage(format!("reading stdin: {e}")))?;
    } else {
        bytes = std::fs::read(path).map_err(|e| usage(format!("{path}: {e}")))?;
    }
    Ok(bytes)
}

fn parse_time(text: Option<&str>) -> Result<OffsetDateTime, Failure> {
    match text {
        None => Ok(OffsetDateTime::now_utc()),
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| usage(format!("--time {text:?} is not an RFC 3339 time: {e}"))),
    }
}

fn run_serve(
    config: Option<&std::path::Path>,
    listen: std::net::SocketAddr,
) -> Result<ExitCode, Failure> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let (text, demo) = match config {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| usage(format!("{}: {e}", path.display())))?,
            false,
        ),
        None => (serve::DEMO_CONFIG.to_owned(), true),
    };
    let parsed = config::Config::parse(&text).map_err(|e| usage(format!("config: {e}")))?;
    if parsed.iam.allow_short_sessions {
        eprintln!("sigv4 serve: allow_short_sessions is on: sessions may be shorter than STS's 900-second minimum");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(e.to_string()))?;
    runtime
        .block_on(serve::run(parsed, listen, |addr| {
            println!("sigv4 serve: listening on http://{addr}");
            if demo {
                println!(
                    "\nThe embedded demo: account 123456789012, user1, and a role user1 may assume.\n\n\
                     # environment\n\
                     export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n\
                     export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
                     export AWS_ENDPOINT_URL=http://{addr}\n\
                     export AWS_DEFAULT_REGION=us-east-1\n\n\
                     # ~/.aws/credentials\n[user1]\n\
                     aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n\
                     aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n\
                     # ~/.aws/config\n[profile marketingadmin]\n\
                     role_arn = arn:aws:iam::123456789012:role/marketingadminrole\n\
                     source_profile = user1\n\
                     region = us-east-1\n\
                     endpoint_url = http://{addr}\n\n\
                     # then\naws sts get-caller-identity --profile marketingadmin"
                );
            }
        }))
        .map_err(usage)?;
    Ok(ExitCode::SUCCESS)
}

fn run_verify(args: &VerifyArgs) -> Result<ExitCode, Failure> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| usage(format!("{}: {e}", args.config.display())))?;
    let config = config::Config::parse(&text)
        .map_err(|e| usage(format!("{}: {e}", args.config.display())))?;
    let input = read_input(&args.request)?;
    let request = RawRequest::parse(&input).map_err(|e| usage(format!("{}: {e}", args.request)))?;
    let now = parse_time(args.time.as_deref())?;
    let body = match &args.body_file {
        Some(path) => std::fs::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?,
        None => request.body().to_vec(),
    };
    let (verdict, code) = match verify_cmd::verify(&config, &request, &body, now) {
        Ok(identity) => (identity, ExitCode::SUCCESS),
        Err(error) => (error, ExitCode::from(1)),
    };
    println!("{verdict:#}");
    Ok(code)
}

fn run_sign(args: &SignArgs) -> Result<ExitCode, Failure> {
    let input = read_input(&args.request)?;
    let request = RawRequest::parse(&input).map_err(|e| usage(format!("{}: {e}", args.request)))?;
    let time = parse_time(args.time.as_deref())?;
    let credentials = creds_cmd::resolve(args.profile.as_deref()).map_err(usage)?;
    let mut settings = if args.s3 {
        SigningSettings::s3()
    } else {
        SigningSettings::default()
    };
    if args.no_normalize {
        settings.normalize_path = false;
    }
    let signer = Signer::new(settings);
    let params = SigningParams::new(&credentials, &args.region, &args.service, time);
    let signed = match args.chunk_size {
        Some(chunk_size) => {
            if args.presign.is_some() {
                return Err(usage("--chunk-size and --presign do not go together"));
            }
            let trailer = match &args.trailer {
                Some(name) => Some(ChecksumAlgorithm::from_header_name(name).ok_or_else(|| {
                    usage(format!(
                        "--trailer {name:?} is not one of x-amz-checksum-crc32, -crc32c, -sha1, -sha256"
                    ))
                })?),
                None => None,
            };
            let kind = match (trailer.is_some(), args.unsigned_payload) {
                (false, false) => StreamingPayload::Signed,
                (true, false) => StreamingPayload::SignedWithTrailer,
                (true, true) => StreamingPayload::UnsignedWithTrailer,
                (false, true) => {
                    return Err(usage(
                        "unsigned aws-chunked bodies need a trailing checksum (--trailer)",
                    ))
                }
            };
            let mut body = ChunkedBody::new(kind, request.body().len() as u64)
                .chunk_size(chunk_size)
                .map_err(|e| usage(e.to_string()))?;
            if let Some(trailer) = trailer {
                body = body.trailer(trailer);
            }
            sign_cmd::sign_chunked(&signer, &params, &request, &body, true)
                .map_err(|e| usage(e.to_string()))?
                .0
        }
        None => {
            let payload = if args.unsigned_payload {
                Payload::Unsigned
            } else {
                Payload::Bytes(request.body())
            };
            sign_cmd::sign_raw(&signer, &params, &request, payload, args.presign)
                .map_err(|e| usage(e.to_string()))?
        }
    };

    let mut stdout = std::io::stdout().lock();
    let written = match args.format {
        Format::Request => stdout.write_all(&signed.signed_request),
        Format::CanonicalRequest => writeln!(stdout, "{}", signed.details.canonical_request),
        Format::StringToSign => writeln!(stdout, "{}", signed.details.string_to_sign),
        Format::Signature => writeln!(stdout, "{}", signed.details.signature),
        Format::Curl => writeln!(stdout, "{}", sign_cmd::curl(&request, &signed)),
        Format::Json => {
            let json = serde_json::json!({
                "canonical_request": signed.details.canonical_request,
                "string_to_sign": signed.details.string_to_sign,
                "signature": signed.details.signature,
                "authorization": signed.authorization,
                "target": signed.target,
                "signed_request": String::from_utf8_lossy(&signed.signed_request),
            });
            writeln!(stdout, "{json:#}")
        }
    };
    written.map_err(|e| Failure {
        code: 1,
        message: format!("writing the output: {e}"),
    })?;
    Ok(ExitCode::SUCCESS)
}
