//! Serving an emulator on loopback. Each connector's `emulator` module builds an axum
//! router that speaks its API's real wire format; this module runs such a router on
//! 127.0.0.1 with an OS-chosen port and stops it when the handle is dropped.
//!
//! Shared emulator building blocks live in submodules: [`recording`] (the request log tests
//! assert wire formats from), [`faults`] (failures injected into the next requests) and
//! [`rate_window`] (a vendor's rate limit). [`instrument`] wires the first two around any
//! emulator router.

pub mod faults;
pub mod rate_window;
pub mod recording;

use std::net::SocketAddr;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

pub use faults::{Fault, FaultPlan};
pub use rate_window::{EmulatedRateLimit, RateWindow};
pub use recording::{RecordedRequest, RequestLog, decode_pairs};

/// Largest request body an emulator buffers (bigger bodies are answered 413).
const MAX_EMULATED_REQUEST_BYTES: usize = 8 * 1024 * 1024;

/// Wrap an emulator's router so that every request is recorded in `log` (faulted ones
/// too, so tests can count attempts) and the next pending fault of `faults`, if any, answers
/// instead of the real handler.
pub fn instrument(router: axum::Router, log: RequestLog, faults: FaultPlan) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let log = log.clone();
            let faults = faults.clone();
            async move { record_then_fault(request, next, log, faults).await }
        },
    ))
}

async fn record_then_fault(
    request: Request,
    next: Next,
    log: RequestLog,
    faults: FaultPlan,
) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_EMULATED_REQUEST_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            )
                .into_response();
        }
    };
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    log.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: decode_pairs(&raw_query),
        raw_query,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.clone(),
    });
    if let Some(fault) = faults.take_next()
        && let Some(response) = fault.respond().await
    {
        return response;
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

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
