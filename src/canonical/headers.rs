//! Canonical headers and the signed header list.

use std::cmp::Ordering;

use super::Sink;
use crate::inline_vec::InlineVec;
use crate::{scan, swar};

/// A header as given: the name in any case, the value as raw bytes.
pub(crate) type Header<'a> = (&'a str, &'a [u8]);

/// A header the signer signs: its name and value, and whether the value goes into the
/// canonical request as it is (nothing to trim or fold), found when the value was checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortedHeader<'a> {
    pub(crate) name: &'a str,
    pub(crate) value: &'a [u8],
    pub(crate) plain: bool,
    /// The name's [`name_key`].
    key: u64,
    /// Set by [`sort`]: the name is the previous header's, so the value joins its line.
    repeat: bool,
}

impl<'a> SortedHeader<'a> {
    /// Checks the value: `None` when it cannot be signed. `key` is the name's
    /// [`name_key`].
    pub(crate) fn new(name: &'a str, key: u64, value: &'a [u8]) -> Option<Self> {
        let plain = check_value(value)?;
        Some(Self {
            name,
            value,
            plain,
            key,
            repeat: false,
        })
    }

    /// A header whose value was classified already.
    pub(crate) fn with_plain(name: &'a str, value: &'a [u8], plain: bool) -> Self {
        Self {
            name,
            value,
            plain,
            key: name_key(name),
            repeat: false,
        }
    }

    /// The name's [`name_key`].
    pub(crate) fn key(&self) -> u64 {
        self.key
    }
}

/// Whether `name` is an HTTP token (RFC 9110 `tchar`s), the only names that can be signed.
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| TCHAR[usize::from(b)])
}

/// RFC 9110 `tchar`: letters, digits and ``!#$%&'*+-.^_`|~``.
const TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        b += 1;
    }
    table
};

/// Whether a value goes into the canonical request as it is: valid, and with nothing to
/// trim or fold.
pub(crate) fn is_plain_value(value: &[u8]) -> bool {
    check_value(value) == Some(true)
}

/// Checks a header value in one pass. `None` when it cannot be hashed as a header value:
/// it holds control characters other than tab, or line breaks other than obsolete line
/// folding (followed by a space or tab). Otherwise whether it is plain, needing no
/// trimming or folding: no tab or line break, no space at either end, no two spaces in a
/// row. Nearly every value is plain visible text, which the branch-free scan settles at
/// once.
fn check_value(value: &[u8]) -> Option<bool> {
    let (controls, spaces) = scan_value(value);
    if !controls {
        return Some(
            !spaces
                || (value.first() != Some(&b' ')
                    && value.last() != Some(&b' ')
                    && !value.windows(2).any(|w| w == b"  ")),
        );
    }
    has_valid_line_breaks(value).then_some(false)
}

/// Whether a value's control bytes are all tabs or obsolete line folding.
fn has_valid_line_breaks(value: &[u8]) -> bool {
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

/// Whether a header value holds control bytes (below space, and DEL) and whether it holds
/// spaces, in one branch-free pass over bytes: byte-wide accumulators let the compiler
/// test sixteen bytes per instruction.
fn scan_value(value: &[u8]) -> (bool, bool) {
    if value.len() < 32 {
        return scan_short_value(value);
    }
    let mut controls = 0u8;
    let mut spaces = 0u8;
    for &b in value {
        controls |= u8::from(b < b' ') | u8::from(b == 0x7f);
        spaces |= u8::from(b == b' ');
    }
    (controls != 0, spaces != 0)
}

/// [`scan_value`] for the short values most headers have, eight bytes to a word: the
/// vector loop handles the bytes past its last full vector one at a time, which is most of
/// a short value. Read instead as whole words that may overlap ([`swar::cover_short`]).
fn scan_short_value(value: &[u8]) -> (bool, bool) {
    const HIGH: u64 = swar::HIGH;
    let mut controls = 0u64;
    let mut spaces = 0u64;
    let test = |word: u64| {
        // Bytes of 0x80 and more are neither; the others are tested by range.
        let low = word & !HIGH;
        let at_least = |n: u8| swar::at_least(low, n);
        let control = !at_least(b' ') | at_least(0x7f);
        let space = at_least(b' ') & !at_least(b' ' + 1);
        controls |= control & !word & HIGH;
        spaces |= space & !word & HIGH;
    };
    // Padded, if at all, with a letter, which is neither.
    swar::cover_short(value, b'a', test);
    (controls != 0, spaces != 0)
}

/// A header name, checked in one pass.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NameScan {
    /// It is a token, as a header name must be.
    pub(crate) token: bool,
    /// It has upper-case letters.
    pub(crate) upper: bool,
    /// Its [`name_key`].
    pub(crate) key: u64,
}

