//! The `ferry` binary for tests that run it as a process. `cargo test --workspace` builds
//! it fresh (the engine has an integration test, `engine/tests/cli.rs`, so cargo builds
//! its binary with the same features as everything else); a test run of this package alone
//! may find it missing or older than the sources, and then builds it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use super::repo_root;

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

/// Where this build keeps the binary: `target/<profile>/ferry`, next to the `deps/`
/// directory the test runs from.
fn binary_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    exe.parent()
        .and_then(|d| d.parent())
        .expect("target profile dir")
        .join(format!("ferry{}", std::env::consts::EXE_SUFFIX))
}

/// The binary when it exists and is newer than every source of the engine and the
/// connectors.
fn fresh_ferry_binary() -> Option<PathBuf> {
    let binary = binary_path();
    let built = binary.metadata().and_then(|m| m.modified()).ok()?;
    let root = repo_root();
    let sources =
        newest_source(&root.join("engine/src")).max(newest_source(&root.join("connectors/src")));
    (built >= sources).then_some(binary)
}

/// The binary, built first when it is missing or stale.
pub fn ferry_binary() -> PathBuf {
    if let Some(binary) = fresh_ferry_binary() {
        return binary;
    }
    let status = Command::new(env!("CARGO"))
        .args(["build", "-q", "-p", "ferry", "--bin", "ferry"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building the ferry binary failed");
    binary_path()
}
