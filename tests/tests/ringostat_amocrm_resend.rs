//! End-to-end: S4.9 with the Ringostat → amoCRM calls template. The amoCRM token changes
//! (the user who connected the integration changed the password), so calls posted to
//! `POST /hooks/<bundle>` over three and a half days are kept waiting; after the new token
//! is configured, reactivation with a three-day resend window (what
//! `ferry bundle reactivate ringostat-amocrm-calls --resend 3d` does) sends the calls of
//! the last three days and drops the older one.

mod amo_world;
mod support;

use std::time::Duration;

use amo_world::{bundle, deliver, field, hook, serve, text_field, world};
use ferry::clock::Clock;
use ferry::store::{ItemStatus, ResendRequest};
use ferry_connectors::amocrm::AmoCrmEmulator;
use ferry_connectors::ringostat::sender::{self, Call};
use support::history::{counts, items};

const BUNDLE: &str = "ringostat-amocrm-calls";
const NEW_TOKEN: &str = "amo-token-after-password-change-61c2";
const HOUR: Duration = Duration::from_secs(3600);

/// The calls template with the account's users and pipelines.
fn calls_bundle(amo: &AmoCrmEmulator) -> ferry::bundle::Bundle {
    let client_id_field = text_field(amo, "contacts", "Client ID");
    bundle(
        amo,
        "ringostat-amocrm/calls.yaml",
        &[
            ("5000001", "5100001".to_string()),
            ("5000002", "5100002".to_string()),
            (
                "value: 7000002",
                format!("value: {}", amo.main_pipeline_id()),
            ),
            ("\"500100\"", format!("\"{client_id_field}\"")),
        ],
    )
}

/// An answered call from `caller`.
fn call<'a>(uniqueid: &'a str, caller: &'a str) -> Call<'a> {
    Call {
        uniqueid,
        caller,
        utm_source: "",
        ..Call::default()
    }
}

/// S4.9: after re-activation, what accumulated in the last three days is sent; older
/// calls are dropped, visibly.
#[tokio::test]
async fn s4_9_reactivation_resends_the_last_three_days() {
    let amo = amo_world::amo().await;
    let mut world = world();
    let template = calls_bundle(&amo);
    let store = world.store().await;
    let engine = world.engine_on(store.clone(), vec![template.clone()]).await;
    let url = hook(&serve(&engine).await, BUNDLE);

    // The token stops working.
    amo.configure(|c| c.token = NEW_TOKEN.into());
    deliver(&url, sender::call(&call("1715000000.0001", "380501110001"))).await;
    engine.drain().await.unwrap();
    world.clock.advance(36 * HOUR);
    deliver(&url, sender::call(&call("1715000000.0002", "380501110002"))).await;
    engine.drain().await.unwrap();
    world.clock.advance(24 * HOUR);
    deliver(&url, sender::call(&call("1715000000.0003", "380501110003"))).await;
    engine.drain().await.unwrap();
    world.clock.advance(24 * HOUR);
    engine.drain().await.unwrap();

    assert!(amo.contacts().is_empty() && amo.leads().is_empty());
    assert_eq!(counts(&engine, BUNDLE).await.waiting, 3, "kept, not failed");
    let refused = amo
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/v4/contacts")
        .count();
    assert!(refused >= 3, "each call tried and was refused: {refused}");

    // The integrator puts the new token in place and re-activates with the resend box
    // ticked: three days back from now.
    drop(engine);
    world.secrets.set_secret("AMOCRM_TOKEN", NEW_TOKEN);
    let engine = world.engine_on(store.clone(), vec![template]).await;
    let now = world.clock.now().timestamp_millis();
    let outcome = store
        .resend_window(ResendRequest {
            bundle_id: BUNDLE.into(),
            since: now - (72 * HOUR).as_millis() as i64,
            now,
        })
        .await
        .unwrap();
    assert_eq!((outcome.resent, outcome.dropped), (2, 1));
    engine.drain().await.unwrap();

    let phones: Vec<String> = amo
        .contacts()
        .iter()
        .map(|c| field(c, "Телефон").as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(phones.len(), 2, "{phones:?}");
    assert!(phones.contains(&"380501110002".to_string()));
    assert!(phones.contains(&"380501110003".to_string()));
    assert_eq!(amo.leads().len(), 2);

    let all = items(&engine, BUNDLE).await;
    let oldest = all.iter().find(|i| i.key.ends_with("0001")).unwrap();
    assert_eq!(oldest.status, ItemStatus::Discarded);
    let reason = oldest.error.clone().unwrap_or_default();
    assert!(reason.contains("older than the resend window"), "{reason}");
    let counts = counts(&engine, BUNDLE).await;
    assert_eq!((counts.succeeded, counts.discarded), (2, 1));
}
