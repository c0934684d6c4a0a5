//! The UniTalk → Salesforce test world: the UniTalk emulator holding the call history, the
//! Salesforce emulator as an org with the integrator's users and custom fields, the
//! templates from `bundles/unitalk-salesforce/` edited with the org's user ids and pointed
//! at both, calls written the way UniTalk's history reports them, and readers for the
//! records the org holds and the items the store holds.

#![allow(dead_code)] // each test uses its own subset

use ferry::bundle::Bundle;
use ferry::runtime::Engine;
use ferry_connectors::salesforce::emulator::TOKEN_PATH;
use ferry_connectors::salesforce::{SalesforceEmulator, SalesforceEmulatorConfig};
use ferry_connectors::unitalk::emulator::HistoryCall;
use ferry_connectors::unitalk::{UnitalkEmulator, UnitalkEmulatorConfig};
use serde_json::{Map, Value};

use crate::support::{World, edited_template};

/// The UniTalk API key (`${secret:UNITALK_API_KEY}` in the templates).
pub const UNITALK_KEY: &str = "unitalk-key-5d81c0";

/// The integration user (owns what no rule assigns).
pub const INTEGRATION: &str = "0055g00000AAAAAAAA";
/// Olga Shevchenko, SIP extension 2000.
pub const OLGA: &str = "0055g00000BBBBBBBB";
/// Petro Koval, SIP extension 2001.
pub const PETRO: &str = "0055g00000CCCCCCCC";
/// The user responsible for missed calls.
pub const DISPATCHER: &str = "0055g00000DDDDDDDD";
/// The user of extensions the mapping does not list (Iryna's 2002, for one).
pub const SALES_DESK: &str = "0055g00000EEEEEEEE";

/// The company's external number every test call goes through.
pub const OUR_NUMBER: &str = "380443334455";

/// The template's example user ids → the emulated org's (every template uses them).
pub fn user_edits() -> Vec<(&'static str, String)> {
    vec![
        ("005000000000001AAA", OLGA.to_string()),
        ("005000000000002AAA", PETRO.to_string()),
        ("005000000000003AAA", SALES_DESK.to_string()),
        ("005000000000004AAA", DISPATCHER.to_string()),
    ]
}

/// Both emulators.
pub struct Crms {
    /// UniTalk's API.
    pub unitalk: UnitalkEmulator,
    /// The Salesforce org.
    pub sf: SalesforceEmulator,
}

/// The org's users and the custom fields the templates write.
pub fn org_config() -> SalesforceEmulatorConfig {
    let mut config = SalesforceEmulatorConfig::default()
        .with_custom_field("Lead", "UniTalk_Line__c", false)
        .with_custom_field("Contact", "UniTalk_Line__c", false)
        .with_custom_field("Opportunity", "UniTalk_Line__c", false)
        .with_custom_field("Task", "UniTalk_Recording__c", false);
    config.users = vec![
        (INTEGRATION.into(), "Integration User".into()),
        (OLGA.into(), "Olga Shevchenko".into()),
        (PETRO.into(), "Petro Koval".into()),
        (DISPATCHER.into(), "Call Dispatcher".into()),
        (SALES_DESK.into(), "Sales Desk".into()),
    ];
    config
}

/// Start both emulators (UniTalk's employees: 2000 Olga, 2001 Petro, 2002 Iryna).
pub async fn crms() -> Crms {
    Crms {
        unitalk: UnitalkEmulator::start(UnitalkEmulatorConfig::with_key(UNITALK_KEY)).await,
        sf: SalesforceEmulator::start(org_config()).await,
    }
}

/// A world whose secrets hold the UniTalk key and the connected app's tokens as the org
/// issued them when the integration was installed.
pub fn world(crms: &Crms) -> World {
    let mut world = World::new();
    let config = crms.sf.config();
    world.secrets.set_secret("UNITALK_API_KEY", UNITALK_KEY);
    world
        .secrets
        .set_secret("SF_ACCESS_TOKEN", &config.access_token);
    world
        .secrets
        .set_secret("SF_REFRESH_TOKEN", &config.refresh_token);
    world.secrets.set_secret("SF_CLIENT_ID", &config.client_id);
    world
        .secrets
        .set_secret("SF_CLIENT_SECRET", &config.client_secret);
    world
}

