//! `backprop serve` end to end: the real binary on a free port, spoken to
//! over HTTP.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "common/serve.rs"]
mod serve;
use serve::{Server, BIN};

fn matrices(v: &Value) -> Vec<Vec<Vec<f64>>> {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

#[test]
fn every_endpoint_answers() {
    let s = Server::start(&[]);
    let (status, h) = s.get("/api/health");
    assert_eq!(status, 200);
    assert_eq!(h["sessions"], 0);
    assert_eq!(h["version"], env!("CARGO_PKG_VERSION"));

    let (status, created) = s.post("/api/sessions", &json!({"dataset": "circles", "seed": 3}));
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let c = &created["config"];
    // The per-set defaults of `train --data circles`, every field present.
    assert_eq!(c["layers"], json!([2, 16, 16, 2]));
    assert_eq!(c["activation"], "tanh");
    assert_eq!(c["optimizer"], "adam");
    assert_eq!(c["lr"], 0.005);
    assert_eq!(c["batch_size"], 32);
    assert_eq!(c["seed"], 3);
    for f in [
        "dataset",
        "samples",
        "noise",
        "test_fraction",
        "bias",
        "loss",
        "init",
        "dtype",
    ] {
        assert!(!c[f].is_null(), "{f} missing from {c}");
    }
    assert_eq!(s.get("/api/health").1["sessions"], 1);

    let (status, before) = s.get(&format!("/api/sessions/{id}"));
    assert_eq!(status, 200);
    assert_eq!(before["step"], 0);
    assert!(before["gradients"].is_null() && before["grad_norms"].is_null());
    assert!(before["bias_gradients"].is_null());
    assert_eq!(matrices(&before["weights"])[0].len(), 2, "[in, out]");
    let (_, bw) = s.get(&format!("/api/sessions/{id}/backward"));
    assert_eq!(bw["nodes"], json!([]));

    let r = s.step(&id, 10);
    assert_eq!(r["step"], 10);
    for f in ["loss", "train_accuracy"] {
        assert!(r[f].as_f64().unwrap().is_finite(), "{r}");
    }
    assert!(r["test_loss"].is_null(), "no test set");

    let (_, st) = s.get(&format!("/api/sessions/{id}"));
    assert_eq!(st["step"], 10);
    assert_eq!(st["loss"], r["loss"]);
    let g = matrices(&st["gradients"]);
    assert_eq!(
        g.iter().map(|m| (m.len(), m[0].len())).collect::<Vec<_>>(),
        [(2, 16), (16, 16), (16, 2)]
    );
    let norms: Vec<f64> = serde_json::from_value(st["grad_norms"].clone()).unwrap();
    let frob: Vec<f64> = g
        .iter()
        .map(|m| m.iter().flatten().map(|x| x * x).sum::<f64>().sqrt())
        .collect();
    for (n, f) in norms.iter().zip(&frob) {
        assert!((n - f).abs() <= 1e-9 * f.max(1.0), "{n} vs {f}");
    }
    assert_eq!(st["biases"].as_array().unwrap().len(), 3);
    assert_eq!(st["bias_gradients"].as_array().unwrap().len(), 3);
    let history = st["history"].as_array().unwrap();
    assert_eq!(history.len(), 11);
    assert_eq!(history[10][0], 10);

    let (status, b) = s.get(&format!("/api/sessions/{id}/boundary"));
    assert_eq!(status, 200);
    let out = matrices(&json!([b["output"]]));
    assert_eq!((out[0].len(), out[0][0].len()), (50, 50));
    assert!(out[0].iter().flatten().all(|p| (0.0..=1.0).contains(p)));
    let hidden = b["hidden"].as_array().unwrap();
    assert_eq!(hidden.len(), 2);
    assert_eq!(hidden[0].as_array().unwrap().len(), 16);
    assert_eq!(hidden[0][0].as_array().unwrap().len(), 20);
    let (_, b) = s.get(&format!(
        "/api/sessions/{id}/boundary?resolution=7&hidden_resolution=3"
    ));
    assert_eq!(b["output"].as_array().unwrap().len(), 7);
    assert_eq!(b["hidden"][1][15][2].as_array().unwrap().len(), 3);

    let (_, bw) = s.get(&format!("/api/sessions/{id}/backward"));
    let nodes = bw["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["name"], "loss");
    assert!(nodes
        .iter()
        .all(|n| n["op"].is_string() && n["rule"].is_string() && !n["upstream"].is_null()));
    assert!(nodes.iter().any(|n| n["name"] == "0.weight"));

    let (status, _) = s.delete(&format!("/api/sessions/{id}"));
    assert_eq!(status, 200);
    assert_eq!(s.get(&format!("/api/sessions/{id}")).0, 404);
    assert_eq!(s.get("/api/health").1["sessions"], 0);
}

/// `walkthrough --json` with these flags.
fn walkthrough(seed: u32, lr: f64, layers: &str, steps: u64) -> Value {
    let out = Command::new(BIN)
        .args(["walkthrough", "--json", "--seed", &seed.to_string()])
        .args(["--lr", &lr.to_string(), "--layers", layers])
        .args(["--steps", &steps.to_string()])
        .output()
        .expect("walkthrough runs");
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn assert_close(a: &[Vec<Vec<f64>>], b: &[Vec<Vec<f64>>]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a
        .iter()
        .flatten()
        .flatten()
        .zip(b.iter().flatten().flatten())
    {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1e-300), "{x} vs {y}");
    }
    assert_eq!(
        a.iter().flatten().flatten().count(),
        b.iter().flatten().flatten().count()
    );
}

#[test]
fn notebook_preset_matches_the_walkthrough() {
    let s = Server::start(&[]);
    // The notebook itself: seed 42, lr 1, 2-2-1.
    let (status, v) = s.post("/api/sessions", &json!({"preset": "notebook"}));
    assert_eq!(status, 200, "{v}");
    let c = &v["config"];
    assert_eq!(
        (c["seed"].clone(), c["lr"].clone()),
        (json!(42), json!(1.0))
    );
    assert_eq!(
        (c["layers"].clone(), c["bias"].clone(), c["dtype"].clone()),
        (json!([2, 2, 1]), json!(false), json!("f64"))
    );
    let id = v["id"].as_str().unwrap();
    s.step(id, 1);
    let st = s.get(&format!("/api/sessions/{id}")).1;
    let w = walkthrough(42, 1.0, "2,2,1", 1);
    assert_close(&matrices(&st["weights"]), &matrices(&w["weights"]));
    assert_close(&matrices(&st["gradients"]), &matrices(&w["gradients"]));
    assert!(st["biases"].is_null() && st["bias_gradients"].is_null());
    // The backward view is the walkthrough's sweep: the notebook's names.
    let bw = s.get(&format!("/api/sessions/{id}/backward")).1;
    let names: Vec<&str> = bw["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["name"].as_str())
        .collect();
    assert_eq!(names[0], "loss");
    for n in [
        "predicted_output",
        "output_input",
        "W2",
        "hidden_output",
        "W1",
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }

    // Other settings, over many steps.
    let id = s.session(json!({"preset": "notebook", "seed": 7, "lr": 0.5, "layers": [2, 3, 4, 1]}));
    s.step(&id, 1);
    let st = s.get(&format!("/api/sessions/{id}")).1;
    let w1 = walkthrough(7, 0.5, "2,3,4,1", 1);
    assert_close(&matrices(&st["gradients"]), &matrices(&w1["gradients"]));
    s.step(&id, 299);
    let st = s.get(&format!("/api/sessions/{id}")).1;
    let w = walkthrough(7, 0.5, "2,3,4,1", 300);
    assert_close(&matrices(&st["weights"]), &matrices(&w["weights"]));
    assert_eq!(st["step"], 300);
    assert!((st["loss"].as_f64().unwrap() - w["loss_after"].as_f64().unwrap()).abs() <= 1e-12);
}

#[test]
fn moons_reaches_ninety_percent_test_accuracy_within_5000_steps() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "moons", "test_fraction": 0.2, "seed": 0}));
    let mut best = (0, 0.0);
    for _ in 0..50 {
        let started = Instant::now();
        let r = s.step(&id, 100);
        let acc = r["test_accuracy"].as_f64().unwrap();
        eprintln!(
            "step {}: test accuracy {acc}, loss {} ({:?} for 100 steps)",
            r["step"],
            r["loss"],
            started.elapsed()
        );
        if acc >= 0.9 {
            best = (r["step"].as_u64().unwrap(), acc);
            break;
        }
    }
    assert!(best.1 >= 0.9, "no 0.9 test accuracy in 5000 steps");
}

