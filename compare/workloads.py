"""The Python side of the comparison: each workload written for NumPy, PyTorch and JAX.

One process runs one workload in one system and prints one JSON object on
stdout. compare/harness.py starts these processes; run by hand for a look:

    python compare/workloads.py notebook numpy --steps 20000 --reps 5
    python compare/workloads.py notebook jax-scan --steps 1000000 --reps 5
    python compare/workloads.py mlp torch --data DIR/synth-60k-images-idx3-ubyte --epochs 3

Workloads
---------
notebook  The tutorial notebook's network: X (4x2, XOR), W1 = rand(2,2), W2 = rand(2,1)
          from np.random.seed(42), sigmoid layers without biases, loss
          0.5*sum((y - out)^2), full-batch gradient descent with lr 1, f64.
          One repetition = `--steps` steps from the initial weights; the
          figure is seconds per step. Before timing, `--check-steps` steps are
          run once (untimed; also the warm-up / JIT compile) and the loss after
          them is reported, so the harness can check every system against
          `backprop walkthrough --steps K --json`'s `loss_after`.
          Systems: numpy (the notebook's own code: forward, the hand-written
          deltas, W += ...), torch (autograd: loss.backward(), SGD update under
          no_grad), jax-jit (jax.jit of one step, called in a Python loop),
          jax-scan (the whole loop of --steps steps compiled with lax.scan).

mlp       784-256-128-10 ReLU MLP, softmax cross-entropy (mean over the batch),
          plain SGD lr 0.1, batch 128 with the last partial batch kept, f32,
          data reshuffled every epoch, PyTorch's default initialisation
          (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases). Pixels
          are converted once to float32 arrays (pixel/255) before timing, the
          usual path in these systems. One repetition = one epoch (batch
          gathering + forward + backward + update + the epoch's loss and
          accuracy sums, as `backprop train` reports them). With
          --max-epoch-seconds T (used for the runs beside busy processes) an
          epoch stops after T seconds and its time is extrapolated: seconds
          per batch x batches per epoch.
          Systems: numpy (hand-written forward/backward), torch (nn.Sequential
          + CrossEntropyLoss + optim.SGD), jax (jax.jit of one step; the two
          batch shapes are compiled before timing).

gemm      One f32 matrix product C = op(A)·op(B) of shape MxKxN (--shape), with
          A and/or B used transposed (--ta/--tb: stored [K,M] / [N,K] and
          passed as a transposed view, as the MLP's backward pass does), on
          uniform [0,1) data. One repetition = one product into a preallocated
          C (NumPy: np.matmul(..., out=C); PyTorch: torch.mm(..., out=C); JAX:
          a jitted jnp.dot, block_until_ready), after one warm-up product.
          Systems: numpy, torch, jax.

Each repetition also records the CPU share that *other* processes used
during it: /proc/stat (all CPUs) before and after, minus this process's own
CPU time from /proc/self/stat, over the elapsed CPU capacity (100% = every
core busy with other work).
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import time

# ---------------------------------------------------------------------------
# Threads must be fixed before NumPy / PyTorch / JAX are imported.


def _early_threads():
    threads = "2"
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            threads = sys.argv[i + 1]
        elif a.startswith("--threads="):
            threads = a.split("=", 1)[1]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, threads)


_early_threads()

# ---------------------------------------------------------------------------
# CPU accounting


_CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stat():
    """(busy, total, steal) jiffies over all CPUs, from the first line of /proc/stat."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in parts[1:9])
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal, steal


