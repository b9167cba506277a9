"""Runs each workload in each system, one process at a time, and prints one table.

Started by compare/run.sh, which builds backprop, prepares the Python
environment and the data; see compare/README.md. Standard library only (it
runs under the benchmark venv's Python, but imports none of the systems).

    python compare/harness.py --backprop target/release/backprop --data-dir DIR [--quick]

Every measurement is one child process: `backprop walkthrough` / `backprop
train` for backprop, `compare/workloads.py` for NumPy, PyTorch and JAX. For
each, the harness records:
  * the timings the child reports (median over the repetitions);
  * the CPU share that *other* processes used meanwhile: /proc/stat (all CPUs)
    before and after, minus the child's own CPU time. The Python children
    measure this themselves around each timed repetition; for backprop the
    harness measures it over the child's whole life, taking the child's CPU
    time from wait4()'s rusage;
  * the child's peak memory (ru_maxrss from wait4()).
Before each measurement the harness waits (up to --max-quiet-wait seconds)
for the machine to be quiet (other processes below --quiet of the CPU over
half a second); a measurement during which others still used more than
--noisy of the CPU is repeated (--retries times at most) and the quietest
attempt kept. Every attempt goes into the results JSON.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORKLOADS = os.path.join(HERE, "workloads.py")
MNIST10K = os.path.join(ROOT, "data", "mnist-10k-images-idx3-ubyte.gz")
CLK_TCK = os.sysconf("SC_CLK_TCK")

NAMES = {
    "backprop": "backprop",
    "numpy": "NumPy",
    "torch": "PyTorch",
    "jax": "JAX (jit step)",
    "jax-jit": "JAX (jit step)",
    "jax-scan": "JAX (lax.scan)",
}

# Per system, steps per repetition of the notebook workload: about 0.2-0.7 s each
# on a 2-core 2.4 GHz EPYC.
NOTEBOOK_STEPS = {
    "backprop": 2_000_000,
    "numpy": 20_000,
    "torch": 2_000,
    "jax-jit": 20_000,
    "jax-scan": 1_000_000,
}


class Failure(Exception):
    """A system failed to run: the comparison exits non-zero."""


# ---------------------------------------------------------------------------
# The machine


def proc_stat():
    """(busy, total, steal) jiffies over all CPUs."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in parts[1:9])
    busy = user + nice + system + irq + softirq
    return busy, busy + idle + iowait + steal, steal


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def busy_share(seconds):
    """CPU share used by every process (this one sleeps) over `seconds`."""
    b0, t0, _ = proc_stat()
    time.sleep(seconds)
    b1, t1, _ = proc_stat()
    return (b1 - b0) / max(t1 - t0, 1)


def top_processes(n=5):
    """The busiest other processes right now, by `ps` (%CPU over each one's life; for the record)."""
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,etime,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    except OSError:
        return []
    rows = [line.split(None, 1) for line in out.splitlines()[1:]]
    return [" ".join(rest.split()) for pid, rest in rows if int(pid) != os.getpid()][:n]


def machine_info():
    info = {"python": platform.python_version(), "kernel": platform.release(), "cpus": os.cpu_count()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Core(s) per socket",
                               "Hypervisor vendor", "L2 cache", "L3 cache"):
                info[key.strip()] = value.strip()
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
    return info


def git_info():
    def git(*args):
        r = subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": (git("status", "--porcelain", "--", "src", "benches", "Cargo.toml", "Cargo.lock") or "").splitlines(),
    }


# ---------------------------------------------------------------------------
# Running one child


class Hogs:
    """`k` CPU-bound processes (a Python busy loop each), alive inside the `with`."""

    def __init__(self, k):
        self.k, self.procs = k, []

    def __enter__(self):
        for _ in range(self.k):
            self.procs.append(subprocess.Popen([sys.executable, "-S", "-c", "while True: pass"]))
        time.sleep(0.3 if self.k else 0)
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()
        return False


