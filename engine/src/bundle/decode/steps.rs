//! Decoding `steps:`: each step's id, its `<connection>.<action>` resolved against the
//! connector spec, the `with` inputs checked against the action's declared inputs, the
//! `dedup` choice checked against what the action supports, and the outputs later steps
//! may read. References between steps are checked afterwards, once every id is known.

use ferry_connectors::{ActionSpec, ConnectorSpec};
use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::condition::decode_condition;
use super::connections::ConnectionSpecs;
use super::dedup::decode_dedup;
use super::mapping::decode_mapping;
use super::references::{Read, StepOutline};
use super::trigger::{list_or_none, report_unknown_connection};
use crate::bundle::diagnostics::closest;
use crate::bundle::model::{Mapping, Step, UntilFound};
use crate::bundle::reader::{Decoder, Entry, MapReader, child, element, optional};
use crate::bundle::yaml::{self, Location, Node};

/// One step as decoded: the step when it is valid, what later steps need to know about
/// it, and every path it reads (checked once all steps are known).
pub(super) struct DecodedStep {
    /// The valid step.
    pub step: Option<Step>,
    /// Its id, action and outputs.
    pub outline: StepOutline,
    /// Paths its `when` and `with` read.
    pub reads: Vec<Read>,
}

/// Where a step's id was first seen, for duplicate reports.
type SeenIds = Vec<(String, Location)>;

/// Decode the `steps` list.
pub(super) fn decode_steps(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    connections: &ConnectionSpecs,
) -> Vec<DecodedStep> {
    let Some(items) = dec.list(entry.value, &entry.path) else {
        return Vec::new();
    };
    if items.is_empty() {
        dec.error(
            entry.value_at(),
            &entry.path,
            "a bundle needs at least one step",
        );
    }
    let mut seen = SeenIds::new();
    items
        .iter()
        .enumerate()
        .map(|(i, node)| decode_step(dec, node, &element(&entry.path, i), connections, &mut seen))
        .collect()
}

fn decode_step(
    dec: &mut Decoder,
    node: &Node,
    path: &str,
    connections: &ConnectionSpecs,
    seen: &mut SeenIds,
) -> DecodedStep {
    let mut reads = Vec::new();
    let mut outline = StepOutline {
        id: None,
        action: String::new(),
        outputs: None,
    };
    let Some(mut map) = dec.map(node, path) else {
        return DecodedStep {
            step: None,
            outline,
            reads,
        };
    };
    let id = map
        .require(dec, "id")
        .and_then(|e| decode_step_id(dec, &e, seen));
    outline.id = id.clone();
    let target = map
        .require(dec, "action")
        .and_then(|e| decode_action(dec, &e, connections));
    if let Some(target) = &target {
        outline.action = format!("{}.{}", target.connection, target.action);
    }
    let when = map
        .take("when")
        .map(|w| decode_condition(dec, w.value, &w.path, &mut reads));
    let action_spec = target.as_ref().and_then(|t| t.spec);
    let DecodedInputs {
        inputs: with,
        given,
    } = decode_with(dec, &mut map, action_spec, &outline.action, &mut reads);
    let dedup = map.take("dedup").map(|d| {
        let mapped = |name: &str| given.iter().any(|g| g == name);
        decode_dedup(
            dec,
            &d,
            target.as_ref().map(|t| (t.spec, outline.action.as_str())),
            mapped,
        )
    });
    let until_found = map.take("until_found").map(|u| decode_until_found(dec, &u));
    map.finish(dec);
    outline.outputs = action_spec.and_then(|spec| outputs_of(spec, with.as_ref()));
    if let (Some(Some(until)), Some(outputs), Some(entry)) =
        (&until_found, &outline.outputs, map_until_entry(node))
        && !outputs.iter().any(|o| o == &until.field)
    {
        dec.error(
            Location::of(entry),
            &child(path, "until_found"),
            format!(
                "`until_found` needs an output `{}` saying whether the search found something; {} produces: {}",
                until.field,
                outline.action,
                outputs.join(", ")
            ),
        );
    }
    let step = (|| {
        let target = target?;
        target.spec?;
        Some(Step {
            id: id?,
            connection: target.connection,
            action: target.action,
            when: optional(when)?,
            with: with?,
            dedup: dedup.unwrap_or(Some(None))?,
            outputs: outline.outputs.clone()?,
            until_found: optional(until_found)?,
        })
    })();
    DecodedStep {
        step,
        outline,
        reads,
    }
}

