//! Polling one bundle's trigger.
//!
//! A poll is a sequence of pages. Each page's items are queued in their own transaction
//! (an item seen before is ignored by the database's unique key), and the connector's new
//! cursor is stored only together with the last page. So a poll that fails half-way
//! leaves the cursor where it was: the next tick fetches the same window again, the items
//! already queued are recognised as seen, and nothing in between is skipped.
//!
//! A source that refuses its credentials marks its connection broken (shown by `ferry
//! connections` and `ferry runs`), exactly as a refusing target does for steps; the next
//! poll that works clears the mark.

use ferry_connectors::PollRequest;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use ferry_connectors::RetryAdvice;

use super::connection_health::ConnectionHealth;
use super::prepared::PreparedBundle;
use crate::clock::Clock;
use crate::expr::EvalContext;
use crate::store::{
    BrokenMark, EnqueueBatch, NewItem, NewRun, RunFinish, RunId, RunStatus, Store, StoreError,
};

/// Upper bound on pages in one poll, so a source whose "next page" never ends cannot keep
/// a bundle polling forever.
const MAX_PAGES_PER_POLL: usize = 10_000;

/// What one poll did.
#[derive(Debug, Clone, Serialize)]
pub struct PollReport {
    /// The bundle.
    pub bundle_id: String,
    /// The run recorded for it.
    pub run_id: RunId,
    /// Items the source returned.
    pub items_seen: u64,
    /// Items queued for the first time.
    pub items_new: u64,
    /// The redacted error if the poll failed (the cursor did not move).
    pub error: Option<String>,
}

/// What a poll works with.
#[derive(Clone, Copy)]
pub struct PollContext<'a> {
    /// Where items, cursors and runs are recorded.
    pub store: &'a dyn Store,
    /// The engine's clock.
    pub clock: &'a dyn Clock,
    /// Where a source refusing its credentials is reported.
    pub health: &'a ConnectionHealth,
}

/// Poll `bundle` once and queue what is new.
pub async fn poll_bundle(
    ctx: PollContext<'_>,
    bundle: &PreparedBundle,
) -> Result<PollReport, StoreError> {
    let PollContext {
        store,
        clock,
        health,
    } = ctx;
    let trigger = &bundle.bundle.trigger;
    let bundle_id = bundle.bundle.id.clone();
    let now = clock.now();
    let run_id = store
        .start_run(NewRun {
            bundle_id: bundle_id.clone(),
            started_at: now.timestamp_millis(),
        })
        .await?;
    let cursor = store.cursor(&bundle_id).await?;
    let mut report = PollReport {
        bundle_id: bundle_id.clone(),
        run_id,
        items_seen: 0,
        items_new: 0,
        error: None,
    };

    let result = async {
        let connector = bundle.connector(&trigger.connection)?;
        let mut page_token: Option<Value> = None;
        for _ in 0..MAX_PAGES_PER_POLL {
            let request = PollRequest {
                event: &trigger.event,
                settings: &trigger.settings,
                cursor: cursor.as_ref(),
                page: page_token.as_ref(),
                now,
            };
            let page = connector.poll(request).await?;
            let last = page.next_page.is_none();
            let items: Vec<NewItem> = page.items.into_iter().map(|payload| keyed(bundle, payload)).collect();
            report.items_seen += items.len() as u64;
            let outcome = store
                .enqueue(EnqueueBatch {
                    bundle_id: bundle_id.clone(),
                    run_id,
                    items,
                    cursor: if last { page.cursor } else { None },
                    now: clock.now().timestamp_millis(),
                })
                .await
                .map_err(PollFailure::Store)?;
            report.items_new += outcome.inserted;
            if last {
                return Ok(());
            }
            page_token = page.next_page;
        }
        Err(PollFailure::Connector(ferry_connectors::ConnectorError::InvalidResponse(format!(
            "the source kept returning more pages after {MAX_PAGES_PER_POLL}; stopped without moving the cursor"
        ))))
    }
    .await;

    let status = match result {
        Ok(()) => {
            health.working(store, &bundle_id, &trigger.connection).await;
            RunStatus::Polled
        }
        Err(PollFailure::Store(e)) => {
            let _ = store
                .finish_run(RunFinish {
                    run_id,
                    status: RunStatus::PollFailed,
                    items_seen: report.items_seen,
                    error: Some(bundle.redactor.redact(&e.to_string())),
                    finished_at: clock.now().timestamp_millis(),
                })
                .await;
            return Err(e);
        }
        Err(PollFailure::Connector(e)) => {
            let text = format!("poll of `{}.{}`: {e}", trigger.connection, trigger.event);
            report.error = Some(bundle.redactor.redact(&text));
            if e.advice() == RetryAdvice::ConnectionBroken {
                let mark = BrokenMark {
                    bundle_id: bundle_id.clone(),
                    connection: trigger.connection.clone(),
                    reason: bundle.redactor.redact(&e.to_string()),
                    now: clock.now().timestamp_millis(),
                };
                health.broken(store, mark).await;
            }
            RunStatus::PollFailed
        }
    };
    store
        .finish_run(RunFinish {
            run_id,
            status,
            items_seen: report.items_seen,
            error: report.error.clone(),
            finished_at: clock.now().timestamp_millis(),
        })
        .await?;
    Ok(report)
}

enum PollFailure {
    Connector(ferry_connectors::ConnectorError),
    Store(StoreError),
}

impl From<ferry_connectors::ConnectorError> for PollFailure {
    fn from(e: ferry_connectors::ConnectorError) -> Self {
        PollFailure::Connector(e)
    }
}

/// The item with its key. An item whose key cannot be rendered (the field is missing) is
/// still queued, under a key derived from its content, so it is not lost: it shows up in
/// the run history, and its steps fail visibly if they need the same field.
pub(crate) fn keyed(bundle: &PreparedBundle, payload: Value) -> NewItem {
    let steps = Map::new();
    let ctx = EvalContext {
        item: &payload,
        steps: &steps,
        bundle: &bundle.bundle_json,
        vars: crate::expr::no_vars(),
    };
    let key = match bundle.bundle.trigger.key.render_text(&ctx) {
        Ok(key) if !key.trim().is_empty() => key,
        _ => {
            let digest = Sha256::digest(payload.to_string().as_bytes());
            format!("content-sha256:{}", hex::encode(&digest[..16]))
        }
    };
    NewItem { key, payload }
}
