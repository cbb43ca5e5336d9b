//! Byte searches over the texts of a request: the `Authorization` header, signed header
//! lists, query strings. `memchr` tests many bytes per instruction where the CPU allows; a
//! loop that stops at every byte costs a cycle or more per byte, which on these texts is
//! as much as hashing them.

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

/// The pieces of `text` between `separator`s (ASCII), as `str::split` gives them.
pub(crate) fn split(text: &str, separator: u8) -> Split<'_> {
    Split {
        rest: Some(text),
        separator,
    }
}

/// The iterator [`split`] returns.
pub(crate) struct Split<'a> {
    rest: Option<&'a str>,
    separator: u8,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let text = self.rest?;
        match split_once(text, self.separator) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_byte() {
        assert_eq!(split_once("a=b=c", b'='), Some(("a", "b=c")));
        assert_eq!(split_once("abc", b'='), None);
        assert_eq!(split_once("é=x", b'='), Some(("é", "x")));
        assert!(positions2(b"a/b%c//", b'/', b'%').eq([1, 3, 5, 6]));
        for text in ["", "a", "a&b", "&a&&b&", "é&x"] {
            assert!(split(text, b'&').eq(text.split('&')), "{text:?}");
        }
    }
}