def run_child(cmd, env, timeout):
    """Runs `cmd`; returns stdout, wall seconds, CPU seconds, max RSS (KiB) and
    the other processes' CPU share over its life. Raises Failure if it fails."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        b0, t0, s0 = proc_stat()
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        b1, t1, s1 = proc_stat()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode != 0:
        why = f"timed out after {timeout} s" if p.returncode < 0 and wall >= timeout else f"exit status {p.returncode}"
        raise Failure(f"{shlex.join(cmd)}: {why}\n{stderr[-3000:]}")
    cpu = ru.ru_utime + ru.ru_stime
    total = max(t1 - t0, 1)
    others = max((b1 - b0) - cpu * CLK_TCK, 0) / total
    return {
        "stdout": stdout,
        "stderr": stderr,
        "wall": wall,
        "cpu": cpu,
        "maxrss_kib": ru.ru_maxrss,
        "others_cpu": round(others, 4),
        "steal_cpu": round((s1 - s0) / total, 4),
    }


# ---------------------------------------------------------------------------
# The harness


class Harness:
    def __init__(self, args):
        self.args = args
        self.results = []
        self.waited_total = 0.0
        base = dict(os.environ)
        base.setdefault("OMP_NUM_THREADS", str(args.threads))
        base["OMP_NUM_THREADS"] = base["OPENBLAS_NUM_THREADS"] = base["MKL_NUM_THREADS"] = str(args.threads)
        self.env = base
        # NumPy alone runs without the old-OpenBLAS workaround variables (see README).
        self.numpy_env = {k: v for k, v in base.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    # -- quiet -------------------------------------------------------------

    def wait_quiet(self):
        """Waits for other processes to use less than --quiet of the CPU; returns seconds waited."""
        a = self.args
        waited, start = 0.0, time.perf_counter()
        while True:
            share = busy_share(0.5)
            if share <= a.quiet:
                break
            waited = time.perf_counter() - start
            if waited >= a.max_quiet_wait or self.waited_total + waited >= a.max_total_wait:
                self.log(f"    (machine still busy: {share:.0%} of the CPU used by others; measuring anyway; {top_processes(3)})")
                break
            if int(waited) % 15 == 0 and waited >= 1:
                self.log(f"    waiting for a quiet machine ({share:.0%} busy) ...")
        waited = time.perf_counter() - start - 0.5
        self.waited_total += max(waited, 0)
        return round(max(waited, 0), 1)

    # -- one measurement, with retries -----------------------------------

    def measure(self, key, fn, retries=None):
        """Runs `fn()` -> measurement dict; retries noisy attempts; records the quietest."""
        retries = self.args.retries if retries is None else retries
        attempts = []
        for attempt in range(retries + 1):
            m = fn()
            m["attempt"] = attempt + 1
            attempts.append(m)
            noise = statistics.median(m["others_cpu"]) if m["others_cpu"] else 0
            if noise <= self.args.noisy:
                break
            if attempt < retries:
                self.log(f"    noisy ({noise:.0%} of the CPU used by others): again")
        best = min(attempts, key=lambda m: statistics.median(m["others_cpu"]))
        best = dict(best)
        best.update(key)
        best["median"] = statistics.median(best["values"])
        best["attempts"] = attempts if len(attempts) > 1 else None
        self.results.append(best)
        self.log(f"  {NAMES[key['system']]:15s} {fmt_value(best['median'], key['unit'])}"
                 f"  (others {statistics.median(best['others_cpu']):.0%})")
        return best

    # -- backprop ------------------------------------------------------------

    def backprop_notebook(self, reps, steps, check_steps):
        bp = self.args.backprop
        check = run_child([bp, "walkthrough", "--steps", str(check_steps), "--json"], self.env, 120)
        reference = json.loads(check["stdout"])["loss_after"]
        first = json.loads(run_child([bp, "walkthrough", "--steps", "1", "--json"], self.env, 120)["stdout"])

        def fn():
            values, others, steal, waits, loads = [], [], [], [], []
            for _ in range(reps):
                waits.append(self.wait_quiet())
                loads.append(loadavg())
                r = run_child([bp, "walkthrough", "--steps", str(steps), "--json"], self.env, 600)
                values.append(json.loads(r["stdout"])["train_seconds"] / steps)
                others.append(r["others_cpu"])
                steal.append(r["steal_cpu"])
            return {"values": values, "others_cpu": others, "steal_cpu": steal, "quiet_wait_s": waits,
                    "loadavg": loads, "steps": steps, "check_steps": check_steps, "check_loss": reference,
                    "first_step_seconds": first["train_seconds"], "others_window": "process"}

        return reference, fn

    def backprop_train(self, data, epochs):
        cmd = [self.args.backprop, "train", "--data", data, "--layers", "784,256,128,10",
               "--activation", "relu", "--loss", "cross-entropy", "--optimizer", "sgd", "--lr", "0.1",
               "--batch-size", "128", "--epochs", str(epochs), "--seed", "0",
               "--threads", str(self.args.threads), "--json", "--quiet"]

        def fn(hogs=0):
            wait = self.wait_quiet()
            load = loadavg()
            with Hogs(hogs):
                r = run_child(cmd, self.env, self.args.timeout)
            lines = [json.loads(line) for line in r["stdout"].splitlines() if line.strip()]
            if len(lines) != epochs:
                raise Failure(f"{shlex.join(cmd)}: expected {epochs} JSON lines, got {len(lines)}")
            return {"values": [d["epoch_seconds"] for d in lines],
                    "others_cpu": [r["others_cpu"]], "steal_cpu": [r["steal_cpu"]],
                    "quiet_wait_s": [wait], "loadavg": [load], "maxrss_kib": r["maxrss_kib"],
                    "train_loss": [d["train_loss"] for d in lines],
                    "train_accuracy": [d["train_accuracy"] for d in lines],
                    "command": shlex.join(cmd), "others_window": "process", "busy_processes": hogs}

        return fn

    # -- Python systems --------------------------------------------------------

    def python(self, system, argv, hogs=0, env=None):
        env = env or (self.numpy_env if system == "numpy" else self.env)
        cmd = [self.args.python, WORKLOADS, *argv, "--threads", str(self.args.threads)]
        wait = self.wait_quiet()
        load = loadavg()
        with Hogs(hogs):
            r = run_child(cmd, env, self.args.timeout)
        d = json.loads(r["stdout"].strip().splitlines()[-1])
        d["values"] = d.pop("seconds")
        d.update({"quiet_wait_s": [wait], "loadavg": [load], "maxrss_kib": r["maxrss_kib"],
                  "process_others_cpu": r["others_cpu"], "command": shlex.join(cmd),
                  "others_window": "repetition", "busy_processes": hogs})
        return d

    def python_notebook(self, system, reps, steps, check_steps):
        return lambda: self.python(system, ["notebook", system, "--steps", str(steps), "--reps", str(reps),
                                            "--check-steps", str(check_steps)])

    def python_mlp(self, system, data, epochs, max_epoch_seconds=None):
        argv = ["mlp", system, "--data", data, "--epochs", str(epochs)]
        if max_epoch_seconds:
            argv += ["--max-epoch-seconds", str(max_epoch_seconds)]
        return lambda hogs=0: self.python(system, argv, hogs=hogs)

    # -- the workloads ---------------------------------------------------------

    def notebook(self):
        a = self.args
        self.log("notebook step (2-2-1 sigmoid on XOR, f64, lr 1)")
        key = {"workload": "notebook", "unit": "s"}
        reference, fn = self.backprop_notebook(a.notebook_reps, NOTEBOOK_STEPS["backprop"], a.check_steps)
        self.measure({**key, "system": "backprop"}, fn)
        for system in ("numpy", "torch", "jax-jit", "jax-scan"):
            steps = max(NOTEBOOK_STEPS[system] // a.notebook_divisor, 100)
            m = self.measure({**key, "system": system},
                             self.python_notebook(system, a.notebook_reps, steps, a.check_steps))
            if abs(m["check_loss"] - reference) > 1e-9 * abs(reference):
                raise Failure(f"notebook/{system}: loss after {a.check_steps} steps is {m['check_loss']!r}, "
                              f"backprop's is {reference!r}: not the same computation")

    def mlp(self, workload, data, epochs):
        self.log(f"MLP epoch ({workload}: {os.path.basename(data)})")
        key = {"workload": workload, "unit": "s"}
        self.measure({**key, "system": "backprop"}, self.backprop_train(data, epochs))
        for system in ("numpy", "torch", "jax"):
            m = self.measure({**key, "system": system}, self.python_mlp(system, data, epochs))
            if not m["train_loss"][-1] < 2.0:  # NaN, or not learning at all
                raise Failure(f"{workload}/{system}: train loss {m['train_loss']}: not learning")

    def gemm(self):
        a = self.args
        for shape, ta, tb in GEMM_SHAPES:
            self.log(f"GEMM f32 {gemm_title(shape, ta, tb)}")
            key = {"workload": f"gemm-{shape}-{int(ta)}{int(tb)}", "unit": "s", "shape": shape, "ta": ta, "tb": tb}
            m, k, n = (int(d) for d in shape.split("x"))
            reps = a.gemm_reps if m * k * n >= 2**28 else a.gemm_reps * 10
            flags = (["--ta"] if ta else []) + (["--tb"] if tb else [])
            bp = [a.backprop, "bench", "gemm", "--shape", shape, *flags, "--reps", str(reps),
                  "--threads", str(a.threads), "--json"]

            def fn(bp=bp, m=m, k=k, n=n):
                wait = self.wait_quiet()
                load = loadavg()
                r = run_child(bp, self.env, a.timeout)
                d = json.loads(r["stdout"])
                if d.get("isa"):
                    self.isa = d["isa"]
                return {"values": d["seconds"], "others_cpu": [r["others_cpu"]], "steal_cpu": [r["steal_cpu"]],
                        "quiet_wait_s": [wait], "loadavg": [load], "flop": 2 * m * k * n,
                        "command": shlex.join(bp), "others_window": "process"}

            self.measure({**key, "system": "backprop"}, fn)
            for system in ("numpy", "torch", "jax"):
                argv = ["gemm", system, "--shape", shape, *flags, "--reps", str(reps)]
                self.measure({**key, "system": system}, lambda argv=argv, system=system: self.python(system, argv))

    def contention(self, data):
        a = self.args
        for k in a.busy:
            self.log(f"MLP epoch (synth 60k) beside {k} busy process{'es' if k > 1 else ''}")
            key = {"workload": f"mlp-60k-busy{k}", "unit": "s", "busy_processes": k}
            for system in a.contention_systems:
                if system == "backprop":
                    fn = self.backprop_train(data, a.contention_epochs)
                else:
                    fn = self.python_mlp(system, data, a.contention_epochs, a.max_epoch_seconds)
                # Contended runs are noisy by design: no retries.
                self.measure({**key, "system": system}, lambda fn=fn, k=k: fn(hogs=k), retries=0)


# ---------------------------------------------------------------------------
# The table


def fmt_value(v, unit):
    if unit == "MiB":
        return f"{v:.0f} MiB"
    if v < 1e-3:
        return f"{v * 1e6:.3g} µs"
    if v < 1:
        return f"{v * 1e3:.3g} ms"
    return f"{v:.3g} s"


WORKLOAD_TITLES = {
    "notebook": "notebook step, 2-2-1 XOR f64",
    "mlp-60k": "MLP epoch, synth 60k f32",
    "mlp-10k": "MLP epoch, MNIST 10k f32",
    "rss-60k": "peak RSS, MLP synth 60k",
}


# The f32 products timed: 1024³, and the MLP's (784-256-128-10, batch 128) first
# layer: forward x·Wᵀ, weight gradient Ḡᵀ·x, input gradient Ḡ·W.
GEMM_SHAPES = [
    ("1024x1024x1024", False, False),
    ("128x784x256", False, True),
    ("256x128x784", True, False),
    ("128x256x784", False, False),
]


def gemm_title(shape, ta, tb):
    names = {("128x784x256", False, True): "x·Wᵀ", ("256x128x784", True, False): "Ḡᵀ·x",
             ("128x256x784", False, False): "Ḡ·W"}
    label = names.get((shape, ta, tb))
    return f"{shape}" + (f" ({label})" if label else "") + (" Aᵀ" if ta and not label else "") \
        + (" Bᵀ" if tb and not label else "")


def title(workload):
    if workload.startswith("gemm-"):
        _, shape, flags = workload.split("-")
        return "GEMM f32 " + gemm_title(shape, flags[0] == "1", flags[1] == "1")
    if workload.startswith("mlp-60k-busy"):
        k = workload[len("mlp-60k-busy"):]
        return f"MLP epoch 60k, {k} busy proc"
    return WORKLOAD_TITLES[workload]


def table_rows(results):
    """Rows (workload, system, median, range, n, ÷backprop, vs idle, others' CPU)."""
    rows = []
    by = {(r["workload"], r["system"]): r for r in results}
    idle = {s: r["median"] for (w, s), r in by.items() if w == "mlp-60k"}
    order = []
    for r in results:
        if r["workload"] not in order:
            order.append(r["workload"])
    for w in order:
        group = [r for r in results if r["workload"] == w]
        base = by.get((w, "backprop"))
        for r in group:
            others = r["others_cpu"]
            ratio = f"{r['median'] / base['median']:.3g}" if base else "—"
            vs_idle = "—"
            if w.startswith("mlp-60k-busy") and r["system"] in idle:
                vs_idle = f"{r['median'] / idle[r['system']]:.1f}×"
            spread = "—" if r["unit"] == "MiB" else \
                f"{fmt_value(min(r['values']), r['unit'])}–{fmt_value(max(r['values']), r['unit'])}"
            note = "*" if r.get("partial_epochs") else ""
            if r.get("flop"):
                note += f" ({r['flop'] / r['median'] / 1e9:.0f} GFLOP/s)"
            rows.append([
                title(w), NAMES[r["system"]], fmt_value(r["median"], r["unit"]) + note, spread,
                str(len(r["values"])), ratio, vs_idle,
                f"{statistics.median(others):.0%} (max {max(others):.0%})" if others else "—",
            ])
    return rows


def markdown_table(results):
    head = ["workload", "system", "median", "min–max", "n", "÷ backprop", "vs idle", "others' CPU"]
    rows = table_rows(results)
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]
    right = {2, 3, 4, 5, 6}

    def line(cells):
        return "| " + " | ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i])
                                 for i, c in enumerate(cells)) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                         for i, w in enumerate(widths)) + "|"
    return "\n".join([line(head), sep, *(line(r) for r in rows)])


