//! What expressions read, and whether they may read it. Mappings, conditions and templates
//! record every [`FieldPath`] they read as a [`Read`]; once all steps are known, each read
//! is checked against its [`Scope`]: the filter and the trigger key see only `item` and
//! `bundle`, and a step sees the outputs of the steps before it, nothing later.

use crate::bundle::diagnostics::closest;
use crate::bundle::reader::Decoder;
use crate::bundle::yaml::Location;
use crate::expr::{FieldPath, PathRoot, Template};

/// The fields of `bundle` an expression can read.
const BUNDLE_FIELDS: &[&str] = &["id", "name"];

/// One path an expression reads, and where it was written.
#[derive(Debug, Clone)]
pub(super) struct Read {
    /// The path read.
    pub path: FieldPath,
    /// Where it was written.
    pub at: Location,
    /// The field path of the bundle key it was written in.
    pub field: String,
}

/// Parse a field path written in the bundle (`item.phone`, `phone`, `steps.customer.id`)
/// and record it as read.
pub(super) fn decode_path(
    dec: &mut Decoder,
    text: &str,
    at: Location,
    field: &str,
    reads: &mut Vec<Read>,
) -> Option<FieldPath> {
    if text.contains("{{") || text.contains("}}") {
        dec.error(
            at,
            field,
            format!("`{text}` is a template; a path is written without braces, like item.phone"),
        );
        return None;
    }
    if text.trim().contains(char::is_whitespace) {
        dec.error(
            at,
            field,
            format!("`{text}` is not a field path: paths have no spaces"),
        );
        return None;
    }
    match FieldPath::parse(text) {
        Ok(path) => {
            reads.push(Read {
                path: path.clone(),
                at,
                field: field.to_string(),
            });
            Some(path)
        }
        Err(message) => {
            dec.error(at, field, message);
            None
        }
    }
}

/// Compile a template written in the bundle and record every path it reads.
pub(super) fn decode_template(
    dec: &mut Decoder,
    text: &str,
    at: Location,
    field: &str,
    reads: &mut Vec<Read>,
) -> Option<Template> {
    match Template::compile(text) {
        Ok(template) => {
            for path in template.references() {
                reads.push(Read {
                    path,
                    at,
                    field: field.to_string(),
                });
            }
            Some(template)
        }
        Err(e) => {
            dec.error(at, field, format!("template does not compile: {e}"));
            None
        }
    }
}

/// What a step is, as far as later steps' references are concerned.
#[derive(Debug, Clone)]
pub(super) struct StepOutline {
    /// Its id (absent when the id itself was invalid).
    pub id: Option<String>,
    /// `connection.action`, for messages.
    pub action: String,
    /// What it produces; `None` when unknown (its action could not be resolved), in which
    /// case fields read from it are not checked, to avoid a cascade of follow-on errors.
    pub outputs: Option<Vec<String>>,
}

/// Where an expression is evaluated.
#[derive(Debug, Clone, Copy)]
pub(super) enum Scope<'a> {
    /// Before any step runs (the filter, the trigger key), named for messages.
    BeforeSteps(&'static str),
    /// In step `index` of `steps`.
    Step {
        /// The step's position.
        index: usize,
        /// Every step of the bundle.
        steps: &'a [StepOutline],
    },
}

/// Report every read that `scope` cannot satisfy.
pub(super) fn check_reads(dec: &mut Decoder, reads: &[Read], scope: Scope<'_>) {
    for read in reads {
        if let Err((message, suggestion)) = check_read(&read.path, scope) {
            dec.error_suggesting(read.at, &read.field, message, suggestion);
        }
    }
}

/// Report every `vars.<name>` read whose name is not among `known` (for a var's own
/// expression, the vars declared before it).
pub(super) fn check_var_reads(dec: &mut Decoder, reads: &[Read], known: &[String]) {
    for read in reads {
        if read.path.root() != PathRoot::Vars {
            continue;
        }
        let Some(name) = read.path.segments().first() else {
            continue;
        };
        if !known.iter().any(|k| k == name) {
            let mut message = format!(
                "`{}`: no var `{name}` is declared before this point",
                read.path
            );
            if !known.is_empty() {
                message.push_str(&format!("; declared: {}", known.join(", ")));
            }
            let suggestion =
                closest(name, known.iter().map(String::as_str)).map(|n| format!("vars.{n}"));
            dec.error_suggesting(read.at, &read.field, message, suggestion);
        }
    }
}

type Problem = (String, Option<String>);

