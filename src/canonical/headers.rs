//! Canonical headers and the signed header list.

use std::cmp::Ordering;

use super::Sink;

/// A header as given: the name in any case, the value as raw bytes.
pub(crate) type Header<'a> = (&'a str, &'a [u8]);

/// Whether `name` is an HTTP token (RFC 9110 `tchar`s), the only names that can be signed.
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether a value can be hashed as a header value: no control characters but tab, and
/// line breaks only as obsolete line folding (followed by a space or tab).
pub(crate) fn is_valid_value(value: &[u8]) -> bool {
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\t' => {}
            b'\r' | b'\n' => {
                let mut j = i + 1;
                if value[i] == b'\r' && value.get(j) == Some(&b'\n') {
                    j += 1;
                }
                if !matches!(value.get(j), Some(b' ' | b'\t')) {
                    return false;
                }
                i = j;
                continue;
            }
            0..=0x1f | 0x7f => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

pub(crate) fn cmp_names(a: &str, b: &str) -> Ordering {
    let a = a.bytes().map(|b| b.to_ascii_lowercase());
    let b = b.bytes().map(|b| b.to_ascii_lowercase());
    a.cmp(b)
}

/// Sorts by lower-cased name; headers of the same name keep their order, since their values
/// are joined in the order they were sent.
pub(crate) fn sort(headers: &mut [Header<'_>]) {
    headers.sort_by(|a, b| cmp_names(a.0, b.0));
}

/// Each run of headers with the same name, in sorted input.
fn groups<'h, 'a>(sorted: &'h [Header<'a>]) -> impl Iterator<Item = &'h [Header<'a>]> {
    sorted.chunk_by(|a, b| a.0.eq_ignore_ascii_case(b.0))
}

/// Writes `name:value1,value2\n` for each name: values trimmed, inner runs of whitespace
/// (folded lines included) collapsed to one space.
pub(crate) fn write_canonical<S: Sink>(sink: &mut S, sorted: &[Header<'_>]) {
    for group in groups(sorted) {
        write_lowercase(sink, group[0].0);
        sink.put(b":");
        for (i, (_, value)) in group.iter().enumerate() {
            if i > 0 {
                sink.put(b",");
            }
            write_value(sink, value);
        }
        sink.put(b"\n");
    }
}

/// Writes the signed header list: lower-cased names joined by `;`.
pub(crate) fn write_signed_names<S: Sink>(sink: &mut S, sorted: &[Header<'_>]) {
    for (i, group) in groups(sorted).enumerate() {
        if i > 0 {
            sink.put(b";");
        }
        write_lowercase(sink, group[0].0);
    }
}

/// Appends the signed header list to a string, with `separator` between names.
pub(crate) fn push_signed_names(out: &mut String, sorted: &[Header<'_>], separator: &str) {
    for (i, group) in groups(sorted).enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        let name = group[0].0;
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            out.push_str(name);
        }
    }
}

fn write_lowercase<S: Sink>(sink: &mut S, name: &str) {
    if !name.bytes().any(|b| b.is_ascii_uppercase()) {
        sink.put_str(name);
        return;
    }
    let mut buf = [0u8; 64];
    for chunk in name.as_bytes().chunks(buf.len()) {
        let out = &mut buf[..chunk.len()];
        out.copy_from_slice(chunk);
        out.make_ascii_lowercase();
        sink.put(out);
    }
}

fn is_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn write_value<S: Sink>(sink: &mut S, value: &[u8]) {
    let mut words = value.split(is_space).filter(|word| !word.is_empty());
    if let Some(first) = words.next() {
        sink.put(first);
        for word in words {
            sink.put(b" ");
            sink.put(word);
        }
    }
}

/// Where the canonical headers come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HeaderSource<'a> {
    /// The signer's: every header to sign, sorted by [`sort`].
    Sorted(&'a [Header<'a>]),
    /// The verifier's: the names the client signed, in the order it listed them, with
    /// values taken from all of the request's headers.
    Listed {
        names: SignedNames<'a>,
        all: &'a [Header<'a>],
    },
}

