//! End-to-end: the UniTalk → Salesforce templates over several polls, an engine restart
//! and an access token that expires in the middle of a run. UniTalk's history is re-read
//! with an overlap on every poll, yet each call becomes exactly one task and each caller
//! one contact and one opportunity; the expired Salesforce session is renewed once
//! through the token endpoint and no item is lost or done twice.

mod sf_world;
mod support;

use std::collections::BTreeSet;

use ferry::runtime::Engine;
use ferry_connectors::unitalk::emulator::HistoryCall;
use serde_json::Value;
use sf_world::{Crms, add_call, at, bundle, crms, id, records, task_of, token_requests};
use support::World;
use support::history::{counts, items, unsuccessful};

const OPPORTUNITIES: &str = "unitalk-salesforce-opportunities";
const LEADS: &str = "unitalk-salesforce-leads";

fn call(id: u64, time: &str, client: &'static str, crms: &Crms) {
    add_call(
        crms,
        HistoryCall {
            id,
            date: &at(time),
            client,
            ..HistoryCall::default()
        },
    );
}

/// The `CallObject` of every task, sorted (items run side by side), repeats kept.
fn logged_calls(crms: &Crms) -> Vec<String> {
    let mut calls: Vec<String> = records(crms, "Task")
        .iter()
        .map(|t| t["CallObject"].as_str().unwrap_or_default().to_string())
        .collect();
    calls.sort();
    calls
}

/// How many `POST /sobjects/<object>/` requests the org received.
fn creates(crms: &Crms, object: &str) -> usize {
    let path = format!("/services/data/v60.0/sobjects/{object}/");
    crms.sf
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

/// S2.1, S2.4 over time: calls arrive over three polls with an engine restart between
/// them; every poll re-reads the last hour of history, so old calls come back each time.
/// Each call is logged once, each caller has one contact and one opportunity with one
/// contact role, and after the restart nothing is processed again.
#[tokio::test]
async fn s2_1_s2_4_each_call_once_across_polls_and_a_restart() {
    let crms = crms().await;
    let world = sf_world::world(&crms);
    let template = || bundle(&crms, "contacts-opportunities.yaml", &[]);
    call(401, "09:20:00", "380501110001", &crms);
    call(402, "09:30:00", "380501110001", &crms);
    call(403, "09:40:00", "380501110002", &crms);
    let engine = world.engine(vec![template()]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles[0].poll.items_new, 3);

    world.next_tick();
    call(404, "10:03:00", "380501110001", &crms);
    let report = engine.tick().await.unwrap();
    let poll = &report.bundles[0].poll;
    assert_eq!(
        (poll.items_seen, poll.items_new),
        (4, 1),
        "the overlap re-reads the old calls; only the new one is queued"
    );
    drop(engine);

    world.next_tick();
    call(405, "10:08:00", "380501110003", &crms);
    let engine = world.engine(vec![template()]).await;
    let report = engine.tick().await.unwrap();
    let poll = &report.bundles[0].poll;
    assert_eq!(
        (poll.items_seen, poll.items_new),
        (5, 1),
        "after the restart"
    );
    world.next_tick();
    let report = engine.tick().await.unwrap();
    assert_eq!(
        (report.bundles[0].poll.items_new, report.items_processed),
        (0, 0)
    );
    assert!(unsuccessful(&engine, OPPORTUNITIES).await.is_empty());
    assert_eq!(counts(&engine, OPPORTUNITIES).await.succeeded, 5);
    assert_eq!(items(&engine, OPPORTUNITIES).await.len(), 5);

    assert_eq!(logged_calls(&crms), ["401", "402", "403", "404", "405"]);
    assert_eq!(creates(&crms, "Task"), 5, "no task was sent twice");
    let contacts = records(&crms, "Contact");
    let mut phones: Vec<&Value> = contacts.iter().map(|c| &c["Phone"]).collect();
    phones.sort_by_key(|p| p.as_str());
    assert_eq!(phones, ["380501110001", "380501110002", "380501110003"]);
    assert_eq!(records(&crms, "Opportunity").len(), 3);
    assert_eq!(records(&crms, "OpportunityContactRole").len(), 3);
    // The first caller's three calls are on their one opportunity.
    let first = task_of(&crms, 401)["WhatId"].clone();
    for call in [402, 404] {
        assert_eq!(task_of(&crms, call)["WhatId"], first);
    }
    let history_reads = crms
        .unitalk
        .requests()
        .iter()
        .filter(|r| r.path == "/api/history/get")
        .count();
    assert_eq!(history_reads, 4, "one history read per poll");
}

/// Start the leads template with three calls in the history.
async fn leads_with_calls(crms: &Crms) -> (World, Engine) {
    let world = sf_world::world(crms);
    call(501, "09:10:00", "380671230001", crms);
    call(502, "09:11:00", "380671230002", crms);
    call(503, "09:12:00", "380671230003", crms);
    let engine = world.engine(vec![bundle(crms, "leads.yaml", &[])]).await;
    (world, engine)
}

/// The issue's proof: "an expired access token in the middle of a run is refreshed
/// without losing or repeating an item". The org's session times out after four API
/// requests, while the three calls' steps are under way: the refused request is sent
/// again after one call to the token endpoint, every call gets exactly one lead and one
/// task, and no step needed a second attempt. A second expiry between polls costs one
/// more refresh.
#[tokio::test]
async fn an_expired_token_mid_run_is_refreshed_once_without_losing_or_repeating_an_item() {
    let crms = crms().await;
    let original = crms.sf.config().access_token;
    crms.sf.expire_access_tokens_after(4);
    let (world, engine) = leads_with_calls(&crms).await;
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, LEADS).await.is_empty());

    assert_eq!(token_requests(&crms), 1, "one refresh for the whole run");
    let issued = crms.sf.issued_access_tokens();
    assert_eq!(issued.len(), 1);
    let bearer = |token: &str| {
        crms.sf
            .requests()
            .iter()
            .filter(|r| r.header("authorization") == Some(&format!("Bearer {token}")))
            .count()
    };
    assert!(
        bearer(&original) > 4,
        "a request was refused mid-run: {}",
        bearer(&original)
    );
    assert!(bearer(&issued[0]) > 0);

    assert_eq!(logged_calls(&crms), ["501", "502", "503"]);
    let leads = records(&crms, "Lead");
    let phones: BTreeSet<&str> = leads.iter().filter_map(|l| l["Phone"].as_str()).collect();
    assert_eq!(
        phones,
        BTreeSet::from(["380671230001", "380671230002", "380671230003"])
    );
    for (call, lead) in [(501, "380671230001"), (503, "380671230003")] {
        let who = task_of(&crms, call)["WhoId"].clone();
        let owner = leads.iter().find(|l| l["Phone"] == lead).unwrap();
        assert_eq!(who, id(owner).as_str());
    }
    for item in items(&engine, LEADS).await {
        for step in &item.steps {
            assert!(step.attempts <= 1, "{}: {step:?}", item.key);
        }
    }

    // The refreshed session expires too, between two polls: one more refresh.
    crms.sf.expire_access_tokens();
    world.next_tick();
    call(504, "10:02:00", "380671230004", &crms);
    call(505, "10:03:00", "380671230001", &crms);
    engine.tick().await.unwrap();
    assert!(unsuccessful(&engine, LEADS).await.is_empty());
    assert_eq!(token_requests(&crms), 2);
    assert_eq!(logged_calls(&crms), ["501", "502", "503", "504", "505"]);
    assert_eq!(records(&crms, "Lead").len(), 4, "505 is a known caller");
    assert_eq!(counts(&engine, LEADS).await.succeeded, 5);
}
