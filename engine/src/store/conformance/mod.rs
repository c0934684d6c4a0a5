//! One conformance suite for every [`Store`] backend.
//!
//! Each check is an async function over a [`Fixture`] (a fresh, migrated database plus the
//! means to reopen it and to open more workers on it); [`conformance_suite!`] instantiates
//! every check as a `#[tokio::test]` per backend. SQLite runs on a temporary file;
//! PostgreSQL runs in a fresh schema whenever a server is reachable (see
//! [`harness::postgres`]).

mod combined;
mod connections;
mod harness;
mod history;
mod leases;
mod queue;
mod settle;

/// Instantiate every check of the suite for one backend.
macro_rules! conformance_suite {
    ($backend:ident, $open:path) => {
        conformance_suite!(@tests $backend, $open;
            leases::migrations_apply_twice,
            leases::lease_acquire_renew_contend_takeover,
            queue::enqueue_dedups_across_batches_and_reopen,
            queue::enqueue_spans_several_chunks,
            queue::cursor_moves_only_with_its_batch,
            queue::concurrent_claimers_take_each_item_once,
            queue::waiting_items_are_not_claimed_before_due,
            queue::claims_respect_limit_order_and_bundle_filter,
            settle::expired_claim_is_reclaimed_and_old_token_fenced,
            settle::renewed_claim_is_not_taken,
            settle::steps_persist_in_chain_order_across_claims,
            settle::invalid_outcomes_are_refused,
            settle::release_claims_returns_a_workers_items,
            history::retry_and_discard_follow_operator_rules,
            history::runs_list_with_counts_and_detail,
            history::resend_window_resends_recent_and_drops_older,
            combined::finish_and_begin_write_both_in_chain_order,
            combined::combined_writes_are_fenced_as_a_whole,
            combined::finish_and_settle_record_the_step_and_release_the_item,
            connections::tokens_are_replaced_per_chain_and_survive_reopen,
            connections::broken_marks_keep_since_and_clear,
        );
    };
    (@tests $backend:ident, $open:path; $($group:ident :: $check:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(mut fixture) = $open().await else { return };
                    super::$group::$check(&mut *fixture).await;
                }
            )*
        }
    };
}

conformance_suite!(sqlite, crate::store::conformance::harness::sqlite);
conformance_suite!(postgres, crate::store::conformance::harness::postgres);

#[test]
fn migration_file_names_are_identical_in_both_dialects() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let names = |dialect: &str| {
        let mut names: Vec<String> = std::fs::read_dir(root.join(dialect))
            .unwrap_or_else(|e| panic!("migrations/{dialect}: {e}"))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty(), "no SQLite migrations");
    assert_eq!(sqlite, names("postgres"));
}
