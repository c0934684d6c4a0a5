//! Evaluating field mappings: how each input of a step is computed from the item and the
//! outputs of earlier steps. Values are built as JSON, never by pasting text into a body.
//! Null means "the item does not have it": inputs, object fields and list elements that
//! come out null are left out, so a connector never receives an explicit null (which many
//! CRMs read as "clear this field") for something the item simply did not carry.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::context::{EvalContext, EvalError};
use super::value::{is_empty, text_form};
use crate::bundle::{Mapping, Normalizer};

/// The value of one mapping.
pub fn evaluate_mapping(mapping: &Mapping, ctx: &EvalContext<'_>) -> Result<Value, EvalError> {
    match mapping {
        Mapping::Const(value) => Ok(value.clone()),
        Mapping::Path(path) => Ok(ctx.lookup(path).cloned().unwrap_or(Value::Null)),
        Mapping::Template(template) => template.render(ctx),
        Mapping::FirstOf(alternatives) => {
            for alternative in alternatives {
                let value = evaluate_mapping(alternative, ctx)?;
                if !is_empty(Some(&value)) {
                    return Ok(value);
                }
            }
            Ok(Value::Null)
        }
        Mapping::Join { parts, sep } => join(parts, sep, ctx),
        Mapping::Normalized { inner, normalizers } => {
            let mut value = evaluate_mapping(inner, ctx)?;
            for normalizer in normalizers {
                value = normalize(value, *normalizer)?;
            }
            Ok(value)
        }
        Mapping::Lookup {
            input,
            table,
            default,
        } => {
            let key = evaluate_mapping(input, ctx)?;
            let found = if key.is_null() {
                None
            } else {
                table.get(text_form(&key).as_ref())
            };
            Ok(found.or(default.as_ref()).cloned().unwrap_or(Value::Null))
        }
        Mapping::Object(fields) => evaluate_inputs(fields, ctx).map(Value::Object),
        Mapping::List(elements) => {
            let mut list = Vec::with_capacity(elements.len());
            for element in elements {
                let value = evaluate_mapping(element, ctx)?;
                if !value.is_null() {
                    list.push(value);
                }
            }
            Ok(Value::Array(list))
        }
        Mapping::Count { list, filter } => {
            let value = evaluate_mapping(list, ctx)?;
            let elements = match &value {
                Value::Array(elements) => elements.as_slice(),
                Value::Null => &[],
                other => {
                    return Err(EvalError::Type(format!(
                        "`count` needs a list, got {other}"
                    )));
                }
            };
            let mut n = 0u64;
            for element in elements {
                let counted = match filter {
                    None => true,
                    Some(condition) => {
                        let inner = EvalContext {
                            item: element,
                            ..*ctx
                        };
                        crate::expr::evaluate_condition(condition, &inner)?
                    }
                };
                n += u64::from(counted);
            }
            Ok(Value::from(n))
        }
        Mapping::Switch { cases, default } => {
            for (condition, value) in cases {
                if crate::expr::evaluate_condition(condition, ctx)? {
                    return evaluate_mapping(value, ctx);
                }
            }
            match default {
                Some(default) => evaluate_mapping(default, ctx),
                None => Ok(Value::Null),
            }
        }
        Mapping::When { condition, value } => {
            if crate::expr::evaluate_condition(condition, ctx)? {
                evaluate_mapping(value, ctx)
            } else {
                Ok(Value::Null)
            }
        }
        Mapping::Default { inner, default } => {
            let value = evaluate_mapping(inner, ctx)?;
            Ok(if is_empty(Some(&value)) {
                default.clone()
            } else {
                value
            })
        }
    }
}

/// All of a step's inputs. Inputs that evaluate to null are left out, so a connector
/// never receives an explicit null for a field the item simply did not have.
pub fn evaluate_inputs(
    with: &IndexMap<String, Mapping>,
    ctx: &EvalContext<'_>,
) -> Result<Map<String, Value>, EvalError> {
    let mut inputs = Map::with_capacity(with.len());
    for (name, mapping) in with {
        let value = evaluate_mapping(mapping, ctx).map_err(|e| match e {
            EvalError::Type(message) => EvalError::Type(format!("`{name}`: {message}")),
            other => other,
        })?;
        if !value.is_null() {
            inputs.insert(name.clone(), value);
        }
    }
    Ok(inputs)
}

/// The text of the non-empty parts (list parts contribute each element), joined.
fn join(parts: &[Mapping], sep: &str, ctx: &EvalContext<'_>) -> Result<Value, EvalError> {
    let mut texts: Vec<String> = Vec::with_capacity(parts.len());
    let mut push = |value: &Value| {
        if !is_empty(Some(value)) {
            texts.push(text_form(value).into_owned());
        }
    };
    for part in parts {
        match evaluate_mapping(part, ctx)? {
            Value::Array(elements) => elements.iter().for_each(&mut push),
            value => push(&value),
        }
    }
    Ok(Value::String(texts.join(sep)))
}

/// Apply one normalizer: strings are changed, numbers and booleans are turned into text
/// first, lists are normalized element by element, and null stays null.
fn normalize(value: Value, normalizer: Normalizer) -> Result<Value, EvalError> {
    match value {
        Value::Null => Ok(Value::Null),
        Value::String(text) => Ok(Value::String(apply(&text, normalizer))),
        Value::Number(_) | Value::Bool(_) => {
            Ok(Value::String(apply(&text_form(&value), normalizer)))
        }
        Value::Array(elements) => elements
            .into_iter()
            .map(|element| normalize(element, normalizer))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(_) => Err(EvalError::Type(format!(
            "cannot apply `{}` to an object: {value}",
            normalizer_name(normalizer)
        ))),
    }
}

fn apply(text: &str, normalizer: Normalizer) -> String {
    match normalizer {
        Normalizer::Digits => text.chars().filter(char::is_ascii_digit).collect(),
        Normalizer::Lower => text.to_lowercase(),
        Normalizer::Upper => text.to_uppercase(),
        Normalizer::Trim => text.trim().to_string(),
    }
}

fn normalizer_name(normalizer: Normalizer) -> &'static str {
    match normalizer {
        Normalizer::Digits => "digits",
        Normalizer::Lower => "lower",
        Normalizer::Upper => "upper",
        Normalizer::Trim => "trim",
    }
}

#[cfg(test)]
mod tests;
