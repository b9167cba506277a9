//! Running the binary and scratch directories, for the end-to-end tests
//! (included as `#[path = "common/cli.rs"] mod cli;`: `common/mod.rs` brings
//! the counting allocator).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The crate's root folder.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A file under `data/`.
pub fn data(name: &str) -> String {
    format!("{ROOT}/data/{name}")
}

/// The binary, ready to be given arguments.
pub fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_backprop"));
    c.args(args).stdin(Stdio::null());
    c
}

/// Runs the binary to completion.
pub fn run(args: &[&str]) -> Output {
    cmd(args).output().expect("the binary runs")
}

/// Runs the binary with its stdout on a pipe whose read end is closed before
/// the child starts, so that every write to stdout fails with EPIPE.
pub fn run_with_closed_stdout(args: &[&str]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    cmd(args)
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("the binary runs")
}

/// Stdout of a run that must succeed.
pub fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Asserts a run fails with exit 2, one line on stderr containing `needle`,
/// and no panic; returns that line.
pub fn fails(args: &[&str], needle: &str) -> String {
    let out = run(args);
    one_line_exit_2(&out, args, needle)
}

/// The checks of [`fails`] on an output already had.
pub fn one_line_exit_2(out: &Output, args: &[&str], needle: &str) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

/// A fresh temporary directory for one test, removed when dropped.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh scratch directory named for the test.
pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("backprop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A path as `&str`.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
