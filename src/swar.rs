//! Eight bytes in one `u64`, tested against a range or a value each without a branch: the
//! trick the hex digits, header names, header values and credentials share.

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

/// The top bit of each byte of `low` (top bits clear) that equals `c` (below 0x80), and no
/// other bit: such a byte is zero once `c` is taken away by exclusive or, and only a zero
/// byte is not at least 1.
pub(crate) const fn equal(low: u64, c: u8) -> u64 {
    !at_least(low ^ (c as u64 * ONES), 1) & HIGH
}

/// The place of the first byte of `word` (little-endian: its lowest byte first) that
/// equals `c`, or 8 when none does; any bytes. A byte equal to `c` is zero in `word ^ c`,
/// and taking one from it borrows and sets its top bit where its own was clear. The borrow
/// can mark a byte above it falsely, never one below, so the lowest mark is right.
pub(crate) const fn first_equal(word: u64, c: u8) -> usize {
    let x = word ^ (c as u64 * ONES);
    let marks = x.wrapping_sub(ONES) & !x & HIGH;
    marks.trailing_zeros() as usize / 8
}

/// `word` with each byte from `A` to `Z` made lower case; every other byte, 0x80 and up
/// included, as it was.
pub(crate) const fn lower(word: u64) -> u64 {
    let low = word & !HIGH;
    let upper = at_least(low, b'A') & !at_least(low, b'Z' + 1) & !word & HIGH;
    word | (upper >> 2)
}

/// Whether `text` in any case is `known`, a lower-case text of at least four bytes (for
/// fewer, never). Compared eight bytes at a time (four, for fewer than eight), the last
/// ones overlapping the others; inlined, so that `known`'s words are constants.
#[inline(always)]
pub(crate) fn eq_lower(text: &[u8], known: &[u8]) -> bool {
    if text.len() != known.len() {
        return false;
    }
    if let (Some(last), Some(known_last)) = (text.last_chunk::<8>(), known.last_chunk::<8>()) {
        return lower(u64::from_le_bytes(*last)) == u64::from_le_bytes(*known_last)
            && text
                .chunks_exact(8)
                .zip(known.chunks_exact(8))
                .all(|(a, b)| lower(le_word(a)) == le_word(b));
    }
    let four = |bytes: Option<&[u8; 4]>| bytes.map(|b| u64::from(u32::from_le_bytes(*b)));
    let (first, last) = (four(text.first_chunk()), four(text.last_chunk()));
    let (known_first, known_last) = (four(known.first_chunk()), four(known.last_chunk()));
    known_first.is_some() && first.map(lower) == known_first && last.map(lower) == known_last
}

/// The first eight bytes as a little-endian word (its first byte lowest): a chunk of
/// `chunks_exact(8)`, read whole. Zero for fewer than eight.
#[inline(always)]
pub(crate) fn le_word(bytes: &[u8]) -> u64 {
    bytes
        .first_chunk::<8>()
        .map_or(0, |word| u64::from_le_bytes(*word))
}

/// The first eight bytes as a big-endian integer, padded with zeros: such prefixes compare
/// as the texts' first eight bytes do.
pub(crate) const fn be_prefix(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(first) => u64::from_be_bytes(*first),
        // Shifted in a byte at a time: copied into a buffer instead, the bytes would be read
        // back as a word before their stores complete, which stalls.
        None => {
            let mut word = 0u64;
            let mut i = 0;
            while i < bytes.len() {
                word = word << 8 | bytes[i] as u64;
                i += 1;
            }
            match word.checked_shl(8 * (8 - bytes.len() as u32)) {
                Some(word) => word,
                None => 0,
            }
        }
    }
}

/// Hands `f` the bytes eight at a time, each word little-endian (its first byte lowest).
/// The last word holds the bytes past the last full eight, padded with `pad`; it comes even
/// when there are none.
#[inline(always)]
pub(crate) fn for_each_word(bytes: &[u8], pad: u8, mut f: impl FnMut(u64)) {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        f(le_word(chunk));
    }
    let rest = chunks.remainder().len();
    let pad = u64::from(pad) * ONES;
    // Not copied into a padded buffer: reading a word over bytes just stored one by one
    // stalls the load. The last eight bytes are read as one word and shifted instead.
    let last = match bytes.last_chunk::<8>() {
        _ if rest == 0 => pad,
        Some(tail) => u64::from_le_bytes(*tail) >> (64 - 8 * rest) | pad << (8 * rest),
        None => short_word(bytes, pad),
    };
    f(last);
}

/// Hands `f` words that together hold every byte of a short text (fewer than 32 bytes),
/// some bytes perhaps twice: from eight bytes, whole words, the last overlapping the
/// others; below eight, one word padded with `pad`. For tests whose results are joined by
/// `|`, where a byte seen twice counts once; a whole word costs less than a walk that pads.
#[inline(always)]
pub(crate) fn cover_short(bytes: &[u8], pad: u8, mut f: impl FnMut(u64)) {
    let (Some(first), Some(last)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) else {
        return f(short_word(bytes, u64::from(pad) * ONES));
    };
    f(u64::from_le_bytes(*first));
    f(u64::from_le_bytes(*last));
    for at in [8, 16] {
        if let Some(word) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
            f(u64::from_le_bytes(*word));
        }
    }
}

