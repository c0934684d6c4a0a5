//! Which connections are broken: their credentials were refused (a refused OAuth2
//! refresh, a 401 that a refresh did not cure, a revoked key). The runner reports every
//! refusal and every success here; refusals are marked in the store (shown by
//! `ferry connections` and `ferry runs`, with since when and the redacted reason) while the
//! items wait, and the mark is cleared by the first success on that connection.
//!
//! Successes are the hot path (every step), so they are checked against an in-memory copy
//! of the marks, read again from the store every `RELOAD_EVERY` so that a mark set by
//! another worker is cleared here too; nothing is written unless a mark exists.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::store::{BrokenMark, Store};

/// How stale the in-memory copy of the marks may get.
const RELOAD_EVERY: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Known {
    broken: HashSet<(String, String)>,
    loaded_at: Option<Instant>,
}

/// See the module documentation. One per engine.
#[derive(Default)]
pub struct ConnectionHealth {
    known: Mutex<Known>,
}

impl std::fmt::Debug for ConnectionHealth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionHealth").finish_non_exhaustive()
    }
}

impl ConnectionHealth {
    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection refused its credentials (`mark.reason` already redacted).
    pub async fn broken(&self, store: &dyn Store, mark: BrokenMark) {
        let key = (mark.bundle_id.clone(), mark.connection.clone());
        match store.mark_connection_broken(mark).await {
            Ok(()) => {
                self.known().broken.insert(key);
            }
            Err(e) => {
                tracing::warn!(bundle = %key.0, connection = %key.1, error = %e, "could not record a broken connection");
            }
        }
    }

    /// A call on this connection succeeded: clear its mark if it has one.
    pub async fn working(&self, store: &dyn Store, bundle_id: &str, connection: &str) {
        let stale = self
            .known()
            .loaded_at
            .is_none_or(|at| at.elapsed() >= RELOAD_EVERY);
        if stale {
            match store.broken_connections().await {
                Ok(marks) => {
                    let mut known = self.known();
                    known.broken = marks
                        .into_iter()
                        .map(|m| (m.bundle_id, m.connection))
                        .collect();
                    known.loaded_at = Some(Instant::now());
                }
                Err(e) => tracing::warn!(error = %e, "could not read broken connections"),
            }
        }
        let key = (bundle_id.to_string(), connection.to_string());
        if !self.known().broken.contains(&key) {
            return;
        }
        match store.clear_connection_broken(bundle_id, connection).await {
            Ok(_) => {
                self.known().broken.remove(&key);
                tracing::info!(bundle = %bundle_id, %connection, "connection works again");
            }
            Err(e) => {
                tracing::warn!(bundle = %bundle_id, %connection, error = %e, "could not clear a broken connection");
            }
        }
    }
}
