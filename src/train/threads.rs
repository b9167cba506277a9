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

/// Batches not timed at the start (allocations, cold caches, thread start-up).
const WARMUP: u64 = 4;
/// Batches of each mode timed, alternately, before the first choice.
const TRIALS: u64 = 4;
/// Every `PROBE_EVERY` batches, the last `PROBE_LEN` run in the other mode.
/// A probe is several batches because on a busy machine single batch times
/// scatter widely, and more so for the parallel mode (a descheduled thread
/// stalls a whole product): one lucky batch must not decide.
const PROBE_EVERY: u64 = 256;
const PROBE_LEN: u64 = 4;
/// Weight of a new batch time in the running estimate of the mode in use.
const SMOOTHING: f64 = 0.1;
/// The other mode must be this much faster to be switched to.
const MARGIN: f64 = 0.9;

/// The running choice (see the [module docs](self)).
#[derive(Clone, Debug)]
pub(crate) struct ThreadPolicy {
    /// The pool has more than one thread (otherwise there is nothing to choose).
    active: bool,
    /// The mode in use: products spread over the pool.
    parallel: bool,
    /// Estimated seconds per sample: `[serial, parallel]`.
    estimate: [f64; 2],
    /// Sums and counts of the trial or probe batches under way: `[serial, parallel]`.
    sums: [(f64, u64); 2],
    /// Batches seen so far.
    batches: u64,
    /// Batches run with parallel products.
    parallel_batches: u64,
}

impl ThreadPolicy {
    /// A policy for a pool of `threads` threads.
    pub(crate) fn new(threads: usize) -> Self {
        ThreadPolicy {
            active: threads > 1,
            parallel: true,
            estimate: [0.0; 2],
            sums: [(0.0, 0); 2],
            batches: 0,
            parallel_batches: 0,
        }
    }

    /// Whether the next batch should spread its products over the pool.
    pub(crate) fn parallel(&self) -> bool {
        let b = self.batches;
        if !self.active || b < WARMUP {
            true
        } else if b < WARMUP + 2 * TRIALS {
            // The trials: parallel and serial alternately.
            (b - WARMUP).is_multiple_of(2)
        } else if b % PROBE_EVERY >= PROBE_EVERY - PROBE_LEN {
            // The probe: a few batches of the other mode, to notice a change.
            !self.parallel
        } else {
            self.parallel
        }
    }

    /// Records the time of a batch of `samples` rows run in mode `parallel`.
    pub(crate) fn record(&mut self, parallel: bool, samples: usize, took: Duration) {
        self.parallel_batches += u64::from(parallel);
        let b = self.batches;
        self.batches += 1;
        if !self.active || b < WARMUP || samples == 0 {
            return;
        }
        let x = took.as_secs_f64() / samples as f64;
        let mode = usize::from(parallel);
        let trial = b < WARMUP + 2 * TRIALS;
        if !trial && parallel == self.parallel {
            let e = &mut self.estimate[mode];
            *e += SMOOTHING * (x - *e);
            // The mode in use got slower than the other's last probe: switch.
            if self.estimate[1 - mode] < MARGIN * self.estimate[mode] {
                self.parallel = !parallel;
            }
            return;
        }
        let (sum, n) = &mut self.sums[mode];
        *sum += x;
        *n += 1;
        if trial && b == WARMUP + 2 * TRIALS - 1 {
            // The first choice: serial only if clearly faster (parallel is the default).
            let mean = |(sum, n): (f64, u64)| sum / n.max(1) as f64;
            self.estimate = [mean(self.sums[0]), mean(self.sums[1])];
            self.sums = [(0.0, 0); 2];
            self.parallel = self.estimate[0] >= MARGIN * self.estimate[1];
        } else if !trial && *n == PROBE_LEN {
            // A finished probe: its mean replaces the other mode's estimate.
            self.estimate[mode] = *sum / PROBE_LEN as f64;
            self.sums[mode] = (0.0, 0);
            let current = self.estimate[usize::from(self.parallel)];
            if self.estimate[mode] < MARGIN * current {
                self.parallel = parallel;
            }
        }
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
        let share = run(&mut policy, 1280, 1.7, 1.0);
        assert!(share > 0.97, "{share}");
        // Another process starts: parallel now loses.
        let share = run(&mut policy, 640, 1.8, 2.6);
        assert!(share < 0.05, "{share}");
        // It stops again: a few probes of parallel mode switch back.
        let share = run(&mut policy, 2 * PROBE_EVERY, 1.7, 1.0);
        assert!(share > 0.0, "{share}");
        let share = run(&mut policy, 1280, 1.7, 1.0);
        assert!(share > 0.97, "{share}");
    }

    #[test]
    fn one_thread_is_always_parallel_mode_and_ignores_times() {
        let mut policy = ThreadPolicy::new(1);
        assert_eq!(run(&mut policy, 100, 1.0, 5.0), 1.0);
    }

    #[test]
    fn noise_within_the_margin_does_not_flip_the_choice() {
        let mut policy = ThreadPolicy::new(2);
        // Parallel 1.0 ms, serial 1.6 ms, each batch ±5% at random-looking steps.
        let mut seen_serial = 0;
        for i in 0..2000u64 {
            let p = policy.parallel();
            let jitter = 1.0 + 0.05 * (((i * 7919) % 21) as f64 / 10.0 - 1.0);
            policy.record(p, 128, ms(if p { 1.0 } else { 1.6 } * jitter));
            seen_serial += u64::from(!p);
        }
        // Only the trials and the probes.
        assert!(
            seen_serial <= TRIALS + PROBE_LEN * (2000 / PROBE_EVERY),
            "{seen_serial}"
        );
    }
}
