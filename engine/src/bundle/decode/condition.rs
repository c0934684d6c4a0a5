//! Decoding conditions (the filter and `when`): the string shorthand
//! `"<field> <op> <value>"`, the map form `{ field, op, value }`, and `all` / `any` / `not`
//! combinations. Regular expressions for `matches` are compiled here, so a bad pattern is
//! a validation error at its line, not a failure at run time.

use saphyr::{LoadableYamlNode, MarkedYamlOwned};
use serde_json::Value;

use super::references::{Read, decode_path};
use crate::bundle::diagnostics::closest;
use crate::bundle::model::{CompareOp, Comparison, Condition};
use crate::bundle::reader::{Decoder, child, element};
use crate::bundle::yaml::{self, Location, Node};
use crate::expr::FieldPath;

/// Every operator as written in a bundle.
const OPERATORS: &[&str] = &[
    "==", "!=", ">", ">=", "<", "<=", "in", "not_in", "contains", "exists", "empty", "matches",
];

/// Decode one condition.
pub(super) fn decode_condition(
    dec: &mut Decoder,
    node: &Node,
    path: &str,
    reads: &mut Vec<Read>,
) -> Option<Condition> {
    if let Some(text) = yaml::as_str(node) {
        return decode_shorthand(dec, text, Location::of(node), path, reads);
    }
    if yaml::list_items(node).is_some() {
        // A bare list reads as `all:`, the most common combination.
        return decode_list(dec, node, path, reads).map(Condition::All);
    }
    let mut map = dec.map(node, path)?;
    let map_at = map.at();
    let all = map.take("all");
    let any = map.take("any");
    let not = map.take("not");
    let field = map.take("field");
    let op = map.take("op");
    let value = map.take("value");
    let forms = [&all, &any, &not, &field]
        .iter()
        .filter(|f| f.is_some())
        .count();
    if forms != 1 {
        let problem = if forms == 0 {
            "checks nothing"
        } else {
            "mixes several forms"
        };
        dec.error(
            map.at(),
            path,
            format!(
                "this condition {problem}: write one of `all: [...]`, `any: [...]`, `not: ...`, \
                 `{{ field, op, value }}` or a string like \"status != complete\""
            ),
        );
        map.finish(dec);
        return None;
    }
    if field.is_none() {
        for stray in [&op, &value].into_iter().flatten() {
            dec.error(
                stray.key_at(),
                &stray.path,
                format!("`{}` belongs to `field`", stray.name),
            );
        }
    }
    map.finish(dec);
    if let Some(all) = all {
        return decode_list(dec, all.value, &all.path, reads).map(Condition::All);
    }
    if let Some(any) = any {
        return decode_list(dec, any.value, &any.path, reads).map(Condition::Any);
    }
    if let Some(not) = not {
        return decode_condition(dec, not.value, &not.path, reads)
            .map(|c| Condition::Not(c.into()));
    }
    let field = field?;
    let field_path = dec
        .string(field.value, &field.path)
        .and_then(|text| decode_path(dec, &text, field.value_at(), &field.path, reads));
    let Some(op) = op else {
        dec.error(map_at, &child(path, "op"), "missing required key `op`");
        return None;
    };
    let op_text = dec.string(op.value, &op.path)?;
    let right = match value {
        Some(v) => Some(RightSide {
            value: dec.json(v.value, &v.path)?,
            text: yaml::as_str(v.value).map(str::to_string),
            at: v.value_at(),
            path: v.path,
        }),
        None => None,
    };
    let operator = Operator {
        text: &op_text,
        at: op.value_at(),
        path: &op.path,
    };
    let comparison = build_comparison(dec, operator, right, field_path?)?;
    Some(Condition::Compare(comparison))
}

