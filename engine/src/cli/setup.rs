//! Shared command plumbing: logging, opening the store, printing error chains.

use std::sync::Arc;

use tracing_subscriber::EnvFilter;

use super::{CliError, StoreOptions};
use crate::store::{Store, StoreLocation, open_store, open_store_for_operator};

/// Logs go to stderr; `RUST_LOG` overrides the default `info` for ferry.
pub fn init_tracing() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn,ferry=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// An error and all its causes, `: `-separated.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Where the store lives for these options.
pub fn store_location(options: &StoreOptions) -> StoreLocation {
    match &options.database {
        Some(url) => StoreLocation::Postgres(url.clone()),
        None => StoreLocation::Sqlite(options.data_dir.join("ferry.db")),
    }
}

/// Open (and migrate) the store for running bundles: on SQLite this takes the engine
/// lock, so a second engine on the same file is refused.
pub async fn open(options: &StoreOptions) -> Result<Arc<dyn Store>, CliError> {
    Ok(open_store(&store_location(options)).await?)
}

/// Open the store for an operator command that may run beside an engine.
pub async fn open_for_operator(options: &StoreOptions) -> Result<Arc<dyn Store>, CliError> {
    Ok(open_store_for_operator(&store_location(options)).await?)
}
