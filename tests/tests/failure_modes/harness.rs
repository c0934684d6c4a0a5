//! What the failure-mode tests share: the canary token, an inline `http` bundle from the
//! test API's leads to its deals, and readers of the run history.

use std::path::Path;

use ferry::bundle::{Bundle, parse_bundle};
use ferry::store::{ItemDetail, RunQuery, Store};
use serde_json::{Value, json};

use crate::fake_api::FakeApi;
use crate::support::World;

/// The connection's bearer token. It contains characters that every encoding changes
/// (`/`, `+`, `"`, `&`, `=`), so its raw, percent-encoded and JSON-escaped forms differ.
pub const TOKEN: &str = "Zq8s3cr3t/Tok+en\"x&y=z";

/// A world whose secrets file holds [`TOKEN`] as `API_TOKEN`.
pub fn world() -> World {
    let mut world = World::new();
    world.secrets.set_secret("API_TOKEN", TOKEN);
    world
}

/// A lead as the test API lists it.
pub fn lead(id: i64, phone: &str) -> Value {
    json!({"id": id, "phone": phone, "status": "new"})
}

/// The connection and trigger every test bundle shares: leads polled from the test API
/// with cursor pagination. `{BASE}` is replaced by the API's address.
const HEAD: &str = r#"
name: Leads to deals
connections:
  api:
    kind: http
    base_url: "{BASE}"
    bearer_token: ${secret:API_TOKEN}
trigger:
  connection: api
  event: poll
  settings:
    path: /leads
    items_path: data.items
    pagination: { style: cursor_after_id, param: since_id }
    page_size: {PAGE_SIZE}
    limit_param: limit
"#;

/// The usual chain: one deal per lead.
pub const DEAL_STEP: &str = r#"
steps:
  - id: deal
    action: api.request
    with:
      path: /deals
      body:
        object:
          lead: { from: item.id }
          phone: { from: item.phone }
      outputs: { id: id }
run: { concurrency: 8, max_attempts: 5, backoff_initial: 1s, backoff_max: 4s }
"#;

/// The bundle `id` built from [`HEAD`] and `rest` (filter, steps, run options).
pub fn http_bundle(api: &FakeApi, id: &str, rest: &str) -> Bundle {
    http_bundle_paged(api, id, 100, rest)
}

/// [`http_bundle`] reading `page_size` leads per page.
pub fn http_bundle_paged(api: &FakeApi, id: &str, page_size: u32, rest: &str) -> Bundle {
    let head = HEAD
        .replace("{BASE}", &api.base_url())
        .replace("{PAGE_SIZE}", &page_size.to_string());
    let text = format!("id: {id}{head}{rest}");
    parse_bundle(Path::new("inline/leads-to-deals.yaml"), &text)
        .unwrap_or_else(|d| panic!("test bundle does not validate:\n{d}\n---\n{text}"))
}

/// Every item of every run, oldest run first.
pub async fn all_items(store: &dyn Store) -> Vec<ItemDetail> {
    let mut runs = store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 0,
        })
        .await
        .expect("list runs");
    runs.reverse();
    let mut items = Vec::new();
    for run in runs {
        let detail = store
            .run_detail(run.id)
            .await
            .expect("run detail")
            .expect("run exists");
        items.extend(detail.items);
    }
    items
}

/// The item with this key.
pub async fn item(store: &dyn Store, key: &str) -> ItemDetail {
    all_items(store)
        .await
        .into_iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no item with key {key}"))
}

/// Whether `text` contains the token in any form it could travel in: raw, JSON-escaped,
/// form-encoded (`application/x-www-form-urlencoded`) or percent-encoded (RFC 3986).
pub fn leaks_token(text: &str) -> bool {
    leaks(text, TOKEN)
}

/// Whether `text` contains `secret` in any form it could travel in (see [`leaks_token`]).
pub fn leaks(text: &str, secret: &str) -> bool {
    let json_escaped = serde_json::to_string(secret).expect("string");
    let json_inner = json_escaped.trim_matches('"');
    let form_encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let percent_encoded: String = secret
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    [
        secret,
        json_inner,
        form_encoded.as_str(),
        percent_encoded.as_str(),
    ]
    .iter()
    .any(|form| text.contains(form))
}
