//! The canonical query string: parameters decoded, re-encoded and sorted.
//!
//! Names and values are re-encoded lazily, byte by byte, while they are compared and
//! written, so canonicalizing a query allocates nothing per parameter.

use std::cmp::Ordering;

use percent_encoding::{percent_decode_str, percent_encode, PercentDecode};

use super::path::{UNRESERVED, UNRESERVED_ONLY};
use super::Sink;
use crate::inline_vec::InlineVec;
use crate::{scan, swar};

/// A query parameter's name or value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Component<'a> {
    text: &'a str,
    /// `text` is already canonical: only unreserved characters and `%XX` escapes of the
    /// others, with upper-case hex.
    canonical: bool,
}

impl<'a> Component<'a> {
    /// A name or value as it came on the wire: percent-decoded, then encoded with only
    /// unreserved characters left, so that `%E1%88%B4` and a raw `ሴ` canonicalize alike.
    /// A `+` is a literal plus, not a space.
    #[inline(always)]
    pub(crate) fn raw(text: &'a str) -> Self {
        Self {
            text,
            canonical: is_canonical(text.as_bytes()),
        }
    }

    /// The text as it came, canonical or not.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// A value this crate encoded itself (`X-Amz-Credential`, ...), used as it is.
    pub(crate) const fn encoded(text: &'a str) -> Self {
        Self {
            text,
            canonical: true,
        }
    }

    fn bytes(&self) -> CanonicalBytes<'a> {
        if self.canonical {
            CanonicalBytes::Plain(self.text.bytes())
        } else {
            CanonicalBytes::Encoding {
                decoded: percent_decode_str(self.text),
                pending: [0; 3],
                at: 0,
                len: 0,
            }
        }
    }

    /// Whether the canonical form equals `name`.
    pub(crate) fn is(&self, name: &str) -> bool {
        if self.canonical {
            return self.text == name;
        }
        self.bytes().eq(name.bytes())
    }

    fn cmp(&self, other: &Self) -> Ordering {
        if self.canonical && other.canonical {
            self.text.cmp(other.text)
        } else {
            self.bytes().cmp(other.bytes())
        }
    }

    /// Inlined: nearly every component is canonical, and written as it is.
    #[inline]
    fn write<S: Sink>(&self, sink: &mut S) {
        if self.canonical {
            sink.put_str(self.text);
        } else {
            self.write_encoded(sink);
        }
    }

    fn write_encoded<S: Sink>(&self, sink: &mut S) {
        let mut buf = [0u8; 96];
        let mut len = 0;
        for b in self.bytes() {
            if len == buf.len() {
                sink.put(&buf);
                len = 0;
            }
            buf[len] = b;
            len += 1;
        }
        sink.put(&buf[..len]);
    }
}

/// The bytes of a component in canonical form, produced on the fly.
enum CanonicalBytes<'a> {
    Plain(std::str::Bytes<'a>),
    Encoding {
        decoded: PercentDecode<'a>,
        pending: [u8; 3],
        at: u8,
        len: u8,
    },
}

impl Iterator for CanonicalBytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        match self {
            Self::Plain(bytes) => bytes.next(),
            Self::Encoding {
                decoded,
                pending,
                at,
                len,
            } => {
                if at < len {
                    let b = pending[usize::from(*at)];
                    *at += 1;
                    return Some(b);
                }
                let b = decoded.next()?;
                if is_unreserved(b) {
                    return Some(b);
                }
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                *pending = [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]];
                *at = 1;
                *len = 3;
                Some(b'%')
            }
        }
    }
}

/// One query parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueryParam<'a> {
    pub(crate) name: Component<'a>,
    pub(crate) value: Component<'a>,
    /// The canonical name's first eight bytes as a big-endian integer, padded with zeros:
    /// keys compare as the names' first eight bytes do, which settles most comparisons of
    /// a sort.
    key: u64,
}

