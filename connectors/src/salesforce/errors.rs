//! Salesforce's failure answers turned into classified [`ConnectorError`]s.
//!
//! The REST API answers errors as a JSON array,
//! `[{"message":"...","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]`
//! (`fields` only for field errors). The codes that change what the engine does:
//! - 401 `INVALID_SESSION_ID`: the access token expired or was revoked. The auth seam gets
//!   the first say (it may renew the token and send again); what reaches this module is a
//!   refused credential → [`ConnectorError::Auth`];
//! - 403 `REQUEST_LIMIT_EXCEEDED`: the org's rolling 24-hour API quota is spent. Nothing
//!   works until old requests age out of the window, and Salesforce did nothing with the
//!   request → [`ConnectorError::Unavailable`]: the whole account is held for
//!   [`QUOTA_PAUSE`] (requests refused unsent) and the item waits that long without
//!   spending an attempt, however long the quota stays spent;
//! - 403 `API_DISABLED_FOR_ORG` / `API_CURRENTLY_DISABLED`: the org or the user may not
//!   use the API at all → the connection is broken;
//! - 300: an upsert's external id matched several records → rejected, naming them;
//! - other 4xx: rejected with `CODE: message (fields: ...)`; 5xx: server errors.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::error::ConnectorError;
use crate::secret::Redactor;
use crate::transport::HttpResponse;

/// How long the account is paused after `REQUEST_LIMIT_EXCEEDED`. The quota is a rolling
/// 24-hour window, so capacity returns gradually; a quarter of an hour is the longest
/// wait the transport honours and a sensible re-check interval.
pub const QUOTA_PAUSE: Duration = Duration::from_secs(15 * 60);

/// 403 codes that mean the credential can never work as it is.
const FORBIDDEN_AUTH_CODES: &[&str] = &[
    "API_DISABLED_FOR_ORG",
    "API_CURRENTLY_DISABLED",
    "INVALID_SESSION_ID",
    "INSUFFICIENT_ACCESS",
];

/// One entry of Salesforce's error array.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ApiError {
    /// Human-readable text.
    #[serde(default)]
    pub message: String,
    /// The machine code (`REQUIRED_FIELD_MISSING`, `INVALID_FIELD`, ...).
    #[serde(default, rename = "errorCode")]
    pub error_code: String,
    /// The fields the error is about, for field errors.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// The error array of a body, when it has that shape (a single object is accepted too:
/// some endpoints answer one error without the array).
pub fn api_errors(body: &[u8]) -> Option<Vec<ApiError>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let entries = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => return None,
    };
    let errors: Vec<ApiError> = entries
        .into_iter()
        .filter_map(|e| serde_json::from_value(e).ok())
        .filter(|e: &ApiError| !e.error_code.is_empty() || !e.message.is_empty())
        .collect();
    (!errors.is_empty()).then_some(errors)
}

