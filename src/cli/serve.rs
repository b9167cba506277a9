//! `backprop serve`: the playground's JSON API over HTTP (axum on tokio).
//!
//! The sessions live in the library's [`Playground`]; this file only routes
//! requests to it. Every call that touches a session (stepping above all)
//! runs on tokio's blocking pool, so a long step never stalls other
//! requests. See `docs/api.md` for the API.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use backprop::playground::{Limits, Playground, PlaygroundError};
use clap::Args;
use serde_json::{json, Value};

/// `backprop serve`'s flags.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (the first line names it).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Sessions open at once.
    #[arg(long, default_value_t = 64)]
    pub max_sessions: usize,
    /// Hidden layers of a session's network.
    #[arg(long, default_value_t = 8)]
    pub max_hidden_layers: usize,
    /// Units of a hidden layer.
    #[arg(long, default_value_t = 64)]
    pub max_units: usize,
    /// Points of a session's data set (and rows of an uploaded CSV).
    #[arg(long, default_value_t = 10_000)]
    pub max_samples: usize,
    /// KiB of an uploaded CSV (`POST /api/datasets`).
    #[arg(long, default_value_t = 1024)]
    pub max_upload_kib: usize,
    /// Optimiser steps in one request.
    #[arg(long, default_value_t = 10_000)]
    pub max_steps: u64,
    /// Minutes after which an unused session is removed.
    #[arg(long, default_value_t = 30)]
    pub idle_minutes: u64,
    /// Open the page in the default browser once listening.
    #[arg(long)]
    pub open: bool,
}

type Shared = Arc<Playground>;

/// The time between two ticks of a playing session: at most 30 a second.
const TICK: Duration = Duration::from_micros(33_334);

/// What a session's event stream carries.
#[derive(Clone)]
enum Live {
    /// A tick's report (the JSON of a step's answer).
    Report(String),
    /// Playing stopped on an error (its JSON `{"error": ...}`).
    Error(String),
}

/// A session's play state and its event subscribers.
struct Channel {
    tx: tokio::sync::broadcast::Sender<Live>,
    /// While playing: steps per tick, the flag that stops it, the ticker.
    play: Option<(u64, Arc<AtomicBool>, tokio::task::AbortHandle)>,
}

impl Channel {
    fn new() -> Self {
        Channel {
            tx: tokio::sync::broadcast::channel(16).0,
            play: None,
        }
    }

    /// Stops playing (a step already running finishes; a queued one does not run).
    fn stop(&mut self) {
        if let Some((_, running, ticker)) = self.play.take() {
            running.store(false, Ordering::SeqCst);
            ticker.abort();
        }
    }
}

/// The server's state: the playground and the sessions' channels.
#[derive(Clone)]
struct App {
    pg: Shared,
    live: Arc<Mutex<HashMap<String, Channel>>>,
}

impl FromRef<App> for Shared {
    fn from_ref(app: &App) -> Shared {
        Arc::clone(&app.pg)
    }
}

impl App {
    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, Channel>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops the channels of sessions that are gone: their players stop and
    /// their event streams end.
    fn prune(&self) {
        let mut live = self.live();
        live.retain(|id, c| {
            let keep = self.pg.contains(id);
            if !keep {
                c.stop();
            }
            keep
        });
    }
}

/// An error answer: its status and `{"error": "...", "field": ...}`.
struct ApiError(StatusCode, Value);

impl From<PlaygroundError> for ApiError {
    fn from(e: PlaygroundError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({"error": e.to_string()});
        if let Some(f) = e.field() {
            body["field"] = json!(f);
        }
        ApiError(status, body)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

type Answer = std::result::Result<Json<Value>, ApiError>;

/// Runs `f` on the blocking pool; a panic inside is a 500, not a crash.
async fn blocking(
    f: impl FnOnce() -> std::result::Result<Value, PlaygroundError> + Send + 'static,
) -> Answer {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => Ok(Json(r?)),
        Err(_) => Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "the request failed inside the server; the session is removed"}),
        )),
    }
}

