"""Reference numbers for the XOR walkthrough (bias-free sigmoid MLP, full-batch GD).

Replays the tutorial notebook's NumPy code -- same operations in the same order
(np.random.seed, np.random.rand per layer, np.dot, 1/(1+np.exp(-x)), x*(1-x),
all deltas computed with the pre-update weights, then W += lr * a_prev.T.dot(delta))
-- generalised to a seed, a step count, a learning rate and arbitrary layer sizes
[2, H1, ..., 1].  For seed 42, 1 step, lr 1, layers [2, 2, 1] it is exactly the
notebook (lr * x == x bit-for-bit when lr == 1.0).

Each case records the trained weights, the network output and loss
(0.5 * sum((y - out)**2)) before and after training, the first step's gradients
dL/dW_k = -(a_{k-1}.T.dot(delta_k)), and a conditioning measure `sensitivity`:
the max relative change of every recorded number when each initial weight is
nudged one ulp towards +inf.  Only cases with sensitivity < 1e-11 are kept
(dropped ones are reported on stderr).

Usage (from the repository root):
    /work/venv/bin/python tools/walkthrough_reference.py > tests/fixtures/walkthrough_numpy.json

The committed tests/fixtures/walkthrough_numpy.json was produced with NumPy 2.4.6
(the version is also stored in the file's "numpy" field).  The Rust tests read
that JSON directly; Python/NumPy is not needed to build or test the crate.
"""

import json
import sys

import numpy as np

SENSITIVITY_LIMIT = 1e-11

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
y = np.array([[0], [1], [1], [0]])


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(x):
    return x * (1 - x)


def init_weights(seed, layers):
    np.random.seed(seed)
    return [np.random.rand(n_in, n_out) for n_in, n_out in zip(layers[:-1], layers[1:])]


def forward(weights):
    acts = [X]
    for W in weights:
        acts.append(sigmoid(np.dot(acts[-1], W)))
    return acts


def loss(out):
    return float(0.5 * np.sum((y - out) ** 2))


def train(weights, steps, lr):
    """Trains `weights` in place; returns the first step's gradients."""
    first_grads = None
    for step in range(steps):
        acts = forward(weights)
        n = len(weights)
        deltas = [None] * n
        error = y - acts[n]
        deltas[n - 1] = error * sigmoid_derivative(acts[n])
        for k in range(n - 2, -1, -1):
            error_hidden = deltas[k + 1].dot(weights[k + 1].T)
            deltas[k] = error_hidden * sigmoid_derivative(acts[k + 1])
        updates = [acts[k].T.dot(deltas[k]) for k in range(n)]
        if step == 0:
            first_grads = [-u for u in updates]
        # notebook order: last layer first (W2 then W1); the order is irrelevant
        # numerically because all deltas were computed beforehand.
        for k in range(n - 1, -1, -1):
            if lr == 1.0:
                weights[k] += updates[k]
            else:
                weights[k] += lr * updates[k]
    return first_grads


def run(weights, steps, lr):
    out_before = forward(weights)[-1]
    grads = train(weights, steps, lr)
    out_after = forward(weights)[-1]
    return {
        "weights": [W.copy() for W in weights],
        "output_before": out_before,
        "output_after": out_after,
        "loss_before": np.array(loss(out_before)),
        "loss_after": np.array(loss(out_after)),
        "gradients": grads,
    }


def flat(result):
    parts = []
    for key in ("weights", "gradients"):
        parts += [a.ravel() for a in result[key]]
    for key in ("output_before", "output_after", "loss_before", "loss_after"):
        parts.append(np.ravel(result[key]))
    return np.concatenate(parts)


def case(seed, steps, lr, layers):
    base = run(init_weights(seed, layers), steps, lr)
    nudged_init = [np.nextafter(W, np.inf) for W in init_weights(seed, layers)]
    nudged = run(nudged_init, steps, lr)
    a, b = flat(base), flat(nudged)
    denom = np.where(a != 0, np.abs(a), 1.0)
    sensitivity = float(np.max(np.abs(b - a) / denom))
    ws = [W.tolist() for W in base["weights"]]
    return {
        "seed": seed,
        "steps": steps,
        "lr": float(lr),
        "layers": list(layers),
        "weights": ws,
        "w1": ws[0],
        "w2": ws[1],
        "output_before": base["output_before"].tolist(),
        "output_after": base["output_after"].tolist(),
        "loss_before": float(base["loss_before"]),
        "loss_after": float(base["loss_after"]),
        "gradients": [g.tolist() for g in base["gradients"]],
        "sensitivity": sensitivity,
    }


CASES = [
    # (seed, steps, lr, layers)
    (42, 1, 1.0, [2, 2, 1]),  # the notebook
    (0, 1, 1.0, [2, 2, 1]),
    (1, 1, 1.0, [2, 2, 1]),
    (7, 1, 1.0, [2, 2, 1]),
    (123, 1, 1.0, [2, 2, 1]),
    (42, 10, 1.0, [2, 2, 1]),
    (42, 100, 1.0, [2, 2, 1]),
    (42, 1000, 1.0, [2, 2, 1]),
    (42, 10000, 1.0, [2, 2, 1]),
    (42, 100, 0.5, [2, 2, 1]),
    (42, 100, 2.0, [2, 2, 1]),
    (42, 1, 1.0, [2, 3, 1]),
    (7, 1, 1.0, [2, 3, 3, 1]),
    (42, 1, 1.0, [2, 4, 3, 2, 1]),
    (42, 1, 1.0, [2, 8, 1]),
    (0, 1000, 0.5, [2, 3, 1]),
    (123, 100, 2.0, [2, 8, 1]),
    (7, 100, 1.0, [2, 3, 3, 1]),
]


def main():
    kept = []
    for seed, steps, lr, layers in CASES:
        c = case(seed, steps, lr, layers)
        tag = f"seed={seed} steps={steps} lr={lr} layers={layers} sensitivity={c['sensitivity']:.3e}"
        if c["sensitivity"] < SENSITIVITY_LIMIT:
            kept.append(c)
            print("kept    " + tag, file=sys.stderr)
        else:
            print("DROPPED " + tag, file=sys.stderr)
    json.dump({"numpy": np.__version__, "cases": kept}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
