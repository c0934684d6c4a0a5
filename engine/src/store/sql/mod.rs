//! The SQL text of the store, shared by both dialects.
//!
//! Both backends bind parameters as `$1, $2, …` (PostgreSQL natively; sqlx maps `$N` to
//! SQLite's numbered parameters), so one statement text serves both wherever the dialects
//! agree. The few places they differ (membership in a bound list of ids, row locking in the
//! claim) are built by [`Statements::for_dialect`]. Every time comparison uses a bound `now`.

mod bound;
pub(super) mod transactions;

pub(super) use bound::BoundStatements;

/// The two SQL dialects the store speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// SQLite: lists are bound as one JSON array and read with `json_each`.
    Sqlite,
    /// PostgreSQL: lists are bound as arrays; claims lock rows with `SKIP LOCKED`.
    Postgres,
}

impl Dialect {
    /// `column` is one of the values bound at `$param`.
    fn member_of(self, column: &str, param: u32) -> String {
        match self {
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each(${param}))"),
            Dialect::Postgres => format!("{column} = ANY(${param})"),
        }
    }

    /// The locking clause of the claim's candidate query. PostgreSQL: concurrent claimers
    /// skip rows another transaction is claiming instead of waiting for (or double-taking)
    /// them. SQLite has one writer, so the claim transaction alone is enough.
    fn claim_lock(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// An item is due when it is new, when its retry time came, or when the worker that
/// claimed it stopped renewing its lease (it died). `$1` is now. One condition per way,
/// each answered by an index on its own (see [`claim_candidates`]).
const CLAIMABLE: [&str; 3] = [
    "status = 'pending'",
    "status = 'waiting' AND due_at <= $1",
    "status = 'running' AND lease_until < $1",
];

/// The ids of the oldest `$5` due items (with `filter` appended to each condition).
///
/// Written as one branch per way of being due, each `ORDER BY id LIMIT $5` on its own,
/// merged and cut to `$5` again. A single `WHERE` with the three conditions `OR`-ed makes
/// the planner collect and sort *every* claimable item to return the first few, which is
/// the whole backlog on every claim; a branch instead walks the `(status, id)` index
/// (migration 0003) in order and stops after `$5` rows. On PostgreSQL each branch locks
/// the rows it returns with `SKIP LOCKED` (the clause is not allowed on a `UNION` itself).
fn claim_candidates(filter: &str, lock: &str) -> String {
    let branches: Vec<String> = CLAIMABLE
        .iter()
        .enumerate()
        .map(|(n, condition)| {
            format!(
                "SELECT id FROM (SELECT id FROM items WHERE {condition}{filter} \
                 ORDER BY id LIMIT $5{lock}) AS due_{n}"
            )
        })
        .collect();
    format!(
        "SELECT id FROM ({}) AS due ORDER BY id LIMIT $5",
        branches.join(" UNION ALL ")
    )
}

/// Statements whose text depends on the dialect, built once per store.
#[derive(Debug, Clone)]
pub(super) struct Statements {
    /// Claim any bundle's due items: `$1` now, `$2` token, `$3` worker, `$4` lease until,
    /// `$5` limit.
    pub claim_any: String,
    /// Claim due items of the bundles in `$6` (same parameters as `claim_any`).
    pub claim_bundles: String,
    /// Step records of the items in `$1`, in item and chain order.
    pub steps_of_items: String,
    /// Item counts by run and status for the runs in `$1`.
    pub counts_of_runs: String,
}

impl Statements {
    /// Build the dialect-specific statements.
    pub(super) fn for_dialect(dialect: Dialect) -> Statements {
        let claim = |filter: &str| {
            format!(
                "UPDATE items SET status = 'running', claim_token = $2, claimed_by = $3, \
                 lease_until = $4, attempts = attempts + 1, updated_at = $1 \
                 WHERE id IN ({candidates}) \
                 RETURNING id, bundle_id, run_id, item_key, payload, created_at",
                candidates = claim_candidates(filter, dialect.claim_lock()),
            )
        };
        Statements {
            claim_any: claim(""),
            claim_bundles: claim(&format!(" AND {}", dialect.member_of("bundle_id", 6))),
            steps_of_items: format!(
                "SELECT {STEP_COLUMNS} FROM step_results WHERE {} ORDER BY item_id, seq",
                dialect.member_of("item_id", 1)
            ),
            counts_of_runs: format!(
                "SELECT run_id, status, COUNT(*) AS n FROM items WHERE {} \
                 GROUP BY run_id, status",
                dialect.member_of("run_id", 1)
            ),
        }
    }
}

/// Columns read into a step row.
const STEP_COLUMNS: &str = "item_id, step_id, status, attempts, output, error, updated_at";

pub(super) const UPSERT_BUNDLE: &str = "INSERT INTO bundles (id, name, path, updated_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
     name = excluded.name, path = excluded.path, updated_at = excluded.updated_at";

pub(super) const SELECT_CURSOR: &str = "SELECT cursor FROM cursors WHERE bundle_id = $1";

pub(super) const UPSERT_CURSOR: &str = "INSERT INTO cursors (bundle_id, cursor, updated_at) \
     VALUES ($1, $2, $3) ON CONFLICT (bundle_id) DO UPDATE SET \
     cursor = excluded.cursor, updated_at = excluded.updated_at";

pub(super) const INSERT_RUN: &str = "INSERT INTO runs (bundle_id, started_at, status) \
     VALUES ($1, $2, 'polling') RETURNING id";

pub(super) const ADD_ITEMS_NEW: &str = "UPDATE runs SET items_new = items_new + $1 WHERE id = $2";

pub(super) const FINISH_RUN: &str = "UPDATE runs SET status = $1, items_seen = $2, error = $3, \
     finished_at = $4 WHERE id = $5";

/// Rows per multi-row insert: few enough to stay far below both databases' parameter
/// limits (SQLite 32766, PostgreSQL 65535), many enough to amortize the round trip.
pub(super) const ENQUEUE_CHUNK: usize = 400;

/// `INSERT` of `rows` new items, ignoring keys seen before. Shared parameters are bound
/// once: `$1` bundle id, `$2` run id, `$3` now; then key and payload per row.
pub(super) fn insert_items(rows: usize) -> String {
    let mut sql = String::with_capacity(120 + rows * 40);
    sql.push_str(
        "INSERT INTO items (bundle_id, run_id, item_key, payload, status, created_at, updated_at) VALUES ",
    );
    for row in 0..rows {
        let key = 4 + 2 * row;
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "($1, $2, ${key}, ${}, 'pending', $3, $3)",
            key + 1
        ));
    }
    sql.push_str(" ON CONFLICT (bundle_id, item_key) DO NOTHING");
    sql
}