impl<'a> QueryParam<'a> {
    #[inline(always)]
    pub(crate) fn new(name: Component<'a>, value: Component<'a>) -> Self {
        let key = if name.canonical {
            swar::be_prefix(name.text.as_bytes())
        } else {
            // The canonical bytes, shifted in as `be_prefix` does with a text's.
            let (word, n) = name.bytes().take(8).fold((0u64, 0u32), |(word, n), b| {
                (word << 8 | u64::from(b), n + 1)
            });
            word.checked_shl(8 * (8 - n)).unwrap_or(0)
        };
        Self { name, value, key }
    }

    /// Takes the value as it came on the wire after all, for a parameter pushed as
    /// [`Take::Canonical`] before its value was known to be canonical.
    pub(crate) fn reread_value(&mut self) {
        self.value = Component::raw(self.value.text);
    }

    /// Writes `name=value`.
    fn write<S: Sink>(&self, sink: &mut S) {
        self.name.write(sink);
        sink.put_byte(b'=');
        self.value.write(sink);
    }

    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key).then_with(|| {
            self.name
                .cmp(&other.name)
                .then_with(|| self.value.cmp(&other.value))
        })
    }
}

/// How many parameters are collected without a heap allocation.
const INLINE: usize = 16;

/// A request's query parameters, on the stack while they are few.
pub(crate) type Params<'a> = InlineVec<QueryParam<'a>, INLINE>;

/// The parameters of a raw query string (without `?`) in the order given, each taken as
/// `take` says for its raw name. Empty pieces (`a=1&&b=2`) are skipped; a piece without `=`
/// has an empty value.
/// They go into `out`, the caller's: a vector of inline parameters is too large to return
/// by value without a copy.
pub(crate) fn parse<'a>(raw: Option<&'a str>, take: impl Fn(&str) -> Take, out: &mut Params<'a>) {
    out.clear();
    let Some(raw) = raw.filter(|raw| !raw.is_empty()) else {
        return;
    };
    for piece in scan::split(raw, b'&') {
        if piece.is_empty() {
            continue;
        }
        let (name, value) = scan::split_once_near(piece, b'=').unwrap_or((piece, ""));
        push(out, name, value, take(name));
    }
}

/// Adds one parameter of a raw query string to `out` as `take` says. Inlined: it is a
/// loop's body, in both loops that call it.
#[inline(always)]
pub(crate) fn push<'a>(out: &mut Params<'a>, name: &'a str, value: &'a str, take: Take) {
    let (name, value) = match take {
        Take::Skip => return,
        Take::Raw => (Component::raw(name), Component::raw(value)),
        Take::CanonicalName => (Component::encoded(name), Component::raw(value)),
        Take::Canonical => (Component::encoded(name), Component::encoded(value)),
    };
    out.push(QueryParam::new(name, value));
}

/// What [`parse`] does with a parameter, picked by its raw name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// Leave it out.
    Skip,
    /// Take it as it came on the wire.
    Raw,
    /// Take it, its name known canonical already (the caller has checked it).
    CanonicalName,
    /// Take it, its name and value known canonical already.
    Canonical,
}

/// How many parameters a raw query string holds at most.
pub(crate) fn count_upper_bound(raw: &str) -> usize {
    scan::positions(raw.as_bytes(), b'&').count() + 1
}

/// Appends `raw` to `out` encoded as a canonical query component.
pub(crate) fn encode_into(out: &mut String, raw: &str) {
    // Access key ids and most values are unreserved characters alone, copied as they are.
    if is_unreserved_text(raw.as_bytes()) {
        out.push_str(raw);
    } else {
        out.extend(percent_encode(raw.as_bytes(), UNRESERVED_ONLY));
    }
}

/// Whether re-encoding would leave `text` as it is: every byte unreserved, or part of an
/// escape `%XX` in upper-case hex of a byte that is not unreserved (`%41` would decode to
/// `A`, `%2f` is lower-case: neither is canonical). Most queries on the wire pass, and are
/// then compared and hashed as they are.
///
/// Short texts, the most, are classed here, inlined; longer ones and escapes elsewhere.
#[inline]
pub(crate) fn is_canonical(text: &[u8]) -> bool {
    if text.len() >= 32 {
        return is_canonical_long(text);
    }
    match classes(text) {
        0 => true,
        PERCENT => escapes_are_canonical(text),
        _ => false,
    }
}

