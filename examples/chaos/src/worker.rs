//! The worker under test: the real `ferry` binary as a child process on the SQLite data
//! dir, `ferry run --once` started again and again, killed with SIGKILL at chosen moments;
//! and the operator commands (`ferry runs …`) run between workers.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::Command;

use crate::world::World;

/// Where the `ferry` binary is: `FERRY_BIN` if set; otherwise `ferry` next to the running
/// executable (or one level up, for test executables in `target/<profile>/deps/`). Under
/// `cargo test`/`cargo run` (`CARGO` is set) it is built first, so a test never runs a stale
/// binary; otherwise it is built only when missing.
pub fn locate_ferry() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("FERRY_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let name = format!("ferry{}", std::env::consts::EXE_SUFFIX);
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .collect();
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "-p", "ferry", "--bin", "ferry"])
        .status()
        .map_err(|e| format!("cannot run cargo to build ferry: {e}"))?;
    if !status.success() {
        return Err("`cargo build -p ferry --bin ferry` failed".into());
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .ok_or_else(|| format!("built ferry, but it is not next to {}", exe.display()))
}

/// How one worker process ended.
#[derive(Debug)]
pub enum WorkerExit {
    /// Killed with SIGKILL after this long.
    Killed(Duration),
    /// Exited by itself; the tick report it printed (`ferry run --once --json`).
    Finished(Value),
}

/// Runs `ferry` against one world's files.
pub struct Ferry {
    bin: PathBuf,
    bundle: PathBuf,
    secrets: PathBuf,
    data_dir: PathBuf,
    log: PathBuf,
}

impl Ferry {
    /// The binary at `bin` for `world`; worker stderr is appended to `log`.
    pub fn new(bin: PathBuf, world: &World, log: &Path) -> Ferry {
        Ferry {
            bin,
            bundle: world.bundle_path.clone(),
            secrets: world.secrets_path.clone(),
            data_dir: world.data_dir.clone(),
            log: log.to_owned(),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .env("RUST_LOG", "warn,ferry=info")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Start `ferry run --once` and kill it with SIGKILL when `kill_when` resolves (if it
    /// is still running by then).
    pub async fn run_worker(
        &self,
        kill_when: Option<impl Future<Output = ()>>,
    ) -> Result<WorkerExit, String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("{}: {e}", self.log.display()))?;
        let mut command = self.command();
        command
            .args(["run", "--once", "--json", "--max-in-flight", "32"])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--secrets")
            .arg(&self.secrets)
            .arg(&self.bundle)
            .stdout(Stdio::piped())
            .stderr(log);
        let mut child = spawn_retrying_busy(&mut command)
            .map_err(|e| format!("cannot start {}: {e}", self.bin.display()))?;
        let started = Instant::now();
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let read_stdout = async {
            let mut text = String::new();
            tokio::io::AsyncReadExt::read_to_string(&mut stdout, &mut text)
                .await
                .map(|_| text)
        };
        let deadline = async {
            match kill_when {
                Some(moment) => moment.await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            text = read_stdout => {
                let status = child.wait().await.map_err(|e| e.to_string())?;
                let text = text.map_err(|e| e.to_string())?;
                if !status.success() {
                    return Err(format!("ferry run --once exited with {status}; see {}", self.log.display()));
                }
                let report = serde_json::from_str(&text)
                    .map_err(|e| format!("ferry run --once printed no JSON report ({e}): {text}"))?;
                Ok(WorkerExit::Finished(report))
            }
            () = deadline => {
                // tokio's start_kill is SIGKILL on Unix: no handler, no cleanup, no release
                // of claims — the same as `kill -9`.
                child.start_kill().map_err(|e| format!("kill: {e}"))?;
                child.wait().await.map_err(|e| e.to_string())?;
                Ok(WorkerExit::Killed(started.elapsed()))
            }
        }
    }

    /// `ferry runs <args> --json`, parsed.
    pub async fn runs_json(&self, args: &[&str]) -> Result<Value, String> {
        let text = self.runs(args, true).await?;
        serde_json::from_str(&text).map_err(|e| format!("ferry runs {args:?}: {e}: {text}"))
    }

    /// `ferry runs <args>` (with `--json` when asked); its standard output.
    pub async fn runs(&self, args: &[&str], json: bool) -> Result<String, String> {
        let mut command = self.command();
        command
            .arg("runs")
            .args(args)
            .arg("--data-dir")
            .arg(&self.data_dir);
        if json {
            command.arg("--json");
        }
        let output = command.output().await.map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(format!(
                "ferry runs {args:?} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

/// Start `command`, retrying briefly on `ETXTBSY`: the binary was just copied, and a
/// process forked meanwhile by another thread can still hold the copy's write handle for
/// an instant, which makes `exec` fail with "Text file busy".
fn spawn_retrying_busy(
    command: &mut tokio::process::Command,
) -> std::io::Result<tokio::process::Child> {
    const TEXT_FILE_BUSY: i32 = 26;
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(TEXT_FILE_BUSY) && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}
