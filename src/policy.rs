//! IAM policy evaluation: which statements of identity and trust policies apply to a
//! request, and the decision IAM reaches (an explicit deny wins, then an allow, otherwise
//! the request is implicitly denied).
//!
//! Supported: `Effect`; `Action` / `NotAction` and `Resource` / `NotResource` with the `*`
//! and `?` wildcards (actions compared without regard to case); `Principal` / `NotPrincipal`
//! (`*`, `{"AWS": ...}` with ARNs, account ids and account roots, `{"Service": ...}`); and
//! the condition operators `StringEquals`, `StringNotEquals`, `StringEqualsIgnoreCase`,
//! `StringNotEqualsIgnoreCase`, `StringLike`, `StringNotLike`, `ArnEquals`, `ArnLike`,
//! `ArnNotEquals`, `ArnNotLike`, `Bool`, `Null`, each also with `IfExists`. An operator
//! outside that set is an error when the policy is parsed, not a silent mismatch. The
//! `Arn` operators compare the six colon-separated parts one by one, each with wildcards,
//! as IAM does (so `ArnEquals` is `ArnLike`).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// What is wrong, with the statement it is in.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid policy: {}", self.message)
    }
}

impl std::error::Error for PolicyError {}

fn error(message: impl Into<String>) -> PolicyError {
    PolicyError {
        message: message.into(),
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The statement grants.
    Allow,
    /// The statement forbids, whatever else grants.
    Deny,
}

/// A list of patterns, or everything but them (`NotAction`, `NotResource`, `NotPrincipal`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Patterns {
    Only(Vec<String>),
    AllBut(Vec<String>),
}

/// Who a statement's `Principal` names.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Principals {
    any: bool,
    aws: Vec<String>,
    service: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Bool,
    Null,
}

impl Operator {
    fn parse(name: &str) -> Option<(Self, bool)> {
        let (base, if_exists) = match name.strip_suffix("IfExists") {
            Some(base) => (base, true),
            None => (name, false),
        };
        let op = match base {
            "StringEquals" => Self::StringEquals,
            "StringNotEquals" => Self::StringNotEquals,
            "StringEqualsIgnoreCase" => Self::StringEqualsIgnoreCase,
            "StringNotEqualsIgnoreCase" => Self::StringNotEqualsIgnoreCase,
            "StringLike" => Self::StringLike,
            "StringNotLike" => Self::StringNotLike,
            "ArnEquals" => Self::ArnEquals,
            "ArnLike" => Self::ArnLike,
            "ArnNotEquals" => Self::ArnNotEquals,
            "ArnNotLike" => Self::ArnNotLike,
            "Bool" => Self::Bool,
            "Null" if !if_exists => Self::Null,
            _ => return None,
        };
        Some((op, if_exists))
    }

    fn negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    /// Whether one request value matches one policy value (before negation).
    fn matches(self, request: &str, policy: &str) -> bool {
        match self {
            Self::StringEquals | Self::StringNotEquals => request == policy,
            Self::StringEqualsIgnoreCase | Self::StringNotEqualsIgnoreCase => {
                request.eq_ignore_ascii_case(policy)
            }
            Self::StringLike | Self::StringNotLike => {
                wildcard(policy.as_bytes(), request.as_bytes(), false)
            }
            // IAM treats `ArnEquals` as `ArnLike`: wildcards in each of the six parts.
            Self::ArnEquals | Self::ArnNotEquals | Self::ArnLike | Self::ArnNotLike => {
                arn_like(policy, request)
            }
            Self::Bool => request.eq_ignore_ascii_case(policy),
            Self::Null => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    operator: Operator,
    if_exists: bool,
    key: String,
    values: Vec<String>,
}

impl Condition {
    fn holds(&self, context: &RequestContext<'_>) -> bool {
        let present = context.values(&self.key);
        if self.operator == Operator::Null {
            // `Null: true` holds when the key is absent.
            let want_absent = self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
            return want_absent == present.is_empty();
        }
        if present.is_empty() {
            // A missing key: negated operators hold, others do not, unless IfExists.
            return self.if_exists || self.operator.negated();
        }
        let any = present
            .iter()
            .any(|r| self.values.iter().any(|p| self.operator.matches(r, p)));
        if self.operator.negated() {
            !any
        } else {
            any
        }
    }
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Its `Sid`, if any.
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: Effect,
    principal: Option<(bool, Principals)>,
    action: Patterns,
    resource: Option<Patterns>,
    conditions: Vec<Condition>,
}

/// A policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// What a request is, for evaluation.
#[derive(Debug, Clone, Default)]
pub struct RequestContext<'a> {
    /// The caller's ARN (`arn:aws:iam::ACCOUNT:user/NAME`, or an assumed-role session ARN).
    pub principal_arn: &'a str,
    /// The caller's account.
    pub principal_account: &'a str,
    /// The action, such as `sts:AssumeRole`.
    pub action: &'a str,
    /// The resource's ARN.
    pub resource: &'a str,
    /// Condition keys (`sts:ExternalId`, ...). `aws:PrincipalAccount` is answered from the
    /// fields above, and so is `aws:PrincipalArn` unless given here: a session's ARN names
    /// its role without the role's path, so a caller that knows the role's full ARN puts it
    /// under `aws:PrincipalArn`, where principal matching finds it too.
    pub keys: BTreeMap<String, Vec<String>>,
}

impl RequestContext<'_> {
    /// The role of a role session: as given under `aws:PrincipalArn`, else from the ARN.
    fn session_role(&self) -> Option<String> {
        let from_arn = session_role_arn(self.principal_arn)?;
        let given = self
            .key("aws:PrincipalArn")
            .and_then(|v| v.first().cloned());
        Some(given.unwrap_or(from_arn))
    }

