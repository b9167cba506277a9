"""Data-parallel training on one machine: the figures of BENCHMARKS.md's
"Training on several processes (MPI)" section, from one run.

    cargo build --release --features mpi
    python3 compare/distributed.py --backprop target/release/backprop \
        --data DIR/synth-60k-images-idx3-ubyte [--epochs 3] [--rounds 3]

(the synthetic set is written by compare/make_data.py, as compare/run.sh
does). Standard library only. For each round, in turn:

  one process, 2 threads      backprop train --threads 2
  one process, 1 thread       backprop train --threads 1
  2 ranks, shared memory      mpirun -np 2 ... --threads 1 --distributed
  2 ranks, loopback TCP       the same with --mca btl tcp,self, counting
                              the bytes sent on lo (/sys/class/net/lo)

It prints the median epoch time of each, the median time per step that
a rank waited for the gradient sums after its backward sweep (the `comm`
figures of --json), the gradient's size, and the bytes sent per step per
rank over TCP; then the ring all-reduce estimate for 8 machines.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def lo_tx():
    with open("/sys/class/net/lo/statistics/tx_bytes") as f:
        return int(f.read())


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backprop", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    train = [a.backprop, "train", "--data", a.data, "--layers", "784,256,128,10",
             "--activation", "relu", "--optimizer", "sgd", "--lr", "0.1", "--batch-size", "128",
             "--epochs", str(a.epochs), "--seed", "0", "--json", "--quiet"]
    mpirun = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"]
    systems = {
        "1 process, 2 threads": lambda: run(train + ["--threads", "2"]),
        "1 process, 1 thread": lambda: run(train + ["--threads", "1"]),
        "2 ranks x 1 thread, shared memory": lambda: run(
            mpirun + train + ["--threads", "1", "--distributed"]),
        "2 ranks x 1 thread, loopback TCP": lambda: run(
            mpirun + ["--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo"]
            + train + ["--threads", "1", "--distributed"]),
    }
    epochs = {k: [] for k in systems}
    waits = {k: [] for k in systems}
    sent = []
    grad_bytes = None
    for _ in range(a.rounds):
        for name, fn in systems.items():
            before = lo_tx()
            lines = fn()
            after = lo_tx()
            epochs[name] += [d["epoch_seconds"] for d in lines]
            comm = [d["comm"] for d in lines if d.get("comm")]
            if comm:
                waits[name] += [c["wait_seconds"] / c["steps"] for c in comm]
                grad_bytes = comm[0]["gradient_bytes"]
                if "TCP" in name:
                    steps = sum(c["steps"] for c in comm)
                    sent.append((after - before) / steps / 2)
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores; {a.rounds} rounds of {a.epochs} epochs, "
          f"784-256-128-10 f32, batch 128, {os.path.basename(a.data)}")
    base = statistics.median(epochs["1 process, 2 threads"])
    print(f"{'':36} {'epoch (median)':>15} {'vs 1 proc x 2':>14} {'wait/step':>11}")
    for name in systems:
        m = statistics.median(epochs[name])
        w = f"{statistics.median(waits[name]) * 1e3:.2f} ms" if waits[name] else "-"
        print(f"{name:36} {m:13.3f} s {base / m:13.2f}x {w:>11}")
    steps = 60000 // 128 + 1
    print(f"gradient per step: {grad_bytes} bytes")
    if sent:
        print(f"sent per step per rank over loopback TCP (median): {statistics.median(sent):.0f} bytes"
              f" = {statistics.median(sent) / grad_bytes:.2f}x the gradient")
    # Ring all-reduce on N machines: 2(N-1)/N x bytes / bandwidth + 2(N-1) x latency.
    n, bw, lat = 8, 10e9 / 8, 50e-6
    ring = 2 * (n - 1) / n * grad_bytes / bw + 2 * (n - 1) * lat
    one = statistics.median(epochs["1 process, 2 threads"])
    compute = one / n
    print(f"8 machines of 2 cores on 10 Gbit/s (latency {lat * 1e6:.0f} us): all-reduce "
          f"{ring * 1e3:.2f} ms per step, {ring * steps:.2f} s per epoch; compute {compute:.3f} s "
          f"per epoch (1/8 of one machine's); epoch >= {compute + ring * steps:.3f} s without "
          f"overlap, {max(compute, ring * steps):.3f} s with full overlap")


if __name__ == "__main__":
    main()
