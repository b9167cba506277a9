//! The kernel against a product by definition (in f64) on seeded random
//! shapes, with edge sizes around the micro-tile and blocking boundaries.

use super::element::Element;
use super::{gemm, MatRef};
use crate::float::Float;
use rand_mt::Mt;

/// A uniform value in `[-1, 1)`.
pub(super) fn uniform(rng: &mut Mt) -> f64 {
    rng.next_u32() as f64 / 2_147_483_648.0 - 1.0
}

/// Sizes worth hitting for `E`: tiny ones and ±1 around every instruction
/// set's MR, NR and MC, and around KC.
pub(super) fn edge_sizes<E: Element>() -> Vec<usize> {
    let mut v = vec![1, 2, 3];
    let mut bounds = vec![E::KC];
    for isa in crate::isa::Isa::ALL {
        let mi = E::micro(isa);
        bounds.extend([mi.mr, 2 * mi.mr, mi.nr, 2 * mi.nr, mi.mc]);
    }
    bounds.sort_unstable();
    bounds.dedup();
    for b in bounds {
        v.extend([b - 1, b, b + 1]);
    }
    v
}

/// Checks one product of shape `m×k·k×n` in every transpose combination.
fn check<T: Float>(rng: &mut Mt, m: usize, k: usize, n: usize, alpha: f64, beta: f64, tol: f64) {
    let a: Vec<f64> = (0..m * k).map(|_| uniform(rng)).collect();
    let b: Vec<f64> = (0..k * n).map(|_| uniform(rng)).collect();
    let c0: Vec<f64> = (0..m * n).map(|_| uniform(rng)).collect();
    let (at, bt) = (T::from_f64, T::from_f64);
    // Inputs as T, and their values back in f64 for the reference.
    let a_t: Vec<T> = a.iter().map(|&x| at(x)).collect();
    let b_t: Vec<T> = b.iter().map(|&x| bt(x)).collect();
    let c_t: Vec<T> = c0.iter().map(|&x| T::from_f64(x)).collect();
    let a64: Vec<f64> = a_t.iter().map(|x| x.as_f64()).collect();
    let b64: Vec<f64> = b_t.iter().map(|x| x.as_f64()).collect();
    let c64: Vec<f64> = c_t.iter().map(|x| x.as_f64()).collect();
    let a_tr: Vec<T> = (0..m * k).map(|ji| a_t[(ji % m) * k + ji / m]).collect();
    let b_tr: Vec<T> = (0..k * n).map(|ji| b_t[(ji % k) * n + ji / k]).collect();
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let ar = if ta {
            MatRef::new(&a_tr[..], k, m, true)
        } else {
            MatRef::new(&a_t[..], m, k, false)
        };
        let br = if tb {
            MatRef::new(&b_tr[..], n, k, true)
        } else {
            MatRef::new(&b_t[..], k, n, false)
        };
        let mut c = c_t.clone();
        gemm(T::from_f64(alpha), ar, br, T::from_f64(beta), &mut c);
        for i in 0..m {
            for j in 0..n {
                let (mut dot, mut mag) = (0.0, 0.0);
                for p in 0..k {
                    let x = a64[i * k + p] * b64[p * n + j];
                    dot += x;
                    mag += x.abs();
                }
                let old = c64[i * n + j];
                let want = alpha * dot + beta * old;
                let bound = tol * (alpha.abs() * mag + (beta * old).abs()) + 1e-300;
                let got = c[i * n + j].as_f64();
                assert!(
                    (got - want).abs() <= bound,
                    "{m}x{k}x{n} ta={ta} tb={tb} α={alpha} β={beta} ({i},{j}): {got} vs {want}"
                );
            }
        }
    }
}

const SCALES: [(f64, f64); 9] = [
    (1.0, 0.0),
    (1.0, 1.0),
    (1.0, 0.25),
    (0.5, 0.0),
    (0.5, 1.0),
    (0.5, 0.25),
    (-2.0, 0.0),
    (-2.0, 1.0),
    (-2.0, 0.25),
];

/// Random shapes over 1..=40 plus edge sizes, for one element type.
fn random_shapes<T: Float + Element>(seed: u32, tol_per_k: f64) {
    let mut rng = Mt::new(seed);
    let edges = edge_sizes::<T>();
    for trial in 0..400 {
        let pick = |rng: &mut Mt| {
            if trial % 4 == 3 {
                edges[rng.next_u32() as usize % edges.len()]
            } else {
                1 + rng.next_u32() as usize % 40
            }
        };
        let (m, k, n) = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
        // Keep the by-definition reference affordable.
        if m * k * n > 400_000 {
            continue;
        }
        let (alpha, beta) = SCALES[trial % SCALES.len()];
        check::<T>(&mut rng, m, k, n, alpha, beta, tol_per_k * (k as f64 + 4.0));
    }
}

#[test]
fn f64_random_shapes_agree_with_definition() {
    random_shapes::<f64>(7, 1e-15);
}

#[test]
fn f32_random_shapes_agree_with_definition() {
    random_shapes::<f32>(11, 3e-7);
}

#[test]
fn every_size_up_to_40_for_one_depth() {
    let mut rng = Mt::new(3);
    for m in 1..=40 {
        for n in 1..=40 {
            check::<f32>(&mut rng, m, 40, n, 1.0, 0.25, 3e-7 * 44.0);
            check::<f64>(&mut rng, m, 40, n, -2.0, 1.0, 1e-15 * 44.0);
        }
    }
}

#[test]
fn depth_boundaries_both_types() {
    let mut rng = Mt::new(5);
    for k in [1, 255, 256, 257, 511, 512, 513, 784] {
        check::<f32>(&mut rng, 13, k, 17, 0.5, 1.0, 3e-7 * (k as f64 + 4.0));
        check::<f64>(&mut rng, 7, k, 9, 1.0, 0.0, 1e-15 * (k as f64 + 4.0));
    }
}

#[test]
fn beta_zero_overwrites_nan() {
    for (m, k, n) in [(2, 3, 2), (50, 60, 70)] {
        let a = vec![1.0f32; m * k];
        let b = vec![1.0f32; k * n];
        let mut c = vec![f32::NAN; m * n];
        gemm(
            1.0,
            MatRef::new(&a, m, k, false),
            MatRef::new(&b, k, n, false),
            0.0,
            &mut c,
        );
        assert!(c.iter().all(|&x| x == k as f32));
    }
}
