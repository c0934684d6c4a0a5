//! Turning an authenticated delivery into queued items: the connector parses the body,
//! each item gets its key from the trigger's key template, and the items are stored as
//! one run (start → enqueue → finish) before anything is acknowledged. A re-delivered
//! event has the same key, so the store recognises it and nothing new is queued.

use std::collections::HashMap;
use std::sync::Arc;

use ferry_connectors::{ConnectorError, WebhookRequest};
use serde::Serialize;
use tokio::sync::{Notify, watch};

use crate::clock::SharedClock;
use crate::runtime::poller::keyed;
use crate::runtime::prepared::PreparedBundle;
use crate::store::{EnqueueBatch, NewItem, NewRun, RunFinish, RunId, RunStatus, Store, StoreError};

/// Longest rejection reason sent back to the source (it is for a person reading the
/// source's delivery log, not a place to echo the body).
const MAX_REASON_CHARS: usize = 300;

/// What the webhook server needs from the engine, taken by [`WebhookIntake::new`].
pub struct IntakeParts {
    /// Where deliveries are stored.
    pub store: Arc<dyn Store>,
    /// The engine's clock (run and item times).
    pub clock: SharedClock,
    /// Every prepared bundle; only enabled ones with webhook credentials receive.
    pub bundles: Vec<Arc<PreparedBundle>>,
    /// Wakes the engine's worker so new items run promptly.
    pub wake: Arc<Notify>,
    /// Turns true when the engine stops.
    pub stopping: watch::Receiver<bool>,
}

/// Stores deliveries for the bundles that receive webhooks. Cheap to clone.
#[derive(Clone)]
pub struct WebhookIntake {
    store: Arc<dyn Store>,
    clock: SharedClock,
    receivers: Arc<HashMap<String, Arc<PreparedBundle>>>,
    wake: Arc<Notify>,
    stopping: watch::Receiver<bool>,
}

/// A delivery that passed authentication.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The media type (`application/json`), parameters removed.
    pub content_type: &'a str,
    /// The raw body.
    pub body: &'a [u8],
}

/// A stored delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// The run recorded for it.
    #[serde(skip)]
    pub run_id: RunId,
    /// Items queued for the first time.
    pub accepted: u64,
    /// Items seen before (a re-delivery), not queued again.
    pub duplicates: u64,
}

/// Why a delivery was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// The body is not what the source sends; the reason is redacted and short.
    #[error("rejected: {0}")]
    Rejected(String),
    /// The connector could not read the delivery for another reason (redacted).
    #[error("the delivery could not be read: {0}")]
    Connector(String),
    /// The store failed; nothing is acknowledged, so the source retries.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl WebhookIntake {
    /// An intake over the enabled bundles whose trigger is delivered by webhook.
    pub fn new(parts: IntakeParts) -> WebhookIntake {
        let receivers = parts
            .bundles
            .into_iter()
            .filter(|b| b.bundle.enabled && b.webhook.is_some())
            .map(|b| (b.bundle.id.clone(), b))
            .collect();
        WebhookIntake {
            store: parts.store,
            clock: parts.clock,
            receivers: Arc::new(receivers),
            wake: parts.wake,
            stopping: parts.stopping,
        }
    }

    /// Whether no bundle receives webhooks (then there is nothing to listen for).
    pub fn is_empty(&self) -> bool {
        self.receivers.is_empty()
    }

    /// The ids of the bundles that receive webhooks, sorted.
    pub fn bundle_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.receivers.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// The receiving bundle with this id (`None` for unknown, disabled or polled ones).
    pub fn receiver(&self, bundle_id: &str) -> Option<&Arc<PreparedBundle>> {
        self.receivers.get(bundle_id)
    }

    /// Resolves when the engine stops.
    pub async fn stopped(&self) {
        let mut stopping = self.stopping.clone();
        let _ = stopping.wait_for(|s| *s).await;
    }

    /// Parse, key and store one authenticated delivery as a run, then wake the worker.
    /// Returns only after the items are committed.
    pub async fn accept(
        &self,
        bundle: &PreparedBundle,
        delivery: Delivery<'_>,
    ) -> Result<Accepted, IntakeError> {
        let trigger = &bundle.bundle.trigger;
        let redact = |text: &str| shorten(&bundle.redactor.redact(text));
        let connector = bundle
            .connector(&trigger.connection)
            .map_err(|e| IntakeError::Connector(redact(&e.to_string())))?;
        let received_at = self.clock.now();
        let payloads = connector
            .parse_webhook(WebhookRequest {
                event: &trigger.event,
                settings: &trigger.settings,
                content_type: delivery.content_type,
                body: delivery.body,
                received_at,
            })
            .await
            .map_err(|e| match e {
                ConnectorError::Rejected { body, .. } => IntakeError::Rejected(redact(&body)),
                other => IntakeError::Connector(redact(&other.to_string())),
            })?;
        let items: Vec<NewItem> = payloads.into_iter().map(|p| keyed(bundle, p)).collect();
        let seen = items.len() as u64;
        let bundle_id = bundle.bundle.id.clone();
        let run_id = self
            .store
            .start_run(NewRun {
                bundle_id: bundle_id.clone(),
                started_at: received_at.timestamp_millis(),
            })
            .await?;
        let enqueued = self
            .store
            .enqueue(EnqueueBatch {
                bundle_id,
                run_id,
                items,
                cursor: None,
                now: self.clock.now().timestamp_millis(),
            })
            .await;
        let outcome = match enqueued {
            Ok(outcome) => outcome,
            Err(e) => {
                // Best effort: the run shows the failure if the database is still there.
                let _ = self
                    .store
                    .finish_run(RunFinish {
                        run_id,
                        status: RunStatus::PollFailed,
                        items_seen: seen,
                        error: Some(redact(&format!("storing a webhook delivery: {e}"))),
                        finished_at: self.clock.now().timestamp_millis(),
                    })
                    .await;
                return Err(e.into());
            }
        };
        // The items are committed now. Should closing the run fail, the source is told
        // to retry, and the retry finds them already stored: nothing is lost or doubled.
        self.store
            .finish_run(RunFinish {
                run_id,
                status: RunStatus::Polled,
                items_seen: seen,
                error: None,
                finished_at: self.clock.now().timestamp_millis(),
            })
            .await?;
        if outcome.inserted > 0 {
            // `notify_one` keeps a permit when the worker is busy, so it looks again as
            // soon as it is free instead of at its next idle check.
            self.wake.notify_one();
        }
        Ok(Accepted {
            run_id,
            accepted: outcome.inserted,
            duplicates: outcome.duplicates,
        })
    }
}

fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_REASON_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
