//! An emulator's traffic made observable: every request recorded in a [`RequestLog`] and
//! answered by the next pending [`Fault`](super::Fault) of a [`FaultPlan`] when there is
//! one. [`instrument`] wraps any router this way; [`InstrumentedServer`] also serves it on
//! loopback, which is how every connector's emulator starts. Each emulator derefs to its
//! `InstrumentedServer`, so tests (and the conformance checks) reach `requests()`, `log()`
//! and `faults()` the same way on every connector.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::recording::header_pairs;
use super::{EmulatorServer, FaultPlan, RecordedRequest, RequestLog, decode_pairs};

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
        headers: header_pairs(&parts.headers),
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

/// A running emulator whose requests are recorded and can be faulted: its router wrapped
/// by [`instrument`] and served by an [`EmulatorServer`]. Dropping it stops the server.
#[derive(Debug)]
pub struct InstrumentedServer {
    server: EmulatorServer,
    log: RequestLog,
    faults: FaultPlan,
}

impl InstrumentedServer {
    /// Serve `router`, instrumented with a fresh log and fault plan, on 127.0.0.1 with an
    /// OS-chosen port.
    pub async fn start(router: axum::Router) -> std::io::Result<Self> {
        let log = RequestLog::new();
        let faults = FaultPlan::new();
        let server = EmulatorServer::start(instrument(router, log.clone(), faults.clone())).await?;
        Ok(InstrumentedServer {
            server,
            log,
            faults,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Every HTTP request received, oldest first (faulted ones too).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.all()
    }

    /// The live request log (shared with the server).
    pub fn log(&self) -> &RequestLog {
        &self.log
    }

    /// Failures to inject into the next requests.
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }
}
