//! Reading bundle files from disk: files or directories (searched recursively for
//! `*.yaml` / `*.yml`, in sorted order), every problem in every file collected, and bundle
//! ids checked for uniqueness across files (a bundle's cursor and history belong to its id).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::catalog::Catalog;
use super::decode::decode_file;
use super::diagnostics::{Diagnostic, Diagnostics};
use super::model::Bundle;

/// Read and validate the bundles in `paths` (files, or directories searched recursively
/// for `*.yaml` and `*.yml`), against every connector in the registry.
pub fn load_bundles(paths: &[PathBuf]) -> Result<Vec<Bundle>, Diagnostics> {
    load_bundles_with(paths, &Catalog::registry())
}

/// [`load_bundles`] against the connector specs in `catalog`.
pub fn load_bundles_with(paths: &[PathBuf], catalog: &Catalog) -> Result<Vec<Bundle>, Diagnostics> {
    let mut diagnostics = Vec::new();
    let files = bundle_files(paths, &mut diagnostics);
    let mut bundles = Vec::new();
    let mut first_file_of_id: HashMap<String, PathBuf> = HashMap::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) => {
                diagnostics.push(file_problem(&file, format!("cannot read the file: {e}")));
                continue;
            }
        };
        let mut decoded = decode_file(&file, &text, catalog);
        if let Some((id, at)) = &decoded.id {
            if let Some(first) = first_file_of_id.get(id) {
                decoded.diagnostics.push(Diagnostic {
                    file: file.clone(),
                    line: at.line,
                    column: at.column,
                    path: "id".into(),
                    message: format!(
                        "bundle id `{id}` is already used by {}; ids must be unique because a bundle's cursor and history belong to its id",
                        first.display()
                    ),
                    suggestion: None,
                });
                decoded.bundle = None;
                decoded.diagnostics.sort_by_key(|d| (d.line, d.column));
            } else {
                first_file_of_id.insert(id.clone(), file.clone());
            }
        }
        diagnostics.extend(decoded.diagnostics);
        bundles.extend(decoded.bundle);
    }
    if diagnostics.is_empty() {
        Ok(bundles)
    } else {
        Err(Diagnostics(diagnostics))
    }
}

/// Validate one file's text against every connector in the registry.
pub fn parse_bundle(file: &Path, text: &str) -> Result<Bundle, Diagnostics> {
    parse_bundle_with(file, text, &Catalog::registry())
}

/// [`parse_bundle`] against the connector specs in `catalog`.
pub fn parse_bundle_with(
    file: &Path,
    text: &str,
    catalog: &Catalog,
) -> Result<Bundle, Diagnostics> {
    let decoded = decode_file(file, text, catalog);
    match decoded.bundle {
        Some(bundle) if decoded.diagnostics.is_empty() => Ok(bundle),
        _ => Err(Diagnostics(decoded.diagnostics)),
    }
}

/// The files to read: given files as they are, directories expanded; each file once.
fn bundle_files(paths: &[PathBuf], diagnostics: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            collect_dir(path, &mut files, diagnostics);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            diagnostics.push(file_problem(path, "no such file or directory".into()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.clone())));
    files
}

/// `*.yaml` and `*.yml` under `dir`, sorted; hidden entries (`.git`, editor files) skipped.
fn collect_dir(dir: &Path, files: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            diagnostics.push(file_problem(dir, format!("cannot read the directory: {e}")));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_dir(&path, files, diagnostics);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
}

fn file_problem(file: &Path, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_path_buf(),
        line: 0,
        column: 0,
        path: String::new(),
        message,
        suggestion: None,
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::bundle::test_specs::catalog;

    const BUNDLE: &str = r#"id: ID
name: N
connections:
  calls: { kind: calltrack, site_id: "1", token: "${secret:T}" }
  shop: { kind: crm, url: "https://x.example", api_key: "${env:K}" }
trigger: { connection: calls, event: new_call, settings: { direction: in } }
steps:
  - id: customer
    action: shop.create_customer
    with: { first_name: "{{item.name}}" }
"#;

    fn write(path: &Path, id: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, BUNDLE.replace("ID", id)).unwrap();
    }

    #[test]
    fn directories_are_searched_recursively_in_sorted_order() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("b.yaml"), "b");
        write(&dir.path().join("a/z.yml"), "az");
        write(&dir.path().join("a.yaml"), "a");
        write(&dir.path().join(".hidden/h.yaml"), "hidden");
        write(&dir.path().join("notes.txt"), "txt");
        let bundles = load_bundles_with(&[dir.path().to_path_buf()], &catalog()).unwrap();
        let ids: Vec<&str> = bundles.iter().map(|b| b.id.as_str()).collect();
        assert_eq!(ids, ["az", "a", "b"]);
        assert_eq!(bundles[0].path, dir.path().join("a/z.yml"));
        // A file named both directly and through its directory is read once.
        let again = load_bundles_with(
            &[dir.path().join("b.yaml"), dir.path().to_path_buf()],
            &catalog(),
        )
        .unwrap();
        assert_eq!(again.len(), 3);
    }

    #[test]
    fn duplicate_bundle_ids_across_files_are_reported_at_the_second() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("one.yaml"), "same");
        write(&dir.path().join("two.yaml"), "same");
        let err = load_bundles_with(&[dir.path().to_path_buf()], &catalog()).unwrap_err();
        assert_eq!(err.len(), 1, "{err}");
        let expected = format!(
            "{}:1:5 id: bundle id `same` is already used by {}; ids must be unique because a bundle's cursor and history belong to its id",
            dir.path().join("two.yaml").display(),
            dir.path().join("one.yaml").display()
        );
        assert_eq!(err.0[0].to_string(), expected);
    }

    #[test]
    fn every_problem_in_every_file_is_collected() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("a.yaml"),
            BUNDLE.replace("ID", "a").replace("steps:", "stpes:"),
        )
        .unwrap();
        fs::write(dir.path().join("b.yaml"), "id: [").unwrap();
        write(&dir.path().join("c.yaml"), "c");
        let missing = dir.path().join("missing.yaml");
        let err = load_bundles_with(&[dir.path().to_path_buf(), missing.clone()], &catalog())
            .unwrap_err();
        let files: Vec<PathBuf> = err.iter().map(|d| d.file.clone()).collect();
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        assert_eq!(files, [missing.clone(), a.clone(), a, b]);
        assert_eq!(
            err.0[0].to_string(),
            format!("{}: no such file or directory", missing.display())
        );
        assert!(err.0[3].message.starts_with("invalid YAML"), "{}", err.0[3]);
    }

    #[test]
    fn parse_bundle_checks_one_text() {
        let err = parse_bundle_with(Path::new("x.yaml"), "- a\n- b\n", &catalog()).unwrap_err();
        assert_eq!(err.to_string(), "x.yaml:1:1: expected a map, found a list");
        assert!(
            parse_bundle_with(Path::new("x.yaml"), &BUNDLE.replace("ID", "x"), &catalog()).is_ok()
        );
    }
}