fn decode_step_id(dec: &mut Decoder, entry: &Entry<'_>, seen: &mut SeenIds) -> Option<String> {
    let id = dec.string(entry.value, &entry.path)?;
    let mut chars = id.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        dec.error(
            entry.value_at(),
            &entry.path,
            format!(
                "step id `{id}` must start with a lower-case letter and hold only a-z, 0-9 and `_`"
            ),
        );
        return None;
    }
    if let Some((_, first)) = seen.iter().find(|(seen_id, _)| *seen_id == id) {
        dec.error(
            entry.value_at(),
            &entry.path,
            format!(
                "duplicate step id `{id}` (first used on line {}); step ids must be unique",
                first.line
            ),
        );
        return None;
    }
    seen.push((id.clone(), entry.value_at()));
    Some(id)
}

/// What `action:` resolved to.
struct ActionTarget {
    connection: String,
    action: String,
    /// `None` when the connection's kind is unknown (reported there) or the action is.
    spec: Option<&'static ActionSpec>,
}

fn decode_action(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    connections: &ConnectionSpecs,
) -> Option<ActionTarget> {
    let text = dec.string(entry.value, &entry.path)?;
    let Some((connection, action)) = text.split_once('.') else {
        dec.error(
            entry.value_at(),
            &entry.path,
            format!("`{text}` must be `<connection>.<action>`, like `shop.create_order`"),
        );
        return None;
    };
    let Some(connector) = connections.get(connection) else {
        report_unknown_connection(dec, entry, connection, connections);
        return None;
    };
    let spec = connector.and_then(|c| resolve_action(dec, entry, c, connection, action));
    Some(ActionTarget {
        connection: connection.to_string(),
        action: action.to_string(),
        spec,
    })
}

fn resolve_action(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    connector: &'static ConnectorSpec,
    connection: &str,
    action: &str,
) -> Option<&'static ActionSpec> {
    let found = connector.action(action);
    if found.is_none() {
        let names: Vec<&str> = connector.actions.iter().map(|a| a.name).collect();
        dec.error_suggesting(
            entry.value_at(),
            &entry.path,
            format!(
                "connection `{connection}` ({}) has no action `{action}`; it offers: {}",
                connector.kind,
                list_or_none(&names)
            ),
            closest(action, names.iter().copied()).map(|a| format!("{connection}.{a}")),
        );
    }
    found
}

/// The `with` map: each input decoded as a mapping and checked against the action spec.
fn decode_with(
    dec: &mut Decoder,
    step: &mut MapReader<'_>,
    spec: Option<&'static ActionSpec>,
    action: &str,
    reads: &mut Vec<Read>,
) -> DecodedInputs {
    let entry = step.take("with");
    let mut inputs = IndexMap::new();
    let mut ok = true;
    let (at, path) = match &entry {
        Some(e) => (e.value_at(), e.path.clone()),
        None => (step.at(), child(step.path(), "with")),
    };
    let mut given = Vec::new();
    let map = entry.as_ref().map(|e| dec.map(e.value, &e.path));
    if let Some(None) = map {
        return DecodedInputs {
            inputs: None,
            given,
        };
    }
    if let Some(Some(mut map)) = map {
        for input in map.take_rest() {
            given.push(input.name.clone());
            if let Some(spec) = spec
                && spec.input(&input.name).is_none()
                && !spec.open_inputs
            {
                let names = spec.inputs.iter().map(|f| f.name);
                dec.error_suggesting(
                    input.key_at(),
                    &input.path,
                    format!("unknown input field `{}` for `{action}`", input.name),
                    closest(&input.name, names),
                );
                ok = false;
                // Still decoded: problems inside its value are reported in the same run.
                decode_mapping(dec, input.value, &input.path, reads);
                continue;
            }
            let decoded = if spec.and_then(|s| s.outputs_from_input) == Some(input.name.as_str()) {
                decode_output_declarations(dec, &input)
            } else {
                decode_mapping(dec, input.value, &input.path, reads)
            };
            match decoded {
                Some(mapping) => {
                    inputs.insert(input.name, mapping);
                }
                None => ok = false,
            }
        }
    }
    if let Some(spec) = spec {
        for required in spec.inputs.iter().filter(|f| f.required) {
            if !given.iter().any(|g| g == required.name) {
                dec.error(
                    at,
                    &child(&path, required.name),
                    format!("missing required input `{}` of `{action}`", required.name),
                );
                ok = false;
            }
        }
    }
    DecodedInputs {
        inputs: ok.then_some(inputs),
        given,
    }
}