    /// A condition key's values, the key's case ignored.
    fn key(&self, key: &str) -> Option<&Vec<String>> {
        self.keys
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }

    fn values(&self, key: &str) -> Vec<String> {
        if key.eq_ignore_ascii_case("aws:PrincipalArn") {
            // For a role session, IAM gives the role's ARN.
            return vec![self
                .session_role()
                .unwrap_or_else(|| self.principal_arn.to_owned())];
        }
        if key.eq_ignore_ascii_case("aws:PrincipalAccount") {
            return vec![self.principal_account.to_owned()];
        }
        self.key(key).cloned().unwrap_or_default()
    }
}

/// The outcome of evaluating policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A statement denies: nothing else matters.
    ExplicitDeny,
    /// A statement allows and none denies.
    Allow,
    /// No statement applies.
    ImplicitDeny,
}

/// How a trust policy's `Principal` matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalMatch {
    /// The caller is named (its ARN, or the role of its session, or `*`).
    Named,
    /// Only the caller's account is named: the account's own policies must allow too.
    Account,
}

/// Matches an ARN against a pattern part by part: `arn`, partition, service, region,
/// account and resource (which may hold colons), so that a `*` never spans a colon
/// between parts. A value that is not an ARN matches nothing.
fn arn_like(pattern: &str, arn: &str) -> bool {
    let mut pattern_parts = pattern.splitn(6, ':');
    let mut arn_parts = arn.splitn(6, ':');
    let mut compared = 0;
    loop {
        match (pattern_parts.next(), arn_parts.next()) {
            (Some(p), Some(a)) => {
                if !wildcard(p.as_bytes(), a.as_bytes(), false) {
                    return false;
                }
                compared += 1;
            }
            (None, None) => return compared == 6,
            _ => return false,
        }
    }
}

/// Matches `pattern` (`*` any run, `?` one character) against `text`.
fn wildcard(pattern: &[u8], text: &[u8], ignore_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    // A UTF-8 continuation byte: `?` never starts there, so it takes a whole character.
    let continues = |b: u8| b & 0xC0 == 0x80;
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'?' && !continues(text[t]) {
            p += 1;
            t += 1;
            while t < text.len() && continues(text[t]) {
                t += 1;
            }
        } else if p < pattern.len()
            && pattern[p] != b'?'
            && pattern[p] != b'*'
            && eq(pattern[p], text[t])
        {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

impl Patterns {
    fn matches(&self, value: &str, ignore_case: bool) -> bool {
        let any = |list: &[String]| {
            list.iter()
                .any(|p| wildcard(p.as_bytes(), value.as_bytes(), ignore_case))
        };
        match self {
            Self::Only(list) => any(list),
            Self::AllBut(list) => !any(list),
        }
    }
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| error(format!("{what} must hold strings")))
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        _ => Err(error(format!(
            "{what} must be a string or a list of strings"
        ))),
    }
}

fn principals(value: &Value) -> Result<Principals, PolicyError> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals {
            any: true,
            ..Principals::default()
        }),
        Value::Object(map) => {
            let mut out = Principals::default();
            for (kind, names) in map {
                let names = strings(names, "Principal")?;
                match kind.as_str() {
                    "AWS" => {
                        out.any |= names.iter().any(|n| n == "*");
                        out.aws.extend(names);
                    }
                    "Service" => out.service.extend(names),
                    "Federated" | "CanonicalUser" => {}
                    other => return Err(error(format!("unknown principal type {other:?}"))),
                }
            }
            Ok(out)
        }
        _ => Err(error("Principal must be \"*\" or an object")),
    }
}

