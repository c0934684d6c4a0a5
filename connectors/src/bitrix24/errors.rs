//! Bitrix24's error replies turned into classified [`ConnectorError`]s.
//!
//! Bitrix24 answers failures with `{"error":"CODE","error_description":"text"}`; method
//! errors often carry an empty `error` and only the description (`Not found`, `ID is not
//! defined or invalid`). Its own codes are read first, the generic status mapping is the
//! fallback:
//! - 503 `QUERY_LIMIT_EXCEEDED`: the portal's leaky bucket is full; it drains 2 requests per
//!   second, so one second frees a slot (`Retry-After` wins when sent);
//! - 429 `OPERATION_TIME_LIMIT`: one method spent its execution-time budget for the
//!   10-minute window; the wait is `Retry-After`, else `time.operating_reset_at`, else a
//!   minute;
//! - 401 (`NO_AUTH_FOUND`, `expired_token`, ...) and 403 `INVALID_CREDENTIALS`,
//!   `insufficient_scope`, `ACCESS_DENIED`: the webhook is refused or lacks rights;
//! - other 4xx: rejected with the description; 5xx: server errors.

use std::time::Duration;

use serde_json::Value;

use crate::error::ConnectorError;
use crate::secret::Redactor;
use crate::transport::HttpResponse;

/// The wait after `QUERY_LIMIT_EXCEEDED` without `Retry-After`: the bucket drains two
/// requests per second, so a second always frees room.
pub const QUERY_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// The wait after `OPERATION_TIME_LIMIT` without any hint of when the budget returns.
pub const OPERATION_LIMIT_PAUSE: Duration = Duration::from_secs(60);

/// The longest wait believed: the execution-time window is ten minutes.
const MAX_OPERATION_LIMIT_PAUSE: Duration = Duration::from_secs(10 * 60);

/// 403 codes that mean the webhook itself cannot be used (rights, plan, credentials).
const FORBIDDEN_AUTH_CODES: &[&str] = &[
    "INVALID_CREDENTIALS",
    "insufficient_scope",
    "ACCESS_DENIED",
    "invalid_token",
    "expired_token",
    "NO_AUTH_FOUND",
    "user_access_error",
];

/// `{"error","error_description"}` of a reply, when it has that shape.
pub fn vendor_error(body: &[u8]) -> Option<(String, String)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    if !object.contains_key("error") && !object.contains_key("error_description") {
        return None;
    }
    let text = |key: &str| match object.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Some((text("error"), text("error_description")))
}

/// `CODE: description`, or whichever of the two is not empty.
fn describe(code: &str, description: &str) -> String {
    match (code.is_empty(), description.is_empty()) {
        (false, false) => format!("{code}: {description}"),
        (true, false) => description.to_string(),
        (false, true) => code.to_string(),
        (true, true) => String::new(),
    }
}

/// Seconds until the unix time `reset_at`, when it is in the future.
fn until_unix(reset_at: f64, now: std::time::SystemTime) -> Option<Duration> {
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    let wait = reset_at - now;
    (wait.is_finite() && wait > 0.0).then(|| Duration::from_secs_f64(wait.ceil()))
}

/// How long to wait after `OPERATION_TIME_LIMIT`.
fn operation_limit_wait(response: &HttpResponse) -> Duration {
    if let Some(wait) = response.asked_wait() {
        return wait;
    }
    let reset_at = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| {
            v.pointer("/time/operating_reset_at")
                .and_then(Value::as_f64)
        });
    reset_at
        .and_then(|at| until_unix(at, std::time::SystemTime::now()))
        .unwrap_or(OPERATION_LIMIT_PAUSE)
        .min(MAX_OPERATION_LIMIT_PAUSE)
}

