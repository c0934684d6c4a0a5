//! `crm.<entity>.list` and `crm.duplicate.findbycomm` over the emulated portal: `filter`
//! with Bitrix24's prefix operators (`=`, `!=`/`!`, `>`, `>=`, `<`, `<=`, `@` in, `!@`,
//! `%` like), `order`, `select` (`*`, `UF_*`, explicit names; multi-fields only when
//! named), and `start` pagination with 50 records a page, `total` and `next`.

use std::cmp::Ordering;

use chrono::DateTime;
use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::config::EmptyDuplicates;
use super::state::{EntityKind, HIDDEN_CONTACT_IDS, MULTI_FIELDS, Portal};

/// Records per list page (fixed by Bitrix24).
pub const PAGE_SIZE: usize = 50;

/// One page of a list: the records and the `total` / `next` to send beside `result`.
#[derive(Debug)]
pub struct ListPage {
    /// The selected records.
    pub items: Vec<Value>,
    /// How many match (absent with `start=-1`).
    pub total: Option<usize>,
    /// The `start` of the next page, when there is one.
    pub next: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    NotIn,
    Like,
}

/// `">=DATE_MODIFY"` → (Ge, "DATE_MODIFY").
fn split_operator(key: &str) -> (Op, &str) {
    const PREFIXES: &[(&str, Op)] = &[
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("!=", Op::Ne),
        ("!@", Op::NotIn),
        ("=%", Op::Like),
        ("%=", Op::Like),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("!", Op::Ne),
        ("@", Op::In),
        ("%", Op::Like),
    ];
    for (prefix, op) in PREFIXES {
        if let Some(rest) = key.strip_prefix(prefix) {
            return (*op, rest);
        }
    }
    (Op::Eq, key)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => (if *b { "Y" } else { "N" }).to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Numbers compare as numbers, ISO dates as instants, anything else as text.
fn compare(a: &str, b: &str) -> Ordering {
    if let (Ok(x), Ok(y)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    if let (Ok(x), Ok(y)) = (
        DateTime::parse_from_rfc3339(a),
        DateTime::parse_from_rfc3339(b),
    ) {
        return x.cmp(&y);
    }
    a.cmp(b)
}

/// The values a filter compares against: one for scalars, every VALUE for multi-fields,
/// every bound contact for a deal's CONTACT_ID.
fn field_values(kind: EntityKind, record: &Map<String, Value>, field: &str) -> Vec<String> {
    if MULTI_FIELDS.contains(&field) {
        return record
            .get(field)
            .and_then(Value::as_array)
            .map(|entries| entries.iter().map(|e| text(&e["VALUE"])).collect())
            .unwrap_or_default();
    }
    if kind == EntityKind::Deal && field == "CONTACT_ID" {
        return record
            .get(HIDDEN_CONTACT_IDS)
            .and_then(Value::as_array)
            .map(|ids| ids.iter().map(text).collect())
            .unwrap_or_default();
    }
    vec![record.get(field).map(text).unwrap_or_default()]
}

fn matches_one(op: Op, have: &str, want: &str) -> bool {
    let ord = compare(have, want);
    match op {
        Op::Eq | Op::In => ord == Ordering::Equal,
        Op::Ne | Op::NotIn => ord != Ordering::Equal,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Like => have.to_lowercase().contains(&want.to_lowercase()),
    }
}

fn matches(kind: EntityKind, record: &Map<String, Value>, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(key, wanted)| {
        let (op, field) = split_operator(key);
        let field = field.to_ascii_uppercase();
        let wanted: Vec<String> = match wanted {
            Value::Array(items) => items.iter().map(text).collect(),
            other => vec![text(other)],
        };
        let have = field_values(kind, record, &field);
        let any = |w: &String| have.iter().any(|h| matches_one(op, h, w));
        match op {
            // A negation holds when no value equals any of the wanted ones.
            Op::Ne | Op::NotIn => !wanted
                .iter()
                .any(|w| have.iter().any(|h| matches_one(Op::Eq, h, w))),
            _ => wanted.iter().any(any),
        }
    })
}

fn select(kind: EntityKind, record: &Map<String, Value>, names: &[String]) -> Value {
    let all = names.is_empty() || names.iter().any(|n| n == "*");
    let custom = names.iter().any(|n| n == "UF_*");
    let mut out = Map::new();
    for (key, value) in record {
        let standard = kind.standard_fields().contains(&key.as_str());
        let wanted = key == "ID"
            || (all && standard)
            || (custom && key.starts_with("UF_"))
            || names.iter().any(|n| n == key);
        if wanted && key != HIDDEN_CONTACT_IDS {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

fn object_param<'a>(
    params: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(_) => Err(ApiError::method(format!(
            "Parameter '{name}' must be array."
        ))),
    }
}

impl Portal {
    /// `crm.<kind>.list`.
    pub fn list(
        &self,
        kind: EntityKind,
        params: &Map<String, Value>,
    ) -> Result<ListPage, ApiError> {
        let filter = object_param(params, "filter")?.cloned().unwrap_or_default();
        let order = object_param(params, "order")?.cloned().unwrap_or_default();
        let names: Vec<String> = match params.get("select") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                items.iter().map(|v| text(v).to_ascii_uppercase()).collect()
            }
            Some(_) => return Err(ApiError::method("Parameter 'select' must be array.")),
        };
        let start: i64 = match params.get("start") {
            None | Some(Value::Null) => 0,
            Some(v) => text(v)
                .trim()
                .parse()
                .map_err(|_| ApiError::method("Parameter 'start' must be a number."))?,
        };
        let mut found: Vec<&Map<String, Value>> = self
            .records(kind)
            .iter()
            .filter(|r| matches(kind, r, &filter))
            .collect();
        found.sort_by(|a, b| {
            for (field, direction) in &order {
                let field = field.to_ascii_uppercase();
                let ord = compare(
                    &text(a.get(&field).unwrap_or(&Value::Null)),
                    &text(b.get(&field).unwrap_or(&Value::Null)),
                );
                let ord = if text(direction).eq_ignore_ascii_case("DESC") {
                    ord.reverse()
                } else {
                    ord
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            compare(&text(&a["ID"]), &text(&b["ID"]))
        });
        let total = found.len();
        let counting = start >= 0;
        let offset = usize::try_from(start.max(0)).unwrap_or(usize::MAX);
        let items = found
            .iter()
            .skip(offset)
            .take(PAGE_SIZE)
            .map(|r| select(kind, r, &names))
            .collect();
        let next = (counting && offset + PAGE_SIZE < total).then_some(offset + PAGE_SIZE);
        Ok(ListPage {
            items,
            total: counting.then_some(total),
            next,
        })
    }

    /// `crm.duplicate.findbycomm`: ids per entity type with this phone (digits compared)
    /// or e-mail (case ignored).
    pub fn find_by_comm(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let kind = params
            .get("type")
            .map(text)
            .unwrap_or_default()
            .to_ascii_uppercase();
        let field = match kind.as_str() {
            "PHONE" | "EMAIL" => kind.as_str(),
            _ => return Err(ApiError::method("Parameter 'type' must be PHONE or EMAIL.")),
        };
        let values: Vec<String> = match params.get("values") {
            Some(Value::Array(items)) if !items.is_empty() && items.len() <= 20 => {
                items.iter().map(text).collect()
            }
            Some(Value::Array(items)) if items.len() > 20 => {
                return Err(ApiError::method(
                    "Too many values: no more than 20 are allowed.",
                ));
            }
            _ => {
                return Err(ApiError::method(
                    "Parameter 'values' must be a non-empty array.",
                ));
            }
        };
        let only = params
            .get("entity_type")
            .map(text)
            .map(|t| t.to_ascii_uppercase());
        if let Some(o) = &only
            && !["LEAD", "CONTACT", "COMPANY"].contains(&o.as_str())
        {
            return Err(ApiError::method(
                "Parameter 'entity_type' must be LEAD, CONTACT or COMPANY.",
            ));
        }
        let normalize = |v: &str| -> String {
            if field == "PHONE" {
                v.chars().filter(char::is_ascii_digit).collect()
            } else {
                v.trim().to_lowercase()
            }
        };
        let wanted: Vec<String> = values
            .iter()
            .map(|v| normalize(v))
            .filter(|v| !v.is_empty())
            .collect();
        let mut result = Map::new();
        for (name, kind) in [("LEAD", EntityKind::Lead), ("CONTACT", EntityKind::Contact)] {
            if only.as_deref().is_some_and(|o| o != name) {
                continue;
            }
            let ids: Vec<Value> = self
                .records(kind)
                .iter()
                .filter(|r| {
                    field_values(kind, r, field)
                        .iter()
                        .any(|v| wanted.contains(&normalize(v)))
                })
                .filter_map(|r| text(&r["ID"]).parse::<u64>().ok())
                .map(Value::from)
                .collect();
            if !ids.is_empty() {
                result.insert(name.into(), Value::Array(ids));
            }
        }
        if result.is_empty() {
            return Ok(match self.config.empty_duplicates {
                EmptyDuplicates::Array => json!([]),
                EmptyDuplicates::Object => json!({}),
            });
        }
        Ok(Value::Object(result))
    }
}