/// [`is_canonical`] of 32 bytes or more: compared, in whole blocks of a fixed size, which
/// the compiler unrolls into vector instructions. More than a few bytes past the last
/// whole block are tested as the last 32, which overlap the blocks (a byte tested twice
/// counts once); a few, one at a time.
fn is_canonical_long(text: &[u8]) -> bool {
    let mut outside = 0u8;
    let mut percent = 0u8;
    let mut test = |bytes: &[u8]| {
        for &b in bytes {
            let is_percent = u8::from(b == b'%');
            outside |= 1 ^ (u8::from(is_unreserved(b)) | is_percent);
            percent |= is_percent;
        }
    };
    let mut blocks = text.chunks_exact(32);
    for block in &mut blocks {
        test(block);
    }
    match text.last_chunk::<32>() {
        Some(last) if blocks.remainder().len() > 8 => test(last),
        _ => test(blocks.remainder()),
    }
    outside == 0 && (percent == 0 || escapes_are_canonical(text))
}

/// Whether every `%` in `text` starts a canonical escape. A `%` inside an escape is not
/// hex, so every escape is met at its `%`. The `%`s are found a word at a time: a value
/// holds a few, and a `memchr` call for each costs more than the words.
fn escapes_are_canonical(text: &[u8]) -> bool {
    let mut canonical = true;
    let mut at = 0;
    swar::for_each_word(text, b'a', |word| {
        let mut percents = swar::equal(word & !swar::HIGH, b'%') & !word;
        while percents != 0 {
            canonical &= is_canonical_escape(text, at + percents.trailing_zeros() as usize / 8);
            percents &= percents - 1;
        }
        at += 8;
    });
    canonical
}

/// The [`CLASS`]es of `text`'s bytes joined, in one branch-free pass: 0 when every byte is
/// unreserved.
#[inline(always)]
fn classes(text: &[u8]) -> u8 {
    text.iter()
        .fold(0, |class, &b| class | CLASS[usize::from(b)])
}

/// Whether every byte of a short text is unreserved, so that encoding leaves it as it is.
#[inline]
pub(crate) fn is_unreserved_text(text: &[u8]) -> bool {
    classes(text) == 0
}

/// [`CLASS`] of a byte neither unreserved nor `%`.
const OUTSIDE: u8 = 1;
/// [`CLASS`] of `%`.
const PERCENT: u8 = 2;

/// Each byte's class for [`is_canonical`]: 0 for an unreserved byte, else [`PERCENT`] or
/// [`OUTSIDE`].
const CLASS: [u8; 256] = {
    let mut table = [OUTSIDE; 256];
    let mut b = 0;
    while b < 256 {
        if UNRESERVED[b] {
            table[b] = 0;
        }
        b += 1;
    }
    table[b'%' as usize] = PERCENT;
    table
};

/// Whether `text` holds a canonical escape at `at`: `%` and two upper-case hex digits of a
/// byte that is not unreserved.
fn is_canonical_escape(text: &[u8], at: usize) -> bool {
    match text.get(at..at + 3) {
        Some(&[b'%', h, l]) => {
            let (h, l) = (UPPER_HEX[usize::from(h)], UPPER_HEX[usize::from(l)]);
            (h | l) < 16 && !UNRESERVED[usize::from(h << 4 | l)]
        }
        _ => false,
    }
}

