//! Where the emulated CRMs run during a benchmark: in a process of their own (the
//! default), so the memory and CPU the report gives for ferry are ferry's alone, or in the
//! benchmark's own process (`--crms-in-process`, and the unit test, which cannot start a
//! second `ferry`).
//!
//! The CRM process is this same binary started as `ferry bench --serve-crms` with the
//! workload's shape and the run's `now`. It generates the same calls the benchmark expects
//! (generation is deterministic), seeds its emulators, prints one JSON line with their
//! URLs, empties their request logs every 200 ms, and answers `state` on its stdin with
//! one JSON line of everything the CRMs hold. It exits when its stdin closes.

use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferry_connectors::calltouch::emulator::DealRecord;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use super::BenchError;
use super::crms::Crms;
use super::metrics::{stat_cpu_seconds, status_mib};
use super::workload::{Workload, WorkloadShape};

/// How often the emulators' request logs are emptied.
pub const LOG_CLEAR_INTERVAL: Duration = Duration::from_millis(200);

/// Where the emulated CRMs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrmPlacement {
    /// A child process: the report's memory and engine CPU are ferry's alone.
    OwnProcess,
    /// This process: its peak RSS includes the CRMs' data.
    InProcess,
}

/// What the emulated CRMs hold at the end of a run.
#[derive(Debug, Clone, Default)]
pub struct CrmState {
    /// retailCRM customers.
    pub customers: Vec<Value>,
    /// retailCRM orders.
    pub orders: Vec<Value>,
    /// Calltouch deals.
    pub deals: Vec<DealRecord>,
}

/// The running emulated CRMs, wherever they are.
pub enum CrmHost {
    /// In this process.
    InProcess(Crms),
    /// In a child process.
    Process(CrmProcess),
}

impl CrmHost {
    /// Start the CRMs and seed them with `workload`'s calls (taken out of it).
    pub async fn start(
        placement: CrmPlacement,
        shape: &WorkloadShape,
        now: DateTime<Utc>,
        threads: usize,
        workload: &mut Workload,
    ) -> Result<CrmHost, BenchError> {
        // The calls live in the emulator; a copy kept here would only inflate the RSS.
        let calls = std::mem::take(&mut workload.calls);
        match placement {
            CrmPlacement::InProcess => {
                let crms = Crms::start(threads).await?;
                for call in calls {
                    crms.calltouch.add_call(call);
                }
                Ok(CrmHost::InProcess(crms))
            }
            CrmPlacement::OwnProcess => {
                drop(calls);
                Ok(CrmHost::Process(
                    CrmProcess::spawn(shape, now, threads).await?,
                ))
            }
        }
    }

    /// The Calltouch emulator's base URL.
    pub fn calltouch_url(&self) -> String {
        match self {
            CrmHost::InProcess(crms) => crms.calltouch.base_url(),
            CrmHost::Process(process) => process.calltouch_url.clone(),
        }
    }

    /// The retailCRM emulator's base URL.
    pub fn retailcrm_url(&self) -> String {
        match self {
            CrmHost::InProcess(crms) => crms.retailcrm.base_url(),
            CrmHost::Process(process) => process.retailcrm_url.clone(),
        }
    }

    /// Empty the emulators' request logs (a CRM process does it on its own).
    pub fn clear_request_logs(&self) {
        if let CrmHost::InProcess(crms) = self {
            crms.clear_request_logs();
        }
    }

    /// CPU seconds the CRM process used so far; `None` when the CRMs run in this process
    /// (their threads are counted there) or without `/proc`.
    pub fn process_cpu_s(&self) -> Option<f64> {
        let CrmHost::Process(process) = self else {
            return None;
        };
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", process.pid?)).ok()?;
        stat_cpu_seconds(&stat)
    }

    /// Peak resident memory of the CRM process, MiB.
    pub fn process_peak_rss_mib(&self) -> Option<f64> {
        let CrmHost::Process(process) = self else {
            return None;
        };
        let status = std::fs::read_to_string(format!("/proc/{}/status", process.pid?)).ok()?;
        status_mib(&status, "VmHWM")
    }

    /// Everything the CRMs hold now.
    pub async fn state(&mut self) -> Result<CrmState, BenchError> {
        match self {
            CrmHost::InProcess(crms) => Ok(CrmState {
                customers: crms.retailcrm.customers(),
                orders: crms.retailcrm.orders(),
                deals: crms.calltouch.deals(),
            }),
            CrmHost::Process(process) => process.state().await,
        }
    }
}

/// The emulated CRMs in a child process.
pub struct CrmProcess {
    child: Child,
    pid: Option<u32>,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    calltouch_url: String,
    retailcrm_url: String,
}

fn setup(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Setup(format!("the emulated CRMs' process: {what}: {e}"))
}

