//! Tags on contact, company and lead writes. amoCRM replaces an entity's tag list with the
//! one a write sends, so an update sends the tags the entity has followed by the new ones
//! (compared ignoring case), and nothing when no tag is new.

use serde_json::{Value, json};

use super::super::inputs::Inputs;
use crate::error::ConnectorError;

/// The `_embedded.tags` to send for the `tags` input: `None` when the input is absent or
/// adds no tag `current` (the entity being updated; `None` on create) lacks.
pub fn tags_to_send(
    inputs: &Inputs<'_>,
    current: Option<&Value>,
) -> Result<Option<Value>, ConnectorError> {
    let Some(tags) = inputs.tags("tags")? else {
        return Ok(None);
    };
    let existing = current.map(tag_names).unwrap_or_default();
    let fresh: Vec<&String> = tags
        .iter()
        .filter(|t| {
            !existing
                .iter()
                .any(|e| e.to_lowercase() == t.to_lowercase())
        })
        .collect();
    if fresh.is_empty() {
        return Ok(None);
    }
    let all: Vec<Value> = existing
        .iter()
        .chain(fresh)
        .map(|name| json!({"name": name}))
        .collect();
    Ok(Some(Value::Array(all)))
}

fn tag_names(entity: &Value) -> Vec<String> {
    entity
        .pointer("/_embedded/tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.get("name")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
