//! The one outbound HTTP path. Every connector sends through a [`ConnectionClient`], which
//! gives each request explicit connect and total timeouts, caps the response size, waits
//! for the target account's rate limit and concurrency cap, and turns statuses into
//! classified [`ConnectorError`]s with secrets already scrubbed from their text.
//!
//! Retrying is not done here: the engine owns retries (persisted attempt counts and due
//! times survive a restart). The transport only reports what happened, including how long
//! the target asked us to wait, and remembers that wait for the account so the next
//! request to it, from any item, does not come sooner.

mod breaker;
mod limits;
mod response;
mod shared;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

pub use breaker::{BreakerConfig, CircuitBreaker};
pub use limits::{AccountLimiter, RateLimit};
pub use response::{HttpResponse, parse_retry_after};
pub use shared::SharedRateLimiter;

use crate::error::ConnectorError;
use crate::secret::Redactor;
use shared::SharedAccount;

/// Timeouts and caps for every outbound request.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Time allowed to open a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub request_timeout: Duration,
    /// Largest response body accepted; a larger one is an error, not an out-of-memory.
    pub max_response_bytes: usize,
    /// How much of an error body is kept in messages and run history.
    pub max_error_body_chars: usize,
    /// When a target account's circuit breaker opens, and for how long.
    pub breaker: BreakerConfig,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 16 * 1024 * 1024,
            max_error_body_chars: 2_000,
            breaker: BreakerConfig::default(),
        }
    }
}

/// The shared transport: one connection pool and one limiter per target account.
#[derive(Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    config: Arc<TransportConfig>,
    limiters: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<AccountLimiter>>>>,
    breakers: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<CircuitBreaker>>>>,
    rate_limit_override: Option<RateLimit>,
    shared_limiter: Option<Arc<dyn SharedRateLimiter>>,
}

impl HttpTransport {
    /// A transport with these limits.
    pub fn new(config: TransportConfig) -> Result<Self, ConnectorError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectorError::Config(format!("cannot build HTTP client: {e}")))?;
        Ok(HttpTransport {
            client,
            config: Arc::new(config),
            limiters: Default::default(),
            breakers: Default::default(),
            rate_limit_override: None,
            shared_limiter: None,
        })
    }

    /// The limits in force.
    pub fn config(&self) -> &TransportConfig {
        &self.config
    }

    /// This transport, but every connection built from it uses `limit` instead of its
    /// connector's default (a bundle's `rate_limit:` on a connection).
    pub fn with_rate_limit_override(&self, limit: Option<RateLimit>) -> HttpTransport {
        HttpTransport {
            rate_limit_override: limit,
            ..self.clone()
        }
    }

    /// This transport, but every rate-limited connection built from it also reserves each
    /// request's slot in `limiter`, whose schedule other workers share, so that several
    /// workers together stay under an account's limit. The in-process limiter still applies.
    pub fn with_shared_limiter(&self, limiter: Arc<dyn SharedRateLimiter>) -> HttpTransport {
        HttpTransport {
            shared_limiter: Some(limiter),
            ..self.clone()
        }
    }

    /// A client for one connection. Connections that share `account_key` (the same CRM
    /// account reached from several bundles) share one limiter, so together they stay
    /// under the account's limit.
    pub fn connection(&self, options: ConnectionOptions) -> ConnectionClient {
        let limit = self.rate_limit_override.or(options.rate_limit);
        let shared = limit
            .zip(self.shared_limiter.clone())
            .map(|(limit, limiter)| {
                SharedAccount::new(limiter, options.account_key.clone(), limit)
            });
        // Every account gets a limiter, even without a known rate limit, so that a 429's
        // Retry-After holds back every request to it, not only the one item's retry.
        let limiter = Some(
            self.limiters
                .lock()
                .expect("limiter map poisoned")
                .entry(options.account_key.clone())
                .or_insert_with(|| {
                    Arc::new(match limit {
                        Some(limit) => AccountLimiter::new(limit),
                        None => AccountLimiter::unlimited(),
                    })
                })
                .clone(),
        );
        let breaker = self
            .breakers
            .lock()
            .expect("breaker map poisoned")
            .entry(options.account_key.clone())
            .or_insert_with(|| Arc::new(CircuitBreaker::new(self.config.breaker)))
            .clone();
        ConnectionClient {
            client: self.client.clone(),
            config: self.config.clone(),
            limiter,
            shared,
            breaker,
            redactor: options.redactor,
        }
    }
}

/// How one connection uses the transport.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// Identifies the target account (e.g. `retailcrm:https://shop.retailcrm.ru`).
    pub account_key: String,
    /// The account's limit, if the system has one.
    pub rate_limit: Option<RateLimit>,
    /// Scrubs this connection's secrets from every error text.
    pub redactor: Redactor,
}

