//! Running a parsed [`Query`] against the emulated org's records: every named field is
//! checked against the object's schema (`INVALID_FIELD`), literals against field types
//! (`INVALID_QUERY_FILTER_OPERATOR`, with Salesforce's wording), then filtering (text
//! compared case-insensitively, ids on their case-sensitive 15-character form, `LIKE`
//! with `%` / `_` and their escapes), ordering (nulls first ascending, last descending,
//! unless told), OFFSET / LIMIT and projection in the SELECT's order with `attributes`.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value, json};

use super::{Condition, Literal, Op, Query};
use crate::salesforce::emulator::api_error::ApiError;
use crate::salesforce::emulator::schema::{Field, FieldType, ObjectSchema};

/// The records a query selects, projected, before paging.
pub fn run(
    query: &Query,
    schema: &ObjectSchema,
    rows: &[Map<String, Value>],
    data_prefix: &str,
) -> Result<Vec<Value>, ApiError> {
    let mut selected: Vec<&Field> = Vec::new();
    for name in &query.fields {
        let field = known(schema, name)?;
        if selected.iter().any(|f| f.name == field.name) {
            return Err(ApiError::new(
                "DUPLICATE_FIELD",
                format!("duplicate field selected: {}", field.name),
            ));
        }
        selected.push(field);
    }
    if let Some(condition) = &query.condition {
        check(condition, schema)?;
    }
    let order: Vec<(&Field, bool, bool)> = query
        .order
        .iter()
        .map(|k| Ok((known(schema, &k.field)?, k.descending, k.nulls_last)))
        .collect::<Result<_, ApiError>>()?;
    let mut matching: Vec<&Map<String, Value>> = rows
        .iter()
        .filter(|row| {
            query
                .condition
                .as_ref()
                .is_none_or(|c| holds(c, schema, row))
        })
        .collect();
    matching.sort_by(|a, b| {
        for (field, descending, nulls_last) in &order {
            let ordering = compare_stored(
                field,
                a.get(&field.name),
                b.get(&field.name),
                *nulls_last,
                *descending,
            );
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
    let skip = query.offset.unwrap_or(0);
    let take = query.limit.unwrap_or(usize::MAX);
    Ok(matching
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|row| project(schema, &selected, row, data_prefix))
        .collect())
}

fn known<'s>(schema: &'s ObjectSchema, name: &str) -> Result<&'s Field, ApiError> {
    schema.field(name).ok_or_else(|| {
        ApiError::new(
            "INVALID_FIELD",
            format!(
                "No such column '{name}' on entity '{}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.",
                schema.name
            ),
        )
    })
}

fn filter_error(message: String) -> ApiError {
    ApiError::new("INVALID_QUERY_FILTER_OPERATOR", message)
}

/// Fields exist and literals fit their types.
fn check(condition: &Condition, schema: &ObjectSchema) -> Result<(), ApiError> {
    match condition {
        Condition::And(parts) | Condition::Or(parts) => {
            parts.iter().try_for_each(|p| check(p, schema))
        }
        Condition::Not(inner) => check(inner, schema),
        Condition::Compare { field, op, value } => {
            let field = known(schema, field)?;
            if *op == Op::Like && !is_text(field.ty) {
                return Err(filter_error(format!(
                    "invalid operator on {} field: {}",
                    type_name(field.ty),
                    field.name
                )));
            }
            check_literal(field, value)
        }
        Condition::In { field, values, .. } => {
            let field = known(schema, field)?;
            values.iter().try_for_each(|v| check_literal(field, v))
        }
    }
}

fn is_text(ty: FieldType) -> bool {
    matches!(
        ty,
        FieldType::Text | FieldType::Email | FieldType::Phone | FieldType::Picklist(_)
    )
}

fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Id | FieldType::Ref(_) => "id",
        FieldType::Bool => "boolean",
        FieldType::Date => "date",
        FieldType::DateTime => "dateTime",
        FieldType::Number => "double",
        FieldType::Int => "int",
        _ => "string",
    }
}

