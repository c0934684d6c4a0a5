//! Order actions: `create_order` (POST `orders/create`, `order=<json>&site=`) and
//! `edit_order` (POST `orders/{id or externalId}/edit` with `by`), plus the lookup by
//! external id that resolves a create whose reply was lost.

use serde_json::{Map, Value, json};

use crate::connector::{Found, Record};
use crate::error::ConnectorError;

use super::client::RetailCrmClient;
use super::customers::path_segment;
use super::inputs::{Inputs, put_texts};
use super::spec::{CREATE_ORDER, EDIT_ORDER};

/// The order JSON from the shared create/edit inputs (`external_id` is left to the
/// caller, since edit may use it as the address instead).
fn order_body(inputs: &Inputs<'_>) -> Result<Map<String, Value>, ConnectorError> {
    let mut order = Map::new();
    put_texts(
        inputs,
        &mut order,
        &[
            ("number", "number"),
            ("status", "status"),
            ("order_type", "orderType"),
            ("order_method", "orderMethod"),
            ("first_name", "firstName"),
            ("last_name", "lastName"),
            ("patronymic", "patronymic"),
            ("phone", "phone"),
            ("email", "email"),
            ("manager_comment", "managerComment"),
            ("customer_comment", "customerComment"),
        ],
    )?;
    match (
        inputs.id("customer_id")?,
        inputs.text("customer_external_id")?,
    ) {
        (Some(id), _) => {
            order.insert("customer".into(), json!({"id": id}));
        }
        (None, Some(external_id)) => {
            order.insert("customer".into(), json!({"externalId": external_id}));
        }
        (None, None) => {}
    }
    if let Some(manager) = inputs.id("manager_id")? {
        order.insert("managerId".into(), json!(manager));
    }
    let mut source = Map::new();
    put_texts(
        inputs,
        &mut source,
        &[
            ("source", "source"),
            ("medium", "medium"),
            ("campaign", "campaign"),
            ("content", "content"),
            ("term", "keyword"),
        ],
    )?;
    if !source.is_empty() {
        order.insert("source".into(), Value::Object(source));
    }
    if let Some(fields) = inputs.object("custom_fields")? {
        order.insert("customFields".into(), Value::Object(fields));
    }
    Ok(order)
}

/// Outputs from a create/edit reply (`{"success":true,"id":N,"order":{...}}`).
fn order_record(reply: &Value, external_id: Option<&Value>) -> Result<Record, ConnectorError> {
    let id = reply
        .get("id")
        .or_else(|| reply.pointer("/order/id"))
        .filter(|v| v.is_i64())
        .cloned()
        .ok_or_else(|| {
            ConnectorError::InvalidResponse(format!(
                "orders: the reply has no numeric `id`: {reply}"
            ))
        })?;
    let mut out = Record::new();
    out.insert("id".into(), id);
    out.insert(
        "number".into(),
        reply
            .pointer("/order/number")
            .cloned()
            .unwrap_or(Value::Null),
    );
    let external = reply
        .pointer("/order/externalId")
        .or(external_id)
        .cloned()
        .unwrap_or(Value::Null);
    out.insert("externalId".into(), external);
    Ok(out)
}

/// `create_order`.
pub(crate) async fn create_order(
    client: &RetailCrmClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(CREATE_ORDER, input);
    let mut order = order_body(&inputs)?;
    if let Some(external_id) = inputs.text("external_id")? {
        order.insert("externalId".into(), Value::String(external_id));
    }
    let form = [
        ("order", Value::Object(order.clone()).to_string()),
        ("site", client.settings.site.clone()),
    ];
    let reply = client.post_form("orders/create", &form).await?;
    order_record(&reply, order.get("externalId"))
}

/// `edit_order`: addressed by `id` when given (then `external_id` is a field to set),
/// else by `external_id`.
pub(crate) async fn edit_order(
    client: &RetailCrmClient,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new(EDIT_ORDER, input);
    let mut order = order_body(&inputs)?;
    let external_id = inputs.text("external_id")?;
    let (address, by) = match (inputs.id("id")?, &external_id) {
        (Some(id), _) => {
            if let Some(external_id) = &external_id {
                order.insert("externalId".into(), Value::String(external_id.clone()));
            }
            (id.to_string(), "id")
        }
        (None, Some(external_id)) => (external_id.clone(), "externalId"),
        (None, None) => {
            return Err(inputs.bad("id", "or `external_id` is required to address the order"));
        }
    };
    if order.is_empty() {
        return Err(inputs.bad(
            "status",
            "(or another field) is required: there is nothing to change",
        ));
    }
    let form = [
        ("order", Value::Object(order).to_string()),
        ("by", by.to_string()),
        ("site", client.settings.site.clone()),
    ];
    let reply = client
        .post_form(&format!("orders/{}/edit", path_segment(&address)), &form)
        .await?;
    order_record(&reply, external_id.map(Value::String).as_ref())
}

/// Lookup for `create_order` by `external_id` (GET `orders/{externalId}?by=externalId`).
pub(crate) async fn find_for_create(
    client: &RetailCrmClient,
    key: &str,
    value: &Value,
) -> Result<Option<Found>, ConnectorError> {
    if key != "external_id" {
        return Err(ConnectorError::Config(format!(
            "retailcrm.create_order has no lookup by `{key}`"
        )));
    }
    let external_id = match value {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Ok(None),
    };
    let path = format!("orders/{}", path_segment(&external_id));
    let query = [
        ("by", "externalId".to_string()),
        ("site", client.settings.site.clone()),
    ];
    match client.get(&path, &query).await? {
        Some(reply) => Ok(Some(order_record(
            &json!({"order": reply.get("order").cloned().unwrap_or(Value::Null)}),
            None,
        )?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm_inputs_form_the_source_block_and_customer_is_a_reference() {
        let input = json!({"customer_id": "17", "status": "new", "source": "yandex", "medium": "cpc", "term": "sofa",
            "custom_fields": {"tags": "a|b"}, "manager_id": 3});
        let inputs = Inputs::new("create_order", input.as_object().unwrap());
        assert_eq!(
            Value::Object(order_body(&inputs).unwrap()),
            json!({"status": "new", "customer": {"id": 17}, "managerId": 3,
                "source": {"source": "yandex", "medium": "cpc", "keyword": "sofa"}, "customFields": {"tags": "a|b"}})
        );
    }

    #[test]
    fn replies_without_an_order_still_give_the_id() {
        let out = order_record(&json!({"success": true, "id": 51}), Some(&json!("D-1"))).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"id": 51, "number": null, "externalId": "D-1"})
        );
        assert!(order_record(&json!({"success": true}), None).is_err());
    }
}