#[test]
fn bad_requests_get_4xx_and_leave_the_server_healthy() {
    let s = Server::start(&["--max-sessions", "2"]);
    let id = s.session(json!({"dataset": "xor"}));
    let cases: Vec<(&str, &str, &str, u16, Option<&str>)> = vec![
        ("POST", "/api/sessions", "{\"dataset\": ", 400, Some("body")),
        ("POST", "/api/sessions", "[1, 2]", 400, Some("body")),
        (
            "POST",
            "/api/sessions",
            r#"{"epochs": 3}"#,
            400,
            Some("epochs"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"dataset": "mnist"}"#,
            400,
            Some("dataset"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"activation": "swish"}"#,
            400,
            Some("activation"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"samples": "many"}"#,
            400,
            Some("samples"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"samples": 10001}"#,
            400,
            Some("samples"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"layers": [2, 65, 2]}"#,
            400,
            Some("layers"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"layers": [2,4,4,4,4,4,4,4,4,4,2]}"#,
            400,
            Some("layers"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"layers": [3, 4, 2]}"#,
            400,
            Some("layers"),
        ),
        ("POST", "/api/sessions", r#"{"lr": -1}"#, 400, Some("lr")),
        (
            "POST",
            "/api/sessions",
            r#"{"test_fraction": 1}"#,
            400,
            Some("test_fraction"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"preset": "notebook", "noise": 0.1}"#,
            400,
            Some("noise"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"preset": "colab"}"#,
            400,
            Some("preset"),
        ),
        (
            "POST",
            "/api/sessions",
            r#"{"preset": "notebook", "layers": [2, 2, 2]}"#,
            400,
            Some("layers"),
        ),
        (
            "POST",
            "/api/sessions/{id}/step",
            r#"{"steps": 10001}"#,
            400,
            Some("steps"),
        ),
        (
            "POST",
            "/api/sessions/{id}/step",
            r#"{"steps": 0}"#,
            400,
            Some("steps"),
        ),
        (
            "POST",
            "/api/sessions/{id}/step",
            r#"{"steps": -1}"#,
            400,
            Some("steps"),
        ),
        (
            "POST",
            "/api/sessions/{id}/step",
            r#"{"stpes": 1}"#,
            400,
            Some("stpes"),
        ),
        ("POST", "/api/sessions/{id}/step", "{", 400, Some("body")),
        (
            "GET",
            "/api/sessions/{id}/boundary?resolution=201",
            "",
            400,
            Some("resolution"),
        ),
        (
            "GET",
            "/api/sessions/{id}/boundary?hidden_resolution=0",
            "",
            400,
            Some("hidden_resolution"),
        ),
        (
            "GET",
            "/api/sessions/{id}/boundary?res=10",
            "",
            400,
            Some("res"),
        ),
        ("GET", "/api/sessions/nope", "", 404, None),
        (
            "POST",
            "/api/sessions/nope/step",
            r#"{"steps": 1}"#,
            404,
            None,
        ),
        ("GET", "/api/sessions/nope/boundary", "", 404, None),
        ("GET", "/api/sessions/nope/backward", "", 404, None),
        ("DELETE", "/api/sessions/nope", "", 404, None),
        ("GET", "/api/nothing", "", 404, None),
        ("DELETE", "/api/health", "", 405, None),
    ];
    for (method, path, body, status, field) in cases {
        let path = path.replace("{id}", &id);
        let (got, v) = match method {
            "GET" => s.get(&path),
            "DELETE" => s.delete(&path),
            _ => s.post_raw(&path, body),
        };
        assert_eq!(got, status, "{method} {path} {body}: {v}");
        assert!(v["error"].is_string(), "{method} {path} {body}: {v}");
        if let Some(f) = field {
            assert_eq!(v["field"], f, "{method} {path} {body}: {v}");
            assert!(v["error"].as_str().unwrap().contains(f), "{v}");
        }
        s.assert_healthy();
    }
    // The session limit: a second session fits, a third does not.
    s.session(json!({}));
    let (status, v) = s.post("/api/sessions", &json!({}));
    assert_eq!(status, 429, "{v}");
    // A session that diverges answers 422 and stays usable; the others too.
    let (status, v) = s.post(&format!("/api/sessions/{id}/step"), &json!({"steps": 1}));
    assert_eq!(status, 200, "{v}");
    s.assert_healthy();
}

#[test]
fn a_diverging_session_fails_alone() {
    let s = Server::start(&[]);
    let bad = s.session(json!({"dataset": "xor", "optimizer": "sgd", "lr": 1e30, "loss": "mse", "layers": [2, 8, 1]}));
    let good = s.session(json!({"dataset": "xor"}));
    let (status, v) = s.post(&format!("/api/sessions/{bad}/step"), &json!({"steps": 50}));
    assert_eq!(status, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("lr"), "{v}");
    assert_eq!(s.step(&good, 5)["step"], 5);
    assert_eq!(s.get(&format!("/api/sessions/{bad}")).0, 200);
    s.assert_healthy();
}

#[test]
fn a_long_step_does_not_stall_other_requests() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "spirals", "samples": 2000, "batch_size": 0}));
    let agent = s.agent.clone();
    let url = format!("{}/api/sessions/{id}/step", s.base);
    let long = std::thread::spawn(move || {
        let started = Instant::now();
        let r = agent.post(&url).send_json(json!({"steps": 800}));
        (r.map(|r| r.status().as_u16()), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    s.assert_healthy();
    let health = started.elapsed();
    let (status, took) = long.join().unwrap();
    assert_eq!(status.unwrap(), 200);
    eprintln!("health took {health:?} during a step request of {took:?}");
    if took > Duration::from_millis(500) {
        assert!(health < took / 2, "health {health:?}, step {took:?}");
    }
}

#[test]
fn sigterm_ends_the_server_with_status_0() {
    let mut s = Server::start(&[]);
    s.session(json!({}));
    let status = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let started = Instant::now();
    let code = loop {
        if let Some(code) = s.child.try_wait().unwrap() {
            break code;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(code.code(), Some(0), "{code:?}");
}

#[test]
fn a_closed_stdout_does_not_stop_the_server() {
    // A free port, named before the start: with stdout closed the first line cannot be read.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(BIN)
        .args(["serve", "--port", &port.to_string()])
        .stdout(writer)
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    let url = format!("http://127.0.0.1:{port}/api/health");
    let started = Instant::now();
    let health = loop {
        if let Ok(mut r) = agent.get(&url).call() {
            break r.body_mut().read_json::<Value>().unwrap();
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never answered"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(health["ok"], true);
    let _ = child.kill();
    let _ = child.wait();
}

/// An open `GET …/events` stream, read line by line.
struct Events(BufReader<Box<dyn std::io::Read + Send>>);

impl Events {
    fn open(s: &Server, id: &str) -> Events {
        let resp = s
            .agent
            .get(format!("{}/api/sessions/{id}/events", s.base))
            .call()
            .expect("an HTTP answer");
        assert_eq!(resp.status().as_u16(), 200);
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with("text/event-stream"), "{ct}");
        Events(BufReader::new(Box::new(resp.into_body().into_reader())))
    }

    /// The next event: its name (`message` when unnamed) and data; `None`
    /// when the stream ends.
    fn next(&mut self) -> Option<(String, Value)> {
        let (mut name, mut data) = ("message".to_string(), None);
        loop {
            let mut line = String::new();
            if self.0.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let line = line.trim_end();
            if let Some(n) = line.strip_prefix("event:") {
                name = n.trim().to_string();
            } else if let Some(d) = line.strip_prefix("data:") {
                data = Some(serde_json::from_str(d.trim()).expect("JSON data"));
            } else if line.is_empty() {
                if let Some(d) = data.take() {
                    return Some((name, d));
                }
            }
        }
    }
}

#[test]
fn play_streams_at_most_30_reports_a_second_and_pause_stops_them() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "blobs", "test_fraction": 0.2}));
    for bad in [
        json!({"steps_per_tick": 0}),
        json!({"steps_per_tick": 10_001}),
        json!({"steps_per_tick": "x"}),
        json!({"steps": 1}),
    ] {
        let (status, v) = s.post(&format!("/api/sessions/{id}/play"), &bad);
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v["field"].is_string(), "{v}");
    }
    assert_eq!(s.post("/api/sessions/nope/play", &json!({})).0, 404);
    let mut ev = Events::open(&s, &id);
    // Every report counted is sent after this instant: one at once, then at
    // most one per 1/30 s.
    let started = Instant::now();
    let (status, v) = s.post(
        &format!("/api/sessions/{id}/play"),
        &json!({"steps_per_tick": 2}),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["playing"].as_bool(), v["steps_per_tick"].as_u64()),
        (Some(true), Some(2))
    );
    // Count the reports over about a second.
    let (name, first) = ev.next().expect("a report");
    assert_eq!(name, "message");
    for k in ["loss", "train_accuracy", "test_loss", "test_accuracy"] {
        assert!(first[k].is_f64(), "{k}: {first}");
    }
    let (mut count, mut last) = (1, first["step"].as_u64().unwrap());
    while started.elapsed() < Duration::from_millis(1200) {
        let (_, r) = ev.next().expect("a report");
        let step = r["step"].as_u64().unwrap();
        assert!(step > last, "{step} after {last}");
        last = step;
        count += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!("{count} reports in {secs:.2} s, last step {last}");
    assert!(
        count as f64 <= 30.0 * secs + 2.0,
        "{count} reports in {secs} s"
    );
    assert!(count >= 3, "{count} reports in {secs} s");
    // Pause: the step stops increasing.
    let (status, v) = s.post(&format!("/api/sessions/{id}/pause"), &json!({}));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["playing"], false);
    let paused = v["step"].as_u64().unwrap();
    assert!(paused >= last);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.get(&format!("/api/sessions/{id}")).1["step"], paused);
    // Playing again resumes from there; deleting the session ends the stream.
    assert_eq!(
        s.post(&format!("/api/sessions/{id}/play"), &json!({})).0,
        200
    );
    // Reports sent before the pause may still be unread in the stream: they
    // are at most `paused`; then the resumed ones go on from there.
    let resumed = loop {
        let (_, r) = ev.next().expect("a report");
        let step = r["step"].as_u64().unwrap();
        if step > paused {
            break step;
        }
        assert!(
            step > last,
            "a report of step {step} after {last}, out of order"
        );
        last = step;
    };
    assert!(resumed > paused);
    assert_eq!(s.delete(&format!("/api/sessions/{id}")).0, 200);
    while ev.next().is_some() {}
    s.assert_healthy();
}

