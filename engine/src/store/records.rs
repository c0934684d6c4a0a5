//! Rows as both databases return them, and their conversion into the store's types.
//!
//! The row structs derive [`sqlx::FromRow`] generically, so the SQLite and PostgreSQL
//! backends decode the same columns into the same structs; everything after decoding
//! (status parsing, JSON, grouping steps under items, counting) lives here once.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    ClaimedItem, ItemCounts, ItemDetail, ItemSettle, ItemStatus, Lease, RunDetail, RunStatus,
    RunSummary, StepBegin, StepFinish, StepRecord, StepStatus, StoreError,
};

/// One `step_results` row.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct StepRow {
    item_id: i64,
    step_id: String,
    status: String,
    attempts: i64,
    output: Option<String>,
    error: Option<String>,
    updated_at: i64,
}

/// An item as the claim returns it.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct ClaimedRow {
    id: i64,
    bundle_id: String,
    run_id: i64,
    item_key: String,
    payload: String,
    created_at: i64,
}

impl ClaimedRow {
    /// The item's id.
    pub(super) fn id(&self) -> i64 {
        self.id
    }
}

/// A run joined with its bundle's name.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RunRow {
    id: i64,
    bundle_id: String,
    bundle_name: String,
    started_at: i64,
    finished_at: Option<i64>,
    status: String,
    items_seen: i64,
    items_new: i64,
    error: Option<String>,
}

impl RunRow {
    /// The run's id.
    pub(super) fn id(&self) -> i64 {
        self.id
    }
}

/// Items of one run in one status.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RunCountRow {
    run_id: i64,
    status: String,
    n: i64,
}

/// Items in one status.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct StatusCountRow {
    status: String,
    n: i64,
}

/// An item in a run's detail.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct ItemRow {
    id: i64,
    item_key: String,
    status: String,
    error: Option<String>,
    due_at: Option<i64>,
}

/// A lease row.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct LeaseRow {
    name: String,
    holder: String,
    version: i64,
    expires_at: i64,
}

impl From<LeaseRow> for Lease {
    fn from(row: LeaseRow) -> Lease {
        Lease {
            name: row.name,
            holder: row.holder,
            version: row.version,
            expires_at: row.expires_at,
        }
    }
}

/// Text the uncertain step of a retried item records as its error.
pub(super) const RETRIED_UNCERTAIN: &str =
    "the outcome of the last attempt was unknown; an operator chose to send it again";

/// Refuse outcomes that would leave an item stuck: `running`/`pending` are not outcomes,
/// and a `waiting` item without `due_at` would never be due.
pub(super) fn check_settle(settle: &ItemSettle) -> Result<(), StoreError> {
    match settle.status {
        ItemStatus::Running | ItemStatus::Pending => Err(StoreError::Invalid(format!(
            "item {} cannot be settled as {}: that is not an outcome",
            settle.item_id,
            settle.status.as_str()
        ))),
        ItemStatus::Waiting if settle.due_at.is_none() => Err(StoreError::Invalid(format!(
            "item {} cannot wait without a due time",
            settle.item_id
        ))),
        _ => Ok(()),
    }
}

/// Refuse a step outcome that is not one (`sending` is written by `begin_step` only).
pub(super) fn check_step_outcome(
    status: StepStatus,
    item_id: i64,
    step_id: &str,
) -> Result<(), StoreError> {
    if status == StepStatus::Sending {
        return Err(StoreError::Invalid(format!(
            "step {step_id} of item {item_id} cannot finish as sending; use begin_step"
        )));
    }
    Ok(())
}

/// A step outcome and the next step's `sending` mark written together must be about the
/// same item under the same claim, and about two different steps.
pub(super) fn check_step_pair(finish: &StepFinish, begin: &StepBegin) -> Result<(), StoreError> {
    check_step_outcome(finish.status, finish.item_id, &finish.step_id)?;
    check_same_claim(finish, begin.item_id, &begin.claim_token)?;
    if finish.step_id == begin.step_id {
        return Err(StoreError::Invalid(format!(
            "step {} of item {} cannot finish and begin at once",
            finish.step_id, finish.item_id
        )));
    }
    Ok(())
}

/// A step outcome written with the settlement of its item must be about that item under
/// the same claim.
pub(super) fn check_step_and_settle(
    finish: &StepFinish,
    settle: &ItemSettle,
) -> Result<(), StoreError> {
    check_step_outcome(finish.status, finish.item_id, &finish.step_id)?;
    check_same_claim(finish, settle.item_id, &settle.claim_token)?;
    check_settle(settle)
}

fn check_same_claim(finish: &StepFinish, item_id: i64, token: &str) -> Result<(), StoreError> {
    if finish.item_id != item_id || finish.claim_token != token {
        return Err(StoreError::Invalid(format!(
            "step {} of item {} and a write about item {item_id} are not under one claim",
            finish.step_id, finish.item_id
        )));
    }
    Ok(())
}

