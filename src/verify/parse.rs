//! Strict parsing of what a signed request claims: the `Authorization` header or the
//! presigning parameters, and the request time. Nothing here needs a secret.

use time::format_description::well_known::Rfc2822;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::canonical::query::{self, Params, Take};
use crate::canonical::{parse_signed_names, SignedList, SignedNames};
use crate::scan;
use crate::scope::ALGORITHM;
use crate::swar;
use crate::time::AmzDate;
use crate::verify::error::{AuthLocation, VerifyError};
use crate::verify::Limits;

/// The parts of a credential: `AKID/20150830/us-east-1/service/aws4_request`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CredentialParts<'r> {
    pub(crate) access_key_id: &'r str,
    pub(crate) date_stamp: &'r str,
    pub(crate) region: &'r str,
    pub(crate) service: &'r str,
    pub(crate) terminator: &'r str,
}

/// The session token as sent: a header value, or a query value still percent-encoded.
#[derive(Clone, Copy)]
pub(crate) enum TokenRef<'r> {
    Header(&'r [u8]),
    Query(&'r str),
}

impl std::fmt::Debug for TokenRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = match self {
            Self::Header(_) => "Header",
            Self::Query(_) => "Query",
        };
        f.debug_tuple(place).field(&"<redacted>").finish()
    }
}

/// What the request claims, parsed but not yet checked against a secret.
#[derive(Debug)]
pub(crate) struct Claims<'r> {
    pub(crate) location: AuthLocation,
    pub(crate) credential: CredentialParts<'r>,
    pub(crate) signed: SignedList<'r>,
    /// As sent: 64 lower-case hex digits, compared with the expected signature's hex.
    pub(crate) signature: &'r [u8; 64],
    /// Presigned only: the raw `X-Amz-Date` and `X-Amz-Expires` values.
    pub(crate) query_date: Option<&'r str>,
    pub(crate) expires: Option<&'r str>,
    pub(crate) token: Option<TokenRef<'r>>,
    /// Presigned only: the raw `X-Amz-Credential` is canonical once `Verifier::parse`
    /// accepts its parts (see [`is_canonical_credential`]).
    pub(crate) credential_canonical: bool,
}

fn malformed(location: AuthLocation, reason: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        location,
        reason: reason.into(),
    }
}

/// Splits a credential on `/` (or `%2F` in a query); every part must be free of other
/// escapes and of whitespace.
pub(crate) fn parse_credential(
    raw: &str,
    location: AuthLocation,
) -> Result<CredentialParts<'_>, VerifyError> {
    let plain = match location {
        AuthLocation::Header => split_plain_credential::<false>(raw),
        AuthLocation::Query => split_plain_credential::<true>(raw),
    };
    match plain {
        Some(parts) => Ok(parts),
        None => split_credential(raw, location),
    }
}

/// [`parse_credential`] the long way, for any credential.
fn split_credential(raw: &str, location: AuthLocation) -> Result<CredentialParts<'_>, VerifyError> {
    let shape = || {
        malformed(
            location,
            "the Credential must be <access key id>/<date>/<region>/<service>/aws4_request",
        )
    };
    let bytes = raw.as_bytes();
    let mut parts = [""; 5];
    let mut n = 0;
    let mut start = 0;
    // The separators: `/`, or `%2F` in either case. A `%` that starts anything else stays
    // in its part, which then fails the check below.
    for at in scan::positions2(bytes, b'/', b'%') {
        if at < start {
            continue;
        }
        let width = if bytes[at] == b'/' {
            1
        } else if bytes
            .get(at + 1..at + 3)
            .is_some_and(|e| e.eq_ignore_ascii_case(b"2f"))
        {
            3
        } else {
            continue;
        };
        if n == parts.len() - 1 {
            return Err(shape());
        }
        parts[n] = raw.get(start..at).ok_or_else(shape)?;
        n += 1;
        start = at + width;
    }
    parts[n] = raw.get(start..).ok_or_else(shape)?;
    n += 1;
    let well_formed = n == parts.len()
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().fold(true, |ok, b| ok & is_plain(b)));
    if !well_formed {
        return Err(shape());
    }
    Ok(CredentialParts {
        access_key_id: parts[0],
        date_stamp: parts[1],
        region: parts[2],
        service: parts[3],
        terminator: parts[4],
    })
}

