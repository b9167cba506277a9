//! The same bits on every instruction set: each set this CPU runs, at
//! several thread counts, against the portable kernel on one thread, for
//! random and edge shapes, every transpose combination and α/β case.

use rand_mt::Mt;

use super::driver::{run_isa, Problem};
use super::element::Element;
use super::pack::Strided;
use super::tests_random::{edge_sizes, uniform};
use crate::isa::Isa;

/// One product on `isa` in a pool of `threads`, from `c0`.
#[allow(clippy::too_many_arguments)]
fn product<E: Element>(
    isa: Isa,
    threads: usize,
    (m, k, n): (usize, usize, usize),
    (ta, tb): (bool, bool),
    (alpha, beta): (E, E),
    a: &[E],
    b: &[E],
    c0: &[E],
) -> Vec<E> {
    assert!(isa.supported());
    assert!(a.len() == m * k && b.len() == k * n && c0.len() == m * n);
    // Stored row-major as given, read transposed through the strides.
    let view = |data: &[E], rows: usize, cols: usize, trans: bool| {
        let (rs, cs) = if trans { (1, rows) } else { (cols, 1) };
        Strided {
            ptr: data.as_ptr(),
            rs,
            cs,
        }
    };
    let pr = Problem {
        m,
        n,
        k,
        alpha,
        beta,
        a: view(a, m, k, ta),
        b: view(b, k, n, tb),
    };
    let mut c = c0.to_vec();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    // SAFETY: the views read m·k and k·n elements of buffers that long; C is
    // m·n and unique; this CPU runs `isa` (asserted above).
    pool.install(|| unsafe { run_isa(isa, pr, c.as_mut_ptr()) });
    c
}

/// The sets this CPU runs, with a notice for each it lacks.
fn sets() -> Vec<Isa> {
    for isa in Isa::ALL {
        if !isa.supported() {
            eprintln!("notice: this CPU lacks {isa}; its kernels are not tested here");
        }
    }
    Isa::available()
}

/// Random and edge shapes: every set and thread count gives the portable
/// kernel's bits.
fn same_bits<E: Element>(seed: u32, from: fn(f64) -> E, bits: fn(E) -> u64) {
    let mut rng = Mt::new(seed);
    let edges = edge_sizes::<E>();
    let scales = [
        (1.0, 0.0),
        (1.0, 1.0),
        (0.5, 0.25),
        (-2.0, 1.0),
        (0.75, -0.5),
    ];
    let mut shapes: Vec<(usize, usize, usize)> = vec![
        (1, 1, 1),
        (7, 300, 17),
        (13, 40, 33),
        (64, 513, 70),
        (100, 100, 100),
        (129, 257, 95),
        (128, 784, 64),
    ];
    for trial in 0..60 {
        let pick = |rng: &mut Mt| {
            if trial % 2 == 1 {
                edges[rng.next_u32() as usize % edges.len()]
            } else {
                1 + rng.next_u32() as usize % 70
            }
        };
        let s = (pick(&mut rng), pick(&mut rng), pick(&mut rng));
        if s.0 * s.1 * s.2 <= 2_000_000 {
            shapes.push(s);
        }
    }
    let sets = sets();
    for (t, &(m, k, n)) in shapes.iter().enumerate() {
        let (alpha, beta) = scales[t % scales.len()];
        let (alpha, beta) = (from(alpha), from(beta));
        let mut vals = |len: usize| {
            (0..len)
                .map(|_| from(uniform(&mut rng)))
                .collect::<Vec<E>>()
        };
        let (a, b, c0) = (vals(m * k), vals(k * n), vals(m * n));
        for flags in [(false, false), (true, false), (false, true), (true, true)] {
            let args = ((m, k, n), flags, (alpha, beta));
            let want = product(Isa::Scalar, 1, args.0, args.1, args.2, &a, &b, &c0);
            for &isa in &sets {
                for threads in [1, 2, 3] {
                    let got = product(isa, threads, args.0, args.1, args.2, &a, &b, &c0);
                    let same = got.iter().zip(&want).all(|(&x, &y)| bits(x) == bits(y));
                    assert!(
                        same,
                        "{m}x{k}x{n} {flags:?} on {isa} with {threads} threads differs from scalar"
                    );
                }
            }
        }
    }
}

#[test]
fn f32_same_bits_on_every_instruction_set_and_thread_count() {
    same_bits::<f32>(41, |x| x as f32, |x| x.to_bits().into());
}

#[test]
fn f64_same_bits_on_every_instruction_set_and_thread_count() {
    same_bits::<f64>(43, |x| x, f64::to_bits);
}

/// The public entry point follows [`crate::isa::with_isa`].
#[test]
fn gemm_follows_the_forced_set() {
    use super::{gemm, MatRef};
    let (m, k, n) = (67, 300, 45);
    let mut rng = Mt::new(47);
    let a: Vec<f32> = (0..m * k).map(|_| uniform(&mut rng) as f32).collect();
    let b: Vec<f32> = (0..k * n).map(|_| uniform(&mut rng) as f32).collect();
    let mut results = Vec::new();
    for isa in sets() {
        let mut c = vec![0.0f32; m * n];
        crate::isa::with_isa(isa, || {
            assert_eq!(crate::isa::current(), isa);
            gemm(
                1.0,
                MatRef::new(&a, m, k, false),
                MatRef::new(&b, k, n, false),
                0.0,
                &mut c,
            )
        })
        .unwrap();
        results.push(c.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}
