//! Byte searches over the texts of a request: the `Authorization` header, signed header
//! lists, query strings. `memchr` tests many bytes per instruction where the CPU allows; a
//! loop that stops at every byte costs a cycle or more per byte, which on these texts is
//! as much as hashing them.

use crate::swar;

/// The position of the first `byte`.
#[inline]
pub(crate) fn find(bytes: &[u8], byte: u8) -> Option<usize> {
    memchr::memchr(byte, bytes)
}

/// The positions of every `byte`, in order, found in one pass.
#[inline]
pub(crate) fn positions(bytes: &[u8], byte: u8) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(byte, bytes)
}

/// The positions of every `a` and `b`, in order, found in one pass.
#[inline]
pub(crate) fn positions2(bytes: &[u8], a: u8, b: u8) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr2_iter(a, b, bytes)
}

/// The position of the first `byte`, for a text where it comes within a few words: eight
/// bytes at a time, as `memchr` costs more to set up than a few words take to read.
pub(crate) fn find_near(bytes: &[u8], byte: u8) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let first = swar::first_equal(swar::le_word(chunk), byte);
        if first < 8 {
            return Some(at + first);
        }
        at += 8;
    }
    let rest = words.remainder();
    rest.iter().position(|&b| b == byte).map(|i| at + i)
}

/// The pieces of `text` between `separator`s (ASCII), as `str::split` gives them.
pub(crate) fn split(text: &str, separator: u8) -> Split<'_, impl Fn(&[u8], u8) -> Option<usize>> {
    Split {
        rest: Some(text),
        separator,
        find,
    }
}

/// [`split`] for a text of short pieces, such as a signed header list: each separator is
/// found with [`find_near`].
pub(crate) fn split_short(
    text: &str,
    separator: u8,
) -> Split<'_, impl Fn(&[u8], u8) -> Option<usize>> {
    Split {
        rest: Some(text),
        separator,
        find: find_near,
    }
}

/// The iterator [`split`] and [`split_short`] return, each with its own search.
pub(crate) struct Split<'a, F> {
    rest: Option<&'a str>,
    separator: u8,
    find: F,
}

impl<'a, F: Fn(&[u8], u8) -> Option<usize>> Iterator for Split<'a, F> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.rest?;
        let at = (self.find)(text.as_bytes(), self.separator);
        match at.and_then(|at| Some((text.get(..at)?, text.get(at + 1..)?))) {
            Some((piece, next)) => {
                self.rest = Some(next);
                Some(piece)
            }
            None => {
                self.rest = None;
                Some(text)
            }
        }
    }
}

/// Splits at the first `byte`, which must be ASCII.
#[inline]
pub(crate) fn split_once(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = find(text.as_bytes(), byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// [`split_once`] for a text where `byte` comes within a few words, such as the `=` after
/// a query parameter's name: found with [`find_near`].
#[inline]
pub(crate) fn split_once_near(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = find_near(text.as_bytes(), byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_byte_near() {
        for len in 0..40 {
            let mut text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(find_near(&text, b';'), None, "{len}");
            for at in (0..len).rev() {
                text[at] = b';';
                assert_eq!(find_near(&text, b';'), Some(at), "{len} {at}");
            }
            // Bytes of 0x80 and more, and the byte's neighbours.
            let others: Vec<u8> = (0..len)
                .map(|i| [0x80, 0xbb, 0x3a, 0x3c, 0xff][i % 5])
                .collect();
            assert_eq!(find_near(&others, b';'), None, "{len}");
        }
        for text in [
            "",
            "a",
            "a;b",
            ";a;;b;",
            "é;x",
            "host;x-amz-content-sha256;x-amz-date",
        ] {
            assert!(split_short(text, b';').eq(text.split(';')), "{text:?}");
        }
    }

    #[test]
    fn splits_at_the_first_byte() {
        assert_eq!(split_once("a=b=c", b'='), Some(("a", "b=c")));
        assert_eq!(split_once("abc", b'='), None);
        assert_eq!(split_once("é=x", b'='), Some(("é", "x")));
        for text in [
            "a=b=c",
            "abc",
            "é=x",
            "",
            "=",
            "abcdefghijklmnopq=r",
            "abcdefghijklmnopq",
        ] {
            assert_eq!(
                split_once_near(text, b'='),
                split_once(text, b'='),
                "{text}"
            );
        }
        assert!(positions2(b"a/b%c//", b'/', b'%').eq([1, 3, 5, 6]));
        for text in ["", "a", "a&b", "&a&&b&", "é&x"] {
            assert!(split(text, b'&').eq(text.split('&')), "{text:?}");
        }
    }
}