/// A credential split on `/` (or, with `ESCAPED`, on `%2F` in either case too, as a query
/// carries it) in one pass that also checks every byte: the form every header and most
/// queries carry. `None` for anything else (other escapes, a wrong number of parts, an
/// empty part, a byte that cannot be there), which `parse_credential` takes the long way
/// and explains.
fn split_plain_credential<const ESCAPED: bool>(raw: &str) -> Option<CredentialParts<'_>> {
    let bytes = raw.as_bytes();
    // Eight bytes at a time: each must be plain or a separator, and the separators' places
    // are kept. The padding is plain.
    let mut bad = 0;
    let mut ends = [0usize; 4];
    let mut n = 0;
    let mut at = 0;
    swar::for_each_word(bytes, b'a', |word| {
        let low = word & !swar::HIGH;
        let percents = swar::equal(low, b'%');
        let plain = swar::at_least(low, b'!') & !swar::at_least(low, 0x7f);
        bad |= (word | !plain | if ESCAPED { 0 } else { percents }) & swar::HIGH;
        // A byte of 0x80 or more can pass for a separator here; it was found bad above.
        let mut separators = swar::equal(low, b'/') | if ESCAPED { percents } else { 0 };
        while separators != 0 {
            if let Some(end) = ends.get_mut(n) {
                *end = at + separators.trailing_zeros() as usize / 8;
            }
            n += 1;
            separators &= separators - 1;
        }
        at += 8;
    });
    if bad != 0 || n != 4 {
        return None;
    }
    // Where the part after each separator starts: past a slash, or past a `%2F`.
    let start_after = |end: usize| match bytes.get(end..end + 3) {
        _ if !ESCAPED => Some(end + 1),
        Some([b'%', b'2', b'F' | b'f']) => Some(end + 3),
        _ if bytes.get(end) == Some(&b'/') => Some(end + 1),
        _ => None,
    };
    let [a, b, c, d] = ends;
    let (sa, sb, sc, sd) = (
        start_after(a)?,
        start_after(b)?,
        start_after(c)?,
        start_after(d)?,
    );
    let nonempty = a > 0 && b > sa && c > sb && d > sc && bytes.len() > sd;
    if !nonempty {
        return None;
    }
    Some(CredentialParts {
        access_key_id: raw.get(..a)?,
        date_stamp: raw.get(sa..b)?,
        region: raw.get(sb..c)?,
        service: raw.get(sc..d)?,
        terminator: raw.get(sd..)?,
    })
}

/// A visible ASCII character other than `%`. Branch-free, so a fold over a part vectorizes.
fn is_plain(b: u8) -> bool {
    (b > b' ') & (b < 0x7f) & (b != b'%')
}

fn parse_signature(raw: &[u8], location: AuthLocation) -> Result<&[u8; 64], VerifyError> {
    crate::hex::check64(raw).ok_or_else(|| {
        malformed(
            location,
            "the Signature must be 64 lower-case hexadecimal digits",
        )
    })
}

/// Checks a signed header list and splits it into `names`.
fn parse_signed<'a>(
    raw: &'a str,
    location: AuthLocation,
    limits: &Limits,
    names: &mut SignedNames<'a>,
) -> Result<SignedList<'a>, VerifyError> {
    // Splitting is linear in `raw`, whose length is already bounded (the Authorization
    // header's, or the request target's): the count can be checked afterwards.
    let list = parse_signed_names(raw, names).ok_or_else(|| {
        malformed(
            location,
            "SignedHeaders must list lower-case header names, sorted, separated by ';'",
        )
    })?;
    if names.len() > limits.max_signed_headers {
        return Err(VerifyError::TooLarge {
            what: "number of signed headers",
            limit: limits.max_signed_headers,
        });
    }
    Ok(list)
}

/// Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`: each part
/// exactly once, in any order, nothing else. The signed header names go into `names`.
pub(crate) fn parse_authorization<'r>(
    value: &'r [u8],
    limits: &Limits,
    names: &mut SignedNames<'r>,
) -> Result<Claims<'r>, VerifyError> {
    let location = AuthLocation::Header;
    if value.len() > limits.max_authorization_len {
        return Err(VerifyError::TooLarge {
            what: "Authorization header",
            limit: limits.max_authorization_len,
        });
    }
    if let Some((credential, signed, signature)) = split_sdk_form(value) {
        // Any failure is left to the general parser below, which says what is wrong in
        // its own words.
        if let (Ok(credential), Ok(signed), Ok(signature)) = (
            parse_credential(credential, location),
            parse_signed(signed, location, limits, names),
            parse_signature(signature, location),
        ) {
            return Ok(Claims {
                location,
                credential,
                signed,
                signature,
                query_date: None,
                expires: None,
                token: None,
                credential_canonical: false,
            });
        }
    }
    let value = std::str::from_utf8(value)
        .map_err(|_| malformed(location, "the Authorization header is not ASCII"))?;
    let (algorithm, rest) = scan::split_once(value, b' ').unwrap_or((value, ""));
    if algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm {
            algorithm: algorithm.chars().take(64).collect(),
        });
    }
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in scan::split(rest, b',') {
        let part = trim_blanks(part);
        let (key, val) = scan::split_once(part, b'=').ok_or_else(|| {
            malformed(
                location,
                format!(
                    "the Authorization header's part {:?} is not key=value",
                    truncate(part)
                ),
            )
        })?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => {
                return Err(malformed(
                    location,
                    format!(
                        "the Authorization header has an unknown part {:?}",
                        truncate(key)
                    ),
                ))
            }
        };
        if slot.replace(val).is_some() {
            return Err(malformed(
                location,
                format!("the Authorization header has {key} twice"),
            ));
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        let missing: Vec<&str> = [
            ("Credential", credential.is_none()),
            ("SignedHeaders", signed.is_none()),
            ("Signature", signature.is_none()),
        ]
        .iter()
        .filter(|(_, missing)| *missing)
        .map(|(name, _)| *name)
        .collect();
        return Err(malformed(
            location,
            format!(
                "the Authorization header requires the {} parameter",
                missing.join(", ")
            ),
        ));
    };
    Ok(Claims {
        location,
        credential: parse_credential(credential, location)?,
        signed: parse_signed(signed, location, limits, names)?,
        signature: parse_signature(signature.as_bytes(), location)?,
        query_date: None,
        expires: None,
        token: None,
        credential_canonical: false,
    })
}

/// Trims spaces and tabs from both ends.
fn trim_blanks(text: &str) -> &str {
    let bytes = text.as_bytes();
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |at| at + 1);
    text.get(start..end).unwrap_or("")
}

/// The three values of an `Authorization` header in the form every SDK writes:
/// `AWS4-HMAC-SHA256 Credential=<c>, SignedHeaders=<s>, Signature=<64 characters>`. Split
/// as bytes: only the credential and the signed names, one stretch between the fixed
/// pieces, are checked as UTF-8, and the signature stays bytes. `None` for any other
/// spacing or order, or text that is not UTF-8, which the general parser takes.
fn split_sdk_form(value: &[u8]) -> Option<(&str, &str, &[u8])> {
    let rest = value.strip_prefix(b"AWS4-HMAC-SHA256 Credential=")?;
    let (rest, signature) = rest.split_at_checked(rest.len().checked_sub(64)?)?;
    let rest = std::str::from_utf8(rest.strip_suffix(b", Signature=")?).ok()?;
    let comma = scan::find(rest.as_bytes(), b',')?;
    let (credential, rest) = rest.split_at_checked(comma)?;
    let signed = rest.strip_prefix(", SignedHeaders=")?;
    Some((credential, signed, signature))
}

/// What `Verifier::verify` keeps from parsing for the canonical request, beside the
/// `Pending` (which does not grow for it): the signed names, split once, and a presigned
/// query's parameters, collected while [`PresigningParams::find`] looks for the presigning
/// ones, as the canonical query takes them.
pub(crate) struct Collected<'r> {
    pub(crate) names: SignedNames<'r>,
    pub(crate) params: Params<'r>,
    /// Where the presigning parameters start. They follow the others and are in canonical
    /// order; the others are in the order they came in, until the canonical request sorts
    /// them.
    pub(crate) presigning_at: usize,
}

