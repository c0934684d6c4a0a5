//! Duplicate handling of a step: search by its dedup keys before creating, then reuse
//! the record found, update it, or skip the item.

use ferry_connectors::{ActionCall, ConnectorError, FindCall, Record};
use serde_json::{Map, Value};

use super::{StepResult, StepRun};
use crate::bundle::{OnFound, SearchOrder};
use crate::runtime::item_keys::idempotency_key;
use crate::store::{ItemStatus, StepStatus, StoreError};

impl StepRun<'_> {
    /// Search by each dedup key in priority order (or, for an uncertain step without
    /// dedup, nothing to search by). Empty values are skipped; with
    /// `search: first_present` only the first key with a value is searched.
    pub(super) async fn search_existing(
        &self,
        connector: &dyn ferry_connectors::Connector,
        input: &Map<String, Value>,
    ) -> Result<Option<(String, Record)>, ConnectorError> {
        let Some(dedup) = &self.step.dedup else {
            return Ok(None);
        };
        for field in &dedup.search_by {
            let Some(value) = input.get(field) else {
                continue;
            };
            if value.is_null() || value.as_str().is_some_and(|s| s.trim().is_empty()) {
                continue;
            }
            let call = FindCall {
                action: &self.step.action,
                key: field,
                value,
                input,
            };
            if let Some(found) = connector.find(call).await? {
                return Ok(Some((field.clone(), found)));
            }
            if dedup.search == SearchOrder::FirstPresent {
                break;
            }
        }
        Ok(None)
    }

    pub(super) async fn use_found(
        &self,
        connector: &dyn ferry_connectors::Connector,
        input: &Map<String, Value>,
        field: String,
        found: Record,
        attempts: u32,
    ) -> Result<StepResult, StoreError> {
        let on_found = self
            .step
            .dedup
            .as_ref()
            .map_or(OnFound::Reuse, |d| d.on_found);
        match on_found {
            OnFound::Reuse => {
                // Not an error: the note tells the history reader why nothing was sent.
                let note = format!("reused the existing record found by `{field}`");
                self.succeed(attempts, &found, Some(note)).await?;
                Ok(StepResult::Output(found))
            }
            OnFound::Skip => {
                let reason =
                    format!("a record with this `{field}` already exists; dedup says skip");
                self.finish(
                    StepStatus::Skipped,
                    attempts,
                    Some(Value::Object(found)),
                    Some(reason.clone()),
                )
                .await?;
                Ok(StepResult::Settle {
                    status: ItemStatus::Skipped,
                    due_in: None,
                    reason: Some(reason),
                })
            }
            OnFound::Update => {
                let spec = connector.spec();
                let update = spec
                    .action(&self.step.action)
                    .and_then(|a| a.dedup.as_ref())
                    .and_then(|d| d.update_action);
                let Some(update) = update else {
                    return self
                        .fail_for_good(
                            attempts,
                            format!("`{}` has no update action", self.step.action),
                        )
                        .await;
                };
                let mut update_input = input.clone();
                if let Some(id) = found.get("id") {
                    update_input.insert("id".into(), id.clone());
                }
                let attempt = attempts + 1;
                self.begin(attempt).await?;
                let key = idempotency_key(&self.bundle.bundle.id, &self.item.key, &self.step.id);
                let call = ActionCall {
                    action: update,
                    input: &update_input,
                    idempotency_key: &key,
                };
                match connector.execute(call).await {
                    Ok(updated) => {
                        let mut output = found;
                        output.extend(updated);
                        let note = format!("updated the existing record found by `{field}`");
                        self.succeed(attempt, &output, Some(note)).await?;
                        Ok(StepResult::Output(output))
                    }
                    Err(e) => self.send_failed(attempt, e).await,
                }
            }
        }
    }
}