// Both step writes are fenced the same way: the row is written only if the item is still
// claimed under `$2`, so a worker that lost its claim writes nothing (0 rows affected).
// `seq` is taken on the step's first record and kept, which gives chain order.

/// Mark a step sending: `$1` item, `$2` token, `$3` step, `$4` attempt, `$5` now. The last
/// error is kept (it explains why this is another attempt); an old output is cleared.
pub(super) const BEGIN_STEP: &str = "INSERT INTO step_results \
     (item_id, step_id, seq, status, attempts, output, error, updated_at) \
     SELECT i.id, $3, COALESCE((SELECT MAX(s.seq) FROM step_results s WHERE s.item_id = i.id), 0) + 1, \
     'sending', $4, NULL, NULL, $5 FROM items i WHERE i.id = $1 AND i.claim_token = $2 \
     ON CONFLICT (item_id, step_id) DO UPDATE SET status = 'sending', \
     attempts = excluded.attempts, output = NULL, updated_at = excluded.updated_at";

/// Record a step's outcome: `$1` item, `$2` token, `$3` step, `$4` status, `$5` attempts,
/// `$6` output, `$7` error, `$8` now. An upsert, because a step skipped by its `when` was
/// never begun.
pub(super) const FINISH_STEP: &str = "INSERT INTO step_results \
     (item_id, step_id, seq, status, attempts, output, error, updated_at) \
     SELECT i.id, $3, COALESCE((SELECT MAX(s.seq) FROM step_results s WHERE s.item_id = i.id), 0) + 1, \
     $4, $5, $6, $7, $8 FROM items i WHERE i.id = $1 AND i.claim_token = $2 \
     ON CONFLICT (item_id, step_id) DO UPDATE SET status = excluded.status, \
     attempts = excluded.attempts, output = excluded.output, error = excluded.error, \
     updated_at = excluded.updated_at";