#[test]
fn a_diverging_play_pauses_with_an_error_event() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "xor", "optimizer": "sgd", "lr": 1e30, "loss": "mse", "layers": [2, 8, 1]}));
    let mut ev = Events::open(&s, &id);
    assert_eq!(
        s.post(
            &format!("/api/sessions/{id}/play"),
            &json!({"steps_per_tick": 50})
        )
        .0,
        200
    );
    let (name, data) = loop {
        let e = ev.next().expect("an event");
        if e.0 == "error" {
            break e;
        }
    };
    assert_eq!(name, "error");
    assert!(data["error"].as_str().unwrap().contains("lr"), "{data}");
    let (status, v) = s.post(&format!("/api/sessions/{id}/pause"), &json!({}));
    assert_eq!((status, v["playing"].as_bool()), (200, Some(false)));
    s.assert_healthy();
}

#[test]
fn a_blobs_session_learns() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "blobs", "test_fraction": 0.2}));
    let (_, v) = s.get(&format!("/api/sessions/{id}"));
    assert_eq!(v["config"]["noise"], 0.5);
    let r = s.step(&id, 1000);
    assert!(r["test_accuracy"].as_f64().unwrap() >= 0.95, "{r}");
}

/// Two Gaussian clusters as a CSV with a header and labels `a`/`b`.
fn clusters_csv(rows: usize) -> String {
    let mut csv = String::from("x,y,label\n");
    for i in 0..rows {
        let c = i % 2;
        let v = if c == 0 { -1.0 } else { 1.0 };
        let j = (i as f64 * 0.37).sin() * 0.3;
        csv.push_str(&format!("{:.2},{:.2},{}\n", v + j, v - j, ["a", "b"][c]));
    }
    csv
}

