//! `train --distributed` under `mpirun` (feature `mpi`): the weights of 2
//! and 3 ranks against one process, failures that must not hang, and the
//! checks that catch ranks which differ.
//!
//! Needs Open MPI's `mpirun` (Debian: `openmpi-bin`); without it each test
//! prints a notice and skips, unless the `CI` environment variable is set
//! (`.ci/run` installs it), where it fails. Ranks talk over loopback only.
#![cfg(feature = "mpi")]

#[path = "common/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use backprop::io::{self, AnyTensor};
use cli::{data, s, scratch};

/// `mpirun`, or `None` (with a notice, or a failure under CI).
fn mpirun() -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join("mpirun"))
        .find(|p| p.is_file());
    if found.is_none() {
        let why =
            "the MPI tests need Open MPI's mpirun (apt-get install openmpi-bin libopenmpi-dev)";
        assert!(
            std::env::var_os("CI").is_none(),
            "{why}; CI is set, so this fails"
        );
        eprintln!("notice: skipped: {why}");
    }
    found
}

/// `mpirun` on loopback with `ranks` copies of the binary given `args`.
fn mpi_cmd(mpirun: &Path, ranks: usize, args: &[&str]) -> Command {
    let mut c = Command::new(mpirun);
    c.args(["--allow-run-as-root", "--oversubscribe"])
        .args([
            "--mca",
            "btl_tcp_if_include",
            "lo",
            "--mca",
            "oob_tcp_if_include",
            "lo",
        ])
        .args(["-np", &ranks.to_string(), env!("CARGO_BIN_EXE_backprop")])
        .args(args)
        .stdin(Stdio::null());
    c
}

/// Two ranks running `args`, rank 0 on `--data data0` and rank 1 on
/// `--data data1` (`mpirun`'s `A : B` form).
fn two_ranks_on(mpirun: &Path, args: &[&str], data0: &str, data1: &str) -> Command {
    let mut c = Command::new(mpirun);
    c.args(["--allow-run-as-root", "--oversubscribe"]);
    for (i, data) in [data0, data1].into_iter().enumerate() {
        if i > 0 {
            c.arg(":");
        }
        c.args(["-np", "1", env!("CARGO_BIN_EXE_backprop")])
            .args(args)
            .args(["--data", data]);
    }
    c.stdin(Stdio::null());
    c
}

