//! Every differentiable op against central finite differences in f64, on random
//! shapes (proptest), broadcasting cases and reused inputs; and its forward-mode
//! rule (JVP) against its reverse-mode rule (VJP) by ⟨v, J·u⟩ = ⟨Jᵀ·v, u⟩.

use backprop::check::{gradcheck, jvp_vjp_identity, GradcheckOptions};
use backprop::{Tape, Tensor, Var};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Axis lengths: rank in `ranks`, each axis 1..=4.
fn dims(ranks: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, ranks)
}

fn tensor_of(d: Vec<usize>, lo: f64, hi: f64) -> impl Strategy<Value = Tensor<f64>> {
    let n = d.iter().product::<usize>();
    prop::collection::vec(lo..hi, n).prop_map(move |v| Tensor::from_vec(v, &d).unwrap())
}

fn tensor(
    ranks: std::ops::RangeInclusive<usize>,
    lo: f64,
    hi: f64,
) -> impl Strategy<Value = Tensor<f64>> {
    dims(ranks).prop_flat_map(move |d| tensor_of(d, lo, hi))
}

/// Values in ±[0.1, 2]: away from the kinks of relu, abs, leaky_relu.
fn away_from_zero(t: Tensor<f64>) -> Tensor<f64> {
    let mut t = t;
    for x in t.data_mut() {
        *x = x.signum() * (0.1 + x.abs());
    }
    t
}

/// A shape that broadcasts to `d`: some leading axes dropped, some axes set to 1.
fn broadcast_source(d: Vec<usize>) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    let r = d.len();
    (0..=r, prop::collection::vec(any::<bool>(), r)).prop_map(move |(drop, ones)| {
        let src = d[drop..]
            .iter()
            .zip(&ones[drop..])
            .map(|(&n, &one)| if one { 1 } else { n })
            .collect();
        (d.clone(), src)
    })
}

fn check(
    f: impl for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> backprop::Result<Var<'t, f64>>,
    inputs: &[Tensor<f64>],
) -> Result<(), TestCaseError> {
    jvp_vjp_identity(&f, inputs, 3).map_err(|e| TestCaseError::fail(e.to_string()))?;
    gradcheck(f, inputs, &GradcheckOptions::default())
        .map(|_| ())
        .map_err(|e| TestCaseError::fail(e.to_string()))
}

macro_rules! unary_checks {
    ($($name:ident: $lo:expr, $hi:expr, $prep:expr, |$x:ident| $body:expr;)*) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $name(t in tensor(0..=3, $lo, $hi)) {
                    let t = $prep(t);
                    check(|_, v| { let $x = v[0]; Ok($body) }, &[t])?;
                }
            )*
        }
    };
}

fn same(t: Tensor<f64>) -> Tensor<f64> {
    t
}

unary_checks! {
    neg: -3.0, 3.0, same, |x| x.neg();
    exp: -3.0, 3.0, same, |x| x.exp();
    log: 0.2, 3.0, same, |x| x.log();
    sqrt: 0.2, 3.0, same, |x| x.sqrt();
    abs: -2.0, 2.0, away_from_zero, |x| x.abs();
    powf_cube: -2.0, 2.0, same, |x| x.powf(3.0);
    powf_fractional: 0.2, 3.0, same, |x| x.powf(-1.5);
    sigmoid: -6.0, 6.0, same, |x| x.sigmoid();
    tanh: -3.0, 3.0, same, |x| x.tanh();
    relu: -2.0, 2.0, away_from_zero, |x| x.relu();
    leaky_relu: -2.0, 2.0, away_from_zero, |x| x.leaky_relu();
    gelu: -4.0, 4.0, same, |x| x.gelu();
    softplus: -8.0, 8.0, same, |x| x.softplus();
    add_scalar: -3.0, 3.0, same, |x| x.add_scalar(1.5);
    sub_scalar: -3.0, 3.0, same, |x| x.sub_scalar(1.5);
    rsub_scalar: -3.0, 3.0, same, |x| x.rsub_scalar(1.0);
    mul_scalar: -3.0, 3.0, same, |x| x.mul_scalar(-2.5);
    div_scalar: -3.0, 3.0, same, |x| x.div_scalar(4.0);
    rdiv_scalar: 0.3, 3.0, same, |x| x.rdiv_scalar(2.0);
    sum_all: -3.0, 3.0, same, |x| x.sum();
    mean_all: -3.0, 3.0, same, |x| x.mean();
    reused_mul: -3.0, 3.0, same, |x| x.mul(x)?;
    reused_add: -3.0, 3.0, same, |x| x.add(x)?;
    reused_chain: -2.0, 2.0, same, |x| x.sigmoid().mul(x)?.add(x.tanh())?;
    operators: -2.0, 2.0, away_from_zero, |x| ((x * x + x)? / x - x)?;
    scalar_operators: 0.3, 3.0, same, |x| ((2.0 * x + 1.0) / 3.0 - (1.5 / x - 0.5))?;
    negation: -3.0, 3.0, same, |x| (-x * x)?;
}

