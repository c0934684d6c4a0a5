//! Running one claimed item through its bundle's chain.
//!
//! The chain runs in order. Each step's result is committed before the next step starts,
//! so after a crash or a retry the item resumes after its last committed step and earlier
//! steps' outputs are read back from the store. A step is marked `sending` before its
//! request goes out; finding it still `sending` on a later claim means the request may
//! have taken effect (the crash came between the request and the commit): such an
//! *uncertain* step is resolved by the step's lookup (its dedup search) before anything is
//! re-sent, and with no lookup the item is held for an operator instead of re-sent blindly.
//!
//! Duplicate handling (search, reuse, update, skip) is in `found`; what a failure means
//! (retry, wait, hold, fail) in `failures`.

mod failures;
mod found;

use std::time::Duration;

use ferry_connectors::{ActionCall, Record};
use serde_json::{Map, Value};

use super::connection_health::ConnectionHealth;
use super::item_keys::{compute_vars, dedup_lock_keys, idempotency_key};
use super::key_locks::KeyLocks;
use super::prepared::PreparedBundle;
use super::step_writes::StepWrites;
use crate::bundle::Step;
use crate::clock::Clock;
use crate::expr::{EvalContext, evaluate_condition, evaluate_inputs};
use crate::store::{
    ClaimedItem, ItemSettle, ItemStatus, StepBegin, StepFinish, StepRecord, StepStatus, Store,
    StoreError,
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
}
