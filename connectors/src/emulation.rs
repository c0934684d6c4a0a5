//! Serving an emulator on loopback. Each connector's `emulator` module builds an axum
//! router that speaks its API's real wire format; this module runs such a router on
//! 127.0.0.1 with an OS-chosen port and stops it when the handle is dropped.
//!
//! Shared emulator building blocks live in submodules: [`recording`] (the request log tests
//! assert wire formats from), [`faults`] (failures injected into the next requests) and
//! [`rate_window`] (a vendor's rate limit). [`instrumented`] wires the first two around any
//! emulator router and serves it: what every connector's emulator starts with.

pub mod faults;
pub mod instrumented;
pub mod rate_window;
pub mod recording;

use std::net::SocketAddr;

use tokio::sync::oneshot;

pub use faults::{Fault, FaultPlan};
pub use instrumented::{InstrumentedServer, instrument};
pub use rate_window::{EmulatedRateLimit, RateWindow};
pub use recording::{RecordedRequest, RequestLog, decode_pairs};

/// A running emulator server.
#[derive(Debug)]
pub struct EmulatorServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl EmulatorServer {
    /// Serve `router` on 127.0.0.1:0.
    pub async fn start(router: axum::Router) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(EmulatorServer {
            addr,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for EmulatorServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
