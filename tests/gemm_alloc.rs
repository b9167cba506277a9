//! The GEMM allocates nothing in steady state: a counting global allocator
//! around the MLP-shape products and a 1024² product inside a 2-thread pool.
//! One test only, so nothing else allocates in this binary while it counts.

mod common;

use backprop::tensor::gemm::{gemm, MatRef};
use common::counting::count;

/// (m, k, n, A transposed, B transposed): the MLP 784-256-128-10 at batch
/// 128, forward x·Wᵀ, dW = Ḡᵀ·x, dX = Ḡ·W per layer, then 1024².
const CASES: [(usize, usize, usize, bool, bool); 10] = [
    (128, 784, 256, false, true),
    (256, 128, 784, true, false),
    (128, 256, 784, false, false),
    (128, 256, 128, false, true),
    (128, 128, 256, true, false),
    (128, 128, 256, false, false),
    (128, 128, 10, false, true),
    (10, 128, 128, true, false),
    (128, 10, 128, false, false),
    (1024, 1024, 1024, false, false),
];

#[test]
fn steady_state_gemm_allocates_nothing() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let mut bufs: Vec<(Vec<f32>, Vec<f32>, Vec<f32>)> = CASES
        .iter()
        .map(|&(m, k, n, ..)| {
            (
                (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect(),
                (0..k * n).map(|i| (i % 5) as f32 - 2.0).collect(),
                vec![0.0; m * n],
            )
        })
        .collect();
    let run_all = |bufs: &mut Vec<(Vec<f32>, Vec<f32>, Vec<f32>)>| {
        for (&(m, k, n, ta, tb), (a, b, c)) in CASES.iter().zip(bufs.iter_mut()) {
            let (ar, ac) = if ta { (k, m) } else { (m, k) };
            let (br, bc) = if tb { (n, k) } else { (k, n) };
            gemm(
                1.0,
                MatRef::new(a, ar, ac, ta),
                MatRef::new(b, br, bc, tb),
                0.5,
                c,
            );
        }
    };
    let counted = pool.install(|| {
        // Warm up: every thread grows its packing buffers to their size.
        for _ in 0..20 {
            run_all(&mut bufs);
        }
        count(|| {
            for _ in 0..20 {
                run_all(&mut bufs);
            }
        })
    });
    assert_eq!(counted, 0, "allocations during steady-state GEMMs");
}