#[test]
fn an_uploaded_csv_makes_a_session() {
    let s = Server::start(&[]);
    let (status, v) = s.post_raw("/api/datasets", &clusters_csv(60));
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["rows"].as_u64(), v["classes"].as_u64()),
        (Some(60), Some(2))
    );
    let name = v["dataset"].as_str().unwrap().to_string();
    assert!(name.starts_with("upload:"), "{name}");
    let id = s.session(json!({"dataset": name, "test_fraction": 0.25}));
    let (_, st) = s.get(&format!("/api/sessions/{id}"));
    assert_eq!(st["config"]["samples"], 60);
    let r = s.step(&id, 300);
    assert_eq!(r["step"], 300);
    assert!(r["test_accuracy"].as_f64().unwrap() >= 0.9, "{r}");
    // Points are the file's: samples and noise are refused.
    let (status, v) = s.post("/api/sessions", &json!({"dataset": name, "samples": 10}));
    assert_eq!((status, v["field"].as_str()), (400, Some("samples")), "{v}");
    let (status, v) = s.post("/api/sessions", &json!({"dataset": "upload:nope"}));
    assert_eq!((status, v["field"].as_str()), (400, Some("dataset")), "{v}");
    s.assert_healthy();
}

#[test]
fn bad_uploads_get_4xx_and_leave_the_server_healthy() {
    let s = Server::start(&["--max-upload-kib", "2", "--max-samples", "50"]);
    let big = "1,2,a\n".repeat(400); // 2400 bytes
    for (body, status, says) in [
        (big.as_str(), 413, "limit"),
        (&clusters_csv(60), 413, "60 rows"),
        ("hello\n", 400, "upload:1"),
        ("a,b,c,l\n1,2,3,x\n4,5,6,y\n", 400, "3 feature columns"),
        (
            "a,b,l\n1,2,x\n3,4,y\n5,6,z\n",
            400,
            "3 distinct class labels",
        ),
        ("a,b,l\n1,q,x\n", 400, "not a number"),
        ("", 400, "upload"),
    ] {
        let (got, v) = s.post_raw("/api/datasets", body);
        assert_eq!(got, status, "{body:.40}: {v}");
        let e = v["error"].as_str().unwrap();
        assert!(e.contains(says) && !e.contains('\n'), "{e}");
        s.assert_healthy();
    }
    let (status, _) = s.post_raw("/api/datasets", &clusters_csv(50));
    assert_eq!(status, 200);
}