impl NameScan {
    /// The scan of a name known to be a lower-case token: only its key is found.
    pub(crate) fn checked(name: &str) -> Self {
        Self {
            token: true,
            upper: false,
            key: name_key(name),
        }
    }
}

/// Checks a header name in one pass, and finds its key.
pub(crate) fn scan_name(name: &str) -> NameScan {
    // The classes joined: each flag is set if any byte has it.
    let class = name
        .bytes()
        .fold(0u8, |class, b| class | NAME_CLASS[usize::from(b)]);
    NameScan {
        token: !name.is_empty() && class & NOT_TCHAR == 0,
        upper: class & UPPER != 0,
        key: name_key(name),
    }
}

/// The first eight bytes of a header name, lower-cased, as a big-endian integer padded
/// with zeros: keys compare as the names' first eight bytes do, so most comparisons of two
/// names are one comparison of integers.
pub(crate) const fn name_key(name: &str) -> u64 {
    name_key_of(name.as_bytes())
}

/// [`name_key`] of a name held as bytes.
const fn name_key_of(name: &[u8]) -> u64 {
    swar::lower(swar::be_prefix(name))
}

/// `host`'s [`name_key`].
pub(crate) const HOST_KEY: u64 = name_key("host");

const NOT_TCHAR: u8 = 1;
const UPPER: u8 = 2;

/// For each byte: whether it is outside `tchar`, and whether it is an upper-case letter.
const NAME_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            if TCHAR[b] { 0 } else { NOT_TCHAR } | if c.is_ascii_uppercase() { UPPER } else { 0 };
        b += 1;
    }
    table
};

/// Compares two header names as their lower-case forms.
pub(crate) fn cmp_names(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
        if x != y {
            return x.cmp(&y);
        }
    }
    a.len().cmp(&b.len())
}

/// Sorts by lower-cased name; headers of the same name keep their order, since their values
/// are joined in the order they were sent. `lowercase` says every name is lower-case
/// already (as `http`'s are), so plain byte order will do.
///
/// Most pairs differ in their first eight bytes, which the keys compare as one integer.
/// Afterwards each header knows whether it repeats the previous one's name.
pub(crate) fn sort(headers: &mut [SortedHeader<'_>], lowercase: bool) {
    let rest = |a: &SortedHeader<'_>, b: &SortedHeader<'_>| {
        if lowercase {
            a.name.cmp(b.name)
        } else {
            cmp_names(a.name, b.name)
        }
    };
    headers.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| rest(a, b)));
    let mut previous: Option<(u64, &str)> = None;
    for header in headers.iter_mut() {
        header.repeat = previous.is_some_and(|(key, name): (u64, &str)| {
            same_name(name.as_bytes(), key, header.name.as_bytes(), header.key)
        });
        previous = Some((header.key, header.name));
    }
}

/// The first header of each name, in sorted input.
fn firsts<'h, 'a>(sorted: &'h [SortedHeader<'a>]) -> impl Iterator<Item = &'h SortedHeader<'a>> {
    sorted.iter().filter(|h| !h.repeat)
}

