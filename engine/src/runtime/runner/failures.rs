//! What a failed step means for its item: a send that may have taken effect (uncertain),
//! one that never went out (the attempt is given back), a wait as long as the target
//! asked, a backoff, a broken connection (the item waits, the connection is marked), a
//! deferred match still inside its window, or a failure for good.

use std::time::Duration;

use ferry_connectors::{ConnectorError, RetryAdvice};

use super::{BROKEN_CONNECTION_RETRY, StepResult, StepRun};
use crate::runtime::backoff::retry_delay;
use crate::store::{BrokenMark, ItemStatus, StepStatus, StoreError};

impl StepRun<'_> {
    /// What a failed send of attempt `attempt` means: possibly done (uncertain), not sent
    /// at all (the attempt is given back), or a failed attempt.
    pub(super) async fn send_failed(
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
    pub(super) fn uncertain(&self, attempts: u32, error: ConnectorError) -> StepResult {
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

    /// A deferred match found nothing yet: search again later while the window lasts,
    /// then give up visibly.
    pub(super) async fn not_found_yet(
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

    pub(super) async fn fail_for_good(
        &self,
        attempts: u32,
        reason: String,
    ) -> Result<StepResult, StoreError> {
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
    pub(super) async fn failed_attempt(
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
