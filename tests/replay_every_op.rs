//! Every op through both the tape and Replay: the same loss and the same
//! gradients, bit for bit, in f64 and f32. The tape and Replay reach each op's
//! forward rule and VJP through one dispatch (`ops::Plan`), and this test is
//! what keeps it so: `kind` matches every [`Op`] without a wildcard, so a new
//! op does not compile here until it is named, and the f64 test checks that
//! the cases recorded every kind. (`Op::MatMul` with both operands transposed
//! has no public constructor: `transpose` then `matmul_t` records it as two nodes.)

use backprop::ops::{Custom, Op};
use backprop::rng::NumpyRandom;
use backprop::tape::Replay;
use backprop::{Float, Tape, Tensor, Var};

fn bits<T: Float>(x: &[T]) -> Vec<u64> {
    x.iter().map(|v| v.as_f64().to_bits()).collect()
}

/// A name per op kind, one match arm per [`Op`] variant (no wildcard).
fn kind<T: Float>(op: &Op<T>) -> String {
    match op {
        Op::Param => "param".into(),
        Op::Constant => "constant".into(),
        Op::Unary(u) => format!("unary {}", u.name()),
        Op::Custom(c) => format!("custom {}", c.name),
        Op::Binary(b) => format!("binary {}", b.name()),
        Op::AddBias => "add_bias".into(),
        Op::BroadcastTo => "broadcast_to".into(),
        Op::Reshape => "reshape".into(),
        Op::Transpose => "transpose".into(),
        Op::MatMul { ta, tb } => format!("matmul {ta} {tb}"),
        Op::Sum { axis, keepdim } => format!("sum {axis:?} {keepdim}"),
        Op::Mean { axis, keepdim } => format!("mean {axis:?} {keepdim}"),
        Op::Max { axis, keepdim } => format!("max {axis} {keepdim}"),
        Op::Softmax { axis } => format!("softmax {axis}"),
        Op::LogSoftmax { axis } => format!("log_softmax {axis}"),
        Op::Mse => "mse".into(),
        Op::BceWithLogits => "bce_with_logits".into(),
        Op::CrossEntropy => "cross_entropy".into(),
        Op::HalfSse => "half_sse".into(),
    }
}

/// The leaves a case starts from: `a`, `b` `[3, 4]` in (0.5, 1.5) (so `log`,
/// `sqrt` and `powf` are defined), `m` `[4, 3]`, `r` a row `[4]`, targets `t`
/// in (0, 1) and class labels for three rows of four.
struct Leaves<'t, T: Float> {
    a: Var<'t, T>,
    b: Var<'t, T>,
    m: Var<'t, T>,
    r: Var<'t, T>,
    t: Var<'t, T>,
    labels: Var<'t, T>,
}

/// A case: records one op (and what it needs) from the leaves.
type Case<T> = for<'t> fn(&Leaves<'t, T>) -> Var<'t, T>;

/// Every op, and each variant of the element-wise and binary tables.
fn cases<T: Float>() -> Vec<(&'static str, Case<T>)> {
    fn cube<T: Float>() -> Custom<T> {
        Custom {
            name: "cube",
            f: |x| x * x * x,
            df: |x, _| T::from_f64(3.0) * x * x,
        }
    }
    vec![
        ("neg", |l| -l.a),
        ("exp", |l| l.a.exp()),
        ("log", |l| l.a.log()),
        ("sqrt", |l| l.a.sqrt()),
        ("abs", |l| l.a.sub_scalar(1.0).abs()),
        ("powf", |l| l.a.powf(2.5)),
        ("sigmoid", |l| l.a.sigmoid()),
        ("tanh", |l| l.a.tanh()),
        ("relu", |l| l.a.sub_scalar(1.0).relu()),
        ("leaky_relu", |l| l.a.sub_scalar(1.0).leaky_relu()),
        ("gelu", |l| l.a.sub_scalar(1.0).gelu()),
        ("softplus", |l| l.a.softplus()),
        ("add_scalar", |l| l.a.add_scalar(0.25)),
        ("sub_scalar", |l| l.a.sub_scalar(0.25)),
        ("rsub_scalar", |l| l.a.rsub_scalar(0.25)),
        ("mul_scalar", |l| l.a.mul_scalar(-1.5)),
        ("div_scalar", |l| l.a.div_scalar(3.0)),
        ("rdiv_scalar", |l| l.a.rdiv_scalar(3.0)),
        ("custom", |l| l.a.map_custom(cube())),
        ("add", |l| l.a.add(l.b).unwrap()),
        ("sub", |l| l.a.sub(l.b).unwrap()),
        ("mul", |l| l.a.mul(l.b).unwrap()),
        ("div", |l| l.a.div(l.b).unwrap()),
        ("mul, one value twice", |l| l.a.mul(l.a).unwrap()),
        ("add_bias", |l| l.a.add_bias(l.r).unwrap()),
        ("broadcast_to", |l| l.r.broadcast_to(&[2, 3, 4]).unwrap()),
        ("add, broadcasting", |l| l.a.add(l.r).unwrap()),
        ("reshape", |l| l.a.reshape(&[2, 6]).unwrap()),
        ("transpose", |l| l.a.transpose().unwrap()),
        ("matmul", |l| l.a.matmul(l.m).unwrap()),
        ("t_matmul", |l| l.a.t_matmul(l.b).unwrap()),
        ("matmul_t", |l| l.a.matmul_t(l.b).unwrap()),
        ("sum", |l| l.a.sum()),
        ("sum_axis 0", |l| l.a.sum_axis(0, false).unwrap()),
        ("sum_axis 1 keepdim", |l| l.a.sum_axis(1, true).unwrap()),
        ("mean", |l| l.a.mean()),
        ("mean_axis 0 keepdim", |l| l.a.mean_axis(0, true).unwrap()),
        ("max_axis 0", |l| l.a.max_axis(0, false).unwrap()),
        ("max_axis 1 keepdim", |l| l.a.max_axis(1, true).unwrap()),
        ("softmax 1", |l| l.a.softmax(1).unwrap()),
        ("softmax 0", |l| l.a.softmax(0).unwrap()),
        ("log_softmax 1", |l| l.a.log_softmax(1).unwrap()),
        ("log_softmax 0", |l| l.a.log_softmax(0).unwrap()),
        ("mse", |l| l.a.mse(l.t).unwrap()),
        ("mse, both differentiated", |l| l.a.mse(l.b).unwrap()),
        ("bce_with_logits", |l| {
            l.a.sub_scalar(1.0).bce_with_logits(l.t).unwrap()
        }),
        ("half_sse", |l| l.a.half_sse(l.b).unwrap()),
        ("cross_entropy", |l| l.a.cross_entropy(l.labels).unwrap()),
    ]
}

