//! Realistic Alfa-Track deliveries for tests and demos: a new request as soon as the lead
//! is seen, and the tracking update that follows it, as JSON or form-encoded.
//!
//! Every function returns `(content type, body)`. Ids are the caller's, so a test can link
//! an enrichment to its request and post the same body twice as a re-delivery.

use serde_json::json;

use crate::inbound::{FORM, JSON, form_body};

const PROJECT: &str = "shop.example.ru";
const SENT_AT: &str = "2024-05-14 10:31:05";

/// A new request `request_id` of `request_type` (`form`, `phone`, `chat`, `offline`) with
/// the client's `phone` and `email` (either may be empty), before any tracking data is
/// known; as JSON.
pub fn request(
    request_id: &str,
    request_type: &str,
    phone: &str,
    email: &str,
) -> (&'static str, Vec<u8>) {
    let body = json!({
        "id": request_id,
        "type": request_type,
        "phone": phone,
        "email": email,
        "name": "Ivan Petrov",
        "subject": "Order",
        "message": "Please call me back",
        "project": PROJECT,
        "sent_at": SENT_AT,
    });
    (JSON, body.to_string().into_bytes())
}

/// The same as [`request`], form-encoded.
pub fn request_form(
    request_id: &str,
    request_type: &str,
    phone: &str,
    email: &str,
) -> (&'static str, Vec<u8>) {
    let body = form_body([
        ("id", request_id.to_string()),
        ("type", request_type.to_string()),
        ("phone", phone.to_string()),
        ("email", email.to_string()),
        ("name", "Ivan Petrov".to_string()),
        ("project", PROJECT.to_string()),
        ("sent_at", SENT_AT.to_string()),
    ]);
    (FORM, body)
}

/// The tracking update for request `request_id` (whose client wrote from `email`): ad
/// source `utm_source` and Google Analytics `client_id`; as JSON.
pub fn enrichment(
    request_id: &str,
    email: &str,
    utm_source: &str,
    client_id: &str,
) -> (&'static str, Vec<u8>) {
    let body = json!({
        "request_id": request_id,
        "email": email,
        "project": PROJECT,
        "utm_source": utm_source,
        "utm_medium": "cpc",
        "utm_campaign": "spring_sale",
        "utm_content": "banner_1",
        "utm_term": "buy sofa",
        "client_id": client_id,
        "city": "Moscow",
        "device_category": "desktop",
    });
    (JSON, body.to_string().into_bytes())
}
