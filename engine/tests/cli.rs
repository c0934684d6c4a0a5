//! The `ferry` binary as an integrator runs it: `ferry validate` on a bundle with a
//! misspelled field names the file, line, column and field path, suggests the right name
//! and exits non-zero; a valid bundle passes with exit code 0. (Other suites run this same
//! binary, which cargo builds for this test with the workspace's test features.)

use std::path::Path;
use std::process::Command;

fn validate(path: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ferry"))
        .arg("validate")
        .arg(path)
        .output()
        .expect("run ferry");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

const BUNDLE: &str = r#"id: leads-to-deals
name: Leads to deals
connections:
  api: { kind: http, base_url: "http://127.0.0.1:9" }
trigger: { connection: api, event: poll, settings: { path: /items } }
steps:
  - id: deal
    action: api.request
    with: { method: POST, url: "/deals", body: { object: { phone: "{{item.phone}}" } } }
"#;

#[test]
fn validate_names_file_line_column_and_field_of_a_misspelled_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, BUNDLE).unwrap();
    let (ok, text) = validate(&good);
    assert!(ok, "{text}");

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, BUNDLE.replace("body:", "bodyy:")).unwrap();
    let (ok, text) = validate(&bad);
    assert!(!ok, "a misspelled field must fail validation: {text}");
    let expected = format!("{}:9:", bad.display());
    assert!(text.contains(&expected), "{text}");
    assert!(text.contains("steps[0].with.bodyy"), "{text}");
    assert!(text.contains("did you mean `body`?"), "{text}");
}
