//! The `create_deal` and `update_deal` actions (Calltouch deals API 2.0).
//!
//! Deals are created bound to a call (`matching: [{type: call, callParams: {callId}}]`) or
//! a form request (`{type: request, requestParams: {requestId}}`), identified by
//! `orderNumber` (the deal's id in the integrator's CRM), and later updated by that number.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::connector::Record;
use crate::error::ConnectorError;

use super::client::CalltouchClient;
use super::dates::{DEAL_DATE_TIME, deal_date};
use super::inputs::Inputs;

/// What a deal is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binding {
    Call(i64),
    Request(i64),
}

impl Binding {
    fn from_inputs(inputs: &Inputs<'_>) -> Result<Self, ConnectorError> {
        match (inputs.id("call_id")?, inputs.id("request_id")?) {
            (Some(call), None) => Ok(Binding::Call(call)),
            (None, Some(request)) => Ok(Binding::Request(request)),
            (Some(_), Some(_)) => {
                Err(inputs.bad("call_id", "and `request_id` are both set; map exactly one"))
            }
            (None, None) => Err(inputs.bad("call_id", "or `request_id` is required")),
        }
    }

    fn matching(&self) -> Value {
        match self {
            Binding::Call(id) => json!([{"type": "call", "callParams": {"callId": id}}]),
            Binding::Request(id) => {
                json!([{"type": "request", "requestParams": {"requestId": id}}])
            }
        }
    }
}

/// The deal date in Calltouch's format; the current time when the bundle gives none.
fn date_or_now(
    inputs: &Inputs<'_>,
    client: &CalltouchClient,
    now: DateTime<Utc>,
) -> Result<String, ConnectorError> {
    match inputs.raw("date") {
        Some(Value::String(s)) if s.trim().is_empty() => Ok(now_text(client, now)),
        Some(value) => {
            deal_date(value, client.settings.offset).map_err(|why| inputs.bad("date", &why))
        }
        None => Ok(now_text(client, now)),
    }
}

fn now_text(client: &CalltouchClient, now: DateTime<Utc>) -> String {
    now.with_timezone(&client.settings.offset)
        .format(DEAL_DATE_TIME)
        .to_string()
}

fn put_text(order: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        order.insert(key.to_string(), Value::String(v));
    }
}

/// `create_deal`.
pub(crate) async fn create_deal(
    client: &CalltouchClient,
    input: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(super::spec::CREATE_DEAL, input);
    let binding = Binding::from_inputs(&inputs)?;
    let order_number = inputs.required_text("order_number")?;
    let date = date_or_now(&inputs, client, now)?;
    let status = inputs.text("status")?;

    let mut order = Map::new();
    order.insert("matching".into(), binding.matching());
    order.insert("orderNumber".into(), Value::String(order_number.clone()));
    order.insert("orderDate".into(), Value::String(date.clone()));
    order.insert("statusDate".into(), Value::String(date));
    put_text(&mut order, "status", status.clone());
    put_text(&mut order, "revenue", inputs.decimal("budget")?);
    put_text(&mut order, "currency", inputs.text("currency")?);
    put_text(&mut order, "funnel", inputs.text("funnel")?);
    put_text(&mut order, "manager", inputs.text("manager")?);
    put_text(&mut order, "orderName", inputs.text("name")?);
    if let Some(comment) = inputs.text("comment")? {
        order.insert("comment".into(), json!({"text": comment}));
    }
    let body = json!({"crm": client.settings.crm_name, "orders": [order]});
    let reply = client.deals_post("create", &body).await?;

    let mut out = Record::new();
    out.insert("order_number".into(), Value::String(order_number.clone()));
    let (call, request) = match binding {
        Binding::Call(id) => (json!(id), Value::Null),
        Binding::Request(id) => (Value::Null, json!(id)),
    };
    out.insert("call_id".into(), call);
    out.insert("request_id".into(), request);
    out.insert(
        "status".into(),
        status.map(Value::String).unwrap_or(Value::Null),
    );
    out.insert("order_id".into(), reply_order_id(&reply, &order_number));
    Ok(out)
}

/// Calltouch's id of the created deal, when the (undocumented) reply lists created orders
/// as `data.orders[{orderNumber, orderId}]`; null otherwise.
fn reply_order_id(reply: &Value, order_number: &str) -> Value {
    reply
        .pointer("/data/orders")
        .and_then(Value::as_array)
        .and_then(|orders| {
            orders
                .iter()
                .find(|o| o["orderNumber"].as_str() == Some(order_number))
        })
        .and_then(|o| o.get("orderId"))
        .cloned()
        .unwrap_or(Value::Null)
}

/// `update_deal`.
pub(crate) async fn update_deal(
    client: &CalltouchClient,
    input: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(super::spec::UPDATE_DEAL, input);
    let order_number = inputs.required_text("order_number")?;
    let status = inputs.text("status")?;

    let mut order = Map::new();
    order.insert("orderNumber".into(), Value::String(order_number.clone()));
    put_text(&mut order, "status", status.clone());
    // A status change is dated by the source's change time; an update without a new
    // status still records when it happened.
    order.insert(
        "statusDate".into(),
        Value::String(date_or_now(&inputs, client, now)?),
    );
    put_text(&mut order, "revenue", inputs.decimal("budget")?);
    put_text(&mut order, "funnel", inputs.text("funnel")?);
    put_text(&mut order, "manager", inputs.text("manager")?);
    if let Some(comment) = inputs.text("comment")? {
        order.insert("addNewComment".into(), json!({"text": comment}));
    }
    client
        .deals_post("update", &json!({"orders": [order]}))
        .await?;

    let mut out = Record::new();
    out.insert("order_number".into(), Value::String(order_number));
    out.insert(
        "status".into(),
        status.map(Value::String).unwrap_or(Value::Null),
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deal_binds_to_exactly_one_call_or_request() {
        let both = json!({"call_id": 1, "request_id": 2});
        let inputs = Inputs::new("create_deal", both.as_object().unwrap());
        assert!(
            Binding::from_inputs(&inputs)
                .unwrap_err()
                .to_string()
                .contains("both set")
        );
        let none = json!({"order_number": "D-1"});
        let inputs = Inputs::new("create_deal", none.as_object().unwrap());
        assert!(
            Binding::from_inputs(&inputs)
                .unwrap_err()
                .to_string()
                .contains("is required")
        );
        let request = json!({"request_id": "77"});
        let inputs = Inputs::new("create_deal", request.as_object().unwrap());
        assert_eq!(
            Binding::from_inputs(&inputs).unwrap().matching(),
            json!([{"type": "request", "requestParams": {"requestId": 77}}])
        );
    }

    #[test]
    fn the_reply_order_id_is_read_when_present() {
        let reply = json!({"data": {"orders": [{"orderNumber": "D-1", "orderId": 9}]}});
        assert_eq!(reply_order_id(&reply, "D-1"), json!(9));
        assert_eq!(reply_order_id(&reply, "D-2"), Value::Null);
        assert_eq!(reply_order_id(&Value::Null, "D-1"), Value::Null);
    }
}
