//! Constant-time comparison, for signatures, checksums and secrets.

use subtle::ConstantTimeEq;

use crate::swar;

/// Whether `a` equals `b`, in a time that does not depend on where they first differ. The
/// lengths are not secret: unequal lengths return at once.
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // A branch-free fold, eight bytes at a time and then the rest one by one (a vector
    // loop would walk most of a 40-byte secret or a 64-digit signature byte by byte);
    // `subtle` keeps the compiler from turning the final test back into an early exit.
    let (words, rest) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = words.remainder().iter().zip(rest.remainder());
    let diff = words.zip(rest).fold(0u64, |acc, (x, y)| {
        acc | (swar::le_word(x) ^ swar::le_word(y))
    }) | tail.fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    bool::from(diff.ct_eq(&0))
}

/// Whether `sent` equals `expected`, in a time that depends on `sent`'s length only, for
/// a value a client sent against a stored one whose length is secret too (a session
/// token's query encoding, whose length tells how many of its bytes need escapes). Both
/// folds are branch-free, so they vectorize.
pub(crate) fn eq_in_sent_time(sent: &[u8], expected: &[u8]) -> bool {
    let n = sent.len().min(expected.len());
    let (head, tail) = sent.split_at(n);
    let mut diff = head
        .iter()
        .zip(&expected[..n])
        .fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // What is sent beyond the stored value is walked as well: the time follows `sent`.
    diff |= tail.iter().fold(0u8, |acc, &b| acc | b);
    diff |= u8::from(sent.len() != expected.len());
    bool::from(diff.ct_eq(&0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_in_the_sent_values_time() {
        let stored = b"token%2Fvalue";
        assert!(eq_in_sent_time(stored, stored));
        assert!(!eq_in_sent_time(b"", stored));
        assert!(!eq_in_sent_time(&stored[..5], stored));
        assert!(!eq_in_sent_time(b"token%2Fvalue\0", stored));
        assert!(!eq_in_sent_time(b"token%2Fvaluf", stored));
        assert!(!eq_in_sent_time(stored, b""));
        assert!(eq_in_sent_time(b"", b""));
    }

    #[test]
    fn compares_bytes_and_lengths() {
        assert!(eq(b"", b""));
        for len in 0..=70 {
            let same = vec![7u8; len];
            assert!(eq(&same, &same));
            for at in 0..len {
                for bit in 0..8 {
                    let mut other = same.clone();
                    other[at] ^= 1 << bit;
                    assert!(!eq(&same, &other), "{len} {at} {bit}");
                }
            }
        }
        assert!(!eq(b"abc", b"abcd"));
    }
}
