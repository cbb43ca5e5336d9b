//! The credential scope: `date/region/service/aws4_request`.

use crate::canonical::Sink;
use crate::error::SigningError;
use crate::signing_key::TERMINATOR;

/// The algorithm name that opens the string to sign and the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The scope a signature is valid for: one day, one region, one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialScope<'a> {
    pub(crate) date_stamp: &'a str,
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
}

impl<'a> CredentialScope<'a> {
    /// A scope from its parts; region and service must be non-empty and made of
    /// `[A-Za-z0-9-._]`, the date stamp eight digits.
    pub fn new(
        date_stamp: &'a str,
        region: &'a str,
        service: &'a str,
    ) -> Result<Self, SigningError> {
        check_name("region", region)?;
        check_name("service", service)?;
        if date_stamp.len() != 8 || !date_stamp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SigningError::TimeOutOfRange);
        }
        Ok(Self {
            date_stamp,
            region,
            service,
        })
    }

    /// The date stamp, `YYYYMMDD`.
    pub fn date_stamp(&self) -> &'a str {
        self.date_stamp
    }

    /// The region.
    pub fn region(&self) -> &'a str {
        self.region
    }

    /// The service.
    pub fn service(&self) -> &'a str {
        self.service
    }

    pub(crate) fn write<S: Sink>(&self, sink: &mut S) {
        sink.put_str(self.date_stamp);
        sink.put_byte(b'/');
        sink.put_str(self.region);
        sink.put_byte(b'/');
        sink.put_str(self.service);
        sink.put_byte(b'/');
        sink.put_str(TERMINATOR);
    }

    /// The length of the scope as written.
    pub(crate) fn len(&self) -> usize {
        written_len(self.date_stamp.len(), self.region, self.service)
    }
}

/// The length of `date/region/service/aws4_request` with a date stamp of `date_len` bytes.
pub(crate) fn written_len(date_len: usize, region: &str, service: &str) -> usize {
    date_len + region.len() + service.len() + TERMINATOR.len() + 3
}

impl std::fmt::Display for CredentialScope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/{TERMINATOR}",
            self.date_stamp, self.region, self.service
        )
    }
}

/// Whether `value` can be a region or service name: letters, digits, `-`, `.` and `_`.
pub(crate) fn is_valid_name(value: &str) -> bool {
    // Every signature checks two names; a table and a fold without early exit keep that
    // to a few instructions a byte.
    const NAME: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_');
            b += 1;
        }
        table
    };
    !value.is_empty() && value.bytes().fold(true, |ok, b| ok & NAME[usize::from(b)])
}

pub(crate) fn check_name(part: &'static str, value: &str) -> Result<(), SigningError> {
    if is_valid_name(value) {
        Ok(())
    } else {
        Err(SigningError::InvalidScope {
            part,
            value: value.to_owned(),
        })
    }
}

/// Writes the string to sign:
/// `AWS4-HMAC-SHA256 \n amz-date \n scope \n hex(SHA-256(canonical request))`.
///
/// The scope's date stamp is the first eight bytes of `amz_date`.
pub(crate) fn write_string_to_sign<S: Sink>(
    sink: &mut S,
    amz_date: &[u8; 16],
    region: &str,
    service: &str,
    canonical_request_hash: &[u8; 32],
) {
    // Assembled on the stack and handed over in one piece: a MAC takes each piece through
    // its block buffer, which costs more than the copy. Only the region and the service
    // have lengths that vary.
    let (date_stamp, region, service) = (&amz_date[..8], region.as_bytes(), service.as_bytes());
    let mut buf = [0u8; 256];
    const A: usize = ALGORITHM.len();
    const T: usize = TERMINATOR.len();
    let len = A + 1 + 16 + 1 + 8 + 1 + region.len() + 1 + service.len() + 1 + T + 1 + 64;
    if len > buf.len() {
        // A scope with very long names.
        write_pieces(sink, amz_date, region, service, canonical_request_hash);
        return;
    }
    buf[..A].copy_from_slice(ALGORITHM.as_bytes());
    buf[A] = b'\n';
    buf[A + 1..A + 17].copy_from_slice(amz_date);
    buf[A + 17] = b'\n';
    buf[A + 18..A + 26].copy_from_slice(date_stamp);
    buf[A + 26] = b'/';
    let mut at = A + 27;
    for part in [region, service] {
        buf[at..at + part.len()].copy_from_slice(part);
        buf[at + part.len()] = b'/';
        at += part.len() + 1;
    }
    buf[at..at + T].copy_from_slice(TERMINATOR.as_bytes());
    buf[at + T] = b'\n';
    at += T + 1;
    buf[at..at + 64].copy_from_slice(&crate::hex::encode32(canonical_request_hash));
    sink.put(&buf[..at + 64]);
}

fn write_pieces<S: Sink>(
    sink: &mut S,
    amz_date: &[u8; 16],
    region: &[u8],
    service: &[u8],
    canonical_request_hash: &[u8; 32],
) {
    sink.put_str(ALGORITHM);
    sink.put_byte(b'\n');
    sink.put(amz_date);
    sink.put_byte(b'\n');
    for part in [&amz_date[..8], region, service] {
        sink.put(part);
        sink.put_byte(b'/');
    }
    sink.put_str(TERMINATOR);
    sink.put_byte(b'\n');
    sink.put(&crate::hex::encode32(canonical_request_hash));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_sign_of_any_length() {
        for region in ["us-east-1".to_owned(), "r".repeat(300)] {
            let mut text = Vec::new();
            write_string_to_sign(&mut text, b"20150830T123600Z", &region, "iam", &[0xab; 32]);
            let expected = format!(
                "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/{region}/iam/aws4_request\n{}",
                "ab".repeat(32)
            );
            assert_eq!(String::from_utf8(text).expect("ASCII"), expected);
        }
    }

    #[test]
    fn checks_names() {
        assert!(CredentialScope::new("20150830", "us-east-1", "execute-api").is_ok());
        assert!(CredentialScope::new("20150830", "", "s3").is_err());
        assert!(CredentialScope::new("20150830", "us/east", "s3").is_err());
        assert!(CredentialScope::new("20150830", "us-east-1", "s 3").is_err());
        assert!(CredentialScope::new("2015083", "us-east-1", "s3").is_err());
        let scope = CredentialScope::new("20150830", "us-east-1", "iam").expect("valid");
        assert_eq!(scope.to_string(), "20150830/us-east-1/iam/aws4_request");
        assert_eq!(scope.len(), scope.to_string().len());
        for b in 0..=255u8 {
            let name = [b'a', b];
            let valid = b.is_ascii_alphanumeric() || b"-._".contains(&b);
            let name = std::str::from_utf8(&name).ok();
            assert_eq!(name.is_some_and(is_valid_name), valid, "{b:#x}");
        }
    }
}