#[test]
fn the_page_and_its_files_are_served() {
    let s = Server::start(&[]);
    for (path, kind, needle) in [
        ("/", "text/html", "data-testid=\"preset-notebook\""),
        ("/app.js", "text/javascript", "/api/sessions"),
        ("/style.css", "text/css", "--pos"),
    ] {
        let mut resp = s
            .agent
            .get(format!("{}{path}", s.base))
            .call()
            .expect("an answer");
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(ct.starts_with(kind), "{path}: {ct}");
        let body = resp.body_mut().read_to_string().unwrap();
        assert!(body.contains(needle), "{path} lacks {needle}");
        // The page needs nothing from outside the server.
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path}"
        );
    }
}

#[test]
fn points_are_the_sets_rows_with_their_labels() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "moons", "samples": 50, "test_fraction": 0.2}));
    let (status, p) = s.get(&format!("/api/sessions/{id}/points"));
    assert_eq!(status, 200, "{p}");
    let train: Vec<[f64; 3]> = serde_json::from_value(p["train"].clone()).unwrap();
    let test: Vec<[f64; 3]> = serde_json::from_value(p["test"].clone()).unwrap();
    assert_eq!((train.len(), test.len()), (40, 10));
    assert!(train
        .iter()
        .chain(&test)
        .all(|r| r[2] == 0.0 || r[2] == 1.0));
    assert!(train.iter().any(|r| r[2] == 1.0) && train.iter().any(|r| r[2] == 0.0));
    // The notebook's four XOR points.
    let nb = s.session(json!({"preset": "notebook"}));
    let (_, p) = s.get(&format!("/api/sessions/{nb}/points"));
    assert_eq!(
        p["train"],
        json!([
            [0.0, 0.0, 0.0],
            [0.0, 1.0, 1.0],
            [1.0, 0.0, 1.0],
            [1.0, 1.0, 0.0]
        ])
    );
    assert_eq!(p["test"], json!([]));
}

