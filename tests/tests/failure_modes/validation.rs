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
    assert!(
        text.contains(from),
        "test setup: `{from}` not in the bundle"
    );
    text.replacen(from, to, 1)
}

#[test]
fn the_valid_bundle_loads() {
    parse_bundle(Path::new("bundles/leads.yaml"), VALID).unwrap_or_else(|d| panic!("{d}"));
}

/// 1-based line and column of the first `needle` in `text`.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |nl| nl + 1) + 1;
    (line, column)
}

/// The first problem reported, checked to be in the bundle's file, at the first `needle`
/// of `text`, and about the field `path`; returned as the line `ferry validate` prints.
fn assert_problem_at(d: &Diagnostics, text: &str, needle: &str, path: &str) -> String {
    let first = d.iter().next().unwrap_or_else(|| panic!("no diagnostic"));
    assert_eq!(first.file, Path::new("bundles/leads.yaml"), "{d}");
    assert_eq!((first.line, first.column), position_of(text, needle), "{d}");
    assert_eq!(first.path, path, "{d}");
    first.to_string()
}

#[test]
fn invalid_yaml_is_reported_at_its_line_and_column() {
    let text = replace_once(
        VALID,
        "  event: poll\n",
        "  event: poll\n   settings: [ {\n",
    );
    let d = problems(&text);
    assert_eq!(d.len(), 1, "{d}");
    let line = assert_problem_at(&d, &text, ": [ {", "");
    assert!(
        line.starts_with("bundles/leads.yaml:11:12: invalid YAML: "),
        "{line}"
    );
}

#[test]
fn unknown_key_is_reported_with_a_suggestion() {
    let text = replace_once(VALID, "run: {", "rnu: {");
    let d = problems(&text);
    assert_eq!(d.len(), 1, "{d}");
    let line = assert_problem_at(&d, &text, "rnu", "rnu");
    assert_eq!(
        line,
        "bundles/leads.yaml:24:1 rnu: unknown key `rnu` (did you mean `run`?)"
    );
}

#[test]
fn wrong_type_is_reported_at_the_value() {
    let text = replace_once(VALID, "concurrency: 4", "concurrency: many");
    let d = problems(&text);
    assert_eq!(d.len(), 1, "{d}");
    let line = assert_problem_at(&d, &text, "many", "run.concurrency");
    assert!(
        line.ends_with("run.concurrency: expected a whole number, found a string"),
        "{line}"
    );
}

#[test]
fn unknown_connection_is_reported() {
    let text = replace_once(VALID, "action: api.request", "action: crm.request");
    let d = problems(&text);
    let line = assert_problem_at(&d, &text, "crm.request", "steps[0].action");
    assert!(
        line.ends_with("unknown connection `crm`; `connections` defines: api"),
        "{line}"
    );
}

#[test]
fn reference_to_a_later_step_is_reported() {
    let text = replace_once(
        VALID,
        "lead: { from: item.id }",
        "lead: \"{{steps.note.id}}\"",
    );
    let d = problems(&text);
    assert_eq!(d.len(), 1, "{d}");
    let line = assert_problem_at(
        &d,
        &text,
        "\"{{steps.note.id}}",
        "steps[0].with.body.object.lead",
    );
    assert!(line.contains("step `note` runs after this one"), "{line}");
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let text = replace_once(VALID, "concurrency: 4", "concurrency: many");
    let text = replace_once(&text, "name: Leads", "nmae: Leads");
    let d = problems(&text);
    let paths: Vec<&str> = d.iter().map(|p| p.path.as_str()).collect();
    assert!(
        paths.contains(&"nmae") && paths.contains(&"run.concurrency"),
        "{d}"
    );
    // Lines come in file order.
    let lines: Vec<usize> = d.iter().map(|p| p.line).collect();
    assert!(lines.is_sorted(), "{d}");
}