/// Each byte's value as an upper-case hex digit, or 0xff.
const UPPER_HEX: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        table[b"0123456789ABCDEF"[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Whether SigV4 leaves `b` unencoded: letters, digits and `-._~`. Comparisons only, no
/// branch, so that a loop over bytes vectorizes.
pub(crate) fn is_unreserved(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    letter | digit | (b == b'-') | (b == b'.') | (b == b'_') | (b == b'~')
}

/// Sorts by encoded name, then encoded value, comparing bytes as SigV4 requires.
pub(crate) fn sort(params: &mut [QueryParam<'_>]) {
    params.sort_unstable_by(|a, b| a.cmp(b));
}

/// Writes the parameters of two sorted runs as one sorted sequence, merged as they are
/// written: a presigned query's own parameters and the presigning ones are each in order
/// already, and moving one run into the other costs more than the merge.
pub(crate) fn write<S: Sink>(sink: &mut S, [a, b]: [&[QueryParam<'_>]; 2]) {
    if b.is_empty() {
        for (i, param) in a.iter().enumerate() {
            if i > 0 {
                sink.put_byte(b'&');
            }
            param.write(sink);
        }
    } else {
        write_merged(sink, a, b);
    }
}

#[inline(never)]
fn write_merged<S: Sink>(sink: &mut S, mut a: &[QueryParam<'_>], mut b: &[QueryParam<'_>]) {
    let mut first = true;
    loop {
        let param = match (a.split_first(), b.split_first()) {
            (Some((x, rest)), Some((y, _))) if x.cmp(y) != Ordering::Greater => {
                a = rest;
                x
            }
            (_, Some((y, rest))) => {
                b = rest;
                y
            }
            (Some((x, rest)), None) => {
                a = rest;
                x
            }
            (None, None) => return,
        };
        if !first {
            sink.put_byte(b'&');
        }
        first = false;
        param.write(sink);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(raw: &str) -> String {
        let mut params = Params::new();
        parse(Some(raw), |_| Take::Raw, &mut params);
        sort(params.as_mut_slice());
        let mut out = Vec::new();
        write(&mut out, [params.as_slice(), &[]]);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn unreserved_is_letters_digits_and_four_marks() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
            assert_eq!(is_unreserved(b), expected, "{b}");
        }
        assert!(is_canonical(b"a%2Fb%3D"));
        assert!(!is_canonical(b"a%2fb"));
        assert!(!is_canonical(b"a%41"));
        assert!(!is_canonical(b"a%2"));
        assert!(!is_canonical(b"a/b"));
    }

    #[test]
    fn encodes_sorts_and_keeps_empty_values() {
        assert_eq!(
            canonical("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical("ሴ=bar"), "%E1%88%B4=bar");
        assert_eq!(canonical("b&a=&&c=1"), "a=&b=&c=1");
        assert_eq!(canonical("a=2&a=1&a=10"), "a=1&a=10&a=2");
        assert_eq!(canonical("k=a+b c%2fd"), "k=a%2Bb%20c%2Fd");
        assert_eq!(canonical("bad=%zz%4"), "bad=%25zz%254");
        assert_eq!(canonical("%41=1&B=2"), "A=1&B=2");
    }

    #[test]
    fn canonical_text_is_recognized() {
        for (text, canonical) in [
            ("abc-._~", true),
            ("a%2Fb%20c", true),
            ("%E1%88%B4", true),
            ("a%2fb", false),
            ("%41", false),
            ("a b", false),
            ("a+b", false),
            ("%2", false),
            ("%", false),
            ("%ZZ", false),
        ] {
            assert_eq!(is_canonical(text.as_bytes()), canonical, "{text}");
            let mut out = Vec::new();
            Component::raw(text).write(&mut out);
            let slow = Component {
                text,
                canonical: false,
            };
            let mut expect = Vec::new();
            slow.write(&mut expect);
            assert_eq!(out, expect, "{text}");
        }
    }

    #[test]
    fn canonical_test_agrees_with_reencoding_at_every_length() {
        // Texts of 1 to 80 characters (both sides of the short walk's limit) built from
        // fragments: plain, escapes canonical or not, bytes to encode, broken escapes.
        let fragments = [
            "a",
            "Z9",
            "-._~",
            "%2F",
            "%2f",
            "%41",
            "%E1%88%B4",
            " ",
            "+",
            "%",
            "%Z",
            "\u{e9}",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for round in 0..20_000 {
            let mut text = String::new();
            let len = 1 + round % 80;
            while text.len() < len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(fragments[(seed % fragments.len() as u64) as usize]);
            }
            let mut reencoded = Vec::new();
            Component {
                text: &text,
                canonical: false,
            }
            .write(&mut reencoded);
            let expected = reencoded == text.as_bytes();
            assert_eq!(is_canonical(text.as_bytes()), expected, "{text:?}");
        }
    }

    #[test]
    fn sorted_params_are_in_canonical_byte_order() {
        // Names that share their first eight bytes or not, escaped or not.
        let names = [
            "a",
            "ab",
            "abcdefgh",
            "abcdefghi",
            "abcdefgh%41",
            "abcdefgg",
            "%61",
            "b",
            "A",
        ];
        let values = ["", "1", "%31", "2"];
        let mut raw = Vec::new();
        for (i, name) in names.iter().enumerate() {
            for value in &values[i % 2..] {
                raw.push(format!("{name}={value}"));
            }
        }
        raw.reverse();
        let joined = raw.join("&");
        let mut params = Params::new();
        parse(Some(&joined), |_| Take::Raw, &mut params);
        sort(params.as_mut_slice());
        let canonical = |c: &Component<'_>| c.bytes().collect::<Vec<u8>>();
        for pair in params.windows(2) {
            let a = (canonical(&pair[0].name), canonical(&pair[0].value));
            let b = (canonical(&pair[1].name), canonical(&pair[1].value));
            assert!(a <= b, "{a:?} before {b:?}");
        }
    }

    #[test]
    fn encoding_copies_unreserved_text_and_escapes_the_rest() {
        for (raw, encoded) in [
            ("AKIDEXAMPLE", "AKIDEXAMPLE"),
            ("a-b.c_d~e", "a-b.c_d~e"),
            ("", ""),
            ("a/b c", "a%2Fb%20c"),
            ("%", "%25"),
            ("\u{e9}", "%C3%A9"),
        ] {
            let mut out = String::from("=");
            encode_into(&mut out, raw);
            assert_eq!(out, format!("={encoded}"), "{raw:?}");
        }
    }

    #[test]
    fn two_sorted_runs_are_written_as_their_union_sorted() {
        let names = [
            "a",
            "X-Amz-Date",
            "abcdefgh%41",
            "abcdefghA",
            "%61",
            "b",
            "",
            "~",
        ];
        let values = ["", "1", "%31", "2"];
        let mut all = Vec::new();
        for name in names {
            for value in values {
                all.push((name, value));
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300 {
            let (mut a, mut b) = (Params::new(), Params::new());
            let mut union = Params::new();
            for &(name, value) in &all {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let param = QueryParam::new(Component::raw(name), Component::raw(value));
                match seed % 3 {
                    0 => a.push(param),
                    1 => b.push(param),
                    _ => continue,
                }
                union.push(param);
            }
            sort(a.as_mut_slice());
            sort(b.as_mut_slice());
            sort(union.as_mut_slice());
            let (mut merged, mut expected) = (Vec::new(), Vec::new());
            write(&mut merged, [a.as_slice(), b.as_slice()]);
            write(&mut expected, [union.as_slice(), &[]]);
            assert_eq!(merged, expected);
            let mut swapped = Vec::new();
            write(&mut swapped, [b.as_slice(), a.as_slice()]);
            assert_eq!(swapped, expected);
        }
    }

    #[test]
    fn keys_are_the_canonical_names_first_eight_bytes() {
        for (raw, canonical) in [
            ("%61", "a"),
            ("%61%62c", "abc"),
            ("abcdefg%68ij", "abcdefghij"),
            ("%7E%2f", "~%2F"),
            ("", ""),
        ] {
            let key = |name| QueryParam::new(Component::raw(name), Component::raw("")).key;
            assert_eq!(key(raw), key(canonical), "{raw:?}");
            assert_eq!(
                key(canonical),
                swar::be_prefix(canonical.as_bytes()),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn sorts_by_encoded_bytes_not_raw_bytes() {
        // Raw '~' (0x7e) sorts after 'a'; encoded '%' (0x25) of a space sorts before it.
        assert_eq!(canonical("a=~&a= "), "a=%20&a=~");
        assert_eq!(canonical("x%2Fy=1&x-y=2"), "x%2Fy=1&x-y=2");
    }

    #[test]
    fn long_values_are_written_whole() {
        let value = "/".repeat(200);
        let expect = format!("k={}", "%2F".repeat(200));
        assert_eq!(canonical(&format!("k={value}")), expect);
    }
}
