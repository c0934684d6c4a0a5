//! The result of a chaos run and its Markdown rendering (the tables in
//! docs/reliability.md come from here).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use crate::audit::Audit;
use crate::history::Resolution;

/// One SIGKILL.
#[derive(Debug, Clone)]
pub struct Kill {
    /// 1-based.
    pub number: usize,
    /// Since the run started.
    pub at: Duration,
    /// Since the killed worker started.
    pub after_start: Duration,
    /// CRM requests the killed worker had made (the planned kill point).
    pub after_requests: usize,
    /// Orders in retailCRM at that moment.
    pub orders_so_far: usize,
    /// Items in the store at that moment.
    pub items_known: usize,
    /// Of which settled.
    pub settled_so_far: usize,
    /// Steps the kill left `sending` (newly uncertain).
    pub steps_left_sending: usize,
}

impl Kill {
    /// A progress line.
    pub fn line(&self) -> String {
        format!(
            "kill #{} at {:.1}s ({} ms and {} CRM requests into the worker): {} items queued, {} settled, {} orders, {} step(s) left sending",
            self.number,
            self.at.as_secs_f64(),
            self.after_start.as_millis(),
            self.after_requests,
            self.items_known,
            self.settled_so_far,
            self.orders_so_far,
            self.steps_left_sending
        )
    }
}

/// What the operator did with one held item.
#[derive(Debug, Clone)]
pub struct OperatorAction {
    /// The item.
    pub item_id: i64,
    /// Its call.
    pub call_id: i64,
    /// Whether Calltouch already had the deal.
    pub deal_existed: bool,
    /// The command run.
    pub command: String,
    /// What it printed.
    pub output: String,
}

/// Everything a chaos run found.
#[derive(Debug, Clone)]
pub struct ChaosReport {
    /// The RNG seed.
    pub seed: u64,
    /// Items (calls).
    pub calls: usize,
    /// Kills asked for.
    pub kills_requested: usize,
    /// Kills delivered.
    pub kills: Vec<Kill>,
    /// `ferry run --once` processes started in all.
    pub workers_started: usize,
    /// From start until every item was settled or held.
    pub settled_after: Duration,
    /// From the last kill until then.
    pub settled_after_last_kill: Duration,
    /// Final item statuses.
    pub item_statuses: BTreeMap<String, usize>,
    /// Steps found `sending` after a kill.
    pub uncertain_steps: usize,
    /// Uncertain steps by step and resolution.
    pub resolutions: BTreeMap<(String, Resolution), usize>,
    /// The operator's actions on held items.
    pub operator: Vec<OperatorAction>,
    /// The CRMs' final state.
    pub audit: Audit,
    /// Where the run's files are (kept when given).
    pub work_dir: Option<PathBuf>,
}

impl ChaosReport {
    /// Every delivery property holds: nothing lost, nothing duplicated, every uncertain
    /// step resolved the way the invariants say, and nothing left unfinished.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let a = &self.audit;
        let mut check = |value: usize, what: &str| {
            if value != 0 {
                problems.push(format!("{value} {what}"));
            }
        };
        check(a.calls_without_order, "call(s) without an order (lost)");
        check(a.calls_without_deal, "call(s) without a deal");
        check(
            a.phones_with_duplicate_customers,
            "phone(s) with more than one customer",
        );
        check(
            a.calls_with_duplicate_orders,
            "call(s) with more than one order",
        );
        check(
            a.calls_with_duplicate_deals,
            "call(s) with more than one deal",
        );
        check(
            a.orders_with_wrong_customer,
            "order(s) attached to another phone's customer",
        );
        for ((step, resolution), n) in &self.resolutions {
            if matches!(resolution, Resolution::Unexpected | Resolution::Held) {
                problems.push(format!(
                    "{n} uncertain `{step}` step(s) ended {resolution:?}"
                ));
            }
        }
        for (status, n) in &self.item_statuses {
            if !matches!(status.as_str(), "succeeded" | "discarded") {
                problems.push(format!("{n} item(s) ended {status}"));
            }
        }
        problems
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let a = &self.audit;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "seed {} · {} calls ({} distinct phones) · {} of {} kills delivered · {} worker processes · settled {:.1} s after start, {:.1} s after the last kill\n",
            self.seed,
            self.calls,
            a.distinct_phones,
            self.kills.len(),
            self.kills_requested,
            self.workers_started,
            self.settled_after.as_secs_f64(),
            self.settled_after_last_kill.as_secs_f64(),
        );
        let _ = writeln!(out, "| result | value |\n|---|---|");
        let rows: [(&str, String); 12] = [
            (
                "items lost (calls without an order)",
                a.calls_without_order.to_string(),
            ),
            ("calls without a deal", a.calls_without_deal.to_string()),
            (
                "duplicate customers (phones with > 1 customer)",
                a.phones_with_duplicate_customers.to_string(),
            ),
            (
                "duplicate orders (calls with > 1 order)",
                a.calls_with_duplicate_orders.to_string(),
            ),
            (
                "duplicate deals (calls with > 1 deal)",
                a.calls_with_duplicate_deals.to_string(),
            ),
            (
                "orders on another phone's customer",
                a.orders_with_wrong_customer.to_string(),
            ),
            (
                "customers created / create requests received",
                format!("{} / {}", a.customers_created, a.customer_create_requests),
            ),
            (
                "orders created / create requests received",
                format!("{} / {}", a.orders_created, a.order_create_requests),
            ),
            (
                "deals created / create requests received",
                format!("{} / {}", a.deals_created, a.deal_create_requests),
            ),
            ("item statuses", format!("{:?}", self.item_statuses)),
            (
                "steps found uncertain after a kill",
                self.uncertain_steps.to_string(),
            ),
            (
                "operator actions on held items",
                self.operator.len().to_string(),
            ),
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        let _ = writeln!(
            out,
            "\n| uncertain step | resolution | count |\n|---|---|---|"
        );
        if self.resolutions.is_empty() {
            let _ = writeln!(out, "| — | none found | 0 |");
        }
        for ((step, resolution), n) in &self.resolutions {
            let _ = writeln!(out, "| `{step}` | {} | {n} |", resolution.describe());
        }
        if !self.operator.is_empty() {
            let _ = writeln!(
                out,
                "\n| held item | call | deal in Calltouch? | operator command |\n|---|---|---|---|"
            );
            for action in &self.operator {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | `{}` |",
                    action.item_id,
                    action.call_id,
                    if action.deal_existed { "yes" } else { "no" },
                    action.command
                );
            }
        }
        let _ = writeln!(out, "\nkills:\n");
        for kill in &self.kills {
            let _ = writeln!(out, "- {}", kill.line());
        }
        out
    }
}
