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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "common/serve.rs"]
mod serve;
use serve::Server;

const SESSIONS: usize = 20;
const REQUESTS: usize = 1000;
const WARM_UP: usize = 10;
const SLACK: u64 = 50 << 20;

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
    let server = Server::start(&[]);
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
