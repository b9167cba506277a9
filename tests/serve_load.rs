//! A load test of `backprop serve` (issue 11), ignored by `cargo test` and
//! run by `.ci/run`:
//!
//! ```sh
//! cargo test --release --test serve_load -- --ignored --nocapture
//! ```
//!
//! Twenty sessions (the page's defaults) each send 1,000 requests of one
//! step, at once, from a thread each. Memory is bounded: the server's
//! resident size after the run is at most its size once every session has
//! made its first 10 steps, plus 50 MiB. Meanwhile `/api/health` is asked
//! every 10 ms; its latency (median, p99, max) is printed, not asserted.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_backprop");
const SESSIONS: usize = 20;
const REQUESTS: usize = 1000;
const WARM_UP: usize = 10;
const SLACK: u64 = 50 << 20;

/// A running server, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("a first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Server { child, base }
    }

    /// The server's resident set size in bytes (`VmRSS` of `/proc/PID/status`).
    fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmRSS in {status}"));
        kib << 10
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// POSTs `body` to `url`; the JSON answer (a non-2xx status fails the test).
fn post(agent: &ureq::Agent, url: &str, body: &Value) -> Value {
    agent
        .post(url)
        .send_json(body)
        .unwrap_or_else(|e| panic!("POST {url}: {e}"))
        .body_mut()
        .read_json()
        .expect("a JSON answer")
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

#[test]
#[ignore = "a load test (some seconds of 20 busy clients); run by .ci/run"]
fn twenty_sessions_of_a_thousand_steps_keep_memory_bounded() {
    let server = Server::start();
    let base = server.base.clone();
    let warmed = Arc::new(Barrier::new(SESSIONS + 1));
    let measured = Arc::new(Barrier::new(SESSIONS + 1));
    let clients: Vec<_> = (0..SESSIONS)
        .map(|_| {
            let (base, warmed, measured) = (base.clone(), warmed.clone(), measured.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let made = post(&agent, &format!("{base}/api/sessions"), &json!({}));
                let id = made["id"].as_str().expect("an id").to_string();
                let url = format!("{base}/api/sessions/{id}/step");
                let mut last = Value::Null;
                for i in 0..REQUESTS {
                    if i == WARM_UP {
                        warmed.wait();
                        measured.wait();
                    }
                    last = post(&agent, &url, &json!({"steps": 1}));
                }
                assert_eq!(last["step"], REQUESTS as u64, "{last}");
                assert!(last["loss"].as_f64().is_some_and(f64::is_finite), "{last}");
            })
        })
        .collect();
    warmed.wait();
    let before = server.rss();
    // The health checker runs from here until every client is done.
    let done = Arc::new(AtomicBool::new(false));
    let checker = {
        let (base, done) = (base.clone(), done.clone());
        std::thread::spawn(move || {
            let agent = agent();
            let mut times = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                let v: Value = agent
                    .get(format!("{base}/api/health"))
                    .call()
                    .expect("health answers")
                    .body_mut()
                    .read_json()
                    .expect("JSON");
                times.push(t.elapsed());
                assert_eq!(v["ok"], true);
                std::thread::sleep(Duration::from_millis(10));
            }
            times
        })
    };
    let started = Instant::now();
    measured.wait();
    for c in clients {
        c.join().expect("a client finishes");
    }
    let run = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let mut times = checker.join().expect("the checker finishes");
    let after = server.rss();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{SESSIONS} sessions × {} more requests of one step: {:.1} s ({:.0} requests/s)",
        REQUESTS - WARM_UP,
        run.as_secs_f64(),
        (SESSIONS * (REQUESTS - WARM_UP)) as f64 / run.as_secs_f64()
    );
    println!(
        "server RSS: {:.1} MiB after {WARM_UP} steps each, {:.1} MiB after {REQUESTS} (limit {:.1} MiB)",
        mib(before),
        mib(after),
        mib(before + SLACK)
    );
    println!(
        "/api/health latency over {} requests: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0))
    );
    assert!(
        after <= before + SLACK,
        "resident size grew from {:.1} MiB to {:.1} MiB",
        mib(before),
        mib(after)
    );
}
