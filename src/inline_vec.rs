//! Vectors that keep their first `N` items on the stack: the headers and query parameters of
//! a request are few, and collecting them must not cost a heap allocation per request.

/// Up to `N` items inline, all of them on the heap once past `N`.
///
/// `smallvec` leaves the unused inline slots uninitialized, so making one costs nothing
/// however large `N` is; only past `N` items does it move them to the heap.
pub(crate) type InlineVec<T, const N: usize> = smallvec::SmallVec<[T; N]>;

/// [`InlineVec`] for the public types that borrow: covariant in `T`, as `Vec` is and
/// `SmallVec` is not, so that a `SignableRequest<'long>` is a `SignableRequest<'short>`.
/// The price is filling the `N` slots when it is made, a few stores for a small `T`.
#[derive(Clone)]
pub(crate) struct InlineList<T: Copy, const N: usize> {
    inline: [T; N],
    len: usize,
    spilled: Vec<T>,
}

impl<T: Copy, const N: usize> InlineList<T, N> {
    /// An empty list; `fill` only initializes the unused slots.
    #[inline]
    pub(crate) fn new(fill: T) -> Self {
        Self {
            inline: [fill; N],
            len: 0,
            spilled: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, item: T) {
        if self.spilled.is_empty() && self.len < N {
            self.inline[self.len] = item;
        } else {
            if self.spilled.is_empty() {
                self.spilled.reserve(N * 2);
                self.spilled.extend_from_slice(&self.inline);
            }
            self.spilled.push(item);
        }
        self.len += 1;
    }
}

impl<T: Copy, const N: usize> std::ops::Deref for InlineList<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        if self.spilled.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }
}

impl<T: Copy + std::fmt::Debug, const N: usize> std::fmt::Debug for InlineList<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_past_its_inline_size_keeping_order() {
        let mut v: InlineList<u32, 4> = InlineList::new(0);
        for i in 0..10 {
            v.push(i);
            assert_eq!(&*v, (0..=i).collect::<Vec<_>>().as_slice());
        }
        assert_eq!(v.len(), 10);
    }
}