# ---------------------------------------------------------------------------


def versions(results):
    """One line on the Python systems' versions and NumPy's BLAS (as threadpoolctl saw it)."""
    seen = {}
    for r in results:
        for k, v in (r.get("info") or {}).items():
            if k in ("numpy", "torch", "jax"):
                seen[k] = v
    lines = []
    if seen:
        lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(seen.items()))
                     + (f"; python {results[-1].get('python')}" if results and results[-1].get("python") else ""))
    for r in results:
        if r["system"] == "numpy" and r.get("blas"):
            b = [d for d in r["blas"] if d.get("internal_api") in ("openblas", "mkl", "blis")]
            if b:
                d = b[0]
                lines.append(f"NumPy's BLAS: {d['internal_api']} {d.get('version')}, kernel {d.get('architecture')}, "
                             f"{d.get('num_threads')} threads (OPENBLAS_CORETYPE={r['env'].get('OPENBLAS_CORETYPE')}, "
                             f"OPENBLAS_L2_SIZE={r['env'].get('OPENBLAS_L2_SIZE')})")
            break
    return lines


def backprop_peak(a, h):
    """`backprop bench peak --json` once, before the workloads: this machine's FMA
    peak per instruction set, precision and thread count (GFLOP/s)."""
    h.log("FMA peak (backprop bench peak)")
    h.wait_quiet()
    try:
        r = run_child([a.backprop, "bench", "peak", "--json"], h.env, a.timeout)
    except Failure as e:  # a binary from before `bench peak`
        h.log(f"no peak: {e}")
        return None
    return json.loads(r["stdout"])