impl Collected<'_> {
    #[inline]
    pub(crate) fn new() -> Self {
        Self {
            names: SignedNames::new(),
            params: Params::new(),
            presigning_at: 0,
        }
    }
}

/// The presigning parameters of a query string, found in one pass over it.
pub(crate) struct PresigningParams<'r> {
    /// The values of [`PresigningParams::NAMES`], where given.
    slots: [Option<&'r str>; 7],
    /// What is wrong with the query, the first met.
    problem: Option<QueryProblem<'r>>,
}

enum QueryProblem<'r> {
    /// More parameters than the limit: the search stopped there.
    TooMany,
    /// This presigning parameter came twice.
    Twice(&'r str),
}

impl<'r> PresigningParams<'r> {
    /// The names, one for each slot.
    const NAMES: [&'static str; 7] = crate::presign::param::ALL;

    /// The place in `slots` of a presigning parameter's name.
    pub(crate) fn slot(name: &str) -> Option<usize> {
        Self::NAMES.iter().position(|known| *known == name)
    }

    /// The slots in the order of their names' bytes.
    const CANONICAL_ORDER: [usize; 7] = [0, 1, 2, 3, 6, 5, 4];

    /// The slots (a bit each) whose values are canonical once `Verifier::parse` accepts
    /// them: the algorithm, found exactly the algorithm's name, and the expiry, found
    /// digits.
    pub(crate) const CANONICAL_ONCE_ACCEPTED: u8 = 1 << 0 | 1 << 3;

    /// The slots whose values `find` collects as canonical before they are read: those
    /// above, the credential, the date and the session token. Any that turns out not to
    /// be is read again (`QueryParam::reread_value`).
    pub(crate) const COLLECTED_AS_CANONICAL: u8 =
        Self::CANONICAL_ONCE_ACCEPTED | Self::CREDENTIAL | Self::DATE | Self::TOKEN;

    /// The credential's slot, as a bit.
    pub(crate) const CREDENTIAL: u8 = 1 << 1;
    /// The date's slot, as a bit.
    pub(crate) const DATE: u8 = 1 << 2;
    /// The session token's slot, as a bit.
    pub(crate) const TOKEN: u8 = 1 << 6;

    /// How a presigned request's canonical query takes the parameter in `slot` (`None`
    /// for a parameter that does not presign): the presigning parameters are these exact
    /// spellings, the values of the slots in `canonical` (a bit each) are canonical, and
    /// the signature is left out, as is the session token when `token_unsigned`.
    pub(crate) fn take(slot: Option<usize>, canonical: u8, token_unsigned: bool) -> Take {
        match slot {
            None => Take::Raw,
            Some(5) => Take::Skip,
            Some(6) if token_unsigned => Take::Skip,
            Some(i) if canonical >> i & 1 == 1 => Take::Canonical,
            Some(_) => Take::CanonicalName,
        }
    }

    /// Finds the presigning parameters. With `collect`, every parameter also goes into its
    /// vector as [`PresigningParams::take`] says, with the values of
    /// [`COLLECTED_AS_CANONICAL`](Self::COLLECTED_AS_CANONICAL) as canonical, and the
    /// session token left out when the `bool` says it is unsigned; the `usize` is set to
    /// where the presigning ones start (see [`Collected`]): the canonical query of a
    /// presigned request then needs no second split.
    pub(crate) fn find(
        query: &'r str,
        limits: &Limits,
        mut collect: Option<(&mut Params<'r>, &mut usize, bool)>,
    ) -> Self {
        let mut found = Self {
            slots: [None; 7],
            problem: None,
        };
        for (n, piece) in scan::split(query, b'&').enumerate() {
            if n >= limits.max_query_params {
                found.problem.get_or_insert(QueryProblem::TooMany);
                break;
            }
            let (name, value) = scan::split_once_near(piece, b'=').unwrap_or((piece, ""));
            let slot = Self::slot(name);
            if let Some(i) = slot {
                if found.slots[i].replace(value).is_some() {
                    found.problem.get_or_insert(QueryProblem::Twice(name));
                }
            }
            if let Some((params, _, _)) = collect.as_mut() {
                if slot.is_none() && !piece.is_empty() {
                    query::push(params, name, value, Take::Raw);
                }
            }
        }
        // The presigning parameters follow the others, in their canonical order, a sorted
        // run of their own.
        if let Some((params, presigning_at, token_unsigned)) = collect {
            *presigning_at = params.len();
            for i in Self::CANONICAL_ORDER {
                if let Some(value) = found.slots[i] {
                    let take = Self::take(Some(i), Self::COLLECTED_AS_CANONICAL, token_unsigned);
                    query::push(params, Self::NAMES[i], value, take);
                }
            }
        }
        found
    }

    /// Whether the query is presigned: it has an `X-Amz-Algorithm` parameter, among the
    /// parameters the search read before it reached the bound. A query with more
    /// parameters than the bound is refused either way: as presigned, with `TooMany`, or
    /// else by `Verifier::parse`'s own count.
    pub(crate) fn presigned(&self) -> bool {
        self.slots[0].is_some()
    }
}

/// Parses the presigning parameters of a query string. Each must appear once. The signed
/// header names go into `names`.
pub(crate) fn parse_presigned<'r>(
    query: &'r str,
    limits: &Limits,
    names: &mut SignedNames<'r>,
) -> Result<Claims<'r>, VerifyError> {
    presigned_claims(PresigningParams::find(query, limits, None), limits, names)
}