/// A fenced write that touched no row: the claim is gone.
pub(super) fn fenced(rows_affected: u64, item_id: i64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::LostClaim { item_id })
    } else {
        Ok(())
    }
}

/// JSON as stored.
pub(super) fn json_text(value: &Value) -> String {
    value.to_string()
}

/// Parse stored JSON, naming what it was on failure.
pub(super) fn parse_json(text: &str, what: impl FnOnce() -> String) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{}: {e}", what())))
}

fn count(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("negative {what}: {n}")))
}

fn item_status(s: &str) -> Result<ItemStatus, StoreError> {
    ItemStatus::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown item status {s:?}")))
}

impl StepRow {
    fn into_record(self) -> Result<(i64, StepRecord), StoreError> {
        let status = StepStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown step status {:?}", self.status)))?;
        let attempts = u32::try_from(self.attempts).map_err(|_| {
            StoreError::Corrupt(format!("step attempts out of range: {}", self.attempts))
        })?;
        let output = match &self.output {
            Some(text) => Some(parse_json(text, || {
                format!("output of step {} of item {}", self.step_id, self.item_id)
            })?),
            None => None,
        };
        let record = StepRecord {
            step_id: self.step_id,
            status,
            attempts,
            output,
            error: self.error,
            updated_at: self.updated_at,
        };
        Ok((self.item_id, record))
    }
}

/// Group step rows (already in item and chain order) by item.
fn steps_by_item(rows: Vec<StepRow>) -> Result<HashMap<i64, Vec<StepRecord>>, StoreError> {
    let mut by_item: HashMap<i64, Vec<StepRecord>> = HashMap::new();
    for row in rows {
        let (item_id, record) = row.into_record()?;
        by_item.entry(item_id).or_default().push(record);
    }
    Ok(by_item)
}

/// Claimed items, oldest first, each with its step records.
pub(super) fn claimed_items(
    rows: Vec<ClaimedRow>,
    claim_token: &str,
    steps: Vec<StepRow>,
) -> Result<Vec<ClaimedItem>, StoreError> {
    let mut steps = steps_by_item(steps)?;
    let mut items = rows
        .into_iter()
        .map(|row| {
            let payload = parse_json(&row.payload, || format!("payload of item {}", row.id))?;
            Ok(ClaimedItem {
                id: row.id,
                steps: steps.remove(&row.id).unwrap_or_default(),
                bundle_id: row.bundle_id,
                run_id: row.run_id,
                key: row.item_key,
                payload,
                claim_token: claim_token.to_owned(),
                created_at: row.created_at,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    // RETURNING gives no order; the contract is oldest first.
    items.sort_by_key(|item| item.id);
    Ok(items)
}

/// Counts by status.
pub(super) fn item_counts(rows: Vec<StatusCountRow>) -> Result<ItemCounts, StoreError> {
    let mut counts = ItemCounts::default();
    for row in rows {
        counts.add(item_status(&row.status)?, count(row.n, "item count")?);
    }
    Ok(counts)
}

/// Runs with their item counts.
pub(super) fn run_summaries(
    runs: Vec<RunRow>,
    counts: Vec<RunCountRow>,
) -> Result<Vec<RunSummary>, StoreError> {
    let mut by_run: HashMap<i64, ItemCounts> = HashMap::new();
    for row in counts {
        let status = item_status(&row.status)?;
        by_run
            .entry(row.run_id)
            .or_default()
            .add(status, count(row.n, "item count")?);
    }
    runs.into_iter()
        .map(|run| {
            let counts = by_run.remove(&run.id).unwrap_or_default();
            run_summary(run, counts)
        })
        .collect()
}

fn run_summary(row: RunRow, counts: ItemCounts) -> Result<RunSummary, StoreError> {
    let status = RunStatus::parse(&row.status)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown run status {:?}", row.status)))?;
    Ok(RunSummary {
        id: row.id,
        bundle_id: row.bundle_id,
        bundle_name: row.bundle_name,
        started_at: row.started_at,
        finished_at: row.finished_at,
        status,
        items_seen: count(row.items_seen, "items seen")?,
        items_new: count(row.items_new, "items new")?,
        counts,
        error: row.error,
    })
}

/// A run with its items (oldest first) and their steps; counts come from the items.
pub(super) fn run_detail(
    run: RunRow,
    items: Vec<ItemRow>,
    steps: Vec<StepRow>,
) -> Result<RunDetail, StoreError> {
    let mut steps = steps_by_item(steps)?;
    let mut counts = ItemCounts::default();
    let items = items
        .into_iter()
        .map(|row| {
            let status = item_status(&row.status)?;
            counts.add(status, 1);
            Ok(ItemDetail {
                id: row.id,
                key: row.item_key,
                status,
                error: row.error,
                due_at: row.due_at,
                steps: steps.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(RunDetail {
        run: run_summary(run, counts)?,
        items,
    })
}
