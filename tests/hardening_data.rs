//! Bad input and oversized requests on the data side (issue 9): each one is a
//! one-line error with exit code 2, never a panic, an abort or invented output.
//! The address-space cases run the binary under `ulimit -v` (1 GiB), where an
//! unchecked allocation would abort (signal 6, exit 134).

#[path = "common/cli.rs"]
mod cli;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use cli::{data, fails, ok, one_line_exit_2, run, run_with_closed_stdout, s, scratch};

/// Runs the binary with its address space limited to 1 GiB (one rayon
/// thread and two malloc arenas, so the limit is not spent on thread stacks
/// and arenas).
fn run_limited(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 1048576; exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_backprop"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .env("MALLOC_ARENA_MAX", "2")
        .stdin(Stdio::null())
        .output()
        .expect("sh runs the binary")
}

/// [`run_limited`] must fail with exit 2 and one line containing `needle`
/// (an abort would be a signal, with no exit code).
fn fails_limited(args: &[&str], needle: &str) -> String {
    let out = run_limited(args);
    one_line_exit_2(&out, args, needle)
}

/// Trains a small iris model into `dir` and returns its path.
fn iris_model(dir: &Path, loss: &str, data_file: &str) -> String {
    let model = dir.join(format!("{loss}.safetensors"));
    ok(&[
        "train",
        "--data",
        data_file,
        "--loss",
        loss,
        "--epochs",
        "1",
        "--quiet",
        "--save",
        s(&model),
    ]);
    s(&model).to_string()
}

/// A gzip file at `path` holding `copies` repetitions of `line`.
fn gzip_bomb(path: &Path, line: &[u8], copies: usize) {
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let block = line.repeat(1 << 16);
    let blocks = copies >> 16;
    for _ in 0..blocks {
        gz.write_all(&block).unwrap();
    }
    for _ in 0..copies - (blocks << 16) {
        gz.write_all(line).unwrap();
    }
    gz.finish().unwrap();
}

// ---- 1. eval needs targets ----

#[test]
fn eval_without_a_label_column_is_refused_and_predict_takes_it() {
    let dir = scratch("eval-no-labels");
    let model = iris_model(&dir, "cross-entropy", &data("iris.csv"));
    let iris = std::fs::read_to_string(data("iris.csv")).unwrap();
    let features: String = iris
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    let path = dir.join("features.csv");
    std::fs::write(&path, features).unwrap();
    let line = fails(
        &["eval", "--model", &model, "--data", s(&path)],
        "no label/target column: eval needs the model's 4 features followed by a class label column",
    );
    assert!(line.contains(s(&path)), "{line}");
    // predict still takes features alone: a header and one row per sample.
    let out = ok(&["predict", "--model", &model, "--data", s(&path)]);
    assert_eq!(out.lines().count(), 151);
    assert!(out.starts_with("class,p_setosa,p_versicolor,p_virginica\n"));
    // eval with the labels works as before.
    let out = ok(&["eval", "--model", &model, "--data", &data("iris.csv")]);
    assert!(out.contains("(150 samples)"), "{out}");
}

#[test]
fn eval_of_a_regression_model_without_targets_is_refused() {
    let dir = scratch("eval-no-targets");
    // Targets 0/1 (setosa or not), for bce.
    let iris = std::fs::read_to_string(data("iris.csv")).unwrap();
    let mut with_targets = String::new();
    let mut features = String::new();
    for l in iris.lines().skip(1) {
        let (f, label) = l.rsplit_once(',').unwrap();
        with_targets += &format!("{f},{}\n", u8::from(label == "setosa"));
        features += &format!("{f}\n");
    }
    let (t, f) = (dir.join("t.csv"), dir.join("f.csv"));
    std::fs::write(&t, with_targets).unwrap();
    std::fs::write(&f, features).unwrap();
    let model = iris_model(&dir, "bce", s(&t));
    fails(
        &["eval", "--model", &model, "--data", s(&f)],
        "eval needs the model's 4 features followed by 1 target column(s)",
    );
    let out = ok(&["eval", "--model", &model, "--data", s(&t)]);
    assert!(out.starts_with("loss "), "{out}");
}

// ---- 2. memory is bounded ----