/// Writes `name:value1,value2\n` for each name: values trimmed, inner runs of whitespace
/// (folded lines included) collapsed to one space.
pub(crate) fn write_canonical<S: Sink>(sink: &mut S, sorted: &[SortedHeader<'_>], lowercase: bool) {
    for (i, header) in sorted.iter().enumerate() {
        if header.repeat {
            sink.put_byte(b',');
        } else {
            if i > 0 {
                sink.put_byte(b'\n');
            }
            write_sorted_name(sink, header.name, lowercase);
            sink.put_byte(b':');
        }
        if header.plain {
            sink.put(header.value);
        } else {
            write_folded(sink, header.value);
        }
    }
    if !sorted.is_empty() {
        sink.put_byte(b'\n');
    }
}

/// Writes the signed header list: lower-cased names joined by `;`.
pub(crate) fn write_signed_names<S: Sink>(
    sink: &mut S,
    sorted: &[SortedHeader<'_>],
    lowercase: bool,
) {
    for (i, header) in firsts(sorted).enumerate() {
        if i > 0 {
            sink.put_byte(b';');
        }
        write_sorted_name(sink, header.name, lowercase);
    }
}

/// Appends the signed header list to a string, with `separator` between names.
fn push_signed_names(
    out: &mut String,
    sorted: &[SortedHeader<'_>],
    separator: &str,
    lowercase: bool,
) {
    for (i, header) in firsts(sorted).enumerate() {
        if i > 0 {
            // One byte as a character costs no copy call.
            if separator == ";" {
                out.push(';');
            } else {
                out.push_str(separator);
            }
        }
        let name = header.name;
        if lowercase || !name.bytes().any(|b| b.is_ascii_uppercase()) {
            out.push_str(name);
        } else {
            out.extend(name.chars().map(|c| c.to_ascii_lowercase()));
        }
    }
}

/// [`write_name`] for the signer's headers, inlined there: nearly every name is lower
/// case, and written as it is.
#[inline]
fn write_sorted_name<S: Sink>(sink: &mut S, name: &str, lowercase: bool) {
    if lowercase || !name.bytes().any(|b| b.is_ascii_uppercase()) {
        sink.put_str(name);
    } else {
        write_name(sink, name, false);
    }
}

fn write_name<S: Sink>(sink: &mut S, name: &str, lowercase: bool) {
    if lowercase || !name.bytes().any(|b| b.is_ascii_uppercase()) {
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
    if check_value(value) == Some(true) {
        sink.put(value);
    } else {
        write_folded(sink, value);
    }
}

/// Writes a value trimmed, with inner runs of whitespace collapsed to one space.
fn write_folded<S: Sink>(sink: &mut S, value: &[u8]) {
    let mut words = value.split(is_space).filter(|word| !word.is_empty());
    if let Some(first) = words.next() {
        sink.put(first);
        for word in words {
            sink.put_byte(b' ');
            sink.put(word);
        }
    }
}

/// Where the canonical headers come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HeaderSource<'a> {
    /// The signer's: every header to sign, sorted by [`sort`]; `lowercase` when every name
    /// is lower-case already.
    Sorted {
        headers: &'a [SortedHeader<'a>],
        lowercase: bool,
    },
    /// The verifier's: the list the client signed, and the request's headers that carry
    /// its names, sorted (see [`Matched`]).
    Listed {
        signed: SignedList<'a>,
        /// The list's names, if they were kept from its split; else it is split again.
        names: Option<&'a [SignedName<'a>]>,
        matched: &'a [Matched],
        all: &'a [Header<'a>],
        /// The headers, by place (the first 64), whose values are known to be plain (see
        /// [`check_value`]): they are written without a second look.
        plain: u64,
    },
}

/// A request header matched to a signed name: the name's position in the signed list in
/// the high half, the header's own position in the request in the low half. Sorted, they
/// group by name, each name's headers in the order they were sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Matched(u32);

impl Matched {
    /// How many positions either half holds.
    pub(crate) const POSITIONS: usize = 1 << 16;

    /// `None` when a position does not fit.
    pub(crate) fn new(name: usize, header: usize) -> Option<Self> {
        let (name, header) = (u16::try_from(name).ok()?, u16::try_from(header).ok()?);
        Some(Self(u32::from(name) << 16 | u32::from(header)))
    }

    /// The name's position in the signed list.
    pub(crate) fn name(self) -> usize {
        (self.0 >> 16) as usize
    }

    /// The header's position in the request.
    pub(crate) fn header(self) -> usize {
        (self.0 & 0xffff) as usize
    }
}

