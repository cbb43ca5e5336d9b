//! The two ways SigV4 writes time: `X-Amz-Date` (`20150830T123600Z`) and the scope's date
//! stamp (`20150830`).

use std::fmt;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::SigningError;
use crate::swar;

/// A UTC time as `X-Amz-Date` writes it: `YYYYMMDDTHHMMSSZ`, held inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmzDate([u8; 16]);

impl AmzDate {
    /// Formats `time` in UTC. Years outside 0000 to 9999 cannot be written.
    pub fn new(time: OffsetDateTime) -> Result<Self, SigningError> {
        // `to_offset` panics past the calendar's edge; an offset time near year 9999 may be.
        let t = time
            .checked_to_offset(UtcOffset::UTC)
            .ok_or(SigningError::TimeOutOfRange)?;
        // One conversion each for the date and the time of day; `month()` and `day()` would
        // each redo the calendar arithmetic.
        let (year, month, day) = t.to_calendar_date();
        let (hour, minute, second) = t.to_hms();
        let year = u32::try_from(year).map_err(|_| SigningError::TimeOutOfRange)?;
        if year > 9999 {
            return Err(SigningError::TimeOutOfRange);
        }
        let mut out = *b"00000000T000000Z";
        // Two digits at a time from a table; the year is below 10000, so both halves are
        // below 100.
        for (at, value) in [
            (0, year / 100),
            (2, year % 100),
            (4, u32::from(u8::from(month))),
            (6, u32::from(day)),
            (9, u32::from(hour)),
            (11, u32::from(minute)),
            (13, u32::from(second)),
        ] {
            out[at..at + 2].copy_from_slice(&DIGIT_PAIRS[value as usize % 100]);
        }
        Ok(Self(out))
    }

    /// Parses `YYYYMMDDTHHMMSSZ` strictly: sixteen bytes, digits where digits go, a real
    /// calendar date and time.
    pub fn parse(text: &str) -> Option<Self> {
        Self::parse_with_time(text.as_bytes()).map(|(date, _)| date)
    }

    /// [`AmzDate::parse`] of bytes, and the time it stands for.
    pub(crate) fn parse_with_time(text: &[u8]) -> Option<(Self, OffsetDateTime)> {
        let bytes: [u8; 16] = text.try_into().ok()?;
        let [date, time] = words(&bytes);
        // 'T' and 'Z' stand in the time's first and last places; digits everywhere else.
        const ENDS: u64 = 0xff00_0000_0000_00ff;
        let time_digits = (time & !ENDS) | (u64::from_le_bytes(*b"00000000") & ENDS);
        let ends_ok = time & ENDS == u64::from_le_bytes(*b"T000000Z") & ENDS;
        if !(all_digits(date) && all_digits(time_digits) && ends_ok) {
            return None;
        }
        let parsed = Self(bytes);
        let time = parsed.to_offset_date_time()?;
        Some((parsed, time))
    }

    /// The time this stands for.
    pub fn to_offset_date_time(&self) -> Option<OffsetDateTime> {
        let [date, time] = words(&self.0);
        // The time's word is shifted one place to drop its 'T': "HHMMSSZ" then.
        let (date, time) = (two_digit_numbers(date), two_digit_numbers(time >> 8));
        let lane = |word: u64, n: u32| (word >> (16 * n)) as u16 & 0xff;
        let year = i32::from(lane(date, 0)) * 100 + i32::from(lane(date, 1));
        let month = Month::try_from(lane(date, 2) as u8).ok()?;
        let date = Date::from_calendar_date(year, month, lane(date, 3) as u8).ok()?;
        let time = Time::from_hms(
            lane(time, 0) as u8,
            lane(time, 1) as u8,
            lane(time, 2) as u8,
        )
        .ok()?;
        Some(PrimitiveDateTime::new(date, time).assume_utc())
    }

    /// The whole value as bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The whole value, `YYYYMMDDTHHMMSSZ`.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, 'T' and 'Z' are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("00000000T000000Z")
    }

    /// The date stamp of the credential scope, `YYYYMMDD`.
    pub fn date_stamp(&self) -> &str {
        &self.as_str()[..8]
    }
}

/// The sixteen bytes as two words, first byte lowest.
fn words(bytes: &[u8; 16]) -> [u64; 2] {
    let mut halves = [[0u8; 8]; 2];
    halves[0].copy_from_slice(&bytes[..8]);
    halves[1].copy_from_slice(&bytes[8..]);
    halves.map(u64::from_le_bytes)
}

/// Whether all eight bytes of `word` are ASCII digits.
fn all_digits(word: u64) -> bool {
    let low = word & !swar::HIGH;
    let digit = swar::at_least(low, b'0') & !swar::at_least(low, b'9' + 1) & !word;
    digit & swar::HIGH == swar::HIGH
}