/// Runs `args` as one process, then under `mpirun -np` each of `ranks`
/// with `--distributed`, saving the model of each; returns the paths
/// (one process first).
fn train_each(dir: &Path, mpirun: &Path, ranks: &[usize], args: &[&str]) -> Vec<PathBuf> {
    let one = dir.join("one.safetensors");
    let mut a = args.to_vec();
    a.extend(["--quiet", "--save", s(&one)]);
    cli::ok(&a);
    let mut paths = vec![one];
    for &n in ranks {
        let path = dir.join(format!("np{n}.safetensors"));
        let mut a = args.to_vec();
        a.extend(["--quiet", "--distributed", "--save", s(&path)]);
        let out = mpi_cmd(mpirun, n, &a).output().unwrap();
        assert!(
            out.status.success(),
            "-np {n} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        paths.push(path);
    }
    paths
}

/// Every tensor of `path` as f64s, by name.
fn tensors(path: &Path) -> Vec<(String, Vec<f64>)> {
    let file = io::load_model(path).unwrap();
    file.tensors
        .into_iter()
        .map(|(name, t)| {
            let values = match t {
                AnyTensor::F32(t) => t.data().iter().map(|&v| f64::from(v)).collect(),
                AnyTensor::F64(t) => t.data().to_vec(),
            };
            (name, values)
        })
        .collect()
}

/// Per tensor, `max|a−b| ≤ tol · max(1, max|b|)` (the rule);
/// returns the largest relative difference seen.
fn assert_close(a: &Path, b: &Path, tol: f64, what: &str) -> f64 {
    let (ta, tb) = (tensors(a), tensors(b));
    assert_eq!(ta.len(), tb.len(), "{what}");
    let mut worst = 0.0f64;
    for ((na, va), (nb, vb)) in ta.iter().zip(&tb) {
        assert_eq!(na, nb, "{what}");
        let diff = va
            .iter()
            .zip(vb)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        let scale = vb.iter().map(|y| y.abs()).fold(1.0, f64::max);
        assert!(diff.is_finite(), "{what}: {na} is not finite");
        assert!(
            diff <= tol * scale,
            "{what}: {na} differs by {diff:e} (allowed {:e})",
            tol * scale
        );
        worst = worst.max(diff / scale);
    }
    worst
}

/// The tolerance for a dtype: 1e-10 in f64, 1e-4 in f32.
fn tol(dtype: &str) -> f64 {
    if dtype == "f64" {
        1e-10
    } else {
        1e-4
    }
}

/// 2 and 3 ranks train the weights of one process, for every optimiser and
/// both dtypes, on iris with shuffling and batches of 16 (150 rows: the
/// last batch has 6, and 16 rows split 6, 5, 5 over three ranks).
#[test]
fn two_and_three_ranks_match_one_process_on_iris_for_every_optimizer() {
    let Some(mpirun) = mpirun() else { return };
    let iris = data("iris.csv");
    for dtype in ["f64", "f32"] {
        for opt in [
            &["--optimizer", "sgd", "--lr", "0.1"][..],
            &["--optimizer", "momentum", "--lr", "0.05", "--nesterov"],
            &[
                "--optimizer",
                "adam",
                "--lr",
                "0.01",
                "--weight-decay",
                "0.001",
            ],
            &["--optimizer", "adamw", "--lr", "0.01"],
        ] {
            let dir = scratch(&format!("mpi-iris-{dtype}-{}", opt[1]));
            let mut args = vec!["train", "--data", &iris, "--layers", "4,12,8,3"];
            args.extend(["--activation", "tanh", "--standardize", "--epochs", "5"]);
            args.extend(["--batch-size", "16", "--seed", "3", "--dtype", dtype]);
            args.extend(opt);
            let paths = train_each(&dir, &mpirun, &[2, 3], &args);
            for p in &paths[1..] {
                let worst = assert_close(p, &paths[0], tol(dtype), &format!("{args:?} {p:?}"));
                eprintln!(
                    "{dtype} {}: {p:?} worst relative difference {worst:e}",
                    opt[1]
                );
            }
        }
    }
}

/// Generated sets, a batch smaller than the ranks (empty shards: a rank
/// with no rows sends zeros), the full batch, and BCE.
#[test]
fn ranks_with_empty_shards_and_generated_sets_match_one_process() {
    let Some(mpirun) = mpirun() else { return };
    let cases: [(&str, &[&str]); 4] = [
        // 2 rows over 3 ranks: one rank always has none.
        (
            "f64",
            &[
                "--data",
                "moons",
                "--batch-size",
                "2",
                "--optimizer",
                "adam",
                "--lr",
                "0.01",
            ],
        ),
        // 200 rows in batches of 7 over 2 and 3 ranks; the last batch has 4.
        (
            "f32",
            &[
                "--data",
                "spirals",
                "--batch-size",
                "7",
                "--optimizer",
                "momentum",
                "--lr",
                "0.05",
            ],
        ),
        (
            "f64",
            &[
                "--data",
                "circles",
                "--batch-size",
                "0",
                "--optimizer",
                "sgd",
                "--lr",
                "0.5",
            ],
        ),
        (
            "f64",
            &[
                "--data",
                "xor",
                "--loss",
                "bce",
                "--batch-size",
                "5",
                "--layers",
                "2,4,1",
            ],
        ),
    ];
    for (i, (dtype, flags)) in cases.iter().enumerate() {
        let dir = scratch(&format!("mpi-gen-{i}"));
        let mut args = vec!["train", "--epochs", "5", "--seed", "7", "--dtype", dtype];
        args.extend(*flags);
        let paths = train_each(&dir, &mpirun, &[2, 3], &args);
        for p in &paths[1..] {
            assert_close(p, &paths[0], tol(dtype), &format!("{args:?} {p:?}"));
        }
    }
}

/// One rank with `--distributed` is one process, bit for bit.
#[test]
fn one_rank_is_one_process_bit_for_bit() {
    let Some(mpirun) = mpirun() else { return };
    let dir = scratch("mpi-one");
    let iris = data("iris.csv");
    let args = [
        "train",
        "--data",
        &iris,
        "--epochs",
        "3",
        "--batch-size",
        "10",
    ];
    let paths = train_each(&dir, &mpirun, &[1], &args);
    assert_eq!(tensors(&paths[1]), tensors(&paths[0]));
}

/// `--resume` under `mpirun`: 3 epochs with a checkpoint, then 2 more from
/// it on 2 ranks, give the weights of 5 epochs in one process.
#[test]
fn resume_under_mpirun_continues_as_one_process_would() {
    let Some(mpirun) = mpirun() else { return };
    let dir = scratch("mpi-resume");
    let iris = data("iris.csv");
    let base = [
        "train",
        "--data",
        &iris,
        "--batch-size",
        "16",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--dtype",
        "f64",
        "--standardize",
        "--quiet",
    ];
    let one = dir.join("one.safetensors");
    let mut a = base.to_vec();
    a.extend(["--epochs", "5", "--save", s(&one)]);
    cli::ok(&a);
    let ck = dir.join("ck.json");
    let mut a = base.to_vec();
    a.extend(["--epochs", "3", "--checkpoint", s(&ck), "--distributed"]);
    assert!(mpi_cmd(&mpirun, 2, &a).status().unwrap().success());
    let two = dir.join("two.safetensors");
    let mut a = base.to_vec();
    a.extend([
        "--epochs",
        "5",
        "--resume",
        s(&ck),
        "--save",
        s(&two),
        "--distributed",
    ]);
    let out = mpi_cmd(&mpirun, 2, &a).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_close(&two, &one, 1e-10, "resumed on 2 ranks");
}

/// Only rank 0 prints: one JSON line per epoch, with the whole set's loss.
#[test]
fn only_rank_0_prints() {
    let Some(mpirun) = mpirun() else { return };
    let args = [
        "train",
        "--data",
        "moons",
        "--epochs",
        "3",
        "--json",
        "--distributed",
    ];
    let out = mpi_cmd(&mpirun, 3, &args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    let single = cli::ok(&args[..6]);
    let loss = |line: &str| {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        v["train_loss"].as_f64().unwrap()
    };
    for (a, b) in stdout.lines().zip(single.lines()) {
        assert!((loss(a) - loss(b)).abs() < 1e-5, "{a} vs {b}");
    }
}

/// Rank 1 reads other data than rank 0: caught before training, on every
/// rank, with one message from rank 0 and exit 2.
#[test]
fn a_rank_with_other_data_is_caught_before_training() {
    let Some(mpirun) = mpirun() else { return };
    let dir = scratch("mpi-data");
    let other = dir.join("iris-other.csv");
    let text = std::fs::read_to_string(data("iris.csv")).unwrap();
    // The same file with one value changed.
    std::fs::write(&other, text.replacen("6.5,3.0", "6.5,3.1", 1)).unwrap();
    let save = dir.join("m.safetensors");
    let common = [
        "train",
        "--epochs",
        "2",
        "--distributed",
        "--save",
        s(&save),
    ];
    let iris = data("iris.csv");
    let out = two_ranks_on(&mpirun, &common, &iris, s(&other))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("rank 1: the training data (--data) differ from rank 0's"),
        "{err}"
    );
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(!save.exists());
}

/// A rank that fails alone (its data file is missing) ends the job: exit
/// non-zero, its message shown, no rank left waiting.
#[test]
fn a_rank_that_fails_alone_ends_the_job_with_its_message() {
    let Some(mpirun) = mpirun() else { return };
    let iris = data("iris.csv");
    let common = ["train", "--epochs", "2", "--distributed"];
    let started = Instant::now();
    let out = two_ranks_on(&mpirun, &common, &iris, "/nonexistent/iris.csv")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("error: rank 1: "), "{err}");
    assert!(err.contains("/nonexistent/iris.csv"), "{err}");
    eprintln!("failed alone: the job ended in {:?}", started.elapsed());
}

