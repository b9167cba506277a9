//! Our GEMM against the `gemm` crate (0.19) on larger shapes, and bitwise
//! reproducibility across rayon thread counts.

use backprop::tensor::gemm::{gemm, MatRef};
use rand_mt::Mt;

/// (m, k, n): squares, the MLP 784-256-128-10 products at batch 128, and odd sizes.
const SHAPES: [(usize, usize, usize); 16] = [
    (128, 784, 256),
    (256, 128, 784),
    (128, 256, 784),
    (128, 256, 128),
    (128, 128, 256),
    (128, 128, 10),
    (10, 128, 128),
    (128, 10, 128),
    (256, 256, 256),
    (512, 512, 512),
    (97, 1000, 131),
    (300, 513, 77),
    (1, 2000, 300),
    (300, 2000, 1),
    (145, 257, 145),
    (7, 3000, 33),
];

fn values(rng: &mut Mt, len: usize) -> Vec<f64> {
    (0..len)
        .map(|_| rng.next_u32() as f64 / 2_147_483_648.0 - 1.0)
        .collect()
}

/// Operands as stored for a transpose flag: `(data, stored rows, stored cols)`.
fn stored<T: Copy>(x: &[T], r: usize, c: usize, trans: bool) -> (Vec<T>, usize, usize) {
    if trans {
        (
            (0..r * c).map(|ji| x[(ji % r) * c + ji / r]).collect(),
            c,
            r,
        )
    } else {
        (x.to_vec(), r, c)
    }
}

/// The `gemm` crate: `C ← α·op(A)·op(B) + β·C`.
#[allow(clippy::too_many_arguments)]
fn crate_gemm<T: 'static + Copy + num_traits::Zero + PartialEq>(
    m: usize,
    k: usize,
    n: usize,
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: &mut [T],
) {
    let strides = |x: &MatRef<'_, T>| {
        if x.trans() {
            (1, x.stored().1 as isize)
        } else {
            (x.stored().1 as isize, 1)
        }
    };
    let ((rsa, csa), (rsb, csb)) = (strides(&a), strides(&b));
    // SAFETY: lengths match the shapes; `c` is unique.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            beta != T::zero(),
            a.data().as_ptr(),
            csa,
            rsa,
            b.data().as_ptr(),
            csb,
            rsb,
            beta,
            alpha,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

macro_rules! against_crate {
    ($name:ident, $t:ty, $tol:expr) => {
        #[test]
        fn $name() {
            let mut rng = Mt::new(17);
            for (s, &(m, k, n)) in SHAPES.iter().enumerate() {
                let a: Vec<$t> = values(&mut rng, m * k).iter().map(|&x| x as $t).collect();
                let b: Vec<$t> = values(&mut rng, k * n).iter().map(|&x| x as $t).collect();
                let c0: Vec<$t> = values(&mut rng, m * n).iter().map(|&x| x as $t).collect();
                let (ta, tb) = (s % 2 == 1, s % 4 >= 2);
                let (alpha, beta) = [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)][s % 3];
                let (sa, ar, ac) = stored(&a, m, k, ta);
                let (sb, br, bc) = stored(&b, k, n, tb);
                let (ma, mb) = (
                    MatRef::new(&sa[..], ar, ac, ta),
                    MatRef::new(&sb[..], br, bc, tb),
                );
                let mut ours = c0.clone();
                gemm(alpha, ma, mb, beta, &mut ours);
                let mut theirs = c0.clone();
                crate_gemm(m, k, n, alpha, ma, mb, beta, &mut theirs);
                let scale = (k as $t).sqrt() * 2.0 + 1.0;
                for (x, y) in ours.iter().zip(&theirs) {
                    assert!(
                        (x - y).abs() <= $tol * (k as $t) * scale,
                        "{m}x{k}x{n} ta={ta} tb={tb}: {x} vs {y}"
                    );
                }
            }
        }
    };
}

against_crate!(f32_agrees_with_gemm_crate, f32, 2e-7);
against_crate!(f64_agrees_with_gemm_crate, f64, 4e-16);

/// Every shape, every transpose combination, in a pool of `threads`.
fn run_all<T: backprop::Float>(threads: usize) -> Vec<Vec<T>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let mut rng = Mt::new(23);
        let mut out = Vec::new();
        for &(m, k, n) in SHAPES.iter().chain(&[(1024, 1024, 1024)]) {
            let a: Vec<T> = values(&mut rng, m * k)
                .iter()
                .map(|&x| T::from_f64(x))
                .collect();
            let b: Vec<T> = values(&mut rng, k * n)
                .iter()
                .map(|&x| T::from_f64(x))
                .collect();
            let c0: Vec<T> = values(&mut rng, m * n)
                .iter()
                .map(|&x| T::from_f64(x))
                .collect();
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let (sa, ar, ac) = stored(&a, m, k, ta);
                let (sb, br, bc) = stored(&b, k, n, tb);
                let mut c = c0.clone();
                gemm(
                    T::from_f64(0.5),
                    MatRef::new(&sa[..], ar, ac, ta),
                    MatRef::new(&sb[..], br, bc, tb),
                    T::from_f64(0.25),
                    &mut c,
                );
                out.push(c);
            }
        }
        out
    })
}

fn bits_equal<T: backprop::Float>() {
    let one = run_all::<T>(1);
    for threads in [2, 3] {
        let many = run_all::<T>(threads);
        for (i, (x, y)) in one.iter().zip(&many).enumerate() {
            let same = x
                .iter()
                .zip(y)
                .all(|(p, q)| p.as_f64().to_bits() == q.as_f64().to_bits());
            assert!(same, "product {i} differs between 1 and {threads} threads");
        }
    }
}

#[test]
fn f32_bitwise_identical_across_thread_counts() {
    bits_equal::<f32>();
}

#[test]
fn f64_bitwise_identical_across_thread_counts() {
    bits_equal::<f64>();
}

/// The trainer may keep products on its own thread or spread them over the
/// pool, batch by batch; the trained weights are the same bits either way.
#[test]
fn training_gives_the_same_bits_with_serial_or_parallel_products() {
    use backprop::data::{Dataset, LoadOptions};
    use backprop::nn::{Activation, Init, Loss, Mlp};
    use backprop::optim::{OptimConfig, OptimKind, Optimizer};
    use backprop::tensor::gemm::with_parallelism;
    use backprop::train::{LoopOptions, Trainer};
    let mnist = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/mnist-10k-images-idx3-ubyte.gz"
    );
    let data = Dataset::load(mnist, &LoadOptions::default()).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let train = |parallel: bool| {
        pool.install(|| {
            let model =
                Mlp::<f32>::new(&[784, 256, 128, 10], Activation::Relu, true, Init::Torch, 3)
                    .unwrap();
            let opts = LoopOptions {
                loss: Loss::CrossEntropy,
                batch_size: 128,
                shuffle: false,
                seed: 0,
            };
            let optim = Optimizer::new(OptimConfig::new(OptimKind::Adam, 1e-3));
            let mut trainer = Trainer::new(model, optim, opts, None);
            let mut norms = vec![0.0; 3];
            for b in 0..5 {
                let idx: Vec<usize> = (b * 128..(b + 1) * 128).collect();
                with_parallelism(parallel, || trainer.train_batch(&data, &idx, &mut norms))
                    .unwrap();
            }
            trainer
                .model
                .named_params()
                .into_iter()
                .flat_map(|(_, t)| t.data().iter().map(|v| v.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<u32>>()
        })
    };
    assert_eq!(train(false), train(true));
}
