//! Human-readable tables for run summaries and history.

use chrono::{DateTime, Utc};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::runtime::TickReport;
use crate::store::{ItemCounts, RunDetail, RunQuery, RunSummary, Store, StoreError, Timestamp};

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table.set_header(header.iter().copied());
    table
}

/// `2026-03-01 10:05:00` in UTC.
pub fn format_time(ms: Timestamp) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

fn count_cells(c: &ItemCounts) -> Vec<String> {
    vec![
        c.succeeded.to_string(),
        c.filtered.to_string(),
        c.skipped.to_string(),
        (c.waiting + c.in_progress).to_string(),
        c.failed.to_string(),
        c.held.to_string(),
    ]
}

/// The summary of a `--once` tick: one row per bundle.
pub async fn tick_table(store: &dyn Store, report: &TickReport) -> Result<String, StoreError> {
    let mut table = new_table(&[
        "run",
        "bundle",
        "seen",
        "new",
        "succeeded",
        "filtered",
        "skipped",
        "waiting",
        "failed",
        "held",
        "poll error",
    ]);
    for b in &report.bundles {
        let runs = store
            .list_runs(RunQuery {
                bundle_id: Some(b.poll.bundle_id.clone()),
                limit: 1,
            })
            .await?;
        let counts = runs.first().map(|r| r.counts.clone()).unwrap_or_default();
        let mut row = vec![
            b.poll.run_id.to_string(),
            b.bundle_name.clone(),
            b.poll.items_seen.to_string(),
            b.poll.items_new.to_string(),
        ];
        row.extend(count_cells(&counts));
        row.push(b.poll.error.clone().unwrap_or_default());
        table.add_row(row);
    }
    Ok(format!(
        "{table}\n{} item(s) processed this tick; `ferry runs show RUN` for details",
        report.items_processed
    ))
}

/// `ferry runs`.
pub fn runs_table(runs: &[RunSummary]) -> String {
    let mut table = new_table(&[
        "run",
        "bundle",
        "started (UTC)",
        "poll",
        "seen",
        "new",
        "succeeded",
        "filtered",
        "skipped",
        "waiting",
        "failed",
        "held",
        "error",
    ]);
    for r in runs {
        let mut row = vec![
            r.id.to_string(),
            r.bundle_name.clone(),
            format_time(r.started_at),
            r.status.as_str().to_string(),
            r.items_seen.to_string(),
            r.items_new.to_string(),
        ];
        row.extend(count_cells(&r.counts));
        row.push(r.error.clone().unwrap_or_default());
        table.add_row(row);
    }
    table.to_string()
}

/// `ferry runs show ID`.
pub fn run_detail_table(detail: &RunDetail) -> String {
    let r = &detail.run;
    let mut out = format!(
        "run {} of {} ({}), started {} UTC, poll {}: {} seen, {} new\n",
        r.id,
        r.bundle_name,
        r.bundle_id,
        format_time(r.started_at),
        r.status.as_str(),
        r.items_seen,
        r.items_new
    );
    if let Some(e) = &r.error {
        out.push_str(&format!("poll error: {e}\n"));
    }
    let mut table = new_table(&[
        "item",
        "key",
        "status",
        "step",
        "step status",
        "attempts",
        "error",
    ]);
    for item in &detail.items {
        let item_error = item.error.clone().unwrap_or_default();
        let status = match item.due_at {
            Some(due) => format!("{} (next {})", item.status_word(), format_time(due)),
            None => item.status_word().to_string(),
        };
        if item.steps.is_empty() {
            table.add_row(vec![
                item.id.to_string(),
                item.key.clone(),
                status,
                String::new(),
                String::new(),
                String::new(),
                item_error,
            ]);
            continue;
        }
        for (i, step) in item.steps.iter().enumerate() {
            let first = i == 0;
            table.add_row(vec![
                if first {
                    item.id.to_string()
                } else {
                    String::new()
                },
                if first {
                    item.key.clone()
                } else {
                    String::new()
                },
                if first { status.clone() } else { String::new() },
                step.step_id.clone(),
                step.status.as_str().to_string(),
                step.attempts.to_string(),
                step.error.clone().unwrap_or_default(),
            ]);
        }
    }
    out.push_str(&table.to_string());
    out
}

trait StatusWord {
    fn status_word(&self) -> &'static str;
}

impl StatusWord for crate::store::ItemDetail {
    fn status_word(&self) -> &'static str {
        self.status.as_str()
    }
}