def machine_line(meta):
    """The CPU, backprop's instruction set in use and that set's f32 FMA peak at the run's threads."""
    cpu = meta["machine"].get("Model name", "unknown CPU")
    isa = meta.get("isa")
    threads = meta["settings"]["threads"]
    peak = [p for p in meta.get("peak") or []
            if p["isa"] == isa and p["precision"] == "f32" and p["threads"] == threads]
    line = f"CPU: {cpu}, {meta['machine'].get('cpus')} cores; backprop's instruction set: {isa or 'not reported'}"
    if peak:
        line += f"; its f32 FMA peak at {threads} threads: {peak[0]['gflops']:.0f} GFLOP/s (backprop bench peak)"
    return line


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backprop", required=True, help="the release binary")
    ap.add_argument("--data-dir", required=True, help="where make_data.py wrote the synthetic set")
    ap.add_argument("--python", default=sys.executable, help="the venv's Python (default: this one)")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="folder for the results JSON")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and contention cases (~4 min)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quiet", type=float, default=0.10, help="others' CPU share counted as quiet (0..1)")
    ap.add_argument("--noisy", type=float, default=0.10, help="others' CPU share above which a measurement is retried")
    ap.add_argument("--retries", type=int, default=2)
    ap.add_argument("--max-quiet-wait", type=float, default=60, help="seconds to wait for quiet per measurement")
    ap.add_argument("--max-total-wait", type=float, default=300, help="seconds to wait for quiet in all")
    ap.add_argument("--timeout", type=float, default=600, help="seconds one child may run")
    ap.add_argument("--only", default="notebook,gemm,mlp-60k,mlp-10k,contention",
                    help="comma-separated parts to run (default: all)")
    a = ap.parse_args()
    if a.quick:
        a.notebook_reps, a.notebook_divisor, a.epochs = 5, 4, 3
        a.busy, a.contention_systems, a.contention_epochs, a.max_epoch_seconds = [2], ["backprop", "torch"], 3, 5
        a.retries = min(a.retries, 1)
    else:
        a.notebook_reps, a.notebook_divisor, a.epochs = 7, 1, 5
        a.busy, a.contention_systems, a.contention_epochs, a.max_epoch_seconds = \
            [1, 2, 8], ["backprop", "torch", "numpy", "jax"], 3, 8
    a.check_steps = 1000
    a.gemm_reps = 5 if a.quick else 15
    a.only = set(a.only.split(","))
    return a