/// [`parse_presigned`] of parameters already found.
pub(crate) fn presigned_claims<'r>(
    found: PresigningParams<'r>,
    limits: &Limits,
    names: &mut SignedNames<'r>,
) -> Result<Claims<'r>, VerifyError> {
    let location = AuthLocation::Query;
    match found.problem {
        Some(QueryProblem::TooMany) => {
            return Err(VerifyError::TooLarge {
                what: "number of query parameters",
                limit: limits.max_query_params,
            })
        }
        Some(QueryProblem::Twice(name)) => {
            return Err(malformed(location, format!("the query has {name} twice")))
        }
        None => {}
    }
    let [algorithm, credential, date, expires, signed, signature, token] = found.slots;
    let algorithm = algorithm.unwrap_or("");
    if algorithm != ALGORITHM {
        return Err(VerifyError::UnsupportedAlgorithm {
            algorithm: algorithm.chars().take(64).collect(),
        });
    }
    let (Some(credential), Some(date), Some(expires), Some(signed), Some(signature)) =
        (credential, date, expires, signed, signature)
    else {
        return Err(malformed(
            location,
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    let parts = parse_credential(credential, location)?;
    Ok(Claims {
        location,
        credential: parts,
        signed: parse_signed(signed, location, limits, names)?,
        signature: parse_signature(signature.as_bytes(), location)?,
        query_date: Some(date),
        expires: Some(expires),
        token: token.map(TokenRef::Query),
        credential_canonical: is_canonical_credential(credential, &parts),
    })
}

/// Whether a query's raw credential, split into `parts`, is canonical once
/// `Verifier::parse` accepts those: every separator is `%2F`, and the access key id is
/// unreserved characters. The rest are too by then: the date stamp is the request date's
/// digits, the region and the service are names of unreserved characters
/// (`scope::is_valid_name`), and the terminator is `aws4_request`.
fn is_canonical_credential(raw: &str, parts: &CredentialParts<'_>) -> bool {
    // The parts lie in order with one separator between each two, so if every separator
    // before a place was three bytes long, the next starts there.
    let bytes = raw.as_bytes();
    let mut at = 0;
    let mut escaped = true;
    for part in [
        parts.access_key_id,
        parts.date_stamp,
        parts.region,
        parts.service,
    ] {
        at += part.len();
        escaped &= bytes.get(at..at + 3) == Some(b"%2F");
        at += 3;
    }
    escaped
        && at + parts.terminator.len() == bytes.len()
        && crate::canonical::query::is_unreserved_text(parts.access_key_id.as_bytes())
}

/// An `X-Amz-Date` value, and whether it was read as it was sent (not trimmed): then it is
/// digits and two letters, which need neither folding in a header nor encoding in a query.
#[inline(always)]
pub(crate) fn parse_amz_date(
    value: &[u8],
) -> Result<((AmzDate, OffsetDateTime), bool), VerifyError> {
    let parsed = parse_request_time(value, false)?;
    let as_sent = parsed.0.as_bytes() == value;
    Ok((parsed, as_sent))
}

/// `X-Amz-Date`'s form, or an HTTP date (`Sun, 30 Aug 2015 12:36:00 GMT`) from `Date`.
pub(crate) fn parse_request_time(
    value: &[u8],
    http_date: bool,
) -> Result<(AmzDate, OffsetDateTime), VerifyError> {
    let invalid = || VerifyError::MalformedDate {
        value: String::from_utf8_lossy(&value[..value.len().min(64)]).into_owned(),
    };
    // The form every client sends, as it is; then the same trimmed, or an HTTP date.
    if let Some(parsed) = AmzDate::parse_with_time(value) {
        return Ok(parsed);
    }
    let text = std::str::from_utf8(value).map_err(|_| invalid())?.trim();
    if let Some(parsed) = AmzDate::parse_with_time(text.as_bytes()) {
        return Ok(parsed);
    }
    let time = if http_date {
        let imf = format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        );
        PrimitiveDateTime::parse(text, imf)
            .map(PrimitiveDateTime::assume_utc)
            .or_else(|_| OffsetDateTime::parse(text, &Rfc2822))
            .ok()
    } else {
        None
    };
    let time = time.ok_or_else(invalid)?;
    let date = AmzDate::new(time).map_err(|_| invalid())?;
    Ok((date, time))
}

fn truncate(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    /// A credential's parts, owned, to compare two parsers' results.
    fn view(p: CredentialParts<'_>) -> [String; 5] {
        [
            p.access_key_id,
            p.date_stamp,
            p.region,
            p.service,
            p.terminator,
        ]
        .map(str::to_owned)
    }

    #[test]
    fn plain_credentials_split_as_the_general_parser_does() {
        // Four to six parts joined by `/`, each part every one of some fragments: empty,
        // plain, escaped separators, other escapes, bytes that cannot be in a part.
        let fragments = ["", "a", "ab", "%", "%2f", "a%2Fb", " ", "\u{e9}"];
        let mut texts = vec![String::new()];
        for count in 1..=6 {
            let mut joined: Vec<String> = fragments.iter().map(|f| f.to_string()).collect();
            for _ in 1..count {
                joined = joined
                    .iter()
                    .flat_map(|t| fragments.iter().map(move |f| format!("{t}/{f}")))
                    .collect();
            }
            if count >= 4 {
                texts.extend(joined);
            }
        }
        let mut plain = 0;
        for text in &texts {
            let general = split_credential(text, AuthLocation::Header).ok().map(view);
            if let Some(fast) = split_plain_credential::<true>(text) {
                assert_eq!(
                    split_plain_credential::<false>(text).is_some(),
                    !text.contains('%')
                );
                plain += 1;
                assert_eq!(Some(view(fast)), general, "{text:?}");
            }
            assert_eq!(
                parse_credential(text, AuthLocation::Query).ok().map(view),
                general,
                "{text:?}"
            );
        }
        assert!(plain > 10, "the fast path took {plain} of them");
    }

    #[test]
    fn presigning_names_in_canonical_order() {
        let names = PresigningParams::CANONICAL_ORDER.map(|i| PresigningParams::NAMES[i]);
        let mut sorted = PresigningParams::NAMES;
        sorted.sort_unstable();
        assert_eq!(names, sorted);
    }

    /// The slots the code names by number (bits, `take`'s arms, `presigned`) are the
    /// parameters they stand for.
    #[test]
    fn presigning_slots_are_their_names() {
        use crate::presign::param;
        let slot = |name| PresigningParams::slot(name).expect("a presigning name");
        let bit = |name| 1u8 << slot(name);
        assert_eq!(PresigningParams::CREDENTIAL, bit(param::CREDENTIAL));
        assert_eq!(PresigningParams::DATE, bit(param::DATE));
        assert_eq!(PresigningParams::TOKEN, bit(param::SECURITY_TOKEN));
        assert_eq!(
            PresigningParams::CANONICAL_ONCE_ACCEPTED,
            bit(param::ALGORITHM) | bit(param::EXPIRES)
        );
        let take =
            |name, token_unsigned| PresigningParams::take(Some(slot(name)), 0, token_unsigned);
        assert_eq!(take(param::SIGNATURE, false), Take::Skip);
        assert_eq!(take(param::SECURITY_TOKEN, true), Take::Skip);
        assert_eq!(take(param::SECURITY_TOKEN, false), Take::CanonicalName);
        assert_eq!(take(param::SIGNED_HEADERS, true), Take::CanonicalName);
        assert_eq!(slot(param::ALGORITHM), 0, "presigned() reads slot 0");
    }

    /// A query's credential is found canonical exactly when re-encoding would leave it as
    /// it is, for any separators and access key ids of characters reserved or not (the
    /// other parts are what `Verifier::parse` accepts).
    #[test]
    fn canonical_credentials_are_recognized() {
        let separators = ["%2F", "%2f", "/"];
        for id in ["AKID", "ak-1.x_y~z", "a+b", "a:b", "A*"] {
            for n in 0..81 {
                let sep = |i: u32| separators[n / 3usize.pow(i) % 3];
                let raw = format!(
                    "{id}{}20150830{}us-east-1{}s3{}aws4_request",
                    sep(0),
                    sep(1),
                    sep(2),
                    sep(3)
                );
                let parts = parse_credential(&raw, AuthLocation::Query).expect("well formed");
                assert_eq!(
                    is_canonical_credential(&raw, &parts),
                    crate::canonical::query::is_canonical(raw.as_bytes()),
                    "{raw}"
                );
            }
        }
    }

    /// Every character below 0x80, and two above, in every place of a credential whose
    /// parts straddle the eight-byte words the fast path reads, with its separators as a
    /// header and as a query carry them.
    #[test]
    fn every_byte_in_every_place_splits_as_the_general_parser_does() {
        let header = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
        let query = header.replace('/', "%2F");
        for base in [header, &query, &header.replace('/', "%2f")] {
            let inserted = (0..0x80u8).map(char::from).chain(['\u{80}', '\u{e9}']);
            for c in inserted {
                for at in 0..=base.len() {
                    let mut text = base.to_owned();
                    text.insert(at, c);
                    let general = split_credential(&text, AuthLocation::Query).ok().map(view);
                    let fast = split_plain_credential::<true>(&text).map(view);
                    let header = split_plain_credential::<false>(&text).map(view);
                    assert_eq!(
                        header,
                        fast.clone().filter(|_| !text.contains('%')),
                        "{text:?}"
                    );
                    if fast.is_some() {
                        assert_eq!(fast, general, "{text:?}");
                    }
                    // A plain character splits the fast way, anything else does not (a
                    // `%` is one separator too many, or breaks an escape).
                    let plain = c.is_ascii_graphic() && c != '%';
                    assert_eq!(fast.is_some(), plain && general.is_some(), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn parses_a_well_formed_header() {
        let claims = parse_authorization(
            b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            &limits(),
            &mut SignedNames::new(),
        )
        .expect("well formed");
        assert_eq!(claims.credential.access_key_id, "AKIDEXAMPLE");
        assert_eq!(claims.credential.service, "iam");
        assert_eq!(claims.signed.names().count(), 3);
    }

    #[test]
    fn the_sdk_form_and_the_general_parser_agree() {
        let sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        let cred = "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request";
        let sdk = format!(
            "AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host;x-amz-date, Signature={sig}"
        );
        let split = Some((cred, "host;x-amz-date", sig.as_bytes()));
        assert_eq!(split_sdk_form(sdk.as_bytes()), split);
        // Other spellings of the same claims take the general parser, to the same result.
        let reordered = format!(
            "AWS4-HMAC-SHA256 Signature={sig},SignedHeaders=host;x-amz-date,\tCredential={cred}"
        );
        assert_eq!(split_sdk_form(reordered.as_bytes()), None);
        for text in [sdk.clone(), reordered] {
            let mut names = SignedNames::new();
            let claims =
                parse_authorization(text.as_bytes(), &limits(), &mut names).expect("valid");
            assert_eq!(claims.credential.access_key_id, "AKIDEXAMPLE");
            assert!(names
                .as_slice()
                .iter()
                .map(|n| n.name)
                .eq([&b"host"[..], b"x-amz-date"]));
            assert_eq!(&claims.signature[..], sig.as_bytes());
        }
        // A value the SDK form splits but cannot parse gets the general parser's error.
        let comma =
            format!("AWS4-HMAC-SHA256 Credential={cred}, SignedHeaders=host,x, Signature={sig}");
        let err = parse_authorization(comma.as_bytes(), &limits(), &mut SignedNames::new())
            .expect_err("malformed");
        assert!(err.to_string().contains("is not key=value"), "{err}");
        // A byte that is not UTF-8 anywhere in the SDK form is refused as not ASCII.
        // In the credential, a fixed piece, the signed list and the signature.
        for at in [30, 80, 95, sdk.len() - 1] {
            let mut bytes = sdk.clone().into_bytes();
            bytes[at] = 0xff;
            let err = parse_authorization(&bytes, &limits(), &mut SignedNames::new())
                .expect_err("not UTF-8");
            assert!(err.to_string().contains("not ASCII"), "{at}: {err}");
        }
    }

    #[test]
    fn rejects_malformed_headers() {
        let good_sig = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        let cases = [
            format!("AWS4-HMAC-SHA1 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature={good_sig}"),
            "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host".to_owned(),
            format!("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature={good_sig}"),
            format!("AWS4-HMAC-SHA256 Credential=A/20150830/r/s, SignedHeaders=host, Signature={good_sig}"),
            format!("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request/x, SignedHeaders=host, Signature={good_sig}"),
            format!("AWS4-HMAC-SHA256 Credential=A//r/s/aws4_request, SignedHeaders=host, Signature={good_sig}"),
            format!("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=x-amz-date;host, Signature={good_sig}"),
            "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature=ABC".to_owned(),
            format!("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature={}", good_sig.to_uppercase()),
            format!("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature={good_sig}, Extra=1"),
            format!("AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, Signature={good_sig}, "),
            "AWS4-HMAC-SHA256".to_owned(),
            String::new(),
        ];
        for case in cases {
            assert!(
                parse_authorization(case.as_bytes(), &limits(), &mut SignedNames::new()).is_err(),
                "{case}"
            );
        }
    }

    #[test]
    fn parses_presigned_parameters() {
        let q = "a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-amz-meta-a&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        let mut names = SignedNames::new();
        let claims = parse_presigned(q, &limits(), &mut names).expect("well formed");
        assert_eq!(claims.credential.region, "us-east-1");
        assert!(claims.signed.names().eq(["host", "x-amz-meta-a"]));
        assert!(names
            .as_slice()
            .iter()
            .map(|n| n.name)
            .eq([&b"host"[..], b"x-amz-meta-a"]));
        let twice = format!("{q}&X-Amz-Date=20150830T123600Z");
        assert!(parse_presigned(&twice, &limits(), &mut SignedNames::new()).is_err());
        let without = q.replace("&X-Amz-Expires=60", "");
        assert!(parse_presigned(&without, &limits(), &mut SignedNames::new()).is_err());
    }

    #[test]
    fn request_times() {
        let (date, _) = parse_request_time(b"20150830T123600Z", false).expect("valid");
        assert_eq!(date.as_str(), "20150830T123600Z");
        let (date, _) = parse_request_time(b"Sun, 30 Aug 2015 12:36:00 GMT", true).expect("valid");
        assert_eq!(date.as_str(), "20150830T123600Z");
        assert!(parse_request_time(b"Sun, 30 Aug 2015 12:36:00 GMT", false).is_err());
        assert!(parse_request_time(b"2015-08-30T12:36:00Z", true).is_err());
        assert!(parse_request_time(b"\xff", true).is_err());
    }
}