/// Record step `$3`'s outcome and mark step `$9` `sending` in **one statement** (so one
/// transaction, and one round trip to the database): `$1` item, `$2` token, `$3` step,
/// `$4` status, `$5` attempts, `$6` output, `$7` error, `$8` now, `$9` next step, `$10`
/// its attempt. Each row is written exactly as [`FINISH_STEP`] and [`BEGIN_STEP`] would
/// write it (a `sending` row keeps its last error); both are fenced by the same claim, so
/// either both rows are written or neither. A new finished row takes the next `seq` and a
/// new `sending` row the one after it, which keeps chain order.
pub(super) const FINISH_AND_BEGIN_STEP: &str = "INSERT INTO step_results \
     (item_id, step_id, seq, status, attempts, output, error, updated_at) \
     SELECT i.id, $3, COALESCE((SELECT MAX(s.seq) FROM step_results s WHERE s.item_id = i.id), 0) + 1, \
     $4, $5, $6, $7, $8 FROM items i WHERE i.id = $1 AND i.claim_token = $2 \
     UNION ALL \
     SELECT i.id, $9, COALESCE((SELECT MAX(s.seq) FROM step_results s WHERE s.item_id = i.id), 0) + 2, \
     'sending', $10, NULL, NULL, $8 FROM items i WHERE i.id = $1 AND i.claim_token = $2 \
     ON CONFLICT (item_id, step_id) DO UPDATE SET status = excluded.status, \
     attempts = excluded.attempts, output = excluded.output, \
     error = CASE WHEN excluded.status = 'sending' THEN step_results.error ELSE excluded.error END, \
     updated_at = excluded.updated_at";

/// `$1` item, `$2` token, `$3` status, `$4` due at, `$5` error, `$6` now.
pub(super) const SETTLE_ITEM: &str = "UPDATE items SET status = $3, due_at = $4, error = $5, \
     claim_token = NULL, claimed_by = NULL, lease_until = NULL, updated_at = $6 \
     WHERE id = $1 AND claim_token = $2";

/// `$1` item, `$2` token, `$3` new lease end.
pub(super) const RENEW_CLAIM: &str =
    "UPDATE items SET lease_until = $3 WHERE id = $1 AND claim_token = $2";

pub(super) const RELEASE_CLAIMS: &str = "UPDATE items SET status = 'pending', \
     claim_token = NULL, claimed_by = NULL, lease_until = NULL \
     WHERE status = 'running' AND claimed_by = $1";

/// Every claim, at the start of the only engine on a SQLite file.
pub(super) const RELEASE_ALL_CLAIMS: &str = "UPDATE items SET status = 'pending', \
     claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE status = 'running'";

/// Which items an operator command touches, by run (`$2` run id) or one item (`$2` id).
#[derive(Debug, Clone, Copy)]
pub(super) enum TargetColumn {
    /// Every matching item of a run.
    Run,
    /// One item.
    Item,
}

impl TargetColumn {
    /// The column and value an operator target selects by.
    pub(super) fn of(target: &super::ItemTarget) -> (TargetColumn, i64) {
        match *target {
            super::ItemTarget::Run(id) => (TargetColumn::Run, id),
            super::ItemTarget::Item(id) => (TargetColumn::Item, id),
        }
    }

    fn column(self) -> &'static str {
        match self {
            TargetColumn::Run => "run_id",
            TargetColumn::Item => "id",
        }
    }
}

/// An uncertain (`sending`) step of an item the operator retries becomes `failed`, so the
/// retry sends it again instead of holding the item once more: retrying a held item *is*
/// the operator's answer to the uncertainty. `$1` now, `$2` target, `$3` error text.
pub(super) fn retry_uncertain_steps(target: TargetColumn) -> String {
    format!(
        "UPDATE step_results SET status = 'failed', error = $3, updated_at = $1 \
         WHERE status = 'sending' AND item_id IN (SELECT id FROM items \
         WHERE status IN ('held', 'failed') AND {} = $2)",
        target.column()
    )
}

/// Held or failed items become due now. `$1` now, `$2` target.
pub(super) fn retry_items(target: TargetColumn) -> String {
    format!(
        "UPDATE items SET status = 'pending', due_at = $1, error = NULL, updated_at = $1 \
         WHERE status IN ('held', 'failed') AND {} = $2",
        target.column()
    )
}

/// Held items are discarded; their error stays to explain why they were held.
/// `$1` now, `$2` target.
pub(super) fn discard_items(target: TargetColumn) -> String {
    format!(
        "UPDATE items SET status = 'discarded', updated_at = $1 \
         WHERE status = 'held' AND {} = $2",
        target.column()
    )
}

/// The statuses a resend window covers: items not yet delivered.
const UNDELIVERED: &str = "('held', 'failed', 'waiting')";

/// Uncertain steps of the undelivered items of bundle `$2` queued since `$4` become
/// `failed`, so they are sent again. `$1` now, `$3` error text.
pub(super) fn resend_uncertain_steps() -> String {
    format!(
        "UPDATE step_results SET status = 'failed', error = $3, updated_at = $1 \
         WHERE status = 'sending' AND item_id IN (SELECT id FROM items \
         WHERE bundle_id = $2 AND status IN {UNDELIVERED} AND created_at >= $4)"
    )
}