async fn health(State(pg): State<Shared>) -> Json<Value> {
    Json(json!({
        "ok": true,
        "sessions": pg.len(),
        "version": env!("CARGO_PKG_VERSION"),
    }))
}

async fn create(State(pg): State<Shared>, body: Bytes) -> Answer {
    blocking(move || {
        let (id, config) = pg.create(&body)?;
        Ok(json!({"id": id, "config": config}))
    })
    .await
}

async fn state(State(pg): State<Shared>, Path(id): Path<String>) -> Answer {
    blocking(move || pg.with(&id, |s| Ok(s.state()))).await
}

async fn delete(State(app): State<App>, Path(id): Path<String>) -> Answer {
    app.pg.delete(&id)?;
    // The player stops; the event streams end.
    if let Some(mut c) = app.live().remove(&id) {
        c.stop();
    }
    Ok(Json(json!({"deleted": id})))
}

/// The body of a step request.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StepRequest {
    steps: Option<u64>,
}

/// The body of a play request.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PlayRequest {
    steps_per_tick: Option<u64>,
}

/// A small JSON body (empty: `T::default()`); errors name the field.
fn small_body<T: serde::de::DeserializeOwned + Default>(
    body: &[u8],
) -> std::result::Result<T, PlaygroundError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if inner.is_syntax() || inner.is_eof() {
            "body".to_string()
        } else if path == "." {
            inner
                .to_string()
                .split('`')
                .nth(1)
                .unwrap_or("body")
                .to_string()
        } else {
            path
        };
        PlaygroundError::bad(&field, inner.to_string())
    })
}

async fn step(State(pg): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer {
    let req: StepRequest = small_body(&body)?;
    let steps = req.steps.unwrap_or(1);
    pg.check_steps(steps)?;
    blocking(move || pg.with(&id, |s| Ok(json!(s.step(steps)?)))).await
}

/// `{"playing", "steps_per_tick", "step"}` of session `id`.
async fn play_state(app: &App, id: String) -> Answer {
    let per = app
        .live()
        .get(&id)
        .and_then(|c| c.play.as_ref().map(|p| p.0));
    let pg = Arc::clone(&app.pg);
    // Taking the session's lock waits for a step under way.
    blocking(move || {
        pg.with(&id, |s| {
            Ok(json!({"playing": per.is_some(), "steps_per_tick": per, "step": s.steps_done()}))
        })
    })
    .await
}

async fn play(State(app): State<App>, Path(id): Path<String>, body: Bytes) -> Answer {
    let req: PlayRequest = small_body(&body)?;
    let k = req.steps_per_tick.unwrap_or(1);
    let max = app.pg.limits.max_steps;
    if k == 0 || k > max {
        return Err(PlaygroundError::bad(
            "steps_per_tick",
            format!("{k}: expected 1 to {max} steps per tick"),
        )
        .into());
    }
    app.pg.get(&id)?;
    {
        let mut live = app.live();
        let chan = live.entry(id.clone()).or_insert_with(Channel::new);
        chan.stop();
        let running = Arc::new(AtomicBool::new(true));
        let ticker = tokio::spawn(ticker(app.clone(), id.clone(), k, Arc::clone(&running)));
        chan.play = Some((k, running, ticker.abort_handle()));
    }
    play_state(&app, id).await
}

async fn pause(State(app): State<App>, Path(id): Path<String>) -> Answer {
    app.pg.get(&id)?;
    if let Some(c) = app.live().get_mut(&id) {
        c.stop();
    }
    play_state(&app, id).await
}

/// Plays session `id`: `k` steps every [`TICK`], each report broadcast,
/// until paused, deleted, expired or failed.
async fn ticker(app: App, id: String, k: u64, running: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let (pg, sid, run) = (Arc::clone(&app.pg), id.clone(), Arc::clone(&running));
        let done = tokio::task::spawn_blocking(move || {
            pg.with(&sid, |s| {
                // Paused while this step waited: do nothing.
                if !run.load(Ordering::SeqCst) {
                    return Ok(None);
                }
                s.step(k).map(Some)
            })
        })
        .await;
        let sent = match done {
            Ok(Ok(Some(report))) => Live::Report(json!(report).to_string()),
            Ok(Ok(None)) => return,
            Ok(Err(PlaygroundError::NotFound(_) | PlaygroundError::Broken(_))) => {
                app.prune();
                return;
            }
            Ok(Err(e)) => Live::Error(json!({"error": e.to_string()}).to_string()),
            Err(_) => Live::Error(
                json!({"error": "the step failed inside the server; the session is removed"})
                    .to_string(),
            ),
        };
        let failed = matches!(sent, Live::Error(_));
        let mut live = app.live();
        let Some(chan) = live.get_mut(&id) else {
            return;
        };
        // Only the current player reports (a replaced one may finish a step).
        if !running.load(Ordering::SeqCst) {
            return;
        }
        let _ = chan.tx.send(sent);
        if failed {
            running.store(false, Ordering::SeqCst);
            chan.play = None;
            return;
        }
    }
}

