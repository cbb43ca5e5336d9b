//! Lower-case hex of 32-byte values (hashes, signatures), a word at a time.
//!
//! Every signature and every verification writes two of these, and a verification checks
//! the one it was sent; the `hex` crate's byte-at-a-time table lookups showed up in
//! profiles as a few percent of both.
//! Here eight characters are one `u64`, worked on with shifts, masks and adds that never
//! carry from one byte into the next.

use crate::swar::{self, HIGH, ONES};

const LOW_NIBBLES: u64 = 0x0f * ONES;
const LANES: u64 = 0x00ff_00ff_00ff_00ff;

/// 32 bytes as 64 lower-case hex digits.
pub(crate) fn encode32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (chars, four) in out.chunks_exact_mut(8).zip(bytes.chunks_exact(4)) {
        let mut word = [0u8; 4];
        word.copy_from_slice(four);
        let v = u64::from(u32::from_le_bytes(word));
        // Input byte i to bits 16i..16i+8, one 16-bit lane per byte.
        let x = (v | (v << 16)) & 0x0000_ffff_0000_ffff;
        let x = (x | (x << 8)) & LANES;
        // Each lane's low byte (written first) takes the high nibble.
        let nibbles = ((x >> 4) & LANES & LOW_NIBBLES) | ((x & LANES & LOW_NIBBLES) << 8);
        // '0' + n, and 39 more (up to 'a') where n is ten or more.
        let letters = ((nibbles + 0x06 * ONES) >> 4) & ONES;
        let ascii = nibbles + 0x30 * ONES + letters * 0x27;
        chars.copy_from_slice(&ascii.to_le_bytes());
    }
    out
}

/// 64 lower-case hex digits as 32 bytes; `None` for anything else.
pub(crate) fn decode32(text: &[u8]) -> Option<[u8; 32]> {
    let text: &[u8; 64] = text.try_into().ok()?;
    let mut out = [0u8; 32];
    let mut bad = 0u64;
    for (four, chars) in out.chunks_exact_mut(4).zip(text.chunks_exact(8)) {
        let c = swar::le_word(chars);
        let (not_hex, letter) = classify(c);
        bad |= not_hex;
        let values = (c & LOW_NIBBLES) + (letter >> 7) * 9;
        // Each pair of characters to one byte, in the low half of a 16-bit lane.
        let pairs = ((values & LANES) << 4) | ((values >> 8) & LANES);
        let x = (pairs | (pairs >> 8)) & 0x0000_ffff_0000_ffff;
        let x = (x | (x >> 16)) & 0xffff_ffff;
        four.copy_from_slice(&x.to_le_bytes()[..4]);
    }
    (bad == 0).then_some(out)
}

/// `text` if it is 64 lower-case hex digits: a signature to compare as it was sent.
pub(crate) fn check64(text: &[u8]) -> Option<&[u8; 64]> {
    let text: &[u8; 64] = text.try_into().ok()?;
    let bad = text
        .chunks_exact(8)
        .fold(0, |bad, chars| bad | classify(swar::le_word(chars)).0);
    (bad == 0).then_some(text)
}

/// For eight characters: the top bit of each byte that is not a lower-case hex digit, and
/// the top bit of each that is a letter from `a` to `f`. A byte of 0x80 or more is marked
/// by itself; the others are tested by range.
fn classify(c: u64) -> (u64, u64) {
    let low = c & !HIGH;
    let at_least = |n: u8| swar::at_least(low, n);
    let digit = at_least(b'0') & !at_least(b'9' + 1);
    let letter = at_least(b'a') & !at_least(b'f' + 1);
    ((c | !(digit | letter)) & HIGH, letter & !c & HIGH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_every_byte_in_every_position() {
        let mut bytes = [0u8; 32];
        for round in 0..=255u8 {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = round.wrapping_add((i as u8).wrapping_mul(53));
            }
            let text = encode32(&bytes);
            assert_eq!(text[..], hex::encode(bytes).as_bytes()[..]);
            assert_eq!(decode32(&text), Some(bytes));
        }
    }

    #[test]
    fn decodes_lower_case_hex_only() {
        let valid = *b"5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        for at in 0..64 {
            for b in 0..=255u8 {
                let mut text = valid;
                text[at] = b;
                let expected = (b.is_ascii_digit() || (b'a'..=b'f').contains(&b)).then(|| {
                    let mut bytes = [0u8; 32];
                    hex::decode_to_slice(text, &mut bytes).expect("valid hex");
                    bytes
                });
                assert_eq!(decode32(&text), expected, "{b:#x} at {at}");
                assert_eq!(
                    check64(&text).is_some(),
                    expected.is_some(),
                    "{b:#x} at {at}"
                );
            }
        }
        assert_eq!(decode32(&valid[1..]), None);
        assert_eq!(decode32(b""), None);
        assert_eq!(check64(&valid), Some(&valid));
        assert_eq!(check64(&valid[1..]), None);
    }
}
