//! Epoch orders and mini-batches.
//!
//! The shuffle is our own, not NumPy's: a Fisher–Yates pass driven by an
//! MT19937 whose key is `(seed, epoch)` (MT's `init_by_array` with the four
//! 32-bit halves). Epoch `k`'s order therefore depends on `(seed, k)` only, so
//! a run resumed from a checkpoint at epoch `k` sees exactly the orders it
//! would have seen, without saving any generator state.

use rand_mt::Mt;

/// An MT19937 keyed by a list of 64-bit words (each split into its two 32-bit halves).
pub(crate) fn keyed_mt(words: &[u64]) -> Mt {
    let key: Vec<u32> = words
        .iter()
        .flat_map(|&w| [w as u32, (w >> 32) as u32])
        .collect();
    Mt::new_with_key(key)
}

/// A uniform integer in `0..bound` (`bound ≥ 1`), unbiased by rejection.
pub(crate) fn below(mt: &mut Mt, bound: usize) -> usize {
    let bound = bound as u64;
    if bound <= 1 {
        return 0;
    }
    if bound <= 1 << 32 {
        // Accept draws below the largest multiple of `bound` that fits in 2³².
        let limit = (1u64 << 32) - (1u64 << 32) % bound;
        loop {
            let r = u64::from(mt.next_u32());
            if r < limit {
                return (r % bound) as usize;
            }
        }
    }
    let limit = u64::MAX - u64::MAX % bound;
    loop {
        let r = mt.next_u64();
        if r < limit {
            return (r % bound) as usize;
        }
    }
}

/// Shuffles `items` in place (Fisher–Yates, from the back).
pub(crate) fn shuffle<E>(mt: &mut Mt, items: &mut [E]) {
    for i in (1..items.len()).rev() {
        let j = below(mt, i + 1);
        items.swap(i, j);
    }
}

/// The row order of one epoch: `0..n`, or a deterministic shuffle of it.
///
/// The shuffle depends only on `(seed, epoch)`: the same pair always gives the
/// same permutation, another epoch gives another one. `out` is cleared and
/// refilled; it does not reallocate once it has room for `n` rows.
///
/// ```
/// use backprop::data::epoch_order;
/// let (mut a, mut b) = (Vec::new(), Vec::new());
/// epoch_order(10, 7, 3, true, &mut a);
/// epoch_order(10, 7, 3, true, &mut b);
/// assert_eq!(a, b);
/// epoch_order(4, 7, 3, false, &mut a);
/// assert_eq!(a, [0, 1, 2, 3]);
/// ```
pub fn epoch_order(n: usize, seed: u64, epoch: u64, shuffle: bool, out: &mut Vec<usize>) {
    out.clear();
    out.extend(0..n);
    if shuffle {
        let mut mt = keyed_mt(&[seed, epoch]);
        self::shuffle(&mut mt, out);
    }
}

/// The batches of an order: consecutive chunks of `batch` rows, the last
/// (partial) chunk kept. `batch == 0` means one batch holding the whole order.
///
/// ```
/// use backprop::data::batches;
/// let order = [4, 2, 0, 1, 3];
/// let b: Vec<&[usize]> = batches(&order, 2).collect();
/// assert_eq!(b, [&[4, 2][..], &[0, 1], &[3]]);
/// ```
pub fn batches(order: &[usize], batch: usize) -> impl Iterator<Item = &[usize]> {
    let size = if batch == 0 { order.len() } else { batch };
    order.chunks(size.max(1))
}