fn check_read(path: &FieldPath, scope: Scope<'_>) -> Result<(), Problem> {
    match path.root() {
        PathRoot::Item => Ok(()),
        // Derived values are checked against the declared `vars` separately
        // (`check_var_reads`), since every scope may read them.
        PathRoot::Vars => Ok(()),
        PathRoot::Bundle => match path.segments().first() {
            Some(field) if !BUNDLE_FIELDS.contains(&field.as_str()) => Err((
                format!("`{path}`: the bundle has only `bundle.id` and `bundle.name`"),
                closest(field, BUNDLE_FIELDS.iter().copied()).map(|f| format!("bundle.{f}")),
            )),
            _ => Ok(()),
        },
        PathRoot::Steps => {
            let Some((id, field)) = path.step_reference() else {
                return Ok(());
            };
            match scope {
                Scope::BeforeSteps(what) => Err((
                    format!(
                        "{what} is evaluated before any step runs, so it can read only item.* \
                         and bundle.*, not `{path}`"
                    ),
                    None,
                )),
                Scope::Step { index, steps } => check_step_read(path, id, field, index, steps),
            }
        }
    }
}

fn check_step_read(
    path: &FieldPath,
    id: &str,
    field: Option<&str>,
    index: usize,
    steps: &[StepOutline],
) -> Result<(), Problem> {
    let position = steps.iter().position(|s| s.id.as_deref() == Some(id));
    let Some(position) = position else {
        let ids = steps[..index].iter().filter_map(|s| s.id.as_deref());
        return Err((
            format!("`{path}` reads unknown step `{id}`"),
            closest(id, ids),
        ));
    };
    if position == index {
        return Err((format!("`{path}`: a step cannot read its own output"), None));
    }
    if position > index {
        return Err((
            format!("`{path}`: step `{id}` runs after this one, so its output is not there yet"),
            None,
        ));
    }
    let step = &steps[position];
    let (Some(field), Some(outputs)) = (field, &step.outputs) else {
        return Ok(());
    };
    if outputs.iter().any(|o| o == field) {
        return Ok(());
    }
    let produces = if outputs.is_empty() {
        "it produces nothing".to_string()
    } else {
        format!("it produces: {}", outputs.join(", "))
    };
    Err((
        format!(
            "step `{id}` (`{}`) has no output `{field}`; {produces}",
            step.action
        ),
        closest(field, outputs.iter().map(String::as_str)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(id: &str, outputs: &[&str]) -> StepOutline {
        StepOutline {
            id: Some(id.into()),
            action: format!("shop.{id}"),
            outputs: Some(outputs.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn problem(path: &str, scope: Scope<'_>) -> Option<Problem> {
        check_read(&FieldPath::parse(path).unwrap(), scope).err()
    }

    #[test]
    fn steps_read_only_earlier_outputs_that_exist() {
        let steps = [
            outline("customer", &["id", "externalId"]),
            outline("order", &["id"]),
        ];
        let second = Scope::Step {
            index: 1,
            steps: &steps,
        };
        assert!(problem("steps.customer.id", second).is_none());
        assert!(problem("item.anything.at.all", second).is_none());
        assert!(problem("bundle.name", second).is_none());
        let (msg, suggestion) = problem("steps.customer.idd", second).unwrap();
        assert_eq!(
            msg,
            "step `customer` (`shop.customer`) has no output `idd`; it produces: id, externalId"
        );
        assert_eq!(suggestion.as_deref(), Some("id"));
        let first = Scope::Step {
            index: 0,
            steps: &steps,
        };
        assert!(
            problem("steps.order.id", first)
                .unwrap()
                .0
                .contains("runs after this one")
        );
        assert!(
            problem("steps.customer.id", first)
                .unwrap()
                .0
                .contains("its own output")
        );
        let (msg, suggestion) = problem("steps.custmer.id", second).unwrap();
        assert!(msg.contains("unknown step `custmer`"), "{msg}");
        assert_eq!(suggestion.as_deref(), Some("customer"));
    }

    #[test]
    fn the_filter_sees_only_item_and_bundle() {
        let filter = Scope::BeforeSteps("the filter");
        assert!(problem("status", filter).is_none());
        assert!(
            problem("steps.customer.id", filter)
                .unwrap()
                .0
                .starts_with("the filter is")
        );
        let (_, suggestion) = problem("bundle.nmae", filter).unwrap();
        assert_eq!(suggestion.as_deref(), Some("bundle.name"));
    }
}