#[test]
fn the_notebooks_trace_is_the_walkthroughs() {
    let s = Server::start(&[]);
    let id = s.session(json!({"preset": "notebook"}));
    let path = format!("/api/sessions/{id}/trace?weight=W2%5B0,0%5D");
    let (status, before) = s.get(&path);
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["gradient"], Value::Null);
    assert_eq!(before["value_text"], "0.15601864");
    s.step(&id, 1);
    let (_, t) = s.get(&path);
    // The walkthrough's first step, traced by `walkthrough --trace`'s code.
    let out = Command::new(BIN)
        .args(["walkthrough", "--json", "--trace", "W2[0,0]"])
        .output()
        .expect("walkthrough runs");
    let w: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(t["walkthrough"], w["trace"]);
    assert_eq!(t["gradient_text"], "0.03005172");
    assert_eq!(t["total"], 4);
    let sum: f64 = t["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["product"].as_f64().unwrap())
        .sum();
    assert!((sum - 0.03005171912754591).abs() < 1e-15, "{sum}");
    // A second step is traced from the weights it started from.
    s.step(&id, 1);
    let (_, t2) = s.get(&path);
    assert_ne!(t2["gradient"], t["gradient"]);
    let state = s.get(&format!("/api/sessions/{id}")).1;
    assert_eq!(t2["gradient"], state["gradients"][1][0][0]);
}