/// A connection's view of the transport.
#[derive(Clone)]
pub struct ConnectionClient {
    client: reqwest::Client,
    config: Arc<TransportConfig>,
    limiter: Option<Arc<AccountLimiter>>,
    shared: Option<SharedAccount>,
    breaker: Arc<CircuitBreaker>,
    redactor: Redactor,
}

impl ConnectionClient {
    /// Start building a request (add headers, query, JSON or form body on the builder).
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// This connection's redactor.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Send a request: wait for the account's limiter (and, with a shared limiter, for the
    /// slot reserved in the schedule other workers share), send, read at most the size cap.
    /// Any HTTP status is returned as a response; use [`HttpResponse::error_for_status`]
    /// (or a connector's own mapping first) to turn failures into errors.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<HttpResponse, ConnectorError> {
        if let Some(retry_after) = self.breaker.check() {
            let reason = self.breaker.hold_reason().unwrap_or_else(|| {
                "the target failed repeatedly; requests to it are paused".into()
            });
            return Err(ConnectorError::Unavailable {
                retry_after,
                reason,
            });
        }
        let _permit = match &self.limiter {
            Some(limiter) => Some(limiter.acquire().await),
            None => None,
        };
        if let Some(shared) = &self.shared {
            shared.wait_turn().await?;
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let text = self.redactor.redact(&describe_reqwest(&e));
                return Err(match self.breaker.record_failure() {
                    Some(retry_after) => self.outage(retry_after, text),
                    // A failed connect sent nothing; anything later (a timeout, a reset)
                    // may have delivered the request.
                    None if e.is_connect() => ConnectorError::Transport(text),
                    None => ConnectorError::NoAnswer(text),
                });
            }
        };
        let status = response.status().as_u16();
        // Only answers that say "unwell" count toward opening the breaker. 429 and 503
        // mean "busy": several CRMs (retailCRM, Bitrix24) answer their rate limit with a
        // 503 and no Retry-After, and a busy target is the limiter's business, not an
        // outage. Outages show up as refused connections, timeouts, 500, 502 and 504.
        let unwell = matches!(status, 408 | 425 | 500..=502 | 504..=599);
        let outage = if unwell {
            self.breaker.record_failure()
        } else {
            self.breaker.record_success();
            None
        };
        let headers = response.headers().clone();
        if let Some(len) = response.content_length()
            && len as usize > self.config.max_response_bytes
        {
            return Err(self.too_large());
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ConnectorError::NoAnswer(self.redactor.redact(&describe_reqwest(&e)))
            })?;
            if body.len() + chunk.len() > self.config.max_response_bytes {
                return Err(self.too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let response = HttpResponse::new(
            status,
            headers,
            body.into(),
            self.redactor.clone(),
            self.config.max_error_body_chars,
        );
        if let Some(wait) = response.asked_wait() {
            if let Some(limiter) = &self.limiter {
                limiter.pause_for(wait);
            }
            if let Some(shared) = &self.shared {
                shared.pause(wait).await;
            }
        }
        if let Some(retry_after) = outage {
            let last = format!("HTTP {}: {}", response.status, response.body_excerpt());
            return Err(self.outage(retry_after, last));
        }
        Ok(response)
    }

    /// A failure that leaves the account's breaker open: the target is down, so the item
    /// waits for it without spending an attempt.
    fn outage(&self, retry_after: std::time::Duration, last_error: String) -> ConnectorError {
        ConnectorError::Unavailable {
            retry_after,
            reason: format!(
                "the target failed {} times in a row (last: {last_error}); requests to it are paused",
                self.breaker.failures()
            ),
        }
    }

    /// Refuse every request to this account, from any connection, for `wait` without
    /// sending it: [`ConnectorError::Unavailable`] with the time left and `reason`, which
    /// the engine waits out without spending attempts. For a target that said it will
    /// refuse all work for a long while (a spent daily quota), where holding each request
    /// in [`Self::pause_for`]'s wait would only tie up workers. After the hold one request
    /// goes through as a probe.
    pub fn hold_for(&self, wait: std::time::Duration, reason: impl Into<String>) {
        self.breaker.hold(wait, reason);
    }

    /// Send nothing more to this account for `wait`: for vendor-specific "come back
    /// later" headers the generic `Retry-After` handling does not know.
    pub fn pause_for(&self, wait: std::time::Duration) {
        if let Some(limiter) = &self.limiter {
            limiter.pause_for(wait);
        }
        if let Some(shared) = &self.shared {
            shared.pause_in_background(wait);
        }
    }

    fn too_large(&self) -> ConnectorError {
        ConnectorError::InvalidResponse(format!(
            "response body larger than the {} byte cap",
            self.config.max_response_bytes
        ))
    }
}

/// reqwest's Display omits the cause chain ("error sending request"); the cause is what
/// tells an operator whether it was a refused connection or a timeout.
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if e.is_timeout() {
        text.push_str(" (timed out)");
    }
    text
}
