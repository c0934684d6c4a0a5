//! Every bundle template under `bundles/` and every example under `examples/` validates,
//! all loaded together (as `ferry run bundles/ examples/` would) so that a bundle id used
//! by two files is caught too. Files are found at run time: adding a template adds it to
//! this test.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use ferry::bundle::load_bundles;
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

/// The newest modification time of any file under `dir`.
fn newest_source(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return newest;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let modified = if path.is_dir() {
            newest_source(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH)
        };
        newest = newest.max(modified);
    }
    newest
}

/// The `ferry` binary of this build (`target/<profile>/ferry`, next to the `deps/`
/// directory this test runs from), when it exists and is newer than the sources. Cargo
/// builds it only for the engine's own tests, so it may be absent or stale here.
fn fresh_ferry_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let binary = exe
        .parent()?
        .parent()?
        .join(format!("ferry{}", std::env::consts::EXE_SUFFIX));
    let built = binary.metadata().and_then(|m| m.modified()).ok()?;
    let root = repo_root();
    let sources =
        newest_source(&root.join("engine/src")).max(newest_source(&root.join("connectors/src")));
    (built >= sources).then_some(binary)
}

#[test]
fn ferry_validate_accepts_every_template_and_example() {
    let Some(binary) = fresh_ferry_binary() else {
        eprintln!(
            "skipped: no up-to-date target/*/ferry binary (build it with `cargo build -p ferry`)"
        );
        return;
    };
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
