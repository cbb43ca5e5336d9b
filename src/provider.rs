//! Sources of credentials and a cache that refreshes them before they expire. Nothing here
//! reads the environment, runs a process or opens a connection by itself: the caller hands
//! over a lookup function, a process's output, or a closure that fetches.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::credentials::Credentials;

/// Why credentials could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderError {
    /// A variable or field has a value that cannot be used.
    Invalid {
        /// Where the value came from (`AWS_CREDENTIAL_EXPIRATION`, `Expiration`, ...).
        source: String,
        /// What is wrong.
        message: String,
    },
    /// Some of the environment's credentials are set, not all.
    IncompleteEnvironment {
        /// The variable that is missing.
        missing: &'static str,
    },
    /// A `credential_process` output that is not the documented JSON.
    ProcessOutput {
        /// What is wrong.
        message: String,
    },
    /// A refresh failed and the credentials held are no longer usable.
    RefreshFailed {
        /// The failure, as the source reported it.
        message: String,
    },
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { source, message } => write!(f, "{source}: {message}"),
            Self::IncompleteEnvironment { missing } => {
                write!(
                    f,
                    "AWS credentials are partly set in the environment: {missing} is missing"
                )
            }
            Self::ProcessOutput { message } => {
                write!(f, "credential_process printed unusable output: {message}")
            }
            Self::RefreshFailed { message } => {
                write!(
                    f,
                    "the credentials must be refreshed and the refresh failed: {message}"
                )
            }
        }
    }
}

impl std::error::Error for ProviderError {}

/// Credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` and
/// `AWS_CREDENTIAL_EXPIRATION`, read through `lookup` (pass `|k| std::env::var(k).ok()`).
/// `None` when neither key is set; an error when only one is.
pub fn from_environment(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>, ProviderError> {
    let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
    let (akid, secret) = match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(ProviderError::IncompleteEnvironment {
                missing: "AWS_SECRET_ACCESS_KEY",
            })
        }
        (None, Some(_)) => {
            return Err(ProviderError::IncompleteEnvironment {
                missing: "AWS_ACCESS_KEY_ID",
            })
        }
        (Some(a), Some(s)) => (a, s),
    };
    let invalid = |source: &str, message: String| ProviderError::Invalid {
        source: source.to_owned(),
        message,
    };
    let mut credentials =
        Credentials::new(akid, secret).map_err(|e| invalid("AWS_ACCESS_KEY_ID", e.to_string()))?;
    if let Some(token) = get("AWS_SESSION_TOKEN") {
        credentials = credentials
            .with_session_token(token)
            .map_err(|e| invalid("AWS_SESSION_TOKEN", e.to_string()))?;
    }
    if let Some(expiry) = get("AWS_CREDENTIAL_EXPIRATION") {
        let expiry = OffsetDateTime::parse(&expiry, &Rfc3339).map_err(|e| {
            invalid(
                "AWS_CREDENTIAL_EXPIRATION",
                format!("{expiry:?} is not an RFC 3339 time: {e}"),
            )
        })?;
        credentials = credentials.with_expiry(expiry);
    }
    Ok(Some(credentials))
}

/// Parses what a `credential_process` prints: JSON with `Version` 1, `AccessKeyId`,
/// `SecretAccessKey`, and optionally `SessionToken` and `Expiration` (RFC 3339).
#[cfg(feature = "sts")]
pub fn parse_process_output(output: &[u8]) -> Result<Credentials, ProviderError> {
    let bad = |message: String| ProviderError::ProcessOutput { message };
    let value: serde_json::Value =
        serde_json::from_slice(output).map_err(|e| bad(format!("not JSON: {e}")))?;
    let field = |name: &str| value.get(name).and_then(serde_json::Value::as_str);
    match value.get("Version").and_then(serde_json::Value::as_u64) {
        Some(1) => {}
        Some(v) => return Err(bad(format!("Version {v} is not supported (only 1)"))),
        None => return Err(bad("Version is missing".into())),
    }
    let akid = field("AccessKeyId").ok_or_else(|| bad("AccessKeyId is missing".into()))?;
    let secret =
        field("SecretAccessKey").ok_or_else(|| bad("SecretAccessKey is missing".into()))?;
    let mut credentials = Credentials::new(akid, secret).map_err(|e| bad(e.to_string()))?;
    if let Some(token) = field("SessionToken") {
        credentials = credentials
            .with_session_token(token)
            .map_err(|e| bad(e.to_string()))?;
    }
    if let Some(expiry) = field("Expiration") {
        let expiry = OffsetDateTime::parse(expiry, &Rfc3339).map_err(|e| {
            bad(format!(
                "Expiration {expiry:?} is not an RFC 3339 time: {e}"
            ))
        })?;
        credentials = credentials.with_expiry(expiry);
    }
    Ok(credentials)
}

/// A source of time, so that refresh decisions can be tested anywhere in time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Something that fetches fresh credentials: STS through the caller's transport, a
/// `credential_process`, a metadata service. Any `Fn() -> Result<Credentials, String>`
/// is one.
pub trait CredentialSource: Send + Sync {
    /// Fetches credentials; the error says why not.
    fn fetch(&self) -> Result<Credentials, String>;
}