impl HeaderSource<'_> {
    pub(crate) fn write_canonical<S: Sink>(&self, sink: &mut S) {
        match *self {
            Self::Sorted { headers, lowercase } => write_canonical(sink, headers, lowercase),
            Self::Listed {
                signed,
                names,
                matched,
                all,
                plain,
            } => {
                if let Some(names) = names {
                    let name_at = |index: usize| names.get(index).map(|n| n.name);
                    write_matched(sink, name_at, matched, all, plain);
                } else if signed.separator == ";" {
                    // `;` alone, as nearly every list has it, splits faster as a byte.
                    let names = scan::split_short(signed.raw, b';');
                    write_listed(sink, names, matched, all, plain);
                } else {
                    write_listed(sink, signed.names(), matched, all, plain);
                }
            }
        }
    }

    /// Appends the signed header list to a string, with `separator` between names.
    pub(crate) fn push_signed_names(&self, out: &mut String, separator: &str) {
        match *self {
            Self::Sorted { headers, lowercase } => {
                push_signed_names(out, headers, separator, lowercase)
            }
            Self::Listed { signed, .. } => {
                for (i, name) in signed.names().enumerate() {
                    if i > 0 {
                        out.push_str(separator);
                    }
                    out.push_str(name);
                }
            }
        }
    }

    pub(crate) fn write_signed_names<S: Sink>(&self, sink: &mut S) {
        match *self {
            Self::Sorted { headers, lowercase } => write_signed_names(sink, headers, lowercase),
            Self::Listed { signed, .. } => signed.write(sink),
        }
    }
}

/// The verifier's canonical headers (see [`HeaderSource::Listed`]). The names are written
/// as signed (checked lower-case), taken from `names` in step with the keys: each name is
/// matched by at least one header, in list order. The values of the headers whose places
/// are set in `plain` are written as they are; the others are checked, and trimmed and
/// folded where they need it.
fn write_listed<'a, S: Sink>(
    sink: &mut S,
    mut names: impl Iterator<Item = &'a str>,
    matched: &[Matched],
    all: &[Header<'_>],
    plain: u64,
) {
    // The names come in list order, each matched at least once.
    let mut next_index = 0;
    let name_at = |index: usize| {
        let name = names.nth(index.saturating_sub(next_index));
        next_index = index + 1;
        name.map(str::as_bytes)
    };
    write_matched(sink, name_at, matched, all, plain);
}

/// [`write_listed`], each signed name found by its place in the list by `name_at`.
fn write_matched<'a, S: Sink>(
    sink: &mut S,
    mut name_at: impl FnMut(usize) -> Option<&'a [u8]>,
    matched: &[Matched],
    all: &[Header<'_>],
    plain: u64,
) {
    let mut current = None;
    for &key in matched {
        let index = key.name();
        let at = key.header();
        let Some(&(name, value)) = all.get(at) else {
            continue;
        };
        if current == Some(index) {
            sink.put_byte(b',');
        } else {
            if current.is_some() {
                sink.put_byte(b'\n');
            }
            match name_at(index) {
                Some(signed_name) => sink.put(signed_name),
                // The header's name matched the signed one but for case.
                None => write_name(sink, name, false),
            }
            sink.put_byte(b':');
            current = Some(index);
        }
        if at < 64 && plain >> at & 1 == 1 {
            sink.put(value);
        } else {
            write_value(sink, value);
        }
    }
    if current.is_some() {
        sink.put_byte(b'\n');
    }
}

/// A signed header name, and its [`name_key`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedName<'a> {
    /// The name's bytes: a checked list is ASCII, and its names are sliced without
    /// asking where characters start.
    pub(crate) name: &'a [u8],
    pub(crate) key: u64,
}

impl<'a> SignedName<'a> {
    fn new(name: &'a [u8]) -> Self {
        Self {
            name,
            key: name_key_of(name),
        }
    }

    /// Whether this name sorts strictly before `next`, both checked lower-case tokens (so
    /// their keys are their first eight bytes as they are): the keys settle it unless the
    /// two share their first eight bytes, and then the rest does.
    fn precedes(self, next: Self) -> bool {
        let rest = |name: &'a [u8]| name.get(8..).unwrap_or_default();
        self.key < next.key || (self.key == next.key && precedes(rest(self.name), rest(next.name)))
    }

    /// Whether `name`, in any case, is this name. `key` is `name`'s [`name_key`].
    pub(crate) fn is(self, name: &str, key: u64) -> bool {
        same_name(self.name, self.key, name.as_bytes(), key)
    }
}

