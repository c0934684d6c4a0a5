//! The connector error type. Every failure says whether retrying can help, so the engine
//! can decide between "retry with backoff", "wait exactly as told", and "fail the item now"
//! without knowing which system produced it.

use std::time::Duration;

/// What the engine should do about a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAdvice {
    /// A transient failure (transport error, 5xx, 408, 425): retry with backoff.
    Backoff,
    /// The target asked us to wait (429 / 503 with `Retry-After`, vendor headers).
    After(Duration),
    /// Retrying cannot help (validation error, unknown record, bad request).
    Never,
    /// The credentials were refused: the whole connection is broken, so the item waits
    /// until the connection is fixed rather than failing on its own.
    ConnectionBroken,
    /// Nothing was done (the target's circuit breaker is open, or the target refuses all
    /// work for a while, e.g. a spent daily quota): wait this long, and do not count it as
    /// an attempt.
    NotSent(Duration),
}

/// A failed call to an outside system. Messages are already redacted by the transport
/// before they are built, but the engine redacts again at every write point.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConnectorError {
    /// The request could not be sent (connection refused, DNS, TLS): nothing reached the
    /// target.
    #[error("transport error: {0}")]
    Transport(String),
    /// The request may have reached the target, but no complete answer came back (a
    /// timeout, a connection reset mid-way). For an action the outcome is unknown, so the
    /// engine checks before sending it again.
    #[error("no answer: {0}")]
    NoAnswer(String),
    /// The target is over its rate limit or temporarily unavailable and said so.
    #[error("rate limited (HTTP {status}){}: {body}", retry_after.map(|d| format!(", retry after {} ms", d.as_millis())).unwrap_or_default())]
    RateLimited {
        /// HTTP status (429, or 503 for systems that use it for rate limits).
        status: u16,
        /// How long the target asked us to wait, when it said.
        retry_after: Option<Duration>,
        /// The (redacted, truncated) response body.
        body: String,
    },
    /// A 5xx, 408 or 425 answer: worth retrying with backoff.
    #[error("server error (HTTP {status}): {body}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The (redacted, truncated) response body.
        body: String,
    },
    /// The credentials were refused (401, or the system's own auth error).
    #[error("authentication failed (HTTP {status}): {body}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// The (redacted, truncated) response body.
        body: String,
    },
    /// The target rejected the request as invalid (4xx validation error): never retried.
    #[error("rejected (HTTP {status}): {body}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The (redacted, truncated) response body.
        body: String,
    },
    /// Nothing was done, so the engine waits `retry_after` without counting an attempt:
    /// either the request was not sent (the target failed repeatedly and its circuit
    /// breaker is open, or the account is on hold), or the target refused it before doing
    /// anything because it refuses all work for a while (Salesforce's spent daily quota,
    /// which also puts the account on hold, see `ConnectionClient::hold_for`).
    #[error("target unavailable, nothing done: {reason}; next try in {} s", retry_after.as_secs())]
    Unavailable {
        /// Time left before the breaker lets a request through.
        retry_after: Duration,
        /// Why.
        reason: String,
    },
    /// The answer was not what the API documents (invalid JSON, missing field, too large).
    #[error("invalid response: {0}")]
    InvalidResponse(String),
    /// The connection or call is misconfigured (missing setting, unknown action).
    #[error("configuration error: {0}")]
    Config(String),
}

impl ConnectorError {
    /// How the engine should react to this error.
    pub fn advice(&self) -> RetryAdvice {
        match self {
            ConnectorError::Transport(_)
            | ConnectorError::NoAnswer(_)
            | ConnectorError::Server { .. } => RetryAdvice::Backoff,
            // A garbled answer is usually a proxy or a deploy in progress; a few retries
            // are cheap, and the engine's attempt cap still fails the item visibly.
            ConnectorError::InvalidResponse(_) => RetryAdvice::Backoff,
            ConnectorError::RateLimited { retry_after, .. } => match retry_after {
                Some(d) => RetryAdvice::After(*d),
                None => RetryAdvice::Backoff,
            },
            ConnectorError::Auth { .. } => RetryAdvice::ConnectionBroken,
            ConnectorError::Unavailable { retry_after, .. } => RetryAdvice::NotSent(*retry_after),
            ConnectorError::Rejected { .. } | ConnectorError::Config(_) => RetryAdvice::Never,
        }
    }

    /// A short stable word for tables and JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectorError::Transport(_) => "transport",
            ConnectorError::NoAnswer(_) => "no_answer",
            ConnectorError::RateLimited { .. } => "rate_limited",
            ConnectorError::Server { .. } => "server",
            ConnectorError::Auth { .. } => "auth",
            ConnectorError::Rejected { .. } => "rejected",
            ConnectorError::InvalidResponse(_) => "invalid_response",
            ConnectorError::Unavailable { .. } => "unavailable",
            ConnectorError::Config(_) => "config",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_follows_the_kind_of_failure() {
        let rejected = ConnectorError::Rejected {
            status: 400,
            body: "bad phone".into(),
        };
        assert_eq!(rejected.advice(), RetryAdvice::Never);
        let limited = ConnectorError::RateLimited {
            status: 429,
            retry_after: Some(Duration::from_secs(2)),
            body: String::new(),
        };
        assert_eq!(limited.advice(), RetryAdvice::After(Duration::from_secs(2)));
        assert_eq!(
            ConnectorError::Transport("reset".into()).advice(),
            RetryAdvice::Backoff
        );
        let auth = ConnectorError::Auth {
            status: 401,
            body: String::new(),
        };
        assert_eq!(auth.advice(), RetryAdvice::ConnectionBroken);
    }
}