/// The error a non-2xx Bitrix24 reply stands for. `redactor` scrubs the connection's
/// secrets from the vendor text (the raw body excerpt is scrubbed by the transport).
pub fn classify(response: &HttpResponse, redactor: &Redactor) -> ConnectorError {
    let status = response.status;
    let (code, description) = vendor_error(&response.body).unwrap_or_default();
    let text = describe(&code, &description);
    let body = if text.is_empty() {
        response.body_excerpt()
    } else {
        redactor.redact(&text)
    };
    if code == "QUERY_LIMIT_EXCEEDED" {
        return ConnectorError::RateLimited {
            status,
            retry_after: Some(response.asked_wait().unwrap_or(QUERY_LIMIT_PAUSE)),
            body,
        };
    }
    if code == "OPERATION_TIME_LIMIT" {
        return ConnectorError::RateLimited {
            status,
            retry_after: Some(operation_limit_wait(response)),
            body,
        };
    }
    if status == 401 || (status == 403 && FORBIDDEN_AUTH_CODES.contains(&code.as_str())) {
        return ConnectorError::Auth { status, body };
    }
    match status {
        429 => ConnectorError::RateLimited {
            status,
            retry_after: response.asked_wait(),
            body,
        },
        408 | 425 | 500..=599 => ConnectorError::Server { status, body },
        _ => ConnectorError::Rejected { status, body },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RetryAdvice;
    use crate::test_kit::http_response as response;

    fn advice(status: u16, headers: &[(&'static str, &str)], body: &str) -> RetryAdvice {
        classify(&response(status, headers, body), &Redactor::default()).advice()
    }

    #[test]
    fn limits_wait_as_bitrix_says() {
        let body = r#"{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}"#;
        assert_eq!(
            advice(503, &[], body),
            RetryAdvice::After(QUERY_LIMIT_PAUSE)
        );
        assert_eq!(
            advice(503, &[("retry-after", "4")], body),
            RetryAdvice::After(Duration::from_secs(4))
        );
        let body = r#"{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}"#;
        assert_eq!(
            advice(429, &[], body),
            RetryAdvice::After(OPERATION_LIMIT_PAUSE)
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let with_reset = format!(
            r#"{{"error":"OPERATION_TIME_LIMIT","error_description":"x","time":{{"operating_reset_at":{}}}}}"#,
            now + 120
        );
        match advice(429, &[], &with_reset) {
            RetryAdvice::After(wait) => assert!(
                (Duration::from_secs(118)..=Duration::from_secs(121)).contains(&wait),
                "{wait:?}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn credentials_and_method_errors_classify() {
        let body = r#"{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}"#;
        assert_eq!(advice(401, &[], body), RetryAdvice::ConnectionBroken);
        let body =
            r#"{"error":"INVALID_CREDENTIALS","error_description":"Invalid request credentials"}"#;
        assert_eq!(advice(403, &[], body), RetryAdvice::ConnectionBroken);
        let e = classify(
            &response(400, &[], r#"{"error":"","error_description":"Not found"}"#),
            &Redactor::default(),
        );
        assert!(
            matches!(&e, ConnectorError::Rejected { status: 400, body } if body == "Not found"),
            "{e:?}"
        );
        let body =
            r#"{"error":"INTERNAL_SERVER_ERROR","error_description":"Internal server error"}"#;
        assert_eq!(advice(500, &[], body), RetryAdvice::Backoff);
        assert_eq!(advice(503, &[], "<html>busy</html>"), RetryAdvice::Backoff);
        assert_eq!(
            advice(
                404,
                &[],
                r#"{"error":"ERROR_METHOD_NOT_FOUND","error_description":"Method not found!"}"#
            ),
            RetryAdvice::Never
        );
    }

    #[test]
    fn vendor_texts_are_redacted() {
        let body = r#"{"error":"","error_description":"bad call /rest/1/code-secret-77/crm.x"}"#;
        let e = classify(
            &response(400, &[], body),
            &Redactor::new(["code-secret-77".to_string()]),
        );
        assert!(!e.to_string().contains("code-secret-77"), "{e}");
    }
}