impl Policy {
    /// Parses an IAM policy document (JSON).
    pub fn parse(document: &str) -> Result<Self, PolicyError> {
        let value: Value =
            serde_json::from_str(document).map_err(|e| error(format!("not JSON: {e}")))?;
        let statements = match value.get("Statement") {
            Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
            Some(single @ Value::Object(_)) => vec![single],
            _ => return Err(error("the document has no Statement")),
        };
        let statements = statements
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                Self::statement(s).map_err(|e| error(format!("statement {i}: {}", e.message)))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    fn statement(value: &Value) -> Result<Statement, PolicyError> {
        let effect = match value.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => return Err(error("Effect must be Allow or Deny")),
        };
        let action = match (value.get("Action"), value.get("NotAction")) {
            (Some(a), None) => Patterns::Only(strings(a, "Action")?),
            (None, Some(a)) => Patterns::AllBut(strings(a, "NotAction")?),
            _ => {
                return Err(error(
                    "a statement needs exactly one of Action and NotAction",
                ))
            }
        };
        let resource = match (value.get("Resource"), value.get("NotResource")) {
            (Some(r), None) => Some(Patterns::Only(strings(r, "Resource")?)),
            (None, Some(r)) => Some(Patterns::AllBut(strings(r, "NotResource")?)),
            (None, None) => None,
            _ => return Err(error("a statement has both Resource and NotResource")),
        };
        let principal = match (value.get("Principal"), value.get("NotPrincipal")) {
            (Some(p), None) => Some((false, principals(p)?)),
            // IAM accepts NotPrincipal only to deny.
            (None, Some(_)) if effect == Effect::Allow => {
                return Err(error("NotPrincipal may only be used with Deny"))
            }
            (None, Some(p)) => Some((true, principals(p)?)),
            (None, None) => None,
            _ => return Err(error("a statement has both Principal and NotPrincipal")),
        };
        let mut conditions = Vec::new();
        if let Some(block) = value.get("Condition") {
            let block = block
                .as_object()
                .ok_or_else(|| error("Condition must be an object"))?;
            for (name, keys) in block {
                let (operator, if_exists) = Operator::parse(name).ok_or_else(|| {
                    error(format!("the condition operator {name:?} is not supported"))
                })?;
                let keys = keys
                    .as_object()
                    .ok_or_else(|| error(format!("{name} must map keys to values")))?;
                for (key, values) in keys {
                    conditions.push(Condition {
                        operator,
                        if_exists,
                        key: key.clone(),
                        values: strings(values, "a condition value")?,
                    });
                }
            }
        }
        Ok(Statement {
            sid: value.get("Sid").and_then(Value::as_str).map(str::to_owned),
            effect,
            principal,
            action,
            resource,
            conditions,
        })
    }

    /// The statements.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

impl Statement {
    fn applies(&self, request: &RequestContext<'_>) -> bool {
        self.action.matches(request.action, true)
            && self
                .resource
                .as_ref()
                .is_none_or(|r| r.matches(request.resource, false))
            && self.conditions.iter().all(|c| c.holds(request))
    }

