//! The world the killed worker talks to: the Calltouch and retailCRM emulators served from
//! this (surviving) process on 127.0.0.1, the seeded calls journal, and the files a
//! `ferry run` worker is started with (the 3-step bundle and the secrets file).

use std::path::{Path, PathBuf};

use chrono::{FixedOffset, Utc};
use ferry_connectors::calltouch::emulator::{CalltouchEmulator, CalltouchEmulatorConfig};
use ferry_connectors::retailcrm::emulator::{RetailCrmEmulator, RetailCrmEmulatorConfig};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

const CALLTOUCH_TOKEN: &str = "chaos-calltouch-token";
const RETAILCRM_KEY: &str = "chaos-retailcrm-key";
const SITE_ID: &str = "12345";

/// The bundle's id (owns its cursor and history in the store).
pub const BUNDLE_ID: &str = "chaos-call-customer-order-deal";

/// One seeded call.
#[derive(Debug, Clone)]
pub struct SeededCall {
    /// Calltouch `callId`.
    pub call_id: i64,
    /// The caller's phone, digits only.
    pub phone: String,
}

/// The emulators, the seeded calls and the worker's files.
pub struct World {
    /// Emulated Calltouch: the calls journal (trigger) and the deals API (step 3).
    pub calltouch: CalltouchEmulator,
    /// Emulated retailCRM: customers (step 1) and orders (step 2).
    pub retailcrm: RetailCrmEmulator,
    /// Every call in the journal.
    pub calls: Vec<SeededCall>,
    /// The bundle file the worker runs.
    pub bundle_path: PathBuf,
    /// The secrets file the worker reads.
    pub secrets_path: PathBuf,
    /// The worker's `--data-dir` (SQLite store).
    pub data_dir: PathBuf,
}

/// How to seed the world.
#[derive(Debug, Clone, Copy)]
pub struct Seeding {
    /// Calls in the journal.
    pub calls: usize,
    /// Share of calls (0..1) whose phone repeats an earlier call's phone.
    pub repeat_share: f64,
}

impl World {
    /// Start both emulators, seed `seeding.calls` calls dated today (the journal is read by
    /// Moscow days), and write the bundle and secrets files into `dir`.
    pub async fn start(dir: &Path, seeding: Seeding, rng: &mut StdRng) -> std::io::Result<World> {
        let mut calltouch_config = CalltouchEmulatorConfig::new(SITE_ID, CALLTOUCH_TOKEN);
        // A second deal with the same order number must show up as a duplicate in the
        // count, not be refused by the emulator and hidden.
        calltouch_config.reject_duplicate_order_number = false;
        let calltouch = CalltouchEmulator::start(calltouch_config).await?;
        let retailcrm =
            RetailCrmEmulator::start(RetailCrmEmulatorConfig::new(RETAILCRM_KEY, "main")).await?;

        let calls = seed_calls(seeding, rng);
        let moscow = FixedOffset::east_opt(3 * 3600).expect("valid offset");
        let today = Utc::now().with_timezone(&moscow).format("%d/%m/%Y");
        for (n, call) in calls.iter().enumerate() {
            let seconds = n % 3600;
            calltouch.add_call(json!({
                "callId": call.call_id,
                "date": format!("{today} 00:{:02}:{:02}", seconds / 60, seconds % 60),
                "callerNumber": call.phone,
                "phoneNumber": "74951112233",
                "duration": 30 + (n % 300),
                "successful": true,
                "source": "yandex",
                "medium": "cpc",
                "utmSource": "yandex",
                "utmMedium": "cpc",
                "utmCampaign": "chaos",
            }));
        }

        let data_dir = dir.join("data");
        std::fs::create_dir_all(&data_dir)?;
        let bundle_path = dir.join("chaos-bundle.yaml");
        std::fs::write(
            &bundle_path,
            bundle_yaml(&calltouch.base_url(), &retailcrm.base_url()),
        )?;
        let secrets_path = dir.join("secrets.env");
        std::fs::write(
            &secrets_path,
            format!("CALLTOUCH_TOKEN={CALLTOUCH_TOKEN}\nRETAILCRM_API_KEY={RETAILCRM_KEY}\n"),
        )?;
        Ok(World {
            calltouch,
            retailcrm,
            calls,
            bundle_path,
            secrets_path,
            data_dir,
        })
    }

