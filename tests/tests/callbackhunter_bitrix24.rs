//! End-to-end: the CallbackHunter → Bitrix24 template (S0.1–S0.6). Deliveries are posted to
//! `POST /hooks/<bundle>` as the widget would; the Bitrix24 emulator's records are asserted.

mod support;

use ferry::runtime::webhooks::{DEFAULT_BODY_LIMIT, ServerConfig, WebhookServer};
use ferry_connectors::bitrix24::{Bitrix24Emulator, Bitrix24EmulatorConfig};
use ferry_connectors::callbackhunter::sender;
use serde_json::Value;
use support::{World, template};

const TOKEN: &str = "cbh-hook-5f1a77";

async fn deliver(url: &str, (content_type, body): (&str, Vec<u8>)) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{:?}",
        response.text().await
    );
}

fn field(record: &Value, name: &str) -> String {
    match &record[name] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// S0.2 a lead per request; S0.3 a deal only for successful calls and chats (system
/// messages do not count); S0.4 the lead is converted; S0.5 pipeline and stage; S0.6 an
/// open deal gets the client's next request, a closed one gets a new deal.
#[tokio::test]
async fn s0_requests_make_leads_and_successful_ones_deals() {
    let b24 = Bitrix24Emulator::start(Bitrix24EmulatorConfig::default()).await;
    let mut world = World::new();
    world.secrets.set_secret("CBH_HOOK_TOKEN", TOKEN);
    world
        .secrets
        .set_secret("BITRIX24_WEBHOOK", &b24.webhook_url());
    let bundle = template("callbackhunter-bitrix24/requests.yaml", &[]);
    let engine = world.engine(vec![bundle]).await;
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        body_limit: DEFAULT_BODY_LIMIT,
    };
    let server = WebhookServer::bind(engine.webhook_intake(), config)
        .await
        .unwrap();
    let url = format!(
        "http://{}/hooks/callbackhunter-bitrix24-requests?token={TOKEN}",
        server.local_addr().unwrap()
    );
    tokio::spawn(server.run());

    // A short call and a chat that is mostly system messages: leads only (S0.2, S0.3).
    deliver(&url, sender::call(10, "79160000001")).await;
    let mostly_system = [
        ("visitor", "hi"),
        ("system", "queued"),
        ("system", "assigned"),
        ("manager", "hello"),
        ("system", "closed"),
    ];
    deliver(&url, sender::chat("79160000002", &mostly_system)).await;
    engine.drain().await.unwrap();
    assert_eq!(b24.leads().len(), 2);
    assert!(
        b24.deals().is_empty(),
        "no deal for unsuccessful requests: {:?}",
        b24.deals()
    );

    // A successful call: the lead becomes a deal in pipeline 1, stage C1:NEW (S0.4, S0.5).
    deliver(&url, sender::call(95, "79160000003")).await;
    engine.drain().await.unwrap();
    let deals = b24.deals();
    assert_eq!(deals.len(), 1, "{deals:#?}");
    let deal = &deals[0];
    assert_eq!(field(deal, "CATEGORY_ID"), "1");
    assert_eq!(field(deal, "STAGE_ID"), "C1:NEW");
    let lead = b24
        .leads()
        .into_iter()
        .find(|l| field(l, "TITLE").contains("79160000003"))
        .unwrap();
    assert_eq!(field(deal, "LEAD_ID"), field(&lead, "ID"));
    assert_eq!(field(&lead, "STATUS_ID"), "CONVERTED");

    // A successful chat from the same client while the deal is open: same deal (S0.6).
    let lively = [
        ("visitor", "1"),
        ("manager", "2"),
        ("visitor", "3"),
        ("manager", "4"),
        ("visitor", "5"),
        ("system", "x"),
    ];
    deliver(&url, sender::chat("79160000003", &lively)).await;
    engine.drain().await.unwrap();
    assert_eq!(b24.deals().len(), 1, "the open deal is reused");
    let deal_id: u64 = field(deal, "ID").parse().unwrap();
    assert!(
        field(&b24.deal(deal_id).unwrap(), "COMMENTS").contains("Another chat"),
        "{:?}",
        b24.deal(deal_id)
    );

    // The deal is won; the client's next successful call gets a new deal (S0.6).
    b24.set_deal_stage(deal_id, "C1:WON");
    deliver(&url, sender::call(60, "79160000003")).await;
    engine.drain().await.unwrap();
    assert_eq!(
        b24.deals().len(),
        2,
        "a closed deal gets a new one: {:#?}",
        b24.deals()
    );
    assert_eq!(b24.leads().len(), 5, "a lead for every request");
}
