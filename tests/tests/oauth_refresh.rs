//! End-to-end: an amoCRM connection with OAuth2 tokens (Calltouch calls → amoCRM contact
//! and lead, polled every five minutes on a manual clock).
//!
//! - The access token expires mid-run: it is refreshed once, no call is lost or sent to
//!   amoCRM twice, the refreshed tokens are in the store, and an engine restarted with
//!   the original (now stale) settings goes on with them.
//! - The grant is revoked: the refresh is refused, the connection is shown broken by
//!   `ferry connections` and `ferry runs` (since when, the redacted reason), its items
//!   wait instead of failing; new tokens supplied through `ferry connections check` heal
//!   it and the waiting items go through, once each.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry::bundle::{Bundle, parse_bundle};
use ferry::clock::Clock;
use ferry::runtime::Engine;
use ferry_connectors::SecretString;
use ferry_connectors::amocrm::emulator::EmulatedOAuthClient;
use ferry_connectors::amocrm::{AmoCrmEmulator, AmoCrmEmulatorConfig};
use ferry_connectors::calltouch::emulator::{CalltouchEmulator, CalltouchEmulatorConfig};
use ferry_connectors::oauth::ClientCredentials;
use ferry_connectors::oauth::credential::client_tag;
use serde_json::{Value, json};
use support::World;
use support::binary::ferry_binary;

const CT_TOKEN: &str = "ct-token-7e1a90";
const BUNDLE: &str = "oauth-calls";

struct Crms {
    calltouch: CalltouchEmulator,
    amo: AmoCrmEmulator,
    client: EmulatedOAuthClient,
}

async fn crms() -> Crms {
    let config = AmoCrmEmulatorConfig::with_oauth();
    let client = config.oauth.clone().unwrap();
    Crms {
        calltouch: CalltouchEmulator::start(CalltouchEmulatorConfig::new("12345", CT_TOKEN))
            .await
            .unwrap(),
        amo: AmoCrmEmulator::start(config).await,
        client,
    }
}

/// The world with the tokens amoCRM issued when the integration was installed.
fn world(crms: &Crms) -> World {
    let mut world = World::new();
    world.secrets.set_secret("CALLTOUCH_TOKEN", CT_TOKEN);
    world.secrets.set_secret("AMO_ACCESS", &crms.amo.token());
    world
        .secrets
        .set_secret("AMO_REFRESH", &crms.client.refresh_token);
    world
        .secrets
        .set_secret("AMO_CLIENT_SECRET", &crms.client.client_secret);
    world
}

fn bundle_text(crms: &Crms) -> String {
    format!(
        r#"id: {BUNDLE}
name: Calltouch calls -> amoCRM (OAuth2)
enabled: true
connections:
  calltouch:
    kind: calltouch
    site_id: "12345"
    token: ${{secret:CALLTOUCH_TOKEN}}
    base_url: {calltouch}
  amo:
    kind: amocrm
    base_url: {amo}
    access_token: ${{secret:AMO_ACCESS}}
    refresh_token: ${{secret:AMO_REFRESH}}
    client_id: {client_id}
    client_secret: ${{secret:AMO_CLIENT_SECRET}}
    redirect_uri: {redirect}
trigger:
  connection: calltouch
  event: new_call
  schedule: "*/5 * * * *"
  key: "{{{{item.callId}}}}"
steps:
  - id: contact
    action: amo.create_contact
    with:
      name: "Звонок {{{{item.callId}}}}"
      phone: "{{{{item.callerNumber}}}}"
  - id: lead
    action: amo.create_lead
    with:
      name: "Сделка {{{{item.callId}}}}"
      contact_id: "{{{{steps.contact.id}}}}"
"#,
        calltouch = crms.calltouch.base_url(),
        amo = crms.amo.base_url(),
        client_id = crms.client.client_id,
        redirect = crms.client.redirect_uri,
    )
}

/// The bundle, also written to the world's directory for the command line.
fn bundle(world: &World, crms: &Crms) -> (Bundle, PathBuf) {
    let path = world.dir.path().join("oauth-calls.yaml");
    let text = bundle_text(crms);
    std::fs::write(&path, &text).unwrap();
    let bundle = parse_bundle(&path, &text).unwrap_or_else(|d| panic!("{d}"));
    (bundle, path)
}

fn call(id: i64, minute: u32) -> Value {
    json!({
        "callId": id,
        "date": format!("14/05/2026 10:{minute:02}:00"),
        "callerNumber": format!("7916000{id:04}"),
        "phoneNumber": "74951112233",
        "duration": 40,
        "successful": true,
    })
}