#[test]
fn gzip_past_max_inflate_mib_is_refused() {
    let dir = scratch("inflate-limit");
    let bomb = dir.join("bomb.csv.gz");
    gzip_bomb(&bomb, b"0,0,0\n", 400_000); // 2.4 MB inflated
    assert!(std::fs::metadata(&bomb).unwrap().len() < 100_000);
    let line = fails(
        &["train", "--data", s(&bomb), "--max-inflate-mib", "1"],
        "the gzip stream inflates to more than 1 MiB (limit 1 MiB; raise it with --max-inflate-mib)",
    );
    assert!(line.contains(s(&bomb)), "{line}");
    let model = iris_model(&dir, "cross-entropy", &data("iris.csv"));
    for cmd in ["eval", "predict"] {
        fails(
            &[
                cmd,
                "--model",
                &model,
                "--data",
                s(&bomb),
                "--max-inflate-mib",
                "1",
            ],
            "raise it with --max-inflate-mib",
        );
    }
    // A gzip file under the limit loads: iris, gzipped, with a 1 MiB limit.
    let iris_gz = dir.join("iris.csv.gz");
    gzip_bomb(&iris_gz, &std::fs::read(data("iris.csv")).unwrap(), 1);
    let out = ok(&[
        "train",
        "--data",
        s(&iris_gz),
        "--max-inflate-mib",
        "1",
        "--epochs",
        "1",
        "--json",
        "--quiet",
    ]);
    assert!(out.starts_with("{\"epoch\":1"), "{out}");
}

#[test]
fn gzip_bomb_under_an_address_space_limit_is_one_line() {
    let dir = scratch("gzip-bomb");
    let bomb = dir.join("bomb.csv.gz");
    gzip_bomb(&bomb, b"0,0,0\n", 250_000_000); // 1.5 GB inflated
    assert!(std::fs::metadata(&bomb).unwrap().len() < 16 << 20);
    // Whichever comes first, the 1 GiB default limit or the failed
    // allocation, it is one line naming the file.
    let line = fails_limited(&["train", "--data", s(&bomb)], s(&bomb));
    assert!(
        line.contains("--max-inflate-mib") || line.contains("cannot allocate memory"),
        "{line}"
    );
}

#[test]
fn samples_past_memory_under_an_address_space_limit_is_one_line() {
    let line = fails_limited(
        &["train", "--data", "moons", "--samples", "1000000000"],
        "moons: cannot allocate memory for 1000000000 points (--samples)",
    );
    assert!(line.contains("24000000000 bytes"), "{line}");
}

#[test]
fn layers_past_memory_under_an_address_space_limit_is_one_line() {
    fails_limited(
        &["train", "--data", &data("iris.csv"), "--layers", "4,100000000,3"],
        "layer 1 (4 → 100000000) brings the network to 500000000 parameters, over the limit of 268435456; use smaller --layers",
    );
    // Within the parameter limit, but not within the address space: the
    // training run's memory is reserved (and refused) before it starts.
    fails_limited(
        &[
            "train",
            "--data",
            &data("iris.csv"),
            "--layers",
            "4,20000000,3",
        ],
        "--layers 4,20000000,3 --batch-size 32: training needs about",
    );
}

#[test]
fn eval_with_too_many_labels_under_an_address_space_limit_is_one_line() {
    let dir = scratch("many-labels");
    let model = iris_model(&dir, "cross-entropy", &data("iris.csv"));
    let mut csv = String::from("a,b,c,d,species\n");
    for i in 0..2000 {
        csv += &format!("1,2,3,4,kind{i}\n");
    }
    let path = dir.join("many.csv");
    std::fs::write(&path, csv).unwrap();
    // The 1001st distinct label is on line 1002 (after the header).
    let expect = format!(
        "{}:1002: label \"kind1000\" makes 1001 distinct class labels (limit 1000 classes; raise it with --max-classes)",
        s(&path)
    );
    fails_limited(&["eval", "--model", &model, "--data", s(&path)], &expect);
    fails(&["train", "--data", s(&path)], &expect);
    // With the limit raised, loading gets past the labels (and training runs).
    let out = ok(&[
        "train",
        "--data",
        s(&path),
        "--max-classes",
        "2000",
        "--epochs",
        "1",
        "--json",
        "--quiet",
    ]);
    assert!(out.starts_with("{\"epoch\":1"), "{out}");
}

