//! `ferry connections check PATH...`: verify every connection's credentials and
//! reachability before a bundle is enabled (each connector's own cheapest authenticated
//! call), and report each result on one line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use ferry_connectors::transport::{HttpTransport, TransportConfig};
use serde_json::json;

use super::{CliError, setup};
use crate::bundle::load_bundles;
use crate::runtime::{PreparedBundle, SecretSource};

/// Arguments of `ferry connections`.
#[derive(Debug, Args)]
pub struct ConnectionsArgs {
    /// The sub-command.
    #[command(subcommand)]
    pub action: ConnectionsAction,
}

/// `ferry connections …` sub-commands.
#[derive(Debug, Subcommand)]
pub enum ConnectionsAction {
    /// Check the credentials of every connection of these bundles.
    Check {
        /// Bundle files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// File of `NAME=value` lines for `${secret:NAME}` references.
        #[arg(long, env = "FERRY_SECRETS_FILE")]
        secrets: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Run it.
pub async fn execute(args: ConnectionsArgs) -> Result<ExitCode, CliError> {
    let ConnectionsAction::Check {
        paths,
        secrets,
        json: as_json,
    } = args.action;
    let bundles = load_bundles(&paths).map_err(|d| format!("{d}"))?;
    let secrets = match &secrets {
        Some(path) => SecretSource::with_file(path)?,
        None => SecretSource::from_env(),
    };
    let http = HttpTransport::new(TransportConfig::default())?;
    let mut rows = Vec::new();
    for bundle in bundles {
        let id = bundle.id.clone();
        let kinds: Vec<(String, String)> = bundle
            .connections
            .iter()
            .map(|(n, c)| (n.clone(), c.kind.clone()))
            .collect();
        match PreparedBundle::prepare(bundle, &secrets, &http) {
            Err(e) => {
                for (name, kind) in kinds {
                    rows.push((id.clone(), name, kind, Err(setup::error_chain(&*e))));
                }
            }
            Ok(prepared) => {
                for (name, kind) in kinds {
                    let result = match prepared.connector(&name) {
                        Ok(connector) => connector
                            .check()
                            .await
                            .map_err(|e| prepared.redactor.redact(&e.to_string())),
                        Err(e) => Err(e.to_string()),
                    };
                    rows.push((id.clone(), name, kind, result));
                }
            }
        }
    }
    let failed = rows.iter().filter(|r| r.3.is_err()).count();
    if as_json {
        let list: Vec<_> = rows
            .iter()
            .map(|(b, n, k, r)| json!({"bundle": b, "connection": n, "kind": k, "ok": r.is_ok(), "error": r.as_ref().err()}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        table.set_header(["bundle", "connection", "kind", "result"]);
        for (bundle, name, kind, result) in &rows {
            let text = match result {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("FAILED: {e}"),
            };
            table.add_row(vec![bundle.clone(), name.clone(), kind.clone(), text]);
        }
        println!("{table}");
        println!("{} connection(s) checked, {failed} failed", rows.len());
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
