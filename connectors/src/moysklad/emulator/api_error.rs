//! MoySklad's error replies as the emulator builds them:
//! `{"errors":[{"error","code","parameter","moreInfo"}]}` with the HTTP status.

use serde_json::{Value, json};

/// A MoySklad error reply: status plus one `errors` entry.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// MoySklad error code.
    pub code: i64,
    /// Error text.
    pub error: String,
    /// The parameter the error is about.
    pub parameter: Option<String>,
}

impl ApiError {
    /// An error with this status, code and text.
    pub fn new(status: u16, code: i64, error: String) -> Self {
        ApiError {
            status,
            code,
            error,
            parameter: None,
        }
    }

    /// Name the parameter.
    pub fn with_parameter(mut self, parameter: &str) -> Self {
        self.parameter = Some(parameter.to_string());
        self
    }

    /// `Объект с типом '…' и идентификатором '…' не найден` (1021, HTTP 404).
    pub fn not_found(kind: &str, id: &str) -> Self {
        ApiError::new(
            404,
            1021,
            format!("Объект с типом '{kind}' и идентификатором '{id}' не найден"),
        )
    }

    /// A required field is missing (3000, HTTP 412).
    pub fn required(field: &str) -> Self {
        ApiError::new(
            412,
            3000,
            format!(
                "Ошибка сохранения объекта: поле '{field}' не может быть пустым или отсутствовать"
            ),
        )
        .with_parameter(field)
    }

    /// The JSON body MoySklad sends.
    pub fn body(&self) -> Value {
        let mut entry = json!({
            "error": self.error,
            "code": self.code,
            "moreInfo": format!("https://api.moysklad.ru/api/remap/1.2/doc#обработка-ошибок-{}", self.code),
        });
        if let Some(p) = &self.parameter {
            entry["parameter"] = json!(p);
        }
        json!({ "errors": [entry] })
    }
}