/// Whether two header names are the same in any case, given their [`name_key`]s: the keys
/// settle the first eight bytes, and the rest is compared exactly before it is compared
/// case-insensitively, as most names arrive in lower case.
///
/// Inlined: searches call it for every candidate, and a call costs more than the test.
#[inline(always)]
pub(crate) fn same_name(a: &[u8], a_key: u64, b: &[u8], b_key: u64) -> bool {
    if a_key != b_key || a.len() != b.len() {
        return false;
    }
    let (a, b) = (a.get(8..), b.get(8..));
    a == b || a.zip(b).is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// A signed header list, split once into its names (on the stack while they are few).
pub(crate) type SignedNames<'a> = InlineVec<SignedName<'a>, 16>;

/// Whether `a` sorts strictly before `b`. Names are short and differ early: a loop here
/// costs less than a call to `memcmp` for each pair.
fn precedes(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x < y;
        }
    }
    a.len() < b.len()
}

/// A signed header list as the client sent it, once [`parse_signed_names`] has checked it:
/// names separated by `;`, or by `%3B` (in either case) in a presigned URL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedList<'a> {
    raw: &'a str,
    separator: &'a str,
}

impl<'a> SignedList<'a> {
    /// The names, in order.
    pub(crate) fn names(self) -> impl Iterator<Item = &'a str> {
        self.raw.split(self.separator)
    }

    /// Writes the list as the canonical request has it, separated by `;`.
    pub(crate) fn write<S: Sink>(self, sink: &mut S) {
        if self.separator == ";" {
            sink.put_str(self.raw);
            return;
        }
        for (i, name) in self.names().enumerate() {
            if i > 0 {
                sink.put_byte(b';');
            }
            sink.put_str(name);
        }
    }
}

/// Whether a list holds only lower-case letters, digits, `-` and `;`, as nearly every one
/// does. From sixteen bytes, a branch-free fold that vectorizes; below that (where a vector
/// loop never starts), whole words that may overlap ([`swar::cover_short`]).
fn is_simple(bytes: &[u8]) -> bool {
    let other = |word: u64| {
        let low = word & !swar::HIGH;
        let range = |from: u8, to: u8| swar::at_least(low, from) & !swar::at_least(low, to + 1);
        let simple =
            range(b'a', b'z') | range(b'0', b'9') | swar::equal(low, b'-') | swar::equal(low, b';');
        !(simple & !word) & swar::HIGH
    };
    if bytes.len() >= 16 {
        return bytes.iter().fold(true, |ok, &b| {
            ok & (b.is_ascii_lowercase() | b.is_ascii_digit() | (b == b'-') | (b == b';'))
        });
    }
    let mut others = 0;
    swar::cover_short(bytes, b'a', |word| others |= other(word));
    others == 0
}

/// For each length up to eight, the mask that keeps that many bytes at the top of a
/// big-endian word.
const KEEP_FIRST: [u64; 9] = {
    let mut masks = [0u64; 9];
    let mut n = 1;
    while n <= 8 {
        masks[n] = !(u64::MAX >> 1 >> (8 * n - 1));
        n += 1;
    }
    masks
};

/// Splits a list of lower-case letters, digits and `-` separated by `;` (see [`is_simple`])
/// into `names`: whether each name is there and follows the one before. The `;`s are
/// found eight bytes at a time, and a name's key is its first eight bytes as they are
/// (they are lower case), read at once where eight bytes follow its start. A failed name
/// does not stop the walk; it only spoils the result.
fn split_simple<'a>(raw: &'a str, names: &mut SignedNames<'a>) -> bool {
    let bytes = raw.as_bytes();
    // The bytes past the last full eight, then a `;` that ends the last name; where the
    // list is eight bytes or longer, read as its last eight, shifted.
    let rest = bytes.len() % 8;
    let last = match bytes.last_chunk::<8>() {
        Some(last) => {
            let shift = 8 * (8 - rest) as u32;
            u64::from_le_bytes(*last).checked_shr(shift).unwrap_or(0)
                | u64::from(b';') << (8 * rest)
        }
        None => swar::short_word(bytes, u64::from(b';')),
    };
    let words = bytes
        .chunks_exact(8)
        .map(swar::le_word)
        .chain(std::iter::once(last));
    let mut ok = true;
    let mut start = 0;
    let mut previous = SignedName { name: b"", key: 0 };
    for (at, word) in (0..).step_by(8).zip(words) {
        let mut ends = swar::equal(word, b';');
        while ends != 0 {
            let end = at + ends.trailing_zeros() as usize / 8;
            ends &= ends - 1;
            let name = bytes.get(start..end).unwrap_or_default();
            // A name's key is its first eight bytes; where eight bytes follow its start,
            // they are read at once, and those past the name masked off.
            let key = match bytes.get(start..).and_then(<[u8]>::first_chunk::<8>) {
                Some(first) => u64::from_be_bytes(*first) & KEEP_FIRST[name.len().min(8)],
                None => swar::be_prefix(name),
            };
            let next = SignedName { name, key };
            ok &= !name.is_empty() && (start == 0 || previous.precedes(next));
            names.push(next);
            previous = next;
            start = end + 1;
        }
    }
    ok
}