/// What `with` held.
struct DecodedInputs {
    /// The inputs, when all are valid.
    inputs: Option<IndexMap<String, Mapping>>,
    /// Every input name written, valid or not (so a search key whose value has a problem
    /// is not also reported as unmapped).
    given: Vec<String>,
}

/// The input that declares an action's outputs (the `http` action's `outputs:`): a map of
/// output name to where the value is found in the response. Kept as one constant object.
fn decode_output_declarations(dec: &mut Decoder, input: &Entry<'_>) -> Option<Mapping> {
    let mut map = dec.map(input.value, &input.path)?;
    let mut declared = Map::new();
    let mut ok = true;
    for output in map.take_rest() {
        if output.name.is_empty() || output.name.contains('.') {
            dec.error(
                output.key_at(),
                &output.path,
                "an output name is one plain word (later steps read steps.<id>.<name>)",
            );
            ok = false;
        }
        match yaml::as_str(output.value) {
            Some(source) if !source.trim().is_empty() => {
                declared.insert(output.name, Value::String(source.to_string()));
            }
            _ => {
                dec.error(
                    output.value_at(),
                    &output.path,
                    "expected where the value is in the response, like data.id",
                );
                ok = false;
            }
        }
    }
    ok.then_some(Mapping::Const(Value::Object(declared)))
}

/// What a step produces: the action's declared outputs, or the keys the bundle declared
/// under the action's `outputs_from_input` (unknown while `with` has problems).
fn outputs_of(spec: &ActionSpec, with: Option<&IndexMap<String, Mapping>>) -> Option<Vec<String>> {
    match spec.outputs_from_input {
        Some(input) => match with?.get(input) {
            Some(Mapping::Const(Value::Object(declared))) => {
                Some(declared.keys().cloned().collect())
            }
            _ => Some(Vec::new()),
        },
        None => Some(spec.outputs.iter().map(|f| f.name.to_string()).collect()),
    }
}

/// The `until_found` value node of a step, for pointing at it.
fn map_until_entry(step: &Node) -> Option<&Node> {
    yaml::map_entries(step)?
        .into_iter()
        .find(|(key, _)| yaml::as_str(key) == Some("until_found"))
        .map(|(_, value)| value)
}

/// `until_found: { within: 3h, every: 10m, field: found }`.
fn decode_until_found(dec: &mut Decoder, entry: &Entry<'_>) -> Option<UntilFound> {
    let mut map = dec.map(entry.value, &entry.path)?;
    let within = map
        .require(dec, "within")
        .and_then(|e| dec.duration(e.value, &e.path));
    let every = map.take("every").map(|e| dec.duration(e.value, &e.path));
    let field = map
        .take("field")
        .map(|e| dec.non_empty_string(e.value, &e.path));
    map.finish(dec);
    Some(UntilFound {
        field: field.unwrap_or_else(|| Some("found".to_string()))?,
        within: within?,
        every: every.unwrap_or(Some(std::time::Duration::from_secs(10 * 60)))?,
    })
}
