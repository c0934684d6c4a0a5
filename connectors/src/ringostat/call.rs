//! Turning one Ringostat call webhook into a `call` item.
//!
//! A Ringostat webhook sends the parameters the integrator picked, under names the
//! integrator chose; ferry reads Ringostat's own variable names (`uniqueid`, `calldate`,
//! `caller`, `dst`, `disposition`, `call_type`, `billsec`, `duration`, `recording`,
//! `utm_*`, `client_id`, ...) and common alternatives, first present wins. Items carry
//! normalized fields at the top level and the delivery as decoded under `raw`.
//!
//! Derived values:
//! - `direction`: `outgoing` for `call_type` out/outgoing/outbound, else `incoming`
//!   (callbacks are incoming; so is a delivery that does not say).
//! - `answered`: from the disposition (ANSWERED, PROPER, REPEATED are answered; NO ANSWER,
//!   BUSY, FAILED, ... are not); without a disposition, talk time above 0.
//! - `event_type`: `answered` / `missed` for incoming calls, `outgoing` /
//!   `outgoing_unanswered` for outgoing ones: the rows of an integration matrix (S4.2).
//! - `duration`: talk time (`billsec`); when only the whole length is sent, that length
//!   for an answered call and 0 otherwise.
//! - `client_phone`: the number the delivery names as the client's (`client_phone`,
//!   `phone`), else the caller of an incoming call and the callee of an outgoing one.

use serde_json::{Map, Value, json};

use crate::error::ConnectorError;
use crate::inbound::{content_hash, first_present, first_text, rejected, seconds};

use super::variables::{Context, LANDING, add_tracking};

const CALL_ID: &[&str] = &["uniqueid", "unique_id", "call_id", "callid", "id"];
const CALL_TYPE: &[&str] = &["call_type", "direction", "type"];
const INSERTION: &[&str] = &["substitution_type", "insertion_type"];
const DISPOSITION: &[&str] = &["disposition", "call_status", "status"];
const TALK: &[&str] = &[
    "billsec",
    "talk_time",
    "call_duration",
    "conversation_duration",
];
const TOTAL: &[&str] = &["duration", "total_duration"];
const WAIT: &[&str] = &["waittime", "wait_time"];
const CALLER: &[&str] = &["caller", "caller_number", "src", "from"];
/// A webhook may name the client's number directly, whatever the direction.
const CLIENT_PHONE: &[&str] = &["client_phone", "phone"];
const CALLEE: &[&str] = &["dst", "callee", "called", "to", "destination", "did"];
const EMPLOYEE: &[&str] = &[
    "employee",
    "employee_fio",
    "employee_name",
    "manager",
    "user_call",
];
const SIP: &[&str] = &[
    "sip",
    "employee_sip",
    "sip_login",
    "manager_sip",
    "extension",
    "connected_with",
];
const RECORDING: &[&str] = &[
    "recording",
    "recording_url",
    "call_recording",
    "record",
    "audio_url",
    "recording_wav",
];
const POOL: &[&str] = &["pool_name", "pool"];
const CALL_DATE: &[&str] = &["calldate", "call_date", "date", "start_time"];

const ANSWERED: &[&str] = &["ANSWERED", "PROPER", "REPEATED"];
const NOT_ANSWERED: &[&str] = &[
    "NO ANSWER",
    "NOANSWER",
    "BUSY",
    "FAILED",
    "MISSED",
    "CANCEL",
    "CANCELED",
    "CANCELLED",
    "CONGESTION",
    "UNANSWERED",
];

