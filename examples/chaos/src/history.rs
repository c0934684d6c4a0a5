//! What the store's run history says, read the way an operator reads it
//! (`ferry runs --json`, `ferry runs show ID --json`): every item with its steps, the
//! steps found `sending` after a kill (uncertain), and how each was resolved.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::worker::Ferry;

/// One step of one item as the history shows it.
#[derive(Debug, Clone)]
pub struct StepState {
    /// `sending`, `succeeded`, `skipped` or `failed`.
    pub status: String,
    /// Attempts made (a request was begun this many times).
    pub attempts: u64,
    /// The last error, or for a succeeded step how it succeeded.
    pub note: Option<String>,
}

/// One item as the history shows it.
#[derive(Debug, Clone)]
pub struct ItemState {
    /// Item id (for `ferry runs retry/discard --item`).
    pub id: i64,
    /// Item key (the call id).
    pub key: String,
    /// Item status.
    pub status: String,
    /// Steps by step id.
    pub steps: BTreeMap<String, StepState>,
}

/// Every item of the bundle, read from every run that found items.
pub async fn read_items(ferry: &Ferry) -> Result<Vec<ItemState>, String> {
    let runs = ferry.runs_json(&["--limit", "0"]).await?;
    let mut items = Vec::new();
    for run in runs.as_array().into_iter().flatten() {
        if run["items_new"].as_u64().unwrap_or(0) == 0 {
            continue;
        }
        let id = run["id"].to_string();
        let detail = ferry.runs_json(&["show", &id]).await?;
        for item in detail["items"].as_array().into_iter().flatten() {
            items.push(item_state(item));
        }
    }
    Ok(items)
}

fn item_state(item: &Value) -> ItemState {
    let steps = item["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|step| {
            (
                step["step_id"].as_str().unwrap_or_default().to_owned(),
                StepState {
                    status: step["status"].as_str().unwrap_or_default().to_owned(),
                    attempts: step["attempts"].as_u64().unwrap_or(0),
                    note: step["error"].as_str().map(str::to_owned),
                },
            )
        })
        .collect();
    ItemState {
        id: item["id"].as_i64().unwrap_or_default(),
        key: item["key"].as_str().unwrap_or_default().to_owned(),
        status: item["status"].as_str().unwrap_or_default().to_owned(),
        steps,
    }
}

/// A step found `sending` after a kill: (item id, step id, attempt number).
pub type Uncertain = (i64, String, u64);

/// Steps that are `sending` now. Read between workers, when no worker runs, every one of
/// them was in flight when a worker died: the next claim finds it uncertain.
pub fn sending_steps(items: &[ItemState]) -> BTreeSet<Uncertain> {
    items
        .iter()
        .flat_map(|item| {
            item.steps
                .iter()
                .filter(|(_, s)| s.status == "sending")
                .map(|(step, s)| (item.id, step.clone(), s.attempts))
        })
        .collect()
}

/// How an uncertain step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The step's lookup found the record the lost attempt had created: reused, not re-sent.
    LookupFoundReused,
    /// The step's lookup found nothing (the lost attempt had no effect): sent again.
    LookupEmptySent,
    /// No lookup: the item was held; the operator retried it (the record did not exist).
    HeldOperatorRetried,
    /// No lookup: the item was held; the operator discarded it (the record existed).
    HeldOperatorDiscarded,
    /// Still held (the operator has not acted yet).
    Held,
    /// Anything else (would be a finding).
    Unexpected,
}

impl Resolution {
    /// A short description for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Resolution::LookupFoundReused => "lookup found the record → reused, not re-sent",
            Resolution::LookupEmptySent => "lookup found nothing → sent again",
            Resolution::HeldOperatorRetried => {
                "no lookup → held; operator saw no record → `ferry runs retry` → sent"
            }
            Resolution::HeldOperatorDiscarded => {
                "no lookup → held; operator saw the record → `ferry runs discard`"
            }
            Resolution::Held => "no lookup → held (waiting for an operator)",
            Resolution::Unexpected => "unexpected",
        }
    }
}

/// The resolution of the uncertain `attempt` of `step` (which has a dedup lookup or not)
/// given the item's later state.
pub fn resolve(item: &ItemState, step: &str, attempt: u64, has_lookup: bool) -> Resolution {
    let Some(now) = item.steps.get(step) else {
        return Resolution::Unexpected;
    };
    let reused = now
        .note
        .as_deref()
        .is_some_and(|n| n.starts_with("reused the existing record"));
    match (now.status.as_str(), item.status.as_str()) {
        ("succeeded", _) if now.attempts == attempt && reused => Resolution::LookupFoundReused,
        // The operator's retry marks the uncertain step failed, then it is sent again.
        ("succeeded" | "sending" | "failed", _) if now.attempts > attempt => {
            if has_lookup {
                Resolution::LookupEmptySent
            } else {
                Resolution::HeldOperatorRetried
            }
        }
        ("sending", "held") if now.attempts == attempt => Resolution::Held,
        ("sending", "discarded") if now.attempts == attempt => Resolution::HeldOperatorDiscarded,
        _ => Resolution::Unexpected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: &str, steps: &[(&str, &str, u64, Option<&str>)]) -> ItemState {
        ItemState {
            id: 1,
            key: "700001".into(),
            status: status.into(),
            steps: steps
                .iter()
                .map(|(id, status, attempts, note)| {
                    (
                        id.to_string(),
                        StepState {
                            status: status.to_string(),
                            attempts: *attempts,
                            note: note.map(str::to_owned),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn resolutions_are_read_from_attempts_notes_and_item_status() {
        let reused = item(
            "succeeded",
            &[(
                "order",
                "succeeded",
                1,
                Some("reused the existing record found by `external_id`"),
            )],
        );
        assert_eq!(
            resolve(&reused, "order", 1, true),
            Resolution::LookupFoundReused
        );
        let resent = item("succeeded", &[("order", "succeeded", 2, None)]);
        assert_eq!(
            resolve(&resent, "order", 1, true),
            Resolution::LookupEmptySent
        );
        let held = item(
            "held",
            &[
                ("customer", "succeeded", 1, None),
                ("order", "succeeded", 1, None),
                ("deal", "sending", 1, None),
            ],
        );
        assert_eq!(resolve(&held, "deal", 1, false), Resolution::Held);
        let mut discarded = held.clone();
        discarded.status = "discarded".into();
        assert_eq!(
            resolve(&discarded, "deal", 1, false),
            Resolution::HeldOperatorDiscarded
        );
        let mut retried = held.clone();
        retried.status = "succeeded".into();
        retried.steps.get_mut("deal").unwrap().status = "succeeded".into();
        retried.steps.get_mut("deal").unwrap().attempts = 2;
        assert_eq!(
            resolve(&retried, "deal", 1, false),
            Resolution::HeldOperatorRetried
        );
        // A step that claims success without a new attempt and without a lookup note was
        // never resolved by anything we know of.
        let odd = item("succeeded", &[("order", "succeeded", 1, None)]);
        assert_eq!(resolve(&odd, "order", 1, true), Resolution::Unexpected);
        assert_eq!(sending_steps(&[held]).len(), 1);
    }
}
