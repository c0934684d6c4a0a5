//! Running one claimed item through its bundle's chain.
//!
//! The chain runs in order. Each step's result is committed before the next step starts,
//! so after a crash or a retry the item resumes after its last committed step and earlier
//! steps' outputs are read back from the store. A step is marked `sending` before its
//! request goes out; finding it still `sending` on a later claim means the request may
//! have taken effect (the crash came between the request and the commit): such an
//! *uncertain* step is resolved by the step's lookup (its dedup search) before anything is
//! re-sent, and with no lookup the item is held for an operator instead of re-sent blindly.

use std::time::Duration;

use ferry_connectors::{ActionCall, ConnectorError, FindCall, Record, RetryAdvice};
use serde_json::{Map, Value};

use super::backoff::retry_delay;
use super::connection_health::ConnectionHealth;
use super::item_keys::{compute_vars, dedup_lock_keys, idempotency_key};
use super::key_locks::KeyLocks;
use super::prepared::PreparedBundle;
use super::step_writes::StepWrites;
use crate::bundle::{OnFound, SearchOrder, Step};
use crate::clock::Clock;
use crate::expr::{EvalContext, evaluate_condition, evaluate_inputs};
use crate::store::{
    BrokenMark, ClaimedItem, ItemSettle, ItemStatus, StepBegin, StepFinish, StepRecord, StepStatus,
    Store, StoreError,
};

/// Shared pieces every item run needs.
#[derive(Clone, Copy)]
pub struct RunnerContext<'a> {
    /// Durable state.
    pub store: &'a dyn Store,
    /// Now.
    pub clock: &'a dyn Clock,
    /// Serializes items sharing a dedup key.
    pub key_locks: &'a KeyLocks,
    /// Set when the engine is shutting down: the item stops between steps.
    pub stopping: &'a tokio::sync::watch::Receiver<bool>,
    /// Marks connections whose credentials are refused, and clears them on success.
    pub health: &'a ConnectionHealth,
}

/// How an item run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    /// Settled with this status.
    Settled(ItemStatus),
    /// Stopped between steps for shutdown; the claim is released by the engine.
    Interrupted,
}

/// How long an item whose connection refuses its credentials waits before it is tried
/// again: long enough not to hammer the target, short enough that a fixed key is noticed.
const BROKEN_CONNECTION_RETRY: Duration = Duration::from_secs(5 * 60);

/// What a step run produced.
enum StepResult {
    /// Continue with this output (recorded).
    Output(Record),
    /// The step was skipped (`when` false); continue.
    Skipped,
    /// The item ends here with this settlement.
    Settle {
        status: ItemStatus,
        due_in: Option<Duration>,
        reason: Option<String>,
    },
}