impl HeaderSource<'_> {
    pub(crate) fn write_canonical<S: Sink>(&self, sink: &mut S) {
        match *self {
            Self::Sorted(sorted) => write_canonical(sink, sorted),
            Self::Listed { names, all } => {
                for name in names.iter() {
                    sink.put_str(name);
                    sink.put(b":");
                    let values = all.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name));
                    for (i, (_, value)) in values.enumerate() {
                        if i > 0 {
                            sink.put(b",");
                        }
                        write_value(sink, value);
                    }
                    sink.put(b"\n");
                }
            }
        }
    }

    pub(crate) fn write_signed_names<S: Sink>(&self, sink: &mut S) {
        match *self {
            Self::Sorted(sorted) => write_signed_names(sink, sorted),
            Self::Listed { names, .. } => {
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        sink.put(b";");
                    }
                    sink.put_str(name);
                }
            }
        }
    }
}

/// A signed header list as a client sent it: names separated by `;`, or by `%3B` when it
/// arrives percent-encoded in a presigned URL's `X-Amz-SignedHeaders`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedNames<'a> {
    raw: &'a str,
}

impl<'a> SignedNames<'a> {
    /// Takes a list whose names are lower-case tokens without `%`, strictly increasing
    /// (sorted, no repeats), as SigV4 requires; `None` otherwise.
    pub(crate) fn parse(raw: &'a str) -> Option<Self> {
        let names = Self { raw };
        let mut previous: Option<&str> = None;
        for name in names.iter() {
            let valid = is_token(name)
                && !name.contains('%')
                && !name.bytes().any(|b| b.is_ascii_uppercase())
                && previous.is_none_or(|p| p < name);
            if !valid {
                return None;
            }
            previous = Some(name);
        }
        previous.map(|_| names)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        let raw = self.raw;
        let mut rest = Some(raw);
        std::iter::from_fn(move || {
            let text = rest?;
            let semicolon = text.find(';');
            let encoded = find_ignore_case(text, "%3b");
            let (name, next) = match (semicolon, encoded) {
                (Some(a), Some(b)) if b < a => (&text[..b], Some(&text[b + 3..])),
                (Some(a), _) => (&text[..a], Some(&text[a + 1..])),
                (None, Some(b)) => (&text[..b], Some(&text[b + 3..])),
                (None, None) => (text, None),
            };
            rest = next;
            Some(name)
        })
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_headers_trim_fold_and_join() {
        let mut headers: Vec<Header<'_>> = vec![
            ("My-Header1", b"value4"),
            ("host", b"example.com"),
            ("my-header1", b"  a   b\tc  "),
            ("My-Header2", b"value1\n  value2\n     value3"),
            ("my-header1", b""),
        ];
        sort(&mut headers);
        let mut out = Vec::new();
        write_canonical(&mut out, &headers);
        write_signed_names(&mut out, &headers);
        assert_eq!(
            String::from_utf8(out).expect("ASCII"),
            "host:example.com\nmy-header1:value4,a b c,\nmy-header2:value1 value2 value3\n\
             host;my-header1;my-header2"
        );
    }

    #[test]
    fn signed_names_parse_strictly() {
        let names = SignedNames::parse("host%3Bx-amz-date;x-amz-meta-a%3bz").expect("valid");
        assert_eq!(
            names.iter().collect::<Vec<_>>(),
            ["host", "x-amz-date", "x-amz-meta-a", "z"]
        );
        assert!(names.contains("x-amz-date") && !names.contains("x-amz"));
        for bad in [
            "",
            "host;",
            ";host",
            "x;host",
            "Host",
            "host;host",
            "a b",
            "a%41",
        ] {
            assert!(SignedNames::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn tokens_and_values() {
        assert!(is_token("x-amz-date"));
        assert!(!is_token("bad name"));
        assert!(!is_token("a;b"));
        assert!(!is_token(""));
        assert!(is_valid_value(b"a\r\n b\n\tc"));
        assert!(!is_valid_value(b"a\r\nb"));
        assert!(!is_valid_value(b"a\n"));
        assert!(!is_valid_value(b"a\x00b"));
    }
}