/// Records `case` on a fresh tape, weighs its output by fixed random numbers
/// (so the upstream gradient differs element by element) into a scalar loss,
/// and checks the replayed loss and gradients against the tape's, twice.
/// Returns the op kinds the case recorded.
fn check<T: Float>(name: &str, case: Case<T>) -> Vec<String> {
    let mut rng = NumpyRandom::seed(11);
    let mut rand = |dims: &[usize], lo: f64| {
        let t = rng.rand::<f64>(dims).unwrap();
        Tensor::<T>::from_vec(
            t.data().iter().map(|&v| T::from_f64(v + lo)).collect(),
            dims,
        )
        .unwrap()
    };
    let (a, b, m, r) = (
        rand(&[3, 4], 0.5),
        rand(&[3, 4], 0.5),
        rand(&[4, 3], -0.5),
        rand(&[4], -0.5),
    );
    let t = rand(&[3, 4], 0.0);
    let tape = Tape::<T>::new();
    let leaves = Leaves {
        a: tape.param(&a),
        b: tape.param(&b),
        m: tape.param(&m),
        r: tape.param(&r),
        t: tape.constant(&t),
        labels: tape.labels(&[2, 0, 3]),
    };
    let out = case(&leaves);
    let weights = rand(out.shape().dims(), -0.5);
    let loss = out.mul(tape.constant(&weights)).unwrap().sum().tanh();
    let grads = tape.backward(loss).unwrap();
    let mut replay = Replay::compile(&tape, loss).unwrap();
    let params = [leaves.a, leaves.b, leaves.m, leaves.r];
    for run in 0..2 {
        let replayed = replay.run().unwrap();
        assert_eq!(
            bits(&[loss.value().item().unwrap()]),
            bits(&[replayed]),
            "{name}: loss (run {run})"
        );
        for (i, p) in params.iter().enumerate() {
            match (grads.get(*p), replay.grad(*p)) {
                (Some(g), Ok(r)) => {
                    assert_eq!(
                        bits(g.data()),
                        bits(r),
                        "{name}: gradient of leaf {i} (run {run})"
                    );
                    assert!(
                        g.data().iter().any(|v| *v != T::zero()),
                        "{name}: leaf {i} got zeros"
                    );
                }
                (None, Err(_)) => {}
                (g, r) => panic!(
                    "{name}: leaf {i}: tape {:?}, replay {:?}",
                    g.is_some(),
                    r.is_ok()
                ),
            }
        }
    }
    let kinds = tape.nodes().iter().map(|n| kind(&n.op)).collect();
    kinds
}

#[test]
fn every_op_replays_bit_for_bit_in_f64() {
    let mut seen = std::collections::BTreeSet::new();
    for (name, case) in cases::<f64>() {
        seen.extend(check::<f64>(name, case));
    }
    // Every op kind was recorded (the element-wise and binary tables by each row).
    let kinds = |prefix: &str| seen.iter().filter(|k| k.starts_with(prefix)).count();
    assert_eq!(kinds("unary "), 18, "{seen:?}");
    assert_eq!(kinds("binary "), 4, "{seen:?}");
    for k in [
        "param",
        "constant",
        "custom cube",
        "add_bias",
        "broadcast_to",
        "reshape",
        "transpose",
        "matmul false false",
        "matmul true false",
        "matmul false true",
        "sum None false",
        "sum Some(1) true",
        "mean Some(0) true",
        "max 0 false",
        "max 1 true",
        "softmax 0",
        "log_softmax 1",
        "mse",
        "bce_with_logits",
        "cross_entropy",
        "half_sse",
    ] {
        assert!(seen.contains(k), "{k} was not recorded: {seen:?}");
    }
}

#[test]
fn every_op_replays_bit_for_bit_in_f32() {
    for (name, case) in cases::<f32>() {
        check::<f32>(name, case);
    }
}