#[test]
fn max_classes_counts_index_labels_and_idx_labels() {
    let dir = scratch("max-classes");
    // Integer labels are class indices: label 5000 asks for 5001 classes.
    let path = dir.join("index.csv");
    std::fs::write(&path, "1,2,0\n3,4,5000\n5,6,1\n").unwrap();
    fails(
        &["train", "--data", s(&path)],
        &format!(
            "{}:2: label \"5000\" asks for 5001 classes (integer labels are class indices) (limit 1000 classes; raise it with --max-classes)",
            s(&path)
        ),
    );
    // Iris has 3 classes; the third distinct label is on line 4.
    fails(
        &["train", "--data", &data("iris.csv"), "--max-classes", "2"],
        &format!(
            "{}:8: label \"versicolor\" makes 3 distinct class labels (limit 2 classes",
            data("iris.csv")
        ),
    );
    // MNIST labels 0..9 are 10 classes.
    let labels = data("mnist-10k-labels-idx1-ubyte.gz");
    let line = fails(
        &[
            "train",
            "--data",
            &data("mnist-10k-images-idx3-ubyte.gz"),
            "--max-classes",
            "5",
        ],
        "asks for 10 classes (limit 5 classes; raise it with --max-classes)",
    );
    assert!(line.contains(&labels), "{line}");
}

// ---- 3. huge flag values ----

#[test]
fn huge_flag_values_are_one_line_errors() {
    let iris = data("iris.csv");
    fails(
        &["train", "--data", &iris, "--layers", "4,18446744073709551615,3"],
        "layer 1 (4 → 18446744073709551615) brings the network to more than 18446744073709551615 parameters",
    );
    fails(
        &[
            "train",
            "--data",
            "moons",
            "--loss",
            "bce",
            "--layers",
            "2,100000000,1",
        ],
        "over the limit of 268435456; use smaller --layers",
    );
    fails(
        &["train", "--data", "moons", "--samples", "18446744073709551615"],
        "moons: cannot allocate memory for 18446744073709551615 points (--samples), more bytes than fit in memory",
    );
    fails(
        &["bench", "gemm", "--shape", "18446744073709551615x2x2"],
        "--shape 18446744073709551615x2x2: A (18446744073709551615×2 f32) needs more memory than can be allocated",
    );
    fails(
        &[
            "bench",
            "gemm",
            "--shape",
            "2x2x2",
            "--reps",
            "18446744073709551615",
        ],
        "--reps 18446744073709551615: expected at most 1000000 timed repetitions",
    );
    fails_limited(
        &["bench", "gemm", "--shape", "100000x100000x100000"],
        "--shape 100000x100000x100000: A (100000×100000 f32) needs more memory than can be allocated",
    );
}

#[test]
fn bench_to_a_closed_pipe_exits_141_quietly() {
    let out = run_with_closed_stdout(&["bench", "gemm", "--shape", "8x8x8", "--reps", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "");
    assert_eq!(out.status.code(), Some(141));
}

#[test]
fn bench_to_a_full_disk_is_one_line() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let args = ["bench", "gemm", "--shape", "8x8x8", "--reps", "1", "--json"];
    let out = cli::cmd(&args)
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    one_line_exit_2(&out, &args, "cannot write the result to stdout");
}

// ---- 4. messages and parsing ----

#[test]
fn a_directory_as_data_is_named_as_such() {
    let dir = scratch("dir-data");
    fails(
        &["train", "--data", s(&dir)],
        &format!("{}: is a directory, expected a CSV or IDX file", s(&dir)),
    );
    // A missing file is still "no such file".
    fails(
        &["train", "--data", s(&dir.join("missing.csv"))],
        "no such file and not a generated set",
    );
}

#[test]
fn dev_null_as_data_is_an_empty_file() {
    fails(
        &["train", "--data", "/dev/null"],
        "/dev/null:1: expected a CSV row, got an empty file",
    );
}

/// Runs the binary with `args`, where `"FIFO"` stands for a named pipe
/// (made in `dir`) that a thread fills with `content`.
fn run_with_fifo(dir: &Path, content: Vec<u8>, args: &[&str]) -> Output {
    let fifo = dir.join("data.fifo");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Blocks until the binary opens the FIFO for reading.
            let mut w = std::fs::OpenOptions::new().write(true).open(&fifo)?;
            w.write_all(&content)
        })
    };
    let args: Vec<&str> = args
        .iter()
        .map(|&a| if a == "FIFO" { s(&fifo) } else { a })
        .collect();
    let out = run(&args);
    if !writer.is_finished() {
        // The binary never opened it: let the writer go.
        let _ = std::fs::File::open(&fifo);
    }
    writer
        .join()
        .unwrap()
        .expect("the binary read the whole pipe");
    out
}

