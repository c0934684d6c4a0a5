//! End-to-end: the UniTalk → Salesforce leads template while the org's daily API quota
//! is spent (403 `REQUEST_LIMIT_EXCEEDED`) for hours. The org is held: its requests are
//! refused unsent for 15 minutes at a time with one probe after each hold, the calls
//! wait without spending attempts however long it lasts (longer than `max_attempts`
//! holds), and once capacity returns each call is logged exactly once.
//!
//! The hold runs on tokio's clock and the engine's schedule on the manual clock; the test
//! moves both. Tokio's auto-advance is kept off (see `scheduler.rs`): the SQLite store
//! waits on its own thread, and paused time must not jump while it does.

mod sf_world;
mod support;

use std::time::Duration;

use ferry::store::{ItemStatus, StepStatus};
use ferry_connectors::unitalk::emulator::HistoryCall;
use sf_world::{Crms, add_call, at, bundle, crms, records, task_of};
use support::history::{counts, items};

const BUNDLE: &str = "unitalk-salesforce-leads";
/// How long Salesforce's quota answer holds the org (the connector's pause).
const HOLD: Duration = Duration::from_secs(15 * 60);
/// Holds sat out before the quota returns: more than the template's `max_attempts` (8).
const HOLDS: usize = 12;

/// Keeps tokio's paused clock from auto-advancing while it lives (a blocking task in
/// flight inhibits auto-advance on the current-thread runtime).
struct NoAutoAdvance {
    release: std::sync::mpsc::Sender<()>,
}

impl NoAutoAdvance {
    fn hold() -> NoAutoAdvance {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = wait.recv();
        });
        NoAutoAdvance { release }
    }
}

impl Drop for NoAutoAdvance {
    fn drop(&mut self) {
        let _ = self.release.send(());
    }
}

/// API requests the org received (token requests aside).
fn api_requests(crms: &Crms) -> usize {
    crms.sf
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/services/data/"))
        .count()
}

/// Move both clocks by `by`, with a moment of real time for timers that fire.
async fn advance(world: &support::World, by: Duration) {
    world.clock.advance(by);
    tokio::time::advance(by).await;
    tokio::task::yield_now().await;
}

#[tokio::test]
async fn a_spent_quota_holds_the_org_and_the_calls_wait_without_spending_attempts() {
    tokio::time::pause();
    let _no_auto_advance = NoAutoAdvance::hold();
    let crms = crms().await;
    let world = sf_world::world(&crms);
    for (id, time, client) in [
        (601, "09:10:00", "380672220001"),
        (602, "09:11:00", "380672220002"),
        (603, "09:12:00", "380672220003"),
    ] {
        add_call(
            &crms,
            HistoryCall {
                id,
                date: &at(time),
                client,
                ..HistoryCall::default()
            },
        );
    }
    let engine = world.engine(vec![bundle(&crms, "leads.yaml", &[])]).await;
    crms.sf.set_api_used(crms.sf.config().daily_api_limit);

    engine.tick().await.unwrap();
    let sent = api_requests(&crms);
    assert!(
        (1..=3).contains(&sent),
        "at most the requests already on their way when the first 403 came: {sent}"
    );
    for round in 0..HOLDS {
        advance(&world, HOLD + Duration::from_secs(1)).await;
        let before = api_requests(&crms);
        engine.drain().await.unwrap();
        assert_eq!(
            api_requests(&crms) - before,
            1,
            "hold {round}: one probe, the other calls refused unsent"
        );
        let counts = counts(&engine, BUNDLE).await;
        assert_eq!((counts.waiting, counts.failed), (3, 0), "{counts:?}");
    }
    for item in items(&engine, BUNDLE).await {
        assert_eq!(item.status, ItemStatus::Waiting);
        let error = item.error.clone().unwrap_or_default();
        assert!(error.contains("daily API quota"), "{error}");
        for step in &item.steps {
            assert_eq!(step.attempts, 0, "no attempt spent: {}: {step:?}", item.key);
        }
    }
    assert!(records(&crms, "Lead").is_empty());

    // Capacity returns: after the hold, one probe succeeds and the rest follow.
    crms.sf.set_api_used(0);
    advance(&world, HOLD + Duration::from_secs(1)).await;
    engine.drain().await.unwrap();
    for _ in 0..5 {
        if counts(&engine, BUNDLE).await.succeeded == 3 {
            break;
        }
        advance(&world, Duration::from_secs(2)).await;
        engine.drain().await.unwrap();
    }
    let counts = counts(&engine, BUNDLE).await;
    assert_eq!((counts.succeeded, counts.failed), (3, 0), "{counts:?}");
    assert_eq!(records(&crms, "Lead").len(), 3);
    for call in [601, 602, 603] {
        task_of(&crms, call);
    }
    assert_eq!(records(&crms, "Task").len(), 3);
    for item in items(&engine, BUNDLE).await {
        for step in &item.steps {
            assert_eq!(
                (step.status, step.attempts),
                (StepStatus::Succeeded, 1),
                "{}: {step:?}",
                item.key
            );
        }
    }
}
