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

#[cfg(test)]
mod tests {
    use super::*;

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