/// One `call` item from one decoded event.
pub(crate) fn call_item(
    event: Map<String, Value>,
    context: Context<'_>,
) -> Result<Value, ConnectorError> {
    let call_id = first_text(&event, CALL_ID);
    let caller = first_text(&event, CALLER);
    let callee = first_text(&event, CALLEE);
    let named_client = first_text(&event, CLIENT_PHONE);
    if call_id.is_none() && caller.is_none() && callee.is_none() && named_client.is_none() {
        return Err(rejected(format!(
            "ringostat: the call delivery has no call id and no number (looked for {}; {}; {}; {})",
            CALL_ID.join(", "),
            CALLER.join(", "),
            CALLEE.join(", "),
            CLIENT_PHONE.join(", ")
        )));
    }
    let talk = duration(&event, TALK)?;
    let total = duration(&event, TOTAL)?;
    let call_type = first_text(&event, CALL_TYPE).map(|t| t.to_lowercase());
    let outgoing = call_type
        .as_deref()
        .is_some_and(|t| ["out", "outgoing", "outbound", "исходящий"].contains(&t));
    let callback = call_type.as_deref() == Some("callback")
        || first_text(&event, INSERTION).is_some_and(|t| t.eq_ignore_ascii_case("callback"));
    let disposition = first_text(&event, DISPOSITION);
    let answered = disposition
        .as_deref()
        .and_then(answered_by_disposition)
        .unwrap_or(talk.unwrap_or(0) > 0);
    let event_type = match (outgoing, answered) {
        (false, true) => "answered",
        (false, false) => "missed",
        (true, true) => "outgoing",
        (true, false) => "outgoing_unanswered",
    };
    let duration = talk.or(if answered { total } else { None }).unwrap_or(0);
    let event_id = match &call_id {
        Some(id) => format!("call-{id}"),
        None => format!("call-h{}", content_hash(&event)),
    };
    let client_phone = named_client.or(if outgoing {
        callee.clone()
    } else {
        caller.clone()
    });
    let mut item = Map::new();
    item.insert("event_id".into(), json!(event_id));
    item.insert("call_id".into(), json!(call_id));
    item.insert("event_type".into(), json!(event_type));
    item.insert(
        "direction".into(),
        json!(if outgoing { "outgoing" } else { "incoming" }),
    );
    item.insert("answered".into(), json!(answered));
    item.insert("callback".into(), json!(callback));
    item.insert("disposition".into(), json!(disposition));
    item.insert("duration".into(), json!(duration));
    item.insert("total_duration".into(), json!(total));
    item.insert("wait_time".into(), json!(duration_or_null(&event, WAIT)));
    item.insert("client_phone".into(), json!(client_phone));
    item.insert("caller".into(), json!(caller));
    item.insert("callee".into(), json!(callee));
    item.insert("employee".into(), json!(first_text(&event, EMPLOYEE)));
    item.insert("sip".into(), json!(first_text(&event, SIP)));
    item.insert("recording_url".into(), json!(first_text(&event, RECORDING)));
    item.insert("pool".into(), json!(first_text(&event, POOL)));
    item.insert("call_date".into(), json!(first_text(&event, CALL_DATE)));
    add_tracking(&mut item, &event, context);
    item.insert("landing".into(), json!(first_text(&event, LANDING)));
    item.insert("raw".into(), Value::Object(event));
    Ok(Value::Object(item))
}

/// `Some(answered)` for a known disposition, `None` for one ferry does not know.
fn answered_by_disposition(disposition: &str) -> Option<bool> {
    let normal = disposition.trim().to_uppercase().replace(['_', '-'], " ");
    if ANSWERED.contains(&normal.as_str()) {
        Some(true)
    } else if NOT_ANSWERED.contains(&normal.as_str()) {
        Some(false)
    } else {
        None
    }
}

fn duration(event: &Map<String, Value>, names: &[&str]) -> Result<Option<u64>, ConnectorError> {
    first_present(event, names)
        .map(|(name, value)| {
            seconds(value).ok_or_else(|| {
                rejected(format!(
                    "ringostat: `{name}` is {value}, not a duration in seconds"
                ))
            })
        })
        .transpose()
}

/// A secondary duration: unreadable values are left out rather than refusing the call.
fn duration_or_null(event: &Map<String, Value>, names: &[&str]) -> Option<u64> {
    first_present(event, names).and_then(|(_, value)| seconds(value))
}
