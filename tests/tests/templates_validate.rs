//! Every bundle template under `bundles/` and every example under `examples/` validates,
//! all loaded together (as `ferry run bundles/ examples/` would) so that a bundle id used
//! by two files is caught too. Files are found at run time: adding a template adds it to
//! this test.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use ferry::bundle::load_bundles;
use support::binary::ferry_binary;
use support::repo_root;

/// The directories that hold bundle files.
const BUNDLE_DIRS: [&str; 2] = ["bundles", "examples"];

/// `*.yaml` / `*.yml` under `dir`, recursively, skipping hidden entries (what ferry reads).
fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            yaml_files(&path, found);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            found.push(path);
        }
    }
}

/// The existing bundle directories and the YAML files in them.
fn bundle_dirs_and_files() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let root = repo_root();
    let dirs: Vec<PathBuf> = BUNDLE_DIRS
        .iter()
        .map(|d| root.join(d))
        .filter(|d| d.is_dir())
        .collect();
    let mut files = Vec::new();
    for dir in &dirs {
        yaml_files(dir, &mut files);
    }
    files.sort();
    (dirs, files)
}

#[test]
fn every_template_and_example_validates() {
    let (dirs, files) = bundle_dirs_and_files();
    let templates = files
        .iter()
        .filter(|f| f.starts_with(repo_root().join("bundles")))
        .count();
    assert!(templates > 0, "no *.yaml templates found under bundles/");

    let bundles = load_bundles(&dirs).unwrap_or_else(|problems| {
        panic!(
            "{} problem(s) in the shipped bundle files:\n{problems}",
            problems.len()
        )
    });

    // Every file was read as exactly one bundle: none skipped, none read twice.
    let loaded: BTreeSet<PathBuf> = bundles.iter().map(|b| b.path.clone()).collect();
    let expected: BTreeSet<PathBuf> = files.iter().cloned().collect();
    assert_eq!(
        loaded, expected,
        "the files ferry read differ from the YAML files on disk"
    );
    assert_eq!(bundles.len(), files.len());
    let ids: BTreeSet<&str> = bundles.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids.len(), bundles.len(), "bundle ids are unique");
}

#[test]
fn ferry_validate_accepts_every_template_and_example() {
    let binary = ferry_binary();
    let (dirs, files) = bundle_dirs_and_files();
    let output = Command::new(&binary)
        .arg("validate")
        .args(&dirs)
        .current_dir(repo_root())
        .output()
        .expect("run ferry validate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "ferry validate failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains(&format!("{} bundle(s) valid", files.len())),
        "{stdout}"
    );
}
