//! amoCRM's error answers as the emulator sends them: `application/problem+json` with
//! `title`, `type`, `status`, `detail` and, for validation failures, `validation-errors`
//! grouped by the `request_id` of the array element they are about.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One field error: where, which rule, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path inside the element (`custom_fields_values.0.field_id`).
    pub path: String,
    /// The rule broken (`NotSupportedChoice`, `InvalidType`, `NotBlank`, ...).
    pub code: &'static str,
    /// A human text.
    pub detail: String,
}

impl FieldError {
    /// A field error.
    pub fn new(path: impl Into<String>, code: &'static str, detail: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            code,
            detail: detail.into(),
        }
    }

    /// An unknown id or choice.
    pub fn choice(path: impl Into<String>) -> Self {
        FieldError::new(
            path,
            "NotSupportedChoice",
            "The value you selected is not a valid choice.",
        )
    }

    /// A wrong type.
    pub fn invalid_type(path: impl Into<String>, wanted: &str) -> Self {
        FieldError::new(
            path,
            "InvalidType",
            format!("This value should be of type {wanted}."),
        )
    }

    /// A required value missing.
    pub fn blank(path: impl Into<String>) -> Self {
        FieldError::new(path, "NotBlank", "This value should not be blank.")
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// HTTP status.
    pub status: u16,
    /// Short title (`Bad Request`).
    pub title: String,
    /// What went wrong.
    pub detail: String,
    /// Field errors by request id.
    pub validation: Vec<(String, Vec<FieldError>)>,
}

impl Problem {
    /// A problem without field errors.
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        let title = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error")
            .to_string();
        Problem {
            status,
            title,
            detail: detail.into(),
            validation: Vec::new(),
        }
    }

    /// 400 "Request validation failed" with these field errors.
    pub fn validation(groups: Vec<(String, Vec<FieldError>)>) -> Self {
        Problem {
            validation: groups,
            ..Problem::new(400, "Request validation failed")
        }
    }

    /// 400 for one field of a request that is not an array of entities (query, PATCH).
    pub fn field(error: FieldError) -> Self {
        Problem::validation(vec![("0".into(), vec![error])])
    }

    /// 404.
    pub fn not_found() -> Self {
        Problem::new(404, "Not Found")
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "title": self.title,
            "type": format!("https://httpstatus.es/{}", self.status),
            "status": self.status,
            "detail": self.detail,
        });
        if !self.validation.is_empty() {
            body["validation-errors"] = self
                .validation
                .iter()
                .map(|(request_id, errors)| {
                    json!({
                        "request_id": request_id,
                        "errors": errors.iter().map(|e| json!({"code": e.code, "path": e.path, "detail": e.detail})).collect::<Vec<_>>(),
                    })
                })
                .collect();
        }
        body
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, self.body().to_string()).into_response();
        response.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_bodies_group_errors_by_request_id() {
        let body = Problem::validation(vec![(
            "0".into(),
            vec![FieldError::choice("custom_fields_values.0.field_id")],
        )])
        .body();
        assert_eq!(body["status"], 400);
        assert_eq!(body["title"], "Bad Request");
        assert_eq!(body["detail"], "Request validation failed");
        assert_eq!(body["validation-errors"][0]["request_id"], "0");
        assert_eq!(
            body["validation-errors"][0]["errors"][0]["path"],
            "custom_fields_values.0.field_id"
        );
        assert!(
            Problem::not_found()
                .body()
                .get("validation-errors")
                .is_none()
        );
    }
}
