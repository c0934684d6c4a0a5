//! Fault injection for emulators: a queue of failures the next requests answer with, so
//! tests can prove how a connector behaves when the real system misbehaves (5xx, rate
//! limits with `Retry-After`, a garbled or oversized body, a slow answer).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

/// One injected failure, consumed by one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status, body and extra headers instead of the real handler.
    Status {
        /// HTTP status.
        status: u16,
        /// The body sent as is.
        body: String,
        /// Extra response headers (e.g. `Retry-After`).
        headers: Vec<(String, String)>,
    },
    /// HTTP 200 with a body that starts as JSON and stops halfway.
    BrokenBody,
    /// HTTP 200 with a body of this many bytes (for response-size caps).
    HugeBody {
        /// Body length in bytes.
        bytes: usize,
    },
    /// Wait this long, then let the real handler answer.
    Delay(Duration),
}

impl Fault {
    /// A bare status with a small JSON body.
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            body: format!("{{\"error\":\"injected HTTP {status}\"}}"),
            headers: Vec::new(),
        }
    }

    /// HTTP 429 with `Retry-After: <seconds>`.
    pub fn too_many_requests(retry_after_secs: u64) -> Fault {
        Fault::status(429).with_header("retry-after", &retry_after_secs.to_string())
    }

    /// The same fault with this body (only for [`Fault::Status`]).
    pub fn with_body(self, new_body: impl Into<String>) -> Fault {
        match self {
            Fault::Status {
                status, headers, ..
            } => Fault::Status {
                status,
                body: new_body.into(),
                headers,
            },
            other => other,
        }
    }

    /// The same fault with one more header (only for [`Fault::Status`]).
    pub fn with_header(self, name: &str, value: &str) -> Fault {
        match self {
            Fault::Status {
                status,
                body,
                mut headers,
            } => {
                headers.push((name.to_string(), value.to_string()));
                Fault::Status {
                    status,
                    body,
                    headers,
                }
            }
            other => other,
        }
    }

    /// The response this fault answers with; `None` for [`Fault::Delay`] after waiting,
    /// meaning "now answer normally".
    pub async fn respond(&self) -> Option<Response> {
        match self {
            Fault::Status {
                status,
                body,
                headers,
            } => {
                let mut response = Response::new(Body::from(body.clone()));
                *response.status_mut() =
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let map = response.headers_mut();
                map.insert("content-type", HeaderValue::from_static("application/json"));
                for (name, value) in headers {
                    if let (Ok(name), Ok(value)) = (
                        HeaderName::try_from(name.as_str()),
                        HeaderValue::from_str(value),
                    ) {
                        map.insert(name, value);
                    }
                }
                Some(response)
            }
            Fault::BrokenBody => Some(json_response("{\"success\":true,\"records\":[{\"id\":")),
            Fault::HugeBody { bytes } => {
                // A valid JSON string padded to the size, so only the size is wrong.
                let padding = "x".repeat(bytes.saturating_sub(4));
                Some(json_response(&format!("[\"{padding}\"]")))
            }
            Fault::Delay(wait) => {
                tokio::time::sleep(*wait).await;
                None
            }
        }
    }
}

fn json_response(body: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

/// The failures the next requests will get, in order. Cloning shares the queue, so a test
/// keeps a handle while the emulator consumes it.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    queue: Arc<Mutex<VecDeque<Fault>>>,
}

impl FaultPlan {
    /// An empty plan: every request is answered normally.
    pub fn new() -> Self {
        FaultPlan::default()
    }

    /// The next request not yet faulted gets `fault`.
    pub fn push(&self, fault: Fault) {
        self.lock().push_back(fault);
    }

    /// The next `times` requests get `fault`.
    pub fn push_times(&self, fault: Fault, times: usize) {
        let mut queue = self.lock();
        for _ in 0..times {
            queue.push_back(fault.clone());
        }
    }

    /// Drop every pending fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many faults are still waiting for a request.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Take the fault for the request being served, if any.
    pub fn take_next(&self) -> Option<Fault> {
        self.lock().pop_front()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Fault>> {
        // A panic in a test thread must not hide the queue from the next assertion.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn faults_are_consumed_in_order() {
        let plan = FaultPlan::new();
        plan.push(Fault::status(500));
        plan.push_times(Fault::too_many_requests(3), 2);
        assert_eq!(plan.pending(), 3);
        let first = plan.take_next().unwrap().respond().await.unwrap();
        assert_eq!(first.status(), 500);
        let second = plan.take_next().unwrap().respond().await.unwrap();
        assert_eq!(second.status(), 429);
        assert_eq!(second.headers()["retry-after"], "3");
        plan.clear();
        assert!(plan.take_next().is_none());
    }

    #[tokio::test]
    async fn huge_body_has_the_requested_size() {
        let response = Fault::HugeBody { bytes: 1000 }.respond().await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body.len(), 1000);
        assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn delay_waits_then_lets_the_handler_answer() {
        let start = tokio::time::Instant::now();
        assert!(
            Fault::Delay(Duration::from_secs(5))
                .respond()
                .await
                .is_none()
        );
        assert!(start.elapsed() >= Duration::from_secs(5));
    }
}
