//! Reusable, 64-byte-aligned packing buffers kept in thread-locals.
//!
//! A buffer is taken out of its thread-local for the duration of its use and
//! put back afterwards, so a reentrant call on the same thread (rayon runs
//! other jobs while a thread waits in `join`) finds the slot empty and
//! allocates its own instead of aliasing or panicking.

use std::cell::Cell;
use std::thread::LocalKey;

/// One cache line of storage; the alignment is what we are after.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(super) struct Line([u8; 64]);

thread_local! {
    /// A packed partial row panel of A, for the task running on this thread.
    pub(super) static A_BUF: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
    /// The packed B panels of the task running on this thread.
    pub(super) static B_BUF: Cell<Vec<Line>> = const { Cell::new(Vec::new()) };
}

/// A buffer borrowed from a thread-local slot, returned on drop.
pub(super) struct Scratch {
    slot: &'static LocalKey<Cell<Vec<Line>>>,
    lines: Vec<Line>,
}

impl Scratch {
    /// Takes the buffer from `slot`, grown to at least `bytes` (allocating
    /// only when it is missing or too small).
    pub(super) fn take(slot: &'static LocalKey<Cell<Vec<Line>>>, bytes: usize) -> Scratch {
        let mut lines = slot.try_with(Cell::take).unwrap_or_default();
        let need = bytes.div_ceil(64);
        if lines.len() < need {
            drop(lines);
            lines = vec![Line([0; 64]); need];
        }
        Scratch { slot, lines }
    }

    /// The storage as elements of `E` (alignment 64 covers f32 and f64).
    pub(super) fn as_mut_ptr<E>(&mut self) -> *mut E {
        debug_assert!(core::mem::align_of::<E>() <= 64);
        self.lines.as_mut_ptr().cast()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let mine = core::mem::take(&mut self.lines);
        // Keep the larger of ours and one a reentrant call may have put back;
        // if the thread-local is already gone (thread exit), just free it.
        let _ = self.slot.try_with(|cell| {
            let other = cell.take();
            cell.set(if other.len() > mine.len() {
                other
            } else {
                mine
            });
        });
    }
}
