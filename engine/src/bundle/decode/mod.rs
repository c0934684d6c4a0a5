//! Decoding one bundle file's spanned tree into the validated [`Bundle`]: the top-level
//! keys here, each section in its own module, and the cross-checks (step references)
//! once every part is known. Every problem is collected; a bundle is returned only when
//! there are none.

mod condition;
mod connections;
mod dedup;
mod derived_mapping;
mod mapping;
mod references;
mod run_options;
mod steps;
mod trigger;
mod vars;
mod webhook;

use std::path::Path;

use super::catalog::Catalog;
use super::diagnostics::Diagnostic;
use super::model::{Bundle, RunOptions};
use super::reader::{Decoder, optional};
use super::yaml::{self, Location};
use references::{Scope, StepOutline, check_reads, check_var_reads};

/// One file's outcome: the bundle when valid, its id (even when other parts are not, so
/// duplicate ids across files are still found), and its problems.
pub(crate) struct DecodedFile {
    /// The bundle, when there are no problems.
    pub bundle: Option<Bundle>,
    /// The bundle id and where it is written.
    pub id: Option<(String, Location)>,
    /// Every problem, by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parse and decode one file's text.
pub(crate) fn decode_file(file: &Path, text: &str, catalog: &Catalog) -> DecodedFile {
    let mut dec = Decoder::new(file.to_path_buf());
    let (bundle, id) = match yaml::parse_document(text) {
        Ok(root) => decode_bundle(&mut dec, &root, file, catalog),
        Err(e) => {
            dec.error(e.at, "", e.message);
            (None, None)
        }
    };
    if bundle.is_none() && !dec.has_errors() {
        // Every part that fails to decode reports why; this guards that invariant so a
        // bundle can never be dropped without a word.
        debug_assert!(
            false,
            "bundle {} not decoded but no problem reported",
            file.display()
        );
        dec.error(
            Location { line: 1, column: 1 },
            "",
            "the bundle could not be read",
        );
    }
    let bundle = if dec.has_errors() { None } else { bundle };
    DecodedFile {
        bundle,
        id,
        diagnostics: dec.into_diagnostics(),
    }
}

fn decode_bundle(
    dec: &mut Decoder,
    root: &yaml::Node,
    file: &Path,
    catalog: &Catalog,
) -> (Option<Bundle>, Option<(String, Location)>) {
    let Some(mut map) = dec.map(root, "") else {
        return (None, None);
    };
    let id = map.require(dec, "id").and_then(|e| {
        let id = dec.string(e.value, &e.path)?;
        if !valid_bundle_id(&id) {
            dec.error(
                e.value_at(),
                &e.path,
                format!("bundle id `{id}` must start with a-z or 0-9 and hold only a-z, 0-9, `_` and `-`"),
            );
        }
        Some((id, e.value_at()))
    });
    let name = map
        .require(dec, "name")
        .and_then(|e| dec.non_empty_string(e.value, &e.path));
    let description = map
        .take("description")
        .map(|e| dec.string(e.value, &e.path));
    let enabled = map.take("enabled").map(|e| dec.boolean(e.value, &e.path));
    let connections = map
        .require(dec, "connections")
        .map(|e| connections::decode_connections(dec, &e, catalog));
    let no_connections = connections::ConnectionSpecs::new();
    let specs = connections.as_ref().map_or(&no_connections, |c| &c.specs);
    let mut before_steps = Vec::new();
    let trigger = map
        .require(dec, "trigger")
        .and_then(|e| trigger::decode_trigger(dec, &e, specs, &mut before_steps));
    check_reads(dec, &before_steps, Scope::BeforeSteps("the trigger key"));
    let (vars, var_names) = match map.take("vars") {
        Some(e) => vars::decode_vars(dec, &e),
        None => (Some(indexmap::IndexMap::new()), Vec::new()),
    };
    check_var_reads(dec, &before_steps, &var_names);
    let mut filter_reads = Vec::new();
    let filter = map
        .take("filter")
        .map(|e| condition::decode_condition(dec, e.value, &e.path, &mut filter_reads));
    check_reads(dec, &filter_reads, Scope::BeforeSteps("the filter"));
    check_var_reads(dec, &filter_reads, &var_names);
    let decoded_steps = map
        .require(dec, "steps")
        .map(|e| steps::decode_steps(dec, &e, specs))
        .unwrap_or_default();
    let outlines: Vec<StepOutline> = decoded_steps.iter().map(|s| s.outline.clone()).collect();
    for (index, step) in decoded_steps.iter().enumerate() {
        check_reads(
            dec,
            &step.reads,
            Scope::Step {
                index,
                steps: &outlines,
            },
        );
        check_var_reads(dec, &step.reads, &var_names);
    }
    let run = map
        .take("run")
        .map(|e| run_options::decode_run_options(dec, &e));
    map.finish(dec);

    let bundle = (|| {
        let steps = decoded_steps
            .into_iter()
            .map(|s| s.step)
            .collect::<Option<Vec<_>>>()?;
        Some(Bundle {
            id: id.clone()?.0,
            name: name?,
            description: optional(description)?,
            enabled: enabled.unwrap_or(Some(true))?,
            path: file.to_path_buf(),
            connections: connections?.connections,
            trigger: trigger?,
            vars: vars?,
            filter: optional(filter)?,
            steps,
            run: run.unwrap_or_else(|| Some(RunOptions::default()))?,
        })
    })();
    (bundle, id)
}

fn valid_bundle_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests;
