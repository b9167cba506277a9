"""PyTorch reference fixtures for tests/torch_interop.rs.

Writes, under tests/fixtures/torch/ (paths in the manifests are relative to the
repository root):

* three small seeded data sets (60 rows each, CSV with a header; features with
  6 decimals, so not exact in f32: f64 training must read them as f64):
  cls3.csv  4 features, integer class 0..2 in the last column (cross-entropy);
  bin3.csv  3 features, target 0/1 in the last column (bce);
  reg5.csv  5 features, 2 targets in the last two columns (mse, --targets 2);
* scenarios.json: a list of {name, data, layers, flags, init, final, ...}.
  `flags` are the `backprop train` arguments other than --data, --init-from,
  --save and --dtype; the test runs
      backprop train --data <data> <flags> --init-from <init> --dtype f64 --save <tmp>
  and compares every tensor of <tmp> with <final> (both float64 safetensors
  with nn.Sequential names 0.weight, 0.bias, 2.weight, ...).
  The reference is PyTorch float64 training, written out op for op below:
  nn.Sequential(Linear, act, ..., Linear); CrossEntropyLoss / BCEWithLogitsLoss /
  MSELoss (mean); SGD / Adam / AdamW with foreach=False; mini-batches in file
  order with the last partial batch kept; one optimiser step per batch.
  Each scenario also records `sensitivity`: the largest change of a final
  weight, as |a-b| / max(|b|, 1e-3) (the test's metric), when every initial
  weight is nudged one ulp up or down at random (worst of 3 trials).  Rounding
  differences of a different but correct implementation are of this order;
  scenarios are designed to keep it far below the test's tolerance (1e-10).
* predict_checks.json: PyTorch-written float32 models (no backprop metadata)
  and PyTorch's float32 outputs on a CSV; the test loads each into backprop
  with `train --init-from M --optimizer sgd --lr 1e-300 --epochs 1 --dtype f32`
  (in f32 the learning rate rounds to 0, so every weight is kept bit for bit),
  saves it, and compares `backprop predict` with PyTorch's outputs (<= 1e-6).
* ours.safetensors + ours_torch_predictions.csv (only with --backprop BIN):
  a model trained and saved by backprop (f32), loaded by PyTorch with
  safetensors.torch.load_file + load_state_dict(strict=True), and PyTorch's
  softmax probabilities on cls3.csv; the test compares `backprop predict`.

Usage (from the repository root; the first run needs no Rust binary):
    /work/venv/bin/python tools/torch_reference.py [--backprop target/release/backprop]
The log goes to tests/fixtures/torch/torch_reference.log (and stdout).
"""

import argparse
import json
import os
import platform
import subprocess
import sys

import numpy as np
import torch
from torch import nn
import safetensors
from safetensors.torch import load_file, save_file

OUT = os.path.join("tests", "fixtures", "torch")
N_ROWS = 60
FLOOR = 1e-3  # the test's metric: |a - b| / max(|b|, FLOOR)
LOG = []


def log(*parts):
    line = " ".join(str(p) for p in parts)
    print(line)
    LOG.append(line)


def path(name):
    return os.path.join(OUT, name)


# ---------------------------------------------------------------- data sets