def _own_jiffies():
    """utime + stime of this process (all its threads), in jiffies."""
    with open("/proc/self/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


class Window:
    """Wall time and the other processes' CPU share of one measured interval."""

    def __enter__(self):
        self.stat0 = _proc_stat()
        self.own0 = _own_jiffies()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        own1 = _own_jiffies()
        busy1, total1, steal1 = _proc_stat()
        busy0, total0, steal0 = self.stat0
        total = max(total1 - total0, 1)
        other = (busy1 - busy0) - (own1 - self.own0)
        self.others_cpu = max(other, 0) / total
        self.steal_cpu = (steal1 - steal0) / total
        return False


def summary(windows, per=1):
    return {
        "seconds": [w.seconds / per for w in windows],
        "others_cpu": [round(w.others_cpu, 4) for w in windows],
        "steal_cpu": [round(w.steal_cpu, 4) for w in windows],
    }


def blas_info():
    try:
        import threadpoolctl
        return [
            {k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads", "threading_layer", "filepath")}
            for d in threadpoolctl.threadpool_info()
        ]
    except Exception as e:  # threadpoolctl is optional
        return [{"error": repr(e)}]


# ---------------------------------------------------------------------------
# The notebook's network


def notebook_init():
    import numpy as np
    np.random.seed(42)
    w1 = np.random.rand(2, 2)
    w2 = np.random.rand(2, 1)
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return x, y, w1, w2


def notebook_loss(x, y, w1, w2):
    import numpy as np
    h = 1 / (1 + np.exp(-x.dot(w1)))
    out = 1 / (1 + np.exp(-h.dot(w2)))
    return float(0.5 * np.sum((y - out) ** 2))


def notebook_numpy(steps, lr):
    """Returns run(steps) -> (w1, w2): the notebook's training loop, verbatim in shape."""
    import numpy as np
    X, y, W1_0, W2_0 = notebook_init()

    def sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def sigmoid_derivative(x):
        return x * (1 - x)

    def run(n):
        W1, W2 = W1_0.copy(), W2_0.copy()
        for _ in range(n):
            hidden_input = np.dot(X, W1)
            hidden_output = sigmoid(hidden_input)
            output_input = np.dot(hidden_output, W2)
            predicted_output = sigmoid(output_input)
            error = y - predicted_output
            d_predicted_output = error * sigmoid_derivative(predicted_output)
            error_hidden_layer = d_predicted_output.dot(W2.T)
            d_hidden_layer = error_hidden_layer * sigmoid_derivative(hidden_output)
            W2 += lr * hidden_output.T.dot(d_predicted_output)
            W1 += lr * X.T.dot(d_hidden_layer)
        return W1, W2

    return run, None


def notebook_torch(steps, lr):
    import torch
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    X, y, W1_0, W2_0 = notebook_init()
    xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def run(n):
        w1 = torch.tensor(W1_0, dtype=torch.float64, requires_grad=True)
        w2 = torch.tensor(W2_0, dtype=torch.float64, requires_grad=True)
        for _ in range(n):
            out = torch.sigmoid(torch.sigmoid(xt @ w1) @ w2)
            loss = 0.5 * ((yt - out) ** 2).sum()
            loss.backward()
            with torch.no_grad():
                w1 -= lr * w1.grad
                w2 -= lr * w2.grad
            w1.grad = None
            w2.grad = None
        return w1.detach().numpy(), w2.detach().numpy()

    return run, {"torch": torch.__version__, "threads": torch.get_num_threads()}


def _jax():
    import jax
    jax.config.update("jax_enable_x64", True)
    return jax


def notebook_jax_parts(lr):
    jax = _jax()
    import jax.numpy as jnp
    X, y, W1_0, W2_0 = notebook_init()
    xj, yj = jnp.asarray(X), jnp.asarray(y)

    def loss(w):
        w1, w2 = w
        out = jax.nn.sigmoid(jax.nn.sigmoid(xj @ w1) @ w2)
        return 0.5 * jnp.sum((yj - out) ** 2)

    def step(w):
        g = jax.grad(loss)(w)
        return (w[0] - lr * g[0], w[1] - lr * g[1])

    w0 = (jnp.asarray(W1_0), jnp.asarray(W2_0))
    return jax, step, w0


def notebook_jax_jit(steps, lr):
    import numpy as np
    jax, step, w0 = notebook_jax_parts(lr)
    jstep = jax.jit(step)

    def run(n):
        w = w0
        for _ in range(n):
            w = jstep(w)
        w = jax.block_until_ready(w)
        return np.asarray(w[0]), np.asarray(w[1])

    return run, {"jax": jax.__version__, "backend": jax.default_backend()}


def notebook_jax_scan(steps, lr):
    import numpy as np
    jax, step, w0 = notebook_jax_parts(lr)
    compiled = {}

    def run(n):
        if n not in compiled:
            def loop(w):
                return jax.lax.scan(lambda c, _: (step(c), None), w, None, length=n)[0]
            compiled[n] = jax.jit(loop)
        w = jax.block_until_ready(compiled[n](w0))
        return np.asarray(w[0]), np.asarray(w[1])

    # Compile the timed length before timing (the check length compiles on its own).
    run(steps)
    return run, {"jax": jax.__version__, "backend": jax.default_backend()}


NOTEBOOK = {
    "numpy": notebook_numpy,
    "torch": notebook_torch,
    "jax-jit": notebook_jax_jit,
    "jax-scan": notebook_jax_scan,
}


def cmd_notebook(args):
    run, info = NOTEBOOK[args.system](args.steps, args.lr)
    X, y, _, _ = notebook_init()
    w1, w2 = run(args.check_steps)  # untimed: correctness check and warm-up
    check_loss = notebook_loss(X, y, w1, w2)
    windows = []
    for _ in range(args.reps):
        with Window() as w:
            run(args.steps)
        windows.append(w)
    return {
        "workload": "notebook",
        "system": args.system,
        "steps": args.steps,
        "check_steps": args.check_steps,
        "check_loss": check_loss,
        "info": info,
        **summary(windows, per=args.steps),
    }


# ---------------------------------------------------------------------------
# The MLP


def read_idx(path):
    import numpy as np
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        b = f.read()
    magic = int.from_bytes(b[0:4], "big")
    n = int.from_bytes(b[4:8], "big")
    if magic == 2051:
        r, c = int.from_bytes(b[8:12], "big"), int.from_bytes(b[12:16], "big")
        return np.frombuffer(b, dtype=np.uint8, offset=16).reshape(n, r * c)
    if magic == 2049:
        return np.frombuffer(b, dtype=np.uint8, offset=8).reshape(n)
    raise ValueError(f"{path}: IDX magic {magic}")


def load_mlp_data(images_path):
    """float32 pixels/255 (n x 784) and int64 labels, as every Python system trains on."""
    import numpy as np
    labels_path = images_path.replace("images-idx3", "labels-idx1")
    x = read_idx(images_path).astype(np.float32) / np.float32(255)
    y = read_idx(labels_path).astype(np.int64)
    assert x.shape[0] == y.shape[0], (x.shape, y.shape)
    return x, y


SIZES = (784, 256, 128, 10)


def torch_like_init(rng):
    """PyTorch's nn.Linear default: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), float32."""
    import numpy as np
    params = []
    for n_in, n_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(n_in)
        w = rng.uniform(-bound, bound, size=(n_out, n_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, size=(n_out,)).astype(np.float32)
        params += [w, b]
    return params


def mlp_numpy(x, y, args):
    import numpy as np
    rng = np.random.default_rng(args.seed)
    W1, b1, W2, b2, W3, b3 = torch_like_init(rng)
    lr = np.float32(args.lr)
    n, bs = len(x), args.batch_size

    def epoch(deadline):
        nonlocal W1, b1, W2, b2, W3, b3
        perm = rng.permutation(n)
        loss_sum, correct, done = 0.0, 0, 0
        for s in range(0, n, bs):
            if time.perf_counter() > deadline:
                break
            done += 1
            idx = perm[s:s + bs]
            xb, yb = x[idx], y[idx]
            m = len(idx)
            rows = np.arange(m)
            z1 = xb @ W1.T + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ W2.T + b2
            a2 = np.maximum(z2, 0)
            z3 = a2 @ W3.T + b3
            zmax = z3.max(axis=1, keepdims=True)
            e = np.exp(z3 - zmax)
            se = e.sum(axis=1, keepdims=True)
            loss = float(np.mean(np.log(se[:, 0]) + zmax[:, 0] - z3[rows, yb]))
            correct += int((z3.argmax(axis=1) == yb).sum())
            loss_sum += loss * m
            d3 = e / se
            d3[rows, yb] -= 1
            d3 /= np.float32(m)
            dW3, db3 = d3.T @ a2, d3.sum(axis=0)
            d2 = (d3 @ W3) * (z2 > 0)
            dW2, db2 = d2.T @ a1, d2.sum(axis=0)
            d1 = (d2 @ W2) * (z1 > 0)
            dW1, db1 = d1.T @ xb, d1.sum(axis=0)
            W3 -= lr * dW3
            b3 -= lr * db3
            W2 -= lr * dW2
            b2 -= lr * db2
            W1 -= lr * dW1
            b1 -= lr * db1
        return loss_sum / n, correct / n, done

    return epoch, {"numpy": np.__version__}


def mlp_torch(x, y, args):
    import torch
    from torch import nn
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    lossf = nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=args.lr)
    n, bs = len(xt), args.batch_size
    gen = torch.Generator().manual_seed(args.seed)

    def epoch(deadline):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct, done = 0.0, 0, 0
        for s in range(0, n, bs):
            if time.perf_counter() > deadline:
                break
            done += 1
            idx = perm[s:s + bs]
            xb, yb = xt[idx], yt[idx]
            opt.zero_grad()
            out = model(xb)
            loss = lossf(out, yb)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += int((out.argmax(dim=1) == yb).sum())
        return loss_sum / n, correct / n, done

    return epoch, {"torch": torch.__version__, "threads": torch.get_num_threads()}


def mlp_jax(x, y, args):
    import numpy as np
    import jax
    import jax.numpy as jnp
    rng = np.random.default_rng(args.seed)
    params = [jnp.asarray(p) for p in torch_like_init(rng)]
    lr = args.lr
    n, bs = len(x), args.batch_size

    def loss_fn(p, xb, yb):
        h = jax.nn.relu(xb @ p[0].T + p[1])
        h = jax.nn.relu(h @ p[2].T + p[3])
        z = h @ p[4].T + p[5]
        logp = jax.nn.log_softmax(z)
        return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1)), z

    @jax.jit
    def step(p, xb, yb):
        (loss, z), g = jax.value_and_grad(loss_fn, has_aux=True)(p, xb, yb)
        correct = jnp.sum(jnp.argmax(z, axis=1) == yb)
        return [pi - lr * gi for pi, gi in zip(p, g)], loss * xb.shape[0], correct

    # Compile both batch shapes (full and the last partial batch) before timing.
    for m in {bs, n % bs or bs}:
        jax.block_until_ready(step(params, x[:m], y[:m].astype(np.int32)))
    y32 = y.astype(np.int32)
    state = {"p": params}

    def epoch(deadline):
        perm = rng.permutation(n)
        p, losses, corrects = state["p"], [], []
        for s in range(0, n, bs):
            if time.perf_counter() > deadline:
                break
            idx = perm[s:s + bs]
            p, loss, correct = step(p, x[idx], y32[idx])
            losses.append(loss)
            corrects.append(correct)
        state["p"] = jax.block_until_ready(p)
        losses, corrects = jax.device_get(losses), jax.device_get(corrects)  # no new compilation
        return float(np.sum(losses)) / n, int(np.sum(corrects)) / n, len(losses)

    return epoch, {"jax": jax.__version__, "backend": jax.default_backend()}


