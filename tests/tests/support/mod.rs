//! Shared pieces of the end-to-end tests: loading real templates from `bundles/` with their
//! connections pointed at emulators, a store in a temporary directory, a manual clock, and
//! an engine over all of it.

#![allow(dead_code)] // each test file uses its own subset

pub mod binary;
pub mod history;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferry::bundle::{Bundle, parse_bundle};
use ferry::clock::ManualClock;
use ferry::runtime::{Engine, EngineConfig, PreparedBundle, SecretSource, oauth_sessions};
use ferry::store::{SqliteStore, Store};
use ferry_connectors::transport::{HttpTransport, TransportConfig};
use serde_json::Value;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A template from `bundles/`, with connection settings overridden (emulator addresses).
pub fn template(relative: &str, overrides: &[(&str, &str, String)]) -> Bundle {
    edited_template(relative, &[], overrides)
}

/// The marker of the lines an integrator edits in a template.
const EDIT_MARKER: &str = "# EDIT";

/// A template from `bundles/` edited the way an integrator edits it: each `(from, to)`
/// replaces text in the value part (before the `# EDIT` comment) of every line marked
/// `# EDIT` that holds `from` (ids of the emulated account put in place of the example
/// ones). An edit that matches no marked line panics, so a test notices when its template
/// changes. Connection settings are then overridden as in [`template`].
pub fn edited_template(
    relative: &str,
    edits: &[(&str, String)],
    overrides: &[(&str, &str, String)],
) -> Bundle {
    let path = repo_root().join("bundles").join(relative);
    let original =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    for (from, to) in edits {
        let mut edited = 0;
        for line in lines.iter_mut() {
            let Some(marker) = line.find(EDIT_MARKER) else {
                continue;
            };
            let (value, comment) = line.split_at(marker);
            if value.contains(from) {
                *line = format!("{}{comment}", value.replace(from, to));
                edited += 1;
            }
        }
        assert!(
            edited > 0,
            "{relative}: no line marked `{EDIT_MARKER}` holds `{from}`"
        );
    }
    let text = lines.join("\n");
    let mut bundle =
        parse_bundle(&path, &text).unwrap_or_else(|d| panic!("{}:\n{d}", path.display()));
    for (connection, key, value) in overrides {
        let conn = bundle
            .connections
            .get_mut(*connection)
            .unwrap_or_else(|| panic!("{relative} has no connection `{connection}`"));
        conn.settings
            .insert((*key).to_string(), Value::String(value.clone()));
    }
    bundle
}

/// 10:00 Moscow time on a fixed day: the calls journal is read by Moscow days.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-05-14T07:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A store, a clock and secrets that outlive engine restarts.
pub struct World {
    /// Holds the SQLite file.
    pub dir: tempfile::TempDir,
    /// The shared clock.
    pub clock: Arc<ManualClock>,
    /// Secret values for `${secret:..}` references.
    pub secrets: SecretSource,
    /// Timeouts, caps and circuit-breaker settings of the engines' transport.
    pub transport: TransportConfig,
}

impl World {
    /// A fresh world at [`start_time`].
    pub fn new() -> World {
        World {
            dir: tempfile::tempdir().expect("temp dir"),
            clock: Arc::new(ManualClock::new(start_time())),
            secrets: SecretSource::from_env(),
            transport: TransportConfig {
                request_timeout: Duration::from_secs(10),
                ..TransportConfig::default()
            },
        }
    }

    /// Open the store (again, after a restart).
    pub async fn store(&self) -> Arc<dyn Store> {
        let store = SqliteStore::open(&self.dir.path().join("ferry.db"))
            .await
            .expect("open store");
        store.migrate().await.expect("migrate");
        Arc::new(store)
    }

    /// An engine over `bundles` with its own store handle.
    pub async fn engine(&self, bundles: Vec<Bundle>) -> Engine {
        let store = self.store().await;
        self.engine_on(store, bundles).await
    }

    /// An engine over `bundles` on `store` (OAuth2 tokens kept in it, as `ferry run` does).
    pub async fn engine_on(&self, store: Arc<dyn Store>, bundles: Vec<Bundle>) -> Engine {
        let http = HttpTransport::new(self.transport.clone()).expect("transport");
        let oauth = oauth_sessions(&store, self.clock.clone());
        let prepared = bundles
            .into_iter()
            .map(|b| {
                PreparedBundle::prepare_with_oauth(b, &self.secrets, &http, &oauth)
                    .expect("prepare bundle")
            })
            .collect();
        let config = EngineConfig {
            worker_id: "test-worker".into(),
            ..EngineConfig::default()
        };
        Engine::new(store, self.clock.clone(), config, prepared)
            .await
            .expect("engine")
    }

    /// Move the clock to the next five-minute tick.
    pub fn next_tick(&self) {
        self.clock.advance(Duration::from_secs(300));
    }
}
