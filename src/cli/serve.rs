//! `backprop serve`: the playground's JSON API over HTTP (axum on tokio).
//!
//! The sessions live in the library's [`Playground`]; this file only routes
//! requests to it. Every call that touches a session (stepping above all)
//! runs on tokio's blocking pool, so a long step never stalls other
//! requests. See `docs/api.md` for the API.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
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
    /// Points of a session's data set.
    #[arg(long, default_value_t = 10_000)]
    pub max_samples: usize,
    /// Optimiser steps in one request.
    #[arg(long, default_value_t = 10_000)]
    pub max_steps: u64,
    /// Minutes after which an unused session is removed.
    #[arg(long, default_value_t = 30)]
    pub idle_minutes: u64,
}

type Shared = Arc<Playground>;

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

async fn delete(State(pg): State<Shared>, Path(id): Path<String>) -> Answer {
    pg.delete(&id)?;
    Ok(Json(json!({"deleted": id})))
}

/// The body of a step request.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRequest {
    steps: Option<u64>,
}

async fn step(State(pg): State<Shared>, Path(id): Path<String>, body: Bytes) -> Answer {
    let req: StepRequest = if body.iter().all(u8::is_ascii_whitespace) {
        StepRequest { steps: None }
    } else {
        let mut de = serde_json::Deserializer::from_slice(&body);
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
        })?
    };
    let steps = req.steps.unwrap_or(1);
    pg.check_steps(steps)?;
    blocking(move || pg.with(&id, |s| Ok(json!(s.step(steps)?)))).await
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

async fn backward(State(pg): State<Shared>, Path(id): Path<String>) -> Answer {
    blocking(move || pg.with(&id, |s| Ok(s.backward()))).await
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

/// The API's routes on `pg`.
fn router(pg: Shared) -> Router {
    Router::new()
        .route("/api/health", get(health))
        .route("/api/sessions", post(create))
        .route("/api/sessions/{id}", get(state).delete(delete))
        .route("/api/sessions/{id}/step", post(step))
        .route("/api/sessions/{id}/boundary", get(boundary))
        .route("/api/sessions/{id}/backward", get(backward))
        .fallback(not_found)
        .method_not_allowed_fallback(not_allowed)
        .with_state(pg)
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
    let pg = Arc::new(Playground::new(limits));
    let sweeper = Arc::clone(&pg);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let pg = Arc::clone(&sweeper);
            let _ = tokio::task::spawn_blocking(move || pg.expire()).await;
        }
    });
    axum::serve(listener, router(pg))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server stopped")?;
    Ok(())
}