/// Fewer than eight bytes as a little-endian word (the first byte lowest), with the low
/// bytes of `fill` above them. Shifted in a byte at a time: copied into a buffer instead,
/// the bytes would be read back as a word before their stores complete, which stalls.
pub(crate) fn short_word(bytes: &[u8], fill: u64) -> u64 {
    let word = bytes
        .iter()
        .rev()
        .fold(0, |word, &b| word << 8 | u64::from(b));
    word | fill.checked_shl(8 * bytes.len() as u32).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_equal_bytes_in_every_place() {
        for c in 0..0x80u8 {
            for b in 0..0x80u8 {
                for place in 0..8 {
                    let mut bytes = [c ^ 1, c, 0x7f, 0, c ^ 0x40, c, 0x7f, 0];
                    bytes[place] = b;
                    let result = equal(u64::from_le_bytes(bytes), c).to_le_bytes();
                    for (i, (&byte, &out)) in bytes.iter().zip(&result).enumerate() {
                        let expected = if byte == c { 0x80 } else { 0 };
                        assert_eq!(out, expected, "{byte:#x} == {c:#x} at {i}");
                    }
                }
            }
        }
    }

    #[test]
    fn finds_the_first_equal_byte_of_any() {
        // Every byte value sought, in every place, among the neighbours a borrow could
        // confuse with it, with a second match above that must not move the first.
        for c in 0..=255u8 {
            let others = [c.wrapping_add(1), c.wrapping_sub(1), c ^ 0x80, c ^ 1];
            for place in 0..8 {
                for &other in &others {
                    let mut bytes = [other; 8];
                    assert_eq!(first_equal(u64::from_le_bytes(bytes), c), 8, "{c:#x}");
                    bytes[place] = c;
                    if place < 7 {
                        bytes[7] = c;
                    }
                    assert_eq!(
                        first_equal(u64::from_le_bytes(bytes), c),
                        place,
                        "{c:#x} {other:#x} at {place}"
                    );
                }
            }
        }
    }

    #[test]
    fn lowers_letters_and_nothing_else() {
        for b in 0..=255u8 {
            for place in 0..8 {
                let mut bytes = *b"aZ-0\x80\xc1Q~";
                bytes[place] = b;
                let expected = bytes.map(|b| b.to_ascii_lowercase());
                assert_eq!(lower(u64::from_le_bytes(bytes)).to_le_bytes(), expected);
            }
        }
    }

    #[test]
    fn compares_with_a_lower_case_text_as_any_case() {
        let known = "x-amz-security-token-and-more-still";
        for len in 0..=known.len() {
            let known = &known.as_bytes()[..len];
            let mut text = known.to_ascii_uppercase();
            // Shorter than four bytes, a text is never equal.
            assert_eq!(eq_lower(&text, known), len >= 4, "{len}");
            assert!(!eq_lower(&text[..len.saturating_sub(1)], known));
            for place in 0..len {
                for b in 0..=255u8 {
                    let was = text[place];
                    text[place] = b;
                    let expected = len >= 4 && text.eq_ignore_ascii_case(known);
                    assert_eq!(eq_lower(&text, known), expected, "{len} {place} {b:#x}");
                    text[place] = was;
                }
            }
        }
    }

    #[test]
    fn prefixes_are_the_first_eight_bytes_padded() {
        let text = b"abcdefghij";
        for len in 0..=text.len() {
            let mut padded = [0u8; 8];
            let n = len.min(8);
            padded[..n].copy_from_slice(&text[..n]);
            assert_eq!(be_prefix(&text[..len]), u64::from_be_bytes(padded), "{len}");
        }
    }

    #[test]
    fn words_pad_the_last() {
        let words = |bytes: &[u8], pad: u8| {
            let mut all = Vec::new();
            for_each_word(bytes, pad, |word| all.push(word));
            all.into_iter()
        };
        let text = b"0123456789abcdefXY";
        let all: Vec<u64> = words(text, b'.').collect();
        assert_eq!(
            all,
            [
                u64::from_le_bytes(*b"01234567"),
                u64::from_le_bytes(*b"89abcdef"),
                u64::from_le_bytes(*b"XY......"),
            ]
        );
        let all: Vec<u64> = words(&text[..16], b'.').collect();
        assert_eq!(all[2], u64::from_le_bytes(*b"........"));
        assert_eq!(words(b"", b'.').count(), 1);
        for len in 0..=text.len() {
            let mut padded = text[..len].to_vec();
            padded.resize(len / 8 * 8 + 8, b'.');
            let expected: Vec<u64> = padded
                .chunks(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("eight")))
                .collect();
            assert_eq!(
                words(&text[..len], b'.').collect::<Vec<_>>(),
                expected,
                "{len}"
            );
        }
    }

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