#[test]
fn a_fifo_as_data_is_read_as_csv() {
    let dir = scratch("fifo-data");
    let iris = std::fs::read(data("iris.csv")).unwrap();
    let model = dir.join("m.safetensors");
    let out = run_with_fifo(
        &dir,
        iris.clone(),
        &[
            "train",
            "--data",
            "FIFO",
            "--epochs",
            "1",
            "--json",
            "--quiet",
            "--save",
            s(&model),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("{\"epoch\":1"), "{stdout}");
    // Gzipped through the pipe, for eval.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&iris).unwrap();
    let out = run_with_fifo(
        &dir,
        gz.finish().unwrap(),
        &["eval", "--model", s(&model), "--data", "FIFO"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("(150 samples)"), "{stdout}");
    // predict on features alone through a pipe: the pipe is read once and
    // parsed twice (with a label column, then as features only).
    let features: String = String::from_utf8(iris)
        .unwrap()
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    let out = run_with_fifo(
        &dir,
        features.into_bytes(),
        &["predict", "--model", s(&model), "--data", "FIFO"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 151);
}

#[test]
fn noise_is_bounded_to_0_100() {
    fails(
        &["train", "--data", "moons", "--noise", "1e308"],
        "moons: expected a noise level (--noise) in [0, 100], got 1e308",
    );
    fails(
        &["train", "--data", "moons", "--noise", "-1"],
        "--noise -1: expected a non-negative finite number",
    );
    let out = ok(&[
        "train", "--data", "moons", "--noise", "100", "--epochs", "1", "--json", "--quiet",
    ]);
    assert!(out.starts_with("{\"epoch\":1"), "{out}");
}

#[test]
fn negative_numbers_reach_the_flags_own_checks() {
    for (flag, value, needle) in [
        (
            "--lr",
            "-1",
            "--lr -1: the learning rate must be a positive finite number",
        ),
        (
            "--momentum",
            "-0.5",
            "--momentum -0.5: expected a non-negative finite number",
        ),
        (
            "--weight-decay",
            "-1",
            "--weight-decay -1: expected a non-negative finite number",
        ),
        (
            "--test-fraction",
            "-0.25",
            "--test-fraction -0.25: expected a fraction in [0, 1)",
        ),
    ] {
        fails(&["train", "--data", "moons", flag, value], needle);
    }
}

#[test]
fn bce_targets_outside_0_1_are_refused_for_train_and_eval() {
    let dir = scratch("bce-targets");
    let good = dir.join("good.csv");
    std::fs::write(&good, "x,y,t\n0,1,0\n1,0,1\n0.5,0.5,0.25\n").unwrap();
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "x,y,t\n0,1,0\n\n1,0,1.5\n").unwrap();
    let expect = format!(
        "{}:4: field 3 is 1.5, expected a target in [0, 1] for the bce loss",
        s(&bad)
    );
    fails(&["train", "--data", s(&bad), "--loss", "bce"], &expect);
    // mse takes any number.
    ok(&[
        "train",
        "--data",
        s(&bad),
        "--loss",
        "mse",
        "--epochs",
        "1",
        "--quiet",
    ]);
    let model = dir.join("bce.safetensors");
    ok(&[
        "train",
        "--data",
        s(&good),
        "--loss",
        "bce",
        "--epochs",
        "1",
        "--quiet",
        "--save",
        s(&model),
    ]);
    fails(&["eval", "--model", s(&model), "--data", s(&bad)], &expect);
    // predict ignores the targets.
    let out = ok(&["predict", "--model", s(&model), "--data", s(&bad)]);
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn an_empty_label_is_refused() {
    let dir = scratch("empty-label");
    for (name, text) in [
        ("empty.csv", "x,y,label\n1,2,a\n3,4,\n"),
        ("blank.csv", "x,y,label\n1,2,a\n3,4,\"  \"\n"),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        fails(
            &["train", "--data", s(&p)],
            &format!(
                "{}:3: expected a class label in field 3, got an empty one",
                s(&p)
            ),
        );
    }
}
