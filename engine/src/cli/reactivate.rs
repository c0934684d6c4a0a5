//! `ferry bundle reactivate ID --resend 3d`: after a connection was broken (items kept
//! waiting) or a bundle was off, send again what accumulated within the window and drop
//! what is older, so a long outage does not flood the CRM with stale leads.

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{CliError, StoreOptions, setup};
use crate::clock::{Clock, SystemClock};
use crate::store::ResendRequest;

/// Arguments of `ferry bundle reactivate`.
#[derive(Debug, Args)]
pub struct ReactivateArgs {
    /// The bundle's id.
    pub bundle: String,
    /// How far back to resend (e.g. `3d`, `12h`); older undelivered items are dropped.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub resend: Duration,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Store options.
    #[command(flatten)]
    pub store: StoreOptions,
}

/// Run it.
pub async fn execute(args: ReactivateArgs) -> Result<ExitCode, CliError> {
    let store = setup::open_for_operator(&args.store).await?;
    let now = SystemClock.now().timestamp_millis();
    let since = now - args.resend.as_millis() as i64;
    let outcome = store
        .resend_window(ResendRequest {
            bundle_id: args.bundle.clone(),
            since,
            now,
        })
        .await?;
    if args.json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else {
        println!(
            "{}: {} item(s) from the last {} will be sent at the next tick; {} older item(s) dropped",
            args.bundle,
            outcome.resent,
            humantime::format_duration(args.resend),
            outcome.dropped
        );
    }
    Ok(ExitCode::SUCCESS)
}