def write_csv(name, header, rows):
    with open(path(name), "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


def fmt(v):
    return repr(float(v))


def feat(a):
    """Features with 6 decimals, deliberately not exact in float32: backprop's
    --dtype f64 training must read CSV features as f64 to match PyTorch's."""
    a = np.round(np.asarray(a), 6)
    assert np.any(a.astype(np.float32).astype(np.float64) != a)
    return a


def read_csv(name, k_targets, classes):
    """Reads a written CSV back (so torch sees exactly the parsed decimals)."""
    with open(path(name)) as f:
        lines = [l.strip() for l in f if l.strip()]
    vals = [[float(x) for x in l.split(",")] for l in lines[1:]]
    a = np.array(vals, dtype=np.float64)
    x = a[:, :-k_targets]
    y = a[:, -k_targets:]
    if classes:
        assert np.all(y == np.round(y))
        return x, y[:, 0].astype(np.int64)
    return x, y


def make_data(rng):
    # cls3: three Gaussian blobs in 4-D, classes interleaved through the file.
    centers = rng.normal(0.0, 1.5, size=(3, 4))
    rows = []
    for i in range(N_ROWS):
        c = int(rng.integers(0, 3))
        x = feat(centers[c] + rng.normal(0.0, 1.0, size=4))
        rows.append([fmt(v) for v in x] + [str(c)])
    write_csv("cls3.csv", ["x0", "x1", "x2", "x3", "class"], rows)

    # bin3: a noisy linear rule on 3 features, target 0/1.
    w = np.array([1.0, -2.0, 0.5])
    rows = []
    for i in range(N_ROWS):
        x = feat(rng.normal(0.0, 1.0, size=3))
        t = int(x @ w + rng.normal(0.0, 0.7) > 0.0)
        rows.append([fmt(v) for v in x] + [str(t)])
    write_csv("bin3.csv", ["a", "b", "c", "y"], rows)

    # reg5: two smooth targets of 5 features plus noise.
    rows = []
    for i in range(N_ROWS):
        x = feat(rng.uniform(-2.0, 2.0, size=5))
        y0 = np.sin(x[0]) + 0.5 * x[1] * x[2] - 0.3 * x[4] + rng.normal(0.0, 0.1)
        y1 = 0.2 * x[3] ** 2 - x[0] + 0.1 * x[2] + rng.normal(0.0, 0.1)
        rows.append([fmt(v) for v in x] + [fmt(np.round(y0, 6)), fmt(np.round(y1, 6))])
    write_csv("reg5.csv", ["f0", "f1", "f2", "f3", "f4", "t0", "t1"], rows)


DATA = {
    # name: (k target columns, classification?)
    "cls3.csv": (1, True),
    "bin3.csv": (1, False),
    "reg5.csv": (2, False),
}


# ---------------------------------------------------------------- models

ACT = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky-relu": nn.LeakyReLU,  # negative_slope 0.01
    "gelu": nn.GELU,  # approximate='none' (erf)
}


def build(layers, act, bias, dtype):
    mods = []
    for i in range(len(layers) - 1):
        mods.append(nn.Linear(layers[i], layers[i + 1], bias=bias, dtype=dtype))
        if i < len(layers) - 2:
            mods.append(ACT[act]())
    return nn.Sequential(*mods)


def state(model):
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def make_optimizer(params, s):
    o, lr = s["optimizer"], s["lr"]
    wd = s.get("weight_decay")
    if o == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.0, weight_decay=wd or 0.0, foreach=False)
    if o == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=s.get("momentum", 0.9),
                               nesterov=s.get("nesterov", False), weight_decay=wd or 0.0,
                               foreach=False)
    if o == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                weight_decay=wd or 0.0, foreach=False)
    if o == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=0.01 if wd is None else wd, foreach=False)
    raise ValueError(o)


def loss_fn(name):
    return {"cross-entropy": nn.CrossEntropyLoss(), "bce": nn.BCEWithLogitsLoss(),
            "mse": nn.MSELoss()}[name]


def tensors_xy(s, dtype):
    k, cls = DATA[s["data"]]
    x, y = read_csv(s["data"], k, cls)
    x = torch.tensor(x, dtype=dtype)
    y = torch.tensor(y) if cls else torch.tensor(y, dtype=dtype)
    return x, y


