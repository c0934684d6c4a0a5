//! What identifies an item's work, derived before anything is sent: the idempotency key
//! of each step, the dedup values an item will search by (for
//! [`KeyLocks`](super::key_locks::KeyLocks), so items sharing one run one after another),
//! and the bundle's `vars` for the item.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::prepared::PreparedBundle;
use crate::expr::{EvalContext, evaluate_mapping};

/// `hash(bundle, item key, step)`: the same on every retry of the step.
pub fn idempotency_key(bundle_id: &str, item_key: &str, step_id: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [bundle_id, item_key, step_id] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// The dedup keys an item will search by, for [`KeyLocks`](super::key_locks::KeyLocks): computed from the item alone
/// (a search value that needs an earlier step's output cannot be known in advance and is
/// left out; such searches are rare and still protected by the target's own checks).
pub fn dedup_lock_keys(bundle: &PreparedBundle, item: &Value) -> Vec<String> {
    let no_steps = Map::new();
    let vars = compute_vars(bundle, item).unwrap_or_default();
    let ctx = EvalContext {
        item,
        steps: &no_steps,
        bundle: &bundle.bundle_json,
        vars: &vars,
    };
    let mut keys = Vec::new();
    for step in &bundle.bundle.steps {
        let Some(dedup) = &step.dedup else { continue };
        let Some(connection) = bundle.bundle.connections.get(&step.connection) else {
            continue;
        };
        let account = Value::Object(connection.settings.clone()).to_string();
        for field in &dedup.search_by {
            let Some(mapping) = step.with.get(field) else {
                continue;
            };
            if let Ok(value) = evaluate_mapping(mapping, &ctx) {
                let text = match value {
                    Value::Null => continue,
                    Value::String(s) if s.trim().is_empty() => continue,
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                keys.push(format!(
                    "{}|{}|{}",
                    connection.kind,
                    account,
                    lock_form(&text)
                ));
            }
        }
    }
    keys
}

/// The form of a dedup value two items must share to be serialized. Targets match
/// phones loosely (`+7 916 …`, `8916…` and `7916…` are one number to retailCRM and
/// MoySklad), so phone-like values lock on their last ten digits and everything else on
/// its trimmed lower-case text. Locking a little too broadly only serializes a few more
/// items; locking too narrowly would let two spellings of one phone create twice.
pub fn lock_form(value: &str) -> String {
    let phone_chars = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()".contains(c));
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if phone_chars && digits.len() >= 10 {
        format!("phone:{}", &digits[digits.len() - 10..])
    } else {
        value.trim().to_lowercase()
    }
}

/// The bundle's `vars` for one item, in declaration order (each may read the ones
/// before it).
pub fn compute_vars(bundle: &PreparedBundle, item: &Value) -> Result<Map<String, Value>, String> {
    let mut vars = Map::new();
    let no_steps = Map::new();
    for (name, mapping) in &bundle.bundle.vars {
        let ctx = EvalContext {
            item,
            steps: &no_steps,
            bundle: &bundle.bundle_json,
            vars: &vars,
        };
        let value = evaluate_mapping(mapping, &ctx).map_err(|e| format!("vars.{name}: {e}"))?;
        vars.insert(name.clone(), value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_lock_on_their_last_ten_digits_and_text_on_its_lower_case() {
        assert_eq!(lock_form("79160000041"), lock_form("89160000041"));
        assert_eq!(lock_form("+7 (916) 000-00-41"), "phone:9160000041");
        assert_ne!(lock_form("79160000041"), lock_form("79160000042"));
        assert_eq!(lock_form(" Ann@Example.ru "), "ann@example.ru");
        assert_eq!(lock_form("12345"), "12345");
    }

    #[test]
    fn idempotency_key_is_stable_and_distinct() {
        let a = idempotency_key("b1", "call-1", "deal");
        assert_eq!(a, idempotency_key("b1", "call-1", "deal"));
        assert_ne!(a, idempotency_key("b1", "call-1", "order"));
        // The separator keeps ("ab","c") and ("a","bc") apart.
        assert_ne!(
            idempotency_key("ab", "c", "s"),
            idempotency_key("a", "bc", "s")
        );
        assert_eq!(a.len(), 32);
    }
}