/// Run `item` through `bundle`'s chain and settle it.
pub async fn run_item(
    ctx: RunnerContext<'_>,
    bundle: &PreparedBundle,
    item: ClaimedItem,
) -> Result<ItemOutcome, StoreError> {
    let _slot = bundle
        .concurrency
        .acquire()
        .await
        .expect("semaphore never closed");
    let _keys = ctx
        .key_locks
        .lock_all(dedup_lock_keys(bundle, &item.payload))
        .await;
    // Every write of this run goes through here, in order (see `step_writes`).
    let writes = StepWrites::new(ctx.store);
    let settle = |status: ItemStatus, due_in: Option<Duration>, reason: Option<String>| {
        let now = ctx.clock.now().timestamp_millis();
        ItemSettle {
            item_id: item.id,
            claim_token: item.claim_token.clone(),
            status,
            due_at: due_in.map(|d| now + d.as_millis() as i64),
            error: reason.map(|r| bundle.redactor.redact(&r)),
            now,
        }
    };

    let vars = match compute_vars(bundle, &item.payload) {
        Ok(vars) => vars,
        Err(reason) => {
            writes
                .settle(settle(ItemStatus::Failed, None, Some(reason)))
                .await?;
            return Ok(ItemOutcome::Settled(ItemStatus::Failed));
        }
    };
    let mut outputs = Map::new();
    for record in &item.steps {
        if record.status == StepStatus::Succeeded {
            outputs.insert(
                record.step_id.clone(),
                record.output.clone().unwrap_or(Value::Null),
            );
        }
    }

    if item.steps.is_empty()
        && let Some(filter) = &bundle.bundle.filter
    {
        let eval = EvalContext {
            item: &item.payload,
            steps: &outputs,
            bundle: &bundle.bundle_json,
            vars: &vars,
        };
        match evaluate_condition(filter, &eval) {
            Ok(true) => {}
            Ok(false) => {
                writes
                    .settle(settle(ItemStatus::Filtered, None, None))
                    .await?;
                return Ok(ItemOutcome::Settled(ItemStatus::Filtered));
            }
            Err(e) => {
                let reason = format!("filter: {e}");
                writes
                    .settle(settle(ItemStatus::Failed, None, Some(reason)))
                    .await?;
                return Ok(ItemOutcome::Settled(ItemStatus::Failed));
            }
        }
    }

    for step in &bundle.bundle.steps {
        let record = item.steps.iter().find(|r| r.step_id == step.id);
        if matches!(
            record.map(|r| r.status),
            Some(StepStatus::Succeeded | StepStatus::Skipped)
        ) {
            continue;
        }
        if *ctx.stopping.borrow() {
            // The last step's result is committed before the item stops.
            writes.flush().await?;
            return Ok(ItemOutcome::Interrupted);
        }
        let run = StepRun {
            ctx,
            writes: &writes,
            bundle,
            item: &item,
            step,
            record,
            vars: &vars,
        };
        match run.execute(&outputs).await? {
            StepResult::Output(output) => {
                outputs.insert(step.id.clone(), Value::Object(output));
            }
            StepResult::Skipped => {}
            StepResult::Settle {
                status,
                due_in,
                reason,
            } => {
                writes.settle(settle(status, due_in, reason)).await?;
                return Ok(ItemOutcome::Settled(status));
            }
        }
    }
    writes
        .settle(settle(ItemStatus::Succeeded, None, None))
        .await?;
    Ok(ItemOutcome::Settled(ItemStatus::Succeeded))
}

/// One step of one item.
struct StepRun<'a> {
    ctx: RunnerContext<'a>,
    writes: &'a StepWrites<'a>,
    bundle: &'a PreparedBundle,
    item: &'a ClaimedItem,
    step: &'a Step,
    record: Option<&'a StepRecord>,
    vars: &'a Map<String, Value>,
}

