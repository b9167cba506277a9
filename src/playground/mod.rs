//! The playground behind `backprop serve`: sessions that each hold a
//! generated data set, a network and its optimiser, stepped on request, with
//! snapshots of their state, decision boundary and last backward sweep.
//!
//! No web framework here: the binary's HTTP layer turns requests into calls
//! on a [`Playground`] and its [`Session`]s, and these into JSON.
//!
//! A configuration resolves like `backprop train --data SET`'s flags
//! ([`config::resolve`], with the per-set defaults of
//! [`train_defaults`](crate::data::generated::train_defaults)); the notebook
//! preset ([`config::resolve_preset`]) steps the walkthrough's network with
//! the walkthrough's code, so its numbers are the walkthrough's.

pub mod config;
pub mod session;
pub mod trace;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use config::{Config, ConfigRequest, PresetRequest, Resolved};
pub use session::{Session, StepReport};

/// What can go wrong in the playground; [`PlaygroundError::status`] is the
/// HTTP status it answers with.
#[derive(Debug, thiserror::Error)]
pub enum PlaygroundError {
    /// A request field with a bad value (or a malformed body, field `body`).
    #[error("{field}: {why}")]
    BadField {
        /// The field's name.
        field: String,
        /// What is wrong with it.
        why: String,
    },
    /// No session with this id (never made, deleted or expired).
    #[error("no session {0:?} (never created, deleted, or expired after being idle)")]
    NotFound(String),
    /// The session limit is reached.
    #[error("{0} sessions are open, the limit; delete one or wait for one to expire")]
    TooManySessions(usize),
    /// A step's loss was not finite; the steps before it stay done.
    #[error("the loss became {value} at step {step}; stopped (try a smaller lr)")]
    Diverged {
        /// The 1-based step whose loss was not finite.
        step: u64,
        /// Its loss.
        value: f64,
    },
    /// Training stopped (a parameter became non-finite, or an engine error).
    #[error(transparent)]
    Train(#[from] crate::train::TrainError),
    /// An engine error.
    #[error(transparent)]
    Engine(#[from] crate::Error),
    /// An upload over the size or row limit.
    #[error("{0}")]
    TooLarge(String),
    /// The upload limit is reached.
    #[error("{0} uploaded data sets are kept, the limit; wait for one to expire")]
    TooManyUploads(usize),
    /// The walkthrough's code failed (tracing the notebook preset).
    #[error(transparent)]
    Walkthrough(#[from] crate::walkthrough::WalkthroughError),
    /// Something the server should not have come to (a bug).
    #[error("{0}")]
    Internal(String),
    /// An earlier request failed part way through this session's step.
    #[error("session {0:?} failed during an earlier request and was removed")]
    Broken(String),
}

impl PlaygroundError {
    /// A [`PlaygroundError::BadField`].
    pub fn bad(field: &str, why: impl Into<String>) -> Self {
        PlaygroundError::BadField {
            field: field.into(),
            why: why.into(),
        }
    }

    /// The HTTP status: 400 for a bad field, 404 for an unknown session,
    /// 413 for an upload too large, 429 at the session or upload limit, 422 when training diverged, 500 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            PlaygroundError::BadField { .. } => 400,
            PlaygroundError::NotFound(_) | PlaygroundError::Broken(_) => 404,
            PlaygroundError::TooManySessions(_) | PlaygroundError::TooManyUploads(_) => 429,
            PlaygroundError::TooLarge(_) => 413,
            PlaygroundError::Diverged { .. } | PlaygroundError::Train(_) => 422,
            PlaygroundError::Engine(_)
            | PlaygroundError::Walkthrough(_)
            | PlaygroundError::Internal(_) => 500,
        }
    }

    /// The field a [`PlaygroundError::BadField`] names.
    pub fn field(&self) -> Option<&str> {
        match self {
            PlaygroundError::BadField { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// The limits of a playground (flags of `backprop serve`).
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Sessions open at once.
    pub max_sessions: usize,
    /// Hidden layers of a network.
    pub max_hidden_layers: usize,
    /// Units of a hidden layer.
    pub max_units: usize,
    /// Points of a data set.
    pub max_samples: usize,
    /// Optimiser steps in one request.
    pub max_steps: u64,
    /// Grid side of a boundary's output.
    pub max_resolution: usize,
    /// Grid side of a boundary's hidden units.
    pub max_hidden_resolution: usize,
    /// A session unused this long is removed.
    pub idle: Duration,
    /// Bytes of an uploaded CSV.
    pub max_upload_bytes: usize,
}

impl Default for Limits {
    /// 64 sessions, 8 hidden layers of 64 units, 10,000 samples, 10,000
    /// steps per request, grids up to 200 (hidden 100), 30 minutes idle,
    /// uploads of 1 MiB.
    fn default() -> Self {
        Limits {
            max_sessions: 64,
            max_hidden_layers: 8,
            max_units: 64,
            max_samples: 10_000,
            max_steps: 10_000,
            max_resolution: 200,
            max_hidden_resolution: 100,
            idle: Duration::from_secs(30 * 60),
            max_upload_bytes: 1 << 20,
        }
    }
}

/// A shared session handle.
pub type Shared = Arc<Mutex<Session>>;

/// An uploaded CSV (two feature columns and a label), checked by the loader.
/// Each session made from it holds a reference; it expires once idle and
/// used by no session.
#[derive(Debug)]
pub struct Upload {
    /// The file as sent (loaded again by each session, with its options).
    pub bytes: Vec<u8>,
    /// Its rows.
    pub rows: usize,
    /// Its classes.
    pub classes: usize,
}

/// The loader's options for an upload: classes, at most 2 of them.
pub fn upload_options() -> crate::data::LoadOptions {
    crate::data::LoadOptions {
        max_classes: 2,
        max_inflate: 16 << 20,
        ..crate::data::LoadOptions::default()
    }
}

/// The sessions of a playground, by id, with their last use.
pub struct Playground {
    /// The limits in force.
    pub limits: Limits,
    sessions: Mutex<HashMap<String, (Shared, Instant)>>,
    uploads: Mutex<HashMap<String, (Arc<Upload>, Instant)>>,
    counter: AtomicU64,
}

impl Playground {
    /// An empty playground with `limits`.
    pub fn new(limits: Limits) -> Self {
        Playground {
            limits,
            sessions: Mutex::new(HashMap::new()),
            uploads: Mutex::new(HashMap::new()),
            counter: AtomicU64::new(0),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Shared, Instant)>> {
        // The map is only ever left consistent, so a poisoned lock is usable.
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn upload_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Arc<Upload>, Instant)>> {
        self.uploads.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes the sessions idle longer than the limit, then the uploads
    /// idle as long that no session uses; returns how many sessions.
    pub fn expire(&self) -> usize {
        let idle = self.limits.idle;
        let removed = {
            let mut map = self.map();
            let before = map.len();
            map.retain(|_, (_, used)| used.elapsed() <= idle);
            before - map.len()
        };
        self.upload_map()
            .retain(|_, (u, used)| Arc::strong_count(u) > 1 || used.elapsed() <= idle);
        removed
    }

    /// Uploaded data sets kept.
    pub fn uploads(&self) -> usize {
        self.upload_map().len()
    }

    /// Checks and keeps an uploaded CSV: at most `max_upload_bytes` and
    /// `max_samples` rows, exactly two feature columns and a label of at most
    /// two classes, read by the loader of `train --data`. Returns its name
    /// (`upload:<id>`, a session's `dataset`) and the upload.
    pub fn upload(&self, bytes: Vec<u8>) -> Result<(String, Arc<Upload>), PlaygroundError> {
        let l = &self.limits;
        if bytes.len() > l.max_upload_bytes {
            return Err(PlaygroundError::TooLarge(format!(
                "the file has {} bytes, over the limit of {}",
                bytes.len(),
                l.max_upload_bytes
            )));
        }
        self.expire();
        if self.uploads() >= l.max_sessions {
            return Err(PlaygroundError::TooManyUploads(l.max_sessions));
        }
        let data = crate::data::Dataset::from_bytes(
            std::path::Path::new("upload"),
            bytes.clone(),
            &upload_options(),
        )
        // The loader's message, less its hint at a flag of `train`.
        .map_err(|e| {
            PlaygroundError::bad(
                "body",
                e.to_string().replace("; raise it with --max-classes", ""),
            )
        })?;
        if data.dim() != 2 {
            return Err(PlaygroundError::bad(
                "body",
                format!(
                    "upload: {} feature columns; expected exactly 2 and a label",
                    data.dim()
                ),
            ));
        }
        if data.n > l.max_samples {
            return Err(PlaygroundError::TooLarge(format!(
                "the file has {} rows, over the limit of {}",
                data.n, l.max_samples
            )));
        }
        let upload = Arc::new(Upload {
            bytes,
            rows: data.n,
            classes: data.target_width(),
        });
        let mut map = self.upload_map();
        if map.len() >= l.max_sessions {
            return Err(PlaygroundError::TooManyUploads(l.max_sessions));
        }
        let name = format!("upload:{}", self.new_id());
        map.insert(name.clone(), (Arc::clone(&upload), Instant::now()));
        Ok((name, upload))
    }

    /// The upload named `name` (`upload:<id>`), marked as used now.
    pub fn upload_named(&self, name: &str) -> Option<Arc<Upload>> {
        let mut map = self.upload_map();
        let (u, used) = map.get_mut(name)?;
        *used = Instant::now();
        Some(Arc::clone(u))
    }

    /// Whether session `id` is open (without marking it used).
    pub fn contains(&self, id: &str) -> bool {
        self.map().contains_key(id)
    }

    /// Open sessions.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    /// Whether no session is open.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A new, hard to guess session id.
    fn new_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        format!("{:016x}{:04x}", h.finish(), n & 0xffff)
    }

    /// Makes a session from a request body; returns its id and configuration.
    pub fn create(&self, body: &[u8]) -> Result<(String, Config), PlaygroundError> {
        self.expire();
        if self.len() >= self.limits.max_sessions {
            return Err(PlaygroundError::TooManySessions(self.limits.max_sessions));
        }
        let resolved = config::parse_body_with(body, &self.limits, &|n| self.upload_named(n))?;
        let session = Session::new(&resolved)?;
        let mut map = self.map();
        if map.len() >= self.limits.max_sessions {
            return Err(PlaygroundError::TooManySessions(self.limits.max_sessions));
        }
        let id = self.new_id();
        map.insert(id.clone(), (Arc::new(Mutex::new(session)), Instant::now()));
        Ok((id, resolved.config))
    }

    /// The session `id`, marked as used now.
    pub fn get(&self, id: &str) -> Result<Shared, PlaygroundError> {
        self.expire();
        let mut map = self.map();
        let (s, used) = map
            .get_mut(id)
            .ok_or_else(|| PlaygroundError::NotFound(id.into()))?;
        *used = Instant::now();
        Ok(Arc::clone(s))
    }

    /// Deletes session `id`.
    pub fn delete(&self, id: &str) -> Result<(), PlaygroundError> {
        self.map()
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| PlaygroundError::NotFound(id.into()))
    }

    /// Runs `f` on session `id`. A session whose lock a failed request left
    /// poisoned is removed and reported as [`PlaygroundError::Broken`].
    pub fn with<R>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Session) -> Result<R, PlaygroundError>,
    ) -> Result<R, PlaygroundError> {
        let shared = self.get(id)?;
        let mut guard = match shared.lock() {
            Ok(g) => g,
            Err(_) => {
                self.map().remove(id);
                return Err(PlaygroundError::Broken(id.into()));
            }
        };
        f(&mut guard)
    }

    /// Checks a step count against the limit.
    pub fn check_steps(&self, steps: u64) -> Result<(), PlaygroundError> {
        if steps == 0 || steps > self.limits.max_steps {
            return Err(PlaygroundError::bad(
                "steps",
                format!("{steps}: expected 1 to {} steps", self.limits.max_steps),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
