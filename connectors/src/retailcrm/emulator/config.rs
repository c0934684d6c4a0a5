//! The retailCRM emulator's configuration (what the real API leaves undocumented) and the
//! error shape it answers with.

use serde_json::{Map, Value, json};

use crate::emulation::EmulatedRateLimit;

/// How the emulator behaves. Points the real API leaves undocumented are settings here.
#[derive(Debug, Clone)]
pub struct RetailCrmEmulatorConfig {
    /// The API key it accepts (`X-API-KEY` header or `apiKey` query parameter).
    pub api_key: String,
    /// The site (store) codes that exist in the account.
    pub sites: Vec<String>,
    /// Order status codes that exist in the account.
    pub statuses: Vec<String>,
    /// Status for a wrong key (the SDKs see 403; a missing key is always 401).
    pub wrong_key_status: u16,
    /// When set, requests over this rate per key get 503 `Rate limit exceeded`, as the real
    /// API does over 10 req/s. Off by default so tests never depend on timing.
    pub rate_limit: Option<EmulatedRateLimit>,
}

impl Default for RetailCrmEmulatorConfig {
    fn default() -> Self {
        RetailCrmEmulatorConfig {
            api_key: "emulated-retailcrm-key".into(),
            sites: vec!["main".into()],
            statuses: [
                "new",
                "availability-confirmed",
                "assembling",
                "send-to-delivery",
                "delivering",
                "complete",
                "cancel-other",
            ]
            .map(String::from)
            .to_vec(),
            wrong_key_status: 403,
            rate_limit: None,
        }
    }
}

impl RetailCrmEmulatorConfig {
    /// The defaults with this key and one site.
    pub fn new(api_key: impl Into<String>, site: impl Into<String>) -> Self {
        RetailCrmEmulatorConfig {
            api_key: api_key.into(),
            sites: vec![site.into()],
            ..Default::default()
        }
    }
}

/// A failure answered as `{"success":false,"errorMsg":..,"errors":..}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
    pub errors: Option<Map<String, Value>>,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: &str) -> Self {
        ApiError {
            status,
            message: message.to_string(),
            errors: None,
        }
    }

    /// `Errors in the entity format` with one field error.
    pub(crate) fn entity(field: &str, problem: &str) -> Self {
        let mut errors = Map::new();
        errors.insert(field.to_string(), json!(problem));
        ApiError {
            status: 400,
            message: "Errors in the entity format".into(),
            errors: Some(errors),
        }
    }

    /// `Errors in the input parameters` with one parameter error.
    pub(crate) fn parameter(name: &str, problem: &str) -> Self {
        let mut errors = Map::new();
        errors.insert(name.to_string(), json!(problem));
        ApiError {
            status: 400,
            message: "Errors in the input parameters".into(),
            errors: Some(errors),
        }
    }

    pub(crate) fn not_found() -> Self {
        ApiError::new(404, "Not found")
    }

    pub(crate) fn body(&self) -> Value {
        let mut body = json!({"success": false, "errorMsg": self.message});
        if let Some(errors) = &self.errors {
            body["errors"] = Value::Object(errors.clone());
        }
        body
    }
}
