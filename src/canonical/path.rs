//! The canonical URI: the path, normalized and percent-encoded.

use std::borrow::Cow;

use percent_encoding::{percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::{PathRules, Sink};

/// RFC 3986 unreserved characters (`A-Za-z0-9-._~`) are the only ones SigV4 leaves
/// unencoded; everything else is `%XX` with upper-case hex.
pub(crate) const UNRESERVED_ONLY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The path of every service but S3 is encoded once more as a whole: only unreserved
/// characters and the `/` separators stay, so an escape on the wire (`%20`) becomes `%2520`.
const PATH_DOUBLE: &AsciiSet = &UNRESERVED_ONLY.remove(b'/');

/// S3 signs the path as sent: escapes already on the wire are kept, and any other byte
/// outside the unreserved set (a raw space, `$`, UTF-8) is encoded once.
const PATH_SINGLE: &AsciiSet = &PATH_DOUBLE.remove(b'%');

/// [`UNRESERVED_ONLY`]'s complement as a table: whether each byte is left unencoded.
pub(crate) const UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~');
        b += 1;
    }
    table
};

/// For each byte, whether [`PATH_DOUBLE`] and [`PATH_SINGLE`] encode it.
const ENCODED: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = if UNRESERVED[b] || b == b'/' as usize {
            0
        } else if b == b'%' as usize {
            ENCODED_DOUBLE
        } else {
            ENCODED_DOUBLE | ENCODED_SINGLE
        };
        b += 1;
    }
    table
};
const ENCODED_DOUBLE: u8 = 1;
const ENCODED_SINGLE: u8 = 2;

pub(crate) fn write<S: Sink>(sink: &mut S, path: &str, rules: PathRules) {
    // The root, which many APIs are called at, is canonical under every rule.
    if path == "/" {
        sink.put_byte(b'/');
        return;
    }
    let path = if rules.normalize {
        normalize(path)
    } else {
        Cow::Borrowed(path)
    };
    if path.is_empty() {
        sink.put_byte(b'/');
        return;
    }
    // Most paths need no escape: a table walk settles that for the whole path, which then
    // goes in as it is.
    let encodes = if rules.double_encode {
        ENCODED_DOUBLE
    } else {
        ENCODED_SINGLE
    };
    if path.bytes().fold(0, |acc, b| acc | ENCODED[usize::from(b)]) & encodes == 0 {
        sink.put_str(&path);
        return;
    }
    let set = if rules.double_encode {
        PATH_DOUBLE
    } else {
        PATH_SINGLE
    };
    for chunk in percent_encode(path.as_bytes(), set) {
        sink.put_str(chunk);
    }
}

/// Removes `.` and `..` segments and empty segments (repeated slashes), keeping a leading
/// and a trailing slash. Allocates only when there is something to remove.
pub(crate) fn normalize(path: &str) -> Cow<'_, str> {
    if !needs_normalizing(path) {
        return Cow::Borrowed(path);
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let last = path.rsplit('/').next().unwrap_or("");
    let trailing_slash = matches!(last, "" | "." | "..") && !segments.is_empty();
    let mut out = String::with_capacity(path.len());
    for segment in &segments {
        out.push('/');
        out.push_str(segment);
    }
    if trailing_slash || segments.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Whether the path has an empty, `.` or `..` segment, or does not start with `/`: one
/// pass over its slashes.
fn needs_normalizing(path: &str) -> bool {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return true;
    }
    // Paths are short: a plain loop beats setting up a vectorized search per slash.
    let mut segments = bytes[1..].split(|&b| b == b'/').peekable();
    while let Some(segment) = segments.next() {
        let inner = segments.peek().is_some();
        if matches!(segment, b"." | b"..") || (segment.is_empty() && inner) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(path: &str, normalize: bool, double_encode: bool) -> String {
        let mut out = Vec::new();
        write(
            &mut out,
            path,
            PathRules {
                normalize,
                double_encode,
            },
        );
        String::from_utf8(out).expect("ASCII")
    }

    fn encodes(set: &'static AsciiSet, b: u8) -> bool {
        percent_encode(&[b], set).to_string() != char::from(b).to_string()
    }

    #[test]
    fn the_table_agrees_with_the_sets() {
        for b in 0..=255u8 {
            let flags = ENCODED[usize::from(b)];
            assert_eq!(
                flags & ENCODED_DOUBLE != 0,
                encodes(PATH_DOUBLE, b),
                "{b:#x}"
            );
            assert_eq!(
                flags & ENCODED_SINGLE != 0,
                encodes(PATH_SINGLE, b),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn unreserved_set_is_exactly_rfc3986() {
        for b in 0u8..=127 {
            let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
            assert_eq!(!encodes(UNRESERVED_ONLY, b), unreserved, "{b:#x}");
            assert_eq!(UNRESERVED[usize::from(b)], unreserved, "{b:#x}");
            assert_eq!(!encodes(PATH_DOUBLE, b), unreserved || b == b'/', "{b:#x}");
            assert_eq!(
                !encodes(PATH_SINGLE, b),
                unreserved || b == b'/' || b == b'%',
                "{b:#x}"
            );
        }
        assert!(encodes(UNRESERVED_ONLY, 0x80));
    }

    #[test]
    fn normalizes_like_the_suite() {
        for (given, want) in [
            ("/", "/"),
            ("", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c/./d/", "/a/c/d/"),
            ("/a/.", "/a/"),
            ("/../../a", "/a"),
            ("a/b", "/a/b"),
            ("/a/..b/.c", "/a/..b/.c"),
            ("/a/b/", "/a/b/"),
            ("/a/b/..", "/a/"),
            ("/a//", "/a/"),
            ("/.a/b.", "/.a/b."),
        ] {
            assert_eq!(normalize(given), want, "{given:?}");
        }
        // The one-pass test agrees with what it replaced, on every path of up to six
        // characters from `/`, `.` and `a`.
        let mut paths = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| ["/", ".", "a"].map(|c| format!("{p}{c}")))
                .collect();
            paths.extend(longer);
        }
        paths.sort();
        paths.dedup();
        for path in &paths {
            let old = !path.starts_with('/')
                || path.contains("//")
                || path.contains("/./")
                || path.contains("/../")
                || path.ends_with("/.")
                || path.ends_with("/..");
            assert_eq!(needs_normalizing(path), old, "{path:?}");
        }
    }

    #[test]
    fn double_encoding_encodes_escapes_again() {
        assert_eq!(
            canonical("/a b/%20/ሴ", false, true),
            "/a%20b/%2520/%E1%88%B4"
        );
        assert_eq!(canonical("/a b/%20/$", false, false), "/a%20b/%20/%24");
        assert_eq!(canonical("/-._~AZaz09", true, true), "/-._~AZaz09");
    }
}
