//! What an emulator saw: every request with its method, path, query, headers and body, so
//! tests assert the exact wire format a connector sent (paths, auth headers, form fields,
//! JSON bodies) and how many requests it took.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::Value;

/// One request as it reached the emulator.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the query (`/api/v5/customers`).
    pub path: String,
    /// The raw query string (still percent-encoded), empty when there was none.
    pub raw_query: String,
    /// Decoded query pairs in order (a key repeats for list parameters like `filter[ids][]`).
    pub query: Vec<(String, String)>,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body as received.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated query parameter.
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A header value (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body decoded as `application/x-www-form-urlencoded` pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_pairs(&self.body_text())
    }

    /// One form field.
    pub fn form_field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A form field that holds a JSON document (retailCRM's `customer=`, `order=`).
    pub fn form_json(&self, name: &str) -> Option<Value> {
        serde_json::from_str(&self.form_field(name)?).ok()
    }

    /// Method, path and query as one line, for failure messages.
    pub fn line(&self) -> String {
        if self.raw_query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.raw_query)
        }
    }
}

/// A request's headers as `(lower-case name, value)` pairs, in the order received; a value
/// that is not UTF-8 is kept lossily (the log is for reading, not replaying).
pub fn header_pairs(headers: &axum::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Decode `a=1&b=2` (query strings and form bodies), keeping order and repeats.
pub fn decode_pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

/// The shared, append-only log of an emulator's requests. Cloning shares the log.
#[derive(Debug, Clone, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl RequestLog {
    /// An empty log.
    pub fn new() -> Self {
        RequestLog::default()
    }

    /// Append a request.
    pub fn record(&self, request: RecordedRequest) {
        self.lock().push(request);
    }

    /// Every request so far, oldest first.
    pub fn all(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    /// How many requests arrived.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no request arrived.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The latest request.
    pub fn last(&self) -> Option<RecordedRequest> {
        self.lock().last().cloned()
    }

    /// Requests with this method and path.
    pub fn matching(&self, method: &str, path: &str) -> Vec<RecordedRequest> {
        self.lock()
            .iter()
            .filter(|r| r.method == method && r.path == path)
            .cloned()
            .collect()
    }

    /// Forget everything recorded so far.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_form_and_json_helpers_decode_real_shapes() {
        let request = RecordedRequest {
            method: "POST".into(),
            path: "/api/v5/orders/create".into(),
            raw_query: "filter%5Bids%5D%5B%5D=1&filter%5Bids%5D%5B%5D=2".into(),
            query: decode_pairs("filter%5Bids%5D%5B%5D=1&filter%5Bids%5D%5B%5D=2"),
            headers: vec![("x-api-key".into(), "k".into())],
            body: Bytes::from("site=main&order=%7B%22status%22%3A%22new%22%7D"),
        };
        assert_eq!(request.query_all("filter[ids][]"), vec!["1", "2"]);
        assert_eq!(request.header("X-API-KEY"), Some("k"));
        assert_eq!(request.form_field("site").as_deref(), Some("main"));
        assert_eq!(request.form_json("order").unwrap()["status"], "new");
        assert!(request.json().is_none());
    }
}
