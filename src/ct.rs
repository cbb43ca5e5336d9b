//! Constant-time comparison, for signatures, checksums and secrets.

use subtle::ConstantTimeEq;

/// Whether `a` equals `b`, in a time that does not depend on where they first differ. The
/// lengths are not secret: unequal lengths return at once.
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // A branch-free fold, which vectorizes; `subtle` keeps the compiler from turning the
    // final test back into an early exit.
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
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
        assert!(eq(&[7; 32], &[7; 32]));
        for at in 0..32 {
            let mut other = [7u8; 32];
            other[at] ^= 0x80;
            assert!(!eq(&[7; 32], &other));
        }
        assert!(!eq(b"abc", b"abcd"));
    }
}