fn decode_list(
    dec: &mut Decoder,
    node: &Node,
    path: &str,
    reads: &mut Vec<Read>,
) -> Option<Vec<Condition>> {
    let items = dec.list(node, path)?;
    if items.is_empty() {
        dec.error(
            Location::of(node),
            path,
            "an empty list of conditions means nothing; remove it",
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match decode_condition(dec, item, &element(path, i), reads) {
            Some(c) => out.push(c),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `status != complete`, `item.duration >= 30`, `type in [form, phone]`, `email exists`.
fn decode_shorthand(
    dec: &mut Decoder,
    text: &str,
    at: Location,
    path: &str,
    reads: &mut Vec<Read>,
) -> Option<Condition> {
    let trimmed = text.trim();
    let (field_text, rest) = split_word(trimmed);
    let (op_text, value_text) = split_word(rest);
    if op_text.is_empty() {
        dec.error(
            at,
            path,
            format!("`{text}` is not a condition: write `<field> <op> <value>`, like `status != complete`"),
        );
        return None;
    }
    let field = decode_path(dec, field_text, at, path, reads);
    let right = (!value_text.is_empty()).then(|| RightSide {
        // A pattern is taken as written: `[0-9]+` must not become a YAML list.
        value: if op_text == "matches" {
            Value::String(unquote(value_text).to_string())
        } else {
            value_from_text(value_text)
        },
        text: Some(unquote(value_text).to_string()),
        at,
        path: path.to_string(),
    });
    let operator = Operator {
        text: op_text,
        at,
        path,
    };
    let comparison = build_comparison(dec, operator, right, field?)?;
    Some(Condition::Compare(comparison))
}

/// The first whitespace-separated word and the trimmed rest.
fn split_word(text: &str) -> (&str, &str) {
    match text.find(char::is_whitespace) {
        Some(i) => (&text[..i], text[i..].trim_start()),
        None => (text, ""),
    }
}

fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(q) && text.ends_with(q) {
            return &text[1..text.len() - 1];
        }
    }
    text
}

/// A shorthand value read as a YAML scalar or flow list (`30` is a number, `true` a
/// boolean, `[form, phone]` a list, `"a b"` a string); anything that is not a plain value
/// in YAML (`a: b`) is kept as the text written.
fn value_from_text(text: &str) -> Value {
    match MarkedYamlOwned::load_from_str(text) {
        Ok(docs) if docs.len() == 1 => match yaml::to_json(&docs[0]) {
            Ok(Value::Object(_)) | Err(_) => Value::String(text.to_string()),
            Ok(value) => value,
        },
        _ => Value::String(text.to_string()),
    }
}

/// The operator as written.
struct Operator<'t> {
    text: &'t str,
    at: Location,
    path: &'t str,
}

/// The right-hand side as written.
struct RightSide {
    value: Value,
    /// The text, when it was written as a string (patterns for `matches`).
    text: Option<String>,
    at: Location,
    path: String,
}

fn build_comparison(
    dec: &mut Decoder,
    op: Operator<'_>,
    right: Option<RightSide>,
    field: FieldPath,
) -> Option<Comparison> {
    let compare_op = match op.text {
        "==" => CompareOp::Eq,
        "!=" => CompareOp::Ne,
        ">" => CompareOp::Gt,
        ">=" => CompareOp::Ge,
        "<" => CompareOp::Lt,
        "<=" => CompareOp::Le,
        "in" => CompareOp::In,
        "not_in" => CompareOp::NotIn,
        "contains" => CompareOp::Contains,
        "exists" => CompareOp::Exists,
        "empty" => CompareOp::Empty,
        "matches" => CompareOp::Matches(compile_pattern(dec, &op, right.as_ref())?),
        other => {
            dec.error_suggesting(
                op.at,
                op.path,
                format!(
                    "unknown operator `{other}`; use one of {}",
                    OPERATORS.join(" ")
                ),
                closest(other, OPERATORS.iter().copied()),
            );
            return None;
        }
    };
    let takes_value = !matches!(compare_op, CompareOp::Exists | CompareOp::Empty);
    let value = match (takes_value, right) {
        (false, Some(right)) => {
            dec.error(
                right.at,
                &right.path,
                format!("`{}` takes no value", op.text),
            );
            return None;
        }
        (false, None) => None,
        (true, None) => {
            dec.error(
                op.at,
                op.path,
                format!("`{}` needs a value to compare with", op.text),
            );
            return None;
        }
        (true, Some(right)) => {
            let needs_list = matches!(compare_op, CompareOp::In | CompareOp::NotIn);
            if needs_list && !right.value.is_array() {
                dec.error(
                    right.at,
                    &right.path,
                    format!("`{}` needs a list, like [form, phone]", op.text),
                );
                return None;
            }
            Some(right.value)
        }
    };
    Some(Comparison {
        field,
        op: compare_op,
        value,
    })
}

fn compile_pattern(
    dec: &mut Decoder,
    op: &Operator<'_>,
    right: Option<&RightSide>,
) -> Option<regex::Regex> {
    let Some(right) = right else {
        dec.error(op.at, op.path, "`matches` needs a regular expression");
        return None;
    };
    let Some(pattern) = &right.text else {
        dec.error(
            right.at,
            &right.path,
            "`matches` needs a regular expression written as a string",
        );
        return None;
    };
    match regex::Regex::new(pattern) {
        Ok(regex) => Some(regex),
        Err(e) => {
            // The regex crate explains syntax errors over several lines with a caret; the
            // last line holds the reason, which is what fits a one-line diagnostic.
            let full = e.to_string();
            let reason = full
                .lines()
                .last()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            dec.error(
                right.at,
                &right.path,
                format!("invalid regular expression `{pattern}`: {reason}"),
            );
            None
        }
    }
}
