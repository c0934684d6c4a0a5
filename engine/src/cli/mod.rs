//! The `ferry` command line: argument parsing and one module per command.
//!
//! Every command prints something a person can read by default and JSON with `--json`;
//! errors print their whole cause chain and exit non-zero.

mod bench;
mod broken;
mod bundle_new;
mod connections;
mod demo;
mod history;
mod reactivate;
mod run;
mod setup;
mod tables;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// ferry: bundles of CRM integrations, polled on a schedule, run end to end.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that use the store.
#[derive(Debug, Clone, Args)]
pub struct StoreOptions {
    /// Directory for the embedded SQLite database (`ferry.db`).
    #[arg(long, env = "FERRY_DATA_DIR", default_value = ".ferry", global = true)]
    pub data_dir: PathBuf,
    /// A PostgreSQL URL (`postgres://…`) to share state between several workers instead
    /// of the embedded SQLite file.
    #[arg(long, env = "FERRY_DATABASE_URL", global = true)]
    pub database: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check bundle files and report every problem with file, line, column and field.
    Validate {
        /// Bundle files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print problems as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run bundles on their schedules (or one tick of all with --once).
    Run(run::RunArgs),
    /// Show run history.
    Runs(history::RunsArgs),
    /// Run the Calltouch -> retailCRM template against emulated CRMs started in-process
    /// and show what was created.
    Demo(demo::DemoArgs),
    /// Benchmark the engine end to end against emulated CRMs and verify the result.
    Bench(bench::BenchArgs),
    /// Broken connections (credentials refused; their items wait), and checking
    /// connections' credentials before enabling bundles or after fixing them.
    Connections(connections::ConnectionsArgs),
    /// Work with bundle files.
    Bundle {
        /// The bundle command.
        #[command(subcommand)]
        command: BundleCommand,
    },
}

/// `ferry bundle …`
#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Copy a template from bundles/ into a new bundle file with a fresh id.
    New(bundle_new::NewArgs),
    /// Send again what accumulated within a window (e.g. `--resend 3d`) and drop older
    /// undelivered items.
    Reactivate(reactivate::ReactivateArgs),
}

/// Parse the command line and run it.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    setup::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Validate { paths, json } => validate::execute(&paths, json),
            Command::Run(args) => run::execute(args).await,
            Command::Runs(args) => history::execute(args).await,
            Command::Bench(args) => bench::execute(args).await,
            Command::Demo(args) => demo::execute(args).await,
            Command::Connections(args) => connections::execute(args).await,
            Command::Bundle {
                command: BundleCommand::New(args),
            } => bundle_new::execute(args),
            Command::Bundle {
                command: BundleCommand::Reactivate(args),
            } => reactivate::execute(args).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", setup::error_chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// The error type commands return: anything with a cause chain.
pub type CliError = Box<dyn std::error::Error + Send + Sync>;