/// One rank killed with SIGKILL mid-epoch: the job ends, non-zero, within
/// 30 s (a hang detector: the one wall-clock limit in the tests).
#[test]
fn a_rank_killed_mid_epoch_ends_the_job_within_30_s() {
    let Some(mpirun) = mpirun() else { return };
    let dir = scratch("mpi-kill");
    let marker = dir.join("never.safetensors");
    let mnist = data("mnist-10k-images-idx3-ubyte.gz");
    let args = [
        "train",
        "--data",
        &mnist,
        "--layers",
        "784,64,10",
        "--epochs",
        "1000",
        "--threads",
        "1",
        "--json",
        "--distributed",
        "--save",
        s(&marker),
    ];
    let mut child = mpi_cmd(&mpirun, 2, &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first epoch's line: both ranks are training.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert!(line.contains("\"epoch\":1"), "{line}");
    let ranks = processes_with(s(&marker));
    assert_eq!(ranks.len(), 2, "{ranks:?}");
    let killed = Instant::now();
    Command::new("kill")
        .args(["-KILL", &ranks[1].to_string()])
        .status()
        .unwrap();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if killed.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            for pid in processes_with(s(&marker)) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            panic!("the job still runs 30 s after a rank was killed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    eprintln!("a killed rank: the job ended in {:?}", killed.elapsed());
    assert!(!status.success());
    assert!(!marker.exists());
}

/// The pids of the `backprop` processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if comm.trim() == "backprop" && String::from_utf8_lossy(&cmdline).contains(needle) {
            pids.push(pid);
        }
    }
    pids.sort_unstable();
    pids
}
