//! The trailing checksums S3 accepts with `aws-chunked` bodies.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// A checksum algorithm of S3's `x-amz-checksum-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC-32 (IEEE), `x-amz-checksum-crc32`.
    Crc32,
    /// CRC-32C (Castagnoli), `x-amz-checksum-crc32c`.
    Crc32c,
    /// SHA-1, `x-amz-checksum-sha1`.
    Sha1,
    /// SHA-256, `x-amz-checksum-sha256`.
    Sha256,
}

impl ChecksumAlgorithm {
    /// The trailing header that carries it.
    pub fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm a trailing header names (case-insensitive).
    pub fn from_header_name(name: &str) -> Option<Self> {
        [Self::Crc32, Self::Crc32c, Self::Sha1, Self::Sha256]
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name))
    }

    pub(crate) fn hasher(self) -> Checksum {
        match self {
            Self::Crc32 => Checksum::Crc32(crc32fast::Hasher::new()),
            Self::Crc32c => Checksum::Crc32c(0),
            Self::Sha1 => Checksum::Sha1(Sha1::new()),
            Self::Sha256 => Checksum::Sha256(Sha256::new()),
        }
    }
}

/// A running checksum.
#[derive(Clone)]
pub(crate) enum Checksum {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl std::fmt::Debug for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checksum")
    }
}

impl Checksum {
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc32(h) => h.update(data),
            Self::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            Self::Sha1(h) => h.update(data),
            Self::Sha256(h) => h.update(data),
        }
    }

    /// The value as S3 writes it: the big-endian digest in base64.
    pub(crate) fn finish(self) -> String {
        match self {
            Self::Crc32(h) => STANDARD.encode(h.finalize().to_be_bytes()),
            Self::Crc32c(crc) => STANDARD.encode(crc.to_be_bytes()),
            Self::Sha1(h) => STANDARD.encode(h.finalize()),
            Self::Sha256(h) => STANDARD.encode(h.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // "123456789": CRC-32 0xCBF43926, CRC-32C 0xE3069283.
        for (algorithm, want) in [
            (
                ChecksumAlgorithm::Crc32,
                STANDARD.encode(0xCBF4_3926u32.to_be_bytes()),
            ),
            (
                ChecksumAlgorithm::Crc32c,
                STANDARD.encode(0xE306_9283u32.to_be_bytes()),
            ),
            (
                ChecksumAlgorithm::Sha256,
                "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=".to_owned(),
            ),
            (
                ChecksumAlgorithm::Sha1,
                "98O8HYCOBHMq32eZZczDTKeuNEE=".to_owned(),
            ),
        ] {
            let mut h = algorithm.hasher();
            h.update(b"1234");
            h.update(b"56789");
            assert_eq!(h.finish(), want, "{algorithm:?}");
        }
        assert_eq!(
            ChecksumAlgorithm::from_header_name("X-Amz-Checksum-CRC32C"),
            Some(ChecksumAlgorithm::Crc32c)
        );
        assert_eq!(
            ChecksumAlgorithm::from_header_name("x-amz-checksum-md5"),
            None
        );
    }
}
