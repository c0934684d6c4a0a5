//! MoySklad's `filter` and `order` query parameters, evaluated over JSON entities.
//!
//! Conditions are `;`-separated (`\;` escapes a literal semicolon); operators `=`, `!=`,
//! `~` (contains), `~=` (starts with), `=~` (ends with), `<`, `>`, `<=`, `>=`. Several `=`
//! on one field mean OR, everything else is AND. String comparisons ignore case
//! (UNVERIFIED in MoySklad's documentation; chosen because its UI search does). Date
//! fields (`updated`, `created`, `moment`) accept `YYYY-MM-DD HH:MM[:SS[.mmm]]`, anything
//! else is error 1035.

use std::cmp::Ordering;

use chrono::NaiveDateTime;
use serde_json::Value;

use super::api_error::ApiError;

/// Comparison operators, longest spelling first so `>=` is not read as `>`.
const OPERATORS: &[(&str, Op)] = &[
    ("!=", Op::Ne),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("~=", Op::StartsWith),
    ("=~", Op::EndsWith),
    ("=", Op::Eq),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("~", Op::Contains),
];

const DATE_FIELDS: &[&str] = &["updated", "created", "moment"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Contains,
    StartsWith,
    EndsWith,
}

/// One `field op value` condition.
#[derive(Debug, Clone)]
struct Condition {
    field: String,
    op: Op,
    value: String,
}

/// A parsed `filter` parameter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    conditions: Vec<Condition>,
}

fn split_conditions(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&';') => {
                chars.next();
                parts.last_mut().expect("non-empty").push(';');
            }
            ';' => parts.push(String::new()),
            other => parts.last_mut().expect("non-empty").push(other),
        }
    }
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

/// A MoySklad date in a filter.
pub fn parse_filter_date(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M"))
        .ok()
}

impl Filter {
    /// Parse a filter over entities whose filterable fields are `fields`.
    pub fn parse(text: &str, fields: &[&str]) -> Result<Filter, ApiError> {
        let mut conditions = Vec::new();
        for part in split_conditions(text) {
            let start = part.find(['=', '!', '<', '>', '~']).ok_or_else(|| {
                ApiError::new(
                    400,
                    1034,
                    format!("Ошибка фильтрации: неверное условие '{part}'"),
                )
            })?;
            let field = part[..start].trim().to_string();
            let rest = &part[start..];
            let (spelling, op) = OPERATORS
                .iter()
                .find(|(spelling, _)| rest.starts_with(spelling))
                .copied()
                .ok_or_else(|| {
                    ApiError::new(
                        400,
                        1034,
                        format!("Ошибка фильтрации: неверное условие '{part}'"),
                    )
                })?;
            if !fields.contains(&field.as_str()) {
                return Err(ApiError::new(
                    400,
                    1034,
                    format!("Ошибка фильтрации: неизвестное поле '{field}'"),
                )
                .with_parameter("filter"));
            }
            let value = rest[spelling.len()..].to_string();
            if DATE_FIELDS.contains(&field.as_str()) && parse_filter_date(&value).is_none() {
                return Err(ApiError::new(
                    400,
                    1035,
                    "Ошибка фильтрации: неверный формат даты параметра фильтрации".to_string(),
                )
                .with_parameter(&field));
            }
            conditions.push(Condition { field, op, value });
        }
        Ok(Filter { conditions })
    }

    /// Whether `entity` passes.
    pub fn matches(&self, entity: &Value) -> bool {
        let mut fields: Vec<&str> = self.conditions.iter().map(|c| c.field.as_str()).collect();
        fields.dedup();
        fields.sort();
        fields.dedup();
        fields.into_iter().all(|field| {
            let on_field: Vec<&Condition> = self
                .conditions
                .iter()
                .filter(|c| c.field == field)
                .collect();
            let equalities: Vec<&&Condition> = on_field.iter().filter(|c| c.op == Op::Eq).collect();
            let others = on_field.iter().filter(|c| c.op != Op::Eq);
            let any_equal = equalities.is_empty() || equalities.iter().any(|c| holds(c, entity));
            any_equal && others.into_iter().all(|c| holds(c, entity))
        })
    }
}