/// Undelivered items of bundle `$2` queued since `$3` become due now. `$1` now.
pub(super) fn resend_items() -> String {
    format!(
        "UPDATE items SET status = 'pending', due_at = $1, error = NULL, updated_at = $1 \
         WHERE bundle_id = $2 AND status IN {UNDELIVERED} AND created_at >= $3"
    )
}

/// Undelivered or queued items of bundle `$2` older than `$3` are dropped, with the
/// reason `$4`. `$1` now.
pub(super) fn drop_before_window() -> String {
    "UPDATE items SET status = 'discarded', error = $4, updated_at = $1 \
     WHERE bundle_id = $2 AND status IN ('held', 'failed', 'waiting', 'pending') \
     AND created_at < $3"
        .to_string()
}

const RUN_COLUMNS: &str = "r.id, r.bundle_id, COALESCE(b.name, r.bundle_id) AS bundle_name, \
     r.started_at, r.finished_at, r.status, r.items_seen, r.items_new, r.error";

/// Newest runs first: `$1` limit.
pub(super) fn list_runs_all() -> String {
    format!(
        "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN bundles b ON b.id = r.bundle_id \
         ORDER BY r.id DESC LIMIT $1"
    )
}

/// Newest runs of bundle `$2` first: `$1` limit.
pub(super) fn list_runs_of_bundle() -> String {
    format!(
        "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN bundles b ON b.id = r.bundle_id \
         WHERE r.bundle_id = $2 ORDER BY r.id DESC LIMIT $1"
    )
}

/// One run: `$1` id.
pub(super) fn select_run() -> String {
    format!(
        "SELECT {RUN_COLUMNS} FROM runs r LEFT JOIN bundles b ON b.id = r.bundle_id WHERE r.id = $1"
    )
}

/// Items of run `$1`, oldest first.
pub(super) const ITEMS_OF_RUN: &str =
    "SELECT id, item_key, status, error, due_at FROM items WHERE run_id = $1 ORDER BY id";

/// Step records of the items of run `$1`, in item and chain order.
pub(super) const STEPS_OF_RUN: &str = "SELECT s.item_id, s.step_id, s.status, s.attempts, s.output, s.error, s.updated_at \
     FROM step_results s JOIN items i ON i.id = s.item_id WHERE i.run_id = $1 \
     ORDER BY s.item_id, s.seq";

pub(super) const COUNT_ALL_ITEMS: &str = "SELECT status, COUNT(*) AS n FROM items GROUP BY status";

pub(super) const COUNT_BUNDLE_ITEMS: &str =
    "SELECT status, COUNT(*) AS n FROM items WHERE bundle_id = $1 GROUP BY status";

/// Take the lease if free or expired, renew it if `$2` already holds it; the version moves
/// only when the holder changes. No row comes back when someone else holds it.
/// `$1` name, `$2` holder, `$3` expires at, `$4` now.
pub(super) const ACQUIRE_LEASE: &str = "INSERT INTO leases (name, holder, version, expires_at) \
     VALUES ($1, $2, 1, $3) ON CONFLICT (name) DO UPDATE SET \
     version = CASE WHEN leases.holder = excluded.holder THEN leases.version \
     ELSE leases.version + 1 END, \
     holder = excluded.holder, expires_at = excluded.expires_at \
     WHERE leases.holder = excluded.holder OR leases.expires_at < $4 \
     RETURNING name, holder, version, expires_at";

/// Give a lease up by expiring it (`$3`, the earliest time) rather than deleting the row,
/// so the next holder's version is still higher than every version handed out before.
pub(super) const RELEASE_LEASE: &str =
    "UPDATE leases SET expires_at = $3 WHERE name = $1 AND holder = $2";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_items_numbers_each_row_after_the_shared_parameters() {
        assert_eq!(
            insert_items(2),
            "INSERT INTO items (bundle_id, run_id, item_key, payload, status, created_at, updated_at) \
             VALUES ($1, $2, $4, $5, 'pending', $3, $3), ($1, $2, $6, $7, 'pending', $3, $3) \
             ON CONFLICT (bundle_id, item_key) DO NOTHING"
        );
    }

    #[test]
    fn only_postgres_claims_skip_locked_rows() {
        assert!(
            Statements::for_dialect(Dialect::Postgres)
                .claim_any
                .contains("SKIP LOCKED")
        );
        assert!(
            !Statements::for_dialect(Dialect::Sqlite)
                .claim_any
                .contains("SKIP LOCKED")
        );
    }
}
