"""PyTorch's accuracy on the project's MNIST 10k, as a baseline for backprop.

data/mnist-10k-images-idx3-ubyte.gz + labels; pixels / 255 (float32); the
first 8000 rows train, the last 2000 rows test.  784-256-128-10 ReLU MLP
(PyTorch's default init), CrossEntropyLoss, Adam lr 0.001 (foreach=False),
batch 64 with the last partial batch kept, 10 epochs, reshuffled every epoch
(torch.randperm on the global generator); seeds 0, 1, 2 via torch.manual_seed;
2 threads.  Prints each seed's test accuracy after every epoch, the median
final accuracy, and the wall time per epoch (training only).

The same run with backprop (f32):
    backprop train --data data/mnist-10k-images-idx3-ubyte.gz --test-fraction 0.2 \
        --layers 784,256,128,10 --activation relu --loss cross-entropy \
        --optimizer adam --lr 0.001 --batch-size 64 --epochs 10 --threads 2 --seed S

Usage (from the repository root):
    /work/venv/bin/python tools/torch_mnist_baseline.py
The log goes to tests/fixtures/torch/mnist_baseline.log (and stdout).
"""

import gzip
import os
import platform
import statistics
import time

import numpy as np
import torch
from torch import nn

LOG_PATH = os.path.join("tests", "fixtures", "torch", "mnist_baseline.log")
LOG = []


def log(*parts):
    line = " ".join(str(p) for p in parts)
    print(line, flush=True)
    LOG.append(line)


def idx(path, magic):
    with gzip.open(path, "rb") as f:
        b = f.read()
    assert int.from_bytes(b[0:4], "big") == magic, path
    n = int.from_bytes(b[4:8], "big")
    if magic == 2051:
        r, c = int.from_bytes(b[8:12], "big"), int.from_bytes(b[12:16], "big")
        return np.frombuffer(b, dtype=np.uint8, offset=16).reshape(n, r * c)
    return np.frombuffer(b, dtype=np.uint8, offset=8).reshape(n)


def main():
    torch.set_num_threads(2)
    x = idx("data/mnist-10k-images-idx3-ubyte.gz", 2051).astype(np.float32) / 255.0
    y = idx("data/mnist-10k-labels-idx1-ubyte.gz", 2049).astype(np.int64)
    xtr, ytr = torch.from_numpy(x[:8000].copy()), torch.from_numpy(y[:8000].copy())
    xte, yte = torch.from_numpy(x[8000:].copy()), torch.from_numpy(y[8000:].copy())
    log(f"torch {torch.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
        f"threads {torch.get_num_threads()}, cpu {platform.processor() or platform.machine()}")
    log(f"MNIST 10k: train {len(xtr)} rows (first 8000), test {len(xte)} rows (last 2000); "
        "784-256-128-10 relu, Adam lr 0.001, batch 64, 10 epochs, shuffled")
    finals, epoch_times = [], []
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        opt = torch.optim.Adam(model.parameters(), lr=0.001, foreach=False)
        lf = nn.CrossEntropyLoss()
        for epoch in range(1, 11):
            t0 = time.perf_counter()
            model.train()
            perm = torch.randperm(len(xtr))
            total = 0.0
            for s in range(0, len(xtr), 64):
                i = perm[s:s + 64]
                opt.zero_grad()
                loss = lf(model(xtr[i]), ytr[i])
                loss.backward()
                opt.step()
                total += loss.item() * len(i)
            dt = time.perf_counter() - t0
            epoch_times.append(dt)
            with torch.no_grad():
                out = model(xte)
                acc = (out.argmax(1) == yte).double().mean().item()
                tl = lf(out, yte).item()
            log(f"seed {seed} epoch {epoch:2d}: train loss {total / len(xtr):.4f}, "
                f"test loss {tl:.4f}, test accuracy {acc:.4f} ({dt:.2f} s)")
        finals.append(acc)
        log(f"seed {seed}: final test accuracy {acc:.4f}")
    log("test accuracy per seed: " + ", ".join(f"{a:.4f}" for a in finals)
        + f"; median {statistics.median(finals):.4f}")
    log(f"wall time per epoch (training, 2 threads): median {statistics.median(epoch_times):.3f} s, "
        f"min {min(epoch_times):.3f} s, max {max(epoch_times):.3f} s")
    with open(LOG_PATH, "w") as f:
        f.write("\n".join(LOG) + "\n")


if __name__ == "__main__":
    main()
