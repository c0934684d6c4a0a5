//! `ferry validate PATH...`: every problem in every file, at once.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use super::CliError;
use crate::bundle::load_bundles;

/// Validate and report.
pub fn execute(paths: &[PathBuf], json_output: bool) -> Result<ExitCode, CliError> {
    match load_bundles(paths) {
        Ok(bundles) => {
            if json_output {
                let list: Vec<_> = bundles
                    .iter()
                    .map(|b| json!({"id": b.id, "name": b.name, "file": b.path, "enabled": b.enabled, "steps": b.steps.len()}))
                    .collect();
                println!("{}", json!({"ok": true, "bundles": list}));
            } else {
                for b in &bundles {
                    println!(
                        "ok  {}  {} ({}, {} steps)",
                        b.path.display(),
                        b.id,
                        b.name,
                        b.steps.len()
                    );
                }
                println!("{} bundle(s) valid", bundles.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            if json_output {
                let list: Vec<_> = diagnostics
                    .0
                    .iter()
                    .map(|d| {
                        json!({"file": d.file, "line": d.line, "column": d.column, "path": d.path,
                               "message": d.message, "suggestion": d.suggestion})
                    })
                    .collect();
                println!("{}", json!({"ok": false, "problems": list}));
            } else {
                for d in &diagnostics.0 {
                    eprintln!("{d}");
                }
                eprintln!("{} problem(s) found", diagnostics.0.len());
            }
            Ok(ExitCode::FAILURE)
        }
    }
}