fn check_literal(field: &Field, value: &Literal) -> Result<(), ApiError> {
    let fits = match (field.ty, value) {
        (_, Literal::Null) => true,
        (FieldType::Bool, Literal::Bool(_)) => true,
        (FieldType::Date, Literal::Date(_)) => true,
        (FieldType::DateTime, Literal::DateTime(_) | Literal::Date(_)) => true,
        (FieldType::Number | FieldType::Int, Literal::Number(_)) => true,
        (FieldType::Id | FieldType::Ref(_), Literal::Text(id)) => {
            if matches!(id.len(), 15 | 18) && id.chars().all(|c| c.is_ascii_alphanumeric()) {
                true
            } else {
                return Err(filter_error(format!("invalid ID field: {id}")));
            }
        }
        (ty, Literal::Text(_)) => is_text(ty),
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let quoted = if is_text(field.ty) || matches!(field.ty, FieldType::Id | FieldType::Ref(_)) {
        "should be enclosed in quotes"
    } else {
        "should not be enclosed in quotes"
    };
    Err(filter_error(format!(
        "value of filter criterion for field '{}' must be of type {} and {quoted}",
        field.name,
        type_name(field.ty)
    )))
}

fn holds(condition: &Condition, schema: &ObjectSchema, row: &Map<String, Value>) -> bool {
    match condition {
        Condition::And(parts) => parts.iter().all(|p| holds(p, schema, row)),
        Condition::Or(parts) => parts.iter().any(|p| holds(p, schema, row)),
        Condition::Not(inner) => !holds(inner, schema, row),
        Condition::Compare { field, op, value } => {
            let Some(field) = schema.field(field) else {
                return false;
            };
            matches_op(
                field,
                row.get(&field.name).unwrap_or(&Value::Null),
                *op,
                value,
            )
        }
        Condition::In {
            field,
            values,
            negated,
        } => {
            let Some(field) = schema.field(field) else {
                return false;
            };
            let stored = row.get(&field.name).unwrap_or(&Value::Null);
            let any = values.iter().any(|v| matches_op(field, stored, Op::Eq, v));
            any != *negated
        }
    }
}

/// A comparable form of a stored value or a literal.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Bool(bool),
    Number(f64),
    Text(String),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

fn stored_key(field: &Field, value: &Value) -> Option<Key> {
    match (field.ty, value) {
        (_, Value::Null) => None,
        (_, Value::Bool(b)) => Some(Key::Bool(*b)),
        (_, Value::Number(n)) => n.as_f64().map(Key::Number),
        (FieldType::Id | FieldType::Ref(_), Value::String(s)) => {
            Some(Key::Text(s.chars().take(15).collect()))
        }
        (FieldType::Date, Value::String(s)) => {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Key::Date)
        }
        (FieldType::DateTime, Value::String(s)) => parse_time(s).map(Key::Time),
        (_, Value::String(s)) => Some(Key::Text(s.to_lowercase())),
        _ => None,
    }
}

/// Salesforce's `2024-05-14T10:31:05.000+0000`.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn literal_key(field: &Field, value: &Literal) -> Option<Key> {
    match value {
        Literal::Null => None,
        Literal::Bool(b) => Some(Key::Bool(*b)),
        Literal::Number(n) => Some(Key::Number(*n)),
        Literal::Text(t) if matches!(field.ty, FieldType::Id | FieldType::Ref(_)) => {
            Some(Key::Text(t.chars().take(15).collect()))
        }
        Literal::Text(t) => Some(Key::Text(t.to_lowercase())),
        Literal::Date(d) if field.ty == FieldType::DateTime => {
            d.and_hms_opt(0, 0, 0).map(|t| Key::Time(t.and_utc()))
        }
        Literal::Date(d) => Some(Key::Date(*d)),
        Literal::DateTime(t) => Some(Key::Time(*t)),
    }
}

fn matches_op(field: &Field, stored: &Value, op: Op, value: &Literal) -> bool {
    let left = stored_key(field, stored);
    let right = literal_key(field, value);
    match op {
        Op::Eq => left == right,
        Op::Ne => left != right,
        Op::Like => match (stored, value) {
            (Value::String(s), Literal::Text(pattern)) => {
                like(&s.to_lowercase(), &pattern.to_lowercase())
            }
            _ => false,
        },
        Op::Lt | Op::Le | Op::Gt | Op::Ge => match (left, right) {
            (Some(l), Some(r)) => match l.partial_cmp(&r) {
                Some(ordering) => match op {
                    Op::Lt => ordering == Ordering::Less,
                    Op::Le => ordering != Ordering::Greater,
                    Op::Gt => ordering == Ordering::Greater,
                    _ => ordering != Ordering::Less,
                },
                None => false,
            },
            _ => false,
        },
    }
}

/// SOQL `LIKE`: `%` any run, `_` one character, `\x` the character x itself.
pub(super) fn like(text: &str, pattern: &str) -> bool {
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Char(char),
    }
    let mut parts = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        parts.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => P::Char(chars.next().unwrap_or('\\')),
            other => P::Char(other),
        });
    }
    let text: Vec<char> = text.chars().collect();
    // matched[i][j]: the first i pattern parts match the first j characters.
    let mut matched = vec![vec![false; text.len() + 1]; parts.len() + 1];
    matched[0][0] = true;
    for i in 1..=parts.len() {
        for j in 0..=text.len() {
            matched[i][j] = match parts[i - 1] {
                P::Any => matched[i - 1][j] || (j > 0 && matched[i][j - 1]),
                P::One => j > 0 && matched[i - 1][j - 1],
                P::Char(c) => j > 0 && text[j - 1] == c && matched[i - 1][j - 1],
            };
        }
    }
    matched[parts.len()][text.len()]
}

fn compare_stored(
    field: &Field,
    a: Option<&Value>,
    b: Option<&Value>,
    nulls_last: bool,
    descending: bool,
) -> Ordering {
    let a = a.and_then(|v| stored_key(field, v));
    let b = b.and_then(|v| stored_key(field, v));
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => {
            if nulls_last {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(_), None) => {
            if nulls_last {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (Some(a), Some(b)) => {
            let ordering = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        }
    }
}

fn project(
    schema: &ObjectSchema,
    selected: &[&Field],
    row: &Map<String, Value>,
    data_prefix: &str,
) -> Value {
    let id = row.get("Id").and_then(Value::as_str).unwrap_or_default();
    let mut out = Map::new();
    out.insert(
        "attributes".into(),
        json!({"type": schema.name, "url": format!("{data_prefix}/sobjects/{}/{id}", schema.name)}),
    );
    for field in selected {
        out.insert(
            field.name.clone(),
            row.get(&field.name).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}
