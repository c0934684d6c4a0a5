//! A bundle whose secret reference does not resolve cannot start, with an error that says
//! exactly which reference is missing and where, and never any secret's value; the other
//! bundles of the same engine run as usual (as `ferry run` does: it starts the bundles
//! that could be prepared).

use std::path::Path;
use std::time::Duration;

use ferry::bundle::parse_bundle;
use ferry::runtime::{Engine, EngineConfig, PrepareError, PreparedBundle};
use ferry::store::ItemStatus;
use ferry_connectors::transport::{HttpTransport, TransportConfig};

use crate::fake_api::FakeApi;
use crate::harness::{DEAL_STEP, TOKEN, all_items, http_bundle, lead, leaks_token, world};

/// Polls through `api` (its token is in the secrets file) and writes deals through
/// `backup`, whose token is not. `api` comes first, so the present secret has been
/// resolved by the time the missing one fails.
const BROKEN: &str = r#"
id: needs-missing-secret
name: Needs a missing secret
connections:
  api:
    kind: http
    base_url: "{BASE}"
    bearer_token: ${secret:API_TOKEN}
  backup:
    kind: http
    base_url: "{BASE}/backup"
    bearer_token: ${secret:MISSING_TOKEN}
trigger:
  connection: api
  event: poll
  settings: { path: /leads, items_path: data.items }
steps:
  - id: deal
    action: backup.request
    with: { path: /deals, body: { object: { lead: { from: item.id } } } }
"#;

#[tokio::test]
async fn missing_secret_stops_only_its_bundle_and_names_the_reference() {
    let api = FakeApi::start().await;
    api.add_lead(lead(1, "79160000001"));
    let world = world();

    let text = BROKEN.replace("{BASE}", &api.base_url());
    let broken =
        parse_bundle(Path::new("inline/broken.yaml"), &text).unwrap_or_else(|d| panic!("{d}"));
    let healthy = http_bundle(&api, "healthy", DEAL_STEP);

    let http = HttpTransport::new(TransportConfig {
        request_timeout: Duration::from_secs(10),
        ..TransportConfig::default()
    })
    .unwrap();
    let mut prepared = Vec::new();
    let mut errors = Vec::new();
    for bundle in [broken, healthy] {
        match PreparedBundle::prepare(bundle, &world.secrets, &http) {
            Ok(p) => prepared.push(p),
            Err(e) => errors.push(e),
        }
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    let PrepareError::Secret {
        bundle,
        connection,
        setting,
        ..
    } = errors[0].as_ref()
    else {
        panic!("expected a secret error, got {:?}", errors[0]);
    };
    assert_eq!(
        (bundle.as_str(), connection.as_str(), setting.as_str()),
        ("needs-missing-secret", "backup", "bearer_token")
    );
    let message = errors[0].to_string();
    assert!(
        message.contains("bundle `needs-missing-secret`"),
        "{message}"
    );
    assert!(
        message.contains("connection `backup`") && message.contains("setting `bearer_token`"),
        "{message}"
    );
    assert!(
        message.contains("MISSING_TOKEN"),
        "names the reference: {message}"
    );
    assert!(
        !leaks_token(&message) && !format!("{:?}", errors[0]).contains(TOKEN),
        "{message}"
    );

    let engine = Engine::new(
        world.store().await,
        world.clock.clone(),
        EngineConfig {
            worker_id: "test-worker".into(),
            ..EngineConfig::default()
        },
        prepared,
    )
    .await
    .unwrap();
    let report = engine.tick().await.unwrap();
    assert_eq!(report.bundles.len(), 1);
    assert_eq!(report.bundles[0].poll.bundle_id, "healthy");
    let items = all_items(engine.store().as_ref()).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, ItemStatus::Succeeded, "{items:?}");
    assert_eq!(api.deals().len(), 1);
}
