//! The two ways SigV4 writes time: `X-Amz-Date` (`20150830T123600Z`) and the scope's date
//! stamp (`20150830`).

use std::fmt;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::error::SigningError;

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
        let digits_ok = bytes
            .iter()
            .enumerate()
            .all(|(i, b)| matches!(i, 8 | 15) || b.is_ascii_digit());
        if !digits_ok || bytes[8] != b'T' || bytes[15] != b'Z' {
            return None;
        }
        let parsed = Self(bytes);
        let time = parsed.to_offset_date_time()?;
        Some((parsed, time))
    }

    /// The time this stands for.
    pub fn to_offset_date_time(&self) -> Option<OffsetDateTime> {
        let b = &self.0;
        let num = |range: std::ops::Range<usize>| {
            b[range]
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        };
        let month = Month::try_from(u8::try_from(num(4..6)).ok()?).ok()?;
        let date = Date::from_calendar_date(
            i32::try_from(num(0..4)).ok()?,
            month,
            u8::try_from(num(6..8)).ok()?,
        )
        .ok()?;
        let time = Time::from_hms(
            u8::try_from(num(9..11)).ok()?,
            u8::try_from(num(11..13)).ok()?,
            u8::try_from(num(13..15)).ok()?,
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
}