def main():
    a = parse_args()
    h = Harness(a)
    started = datetime.datetime.now().astimezone()
    t0 = time.perf_counter()
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "command": os.environ.get("COMPARE_COMMAND") or shlex.join(sys.argv),
        "quick": a.quick,
        "machine": machine_info(),
        "git": git_info(),
        "loadavg_start": loadavg(),
        "top_processes_start": top_processes(),
        "openblas_env_in_parent": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "settings": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(a).items()},
    }
    try:
        with open(os.path.join(a.data_dir, "data.json")) as f:
            meta["synthetic_data"] = json.load(f)
    except OSError:
        pass
    synth = os.path.join(a.data_dir, "synth-60k-images-idx3-ubyte")
    h.isa = None
    meta["peak"] = backprop_peak(a, h)
    failure = None
    try:
        if "notebook" in a.only:
            h.notebook()
        if "gemm" in a.only:
            h.gemm()
        if "mlp-60k" in a.only:
            h.mlp("mlp-60k", synth, a.epochs)
            for r in [r for r in h.results if r["workload"] == "mlp-60k"]:
                h.results.append({"workload": "rss-60k", "system": r["system"], "unit": "MiB",
                                  "values": [r["maxrss_kib"] / 1024], "median": r["maxrss_kib"] / 1024,
                                  "others_cpu": []})
        if "mlp-10k" in a.only:
            h.mlp("mlp-10k", MNIST10K, a.epochs)
        if "contention" in a.only:
            h.contention(synth)
    except Failure as e:
        failure = str(e)
    except KeyboardInterrupt:
        failure = "interrupted"
    meta["isa"] = h.isa
    meta["seconds"] = round(time.perf_counter() - t0, 1)
    meta["quiet_wait_total_s"] = round(h.waited_total, 1)
    meta["loadavg_end"] = loadavg()
    meta["top_processes_end"] = top_processes()
    table = markdown_table(h.results) if h.results else ""
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, started.strftime("%Y%m%d-%H%M%S") + (("-quick" if a.quick else "")) + ".json")
    with open(path, "w") as f:
        json.dump({"meta": meta, "failure": failure, "table": table, "results": h.results}, f, indent=1)
    print()
    print(table)
    print()
    print(f"÷ backprop: each system's median / backprop's median for the same row group (> 1: backprop is faster / smaller).")
    print(f"vs idle: median epoch beside the busy processes / the same system's idle 60k median.")
    print(f"others' CPU: share of both cores used by other processes during the measurement (median and max over repetitions).")
    if any(r.get("partial_epochs") for r in h.results):
        print(f"*: epochs cut short after {a.max_epoch_seconds} s; epoch time = seconds per batch x batches per epoch.")
    print(machine_line(meta))
    for line in versions(h.results):
        print(line)
    print(f"load average {meta['loadavg_start']} at start, {meta['loadavg_end']} at end; "
          f"{meta['seconds']:.0f} s in all ({meta['quiet_wait_total_s']:.0f} s waiting for quiet).")
    print(f"raw numbers: {os.path.relpath(path, ROOT)}")
    if failure:
        print(f"\nFAILED: {failure}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