/// Splits and checks a signed header list as a client sent it: names separated by `;`, or
/// by `%3B` when it arrives percent-encoded in a presigned URL's `X-Amz-SignedHeaders`.
/// The names must be lower-case tokens without `%`, strictly increasing (sorted, no
/// repeats), as SigV4 requires; `None` otherwise. One list uses one separator: a name
/// holding the other would hold `%` or `;`, and be refused. The names go into `names`
/// (emptied first; after `None` it holds no list to use); the list comes back as the text
/// it came in.
pub(crate) fn parse_signed_names<'a>(
    raw: &'a str,
    names: &mut SignedNames<'a>,
) -> Option<SignedList<'a>> {
    let bytes = raw.as_bytes();
    names.clear();
    if is_simple(bytes) {
        return split_simple(raw, names).then_some(SignedList {
            raw,
            separator: ";",
        });
    }
    let mut previous: Option<SignedName<'a>> = None;
    // Whether the name from `start` to `end` holds only token characters and follows the
    // one before; if so it goes into `names`.
    let mut push = |start: usize, end: usize, names: &mut SignedNames<'a>| {
        let Some(name) = bytes.get(start..end) else {
            return false;
        };
        let valid = name
            .iter()
            .fold(0u8, |bad, &b| bad | NAME_CLASS[usize::from(b)])
            == 0;
        let next = SignedName::new(name);
        if name.is_empty() || !valid || previous.is_some_and(|p| !p.precedes(next)) {
            return false;
        }
        names.push(next);
        previous = Some(next);
        true
    };
    // Each name ends at a separator: `;`, or `%3B` in either case. `%` is a token
    // character, but here it can only start a separator.
    let mut separator: Option<&'a str> = None;
    let mut start = 0;
    for end in scan::positions2(bytes, b';', b'%') {
        if end < start {
            continue;
        }
        if !push(start, end, names) {
            return None;
        }
        let width = if bytes[end] == b';' { 1 } else { 3 };
        let found = raw.get(end..end + width)?;
        let same = match separator {
            None => found == ";" || found == "%3B" || found == "%3b",
            Some(first) => found == first,
        };
        if !same {
            return None;
        }
        separator = Some(found);
        start = end + width;
    }
    if !push(start, bytes.len(), names) {
        return None;
    }
    Some(SignedList {
        raw,
        separator: separator.unwrap_or(";"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_headers_trim_fold_and_join() {
        let mut headers: Vec<SortedHeader<'_>> = [
            ("My-Header1", &b"value4"[..]),
            ("host", b"example.com"),
            ("my-header1", b"  a   b\tc  "),
            ("My-Header2", b"value1\n  value2\n     value3"),
            ("my-header1", b""),
        ]
        .into_iter()
        .map(|(name, value)| SortedHeader::new(name, name_key(name), value).expect("valid"))
        .collect();
        sort(&mut headers, false);
        let mut out = Vec::new();
        write_canonical(&mut out, &headers, false);
        write_signed_names(&mut out, &headers, false);
        assert_eq!(
            String::from_utf8(out).expect("ASCII"),
            "host:example.com\nmy-header1:value4,a b c,\nmy-header2:value1 value2 value3\n\
             host;my-header1;my-header2"
        );
    }

    #[test]
    fn signed_names_parse_strictly() {
        for raw in [
            "host;x-amz-date;z",
            "host%3Bx-amz-date%3Bz",
            "host%3bx-amz-date%3bz",
        ] {
            let mut names = SignedNames::new();
            let list = parse_signed_names(raw, &mut names).expect("valid");
            let split: Vec<&[u8]> = names.as_slice().iter().map(|n| n.name).collect();
            assert_eq!(split, [&b"host"[..], b"x-amz-date", b"z"]);
            assert!(list.names().eq(["host", "x-amz-date", "z"]));
            let mut text = Vec::new();
            list.write(&mut text);
            assert_eq!(text, b"host;x-amz-date;z");
        }
        for bad in [
            "host%3Bx-amz-date;z",
            "host%3bx%3Bz",
            "",
            "host;",
            ";host",
            "x;host",
            "Host",
            "host;host",
            "a b",
            "a%41",
        ] {
            assert!(
                parse_signed_names(bad, &mut SignedNames::new()).is_none(),
                "{bad:?}"
            );
            // After 21 bytes, so that a name of four bytes or more runs from one word into
            // the next.
            let long = format!("a-long-first-name-xy;{bad}");
            assert!(
                parse_signed_names(&long, &mut SignedNames::new()).is_none(),
                "{long:?}"
            );
        }
        let long = "a-long-first-name-past-thirty-two-bytes;host;x-amz-date";
        let mut names = SignedNames::new();
        assert!(parse_signed_names(long, &mut names).is_some());
        assert_eq!(names.len(), 3);
    }

    /// Lists of every length up to 40 bytes, with every byte in every place, against a
    /// plain reading: split on `;`, each name lower-case token characters, in order.
    #[test]
    fn signed_names_agree_with_a_plain_reading() {
        let reference = |raw: &[u8]| -> Option<Vec<Vec<u8>>> {
            let names: Vec<Vec<u8>> = raw.split(|&b| b == b';').map(<[u8]>::to_vec).collect();
            let token = |b: &u8| TCHAR[usize::from(*b)] && !b.is_ascii_uppercase() && *b != b'%';
            let valid = names.iter().all(|n| !n.is_empty() && n.iter().all(token))
                && names.windows(2).all(|w| w[0] < w[1]);
            valid.then_some(names)
        };
        let base = b"accept;content-type;host;x-amz-content-sha256;x-amz-date";
        for len in 1..=40 {
            // Cut where the list is still a list: no trailing `;`.
            let list = base[..len].to_vec();
            for at in 0..len {
                for b in (0..=255u8).filter(|&b| b != b'%') {
                    let mut raw = list.clone();
                    raw[at] = b;
                    let Ok(text) = std::str::from_utf8(&raw) else {
                        continue;
                    };
                    let mut names = SignedNames::new();
                    let parsed = parse_signed_names(text, &mut names)
                        .map(|_| names.iter().map(|n| n.name.to_vec()).collect());
                    assert_eq!(parsed, reference(&raw), "{text:?}");
                    if parsed.is_some() {
                        for n in names.iter() {
                            let name = std::str::from_utf8(n.name).expect("ASCII");
                            assert_eq!(n.key, name_key(name), "{text:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn signed_names_order_and_match_past_their_keys() {
        for (raw, sorted) in [
            ("x-amz-security-token;x-amz-server-side-encryption", true),
            ("x-amz-server-side-encryption;x-amz-security-token", false),
            ("x-amz-se;x-amz-sec", true),
            ("x-amz-sec;x-amz-se", false),
            ("x-amz-security-token;x-amz-security-token", false),
        ] {
            let parsed = parse_signed_names(raw, &mut SignedNames::new());
            assert_eq!(parsed.is_some(), sorted, "{raw}");
        }
        for (signed, sent, same) in [
            ("x-amz-security-token", "X-Amz-Security-Token", true),
            ("x-amz-security-token", "x-amz-security-token", true),
            ("x-amz-security-token", "x-amz-sEcurity-tokeN", true),
            ("x-amz-security-token", "x-amz-security-tokem", false),
            ("x-amz-security-token", "x-amz-security-toke", false),
            ("x-amz-security-token", "y-amz-security-token", false),
            ("host", "HOST", true),
            ("host", "host", true),
            ("host", "hos", false),
            ("host", "hosts", false),
            // The same key, padded with zeros where the other has a zero byte.
            ("host", "host\0", false),
            ("x-amz-date", "x-amz-dat", false),
            ("host", "h\u{f3}t", false),
        ] {
            let name = SignedName::new(signed.as_bytes());
            assert_eq!(name.is(sent, name_key(sent)), same, "{signed} {sent}");
        }
    }

    #[test]
    fn matched_headers_sort_by_name_then_header() {
        let keys = [(2, 0), (0, 5), (2, 1), (0, 3), (65535, 65535)]
            .map(|(name, header)| Matched::new(name, header).expect("fits"));
        let mut sorted = keys;
        sorted.sort_unstable();
        let parts: Vec<_> = sorted.iter().map(|k| (k.name(), k.header())).collect();
        assert_eq!(parts, [(0, 3), (0, 5), (2, 0), (2, 1), (65535, 65535)]);
        assert!(Matched::new(Matched::POSITIONS, 0).is_none());
        assert!(Matched::new(0, Matched::POSITIONS).is_none());
    }

    #[test]
    fn precedes_is_strict_byte_order() {
        for (a, b) in [
            ("a", "b"),
            ("host", "host-a"),
            ("", "a"),
            ("x-amz-a", "x-amz-b"),
        ] {
            assert!(precedes(a.as_bytes(), b.as_bytes()), "{a} {b}");
            assert!(!precedes(b.as_bytes(), a.as_bytes()), "{b} {a}");
        }
        assert!(!precedes(b"host", b"host"));
    }

    #[test]
    fn names_scan_to_their_keys() {
        for name in [
            "host",
            "Host",
            "x-amz-date",
            "X-Amz-Security-Token",
            "a",
            "abcdefgh",
        ] {
            let scan = scan_name(name);
            assert!(scan.token, "{name}");
            assert_eq!(scan.key, name_key(name), "{name}");
            assert_eq!(
                scan.upper,
                name.bytes().any(|b| b.is_ascii_uppercase()),
                "{name}"
            );
        }
        assert_eq!(name_key("host"), u64::from_be_bytes(*b"host\0\0\0\0"));
        assert_eq!(name_key(""), 0);
        assert_eq!(name_key("a"), u64::from(b'a') << 56);
        assert!(name_key("host") < name_key("host-a"));
        assert!(name_key("X-Amz-Date") == name_key("x-amz-date-and-more"));
        // Every byte in every one of the eight places, against a byte-by-byte key.
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = *b"abcdefghij";
                bytes[at] = b;
                let Ok(name) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                let expected = bytes[..8]
                    .iter()
                    .fold(0u64, |key, b| key << 8 | u64::from(b.to_ascii_lowercase()));
                assert_eq!(name_key(name), expected, "{b:#x} at {at}");
                assert_eq!(
                    name_key(&name[..at + 1]) >> (56 - 8 * at),
                    expected >> (56 - 8 * at)
                );
            }
        }
        // Bytes of 0x80 and more are never lower-cased, though their low seven bits spell
        // a letter ('É' is 0xc3 0x89; 0xc3 & 0x7f is 'C').
        assert_eq!(
            name_key("\u{c9}A"),
            u64::from_be_bytes(*b"\xc3\x89a\0\0\0\0\0")
        );
        assert!(!scan_name("").token);
        assert!(!scan_name("a b").token);
    }

    #[test]
    fn tokens_and_values() {
        assert!(is_token("x-amz-date"));
        assert!(!is_token("bad name"));
        assert!(!is_token("a;b"));
        assert!(!is_token(""));
        assert_eq!(check_value(b"a\r\n b\n\tc"), Some(false));
        assert_eq!(check_value(b"a\r\nb"), None);
        assert_eq!(check_value(b"a\n"), None);
        assert_eq!(check_value(b"a\x00b"), None);
        assert_eq!(check_value(b"a b"), Some(true));
        assert_eq!(check_value(b"a  b"), Some(false));
        assert_eq!(check_value(b" a"), Some(false));
        assert_eq!(check_value(b"a "), Some(false));
        assert_eq!(check_value(b"a\tb"), Some(false));
        // Every byte in every position of a word and of the tail, on both sides of the
        // short scan's 32 bytes.
        assert_eq!(scan_value(b""), (false, false));
        for len in (1..34).chain([47]) {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut value = vec![b'x'; len];
                    value[at] = b;
                    let expected = (b < b' ' || b == 0x7f, b == b' ');
                    assert_eq!(scan_value(&value), expected, "{len} {at} {b}");
                }
            }
        }
    }
}