impl<F> CredentialSource for F
where
    F: Fn() -> Result<Credentials, String> + Send + Sync,
{
    fn fetch(&self) -> Result<Credentials, String> {
        self()
    }
}

/// When a cache refreshes.
///
/// The defaults are botocore's: try to refresh 15 minutes before expiry (advisory: on
/// failure keep serving what is held), and insist 10 minutes before (mandatory: on failure,
/// fail). Ten minutes covers the 5 minutes of clock skew AWS tolerates plus the retries of a
/// slow request signed just before; the five minutes between the windows leave room for
/// several attempts while a transient STS failure passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshWindows {
    /// Within this of expiry, refresh if no other caller is, but serve the held credentials
    /// if the refresh fails.
    pub advisory: Duration,
    /// Within this of expiry, the held credentials are not served: refresh or fail.
    pub mandatory: Duration,
}

impl Default for RefreshWindows {
    fn default() -> Self {
        Self {
            advisory: Duration::minutes(15),
            mandatory: Duration::minutes(10),
        }
    }
}

struct State {
    current: Option<Credentials>,
    refreshing: bool,
}

/// Dropped only when a source's fetch unwinds.
struct RefreshGuard<'a> {
    state: &'a Mutex<State>,
    refreshed: &'a Condvar,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.refreshing = false;
        self.refreshed.notify_all();
    }
}

/// Credentials from a source, cached until they near their expiry. One refresh runs at a
/// time however many threads ask: in the advisory window the others get the held
/// credentials, in the mandatory window they wait for the refresh.
pub struct CachedCredentials<S, C = SystemClock> {
    source: S,
    clock: C,
    windows: RefreshWindows,
    state: Mutex<State>,
    refreshed: Condvar,
}

impl<S, C> fmt::Debug for CachedCredentials<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedCredentials")
            .field("windows", &self.windows)
            .finish_non_exhaustive()
    }
}

impl<S: CredentialSource> CachedCredentials<S, SystemClock> {
    /// A cache over `source` with the system clock and the default windows.
    pub fn new(source: S) -> Self {
        Self::with_clock(source, SystemClock, RefreshWindows::default())
    }
}

impl<S: CredentialSource, C: Clock> CachedCredentials<S, C> {
    /// A cache with a clock and windows of the caller's.
    pub fn with_clock(source: S, clock: C, windows: RefreshWindows) -> Self {
        Self {
            source,
            clock,
            windows,
            state: Mutex::new(State {
                current: None,
                refreshing: false,
            }),
            refreshed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two plain fields, updated in single assignments: a panic elsewhere
        // cannot leave it half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Credentials to sign with now.
    pub fn get(&self) -> Result<Credentials, ProviderError> {
        let mut state = self.lock();
        loop {
            let now = self.clock.now();
            let zone = state.current.as_ref().map(|c| self.zone(c, now));
            match zone {
                Some(Zone::Fresh) => return state.current.clone().ok_or_else(unreachable_state),
                Some(Zone::Advisory) if state.refreshing => {
                    return state.current.clone().ok_or_else(unreachable_state)
                }
                Some(Zone::Advisory) => {
                    let (fetched, held) = self.refresh(state);
                    // A failed advisory refresh keeps serving what is still valid.
                    return fetched
                        .or_else(|message| held.ok_or(ProviderError::RefreshFailed { message }));
                }
                Some(Zone::Mandatory) | None if state.refreshing => {
                    state = self
                        .refreshed
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                }
                Some(Zone::Mandatory) | None => {
                    let (fetched, _) = self.refresh(state);
                    return fetched.map_err(|message| ProviderError::RefreshFailed { message });
                }
            }
        }
    }

    /// Runs one refresh: marks it running, fetches without holding the lock, keeps what
    /// came, and wakes the threads waiting for it. Returns the fetch's result and the
    /// credentials held before it.
    fn refresh(
        &self,
        mut state: MutexGuard<'_, State>,
    ) -> (Result<Credentials, String>, Option<Credentials>) {
        state.refreshing = true;
        drop(state);
        // Should the source panic, the guard marks the refresh over and wakes the waiting
        // threads, so that they try again rather than wait forever.
        let guard = RefreshGuard {
            state: &self.state,
            refreshed: &self.refreshed,
        };
        let fetched = self.source.fetch();
        std::mem::forget(guard);
        let mut state = self.lock();
        state.refreshing = false;
        let held = match &fetched {
            Ok(fresh) => state.current.replace(fresh.clone()),
            Err(_) => state.current.clone(),
        };
        self.refreshed.notify_all();
        (fetched, held)
    }

    fn zone(&self, credentials: &Credentials, now: OffsetDateTime) -> Zone {
        if credentials.expires_within(now, self.windows.mandatory) {
            Zone::Mandatory
        } else if credentials.expires_within(now, self.windows.advisory) {
            Zone::Advisory
        } else {
            Zone::Fresh
        }
    }
}

fn unreachable_state() -> ProviderError {
    ProviderError::RefreshFailed {
        message: "no credentials are held".into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Zone {
    Fresh,
    Advisory,
    Mandatory,
}

/// Shares a clock among the cache and a test.
impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}