    /// Requests both emulators have received so far.
    pub fn requests_received(&self) -> usize {
        self.calltouch.log().len() + self.retailcrm.log().len()
    }

    /// Orders created so far (a cheap progress marker recorded at each kill).
    pub fn orders_created(&self) -> usize {
        self.retailcrm.orders().len()
    }
}

/// `calls` calls with ids from 700001; a `repeat_share` of them reuse an earlier phone.
fn seed_calls(seeding: Seeding, rng: &mut StdRng) -> Vec<SeededCall> {
    let mut phones: Vec<String> = Vec::new();
    let mut calls = Vec::with_capacity(seeding.calls);
    for n in 0..seeding.calls {
        let phone = if !phones.is_empty() && rng.random_bool(seeding.repeat_share) {
            phones[rng.random_range(0..phones.len())].clone()
        } else {
            let phone = format!("7916{:07}", 1_000_000 + phones.len());
            phones.push(phone.clone());
            phone
        };
        calls.push(SeededCall {
            call_id: 700_001 + n as i64,
            phone,
        });
    }
    calls
}

/// The 3-step chain: retailCRM customer (reused by phone) → retailCRM order (looked up by
/// its external id, the call id) → Calltouch deal (no lookup exists for deals).
fn bundle_yaml(calltouch_url: &str, retailcrm_url: &str) -> String {
    format!(
        r#"id: {BUNDLE_ID}
name: Chaos - call to customer, order and deal
enabled: true

connections:
  calltouch:
    kind: calltouch
    site_id: "{SITE_ID}"
    token: ${{secret:CALLTOUCH_TOKEN}}
    base_url: {calltouch_url}
    rate_limit: {{ requests: 10000, per: 1s, max_parallel: 64 }}
  shop:
    kind: retailcrm
    url: {retailcrm_url}
    api_key: ${{secret:RETAILCRM_API_KEY}}
    site: main
    rate_limit: {{ requests: 10000, per: 1s, max_parallel: 64 }}

trigger:
  connection: calltouch
  event: new_call
  schedule: "* * * * *"
  key: "{{{{item.callId}}}}"

steps:
  - id: customer
    action: shop.create_customer
    dedup: {{ search_by: [phone], on_found: reuse }}
    with:
      external_id: "call-{{{{item.callId}}}}"
      phone: {{ from: item.callerNumber, normalize: digits }}

  - id: order
    action: shop.create_order
    dedup: {{ search_by: [external_id], on_found: reuse }}
    with:
      customer_id: "{{{{steps.customer.id}}}}"
      external_id: "call-{{{{item.callId}}}}"
      status: new
      order_type: eshop-individual
      order_method: phone
      first_name: "Call {{{{item.callId}}}}"
      phone: {{ from: item.callerNumber, normalize: digits }}

  - id: deal
    action: calltouch.create_deal
    with:
      call_id: "{{{{item.callId}}}}"
      order_number: "call-{{{{item.callId}}}}"
      budget: 0
      status: PENDING
      date: "{{{{item.date}}}}"
"#
    )
}

/// The external id / order number every record of a call carries.
pub fn call_ref(call_id: i64) -> String {
    format!("call-{call_id}")
}

/// A JSON value as text (numbers without quotes).
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn seeded_calls_repeat_about_the_asked_share_of_phones_and_are_reproducible() {
        let seeding = Seeding {
            calls: 1000,
            repeat_share: 0.3,
        };
        let a = seed_calls(seeding, &mut StdRng::seed_from_u64(7));
        let b = seed_calls(seeding, &mut StdRng::seed_from_u64(7));
        assert_eq!(
            a.iter().map(|c| &c.phone).collect::<Vec<_>>(),
            b.iter().map(|c| &c.phone).collect::<Vec<_>>()
        );
        let distinct: std::collections::HashSet<_> = a.iter().map(|c| &c.phone).collect();
        let repeated = 1000 - distinct.len();
        assert!((250..350).contains(&repeated), "{repeated} repeats");
    }
}
