//! Evaluating conditions (bundle filters and step `when`). A missing field reads as null.
//! Equality is loose about numbers (`"30" == 30`) because sources are sloppy about types,
//! and exact about strings; ordering compares numbers numerically and two strings
//! lexicographically, and is false for anything else.

use std::cmp::Ordering;

use serde_json::Value;

use super::context::{EvalContext, EvalError};
use super::value::{Numeric, is_empty, loose_eq, text_form};
use crate::bundle::{CompareOp, Comparison, Condition};

/// Whether `condition` holds for `ctx`.
pub fn evaluate_condition(condition: &Condition, ctx: &EvalContext<'_>) -> Result<bool, EvalError> {
    match condition {
        Condition::All(parts) => {
            for part in parts {
                if !evaluate_condition(part, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Any(parts) => {
            for part in parts {
                if evaluate_condition(part, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(inner) => Ok(!evaluate_condition(inner, ctx)?),
        Condition::Compare(comparison) => compare(comparison, ctx),
    }
}

fn compare(comparison: &Comparison, ctx: &EvalContext<'_>) -> Result<bool, EvalError> {
    let found = ctx.lookup(&comparison.field);
    let left = found.unwrap_or(&Value::Null);
    let right = comparison.value.as_ref().unwrap_or(&Value::Null);
    let holds = match &comparison.op {
        CompareOp::Eq => loose_eq(left, right),
        CompareOp::Ne => !loose_eq(left, right),
        CompareOp::Gt => ordering(left, right).is_some_and(Ordering::is_gt),
        CompareOp::Ge => ordering(left, right).is_some_and(Ordering::is_ge),
        CompareOp::Lt => ordering(left, right).is_some_and(Ordering::is_lt),
        CompareOp::Le => ordering(left, right).is_some_and(Ordering::is_le),
        CompareOp::In => member_of(comparison, left, right)?,
        CompareOp::NotIn => !member_of(comparison, left, right)?,
        CompareOp::Contains => contains(left, right),
        CompareOp::Exists => !left.is_null(),
        CompareOp::Empty => is_empty(found),
        CompareOp::Matches(regex) => !left.is_null() && regex.is_match(&text_form(left)),
    };
    Ok(holds)
}

/// Numbers (or numeric strings) order numerically, two other strings lexicographically;
/// anything else has no order, so `>`/`<` and friends are false for it.
fn ordering(left: &Value, right: &Value) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (Numeric::of(left), Numeric::of(right)) {
        return a.compare(b);
    }
    match (left, right) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn member_of(comparison: &Comparison, left: &Value, right: &Value) -> Result<bool, EvalError> {
    match right {
        Value::Array(list) => Ok(list.iter().any(|candidate| loose_eq(left, candidate))),
        other => Err(EvalError::Type(format!(
            "`{}`: `in`/`not_in` needs a list of values, got {other}",
            comparison.field
        ))),
    }
}

/// A substring of a string, or an element of a list; false for anything else.
fn contains(left: &Value, right: &Value) -> bool {
    match left {
        Value::String(text) => !right.is_null() && text.contains(text_form(right).as_ref()),
        Value::Array(list) => list.iter().any(|element| loose_eq(element, right)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::FieldPath;
    use serde_json::{Map, json};

    fn cmp(field: &str, op: CompareOp, value: Option<Value>) -> Condition {
        Condition::Compare(Comparison {
            field: FieldPath::parse(field).unwrap(),
            op,
            value,
        })
    }

    fn holds(condition: &Condition, item: Value) -> bool {
        let steps = Map::new();
        let bundle = json!({});
        let ctx = EvalContext {
            item: &item,
            steps: &steps,
            bundle: &bundle,
            vars: crate::expr::no_vars(),
        };
        evaluate_condition(condition, &ctx).unwrap()
    }

    #[test]
    fn equality_is_numeric_for_numbers_and_exact_for_strings() {
        let eq30 = cmp("duration", CompareOp::Eq, Some(json!(30)));
        assert!(holds(&eq30, json!({"duration": "30"})));
        assert!(holds(&eq30, json!({"duration": 30.0})));
        assert!(!holds(&eq30, json!({"duration": "31"})));
        assert!(!holds(&eq30, json!({})));
        let status = cmp("status", CompareOp::Ne, Some(json!("complete")));
        assert!(holds(&status, json!({"status": "new"})));
        assert!(
            holds(&status, json!({"status": "Complete"})),
            "strings compare exactly"
        );
        assert!(!holds(&status, json!({"status": "complete"})));
        assert!(
            holds(&status, json!({})),
            "missing is null, which is not `complete`"
        );
        assert!(holds(
            &cmp("x", CompareOp::Eq, Some(Value::Null)),
            json!({})
        ));
    }

    #[test]
    fn ordering_numeric_then_lexicographic() {
        let gt = cmp("duration", CompareOp::Gt, Some(json!(20)));
        assert!(holds(&gt, json!({"duration": "30"})));
        assert!(
            holds(&gt, json!({"duration": 100})),
            "numeric, not text, order"
        );
        assert!(!holds(&gt, json!({"duration": 20})));
        assert!(!holds(&gt, json!({"duration": "abc"})));
        assert!(!holds(&gt, json!({})));
        assert!(holds(
            &cmp("duration", CompareOp::Ge, Some(json!("20"))),
            json!({"duration": 20})
        ));
        assert!(holds(
            &cmp("d", CompareOp::Lt, Some(json!("2024-06-01"))),
            json!({"d": "2024-05-31"})
        ));
        assert!(holds(
            &cmp("d", CompareOp::Le, Some(json!("b"))),
            json!({"d": "b"})
        ));
        assert!(!holds(
            &cmp("d", CompareOp::Lt, Some(json!(true))),
            json!({"d": false})
        ));
    }

    #[test]
    fn in_and_not_in() {
        let list = Some(json!(["new", "assigned", 7]));
        let is_in = cmp("status", CompareOp::In, list.clone());
        let not_in = cmp("status", CompareOp::NotIn, list);
        assert!(holds(&is_in, json!({"status": "new"})));
        assert!(holds(&is_in, json!({"status": "7"})), "same equality as ==");
        assert!(!holds(&is_in, json!({"status": "complete"})));
        assert!(holds(&not_in, json!({"status": "complete"})));
        assert!(holds(&not_in, json!({})));
        assert!(!holds(&not_in, json!({"status": "assigned"})));

        let bad = cmp("status", CompareOp::In, Some(json!("new")));
        let item = json!({"status": "new"});
        let steps = Map::new();
        let ctx = EvalContext {
            item: &item,
            steps: &steps,
            bundle: &item,
            vars: crate::expr::no_vars(),
        };
        assert!(matches!(
            evaluate_condition(&bad, &ctx),
            Err(EvalError::Type(_))
        ));
    }

    #[test]
    fn exists_and_empty() {
        let exists = cmp("email", CompareOp::Exists, None);
        let empty = cmp("email", CompareOp::Empty, None);
        assert!(holds(&exists, json!({"email": ""})));
        assert!(!holds(&exists, json!({"email": null})));
        assert!(!holds(&exists, json!({})));
        for item in [
            json!({}),
            json!({"email": null}),
            json!({"email": "  "}),
            json!({"email": []}),
            json!({"email": {}}),
        ] {
            assert!(holds(&empty, item.clone()), "{item} is empty");
        }
        assert!(!holds(&empty, json!({"email": "a@b.c"})));
        assert!(!holds(&empty, json!({"email": 0})));
    }

    #[test]
    fn contains_and_matches() {
        let contains = cmp("tags", CompareOp::Contains, Some(json!("vip")));
        assert!(holds(&contains, json!({"tags": ["new", "vip"]})));
        assert!(holds(&contains, json!({"tags": "super vip client"})));
        assert!(!holds(&contains, json!({"tags": ["VIP"]})));
        assert!(!holds(&contains, json!({})));
        assert!(holds(
            &cmp("ids", CompareOp::Contains, Some(json!("5"))),
            json!({"ids": [5]})
        ));

        let re = regex::Regex::new(r"^\+?7\d{10}$").unwrap();
        let matches = cmp("phone", CompareOp::Matches(re), None);
        assert!(holds(&matches, json!({"phone": "+79161234567"})));
        assert!(
            holds(&matches, json!({"phone": 79161234567u64})),
            "numbers match by text"
        );
        assert!(!holds(&matches, json!({"phone": "8916"})));
        assert!(!holds(&matches, json!({})));
    }

    #[test]
    fn all_any_not() {
        let new = cmp("status", CompareOp::Eq, Some(json!("new")));
        let long = cmp("duration", CompareOp::Ge, Some(json!(30)));
        let item = json!({"status": "new", "duration": 10});
        assert!(!holds(
            &Condition::All(vec![new.clone(), long.clone()]),
            item.clone()
        ));
        assert!(holds(
            &Condition::Any(vec![new.clone(), long.clone()]),
            item.clone()
        ));
        assert!(holds(&Condition::Not(Box::new(long)), item.clone()));
        assert!(holds(&Condition::All(vec![]), item.clone()));
        assert!(!holds(&Condition::Any(vec![]), item));
    }
}
