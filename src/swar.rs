//! Eight bytes in one `u64`, tested against a range each without a branch: the trick the
//! hex digits, header names and header values share.

/// `0x01` in every byte.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;

/// The top bit of every byte.
pub(crate) const HIGH: u64 = 0x80 * ONES;

/// For each byte of `low`, whose top bits must be clear, the top bit of the same byte of
/// the result is set when the byte is at least `n` (`n` at most 0x80). Adding `0x80 - n` to
/// a byte below 0x80 reaches its top bit exactly then, and never carries out of the byte.
/// The other bits of the result are of no use.
pub(crate) const fn at_least(low: u64, n: u8) -> u64 {
    low.wrapping_add((0x80 - n as u64) * ONES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_every_byte_in_every_place_against_every_bound() {
        for n in 0..=0x80u8 {
            for b in 0..0x80u8 {
                for place in 0..8 {
                    // The other bytes at the range's edges, to catch a carry between bytes.
                    let mut bytes = [0x7f, 0, 0x7f, 0, 0x7f, 0, 0x7f, 0];
                    bytes[place] = b;
                    let result = at_least(u64::from_le_bytes(bytes), n).to_le_bytes();
                    for (i, (&byte, &out)) in bytes.iter().zip(&result).enumerate() {
                        assert_eq!(out & 0x80 != 0, byte >= n, "{byte:#x} >= {n:#x} at {i}");
                    }
                }
            }
        }
    }
}