/// Eight ASCII digits (the first lowest) as four two-digit numbers, one to each 16-bit lane
/// (in its low byte): ten times each pair's first digit plus its second. No byte carries:
/// each holds at most 99. Bytes past the digits that start a lane (as the time's `Z` does)
/// give garbage in their own lanes only.
fn two_digit_numbers(word: u64) -> u64 {
    let digits = word.wrapping_sub(u64::from_le_bytes(*b"00000000"));
    (digits.wrapping_mul(10).wrapping_add(digits >> 8)) & 0x00ff_00ff_00ff_00ff
}

/// "00" to "99".
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut pairs = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        pairs[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    pairs
};

impl fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_utc_and_converts_offsets() {
        let d = AmzDate::new(datetime!(2015-08-30 12:36:00 UTC)).expect("in range");
        assert_eq!(d.as_str(), "20150830T123600Z");
        assert_eq!(d.date_stamp(), "20150830");
        let shifted = AmzDate::new(datetime!(2015-08-31 01:36:00 +13:00)).expect("in range");
        assert_eq!(shifted, d);
        // Every field at its edges, and every second of a day spread over the years.
        for (time, text) in [
            (datetime!(0000-01-01 00:00:00 UTC), "00000101T000000Z"),
            (datetime!(0999-12-31 23:59:59 UTC), "09991231T235959Z"),
            (datetime!(9999-12-31 23:59:59 UTC), "99991231T235959Z"),
            (datetime!(2024-02-29 09:05:07 UTC), "20240229T090507Z"),
        ] {
            assert_eq!(AmzDate::new(time).expect("in range").as_str(), text);
        }
        // Across the calendar it can write, a few days of each century.
        for year in (0..=9999).step_by(97) {
            for (ordinal, seconds) in [(1, 0), (59, 86_399), (60, 43_210), (365, 3_723)] {
                let date = time::Date::from_ordinal_date(year, ordinal).expect("valid");
                let time = date.midnight().assume_utc() + time::Duration::seconds(seconds);
                let amz = AmzDate::new(time).expect("in range");
                assert_eq!(amz.to_offset_date_time(), Some(time), "{time}");
            }
        }
        let start = datetime!(1970-01-01 00:00:00 UTC);
        for step in 0..100_000i64 {
            let time = start + time::Duration::seconds(step * 86_413 * 7 + step);
            let date = AmzDate::new(time).expect("in range");
            assert_eq!(date.to_offset_date_time(), Some(time), "{time}");
        }
    }

    #[test]
    fn rejects_years_it_cannot_write() {
        let far = datetime!(2015-01-01 0:00 UTC)
            .replace_year(-1)
            .expect("valid");
        assert_eq!(AmzDate::new(far), Err(SigningError::TimeOutOfRange));
    }

    #[test]
    fn parse_round_trips_and_is_strict() {
        let d = AmzDate::parse("20150830T123600Z").expect("valid");
        assert_eq!(
            d.to_offset_date_time(),
            Some(datetime!(2015-08-30 12:36:00 UTC))
        );
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015083OT123600Z",
            "20150230T123600Z",
            "20150830T250000Z",
            "20150830T123600Z0",
            "+0150830T123600Z",
        ] {
            assert!(AmzDate::parse(bad).is_none(), "{bad:?}");
        }
    }

    /// Every byte in every place of a valid value, against a parser that reads one byte at
    /// a time.
    #[test]
    fn parse_agrees_with_a_byte_by_byte_reading() {
        let reference = |b: &[u8; 16]| -> Option<OffsetDateTime> {
            let shape = b.iter().enumerate().all(|(i, &c)| match i {
                8 => c == b'T',
                15 => c == b'Z',
                _ => c.is_ascii_digit(),
            });
            if !shape {
                return None;
            }
            let num = |r: std::ops::Range<usize>| {
                b[r].iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'))
            };
            let month = Month::try_from(num(4..6) as u8).ok()?;
            let date = Date::from_calendar_date(num(0..4) as i32, month, num(6..8) as u8).ok()?;
            let time = Time::from_hms(num(9..11) as u8, num(11..13) as u8, num(13..15) as u8);
            Some(PrimitiveDateTime::new(date, time.ok()?).assume_utc())
        };
        for valid in [
            *b"20150830T123600Z",
            *b"20240229T235959Z",
            *b"00000101T000000Z",
        ] {
            for at in 0..16 {
                for byte in 0..=255u8 {
                    let mut text = valid;
                    text[at] = byte;
                    let parsed = AmzDate::parse_with_time(&text).map(|(_, time)| time);
                    assert_eq!(parsed, reference(&text), "{byte:#x} at {at}");
                }
            }
        }
    }
}
