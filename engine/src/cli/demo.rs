//! `ferry demo`: the main job on a real example, with nothing but the repository. The
//! Calltouch and retailCRM emulators start in-process on 127.0.0.1, the real template
//! `bundles/calltouch-retailcrm/call-to-order.yaml` is loaded with its connections pointed
//! at them, and two ticks run on the embedded SQLite store; then it shows what was
//! created in each system and the run history.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{FixedOffset, Utc};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use ferry_connectors::calltouch::emulator::{CalltouchEmulator, CalltouchEmulatorConfig};
use ferry_connectors::retailcrm::emulator::{RetailCrmEmulator, RetailCrmEmulatorConfig};
use ferry_connectors::transport::{HttpTransport, TransportConfig};
use serde_json::{Value, json};

use super::tables::{runs_table, tick_table};
use super::{CliError, setup};
use crate::bundle::load_bundles;
use crate::clock::SystemClock;
use crate::runtime::{Engine, EngineConfig, PreparedBundle, SecretSource};
use crate::store::{RunQuery, SqliteStore, Store};

/// Arguments of `ferry demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The template to run.
    #[arg(long, default_value = "bundles/calltouch-retailcrm/call-to-order.yaml")]
    pub bundle: PathBuf,
    /// Where to keep the SQLite database (default: a new temporary directory, kept so
    /// `ferry runs --data-dir DIR` can show the history afterwards).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

const TOKEN: &str = "demo-calltouch-token";
const API_KEY: &str = "demo-retailcrm-key";

/// A call as the Calltouch journal returns it, dated today in Moscow time.
fn call(id: i64, phone: &str, minute: u32, source: &str) -> Value {
    let moscow = FixedOffset::east_opt(3 * 3600).expect("valid offset");
    let today = Utc::now().with_timezone(&moscow).format("%d/%m/%Y");
    json!({
        "callId": id,
        "date": format!("{today} 00:{minute:02}:00"),
        "callerNumber": phone,
        "phoneNumber": "74951112233",
        "duration": 60 + minute,
        "successful": true,
        "source": source,
        "medium": "cpc",
        "utmSource": source,
        "utmMedium": "cpc",
        "utmCampaign": "autumn-sale",
        "clientId": format!("GA1.2.{id}"),
        "callTags": [
            {"category": "auto", "type": "tone", "names": ["pressed-1"]},
            {"category": "auto", "type": "number", "names": ["sales-line"]}
        ],
    })
}

/// Run it.
pub async fn execute(args: DemoArgs) -> Result<ExitCode, CliError> {
    let calltouch = CalltouchEmulator::start(CalltouchEmulatorConfig::new("12345", TOKEN)).await?;
    let retail = RetailCrmEmulator::start(RetailCrmEmulatorConfig::new(API_KEY, "main")).await?;
    println!(
        "emulated Calltouch at {}, emulated retailCRM at {}",
        calltouch.base_url(),
        retail.base_url()
    );

    let mut bundles =
        load_bundles(std::slice::from_ref(&args.bundle)).map_err(|d| format!("{d}"))?;
    for bundle in &mut bundles {
        for connection in bundle.connections.values_mut() {
            let (key, url) = match connection.kind.as_str() {
                "calltouch" => ("base_url", calltouch.base_url()),
                "retailcrm" => ("url", retail.base_url()),
                _ => continue,
            };
            connection.settings.insert(key.into(), Value::String(url));
        }
    }
    let mut secrets = SecretSource::from_env();
    secrets.set_secret("CALLTOUCH_TOKEN", TOKEN);
    secrets.set_secret("RETAILCRM_API_KEY", API_KEY);

    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => tempfile::Builder::new()
            .prefix("ferry-demo-")
            .tempdir()?
            .keep(),
    };
    std::fs::create_dir_all(&data_dir)?;
    let store = SqliteStore::open(&data_dir.join("ferry.db")).await?;
    store.migrate().await?;
    let store: Arc<dyn Store> = Arc::new(store);

    let http = HttpTransport::new(TransportConfig::default())?;
    let prepared = bundles
        .into_iter()
        .map(|b| PreparedBundle::prepare(b, &secrets, &http).map_err(|e| setup::error_chain(&*e)))
        .collect::<Result<Vec<_>, _>>()?;
    let engine = Engine::new(
        store.clone(),
        Arc::new(SystemClock),
        EngineConfig::default(),
        prepared,
    )
    .await?;

    // An existing retailCRM customer: the template must reuse it, not create a duplicate.
    retail.add_customer(json!({"firstName": "Anna", "phones": [{"number": "79160000003"}]}));
    for (id, phone, minute, source) in [
        (5501, "+7 (916) 000-00-01", 1, "yandex"),
        (5502, "79160000002", 2, "google"),
        (5503, "79160000001", 3, "yandex"),
    ] {
        calltouch.add_call(call(id, phone, minute, source));
    }
    println!("\ntick 1: 3 new calls (two from the same phone)");
    let report = engine.tick().await?;
    println!("{}", tick_table(store.as_ref(), &report).await?);

    for (id, phone, minute, source) in [
        (5504, "79160000003", 6, "google"),
        (5505, "79160000004", 7, "yandex"),
    ] {
        calltouch.add_call(call(id, phone, minute, source));
    }
    println!(
        "\ntick 2 (the next 5-minute poll, run now): 2 more calls, one from an existing customer"
    );
    let report = engine.tick().await?;
    println!("{}", tick_table(store.as_ref(), &report).await?);

    println!("\nCalltouch deals:");
    let mut deals = new_table(&["order number", "call id", "status", "budget", "date"]);
    for deal in calltouch.deals() {
        let body = &deal.created;
        deals.add_row(vec![
            deal.order_number.clone(),
            body["matching"][0]["callParams"]["callId"].to_string(),
            text(&body["status"]),
            text(&body["revenue"]),
            text(&body["orderDate"]),
        ]);
    }
    println!("{deals}");
    println!("\nretailCRM customers (one per phone):");
    let mut customers = new_table(&["id", "externalId", "phone", "name"]);
    for c in retail.customers() {
        customers.add_row(vec![
            c["id"].to_string(),
            text(&c["externalId"]),
            text(&c["phones"][0]["number"]),
            text(&c["firstName"]),
        ]);
    }
    println!("{customers}");
    println!("\nretailCRM orders (one per call):");
    let mut orders = new_table(&[
        "id",
        "externalId",
        "customer",
        "status",
        "name",
        "source",
        "tags",
    ]);
    for o in retail.orders() {
        orders.add_row(vec![
            o["id"].to_string(),
            text(&o["externalId"]),
            o["customer"]["id"].to_string(),
            text(&o["status"]),
            text(&o["firstName"]),
            text(&o["source"]["source"]),
            text(&o["customFields"]["tags"]),
        ]);
    }
    println!("{orders}");
    let runs = store
        .list_runs(RunQuery {
            bundle_id: None,
            limit: 10,
        })
        .await?;
    println!(
        "\nrun history (`ferry runs --data-dir {}`):\n{}",
        data_dir.display(),
        runs_table(&runs)
    );
    Ok(ExitCode::SUCCESS)
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(header.iter().copied());
    table
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
