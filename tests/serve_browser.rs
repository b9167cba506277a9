//! The playground's page in a real headless Chromium, driven over WebDriver
//! (fantoccini, and Debian's `chromedriver` on a free port).
//!
//! Without `chromium` and `chromedriver` the test prints a notice and
//! passes, so that `cargo test --release` passes on a fresh machine; when the
//! `CI` environment variable is set a missing browser fails it (`.ci/run`
//! installs both). With `BACKPROP_SCREENSHOTS=DIR` it also saves the page as
//! it looks after training (`DIR/trained.png`, the README's screenshot) and
//! with the notebook preset after one step (`DIR/notebook.png`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

#[path = "common/serve.rs"]
mod serve;
use serve::Server;

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `program args…` and returns it with the first stdout line that
/// `pick` accepts, mapped.
fn start_and_read<T>(
    program: &str,
    args: &[&str],
    pick: impl Fn(&str) -> Option<T>,
) -> (Killed, T) {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} starts: {e}"));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let child = Killed(child);
    let mut line = String::new();
    loop {
        line.clear();
        let n = out.read_line(&mut line).expect("a line");
        assert!(n > 0, "{program} ended before saying where it listens");
        if let Some(v) = pick(line.trim()) {
            // Keep draining its output, so that it never blocks on a full pipe.
            std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
            return (child, v);
        }
    }
}

/// A program on the `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The browser and its driver, or `None` (with a notice, or a failure under CI).
fn browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = which("chromium").or_else(|| which("chromium-browser"));
    let driver = which("chromedriver");
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            let why = "the browser test needs Debian's `chromium` and `chromium-driver` \
                       (apt-get install chromium chromium-driver)";
            assert!(
                std::env::var_os("CI").is_none(),
                "{why}; CI is set, so this fails"
            );
            eprintln!("notice: skipped: {why}");
            None
        }
    }
}

/// Waits until `f` gives `Some`, polling; panics with `what` after `limit`.
async fn until<T, F, Fut>(limit: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text(c: &Client, testid: &str) -> String {
    c.find(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("data-testid={testid}: {e}"))
        .text()
        .await
        .expect("its text")
}

async fn click(c: &Client, testid: &str) {
    c.find(Locator::Css(&format!("[data-testid={testid}]")))
        .await
        .unwrap_or_else(|e| panic!("data-testid={testid}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {testid}: {e}"));
}

async fn number(c: &Client, testid: &str) -> Option<f64> {
    text(c, testid).await.trim().parse().ok()
}

async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.expect("the script runs")
}

/// The browser's console messages of level SEVERE (errors), through
/// chromedriver's `POST /session/{id}/se/log`.
async fn console_errors(c: &Client, driver: &str) -> Vec<String> {
    let id = c.session_id().await.expect("a session").expect("an id");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(format!("{driver}/session/{id}/se/log"))
        .send_json(json!({"type": "browser"}))
        .expect("chromedriver answers");
    let body: Value = resp.body_mut().read_json().expect("JSON");
    body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("a log: {body}"))
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].to_string())
        .collect()
}

/// How many distinct colours a PNG has (a blank page has one or two).
fn colours(png_bytes: &[u8]) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let px = info.color_type.samples();
    let mut seen = std::collections::HashSet::new();
    for p in buf[..info.buffer_size()].chunks(px) {
        seen.insert(p[..3.min(px)].to_vec());
    }
    seen.len()
}

/// Clicks the middle of the network drawing's edge for `Wk[i,j]`.
async fn click_edge(c: &Client, k: usize, i: usize, j: usize) {
    let script = format!(
        "const p = window.playground;\
         const e = p.geometry.edges.find(e => e.k === {k} && e.i === {i} && e.j === {j});\
         let at = null;\
         for (let s = 1; s < 40 && !at; s++) {{\
           const q = p.edgePoint(e, s / 40); if (p.edgeAt(q[0], q[1]) === e) at = q;\
         }}\
         const cv = document.getElementById('network'); const r = cv.getBoundingClientRect();\
         cv.dispatchEvent(new MouseEvent('click', {{clientX: r.left + at[0],\
           clientY: r.top + at[1], bubbles: true}}));\
         return null;"
    );
    js(c, &script).await;
}

