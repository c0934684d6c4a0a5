//! A fully read HTTP response and the generic status classification.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::ConnectorError;
use crate::secret::Redactor;

/// The longest wait a target may ask for before we stop believing it; beyond this the
/// engine's own backoff cap applies.
pub const MAX_HONORED_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// A response whose body was read within the size cap.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    redactor: Redactor,
    max_error_body_chars: usize,
}

impl HttpResponse {
    /// Wrap a read response.
    pub fn new(
        status: u16,
        headers: HeaderMap,
        body: Bytes,
        redactor: Redactor,
        max_error_body_chars: usize,
    ) -> Self {
        HttpResponse {
            status,
            headers,
            body,
            redactor,
            max_error_body_chars,
        }
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON; a body that is not the JSON we expect is an
    /// [`ConnectorError::InvalidResponse`] quoting (redacted) the start of the body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ConnectorError::InvalidResponse(format!(
                "HTTP {}: body is not the expected JSON ({e}): {}",
                self.status,
                self.body_excerpt()
            ))
        })
    }

    /// The start of the body, redacted and truncated, for error messages.
    pub fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = self.redactor.redact(&text);
        if text.chars().count() > self.max_error_body_chars {
            let cut: String = text.chars().take(self.max_error_body_chars).collect();
            format!("{cut}… (truncated)")
        } else {
            text
        }
    }

    /// How long the target asked us to wait (`Retry-After` in seconds or as an HTTP-date),
    /// capped; only on 429 and 503 where the header means "come back later".
    pub fn asked_wait(&self) -> Option<Duration> {
        if self.status != 429 && self.status != 503 {
            return None;
        }
        parse_retry_after(self.header("retry-after")?, std::time::SystemTime::now())
    }

    /// The generic mapping of a non-2xx status to an error: 429 → rate limited (waiting as
    /// told); 408, 425, 5xx → server error (backoff); 401 → authentication; other 4xx →
    /// rejected (never retried). Connectors map their own vendor codes before calling this.
    pub fn error_for_status(self) -> Result<HttpResponse, ConnectorError> {
        if self.is_success() {
            return Ok(self);
        }
        Err(self.to_error())
    }

    /// The error this (non-2xx) response stands for under the generic mapping.
    pub fn to_error(&self) -> ConnectorError {
        self.to_error_saying(self.body_excerpt())
    }

    /// The generic mapping with `body` as the error's text in place of the raw excerpt:
    /// for connectors that read the vendor's error body into a clearer message but leave
    /// the retry decision to the status.
    pub fn to_error_saying(&self, body: String) -> ConnectorError {
        let status = self.status;
        match status {
            429 => ConnectorError::RateLimited {
                status,
                retry_after: self.asked_wait(),
                body,
            },
            503 if self.asked_wait().is_some() => ConnectorError::RateLimited {
                status,
                retry_after: self.asked_wait(),
                body,
            },
            408 | 425 | 500..=599 => ConnectorError::Server { status, body },
            401 => ConnectorError::Auth { status, body },
            _ => ConnectorError::Rejected { status, body },
        }
    }
}

/// Parse a `Retry-After` value: delta-seconds or an HTTP-date, capped at
/// `MAX_HONORED_RETRY_AFTER`. A date in the past means "now" (zero wait).
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Duration::from_secs_f64(secs)
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_HONORED_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&'static str, &str)], body: &str) -> HttpResponse {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().unwrap());
        }
        HttpResponse::new(
            status,
            map,
            Bytes::from(body.to_string()),
            Redactor::new(["sekret-key".to_string()]),
            50,
        )
    }

    #[test]
    fn retry_after_seconds_and_http_date() {
        let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999", now),
            Some(MAX_HONORED_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn a_connectors_own_text_keeps_the_generic_advice() {
        use crate::error::RetryAdvice;
        let limited = response(429, &[("retry-after", "2")], "slow down");
        let error = limited.to_error_saying("the vendor asks for a pause".into());
        assert_eq!(error.advice(), RetryAdvice::After(Duration::from_secs(2)));
        assert!(
            error.to_string().contains("the vendor asks for a pause"),
            "{error}"
        );
        assert!(!error.to_string().contains("slow down"), "{error}");
        let rejected = response(422, &[], "raw").to_error_saying("field X is wrong".into());
        assert_eq!(rejected.advice(), RetryAdvice::Never);
        assert!(
            rejected.to_string().contains("field X is wrong"),
            "{rejected}"
        );
    }

    #[test]
    fn statuses_map_to_the_right_advice() {
        use crate::error::RetryAdvice;
        let limited = response(429, &[("retry-after", "2")], "slow down");
        assert_eq!(
            limited.to_error().advice(),
            RetryAdvice::After(Duration::from_secs(2))
        );
        assert_eq!(
            response(503, &[], "").to_error().advice(),
            RetryAdvice::Backoff
        );
        assert_eq!(
            response(408, &[], "").to_error().advice(),
            RetryAdvice::Backoff
        );
        assert_eq!(
            response(422, &[], "bad").to_error().advice(),
            RetryAdvice::Never
        );
        assert_eq!(
            response(401, &[], "").to_error().advice(),
            RetryAdvice::ConnectionBroken
        );
    }

    #[test]
    fn error_bodies_are_redacted_and_truncated() {
        let long = format!("key sekret-key {}", "x".repeat(200));
        let text = response(400, &[], &long).to_error().to_string();
        assert!(!text.contains("sekret-key"));
        assert!(text.contains("(truncated)"));
    }
}
