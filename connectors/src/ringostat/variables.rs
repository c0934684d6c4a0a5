//! Ringostat's system variables as a webhook carries them: UTM tags, the analytics client
//! id, the landing page and the project. Both triggers read them the same way, and the
//! form trigger uses [`is_system_variable`] to tell them from the form's own fields.

use serde_json::{Map, Value, json};

use crate::inbound::first_text;

/// The UTM item fields and the names a delivery may use for each.
pub(crate) const UTM: &[(&str, &[&str])] = &[
    ("utm_source", &["utm_source", "source"]),
    ("utm_medium", &["utm_medium", "medium"]),
    ("utm_campaign", &["utm_campaign", "campaign"]),
    ("utm_content", &["utm_content"]),
    ("utm_term", &["utm_term", "keyword"]),
];

/// Names of the Google Analytics client id.
pub(crate) const CLIENT_ID: &[&str] = &["client_id", "clientId", "ga_client_id", "ga", "cid"];
/// Names of the landing page.
pub(crate) const LANDING: &[&str] = &["landing", "landing_page", "page", "url", "page_url"];
/// Names of the project.
const PROJECT: &[&str] = &["project", "project_name"];

/// Names (besides every `utm_*` and `last_utm_*`) that are Ringostat variables rather than
/// fields of the site's form.
const SYSTEM: &[&str] = &[
    "client_id",
    "clientid",
    "ga_client_id",
    "ga",
    "cid",
    "landing",
    "landing_page",
    "page",
    "url",
    "page_url",
    "referrer",
    "refferrer",
    "remote_ip",
    "ip",
    "project",
    "project_name",
    "project_id",
    "form_name",
    "form_id",
    "submission_id",
    "date",
    "submitted_at",
    "created_at",
    "session_id",
    "roistat_visit",
    "roistat",
    "city",
    "country",
    "device",
    "substitution_type",
    "insertion_type",
];

/// Whether `name` is a Ringostat system variable (compared ignoring case).
pub(crate) fn is_system_variable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || lower.starts_with("last_utm_") || SYSTEM.contains(&lower.as_str())
}

/// What every item of a delivery may carry besides the body.
pub(crate) use crate::push_source::DeliveryContext as Context;

/// Add `utm_*`, `client_id` and `project` read from `source` to `item`.
pub(crate) fn add_tracking(
    item: &mut Map<String, Value>,
    source: &Map<String, Value>,
    context: Context<'_>,
) {
    for (name, aliases) in UTM {
        item.insert((*name).into(), json!(first_text(source, aliases)));
    }
    item.insert("client_id".into(), json!(first_text(source, CLIENT_ID)));
    let project = first_text(source, PROJECT).or(context.project.map(str::to_string));
    item.insert("project".into(), json!(project));
}
