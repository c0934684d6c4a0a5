//! MoySklad's error replies turned into classified [`ConnectorError`]s.
//!
//! MoySklad answers failures with `{"errors":[{"error","code","parameter","moreInfo",...}]}` (the link is left out of
//! messages; code and text say what is wrong)
//! and its own headers: `X-Lognex-Auth*` on authentication failures and
//! `X-Lognex-Retry-After` / `X-Lognex-Reset` (milliseconds) on rate limits. Those vendor
//! signals are read first; the generic status mapping is the fallback.

use std::time::Duration;

use serde::Deserialize;

use crate::error::ConnectorError;
use crate::secret::Redactor;
use crate::transport::HttpResponse;

/// The longest vendor-requested wait we believe; beyond it the engine's backoff cap rules
/// (the same bound the transport applies to `Retry-After`).
const MAX_HONORED_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// Authentication failed.
pub const CODE_AUTH: i64 = 1056;
/// Too many requests per time window.
pub const CODE_RATE: i64 = 1049;
/// Too many requests in parallel.
pub const CODE_PARALLEL: i64 = 1073;

/// One entry of MoySklad's `errors` array.
#[derive(Debug, Clone, Deserialize)]
pub struct VendorError {
    /// The error text.
    #[serde(default)]
    pub error: String,
    /// MoySklad's numeric error code.
    #[serde(default)]
    pub code: Option<i64>,
    /// The request parameter or field the error is about.
    #[serde(default)]
    pub parameter: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<VendorError>,
}

/// The `errors` of a reply body, if it has MoySklad's error shape.
pub fn vendor_errors(body: &[u8]) -> Vec<VendorError> {
    serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.errors)
        .unwrap_or_default()
}

/// `[code] text (parameter: p)` for each error, joined with `; `.
fn describe(errors: &[VendorError]) -> String {
    errors
        .iter()
        .map(|e| {
            let mut text = match e.code {
                Some(code) => format!("[{code}] {}", e.error),
                None => e.error.clone(),
            };
            if let Some(p) = e.parameter.as_deref().filter(|p| !p.is_empty()) {
                text.push_str(&format!(" (parameter: {p})"));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A vendor header holding milliseconds, as a wait (zero means "no limit set").
fn millis_header(response: &HttpResponse, name: &str) -> Option<Duration> {
    let ms: u64 = response.header(name)?.trim().parse().ok()?;
    (ms > 0).then(|| Duration::from_millis(ms).min(MAX_HONORED_RETRY_AFTER))
}

/// A header's text; MoySklad's auth message is Russian, which `to_str` refuses, so the
/// raw bytes are read as UTF-8.
fn header_text(response: &HttpResponse, name: &str) -> Option<String> {
    let value = response.headers.get(name)?;
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// How long MoySklad asked us to wait: its own millisecond headers win over the
/// standard `Retry-After`.
pub fn rate_limit_wait(response: &HttpResponse) -> Option<Duration> {
    millis_header(response, "x-lognex-retry-after")
        .or_else(|| millis_header(response, "x-lognex-reset"))
        .or_else(|| millis_header(response, "x-lognex-retry-timeinterval"))
        .or_else(|| response.asked_wait())
}

/// The error a non-2xx MoySklad reply stands for. `redactor` scrubs the connection's
/// secrets from the vendor texts (the raw body excerpt is scrubbed by the transport).
pub fn classify(response: &HttpResponse, redactor: &Redactor) -> ConnectorError {
    let status = response.status;
    let errors = vendor_errors(&response.body);
    let has_code = |code: i64| errors.iter().any(|e| e.code == Some(code));
    let mut body = if errors.is_empty() {
        response.body_excerpt()
    } else {
        redactor.redact(&describe(&errors))
    };
    let auth_header = header_text(response, "x-lognex-auth");
    if status == 401 || has_code(CODE_AUTH) || (status == 403 && auth_header.is_some()) {
        if let Some(message) = header_text(response, "x-lognex-auth-message") {
            body.push_str(&format!(
                " (X-Lognex-Auth: {}, {})",
                auth_header.as_deref().unwrap_or("-"),
                redactor.redact(&message)
            ));
        }
        return ConnectorError::Auth { status, body };
    }
    if status == 429 || has_code(CODE_RATE) || has_code(CODE_PARALLEL) {
        return ConnectorError::RateLimited {
            status,
            retry_after: rate_limit_wait(response),
            body,
        };
    }
    if status == 415 {
        body = format!(
            "MoySklad refused the request encoding (it requires `Accept-Encoding: gzip`){}",
            if body.is_empty() {
                String::new()
            } else {
                format!(": {body}")
            }
        );
        return ConnectorError::Rejected { status, body };
    }
    match status {
        408 | 425 | 500..=599 => ConnectorError::Server { status, body },
        _ => ConnectorError::Rejected { status, body },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RetryAdvice;
    use crate::test_kit::http_response as response;

    #[test]
    fn vendor_wait_headers_win_over_retry_after() {
        let r = response(
            429,
            &[("x-lognex-retry-after", "2000"), ("retry-after", "9")],
            "",
        );
        assert_eq!(rate_limit_wait(&r), Some(Duration::from_secs(2)));
        let r = response(
            429,
            &[
                ("x-lognex-reset", "0"),
                ("x-lognex-retry-timeinterval", "3000"),
            ],
            "",
        );
        assert_eq!(rate_limit_wait(&r), Some(Duration::from_secs(3)));
        let r = response(429, &[("retry-after", "4")], "");
        assert_eq!(rate_limit_wait(&r), Some(Duration::from_secs(4)));
    }

    #[test]
    fn codes_and_statuses_classify() {
        let body = r#"{"errors":[{"error":"Превышено ограничение на одновременное количество запросов","code":1073}]}"#;
        let e = classify(&response(429, &[], body), &Redactor::default());
        assert_eq!(e.advice(), RetryAdvice::Backoff);
        assert!(e.to_string().contains("[1073]"));
        let body = r#"{"errors":[{"error":"Ошибка сохранения объекта: поле 'name' не может быть пустым или отсутствовать","code":3000,"parameter":"name"}]}"#;
        let e = classify(&response(412, &[], body), &Redactor::default());
        assert_eq!(e.advice(), RetryAdvice::Never);
        assert!(e.to_string().contains("поле 'name'") && e.to_string().contains("parameter: name"));
        let e = classify(&response(403, &[], "{}"), &Redactor::default());
        assert_eq!(e.kind(), "rejected");
        let e = classify(
            &response(403, &[("x-lognex-auth", "1056")], "{}"),
            &Redactor::default(),
        );
        assert_eq!(e.kind(), "auth");
        assert_eq!(
            classify(&response(502, &[], ""), &Redactor::default()).kind(),
            "server"
        );
    }

    #[test]
    fn vendor_texts_are_redacted() {
        let body = r#"{"errors":[{"error":"bad token tok-secret-1","code":1056}]}"#;
        let e = classify(
            &response(401, &[], body),
            &Redactor::new(["tok-secret-1".to_string()]),
        );
        assert!(!e.to_string().contains("tok-secret-1"), "{e}");
    }
}
