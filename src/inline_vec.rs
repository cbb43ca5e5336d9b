//! A vector that keeps its first `N` items on the stack: the headers and query parameters of
//! a request are few, and collecting them must not cost a heap allocation per request.
//!
//! `smallvec` leaves the unused inline slots uninitialized, so making one costs nothing
//! however large `N` is; only past `N` items does it move them to the heap.

/// Up to `N` items inline, all of them on the heap once past `N`.
pub(crate) type InlineVec<T, const N: usize> = smallvec::SmallVec<[T; N]>;