impl CrmProcess {
    /// Start `ferry bench --serve-crms` and wait until its emulators listen.
    async fn spawn(
        shape: &WorkloadShape,
        now: DateTime<Utc>,
        threads: usize,
    ) -> Result<CrmProcess, BenchError> {
        let exe = std::env::current_exe().map_err(|e| setup("cannot find this program", e))?;
        let mut child = Command::new(exe)
            .args(["bench", "--serve-crms"])
            .args(["--calls", &shape.calls.to_string()])
            .args(["--repeat-callers", &shape.repeat_caller_percent.to_string()])
            .args(["--complete", &shape.complete_percent.to_string()])
            .args(["--seed", &shape.seed.to_string()])
            .args(["--crm-threads", &threads.to_string()])
            .args(["--now-ms", &now.timestamp_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| setup("cannot start", e))?;
        let pid = child.id();
        let stdin = child.stdin.take().ok_or_else(|| setup("stdin", "absent"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| setup("stdout", "absent"))?;
        let mut stdout = BufReader::new(stdout);
        let ready = read_line(&mut stdout).await?;
        let url = |name: &str| {
            ready[name]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| setup("its first line has no URL", &ready))
        };
        Ok(CrmProcess {
            pid,
            calltouch_url: url("calltouch")?,
            retailcrm_url: url("retailcrm")?,
            child,
            stdin,
            stdout,
        })
    }

    async fn state(&mut self) -> Result<CrmState, BenchError> {
        self.stdin
            .write_all(b"state\n")
            .await
            .map_err(|e| setup("cannot ask for the state", e))?;
        self.stdin
            .flush()
            .await
            .map_err(|e| setup("cannot ask for the state", e))?;
        let mut state = read_line(&mut self.stdout).await?;
        let list = |value: &mut Value, name: &str| match value[name].take() {
            Value::Array(items) => items,
            _ => Vec::new(),
        };
        let deals = list(&mut state, "deals")
            .into_iter()
            .map(deal_from_json)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| setup("a deal in its state is malformed", ""))?;
        Ok(CrmState {
            customers: list(&mut state, "customers"),
            orders: list(&mut state, "orders"),
            deals,
        })
    }
}

impl Drop for CrmProcess {
    fn drop(&mut self) {
        // Closing stdin asks it to exit; `kill_on_drop` makes sure it does.
        let _ = self.child.start_kill();
    }
}

async fn read_line(stdout: &mut BufReader<ChildStdout>) -> Result<Value, BenchError> {
    let mut line = String::new();
    let read = stdout
        .read_line(&mut line)
        .await
        .map_err(|e| setup("cannot read its answer", e))?;
    if read == 0 {
        return Err(setup("it exited", "see its messages above"));
    }
    serde_json::from_str(&line).map_err(|e| setup("its answer is not JSON", e))
}

fn deal_to_json(deal: DealRecord) -> Value {
    json!({"orderNumber": deal.order_number, "orderId": deal.order_id, "crm": deal.crm,
        "created": deal.created, "updates": deal.updates, "current": deal.current})
}

fn deal_from_json(mut deal: Value) -> Option<DealRecord> {
    Some(DealRecord {
        order_number: deal["orderNumber"].as_str()?.to_string(),
        order_id: deal["orderId"].as_u64()?,
        crm: deal["crm"].as_str().map(str::to_string),
        created: deal["created"].take(),
        updates: match deal["updates"].take() {
            Value::Array(updates) => updates,
            _ => Vec::new(),
        },
        current: deal["current"].take(),
    })
}

/// `ferry bench --serve-crms`: the child side. Runs until stdin closes.
pub async fn serve_crms(
    shape: &WorkloadShape,
    now: DateTime<Utc>,
    threads: usize,
) -> Result<(), BenchError> {
    let workload = Workload::generate(shape, now);
    let crms = Crms::start(threads).await?;
    for call in workload.calls {
        crms.calltouch.add_call(call);
    }
    let mut stdout = tokio::io::stdout();
    let ready =
        json!({"calltouch": crms.calltouch.base_url(), "retailcrm": crms.retailcrm.base_url()});
    write_line(&mut stdout, &ready).await?;
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut clear_logs = tokio::time::interval(LOG_CLEAR_INTERVAL);
    loop {
        tokio::select! {
            line = stdin.next_line() => match line {
                Ok(Some(command)) if command.trim() == "state" => {
                    let state = json!({
                        "customers": crms.retailcrm.customers(),
                        "orders": crms.retailcrm.orders(),
                        "deals": crms.calltouch.deals().into_iter().map(deal_to_json).collect::<Vec<_>>(),
                    });
                    write_line(&mut stdout, &state).await?;
                }
                Ok(Some(other)) => eprintln!("ferry bench --serve-crms: unknown command {other:?}"),
                Ok(None) | Err(_) => return Ok(()),
            },
            _ = clear_logs.tick() => crms.clear_request_logs(),
        }
    }
}

async fn write_line(stdout: &mut tokio::io::Stdout, value: &Value) -> Result<(), BenchError> {
    let mut text = value.to_string();
    text.push('\n');
    stdout
        .write_all(text.as_bytes())
        .await
        .map_err(|e| setup("cannot answer", e))?;
    stdout.flush().await.map_err(|e| setup("cannot answer", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deals_cross_the_pipe_unchanged() {
        let deal = DealRecord {
            order_number: "17".into(),
            order_id: 3,
            crm: Some("retailcrm".into()),
            created: json!({"orderNumber": "17", "funnel": "google"}),
            updates: vec![json!({"status": "PAID"})],
            current: json!({"orderNumber": "17", "funnel": "google", "status": "PAID"}),
        };
        let text = deal_to_json(deal.clone()).to_string();
        let back = deal_from_json(serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, deal);
        assert!(deal_from_json(json!({"orderId": 1})).is_none());
    }
}
