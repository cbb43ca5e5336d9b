//! Integration tests of the library, one binary with a module per concern.

mod chunked;
mod credentials;
mod official;
mod policy;
mod props;
mod sign;
mod verify;
