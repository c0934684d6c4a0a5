//! amoCRM's failure answers turned into classified [`ConnectorError`]s.
//!
//! amoCRM answers errors as `application/problem+json`
//! (`{"title","type","status","detail","validation-errors":[{"request_id","errors":[{"code","path","detail"}]}]}`),
//! its rate limit (7 requests per second) as 429 with a body that is not JSON, and a
//! blocked IP address or account as 403. A 204 with an empty body means "nothing found"
//! and never reaches this module.

use std::time::Duration;

use serde::Deserialize;

use crate::error::ConnectorError;
use crate::secret::Redactor;
use crate::transport::HttpResponse;

/// What a 429 without `Retry-After` waits: one second, the length of amoCRM's window.
pub const RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug, Default, Deserialize)]
struct Problem {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default, rename = "validation-errors")]
    validation_errors: Vec<ValidationGroup>,
}

#[derive(Debug, Deserialize)]
struct ValidationGroup {
    #[serde(default)]
    errors: Vec<ValidationError>,
}

#[derive(Debug, Deserialize)]
struct ValidationError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    detail: Option<String>,
}

/// `title: detail (path: [code] detail; ...)` from a problem body, if it is one.
fn describe(body: &[u8]) -> Option<String> {
    let problem: Problem = serde_json::from_slice(body).ok()?;
    let head = match (&problem.title, &problem.detail) {
        (Some(t), Some(d)) if t != d => format!("{t}: {d}"),
        (Some(t), _) => t.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) if problem.validation_errors.is_empty() => return None,
        (None, None) => "Request validation failed".to_string(),
    };
    let details: Vec<String> = problem
        .validation_errors
        .iter()
        .flat_map(|g| g.errors.iter())
        .map(|e| {
            let mut text = String::new();
            if let Some(path) = e.path.as_deref().filter(|p| !p.is_empty()) {
                text.push_str(path);
                text.push_str(": ");
            }
            if let Some(code) = e.code.as_deref().filter(|c| !c.is_empty()) {
                text.push_str(&format!("[{code}] "));
            }
            text.push_str(e.detail.as_deref().unwrap_or_default());
            text.trim().to_string()
        })
        .collect();
    Some(if details.is_empty() {
        head
    } else {
        format!("{head} ({})", details.join("; "))
    })
}

/// Whether a 403's text says the credentials or the caller are refused as such (blocked
/// IP or account, token without rights), rather than one request being forbidden.
fn refuses_the_caller(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .any(|w| *w == "ip" || w.starts_with("block") || w.starts_with("заблокир") || *w == "token")
        || [
            "access denied",
            "no rights",
            "insufficient rights",
            "нет прав",
            "доступ запрещ",
            "account is",
        ]
        .iter()
        .any(|phrase| lower.contains(phrase))
}

/// The error a non-2xx amoCRM answer stands for. `redactor` scrubs the connection's
/// secrets from the vendor text (the raw excerpt is scrubbed by the transport).
pub fn classify(response: &HttpResponse, redactor: &Redactor) -> ConnectorError {
    let status = response.status;
    let body = describe(&response.body)
        .map(|text| redactor.redact(&text))
        .unwrap_or_else(|| response.body_excerpt());
    match status {
        // The 429 body is not JSON (amoCRM's own SDK tells it apart that way); its wait
        // is the header's, else one window.
        429 => ConnectorError::RateLimited {
            status,
            retry_after: Some(response.asked_wait().unwrap_or(RATE_LIMIT_PAUSE)),
            body,
        },
        401 => ConnectorError::Auth { status, body },
        // The account's subscription ran out: nothing works until it is paid.
        402 => ConnectorError::Auth {
            status,
            body: format!("the amoCRM account is not paid: {body}"),
        },
        403 if refuses_the_caller(&body) => ConnectorError::Auth { status, body },
        _ => response.to_error_saying(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RetryAdvice;
    use crate::test_kit::http_response as response;

    #[test]
    fn validation_errors_name_path_code_and_detail() {
        let body = r#"{"validation-errors":[{"request_id":"0","errors":[{"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"The value you selected is not a valid choice."}]}],"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed"}"#;
        let e = classify(&response(400, &[], body), &Redactor::default());
        assert_eq!(e.advice(), RetryAdvice::Never);
        assert_eq!(
            e.to_string(),
            "rejected (HTTP 400): Bad Request: Request validation failed (custom_fields_values.0.field_id: [NotSupportedChoice] The value you selected is not a valid choice.)"
        );
    }

    #[test]
    fn a_429_with_a_plain_body_waits_one_second_or_as_told() {
        let e = classify(
            &response(429, &[], "Too Many Requests"),
            &Redactor::default(),
        );
        assert_eq!(e.advice(), RetryAdvice::After(Duration::from_secs(1)));
        let e = classify(
            &response(429, &[("retry-after", "3")], "<html>429</html>"),
            &Redactor::default(),
        );
        assert_eq!(e.advice(), RetryAdvice::After(Duration::from_secs(3)));
    }

    #[test]
    fn auth_forbidden_and_server_answers_classify() {
        let unauthorized = r#"{"title":"Unauthorized","type":"https://httpstatus.es/401","status":401,"detail":"Unauthorized"}"#;
        let e = classify(&response(401, &[], unauthorized), &Redactor::default());
        assert_eq!(e.kind(), "auth");
        let blocked = r#"{"title":"Forbidden","status":403,"detail":"Your IP address is blocked"}"#;
        assert_eq!(
            classify(&response(403, &[], blocked), &Redactor::default()).kind(),
            "auth"
        );
        let forbidden = r#"{"title":"Forbidden","status":403,"detail":"Entity is not editable"}"#;
        assert_eq!(
            classify(&response(403, &[], forbidden), &Redactor::default()).kind(),
            "rejected"
        );
        assert_eq!(
            classify(&response(402, &[], "{}"), &Redactor::default()).kind(),
            "auth"
        );
        let e = classify(
            &response(502, &[], "<html>bad gateway</html>"),
            &Redactor::default(),
        );
        assert_eq!(e.advice(), RetryAdvice::Backoff);
        assert!(e.to_string().contains("bad gateway"));
    }

    #[test]
    fn vendor_texts_are_redacted() {
        let body =
            r#"{"title":"Unauthorized","status":401,"detail":"token tok-secret-77 expired"}"#;
        let e = classify(
            &response(401, &[], body),
            &Redactor::new(["tok-secret-77".to_string()]),
        );
        assert!(!e.to_string().contains("tok-secret-77"), "{e}");
    }
}