async fn events(
    State(app): State<App>,
    Path(id): Path<String>,
) -> std::result::Result<Response, ApiError> {
    app.pg.get(&id)?;
    let rx = app
        .live()
        .entry(id)
        .or_insert_with(Channel::new)
        .tx
        .subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(Live::Report(data)) => {
                    return Some((Ok::<_, Infallible>(Event::default().data(data)), rx))
                }
                Ok(Live::Error(data)) => {
                    return Some((Ok(Event::default().event("error").data(data)), rx))
                }
                // A slow reader skips the reports it missed.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream)
        .keep_alive(
            KeepAlive::new()
                .interval(Duration::from_secs(15))
                .text("keep-alive"),
        )
        .into_response())
}

/// A grid side from the query: `default` when absent, else 1 to `max`.
fn side(
    q: &HashMap<String, String>,
    name: &str,
    default: usize,
    max: usize,
) -> std::result::Result<usize, PlaygroundError> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(PlaygroundError::bad(
                name,
                format!("{v:?}: expected a whole number from 1 to {max}"),
            )),
        },
    }
}

async fn boundary(
    State(pg): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    if let Some(k) = q
        .keys()
        .find(|k| !matches!(k.as_str(), "resolution" | "hidden_resolution"))
    {
        return Err(PlaygroundError::bad(
            k,
            "unknown parameter: expected resolution or hidden_resolution",
        )
        .into());
    }
    let r = side(&q, "resolution", 50, pg.limits.max_resolution)?;
    let h = side(&q, "hidden_resolution", 20, pg.limits.max_hidden_resolution)?;
    blocking(move || pg.with(&id, |s| s.boundary(r, h))).await
}

async fn trace(
    State(pg): State<Shared>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    if let Some(k) = q.keys().find(|k| k.as_str() != "weight") {
        return Err(PlaygroundError::bad(k, "unknown parameter: expected weight").into());
    }
    let spec = q
        .get("weight")
        .cloned()
        .ok_or_else(|| PlaygroundError::bad("weight", "missing: expected weight=Wk[i,j]"))?;
    blocking(move || pg.with(&id, |s| s.trace(&spec))).await
}

async fn points(State(pg): State<Shared>, Path(id): Path<String>) -> Answer {
    blocking(move || pg.with(&id, |s| Ok(s.points()))).await
}

/// The page's files, embedded in the binary: `(path, content type, text)`.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../../assets/playground/index.html"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/playground/app.js"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/playground/style.css"),
    ),
];

/// A route answering one of [`ASSETS`].
fn asset(i: usize) -> axum::routing::MethodRouter<App> {
    get(move || async move {
        let (_, kind, text) = ASSETS[i];
        (
            [
                (axum::http::header::CONTENT_TYPE, kind),
                (axum::http::header::CACHE_CONTROL, "no-cache"),
            ],
            text,
        )
    })
}