fn field_text(entity: &Value, field: &str) -> Option<String> {
    let value = match field.split_once('.') {
        Some((outer, inner)) => entity.get(outer)?.get(inner)?,
        None => entity.get(field)?,
    };
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn compare(field: &str, actual: &str, wanted: &str) -> Option<Ordering> {
    if DATE_FIELDS.contains(&field) {
        return Some(parse_filter_date(actual)?.cmp(&parse_filter_date(wanted)?));
    }
    if let (Ok(a), Ok(b)) = (actual.parse::<f64>(), wanted.parse::<f64>()) {
        return a.partial_cmp(&b);
    }
    Some(actual.to_lowercase().cmp(&wanted.to_lowercase()))
}

fn holds(condition: &Condition, entity: &Value) -> bool {
    let actual = field_text(entity, &condition.field);
    // `field=;` asks for an empty field, `field!=;` for a filled one.
    if condition.value.is_empty() {
        let empty = actual.as_deref().is_none_or(str::is_empty);
        return match condition.op {
            Op::Eq => empty,
            Op::Ne => !empty,
            _ => false,
        };
    }
    let Some(actual) = actual else {
        return condition.op == Op::Ne;
    };
    let (a, w) = (actual.to_lowercase(), condition.value.to_lowercase());
    match condition.op {
        Op::Contains => a.contains(&w),
        Op::StartsWith => a.starts_with(&w),
        Op::EndsWith => a.ends_with(&w),
        op => {
            let Some(ord) = compare(&condition.field, &actual, &condition.value) else {
                return false;
            };
            match op {
                Op::Eq => ord == Ordering::Equal,
                Op::Ne => ord != Ordering::Equal,
                Op::Gt => ord == Ordering::Greater,
                Op::Lt => ord == Ordering::Less,
                Op::Ge => ord != Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                _ => unreachable!("text operators handled above"),
            }
        }
    }
}

/// Sort `rows` by an `order` parameter (`field[,asc|desc];...`).
pub fn sort(rows: &mut [Value], order: &str, fields: &[&str]) -> Result<(), ApiError> {
    let mut keys = Vec::new();
    for part in order.split(';').filter(|p| !p.is_empty()) {
        let (field, direction) = part.split_once(',').unwrap_or((part, "asc"));
        if !fields.contains(&field) {
            return Err(ApiError::new(
                400,
                1063,
                format!(
                    "Ошибка сортировки: неизвестное поле '{field}' или сортировка для данного поля не поддерживается"
                ),
            ));
        }
        let descending = match direction {
            "asc" => false,
            "desc" => true,
            other => {
                return Err(ApiError::new(
                    400,
                    1042,
                    format!(
                        "Неверное значение '{other}' параметра сортировки '{field}', допустимые значения: 'asc, desc'"
                    ),
                ));
            }
        };
        keys.push((field.to_string(), descending));
    }
    rows.sort_by(|a, b| {
        for (field, descending) in &keys {
            let ord = match (field_text(a, field), field_text(b, field)) {
                (Some(x), Some(y)) => compare(field, &x, &y).unwrap_or(Ordering::Equal),
                (x, y) => x.is_some().cmp(&y.is_some()),
            };
            let ord = if *descending { ord.reverse() } else { ord };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: &[&str] = &["name", "phone", "email", "updated"];

    #[test]
    fn operators_and_or_semantics() {
        let row = json!({"name": "Иван; Петров", "phone": "+7 999 123-45-67", "updated": "2024-05-14 10:00:00.500"});
        let f = |t: &str| Filter::parse(t, FIELDS).unwrap().matches(&row);
        assert!(f("phone~123-45"));
        assert!(f("name=иван\\; петров"));
        assert!(f("name=x;name=Иван\\; Петров"));
        assert!(!f("name=x;phone~999"));
        assert!(f("updated>=2024-05-14 10:00:00"));
        assert!(!f("updated>2024-05-14 10:00:01"));
        assert!(f("email=;"));
        assert!(f("name~=иван") && f("name=~петров"));
    }

    #[test]
    fn bad_filters_are_vendor_errors() {
        assert_eq!(
            Filter::parse("updated>=yesterday", FIELDS)
                .unwrap_err()
                .code,
            1035
        );
        assert_eq!(Filter::parse("color=red", FIELDS).unwrap_err().code, 1034);
    }

    #[test]
    fn sorts_by_several_keys() {
        let mut rows = vec![
            json!({"name": "b", "updated": "2024-01-01 00:00:01"}),
            json!({"name": "a", "updated": "2024-01-01 00:00:01"}),
            json!({"name": "c", "updated": "2024-01-01 00:00:00"}),
        ];
        sort(&mut rows, "updated,asc;name,asc", FIELDS).unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["c", "a", "b"]);
    }
}