#[test]
fn a_general_trace_sums_to_the_tapes_gradient() {
    let s = Server::start(&[]);
    for dtype in ["f64", "f32"] {
        let id = s.session(
            json!({"dataset": "xor", "samples": 20, "layers": [2, 3, 4, 2],
                                  "batch_size": 8, "dtype": dtype}),
        );
        s.step(&id, 3); // batches of 8, 8, then 4 rows
        let state = s.get(&format!("/api/sessions/{id}")).1;
        for (k, i, j) in [(1, 1, 2), (2, 2, 1), (3, 3, 1)] {
            let (status, t) = s.get(&format!(
                "/api/sessions/{id}/trace?weight=W{k}%5B{i},{j}%5D"
            ));
            assert_eq!(status, 200, "{t}");
            assert_eq!(t["total"], 4, "the last batch's 4 rows");
            let g = t["gradient"].as_f64().unwrap();
            let want = state["gradients"][k - 1][i][j].as_f64().unwrap();
            let sum = t["sum"].as_f64().unwrap();
            let tol = if dtype == "f64" { 1e-12 } else { 1e-5 };
            assert!((g - want).abs() <= 1e-12 * want.abs(), "{g} vs {want}");
            assert!(
                (sum - want).abs() <= tol * want.abs().max(1e-6),
                "{dtype} W{k}: {sum} vs {want}"
            );
            let f = &t["terms"][0]["factors"];
            assert_eq!(f[0]["name"], format!("∂L/∂z{k}[{j}]"));
            let input = if k == 1 {
                format!("x[{i}]")
            } else {
                format!("h{}[{i}]", k - 1)
            };
            assert_eq!(f[1]["name"], input);
        }
    }
    let id = s.session(json!({"dataset": "xor"}));
    for (q, field) in [
        ("weight=W9%5B0,0%5D", "weight"),
        ("weight=W1%5B5,0%5D", "weight"),
        ("weight=nonsense", "weight"),
        ("", "weight"),
        ("weight=W1%5B0,0%5D&x=1", "x"),
    ] {
        let (status, e) = s.get(&format!("/api/sessions/{id}/trace?{q}"));
        assert_eq!(status, 400, "{q}: {e}");
        assert_eq!(e["field"], field, "{q}: {e}");
    }
    s.assert_healthy();
}

