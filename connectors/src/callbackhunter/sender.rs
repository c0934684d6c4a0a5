//! Realistic CallbackHunter deliveries for tests and demos: what the widget posts for a
//! finished call or chat, as JSON or form-encoded. Each call or chat gets a fresh id, so
//! posting the same returned body twice is a re-delivery of one request.
//!
//! Every function returns `(content type, body)`.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::inbound::{FORM, JSON, form_body};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> String {
    (700_000 + NEXT_ID.fetch_add(1, Ordering::Relaxed)).to_string()
}

const CREATED_AT: &str = "2024-05-14 10:31:05";
const SITE: &str = "shop.example.ru";

/// A finished call of `duration` seconds from `phone`, as JSON.
pub fn call(duration: u64, phone: &str) -> (&'static str, Vec<u8>) {
    let body = json!({
        "id": next_id(),
        "type": "call",
        "phone": phone,
        "duration": duration,
        "created_at": CREATED_AT,
        "site": SITE,
    });
    (JSON, body.to_string().into_bytes())
}

/// The same as [`call`], form-encoded.
pub fn call_form(duration: u64, phone: &str) -> (&'static str, Vec<u8>) {
    let body = form_body([
        ("id", next_id()),
        ("type", "call".to_string()),
        ("phone", phone.to_string()),
        ("duration", duration.to_string()),
        ("created_at", CREATED_AT.to_string()),
        ("site", SITE.to_string()),
    ]);
    (FORM, body)
}

/// A finished chat with `phone` (empty: the visitor left none) and `messages` as
/// `(author, text)` pairs, author `visitor`, `manager` or `system`; as JSON.
pub fn chat(phone: &str, messages: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
    let list: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(n, (author, text))| {
            json!({"author": author, "text": text, "at": format!("2024-05-14 10:{:02}:00", 30 + n % 30)})
        })
        .collect();
    let mut body = json!({
        "id": next_id(),
        "type": "chat",
        "messages": list,
        "created_at": CREATED_AT,
        "site": SITE,
    });
    if !phone.is_empty() {
        body["phone"] = json!(phone);
    }
    (JSON, body.to_string().into_bytes())
}

/// The same as [`chat`], form-encoded with `messages[N][author]` / `messages[N][text]`
/// keys.
pub fn chat_form(phone: &str, messages: &[(&str, &str)]) -> (&'static str, Vec<u8>) {
    let mut pairs: Vec<(String, String)> = vec![
        ("id".into(), next_id()),
        ("type".into(), "chat".into()),
        ("created_at".into(), CREATED_AT.into()),
    ];
    if !phone.is_empty() {
        pairs.push(("phone".into(), phone.into()));
    }
    for (n, (author, text)) in messages.iter().enumerate() {
        pairs.push((format!("messages[{n}][author]"), author.to_string()));
        pairs.push((format!("messages[{n}][text]"), text.to_string()));
    }
    let body = form_body(pairs.iter().map(|(k, v)| (k.as_str(), v.clone())));
    (FORM, body)
}