MLP = {"numpy": mlp_numpy, "torch": mlp_torch, "jax": mlp_jax}


def cmd_mlp(args):
    x, y = load_mlp_data(args.data)
    epoch, info = MLP[args.system](x, y, args)
    n_batches = -(-len(x) // args.batch_size)
    windows, losses, accs, done = [], [], [], []
    for _ in range(args.epochs):
        with Window() as w:
            deadline = time.perf_counter() + (args.max_epoch_seconds or float("inf"))
            loss, acc, batches = epoch(deadline)
        # A cut-short epoch (--max-epoch-seconds) counts as its time per batch x batches per epoch.
        w.seconds *= n_batches / batches
        windows.append(w)
        losses.append(loss)
        accs.append(acc)
        done.append(batches)
    return {
        "workload": "mlp",
        "system": args.system,
        "data": args.data,
        "rows": int(len(x)),
        "train_loss": losses,
        "train_accuracy": accs,
        "batches_per_epoch": n_batches,
        "batches_timed": done,
        "partial_epochs": any(d < n_batches for d in done),
        "info": info,
        **summary(windows),
    }


# ---------------------------------------------------------------------------
# GEMM


def cmd_gemm(args):
    import numpy as np
    m, k, n = (int(d) for d in args.shape.split("x"))
    rng = np.random.default_rng(0)
    a = rng.random((k, m) if args.ta else (m, k), dtype=np.float32)
    b = rng.random((n, k) if args.tb else (k, n), dtype=np.float32)
    info = {"numpy": np.__version__}
    if args.system == "numpy":
        av, bv = (a.T if args.ta else a), (b.T if args.tb else b)
        c = np.empty((m, n), dtype=np.float32)
        run = lambda: np.matmul(av, bv, out=c)
    elif args.system == "torch":
        import torch
        torch.set_num_threads(args.threads)
        info["torch"] = torch.__version__
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        av, bv = (ta.T if args.ta else ta), (tb.T if args.tb else tb)
        c = torch.empty((m, n), dtype=torch.float32)
        run = lambda: torch.mm(av, bv, out=c)
    else:
        jax = _jax()
        import jax.numpy as jnp
        info["jax"] = jax.__version__
        ja, jb = jnp.asarray(a), jnp.asarray(b)
        f = jax.jit(lambda x, y: jnp.dot(x.T if args.ta else x, y.T if args.tb else y))
        run = lambda: f(ja, jb).block_until_ready()
    run()
    windows = []
    for _ in range(args.reps):
        with Window() as w:
            run()
        windows.append(w)
    return {"workload": "gemm", "system": args.system, "shape": args.shape, "ta": args.ta, "tb": args.tb,
            "flop": 2 * m * k * n, "info": info, **summary(windows)}


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="workload", required=True)
    nb = sub.add_parser("notebook")
    nb.add_argument("system", choices=sorted(NOTEBOOK))
    nb.add_argument("--steps", type=int, default=20000)
    nb.add_argument("--reps", type=int, default=5)
    nb.add_argument("--check-steps", type=int, default=1000)
    nb.add_argument("--lr", type=float, default=1.0)
    nb.add_argument("--threads", type=int, default=2)
    mlp = sub.add_parser("mlp")
    mlp.add_argument("system", choices=sorted(MLP))
    mlp.add_argument("--data", required=True, help="an *-images-idx3-ubyte[.gz] file; labels beside it")
    mlp.add_argument("--epochs", type=int, default=3)
    mlp.add_argument("--batch-size", type=int, default=128)
    mlp.add_argument("--lr", type=float, default=0.1)
    mlp.add_argument("--seed", type=int, default=0)
    mlp.add_argument("--threads", type=int, default=2)
    mlp.add_argument("--max-epoch-seconds", type=float, default=None,
                     help="stop an epoch after this long and extrapolate its time from the batches done")
    gm = sub.add_parser("gemm")
    gm.add_argument("system", choices=["numpy", "torch", "jax"])
    gm.add_argument("--shape", default="1024x1024x1024", help="MxKxN")
    gm.add_argument("--ta", action="store_true")
    gm.add_argument("--tb", action="store_true")
    gm.add_argument("--reps", type=int, default=20)
    gm.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if args.workload == "notebook" and args.system.startswith("jax"):
        _jax()
    if args.workload == "gemm":
        result = cmd_gemm(args)
    elif args.workload == "notebook":
        result = cmd_notebook(args)
    else:
        result = cmd_mlp(args)
    result["blas"] = blas_info()
    result["python"] = platform.python_version()
    result["median_seconds"] = statistics.median(result["seconds"])
    result["env"] = {k: os.environ.get(k) for k in (
        "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "XLA_FLAGS")}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
