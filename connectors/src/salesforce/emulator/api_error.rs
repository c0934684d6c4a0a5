//! Salesforce's error answers as the emulator sends them: a JSON array of
//! `{"message","errorCode"}` objects, with `"fields"` for field errors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One error of Salesforce's error array, with the HTTP status it is sent with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status (400 unless changed).
    pub status: u16,
    /// `errorCode`.
    pub code: String,
    /// `message`.
    pub message: String,
    /// `fields`, for field errors.
    pub fields: Vec<String>,
}

impl ApiError {
    /// A 400 with this code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: code.to_string(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// The same error about these fields.
    pub fn on_fields(mut self, fields: &[&str]) -> Self {
        self.fields = fields.iter().map(|f| f.to_string()).collect();
        self
    }

    /// The same error with another status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// `404 NOT_FOUND` "The requested resource does not exist".
    pub fn not_found() -> Self {
        ApiError::new("NOT_FOUND", "The requested resource does not exist").with_status(404)
    }

    /// `401 INVALID_SESSION_ID`.
    pub fn invalid_session() -> Self {
        ApiError::new("INVALID_SESSION_ID", "Session expired or invalid").with_status(401)
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut entry = json!({"message": self.message, "errorCode": self.code});
        if !self.fields.is_empty() {
            entry["fields"] = json!(self.fields);
        }
        json!([entry])
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        if self.status == 401 {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Token"));
        }
        response
    }
}
