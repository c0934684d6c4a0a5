//! The emulated CRMs the benchmark talks to: Calltouch and retailCRM on 127.0.0.1, served
//! by their own small async runtime. Keeping them off the engine's runtime means their CPU
//! shows up on threads of their own (see [`CRM_THREAD_NAME`]), so the report can tell the
//! engine's cost from the emulators', and their handlers never compete with the engine's
//! tasks inside one scheduler, much as a remote CRM would not.

use ferry_connectors::calltouch::emulator::{CalltouchEmulator, CalltouchEmulatorConfig};
use ferry_connectors::retailcrm::emulator::{RetailCrmEmulator, RetailCrmEmulatorConfig};

use super::BenchError;

/// Thread name of the emulators' runtime (15 bytes: the most a Linux thread name keeps).
pub const CRM_THREAD_NAME: &str = "ferry-bench-crm";

/// Calltouch's site id in the emulator and the bundle.
pub const SITE_ID: &str = "12345";
/// The emulated Calltouch API token.
pub const CALLTOUCH_TOKEN: &str = "bench-calltouch-token-5c1e";
/// The emulated retailCRM API key.
pub const RETAILCRM_KEY: &str = "bench-retailcrm-key-93ad";
/// The retailCRM site (shop) code.
pub const RETAILCRM_SITE: &str = "main";

/// Both emulators and the runtime serving them.
pub struct Crms {
    /// Calltouch: the calls journal and the deals API.
    pub calltouch: CalltouchEmulator,
    /// retailCRM: customers and orders.
    pub retailcrm: RetailCrmEmulator,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Crms {
    /// Start both emulators on a runtime with `threads` worker threads. Their own rate
    /// limits stay off (the default): the benchmark measures ferry, not a throttle.
    pub async fn start(threads: usize) -> Result<Crms, BenchError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name(CRM_THREAD_NAME)
            .enable_all()
            .build()
            .map_err(|e| BenchError::Setup(format!("cannot start the emulators' runtime: {e}")))?;
        // The servers' accept loops are spawned on whichever runtime starts them.
        let started = runtime
            .spawn(async {
                let calltouch = CalltouchEmulator::start(CalltouchEmulatorConfig::new(
                    SITE_ID,
                    CALLTOUCH_TOKEN,
                ))
                .await?;
                let retailcrm = RetailCrmEmulator::start(RetailCrmEmulatorConfig::new(
                    RETAILCRM_KEY,
                    RETAILCRM_SITE,
                ))
                .await?;
                Ok::<_, std::io::Error>((calltouch, retailcrm))
            })
            .await
            .map_err(|e| BenchError::Setup(format!("the emulators did not start: {e}")))?
            .map_err(|e| BenchError::Setup(format!("cannot listen on 127.0.0.1: {e}")))?;
        let (calltouch, retailcrm) = started;
        Ok(Crms {
            calltouch,
            retailcrm,
            runtime: Some(runtime),
        })
    }

    /// Forget the requests the emulators recorded so far. They keep every request for
    /// tests to inspect; over tens of thousands of requests that log alone would dwarf
    /// the memory the engine uses.
    pub fn clear_request_logs(&self) {
        self.calltouch.log().clear();
        self.retailcrm.log().clear();
    }
}

impl Drop for Crms {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Dropping a runtime may block, which is refused inside async code; the
            // servers' shutdown signals are sent by the emulators' own drops.
            runtime.shutdown_background();
        }
    }
}