def train(s, init, dtype=torch.float64):
    """PyTorch training of scenario s from the state dict `init`; the final
    state dict and the mean loss of each epoch."""
    model = build(s["layers"], s["activation"], s.get("bias", True), dtype)
    model.load_state_dict(init, strict=True)
    opt = make_optimizer(model.parameters(), s)
    lf = loss_fn(s["loss"])
    x, y = tensors_xy(s, dtype)
    n, bs = x.shape[0], s["batch_size"]
    losses = []
    for _ in range(s["epochs"]):
        total = 0.0
        for start in range(0, n, bs):
            xb, yb = x[start:start + bs], y[start:start + bs]
            opt.zero_grad()
            loss = lf(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * xb.shape[0]
        losses.append(total / n)
    return state(model), losses


def metric(a, b):
    """max |a-b| / max(|b|, FLOOR) over all tensors."""
    worst = 0.0
    for k in b:
        d = (a[k] - b[k]).abs() / b[k].abs().clamp(min=FLOOR)
        worst = max(worst, d.max().item())
    return worst


def nudge(init, gen):
    out = {}
    for k, v in init.items():
        a = v.numpy()
        up = gen.integers(0, 2, size=a.shape).astype(bool)
        b = np.where(up, np.nextafter(a, np.inf), np.nextafter(a, -np.inf))
        out[k] = torch.from_numpy(b)
    return out


def flags(s):
    k, _ = DATA[s["data"]]
    f = ["--layers", ",".join(str(n) for n in s["layers"]), "--activation", s["activation"],
         "--loss", s["loss"], "--optimizer", s["optimizer"], "--lr", repr(s["lr"])]
    if "momentum" in s:
        f += ["--momentum", repr(s["momentum"])]
    if s.get("nesterov"):
        f += ["--nesterov"]
    if "weight_decay" in s:
        f += ["--weight-decay", repr(s["weight_decay"])]
    if not s.get("bias", True):
        f += ["--no-bias"]
    if k != 1:
        f += ["--targets", str(k)]
    f += ["--batch-size", str(s["batch_size"]), "--epochs", str(s["epochs"]), "--no-shuffle", "--quiet"]
    return f


SCENARIOS = [
    dict(name="ce_sgd_relu", data="cls3.csv", layers=[4, 8, 3], activation="relu",
         loss="cross-entropy", optimizer="sgd", lr=0.1, batch_size=16, epochs=3),
    dict(name="ce_sgd_wd_sigmoid", data="cls3.csv", layers=[4, 6, 3], activation="sigmoid",
         loss="cross-entropy", optimizer="sgd", lr=0.2, weight_decay=0.05, batch_size=16, epochs=3),
    dict(name="ce_momentum_nesterov_tanh", data="cls3.csv", layers=[4, 8, 3], activation="tanh",
         loss="cross-entropy", optimizer="momentum", lr=0.05, nesterov=True, batch_size=16, epochs=4),
    dict(name="ce_momentum_wd_gelu_deep", data="cls3.csv", layers=[4, 6, 5, 3], activation="gelu",
         loss="cross-entropy", optimizer="momentum", lr=0.05, momentum=0.8, weight_decay=0.01,
         batch_size=16, epochs=3),
    dict(name="ce_adam_leaky_relu_4linear", data="cls3.csv", layers=[4, 8, 8, 6, 3],
         activation="leaky-relu", loss="cross-entropy", optimizer="adam", lr=0.01,
         batch_size=16, epochs=3),
    dict(name="ce_adam_wd_tanh", data="cls3.csv", layers=[4, 7, 3], activation="tanh",
         loss="cross-entropy", optimizer="adam", lr=0.01, weight_decay=0.001,
         batch_size=16, epochs=3),
    dict(name="ce_adamw_wd_relu_4linear", data="cls3.csv", layers=[4, 10, 8, 6, 3],
         activation="relu", loss="cross-entropy", optimizer="adamw", lr=0.005, weight_decay=0.05,
         batch_size=16, epochs=3),
    dict(name="bce_adamw_tanh", data="bin3.csv", layers=[3, 6, 1], activation="tanh",
         loss="bce", optimizer="adamw", lr=0.01, batch_size=16, epochs=3),
    dict(name="bce_sgd_sigmoid_nobias", data="bin3.csv", layers=[3, 5, 1], activation="sigmoid",
         loss="bce", optimizer="sgd", lr=0.5, bias=False, batch_size=16, epochs=3),
    dict(name="bce_momentum_gelu", data="bin3.csv", layers=[3, 8, 4, 1], activation="gelu",
         loss="bce", optimizer="momentum", lr=0.1, batch_size=7, epochs=3),
    dict(name="mse_adam_gelu", data="reg5.csv", layers=[5, 8, 2], activation="gelu",
         loss="mse", optimizer="adam", lr=0.01, batch_size=16, epochs=3),
    dict(name="mse_momentum_nesterov_wd_leaky_relu", data="reg5.csv", layers=[5, 10, 6, 2],
         activation="leaky-relu", loss="mse", optimizer="momentum", lr=0.01, nesterov=True,
         weight_decay=0.001, batch_size=7, epochs=3),
    dict(name="mse_sgd_sigmoid_4linear", data="reg5.csv", layers=[5, 6, 6, 4, 2],
         activation="sigmoid", loss="mse", optimizer="sgd", lr=0.05, batch_size=16, epochs=4),
]


def scenarios():
    manifest = []
    for i, s in enumerate(SCENARIOS):
        torch.manual_seed(100 + i)
        model = build(s["layers"], s["activation"], s.get("bias", True), torch.float64)
        init = state(model)
        final, losses = train(s, init)
        gen = np.random.default_rng(1000 + i)
        sens = max(metric(train(s, nudge(init, gen))[0], final) for _ in range(3))
        init_name, final_name = f"{s['name']}.init.safetensors", f"{s['name']}.final.safetensors"
        save_file(init, path(init_name))
        save_file(final, path(final_name))
        entry = dict(name=s["name"], data=path(s["data"]), layers=s["layers"], flags=flags(s),
                     init=path(init_name), final=path(final_name),
                     steps=s["epochs"] * -(-N_ROWS // s["batch_size"]),
                     torch_epoch_losses=losses, sensitivity=sens)
        manifest.append(entry)
        log(f"{s['name']}: {s['data']} layers {s['layers']} {s['activation']} {s['loss']} "
            f"{s['optimizer']} batch {s['batch_size']} x {s['epochs']} epochs "
            f"({entry['steps']} steps); epoch losses "
            + " ".join(f"{l:.6f}" for l in losses) + f"; sensitivity {sens:.2e}")
        log("    backprop train --data " + entry["data"] + " " + " ".join(entry["flags"])
            + f" --init-from {entry['init']} --dtype f64 --save OUT")
        assert sens < 1e-12, f"{s['name']}: too sensitive to rounding ({sens:.2e})"
    with open(path("scenarios.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    log(f"wrote {len(manifest)} scenarios to {path('scenarios.json')}")


# ---------------------------------------------------------------- predictions

def write_predictions(name, out, loss):
    """CSV in `backprop predict`'s layout: class,p_0,... or y0,y1,..."""
    a = out.detach().to(torch.float64).numpy()
    with open(path(name), "w") as f:
        if loss == "cross-entropy":
            f.write("class," + ",".join(f"p_{j}" for j in range(a.shape[1])) + "\n")
            for row in a:
                f.write(str(int(np.argmax(row))) + "," + ",".join(repr(float(v)) for v in row) + "\n")
        else:
            f.write(",".join(f"y{j}" for j in range(a.shape[1])) + "\n")
            for row in a:
                f.write(",".join(repr(float(v)) for v in row) + "\n")


def head(out, loss):
    if loss == "cross-entropy":
        return torch.softmax(out, dim=1)
    if loss == "bce":
        return torch.sigmoid(out)
    return out


def predict(model, data, loss, dtype):
    k, cls = DATA[data]
    x, _ = read_csv(data, k, cls)
    with torch.no_grad():
        return head(model(torch.tensor(x, dtype=dtype)), loss)


PREDICT = [
    dict(name="torch_f32_ce_gelu", data="cls3.csv", layers=[4, 16, 8, 3], activation="gelu",
         loss="cross-entropy", bias=True),
    dict(name="torch_f32_bce_leaky_relu", data="bin3.csv", layers=[3, 12, 1],
         activation="leaky-relu", loss="bce", bias=True),
    dict(name="torch_f32_mse_tanh_nobias", data="reg5.csv", layers=[5, 9, 2], activation="tanh",
         loss="mse", bias=False),
]


def predict_checks():
    manifest = []
    for i, p in enumerate(PREDICT):
        torch.manual_seed(200 + i)
        model = build(p["layers"], p["activation"], p["bias"], torch.float32)
        # A little training so the weights are not just the initial ones.
        s = dict(p, optimizer="adam", lr=0.01, batch_size=16, epochs=5)
        trained, _ = train(s, state(model), dtype=torch.float32)
        model.load_state_dict(trained, strict=True)
        save_file(state(model), path(p["name"] + ".safetensors"))
        out32 = predict(model, p["data"], p["loss"], torch.float32)
        out64 = predict(model.double(), p["data"], p["loss"], torch.float64)
        dev = (out32.double() - out64).abs().max().item()
        write_predictions(p["name"] + ".predictions.csv", out32, p["loss"])
        k, _ = DATA[p["data"]]
        fl = ["--layers", ",".join(map(str, p["layers"])), "--activation", p["activation"],
              "--loss", p["loss"], "--optimizer", "sgd", "--lr", "1e-300", "--batch-size", "60",
              "--epochs", "1", "--no-shuffle", "--quiet"]
        if not p["bias"]:
            fl.append("--no-bias")
        if k != 1:
            fl += ["--targets", str(k)]
        manifest.append(dict(name=p["name"], data=path(p["data"]), layers=p["layers"],
                             model=path(p["name"] + ".safetensors"), flags=fl,
                             predictions=path(p["name"] + ".predictions.csv"),
                             f32_vs_f64_max_abs=dev))
        log(f"{p['name']}: float32 model {p['layers']} {p['activation']} {p['loss']}"
            f"{'' if p['bias'] else ' no-bias'}; predictions on {p['data']}; "
            f"|f32 - f64 forward| max {dev:.2e}")
    with open(path("predict_checks.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


OURS_FLAGS = ["--layers", "4,10,3", "--activation", "tanh", "--loss", "cross-entropy",
              "--optimizer", "adam", "--lr", "0.02", "--batch-size", "16", "--epochs", "5",
              "--seed", "7", "--dtype", "f32", "--quiet"]


def ours(backprop):
    data = path("cls3.csv")
    cmd = [backprop, "train", "--data", data] + OURS_FLAGS + ["--save", path("ours.safetensors")]
    log("ours: backprop " + " ".join(cmd[1:]))
    subprocess.run(cmd, check=True)
    with open(path("ours.safetensors"), "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    log("ours: header tensors " + ", ".join(
        f"{k} {v['dtype']} {v['shape']}" for k, v in header.items() if k != "__metadata__"))
    log("ours: metadata " + json.dumps(header.get("__metadata__")))
    sd = load_file(path("ours.safetensors"))
    model = build([4, 10, 3], "tanh", True, torch.float32)
    model.load_state_dict(sd, strict=True)
    out = predict(model, "cls3.csv", "cross-entropy", torch.float32)
    write_predictions("ours_torch_predictions.csv", out, "cross-entropy")
    log(f"ours: loaded by PyTorch with load_state_dict(strict=True); "
        f"softmax probabilities on {data} -> {path('ours_torch_predictions.csv')}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backprop", help="the backprop binary, for the ours -> PyTorch check")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    log(f"torch {torch.__version__}, numpy {np.__version__}, safetensors {safetensors.__version__}, "
        f"python {platform.python_version()}")
    make_data(np.random.default_rng(2024))
    log("data: " + ", ".join(f"{d} ({N_ROWS} rows)" for d in DATA)
        + "; features on a 2^-16 grid (exact in f32: backprop keeps CSV features as f32)")
    scenarios()
    predict_checks()
    if a.backprop:
        ours(a.backprop)
    else:
        log("ours: skipped (no --backprop binary given); ours.safetensors and "
            "ours_torch_predictions.csv are left as they are")
    with open(path("torch_reference.log"), "w") as f:
        f.write("\n".join(LOG) + "\n")


if __name__ == "__main__":
    main()