/// Saves a screenshot as `DIR/name` when `BACKPROP_SCREENSHOTS=DIR` is set.
fn save(png_bytes: &[u8], name: &str) {
    if let Some(dir) = std::env::var_os("BACKPROP_SCREENSHOTS") {
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, png_bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_trains_shows_the_backward_pass_and_the_notebooks_numbers() {
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let server = Server::start(&[]);
    let base = server.base.clone();
    let (_driver, port) = start_and_read(
        chromedriver.to_str().expect("a UTF-8 path"),
        &["--port=0"],
        |l| {
            l.split("started successfully on port ")
                .nth(1)
                .and_then(|p| p.trim_end_matches('.').trim().parse::<u16>().ok())
        },
    );
    let driver = format!("http://127.0.0.1:{port}");
    let profile = std::env::temp_dir().join(format!("backprop-chromium-{}", std::process::id()));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     "--window-size=1400,1150",
                     format!("--user-data-dir={}", profile.display())],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let c = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver)
        .await
        .expect("chromedriver starts a browser");
    let long = Duration::from_secs(60);

    // The page loads, makes its session and shows step 0 and the loss.
    c.goto(&format!("{base}/?speed=5")).await.expect("the page");
    let loss0 = until(long, "the first loss", || async {
        number(&c, "loss-value").await
    })
    .await;
    assert_eq!(text(&c, "step-count").await, "0");
    assert!(loss0 > 0.0, "{loss0}");
    let url: String = c.current_url().await.expect("a URL").into();
    assert!(
        url.contains("dataset=moons") && url.contains("layers=2%2C16%2C16%2C2"),
        "{url}"
    );

    // Play: the step count rises, and past step 200 the loss is lower.
    click(&c, "play").await;
    until(long, "step 200", || async {
        (number(&c, "step-count").await? > 200.0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let fps = js(
        &c,
        "const p = window.playground; return [p.fps, p.rafFps, p.drawMs];",
    )
    .await;
    let loss = number(&c, "loss-value").await.expect("a loss");
    assert!(
        loss < loss0,
        "loss {loss} after 200 steps, {loss0} at step 0"
    );
    click(&c, "play").await; // pause
    tokio::time::sleep(Duration::from_millis(500)).await;
    let norms = text(&c, "grad-norms").await;
    assert!(norms.contains("W1") && norms.contains("W3"), "{norms}");
    eprintln!("while playing: [redraws/s, animation frames/s, ms per redraw] = {fps}");

    // A weight of the trained network, up close: its gradient, term by term.
    click_edge(&c, 2, 3, 5).await;
    let detail = until(long, "a weight's trace", || async {
        let d = text(&c, "weight-detail").await;
        (d.contains("W2[3,5]") && d.contains("∂L/∂z2[5]")).then_some(d)
    })
    .await;
    assert!(detail.contains("h1[3]"), "{detail}");
    click(&c, "backward-next").await;

    // A screenshot is not blank.
    c.set_window_size(1400, 1450)
        .await
        .expect("a taller window");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shot = c.screenshot().await.expect("a screenshot");
    c.set_window_size(1400, 1150)
        .await
        .expect("the window again");
    let n = colours(&shot);
    assert!(n > 200, "the screenshot has {n} colours");
    save(&shot, "trained.png");

    // The notebook preset: one step shows the walkthrough's first gradient of W2.
    click(&c, "preset-notebook").await;
    until(long, "the preset", || async {
        let v = js(
            &c,
            "return window.playground.config && window.playground.config.preset",
        )
        .await;
        (v == "notebook").then_some(())
    })
    .await;
    let url: String = c.current_url().await.expect("a URL").into();
    assert!(url.contains("preset=notebook"), "{url}");
    click(&c, "step").await;
    until(long, "step 1", || async {
        (text(&c, "step-count").await == "1").then_some(())
    })
    .await;
    until(long, "the gradient 0.03005172 on the page", || async {
        let page = c.find(Locator::Css("body")).await.ok()?.text().await.ok()?;
        page.contains("0.03005172").then_some(())
    })
    .await;

    // The backward pass, node by node: the first node visited is the loss.
    let first = text(&c, "backward-node").await;
    assert!(first.contains("loss"), "{first}");
    // The page redraws on its next animation frame: wait for it.
    click(&c, "backward-last").await;
    let last = until(long, "the last node of the sweep", || async {
        let at = text(&c, "backward-position").await;
        (at.contains("of") && !at.starts_with("node 1 of")).then_some(at)
    })
    .await;
    assert!(last.starts_with("node 7 of 7"), "{last}");

    // Clicking W2[0,0] shows its value and gradient as NumPy prints them,
    // and how the gradient was assembled.
    click_edge(&c, 2, 0, 0).await;
    let detail = until(long, "the weight's trace", || async {
        let d = text(&c, "weight-detail").await;
        d.contains("W2[0,0]").then_some(d)
    })
    .await;
    assert!(detail.contains("0.03005172"), "{detail}");
    click(&c, "backward-next").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    save(&c.screenshot().await.expect("a screenshot"), "notebook.png");

    // Portuguese.
    c.goto(&format!(
        "{base}/?lang=pt&preset=notebook&seed=42&lr=1&layers=2,2,1"
    ))
    .await
    .expect("the page in Portuguese");
    until(long, "the Portuguese page", || async {
        (text(&c, "step").await == "Um passo").then_some(())
    })
    .await;

    let errors = console_errors(&c, &driver).await;
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // The learner's own CSV, uploaded from the page, makes the session's data.
    let dir = std::env::temp_dir().join(format!("backprop-upload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let good = dir.join("mine.csv");
    let rows: String = (0..60)
        .map(|r| {
            let (x, y) = ((r % 10) as f64 / 10.0, (r / 10) as f64 / 6.0);
            format!("{x},{y},{}\n", u8::from(x + y > 0.9))
        })
        .collect();
    std::fs::write(&good, format!("x,y,label\n{rows}")).expect("a CSV");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "x,y,label\n1,2,a\n3,4,b\n5,6,c\n").expect("a bad CSV");
    c.goto(&format!("{base}/?lang=en")).await.expect("the page");
    until(long, "a session", || async {
        number(&c, "loss-value").await
    })
    .await;
    let upload = c.find(Locator::Id("upload")).await.expect("the file input");
    upload
        .send_keys(bad.to_str().unwrap())
        .await
        .expect("a file chosen");
    let msg = until(long, "the loader's message", || async {
        let m = c
            .find(Locator::Id("message"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        (!m.is_empty()).then_some(m)
    })
    .await;
    assert!(msg.contains("bad.csv") && msg.contains("class"), "{msg}");
    let upload = c.find(Locator::Id("upload")).await.expect("the file input");
    upload
        .send_keys(good.to_str().unwrap())
        .await
        .expect("a file chosen");
    until(long, "a session on the upload", || async {
        let d = js(
            &c,
            "return window.playground.config && window.playground.config.dataset",
        )
        .await;
        d.as_str()?.starts_with("upload:").then_some(())
    })
    .await;
    let points = js(&c, "return window.playground.points && window.playground.points.train.length + window.playground.points.test.length").await;
    assert_eq!(points, json!(60));
    let _ = std::fs::remove_dir_all(&dir);

    // A session the server forgot (here: deleted) is made again from the URL
    // when the page next uses it, without an error.
    let id = js(&c, "return window.playground.id").await;
    let id = id.as_str().expect("an id").to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let gone = agent
        .delete(format!("{base}/api/sessions/{id}"))
        .call()
        .expect("deleted");
    assert_eq!(gone.status().as_u16(), 200);
    click(&c, "step").await;
    until(long, "step 1 of a new session", || async {
        let new_id = js(&c, "return window.playground.id").await;
        (text(&c, "step-count").await == "1" && new_id.as_str() != Some(id.as_str())).then_some(())
    })
    .await;
    let msg = c
        .find(Locator::Id("message"))
        .await
        .expect("the message")
        .attr("class")
        .await
        .expect("a class");
    assert!(
        msg.unwrap_or_default().contains("info"),
        "an information, not an error"
    );
    c.close().await.expect("the browser closes");
    let _ = std::fs::remove_dir_all(profile);
}