async fn backward(State(pg): State<Shared>, Path(id): Path<String>) -> Answer {
    blocking(move || pg.with(&id, |s| Ok(s.backward()))).await
}

/// `POST /api/datasets`: a CSV as the body.
async fn upload(
    State(pg): State<Shared>,
    body: std::result::Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Answer {
    let body = body.map_err(|e| {
        let status = e.status();
        let why = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!(
                "the file is over the limit of {} bytes",
                pg.limits.max_upload_bytes
            )
        } else {
            e.body_text()
        };
        ApiError(status, json!({"error": why}))
    })?;
    blocking(move || {
        let (name, u) = pg.upload(body.to_vec())?;
        Ok(json!({"dataset": name, "rows": u.rows, "classes": u.classes}))
    })
    .await
}

async fn not_found() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        json!({"error": "no such endpoint; see docs/api.md"}),
    )
}

async fn not_allowed() -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({"error": "method not allowed on this endpoint; see docs/api.md"}),
    )
}

/// The API's routes on `app`.
fn router(app: App) -> Router {
    // One byte over the limit is enough to know a body is too large.
    let upload_limit = app.pg.limits.max_upload_bytes.saturating_add(1);
    let mut r = Router::new();
    for (i, (path, _, _)) in ASSETS.iter().enumerate() {
        r = r.route(path, asset(i));
    }
    r.route(
        "/api/datasets",
        post(upload).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
    )
    .route("/api/health", get(health))
    .route("/api/sessions", post(create))
    .route("/api/sessions/{id}", get(state).delete(delete))
    .route("/api/sessions/{id}/step", post(step))
    .route("/api/sessions/{id}/boundary", get(boundary))
    .route("/api/sessions/{id}/backward", get(backward))
    .route("/api/sessions/{id}/points", get(points))
    .route("/api/sessions/{id}/trace", get(trace))
    .route("/api/sessions/{id}/play", post(play))
    .route("/api/sessions/{id}/pause", post(pause))
    .route("/api/sessions/{id}/events", get(events))
    .fallback(not_found)
    .method_not_allowed_fallback(not_allowed)
    .with_state(app)
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Serves until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<()> {
    let limits = Limits {
        max_sessions: args.max_sessions,
        max_hidden_layers: args.max_hidden_layers,
        max_units: args.max_units,
        max_samples: args.max_samples,
        max_steps: args.max_steps,
        idle: Duration::from_secs(args.idle_minutes.saturating_mul(60)),
        max_upload_bytes: args.max_upload_kib.saturating_mul(1024),
        ..Limits::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let result = runtime.block_on(serve(args, limits));
    // A step still running on the blocking pool is not waited for: the
    // process ends, and the session with it.
    runtime.shutdown_background();
    result
}

async fn serve(args: ServeArgs, limits: Limits) -> Result<()> {
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener
        .local_addr()
        .context("cannot read the bound address")?;
    {
        // A reader that left (a closed pipe) does not stop the server; any
        // other write error is reported (one line, exit 2).
        let mut out = std::io::stdout().lock();
        match writeln!(out, "listening on http://{addr}/").and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(anyhow::Error::new(e).context("cannot write to stdout"))
            }
            _ => {}
        }
    }
    if args.open {
        // A wildcard address is not one a browser can visit: use loopback.
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let url = format!(
            "http://{}/",
            std::net::SocketAddr::new(host.parse()?, addr.port())
        );
        if let Err(e) = open::that_detached(&url) {
            eprintln!("warning: cannot open a browser ({e}); visit {url}");
        }
    }
    let app = App {
        pg: Arc::new(Playground::new(limits)),
        live: Arc::default(),
    };
    let sweeper = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let pg = Arc::clone(&sweeper.pg);
            let _ = tokio::task::spawn_blocking(move || pg.expire()).await;
            // Expired sessions' players stop and their event streams end.
            sweeper.prune();
        }
    });
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped")?;
    Ok(())
}
