//! `ferry connections`: which connections are broken (credentials refused: their items
//! wait), and `ferry connections check PATH...`, which verifies every connection's
//! credentials and reachability (each connector's own cheapest authenticated call) with
//! the tokens in the store, marking connections broken or working again accordingly.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use ferry_connectors::RetryAdvice;
use ferry_connectors::transport::{HttpTransport, TransportConfig};
use serde_json::json;

use super::broken::{broken_text, broken_views};
use super::{CliError, StoreOptions, setup};
use crate::bundle::load_bundles;
use crate::clock::{Clock, SystemClock};
use crate::runtime::{PreparedBundle, SecretSource, oauth_sessions};
use crate::store::{BrokenMark, Store};

/// Arguments of `ferry connections`.
#[derive(Debug, Args)]
pub struct ConnectionsArgs {
    /// The sub-command; without one, list broken connections (exit code 1 if any).
    #[command(subcommand)]
    pub action: Option<ConnectionsAction>,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Store options (tokens refreshed by the engine, broken marks).
    #[command(flatten)]
    pub store: StoreOptions,
}

/// `ferry connections …` sub-commands.
#[derive(Debug, Subcommand)]
pub enum ConnectionsAction {
    /// List broken connections (the default).
    Status,
    /// Check the credentials of every connection of these bundles.
    Check {
        /// Bundle files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// File of `NAME=value` lines for `${secret:NAME}` references.
        #[arg(long, env = "FERRY_SECRETS_FILE")]
        secrets: Option<PathBuf>,
    },
}

/// Run it.
pub async fn execute(args: ConnectionsArgs) -> Result<ExitCode, CliError> {
    let store = setup::open_for_operator(&args.store).await?;
    match args.action.unwrap_or(ConnectionsAction::Status) {
        ConnectionsAction::Status => status(store.as_ref(), args.json).await,
        ConnectionsAction::Check { paths, secrets } => {
            check(&store, &paths, secrets.as_ref(), args.json).await
        }
    }
}

async fn status(store: &dyn Store, as_json: bool) -> Result<ExitCode, CliError> {
    let views = broken_views(store).await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&views)?);
    } else if views.is_empty() {
        println!("no connection is broken");
    } else {
        println!("{}", broken_text(&views));
    }
    Ok(if views.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One checked connection.
struct Checked {
    bundle: String,
    name: String,
    kind: String,
    result: Result<(), String>,
    /// It was marked broken and now passed.
    recovered: bool,
}

async fn check(
    store: &Arc<dyn Store>,
    paths: &[PathBuf],
    secrets: Option<&PathBuf>,
    as_json: bool,
) -> Result<ExitCode, CliError> {
    let bundles = load_bundles(paths).map_err(|d| format!("{d}"))?;
    let secrets = match secrets {
        Some(path) => SecretSource::with_file(path)?,
        None => SecretSource::from_env(),
    };
    let http = HttpTransport::new(TransportConfig::default())?;
    // The tokens the engine refreshed are used (and any it should use next are stored).
    let oauth = oauth_sessions(store, Arc::new(SystemClock));
    let mut rows = Vec::new();
    for bundle in bundles {
        let id = bundle.id.clone();
        let kinds: Vec<(String, String)> = bundle
            .connections
            .iter()
            .map(|(n, c)| (n.clone(), c.kind.clone()))
            .collect();
        let prepared = match PreparedBundle::prepare_with_oauth(bundle, &secrets, &http, &oauth) {
            Ok(prepared) => prepared,
            Err(e) => {
                for (name, kind) in kinds {
                    let result = Err(setup::error_chain(&*e));
                    rows.push(Checked {
                        bundle: id.clone(),
                        name,
                        kind,
                        result,
                        recovered: false,
                    });
                }
                continue;
            }
        };
        for (name, kind) in kinds {
            let (result, recovered) = check_one(store.as_ref(), &prepared, &name).await?;
            rows.push(Checked {
                bundle: id.clone(),
                name,
                kind,
                result,
                recovered,
            });
        }
    }
    print_checks(&rows, as_json)?;
    let failed = rows.iter().any(|r| r.result.is_err());
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Check one connection and record what it showed: a refusal marks it broken, a pass
/// clears its mark (its waiting items resume at their next retry).
async fn check_one(
    store: &dyn Store,
    prepared: &PreparedBundle,
    name: &str,
) -> Result<(Result<(), String>, bool), CliError> {
    let connector = match prepared.connector(name) {
        Ok(connector) => connector,
        Err(e) => return Ok((Err(e.to_string()), false)),
    };
    let bundle_id = &prepared.bundle.id;
    match connector.check().await {
        Ok(()) => {
            let recovered = store.clear_connection_broken(bundle_id, name).await?;
            Ok((Ok(()), recovered))
        }
        Err(e) => {
            let reason = prepared.redactor.redact(&e.to_string());
            if e.advice() == RetryAdvice::ConnectionBroken {
                let mark = BrokenMark {
                    bundle_id: bundle_id.clone(),
                    connection: name.to_string(),
                    reason: reason.clone(),
                    now: SystemClock.now().timestamp_millis(),
                };
                store.mark_connection_broken(mark).await?;
            }
            Ok((Err(reason), false))
        }
    }
}

fn print_checks(rows: &[Checked], as_json: bool) -> Result<(), CliError> {
    let failed = rows.iter().filter(|r| r.result.is_err()).count();
    if as_json {
        let list: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({"bundle": r.bundle, "connection": r.name, "kind": r.kind,
                       "ok": r.result.is_ok(), "error": r.result.as_ref().err(),
                       "recovered": r.recovered})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(["bundle", "connection", "kind", "result"]);
    for row in rows {
        let text = match &row.result {
            Ok(()) if row.recovered => "ok (was broken; its items resume)".to_string(),
            Ok(()) => "ok".to_string(),
            Err(e) => format!("FAILED: {e}"),
        };
        table.add_row(vec![
            row.bundle.clone(),
            row.name.clone(),
            row.kind.clone(),
            text,
        ]);
    }
    println!("{table}");
    println!("{} connection(s) checked, {failed} failed", rows.len());
    Ok(())
}
