//! Integration tests of the library, one binary with a module per concern.

mod chunked;
mod credentials;
#[cfg(feature = "tower")]
mod layer;
mod official;
mod policy;
mod props;
mod sign;
mod verify;