    /// How the statement's `Principal` names the caller, if it does.
    fn names(&self, request: &RequestContext<'_>) -> Option<PrincipalMatch> {
        let (negated, principals) = self.principal.as_ref()?;
        if *negated {
            // A Deny with NotPrincipal exempts exactly the principals it names; naming an
            // account exempts the account itself, not its users.
            let exempt = principals.aws.iter().any(|n| n == request.principal_arn);
            return (!exempt).then_some(PrincipalMatch::Named);
        }
        principal_match(principals, request)
    }
}

/// Whether a caller is named by ARN (a role names its sessions too) or by account.
fn principal_match(
    principals: &Principals,
    request: &RequestContext<'_>,
) -> Option<PrincipalMatch> {
    if principals.any {
        return Some(PrincipalMatch::Named);
    }
    let session_role = request.session_role();
    let root = format!("arn:aws:iam::{}:root", request.principal_account);
    let mut account = false;
    for name in &principals.aws {
        if name == request.principal_arn || Some(name.as_str()) == session_role.as_deref() {
            return Some(PrincipalMatch::Named);
        }
        if !request.principal_account.is_empty()
            && (name == request.principal_account || *name == root)
        {
            account = true;
        }
    }
    if principals
        .service
        .iter()
        .any(|s| s == request.principal_arn)
    {
        return Some(PrincipalMatch::Named);
    }
    account.then_some(PrincipalMatch::Account)
}

/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` → `arn:aws:iam::ACCOUNT:role/ROLE`;
/// `None` for any other ARN. A role's path is not in its sessions' ARNs, so a role with a
/// path comes back without it.
pub fn session_role_arn(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws:sts::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix("assumed-role/")?;
    let (role, _session) = path.rsplit_once('/')?;
    Some(format!("arn:aws:iam::{account}:role/{role}"))
}

/// Evaluates identity policies (no `Principal`) for a request.
pub fn evaluate(policies: &[&Policy], request: &RequestContext<'_>) -> Decision {
    let mut allowed = false;
    for statement in policies.iter().flat_map(|p| p.statements.iter()) {
        // Identity statements name no principal, and must name their resources (IAM refuses
        // one without `Resource` or `NotResource`).
        if statement.principal.is_some()
            || statement.resource.is_none()
            || !statement.applies(request)
        {
            continue;
        }
        match statement.effect {
            Effect::Deny => return Decision::ExplicitDeny,
            Effect::Allow => allowed = true,
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Evaluates a resource-based policy such as a role's trust policy: the statements that
/// name the caller (and apply) decide, and an allow says whether the caller was named
/// itself or only through its account.
pub fn evaluate_resource_policy(
    policy: &Policy,
    request: &RequestContext<'_>,
) -> (Decision, Option<PrincipalMatch>) {
    let mut allowed: Option<PrincipalMatch> = None;
    for statement in &policy.statements {
        let Some(named) = statement.names(request) else {
            continue;
        };
        if !statement.applies(request) {
            continue;
        }
        match statement.effect {
            Effect::Deny => return (Decision::ExplicitDeny, None),
            Effect::Allow => {
                allowed = Some(match (allowed, named) {
                    (Some(PrincipalMatch::Named), _) | (_, PrincipalMatch::Named) => {
                        PrincipalMatch::Named
                    }
                    _ => PrincipalMatch::Account,
                });
            }
        }
    }
    match allowed {
        Some(how) => (Decision::Allow, Some(how)),
        None => (Decision::ImplicitDeny, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        for (pattern, text, want) in [
            ("*", "anything", true),
            ("s3:Get*", "s3:GetObject", true),
            ("s3:Get*", "s3:PutObject", false),
            ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*b*", "aaabccc", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("", "", true),
        ] {
            assert_eq!(
                wildcard(pattern.as_bytes(), text.as_bytes(), false),
                want,
                "{pattern} ~ {text}"
            );
        }
        assert!(wildcard(b"sts:assumerole", b"sts:AssumeRole", true));
        // `?` is one character, however many bytes it takes.
        assert!(wildcard("caf?".as_bytes(), "caf\u{e9}".as_bytes(), false));
        assert!(!wildcard("caf??".as_bytes(), "caf\u{e9}".as_bytes(), false));
        assert!(wildcard("*?".as_bytes(), "\u{1F600}".as_bytes(), false));
    }

    #[test]
    fn arns_match_part_by_part() {
        for (pattern, arn, want) in [
            (
                "arn:aws:iam::123456789012:role/*",
                "arn:aws:iam::123456789012:role/a/b",
                true,
            ),
            (
                "arn:aws:iam::*:role/admin",
                "arn:aws:iam::111122223333:role/admin",
                true,
            ),
            (
                "arn:aws:*:role/admin",
                "arn:aws:iam::111122223333:role/admin",
                false,
            ),
            ("arn:*", "arn:aws:iam::111122223333:role/admin", false),
            ("arn:aws:s3:::bucket/a:b", "arn:aws:s3:::bucket/a:b", true),
            ("arn:aws:iam::1?3:root", "arn:aws:iam::123:root", true),
            ("*", "not-an-arn", false),
            ("arn:aws:iam::123:role/x", "arn:aws:iam::123:role/X", false),
        ] {
            assert_eq!(arn_like(pattern, arn), want, "{pattern} ~ {arn}");
        }
    }

    #[test]
    fn sessions_belong_to_their_role() {
        assert_eq!(
            session_role_arn("arn:aws:sts::123456789012:assumed-role/admin/alice").as_deref(),
            Some("arn:aws:iam::123456789012:role/admin")
        );
        assert_eq!(
            session_role_arn("arn:aws:iam::123456789012:user/alice"),
            None
        );
    }
}
