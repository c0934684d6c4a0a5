//! Bitrix24's error replies as the emulator builds them:
//! `{"error":"CODE","error_description":"text"}` with the HTTP status. Method-level errors
//! carry an empty `error`, as the real API's often do.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A Bitrix24 error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The `error` code (often empty for method errors).
    pub error: String,
    /// The `error_description` text.
    pub description: String,
}

impl ApiError {
    /// A system error with its code.
    pub fn system(status: u16, error: &str, description: &str) -> Self {
        ApiError {
            status,
            error: error.to_string(),
            description: description.to_string(),
        }
    }

    /// A method error: HTTP 400, empty `error`, the description.
    pub fn method(description: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            error: String::new(),
            description: description.into(),
        }
    }

    /// `Not found` (an id that does not exist).
    pub fn not_found() -> Self {
        ApiError::method("Not found")
    }

    /// `ID is not defined or invalid.` (a missing or malformed id).
    pub fn bad_id() -> Self {
        ApiError::method("ID is not defined or invalid.")
    }

    /// 401 `NO_AUTH_FOUND`: a wrong webhook code or user.
    pub fn no_auth() -> Self {
        ApiError::system(401, "NO_AUTH_FOUND", "Wrong authorization data")
    }

    /// 503 `QUERY_LIMIT_EXCEEDED`: the leaky bucket is full.
    pub fn query_limit() -> Self {
        ApiError::system(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
    }

    /// 404 `ERROR_METHOD_NOT_FOUND`.
    pub fn unknown_method() -> Self {
        ApiError::system(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    }

    /// The JSON body Bitrix24 sends.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(self.body())).into_response()
    }
}
