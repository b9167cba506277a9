//! A `backprop serve` started on a free port for the end-to-end tests, and
//! spoken to over HTTP (included as `#[path = "common/serve.rs"] mod serve;`).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_backprop");

/// A running server, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub agent: ureq::Agent,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--port", "0"])
            .args(extra)
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
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Server { child, base, agent }
    }

    pub fn answer(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut resp = resp.expect("an HTTP answer");
        let status = resp.status().as_u16();
        let body = resp.body_mut().read_to_string().expect("a body");
        let value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body:?}"));
        (status, value)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        Self::answer(self.agent.get(format!("{}{path}", self.base)).call())
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        Self::answer(self.agent.delete(format!("{}{path}", self.base)).call())
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        Self::answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .send_json(body),
        )
    }

    pub fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        Self::answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .send(body),
        )
    }

    /// A new session from `config`; its id.
    pub fn session(&self, config: Value) -> String {
        let (status, v) = self.post("/api/sessions", &config);
        assert_eq!(status, 200, "{v}");
        v["id"].as_str().expect("an id").to_string()
    }

    pub fn step(&self, id: &str, steps: u64) -> Value {
        let (status, v) = self.post(
            &format!("/api/sessions/{id}/step"),
            &json!({"steps": steps}),
        );
        assert_eq!(status, 200, "{v}");
        v
    }

    pub fn assert_healthy(&self) {
        let (status, v) = self.get("/api/health");
        assert_eq!(status, 200);
        assert_eq!(v["ok"], true);
    }
}

impl Server {
    /// The server's resident set size in bytes (`VmRSS` of `/proc/PID/status`).
    pub fn rss(&self) -> u64 {
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
