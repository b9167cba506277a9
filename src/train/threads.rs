//! When the pool's threads pay: a per-batch choice between matrix products
//! spread over the pool and products kept on the training thread, made by
//! timing both as training goes.
//!
//! On an idle machine two threads win (an MLP batch takes about 0.6× the time
//! of one thread). On a shared one they may not: a product split between two
//! threads waits for the slower one, and a thread that the scheduler has just
//! set aside for another process holds its part for a whole time slice
//! (milliseconds, against a product's tens of microseconds). Beside one busy
//! process, one thread then trains faster than two. The choice never changes
//! a result: every product gives the same bits on any number of threads.

use std::time::Duration;

/// Batches between two probes of the mode not in use.
const PROBE_EVERY: u64 = 128;
/// Weight of a new batch time in a mode's running estimate.
const SMOOTHING: f64 = 0.3;

/// The running choice (see the [module docs](self)).
#[derive(Clone, Debug)]
pub(crate) struct ThreadPolicy {
    /// The pool has more than one thread (otherwise there is nothing to choose).
    active: bool,
    /// Estimated seconds per sample: `[serial, parallel]`.
    estimate: [Option<f64>; 2],
    /// Batches timed so far.
    batches: u64,
    /// Batches run with parallel products.
    parallel_batches: u64,
}

impl ThreadPolicy {
    /// A policy for a pool of `threads` threads.
    pub(crate) fn new(threads: usize) -> Self {
        ThreadPolicy {
            active: threads > 1,
            estimate: [None, None],
            batches: 0,
            parallel_batches: 0,
        }
    }

    /// Whether the next batch should spread its products over the pool.
    pub(crate) fn parallel(&self) -> bool {
        if !self.active {
            return true;
        }
        match self.estimate {
            // The first batches: parallel (warm-up, then timed), then serial.
            [_, None] => true,
            [None, _] => false,
            [Some(s), Some(p)] => {
                let best = p <= s;
                // Now and then, one batch of the other mode, to notice change.
                if self.batches % PROBE_EVERY == PROBE_EVERY - 1 {
                    !best
                } else {
                    best
                }
            }
        }
    }

    /// Records the time of a batch of `samples` rows run in mode `parallel`.
    /// The very first batch (allocations, cold caches) is not counted.
    pub(crate) fn record(&mut self, parallel: bool, samples: usize, took: Duration) {
        self.parallel_batches += u64::from(parallel);
        self.batches += 1;
        if !self.active || self.batches == 1 || samples == 0 {
            return;
        }
        let x = took.as_secs_f64() / samples as f64;
        // A batch of the mode in use refines its estimate; a probe of the
        // other mode replaces that mode's stale one (a wrong probe is undone
        // by the next few batches of the mode it picks).
        let in_use = match self.estimate {
            [Some(s), Some(p)] => p <= s,
            _ => parallel,
        };
        let e = &mut self.estimate[usize::from(parallel)];
        *e = Some(match *e {
            Some(old) if parallel == in_use => old + SMOOTHING * (x - old),
            _ => x,
        });
    }

    /// Batches run so far with parallel products, and in all.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.parallel_batches, self.batches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: f64) -> Duration {
        Duration::from_secs_f64(x / 1000.0)
    }

    /// Feeds `n` batches whose time depends on the mode, returns the share run parallel.
    fn run(policy: &mut ThreadPolicy, n: u64, serial_ms: f64, parallel_ms: f64) -> f64 {
        let before = policy.counts();
        for _ in 0..n {
            let p = policy.parallel();
            policy.record(p, 128, ms(if p { parallel_ms } else { serial_ms }));
        }
        let after = policy.counts();
        (after.0 - before.0) as f64 / (after.1 - before.1) as f64
    }

    #[test]
    fn picks_the_faster_mode_and_follows_a_change() {
        let mut policy = ThreadPolicy::new(2);
        // Idle: parallel is faster; serial is only probed.
        let share = run(&mut policy, 640, 1.7, 1.0);
        assert!(share > 0.97, "{share}");
        // Another process starts: parallel now loses.
        let share = run(&mut policy, 640, 1.8, 2.6);
        assert!(share < 0.05, "{share}");
        // It stops again: the next probe of parallel mode (at most
        // PROBE_EVERY batches away) switches back.
        let share = run(&mut policy, PROBE_EVERY, 1.7, 1.0);
        assert!(share > 0.0, "{share}");
        let share = run(&mut policy, 640, 1.7, 1.0);
        assert!(share > 0.97, "{share}");
    }

    #[test]
    fn one_thread_is_always_parallel_mode_and_ignores_times() {
        let mut policy = ThreadPolicy::new(1);
        assert_eq!(run(&mut policy, 100, 1.0, 5.0), 1.0);
    }
}
