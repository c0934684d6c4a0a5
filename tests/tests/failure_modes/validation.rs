//! Bundles that must not load: each problem is reported with the file, line and column
//! of the offending text, and a useful message.

use std::path::Path;

use ferry::bundle::{Diagnostics, parse_bundle};

/// A valid bundle; each test breaks one thing in it.
const VALID: &str = r#"id: leads-to-deals
name: Leads to deals
connections:
  api:
    kind: http
    base_url: "http://127.0.0.1:9"
    bearer_token: ${secret:API_TOKEN}
trigger:
  connection: api
  event: poll
  settings: { path: /leads, items_path: data.items }
steps:
  - id: deal
    action: api.request
    with:
      path: /deals
      body: { object: { lead: { from: item.id } } }
      outputs: { id: id }
  - id: note
    action: api.request
    with:
      path: "/deals/{{steps.deal.id}}/notes"
      body: { object: { text: "Lead {{item.id}}" } }
run: { concurrency: 4 }
"#;

fn problems(text: &str) -> Diagnostics {
    match parse_bundle(Path::new("bundles/leads.yaml"), text) {
        Ok(_) => panic!("expected the bundle to be refused:\n{text}"),
        Err(d) => d,
    }
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "test setup: `{from}` not in the bundle");
    text.replacen(from, to, 1)
}

#[test]
fn the_valid_bundle_loads() {
    parse_bundle(Path::new("bundles/leads.yaml"), VALID).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn invalid_yaml_is_reported_at_its_line_and_column() {
    let text = replace_once(VALID, "  event: poll\n", "  event: poll\n   settings: [ {\n");
    let d = problems(&text);
    println!("{d}");
}

#[test]
fn unknown_key_is_reported_with_a_suggestion() {
    let text = replace_once(VALID, "run: {", "rnu: {");
    let d = problems(&text);
    println!("{d}");
}

#[test]
fn wrong_type_is_reported_at_the_value() {
    let text = replace_once(VALID, "concurrency: 4", "concurrency: many");
    let d = problems(&text);
    println!("{d}");
}

#[test]
fn unknown_connection_is_reported() {
    let text = replace_once(VALID, "action: api.request\n    with:\n      path: /deals\n", "action: crm.request\n    with:\n      path: /deals\n");
    let d = problems(&text);
    println!("{d}");
}

#[test]
fn reference_to_a_later_step_is_reported() {
    let text = replace_once(VALID, "lead: { from: item.id }", "lead: \"{{steps.note.id}}\"");
    let d = problems(&text);
    println!("{d}");
}
