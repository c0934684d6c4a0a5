//! `ferry runs`: run history, one run in detail, and operator actions on held items.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::broken::{broken_text, broken_views};
use super::tables::{run_detail_table, runs_table};
use super::{CliError, StoreOptions, setup};
use crate::clock::{Clock, SystemClock};
use crate::store::{ItemTarget, RunQuery};

/// Arguments of `ferry runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// A sub-command; without one, list recent runs.
    #[command(subcommand)]
    pub action: Option<RunsAction>,
    /// Only runs of this bundle id.
    #[arg(long)]
    pub bundle: Option<String>,
    /// How many runs to list.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    /// Print JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Store options.
    #[command(flatten)]
    pub store: StoreOptions,
}

/// `ferry runs …` sub-commands.
#[derive(Debug, Subcommand)]
pub enum RunsAction {
    /// One run: its items and each item's steps with status, attempts and error.
    Show {
        /// Run id.
        id: i64,
    },
    /// Make held or failed items due again (an uncertain step is then sent again).
    Retry(TargetArgs),
    /// Drop held items for good.
    Discard(TargetArgs),
}

/// Which items an operator action addresses.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Every held/failed item of this run.
    #[arg(long, conflicts_with = "item", required_unless_present = "item")]
    pub run: Option<i64>,
    /// One item.
    #[arg(long)]
    pub item: Option<i64>,
}

impl TargetArgs {
    fn target(&self) -> ItemTarget {
        match (self.run, self.item) {
            (_, Some(item)) => ItemTarget::Item(item),
            (Some(run), None) => ItemTarget::Run(run),
            (None, None) => unreachable!("clap requires one of --run/--item"),
        }
    }
}

/// Run it.
pub async fn execute(args: RunsArgs) -> Result<ExitCode, CliError> {
    let store = setup::open_for_operator(&args.store).await?;
    let now = SystemClock.now().timestamp_millis();
    match &args.action {
        None => {
            let runs = store
                .list_runs(RunQuery {
                    bundle_id: args.bundle.clone(),
                    limit: args.limit,
                })
                .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&runs)?);
            } else {
                // Broken connections first: they are why items are not moving.
                let broken = broken_text(&broken_views(store.as_ref()).await?);
                if !broken.is_empty() {
                    println!("{broken}\n");
                }
                if runs.is_empty() {
                    println!("no runs yet");
                } else {
                    println!("{}", runs_table(&runs));
                }
            }
        }
        Some(RunsAction::Show { id }) => match store.run_detail(*id).await? {
            Some(detail) if args.json => println!("{}", serde_json::to_string_pretty(&detail)?),
            Some(detail) => println!("{}", run_detail_table(&detail)),
            None => return Err(format!("run {id} not found").into()),
        },
        Some(RunsAction::Retry(target)) => {
            let n = store.retry_items(target.target(), now).await?;
            println!("{n} item(s) will be retried at the next tick");
        }
        Some(RunsAction::Discard(target)) => {
            let n = store.discard_items(target.target(), now).await?;
            println!("{n} item(s) discarded");
        }
    }
    Ok(ExitCode::SUCCESS)
}
