//! [`Collective`] over MPI (feature `mpi`): rsmpi over the system's MPI
//! library (Open MPI on Debian: `openmpi-bin`, `libopenmpi-dev`).
//!
//! The trainer calls MPI from a thread of rayon's pool, one call at a
//! time: [`init`] asks for `MPI_THREAD_SERIALIZED` and refuses less. Each
//! bucket's sum is a non-blocking `MPI_Iallreduce`; Open MPI makes no
//! progress on it in the background, so the backward sweep tests the
//! pending requests between nodes ([`BucketSink::poll`]).

use std::ops::Range;

use mpi::collective::SystemOperation;
use mpi::datatype::Equivalence;
use mpi::environment::Universe;
use mpi::request::{LocalScope, Request};
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};
use mpi::Threading;

use super::distributed::{BucketSink, Collective, DistError};
use crate::float::Float;

/// `MPI_COMM_WORLD` as a [`Collective`]. It holds no MPI handle (the world
/// communicator is named afresh for each call), so it may move to the
/// thread that trains.
#[derive(Clone, Copy, Debug)]
pub struct World {
    rank: usize,
    size: usize,
}

/// Starts MPI (`MPI_Init_thread` with `MPI_THREAD_SERIALIZED`); MPI ends
/// when the returned [`Universe`] is dropped.
pub fn init() -> Result<(Universe, World), DistError> {
    let (universe, level) = mpi::initialize_with_threading(Threading::Serialized)
        .ok_or_else(|| DistError::Comm("MPI was initialised already".into()))?;
    if !matches!(level, Threading::Serialized | Threading::Multiple) {
        return Err(DistError::Comm(format!(
            "this MPI library offers threading level {level:?}; training needs Serialized"
        )));
    }
    let world = universe.world();
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    Ok((universe, World { rank, size }))
}

impl World {
    /// Ends every rank's process at once (`MPI_Abort`) with exit `code`:
    /// what a rank does when it fails alone, so that the others do not wait
    /// for it forever.
    pub fn abort(&self, code: i32) -> ! {
        SimpleCommunicator::world().abort(code)
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl<T: Float + Equivalence> Collective<T> for World {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn sum_f64(&mut self, buf: &mut [f64]) -> Result<(), DistError> {
        let send = buf.to_vec();
        SimpleCommunicator::world().all_reduce_into(&send[..], buf, SystemOperation::sum());
        Ok(())
    }

    fn broadcast_u64(&mut self, buf: &mut [u64]) -> Result<(), DistError> {
        SimpleCommunicator::world()
            .process_at_rank(0)
            .broadcast_into(buf);
        Ok(())
    }

    fn sum_buckets(
        &mut self,
        send: &mut [T],
        out: &mut [T],
        buckets: &[Range<usize>],
        work: &mut dyn FnMut(&mut dyn BucketSink<T>),
    ) -> Result<(), DistError> {
        let (sends, outs) = (split(send, buckets), split(out, buckets));
        let world = SimpleCommunicator::world();
        mpi::request::scope(|scope| {
            let mut sink = Pending {
                scope,
                world: &world,
                sends,
                outs,
                requests: Vec::with_capacity(buckets.len()),
            };
            work(&mut sink);
            for b in 0..buckets.len() {
                if sink.sends[b].is_some() {
                    sink.start(b);
                }
            }
            for r in sink.requests.drain(..).flatten() {
                r.wait();
            }
        });
        Ok(())
    }
}

/// `buf` cut at the (ascending, adjacent) `ranges`.
fn split<'a, T>(mut buf: &'a mut [T], ranges: &[Range<usize>]) -> Vec<Option<&'a mut [T]>> {
    let mut at = 0;
    let mut parts = Vec::with_capacity(ranges.len());
    for r in ranges {
        let rest = std::mem::take(&mut buf);
        let (part, rest) = rest[r.start - at..].split_at_mut(r.len());
        parts.push(Some(part));
        buf = rest;
        at = r.end;
    }
    parts
}

/// The buckets of one step: the parts not yet started, and the requests
/// of those that were.
struct Pending<'a, 's, T: Equivalence> {
    scope: &'s LocalScope<'a>,
    world: &'a SimpleCommunicator,
    sends: Vec<Option<&'a mut [T]>>,
    outs: Vec<Option<&'a mut [T]>>,
    requests: Vec<Option<Request<'a, [T], &'s LocalScope<'a>>>>,
}

impl<'a, 's, T: Float + Equivalence> BucketSink<T> for Pending<'a, 's, T> {
    fn fill(&mut self, b: usize) -> &mut [T] {
        self.sends[b]
            .as_deref_mut()
            .unwrap_or_else(|| panic!("bucket {b} was started already"))
    }

    fn start(&mut self, b: usize) {
        let send: &'a [T] = self.sends[b].take().expect("a bucket starts once");
        let out = self.outs[b].take().expect("a bucket starts once");
        let request =
            self.world
                .immediate_all_reduce_into(self.scope, send, out, SystemOperation::sum());
        self.requests.push(Some(request));
    }

    fn poll(&mut self) {
        for slot in &mut self.requests {
            if let Some(r) = slot.take() {
                *slot = r.test().err();
            }
        }
    }
}