fn binary_pair(lo: f64, hi: f64) -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>)> {
    dims(0..=3)
        .prop_flat_map(broadcast_source)
        .prop_flat_map(move |(d, s)| (tensor_of(d, lo, hi), tensor_of(s, lo, hi), any::<bool>()))
        .prop_map(|(a, b, swap)| if swap { (b, a) } else { (a, b) })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn add_broadcasting((a, b) in binary_pair(-3.0, 3.0)) {
        check(|_, v| v[0].add(v[1]), &[a, b])?;
    }

    #[test]
    fn sub_broadcasting((a, b) in binary_pair(-3.0, 3.0)) {
        check(|_, v| v[0].sub(v[1]), &[a, b])?;
    }

    #[test]
    fn mul_broadcasting((a, b) in binary_pair(-3.0, 3.0)) {
        check(|_, v| v[0].mul(v[1]), &[a, b])?;
    }

    #[test]
    fn div_broadcasting((a, b) in binary_pair(0.5, 2.0)) {
        check(|_, v| v[0].div(v[1].neg()), &[a, b])?;
    }

    #[test]
    fn add_bias(
        (z, b) in (1usize..=5, 1usize..=5).prop_flat_map(|(n, c)| (tensor_of(vec![n, c], -2.0, 2.0), tensor_of(vec![c], -2.0, 2.0)))
    ) {
        check(|_, v| v[0].add_bias(v[1]), &[z, b])?;
    }

    #[test]
    fn broadcast_to((d, s) in dims(0..=3).prop_flat_map(broadcast_source), seed in any::<u32>()) {
        let t = backprop::rng::NumpyRandom::seed(seed).rand::<f64>(&s).unwrap();
        check(|_, v| v[0].broadcast_to(&d), &[t])?;
    }

    #[test]
    fn reshape(t in tensor(1..=3, -2.0, 2.0)) {
        let mut d: Vec<usize> = t.dims().to_vec();
        d.reverse();
        let n = t.numel();
        check(|_, v| v[0].reshape(&[n])?.reshape(&d), &[t])?;
    }

    #[test]
    fn transpose(t in tensor(2..=3, -2.0, 2.0)) {
        check(|_, v| v[0].transpose(), &[t])?;
    }

    #[test]
    fn sum_axis((t, axis, keep) in tensor(1..=3, -2.0, 2.0).prop_flat_map(|t| { let r = t.dims().len(); (Just(t), 0..r, any::<bool>()) })) {
        check(|_, v| v[0].sum_axis(axis, keep), &[t])?;
    }

    #[test]
    fn mean_axis((t, axis, keep) in tensor(1..=3, -2.0, 2.0).prop_flat_map(|t| { let r = t.dims().len(); (Just(t), 0..r, any::<bool>()) })) {
        check(|_, v| v[0].mean_axis(axis, keep), &[t])?;
    }

    #[test]
    fn max_axis((t, axis, keep) in tensor(1..=3, -2.0, 2.0).prop_flat_map(|t| { let r = t.dims().len(); (Just(t), 0..r, any::<bool>()) })) {
        check(|_, v| v[0].max_axis(axis, keep), &[t])?;
    }

    #[test]
    fn softmax((t, axis) in tensor(1..=3, -3.0, 3.0).prop_flat_map(|t| { let r = t.dims().len(); (Just(t), 0..r) })) {
        check(|_, v| v[0].softmax(axis), &[t])?;
    }

    #[test]
    fn log_softmax((t, axis) in tensor(1..=3, -3.0, 3.0).prop_flat_map(|t| { let r = t.dims().len(); (Just(t), 0..r) })) {
        check(|_, v| v[0].log_softmax(axis), &[t])?;
    }

    #[test]
    fn matmul(
        (a, b, ta, tb) in (1usize..=5, 1usize..=5, 1usize..=5, any::<bool>(), any::<bool>())
            .prop_flat_map(|(m, k, n, ta, tb)| {
                let da = if ta { vec![k, m] } else { vec![m, k] };
                let db = if tb { vec![n, k] } else { vec![k, n] };
                (tensor_of(da, -2.0, 2.0), tensor_of(db, -2.0, 2.0), Just(ta), Just(tb))
            })
    ) {
        check(|_, v| match (ta, tb) {
            (false, false) => v[0].matmul(v[1]),
            (true, false) => v[0].t_matmul(v[1]),
            (false, true) => v[0].matmul_t(v[1]),
            (true, true) => v[0].transpose()?.matmul_t(v[1]),
        }, &[a, b])?;
    }

    #[test]
    fn matmul_reused_square(t in (1usize..=4).prop_flat_map(|n| tensor_of(vec![n, n], -2.0, 2.0))) {
        check(|_, v| v[0].matmul(v[0])?.t_matmul(v[0]), &[t])?;
    }

    #[test]
    fn mse((p, t) in dims(0..=3).prop_flat_map(|d| (tensor_of(d.clone(), -2.0, 2.0), tensor_of(d, -2.0, 2.0)))) {
        check(|_, v| v[0].mse(v[1]), &[p, t])?;
    }

    #[test]
    fn half_sse((p, t) in dims(0..=3).prop_flat_map(|d| (tensor_of(d.clone(), -2.0, 2.0), tensor_of(d, -2.0, 2.0)))) {
        check(|_, v| v[0].half_sse(v[1]), &[p, t])?;
    }

    #[test]
    fn bce_with_logits((x, t) in dims(0..=3).prop_flat_map(|d| (tensor_of(d.clone(), -4.0, 4.0), tensor_of(d, 0.0, 1.0)))) {
        check(|_, v| v[0].bce_with_logits(v[1]), &[x, t])?;
    }

    #[test]
    fn cross_entropy(
        (x, labels) in (1usize..=5, 1usize..=5).prop_flat_map(|(n, c)| {
            (tensor_of(vec![n, c], -3.0, 3.0), prop::collection::vec(0..c, n))
        })
    ) {
        check(|tape, v| v[0].cross_entropy(tape.labels(&labels)), &[x])?;
    }

    #[test]
    fn composite_mlp_step(
        (x, w1, w2) in (1usize..=4, 1usize..=4, 1usize..=4).prop_flat_map(|(n, i, h)| {
            (tensor_of(vec![n, i], -1.0, 1.0), tensor_of(vec![h, i], -1.0, 1.0), tensor_of(vec![3, h], -1.0, 1.0))
        }),
        b in tensor_of(vec![3], -1.0, 1.0),
    ) {
        let n = x.dims()[0];
        let labels: Vec<usize> = (0..n).map(|i| i % 3).collect();
        check(|tape, v| {
            let h = v[0].matmul_t(v[1])?.gelu();
            v[0].tanh().sum();
            h.matmul_t(v[2])?.add(v[3])?.cross_entropy(tape.labels(&labels))
        }, &[x, w1, w2, b])?;
    }
}
