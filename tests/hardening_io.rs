//! Issue 9's output-side defects, end to end: special files are never
//! replaced, outputs are checked before the first epoch, a closed stdout
//! neither hides a failed run nor stops a training, resumes are refused when
//! they would not continue the same run, and files are byte-identical.

#[path = "common/cli.rs"]
mod cli;

use std::fs;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use cli::{data, fails, ok, one_line_exit_2, run, run_with_closed_stdout, s, scratch};

const IRIS: &str = "data/iris.csv";

/// A quick iris run's arguments (2 epochs unless `extra` says), then `extra`.
fn iris(extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = ["train", "--data", &data("iris.csv"), "--quiet"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    if !extra.contains(&"--epochs") {
        a.extend(["--epochs".to_string(), "2".to_string()]);
    }
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A FIFO in `dir`, and a character device too where this user may make one.
fn special_files(dir: &Path) -> Vec<(std::path::PathBuf, &'static str)> {
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let mut out = vec![(fifo, "is a FIFO")];
    let null = dir.join("null");
    let mknod = std::process::Command::new("mknod")
        .args(["-m", "666", s(&null), "c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status();
    if mknod.is_ok_and(|s| s.success()) {
        out.push((null, "is a character device"));
    }
    out
}

#[test]
fn special_files_are_never_replaced() {
    let dir = scratch("special-out");
    for (path, what) in special_files(&dir) {
        // A plot or graph must be named .svg: a link with that name to the special file.
        let link = dir.join("special.svg");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&path, &link).unwrap();
        for (flag, target) in [
            ("--save", &path),
            ("--checkpoint", &path),
            ("--plot", &link),
        ] {
            let args = iris(&[flag, s(target)]);
            let err = fails(&strs(&args), what);
            assert!(err.contains(flag), "{err}");
        }
        let graph = fails(&["walkthrough", "--graph", s(&link)], what);
        assert!(graph.contains("--graph"), "{graph}");
        let ft = fs::metadata(&path).unwrap().file_type();
        assert!(
            ft.is_fifo() || ft.is_char_device(),
            "{} was replaced",
            path.display()
        );
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}

#[test]
fn a_symlinked_output_replaces_its_target_and_stays_a_link() {
    let dir = scratch("symlink-out");
    let real = dir.join("real.safetensors");
    fs::write(&real, b"old").unwrap();
    let link = dir.join("link.safetensors");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    ok(&strs(&iris(&["--save", s(&link)])));
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_ne!(fs::read(&real).unwrap(), b"old");
    ok(&["eval", "--model", s(&link), "--data", &data("iris.csv")]);
}

#[test]
fn outputs_are_checked_before_the_first_epoch() {
    let dir = scratch("preflight");
    let good = dir.join("good.safetensors");
    ok(&strs(&iris(&["--save", s(&good)])));
    let before = fs::read(&good).unwrap();
    let plot_dir = dir.join("plot.svg");
    fs::create_dir(&plot_dir).unwrap();
    let missing = dir.join("missing/ck.safetensors");
    let cases = [
        (
            vec!["--save", s(&good), "--plot", s(&plot_dir)],
            "is a directory",
        ),
        (
            vec!["--save", s(&good), "--checkpoint", s(&missing)],
            "No such file or directory",
        ),
        (
            vec!["--save", s(&good), "--checkpoint", s(&good)],
            "is also the --save file",
        ),
    ];
    for (extra, needle) in cases {
        let args = iris(&[&extra[..], &["--json", "--epochs", "50"]].concat());
        let out = run(&strs(&args));
        one_line_exit_2(&out, &strs(&args), needle);
        assert!(
            out.stdout.is_empty(),
            "an epoch ran: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            fs::read(&good).unwrap(),
            before,
            "the good model was replaced"
        );
    }
    assert!(!dir.join("missing").exists());
}

#[test]
fn no_output_may_be_an_input() {
    let dir = scratch("inputs");
    let csv = dir.join("iris.csv");
    fs::copy(IRIS, &csv).unwrap();
    let before = fs::read(&csv).unwrap();
    let via_dot = dir.join(".").join("iris.csv");
    for flag in ["--save", "--checkpoint"] {
        let args = [
            "train",
            "--data",
            s(&csv),
            "--epochs",
            "1",
            "--quiet",
            flag,
            s(&via_dot),
        ];
        fails(&args, "is the --data file");
    }
    let args = [
        "train",
        "--data",
        IRIS,
        "--test-data",
        s(&csv),
        "--quiet",
        "--save",
        s(&csv),
    ];
    fails(&args, "is the --test-data file");
    assert_eq!(fs::read(&csv).unwrap(), before);
}

#[test]
fn a_killed_writers_temp_files_are_swept() {
    let dir = scratch("sweep");
    let model = dir.join("m.safetensors");
    // A temp file of ours named for a pid above the kernel's limit: its writer is gone.
    let stale = dir.join(".m.safetensors.tmp.4194305.3");
    fs::write(&stale, vec![0u8; 4096]).unwrap();
    ok(&strs(&iris(&["--save", s(&model)])));
    assert!(!stale.exists(), "the stale temp file is still there");
    let left: Vec<_> = fs::read_dir(&*dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["m.safetensors"]);
}

#[test]
fn identical_runs_write_identical_bytes() {
    let dir = scratch("same-bytes");
    let (a, b) = (dir.join("a.st"), dir.join("b.st"));
    ok(&strs(&iris(&["--save", s(&a)])));
    ok(&strs(&iris(&["--save", s(&b)])));
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
}

#[test]
fn train_outlives_a_closed_stdout() {
    let dir = scratch("closed-train");
    let model = dir.join("m.safetensors");
    let args = iris(&["--json", "--epochs", "30", "--save", s(&model)]);
    let out = run_with_closed_stdout(&strs(&args));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(&["eval", "--model", s(&model), "--data", &data("iris.csv")]);
}

#[test]
fn other_commands_stop_with_141_on_a_closed_stdout() {
    let dir = scratch("closed-other");
    let model = dir.join("m.safetensors");
    ok(&strs(&iris(&["--save", s(&model)])));
    let runs: [&[&str]; 4] = [
        &["walkthrough"],
        &["walkthrough", "--json"],
        &["eval", "--model", s(&model), "--data", IRIS],
        &["predict", "--model", s(&model), "--data", IRIS],
    ];
    for args in runs {
        let out = run_with_closed_stdout(args);
        assert_eq!(out.status.code(), Some(141), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_full_stdout_is_one_line_and_exit_2_after_the_saves() {
    let dir = scratch("full");
    let model = dir.join("m.safetensors");
    let full = || fs::File::options().write(true).open("/dev/full").unwrap();
    let args = iris(&["--json", "--save", s(&model)]);
    let out = cli::cmd(&strs(&args)).stdout(full()).output().unwrap();
    one_line_exit_2(&out, &strs(&args), "cannot write to stdout");
    assert!(model.exists(), "train did not save before reporting stdout");
    for args in [
        &["walkthrough"][..],
        &["eval", "--model", s(&model), "--data", IRIS],
    ] {
        let out = cli::cmd(args).stdout(full()).output().unwrap();
        one_line_exit_2(&out, args, "No space left on device");
    }
}

#[test]
fn a_resume_must_continue_the_same_run() {
    let dir = scratch("resume");
    let ck = dir.join("ck.safetensors");
    let first = iris(&["--optimizer", "momentum", "--checkpoint", s(&ck)]);
    // (2 epochs; the resumes below ask for 3.)
    ok(&strs(&first));
    let resume = |extra: &[&str]| {
        let mut a = iris(&[
            "--optimizer",
            "momentum",
            "--epochs",
            "3",
            "--resume",
            s(&ck),
        ]);
        a.extend(extra.iter().map(|x| x.to_string()));
        a
    };
    for (extra, needle) in [
        (
            &["--optimizer", "adam"][..],
            "trained with --optimizer momentum, not adam",
        ),
        (&["--dtype", "f64"], "trained with --dtype f32, not f64"),
        (
            &["--layers", "4,32,3"],
            "trained with --layers 4,64,3, not 4,32,3",
        ),
        (&["--activation", "tanh"], "--activation relu, not tanh"),
        (&["--seed", "9"], "--seed 0, not 9"),
        (&["--momentum", "0.5"], "--momentum 0.9, not 0.5"),
    ] {
        let mut args = resume(&[]);
        if extra[0] == "--optimizer" {
            args.retain(|a| a != "momentum");
            let at = args.iter().position(|a| a == "--optimizer").unwrap();
            args.remove(at);
        }
        args.extend(extra.iter().map(|x| x.to_string()));
        let err = fails(&strs(&args), needle);
        assert!(err.contains(s(&ck)), "{err}");
    }
    // Other data: the fingerprint differs.
    let other = dir.join("other.csv");
    let text = fs::read_to_string(IRIS).unwrap().replacen("5.1", "5.2", 1);
    fs::write(&other, text).unwrap();
    let mut args = resume(&[]);
    let at = args.iter().position(|a| a.ends_with("iris.csv")).unwrap();
    args[at] = s(&other).to_string();
    fails(&strs(&args), "trained on other data");
    // A changed learning rate is allowed, with a note.
    let out = run(&strs(&resume(&["--lr", "0.02"])));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("note: resuming")
            && err.contains("--lr 0.02 (the checkpoint's run used 0.01)"),
        "{err}"
    );
}

/// Writes a model file for `--layers 4,3` by hand, with `meta` as its metadata.
fn model_with_meta(path: &Path, meta: &str) {
    use safetensors::tensor::{Dtype, TensorView};
    let w: Vec<u8> = (0..12)
        .flat_map(|i| (i as f32 * 0.1).to_le_bytes())
        .collect();
    let b: Vec<u8> = (0..3).flat_map(|_| 0f32.to_le_bytes()).collect();
    let views = vec![
        (
            "0.weight",
            TensorView::new(Dtype::F32, vec![3, 4], &w).unwrap(),
        ),
        ("0.bias", TensorView::new(Dtype::F32, vec![3], &b).unwrap()),
    ];
    let map = std::collections::HashMap::from([("backprop".to_string(), meta.to_string())]);
    fs::write(path, safetensors::serialize(views, Some(map)).unwrap()).unwrap();
}

#[test]
fn crafted_metadata_is_an_error_not_a_panic() {
    let dir = scratch("crafted");
    let model = dir.join("m.safetensors");
    let base =
        r#""layers":[4,3],"activation":"relu","bias":true,"loss":"cross-entropy","dtype":"F32""#;
    for (extra, needle) in [
        (
            r#","standardize":{"mean":[0],"std":[1]}"#,
            "1 means and 1 deviations for 4 inputs",
        ),
        (r#","classes":["a"]"#, "1 class names for 3 outputs"),
        (r#","classes":[]"#, "0 class names for 3 outputs"),
    ] {
        model_with_meta(&model, &format!("{{{base}{extra}}}"));
        for cmd in ["eval", "predict"] {
            let err = fails(&[cmd, "--model", s(&model), "--data", IRIS], needle);
            assert!(err.contains(s(&model)), "{err}");
        }
    }
}

#[test]
fn an_os_error_is_printed_once() {
    let err = fails(
        &[
            "eval",
            "--model",
            "/nonexistent/m.safetensors",
            "--data",
            IRIS,
        ],
        "os error 2",
    );
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}
