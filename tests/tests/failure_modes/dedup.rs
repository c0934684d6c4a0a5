//! Search-before-create under concurrency: items that share a phone run one after another
//! against the same CRM account, so twenty leads of which five share a phone, processed
//! eight at a time, create exactly one retailCRM customer per phone.

use std::path::Path;

use ferry::bundle::parse_bundle;
use ferry::store::ItemStatus;
use ferry_connectors::retailcrm::emulator::{RetailCrmEmulator, RetailCrmEmulatorConfig};
use serde_json::Value;

use crate::fake_api::FakeApi;
use crate::harness::{all_items, lead};

/// Leads from the test API become retailCRM customers, searched by phone first.
const BUNDLE: &str = r#"
id: dedup-phones
name: Leads to retailCRM customers
connections:
  api: { kind: http, base_url: "{API}", bearer_token: "${secret:API_TOKEN}" }
  shop:
    kind: retailcrm
    url: "{CRM}"
    api_key: ${secret:RETAILCRM_API_KEY}
    site: main
    # The emulator has no limit; the real account's 10 req/s would only slow the test.
    rate_limit: { requests: 1000, per: 1s }
trigger:
  connection: api
  event: poll
  settings: { path: /leads, items_path: data.items }
steps:
  - id: customer
    action: shop.create_customer
    dedup: { search_by: [phone], on_found: reuse }
    with:
      external_id: "lead-{{item.id}}"
      phone: { from: item.phone, normalize: digits }
run: { concurrency: 8 }
"#;

const RC_KEY: &str = "rc-key-7c41d2";

#[tokio::test]
async fn concurrent_items_sharing_a_phone_create_one_customer() {
    let api = FakeApi::start().await;
    let crm = RetailCrmEmulator::start(RetailCrmEmulatorConfig::new(RC_KEY, "main"))
        .await
        .unwrap();
    let shared_phone = "79165550000";
    for id in 1..=20 {
        // Leads 3, 7, 11, 15 and 19 are the same person calling again.
        let phone = if id % 4 == 3 {
            shared_phone.to_string()
        } else {
            format!("791600000{id:02}")
        };
        api.add_lead(lead(id, &phone));
    }
    let mut world = crate::harness::world();
    world.secrets.set_secret("RETAILCRM_API_KEY", RC_KEY);
    let text = BUNDLE
        .replace("{API}", &api.base_url())
        .replace("{CRM}", &crm.base_url());
    let bundle =
        parse_bundle(Path::new("inline/dedup.yaml"), &text).unwrap_or_else(|d| panic!("{d}"));
    let engine = world.engine(vec![bundle]).await;
    let store = engine.store().clone();

    let report = engine.tick().await.unwrap();
    assert_eq!(report.counts.succeeded, 20, "{report:?}");

    let customers = crm.customers();
    let phones: Vec<&str> = customers
        .iter()
        .map(|c| c["phones"][0]["number"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(customers.len(), 16, "{phones:?}");
    assert_eq!(
        phones.iter().filter(|p| **p == shared_phone).count(),
        1,
        "{phones:?}"
    );
    let mut distinct = phones.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 16, "one customer per phone: {phones:?}");

    // The five leads that share the phone all point at that one customer.
    let shared_id = customers
        .iter()
        .find(|c| c["phones"][0]["number"] == shared_phone)
        .unwrap()["id"]
        .clone();
    let items = all_items(store.as_ref()).await;
    let outputs: Vec<&Value> = items
        .iter()
        .filter(|i| i.key.parse::<i64>().unwrap() % 4 == 3)
        .map(|i| {
            assert_eq!(i.status, ItemStatus::Succeeded, "{i:?}");
            &i.steps[0].output.as_ref().unwrap()["id"]
        })
        .collect();
    assert_eq!(outputs.len(), 5);
    assert!(
        outputs.iter().all(|id| **id == shared_id),
        "{outputs:?} vs {shared_id}"
    );
}