/// Lead names, sorted (a tick runs its items concurrently, so creation order is not
/// fixed); a lead created twice shows up twice.
fn leads(amo: &AmoCrmEmulator) -> Vec<String> {
    let mut names: Vec<String> = amo
        .leads()
        .iter()
        .map(|l| l["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

fn lead_names(ids: &[i64]) -> Vec<String> {
    ids.iter().map(|id| format!("Сделка {id}")).collect()
}

/// The token chain's identity in the store.
fn chain(crms: &Crms) -> String {
    let client = ClientCredentials {
        client_id: SecretString::new(crms.client.client_id.clone()),
        client_secret: SecretString::new(crms.client.client_secret.clone()),
        redirect_uri: None,
    };
    format!("amocrm:{}#{}", crms.amo.base_url(), client_tag(&client))
}

/// `Authorization` headers of the API requests (token endpoint excluded), in order.
fn bearers(amo: &AmoCrmEmulator) -> Vec<String> {
    amo.requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v4/"))
        .map(|r| {
            r.headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_persisted_and_reused_after_a_restart() {
    let crms = crms().await;
    let world = world(&crms);
    let first_token = crms.amo.token();
    for (id, minute) in [(101, 1), (102, 2), (103, 3)] {
        crms.calltouch.add_call(call(id, minute));
    }
    let (bundle, _) = bundle(&world, &crms);
    let engine = world.engine(vec![bundle.clone()]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.counts.succeeded, 3, "{report:?}");
    assert_eq!(crms.amo.token_requests(), 0);

    // The token expires between ticks; the next calls go through after one refresh.
    crms.amo.expire_access_token();
    world.next_tick();
    for (id, minute) in [(104, 6), (105, 7), (106, 8)] {
        crms.calltouch.add_call(call(id, minute));
    }
    let report = engine.tick().await.unwrap();
    assert_eq!(report.counts.succeeded, 6, "{report:?}");
    assert_eq!((report.counts.waiting, report.counts.failed), (0, 0));
    assert_eq!(crms.amo.token_requests(), 1);
    assert_eq!(
        leads(&crms.amo),
        lead_names(&[101, 102, 103, 104, 105, 106])
    );
    assert_eq!(crms.amo.contacts().len(), 6);

    // The refreshed (rotated) tokens are in the store, not in the bundle.
    let stored = engine
        .store()
        .load_tokens(&chain(&crms))
        .await
        .unwrap()
        .expect("tokens stored");
    let refreshed_token = crms.amo.token();
    assert_ne!(refreshed_token, first_token);
    assert_eq!(stored.access_token, refreshed_token);
    assert_eq!(stored.refresh_token, crms.amo.refresh_token());
    drop(engine);

    // Restart with the same settings (the original tokens, long since spent): the stored
    // tokens are used at once, with no 401 and no second refresh.
    let sent_before = bearers(&crms.amo).len();
    world.next_tick();
    crms.calltouch.add_call(call(107, 11));
    let engine = world.engine(vec![bundle]).await;
    let report = engine.tick().await.unwrap();
    assert_eq!(report.counts.succeeded, 7, "{report:?}");
    assert_eq!(crms.amo.token_requests(), 1);
    let after_restart = &bearers(&crms.amo)[sent_before..];
    assert!(!after_restart.is_empty());
    assert!(
        after_restart
            .iter()
            .all(|b| *b == format!("Bearer {refreshed_token}")),
        "{after_restart:?}"
    );
    assert_eq!(
        leads(&crms.amo),
        lead_names(&[101, 102, 103, 104, 105, 106, 107])
    );
}

/// Run `ferry <args> --data-dir <dir>` off the async threads (the emulators it talks to
/// run on them); its exit success and stdout.
async fn ferry(dir: &Path, args: &[&str]) -> (bool, String) {
    let dir = dir.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || ferry_blocking(&dir, &args))
        .await
        .expect("ferry command task")
}

fn ferry_blocking(dir: &Path, args: &[String]) -> (bool, String) {
    let output = Command::new(ferry_binary())
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("FERRY_DATABASE_URL")
        .env_remove("FERRY_SECRETS_FILE")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run ferry");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked"),
        "ferry {args:?} panicked: {stderr}"
    );
    (output.status.success(), stdout)
}

async fn counts(engine: &Engine) -> ferry::store::ItemCounts {
    engine.store().item_counts(Some(BUNDLE)).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_marks_the_connection_broken_items_wait_and_new_tokens_heal_it() {
    let crms = crms().await;
    let world = world(&crms);
    let (bundle, bundle_path) = bundle(&world, &crms);
    crms.calltouch.add_call(call(201, 1));
    let engine = world.engine(vec![bundle]).await;
    engine.tick().await.unwrap();
    assert_eq!(leads(&crms.amo), lead_names(&[201]));

    // The grant is revoked in amoCRM and the access token expires.
    let spent = [
        crms.amo.token(),
        crms.client.refresh_token.clone(),
        crms.client.client_secret.clone(),
    ];
    crms.amo.revoke_refresh_token();
    crms.amo.expire_access_token();
    world.next_tick();
    crms.calltouch.add_call(call(202, 6));
    crms.calltouch.add_call(call(203, 7));
    engine.tick().await.unwrap();
    let c = counts(&engine).await;
    assert_eq!((c.succeeded, c.waiting, c.failed), (1, 2, 0), "{c:?}");
    // One refresh was tried and refused; the second item did not try again.
    assert_eq!(crms.amo.token_requests(), 1);
    let broken = engine.store().broken_connections().await.unwrap();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(
        (broken[0].bundle_id.as_str(), broken[0].connection.as_str()),
        (BUNDLE, "amo")
    );
    assert_eq!(broken[0].since, world.clock.now().timestamp_millis());
    assert!(
        broken[0].reason.contains("Token has been revoked"),
        "{}",
        broken[0].reason
    );
    // No token or client secret in the mark or in the run history.
    let mut texts = vec![broken[0].reason.clone()];
    for run in engine
        .store()
        .list_runs(ferry::store::RunQuery {
            bundle_id: Some(BUNDLE.into()),
            limit: 10,
        })
        .await
        .unwrap()
    {
        let detail = engine.store().run_detail(run.id).await.unwrap().unwrap();
        texts.push(serde_json::to_string(&detail).unwrap());
    }
    for text in &texts {
        for secret in &spent {
            assert!(!text.contains(secret.as_str()), "a token leaked: {text}");
        }
    }
    assert!(texts.iter().any(|t| t.contains("Token has been revoked")));

    // Shown plainly by the command line while the engine runs.
    let (ok, shown) = ferry(world.dir.path(), &["connections"]).await;
    assert!(
        !ok,
        "a broken connection makes `ferry connections` exit non-zero"
    );
    let since = chrono::DateTime::from_timestamp_millis(broken[0].since)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S");
    assert!(
        shown.contains(&format!(
            "bundle `{BUNDLE}`, connection `amo`: broken since {since} UTC"
        )),
        "{shown}"
    );
    assert!(shown.contains("2 item(s) waiting"), "{shown}");
    assert!(shown.contains("Token has been revoked"), "{shown}");
    let (_, runs) = ferry(world.dir.path(), &["runs"]).await;
    assert!(runs.contains("1 BROKEN CONNECTION(S)"), "{runs}");
    for secret in &spent {
        assert!(!shown.contains(secret.as_str()) && !runs.contains(secret.as_str()));
    }

    // The administrator authorizes the integration again; the new tokens are supplied
    // and checked. The check stores them, and the connection is no longer broken.
    let (access, refresh) = crms.amo.authorize_again();
    let secrets_file = world.dir.path().join("secrets.env");
    std::fs::write(
        &secrets_file,
        format!(
            "CALLTOUCH_TOKEN={CT_TOKEN}\nAMO_ACCESS={access}\nAMO_REFRESH={refresh}\nAMO_CLIENT_SECRET={}\n",
            crms.client.client_secret
        ),
    )
    .unwrap();
    let (ok, checked) = ferry(
        world.dir.path(),
        &[
            "connections",
            "check",
            bundle_path.to_str().unwrap(),
            "--secrets",
            secrets_file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(ok, "{checked}");
    assert!(
        checked.contains("ok (was broken; its items resume)"),
        "{checked}"
    );
    assert!(!checked.contains(&access) && !checked.contains(&refresh));
    assert!(
        engine
            .store()
            .broken_connections()
            .await
            .unwrap()
            .is_empty()
    );
    let (ok, shown) = ferry(world.dir.path(), &["connections"]).await;
    assert!(ok && shown.contains("no connection is broken"), "{shown}");

    // The running engine (still holding the old settings) retries the waiting items at
    // their due time, finds the new tokens in the store and sends each item once.
    world.clock.advance(std::time::Duration::from_secs(5 * 60));
    engine.tick().await.unwrap();
    let c = counts(&engine).await;
    assert_eq!((c.succeeded, c.waiting, c.failed), (3, 0, 0), "{c:?}");
    assert_eq!(leads(&crms.amo), lead_names(&[201, 202, 203]));
    assert_eq!(crms.amo.contacts().len(), 3);
    assert_eq!(
        crms.amo.token_requests(),
        1,
        "the new tokens needed no refresh"
    );
}