/// `bundles/unitalk-salesforce/<file>` edited with the org's user ids and `edits` (the
/// mode switches a test turns), its connections pointed at the emulators.
pub fn bundle(crms: &Crms, file: &str, edits: &[(&str, String)]) -> Bundle {
    let mut all = user_edits();
    all.extend(edits.iter().cloned());
    edited_template(
        &format!("unitalk-salesforce/{file}"),
        &all,
        &[
            ("pbx", "base_url", crms.unitalk.base_url()),
            ("sf", "instance_url", crms.sf.instance_url()),
            ("sf", "login_url", crms.sf.instance_url()),
        ],
    )
}

/// `2026-05-14 <time>`: the test day in the account's time (+03:00). The engine's clock
/// starts at 10:00 there, and the first poll reads from 09:00.
pub fn at(time: &str) -> String {
    format!("2026-05-14 {time}")
}

/// A call from the history (see [`HistoryCall`]) added to UniTalk; the record as
/// `history/get` returns it.
pub fn add_call(crms: &Crms, call: HistoryCall<'_>) -> Value {
    let record = call.record();
    crms.unitalk.add_call(record.clone());
    record
}

/// A record's fields without its id, its system time stamps and its empty fields: what
/// the integration wrote (and the platform derived), to compare exactly.
pub fn fields(record: &Value) -> Value {
    let mut out = Map::new();
    for (key, value) in record.as_object().expect("a record") {
        let system = matches!(
            key.as_str(),
            "Id" | "CreatedDate" | "LastModifiedDate" | "SystemModstamp"
        );
        if !system && !value.is_null() {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

/// Every record of `object`, oldest first.
pub fn records(crms: &Crms, object: &str) -> Vec<Value> {
    crms.sf.records(object)
}

/// The only record of `object` with exactly this `Phone`.
pub fn only_with_phone(crms: &Crms, object: &str, phone: &str) -> Value {
    let found: Vec<Value> = records(crms, object)
        .into_iter()
        .filter(|r| r["Phone"] == phone)
        .collect();
    assert_eq!(found.len(), 1, "one {object} with {phone}: {found:#?}");
    found.into_iter().next().unwrap_or_default()
}

/// Fresh emulators, a world pointed at them and an engine running the template `file`
/// with `edits` on top of the account's own values.
pub async fn start(file: &str, edits: &[(&str, String)]) -> (Crms, World, Engine) {
    let crms = crms().await;
    let world = world(&crms);
    let engine = world.engine(vec![bundle(&crms, file, edits)]).await;
    (crms, world, engine)
}

/// The record's id.
pub fn id(record: &Value) -> String {
    record["Id"]
        .as_str()
        .expect("a record with an id")
        .to_string()
}

/// The tasks whose `field` (`WhoId`, `WhatId`) is `record_id`, oldest first.
pub fn tasks_on(crms: &Crms, field: &str, record_id: &str) -> Vec<Value> {
    records(crms, "Task")
        .into_iter()
        .filter(|t| t[field] == record_id)
        .collect()
}

/// The task logging the call with UniTalk id `call_id`; exactly one must exist.
pub fn task_of(crms: &Crms, call_id: u64) -> Value {
    let wanted = call_id.to_string();
    let found: Vec<Value> = records(crms, "Task")
        .into_iter()
        .filter(|t| t["CallObject"] == wanted.as_str())
        .collect();
    assert_eq!(found.len(), 1, "one task for call {call_id}: {found:#?}");
    found.into_iter().next().unwrap_or_default()
}

/// The description the templates write for a call (S2.4), from its history record.
pub fn description(call: &Value, employee: &str) -> String {
    let direction = if call["direction"] == "OUT" {
        "outbound"
    } else {
        "inbound"
    };
    let answered = call["state"] == "ANSWER";
    let client = if direction == "outbound" {
        call["to"][0].as_str()
    } else {
        call["from"].as_str()
    };
    format!(
        "Date: {}\nStatus: {}, {direction}\nEmployee: {employee}\nClient number: {}\nExternal number: {}\nRecording: {}",
        call["date"].as_str().unwrap_or_default(),
        if answered { "answered" } else { "missed" },
        client.unwrap_or_default(),
        call["outerNumber"].as_str().unwrap_or("-"),
        call["link"].as_str().unwrap_or("-"),
    )
}

/// How many token requests the org received.
pub fn token_requests(crms: &Crms) -> usize {
    crms.sf
        .requests()
        .iter()
        .filter(|r| r.path == TOKEN_PATH)
        .count()
}
