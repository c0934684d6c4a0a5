//! `ferry run [--once] PATH...`: load, validate and prepare bundles, migrate the store,
//! then run one tick of everything or the scheduler until SIGINT/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ferry_connectors::transport::{HttpTransport, TransportConfig};

use super::tables::tick_table;
use super::{CliError, StoreOptions, setup};
use crate::bundle::load_bundles;
use crate::clock::SystemClock;
use crate::runtime::webhooks::{DEFAULT_BODY_LIMIT, DEFAULT_LISTEN, ServerConfig, WebhookServer};
use crate::runtime::{Engine, EngineConfig, PreparedBundle, SecretSource, oauth_sessions};
use crate::store::{PostgresRateLimiter, StoreLocation};

/// Arguments of `ferry run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Bundle files or directories.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Poll every enabled bundle once, process what is due, print a summary and exit.
    #[arg(long)]
    pub once: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// File of `NAME=value` lines for `${secret:NAME}` references.
    #[arg(long, env = "FERRY_SECRETS_FILE")]
    pub secrets: Option<PathBuf>,
    /// Items processed at once across all bundles.
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: usize,
    /// Seconds to let in-flight items finish their current step on shutdown.
    #[arg(long, default_value_t = 30)]
    pub grace: u64,
    /// Address for webhook deliveries (`POST /hooks/<bundle id>`). Default: 127.0.0.1:8080
    /// when an enabled bundle's trigger is delivered by webhook, otherwise no server.
    #[arg(long, value_name = "ADDR", env = "FERRY_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Largest webhook body accepted, in bytes (larger ones are answered 413).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_BODY_LIMIT)]
    pub webhook_body_limit: usize,
    /// Store options.
    #[command(flatten)]
    pub store: StoreOptions,
}

/// Run it.
pub async fn execute(args: RunArgs) -> Result<ExitCode, CliError> {
    let bundles = match load_bundles(&args.paths) {
        Ok(b) => b,
        Err(diagnostics) => {
            for d in &diagnostics.0 {
                eprintln!("{d}");
            }
            eprintln!("{} problem(s) found; nothing was run", diagnostics.0.len());
            return Ok(ExitCode::FAILURE);
        }
    };
    let secrets = match &args.secrets {
        Some(path) => SecretSource::with_file(path)?,
        None => SecretSource::from_env(),
    };
    let mut http = HttpTransport::new(TransportConfig::default())?;
    // Workers sharing a PostgreSQL database also share each account's rate limit.
    if let StoreLocation::Postgres(url) = setup::store_location(&args.store) {
        http = http.with_shared_limiter(Arc::new(PostgresRateLimiter::connect(&url).await?));
    }
    // Opened first: connectors keep refreshed OAuth2 tokens in it.
    let store = setup::open(&args.store).await?;
    let oauth = oauth_sessions(&store, Arc::new(SystemClock));
    let mut prepared = Vec::new();
    let mut broken = 0usize;
    for bundle in bundles {
        match PreparedBundle::prepare_with_oauth(bundle, &secrets, &http, &oauth) {
            Ok(p) => prepared.push(p),
            Err(e) => {
                // One bundle's missing secret must not stop the others.
                broken += 1;
                eprintln!(
                    "error: {}; this bundle will not run",
                    setup::error_chain(&e)
                );
            }
        }
    }
    if prepared.is_empty() {
        return Err("no bundle could be started".into());
    }
    let config = EngineConfig {
        max_in_flight: args.max_in_flight.max(1),
        shutdown_grace: Duration::from_secs(args.grace),
        ..EngineConfig::default()
    };
    let engine = Engine::new(store, Arc::new(SystemClock), config, prepared).await?;

    if args.once {
        let progress = LiveCounts::start(engine.store().clone());
        let report = engine.tick().await;
        progress.finish();
        let report = report?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!("{}", tick_table(engine.store().as_ref(), &report).await?);
        }
        let failed = report.bundles.iter().any(|b| b.poll.error.is_some());
        return Ok(if failed || broken > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }

    let webhooks = engine.webhook_intake();
    let server = if args.listen.is_some() || !webhooks.is_empty() {
        let listen = args.listen.unwrap_or(DEFAULT_LISTEN);
        let config = ServerConfig {
            listen,
            body_limit: args.webhook_body_limit,
        };
        let server = WebhookServer::bind(webhooks.clone(), config)
            .await
            .map_err(|e| format!("cannot listen for webhooks on {listen}: {e}"))?;
        let addr = server.local_addr()?;
        for id in webhooks.bundle_ids() {
            eprintln!("bundle `{id}` receives webhooks at http://{addr}/hooks/{id}");
        }
        Some(tokio::spawn(server.run()))
    } else {
        None
    };
    eprintln!("ferry is running; Ctrl-C or SIGTERM stops it after in-flight steps finish");
    engine.run_until(shutdown_signal()).await?;
    if let Some(server) = server {
        // The server stopped accepting with the engine; let answers in progress go out.
        let _ = tokio::time::timeout(Duration::from_secs(args.grace), server).await;
    }
    eprintln!("stopped");
    Ok(if broken > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A spinner on stderr with live item counts while a tick runs, shown only when stderr is
/// a terminal (logs and pipes get the summary alone).
struct LiveCounts {
    bar: Option<indicatif::ProgressBar>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl LiveCounts {
    fn start(store: Arc<dyn crate::store::Store>) -> LiveCounts {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return LiveCounts {
                bar: None,
                task: None,
            };
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        bar.set_message("polling…");
        let shown = bar.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if let Ok(c) = store.item_counts(None).await {
                    shown.set_message(format!(
                        "in progress {} · succeeded {} · filtered {} · waiting {} · failed {} · held {}",
                        c.in_progress, c.succeeded, c.filtered, c.waiting, c.failed, c.held
                    ));
                }
            }
        });
        LiveCounts {
            bar: Some(bar),
            task: Some(task),
        }
    }

    fn finish(self) {
        if let Some(task) = self.task {
            task.abort();
        }
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
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
        _ = ctrl_c => {}
        _ = term => {}
    }
}