#[test]
fn a_big_batchs_backward_sweep_is_cut_to_its_first_rows() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "moons", "samples": 200, "batch_size": 0,
                              "layers": [2, 8, 2]}));
    s.step(&id, 1);
    let (status, b) = s.get(&format!("/api/sessions/{id}/backward"));
    assert_eq!(status, 200, "{b}");
    assert_eq!(b["rows_kept"], 32);
    let nodes = b["nodes"].as_array().unwrap();
    let logits = nodes
        .iter()
        .find(|n| n["name"] == "logits")
        .expect("logits");
    assert_eq!(logits["upstream_shape"], json!([200, 2]));
    assert_eq!(logits["upstream"].as_array().unwrap().len(), 32);
    // Parameters are small: kept whole.
    let w = nodes
        .iter()
        .find(|n| n["name"] == "0.weight")
        .expect("0.weight");
    assert_eq!(w["upstream_shape"], json!([8, 2]));
    assert_eq!(w["upstream"].as_array().unwrap().len(), 8);
}

#[test]
fn hidden_pictures_past_a_million_numbers_are_refused() {
    let s = Server::start(&[]);
    let id = s.session(json!({"dataset": "moons", "layers": [2, 64, 64, 64, 2]}));
    // 192 hidden units × 100² = 1,920,000 numbers: refused, with the largest H allowed.
    let (status, e) = s.get(&format!(
        "/api/sessions/{id}/boundary?hidden_resolution=100"
    ));
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["field"], "hidden_resolution");
    assert!(e["error"].as_str().unwrap().contains("at most 72"), "{e}");
    let (status, b) = s.get(&format!("/api/sessions/{id}/boundary?hidden_resolution=30"));
    assert_eq!(status, 200);
    assert_eq!(b["hidden"][2].as_array().unwrap().len(), 64);
    s.assert_healthy();
}