/// `CODE: message (fields: A, B); CODE2: ...`.
pub fn describe(errors: &[ApiError]) -> String {
    errors
        .iter()
        .map(|e| {
            // Query errors repeat the whole SOQL text with a caret line; the last line
            // is the reason.
            let message = e.message.trim().lines().last().unwrap_or_default().trim();
            let mut text = match (e.error_code.is_empty(), message.is_empty()) {
                (false, false) => format!("{}: {message}", e.error_code),
                (false, true) => e.error_code.clone(),
                _ => message.to_string(),
            };
            if !e.fields.is_empty() {
                text.push_str(&format!(" (fields: {})", e.fields.join(", ")));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why the org is held after `REQUEST_LIMIT_EXCEEDED` (`body`: the described error).
pub fn quota_reason(body: &str) -> String {
    format!(
        "Salesforce answered HTTP 403 {body}: the org's daily API quota is spent; nothing is sent to it for {} min",
        QUOTA_PAUSE.as_secs() / 60
    )
}

/// The error a non-2xx Salesforce answer stands for. `redactor` scrubs the connection's
/// secrets from the vendor text (the raw excerpt is scrubbed by the transport already).
pub fn classify(response: &HttpResponse, redactor: &Redactor) -> ConnectorError {
    let status = response.status;
    let errors = api_errors(&response.body);
    let codes: Vec<&str> = errors
        .iter()
        .flatten()
        .map(|e| e.error_code.as_str())
        .collect();
    let body = match &errors {
        Some(errors) => redactor.redact(&describe(errors)),
        None => response.body_excerpt(),
    };
    match status {
        300 => ConnectorError::Rejected {
            status,
            body: format!(
                "the external id matches several records: {}",
                response.body_excerpt()
            ),
        },
        401 => ConnectorError::Auth { status, body },
        403 if codes.contains(&"REQUEST_LIMIT_EXCEEDED") => ConnectorError::Unavailable {
            retry_after: QUOTA_PAUSE,
            reason: quota_reason(&body),
        },
        403 if codes.iter().any(|c| FORBIDDEN_AUTH_CODES.contains(c)) => {
            ConnectorError::Auth { status, body }
        }
        _ => response.to_error_saying(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RetryAdvice;
    use crate::test_kit::http_response as response;

    #[test]
    fn field_errors_name_the_code_the_message_and_the_fields() {
        let body = r#"[{"message":"Required fields are missing: [LastName, Company]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName","Company"]}]"#;
        let e = classify(&response(400, &[], body), &Redactor::default());
        assert_eq!(e.advice(), RetryAdvice::Never);
        assert_eq!(
            e.to_string(),
            "rejected (HTTP 400): REQUIRED_FIELD_MISSING: Required fields are missing: [LastName, Company] (fields: LastName, Company)"
        );
    }

    #[test]
    fn query_errors_keep_the_reason_line_only() {
        let body = r#"[{"message":"\nSELECT Foo FROM Lead\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Lead'.","errorCode":"INVALID_FIELD"}]"#;
        let e = classify(&response(400, &[], body), &Redactor::default());
        assert_eq!(
            e.to_string(),
            "rejected (HTTP 400): INVALID_FIELD: No such column 'Foo' on entity 'Lead'."
        );
    }

    #[test]
    fn session_quota_and_disabled_api_classify() {
        let expired =
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;
        let e = classify(&response(401, &[], expired), &Redactor::default());
        assert_eq!(e.advice(), RetryAdvice::ConnectionBroken);
        assert_eq!(
            e.to_string(),
            "authentication failed (HTTP 401): INVALID_SESSION_ID: Session expired or invalid"
        );
        let quota =
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#;
        let e = classify(&response(403, &[], quota), &Redactor::default());
        assert_eq!(
            e.advice(),
            RetryAdvice::NotSent(QUOTA_PAUSE),
            "not an attempt"
        );
        assert_eq!(
            e.to_string(),
            "target unavailable, nothing done: Salesforce answered HTTP 403 REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded.: the org's daily API quota is spent; nothing is sent to it for 15 min; next try in 900 s"
        );
        let disabled = r#"[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]"#;
        assert_eq!(
            classify(&response(403, &[], disabled), &Redactor::default()).advice(),
            RetryAdvice::ConnectionBroken
        );
        let sharing = r#"[{"message":"insufficient access rights on object id","errorCode":"INSUFFICIENT_ACCESS_OR_READONLY"}]"#;
        assert_eq!(
            classify(&response(403, &[], sharing), &Redactor::default()).advice(),
            RetryAdvice::Never
        );
    }

    #[test]
    fn ambiguous_upserts_and_server_errors_classify() {
        let several = r#"["/services/data/v60.0/sobjects/Lead/00Q000000000001AAA","/services/data/v60.0/sobjects/Lead/00Q000000000002AAA"]"#;
        let e = classify(&response(300, &[], several), &Redactor::default());
        assert_eq!(e.advice(), RetryAdvice::Never);
        assert!(e.to_string().contains("several records"), "{e}");
        let e = classify(
            &response(503, &[], "<html>down</html>"),
            &Redactor::default(),
        );
        assert_eq!(e.advice(), RetryAdvice::Backoff);
    }

    #[test]
    fn vendor_texts_are_redacted() {
        let body =
            r#"[{"message":"bad token 00Dxx!secret-token-77","errorCode":"INVALID_SESSION_ID"}]"#;
        let e = classify(
            &response(401, &[], body),
            &Redactor::new(["00Dxx!secret-token-77".to_string()]),
        );
        assert!(!e.to_string().contains("secret-token-77"), "{e}");
    }
}