impl StepRun<'_> {
    fn now(&self) -> i64 {
        self.ctx.clock.now().timestamp_millis()
    }

    fn outcome(
        &self,
        status: StepStatus,
        attempts: u32,
        output: Option<Value>,
        error: Option<String>,
    ) -> StepFinish {
        StepFinish {
            item_id: self.item.id,
            claim_token: self.item.claim_token.clone(),
            step_id: self.step.id.clone(),
            status,
            attempts,
            output,
            error: error.map(|e| self.bundle.redactor.redact(&e)),
            now: self.now(),
        }
    }

    /// Record the step's outcome now.
    async fn finish(
        &self,
        status: StepStatus,
        attempts: u32,
        output: Option<Value>,
        error: Option<String>,
    ) -> Result<(), StoreError> {
        let outcome = self.outcome(status, attempts, output, error);
        self.writes.finish(outcome).await
    }

    /// Record the step's success with the item's next write (the next step's `sending`
    /// mark or the settlement), which comes before any further request.
    async fn succeed(
        &self,
        attempts: u32,
        output: &Record,
        note: Option<String>,
    ) -> Result<(), StoreError> {
        let outcome = self.outcome(
            StepStatus::Succeeded,
            attempts,
            Some(Value::Object(output.clone())),
            note,
        );
        let (bundle, connection) = (&self.bundle.bundle.id, &self.step.connection);
        self.ctx
            .health
            .working(self.ctx.store, bundle, connection)
            .await;
        self.writes.finish_later(outcome).await
    }

    /// Mark the step `sending` (attempt `attempt`) before its request goes out.
    async fn begin(&self, attempt: u32) -> Result<(), StoreError> {
        self.writes
            .begin(StepBegin {
                item_id: self.item.id,
                claim_token: self.item.claim_token.clone(),
                step_id: self.step.id.clone(),
                attempt,
                now: self.now(),
            })
            .await
    }

    async fn execute(&self, outputs: &Map<String, Value>) -> Result<StepResult, StoreError> {
        let step = self.step;
        let eval = EvalContext {
            item: &self.item.payload,
            steps: outputs,
            bundle: &self.bundle.bundle_json,
            vars: self.vars,
        };
        let attempts_so_far = self.record.map_or(0, |r| r.attempts);

        if let Some(when) = &step.when {
            match evaluate_condition(when, &eval) {
                Ok(true) => {}
                Ok(false) => {
                    self.finish(StepStatus::Skipped, attempts_so_far, None, None)
                        .await?;
                    return Ok(StepResult::Skipped);
                }
                Err(e) => {
                    return self
                        .fail_for_good(attempts_so_far, format!("when: {e}"))
                        .await;
                }
            }
        }
        let input = match evaluate_inputs(&step.with, &eval) {
            Ok(input) => input,
            Err(e) => {
                return self
                    .fail_for_good(attempts_so_far, format!("mapping: {e}"))
                    .await;
            }
        };
        let connector = match self.bundle.connector(&step.connection) {
            Ok(c) => c,
            Err(e) => return self.fail_for_good(attempts_so_far, e.to_string()).await,
        };

        let uncertain = self.record.is_some_and(|r| r.status == StepStatus::Sending);
        if step.dedup.is_some() || uncertain {
            // The lookup is a request: the previous step's result is committed first.
            self.writes.flush().await?;
            match self.search_existing(connector.as_ref(), &input).await {
                Ok(Some((field, found))) => {
                    return self
                        .use_found(connector.as_ref(), &input, field, found, attempts_so_far)
                        .await;
                }
                Ok(None) if uncertain && step.dedup.is_none() => {
                    let reason = format!(
                        "step `{}` may have been sent before an interruption and it has no lookup to check; \
                         use `ferry runs retry` to send it again or `ferry runs discard` to drop the item",
                        step.id
                    );
                    return Ok(StepResult::Settle {
                        status: ItemStatus::Held,
                        due_in: None,
                        reason: Some(reason),
                    });
                }
                Ok(None) => {}
                Err(e) => return self.failed_attempt(attempts_so_far, e).await,
            }
        }

        let attempt = attempts_so_far + 1;
        self.begin(attempt).await?;
        let key = idempotency_key(&self.bundle.bundle.id, &self.item.key, &step.id);
        let call = ActionCall {
            action: &step.action,
            input: &input,
            idempotency_key: &key,
        };
        match connector.execute(call).await {
            Ok(output) => {
                if let Some(until) = &step.until_found
                    && output.get(&until.field) != Some(&Value::Bool(true))
                {
                    return self.not_found_yet(attempt, until).await;
                }
                self.succeed(attempt, &output, None).await?;
                Ok(StepResult::Output(output))
            }
            Err(e) => self.send_failed(attempt, e).await,
        }
    }

    /// What a failed send of attempt `attempt` means: possibly done (uncertain), not sent
    /// at all (the attempt is given back), or a failed attempt.
    async fn send_failed(
        &self,
        attempt: u32,
        error: ConnectorError,
    ) -> Result<StepResult, StoreError> {
        match error {
            ConnectorError::InvalidResponse(_) | ConnectorError::NoAnswer(_) => {
                Ok(self.uncertain(attempt, error))
            }
            // Nothing went out: the attempt is given back.
            ConnectorError::Unavailable { .. } => self.failed_attempt(attempt - 1, error).await,
            _ => self.failed_attempt(attempt, error).await,
        }
    }

    /// The target answered, but not in a form we can read (a cut or oversized body): the
    /// request may well have taken effect. The step stays `sending`, so the next attempt
    /// treats it as uncertain: resolved by the step's lookup, or held for an operator.
    fn uncertain(&self, attempts: u32, error: ConnectorError) -> StepResult {
        let options = &self.bundle.bundle.run;
        let reason = format!(
            "step `{}` ({}): {error}; the request may have taken effect, so it is checked before anything is sent again",
            self.step.id, self.step.action
        );
        StepResult::Settle {
            status: ItemStatus::Waiting,
            due_in: Some(retry_delay(
                attempts.max(1),
                options.backoff_initial,
                options.backoff_max,
            )),
            reason: Some(reason),
        }
    }

    /// Search by each dedup key in priority order (or, for an uncertain step without
    /// dedup, nothing to search by). Empty values are skipped; with
    /// `search: first_present` only the first key with a value is searched.
    async fn search_existing(
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

    async fn use_found(
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

    /// A deferred match found nothing yet: search again later while the window lasts,
    /// then give up visibly.
    async fn not_found_yet(
        &self,
        attempts: u32,
        until: &crate::bundle::UntilFound,
    ) -> Result<StepResult, StoreError> {
        let waited = Duration::from_millis((self.now() - self.item.created_at).max(0) as u64);
        let window = humantime::format_duration(until.within);
        if waited >= until.within {
            let reason = format!("nothing found within {window} of the item's arrival; gave up");
            return self.fail_for_good(attempts, reason).await;
        }
        let left = until.within - waited;
        let reason = format!(
            "step `{}`: nothing found yet; searching again every {} for up to {window}",
            self.step.id,
            humantime::format_duration(until.every)
        );
        self.finish(StepStatus::Failed, attempts, None, Some(reason.clone()))
            .await?;
        Ok(StepResult::Settle {
            status: ItemStatus::Waiting,
            due_in: Some(until.every.min(left)),
            reason: Some(reason),
        })
    }

    async fn fail_for_good(&self, attempts: u32, reason: String) -> Result<StepResult, StoreError> {
        let reason = format!("step `{}`: {reason}", self.step.id);
        self.finish(StepStatus::Failed, attempts, None, Some(reason.clone()))
            .await?;
        Ok(StepResult::Settle {
            status: ItemStatus::Failed,
            due_in: None,
            reason: Some(reason),
        })
    }

    /// Decide what a failed attempt means: wait as told, back off, fail, or wait for a
    /// broken connection to be fixed.
    async fn failed_attempt(
        &self,
        attempts: u32,
        error: ConnectorError,
    ) -> Result<StepResult, StoreError> {
        let options = &self.bundle.bundle.run;
        let message = format!("step `{}` ({}): {error}", self.step.id, self.step.action);
        if error.advice() == RetryAdvice::ConnectionBroken {
            let mark = BrokenMark {
                bundle_id: self.bundle.bundle.id.clone(),
                connection: self.step.connection.clone(),
                reason: self.bundle.redactor.redact(&error.to_string()),
                now: self.now(),
            };
            self.ctx.health.broken(self.ctx.store, mark).await;
        }
        let (status, due_in) = match error.advice() {
            RetryAdvice::Never => (ItemStatus::Failed, None),
            // The target is down and nothing was sent: the item waits without spending an
            // attempt, however long the outage lasts.
            RetryAdvice::NotSent(wait) => (ItemStatus::Waiting, Some(wait)),
            RetryAdvice::ConnectionBroken => (ItemStatus::Waiting, Some(BROKEN_CONNECTION_RETRY)),
            _ if attempts >= options.max_attempts => (ItemStatus::Failed, None),
            RetryAdvice::After(wait) => (ItemStatus::Waiting, Some(wait)),
            RetryAdvice::Backoff => (
                ItemStatus::Waiting,
                Some(retry_delay(
                    attempts.max(1),
                    options.backoff_initial,
                    options.backoff_max,
                )),
            ),
        };
        let reason = if status == ItemStatus::Failed
            && attempts >= options.max_attempts
            && error.advice() != RetryAdvice::Never
        {
            format!("{message} (gave up after {attempts} attempts)")
        } else {
            message
        };
        self.finish(StepStatus::Failed, attempts, None, Some(reason.clone()))
            .await?;
        Ok(StepResult::Settle {
            status,
            due_in,
            reason: Some(reason),
        })
    }
}
