//! The emulated account: organizations, order states and attributes, counterparties and
//! customer orders as MoySklad's JSON objects, with the create/update/list rules the
//! real API applies (required fields, meta references that must exist, `updated`
//! stamped in Moscow time with milliseconds, numbered orders).

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use crate::moysklad::triggers::moscow_time;

use super::api_error::ApiError;

/// Filterable and sortable fields per entity type.
pub const COUNTERPARTY_FIELDS: &[&str] = &[
    "id",
    "name",
    "phone",
    "email",
    "externalCode",
    "description",
    "updated",
    "created",
];
/// Filterable and sortable fields of customer orders.
pub const ORDER_FIELDS: &[&str] = &[
    "id",
    "name",
    "externalCode",
    "description",
    "updated",
    "created",
    "moment",
    "sum",
    "payedSum",
    "state.name",
];

const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3f";

/// Everything the emulated account holds.
#[derive(Debug, Default)]
pub struct Account {
    /// API root as clients see it (`http://127.0.0.1:port/api/remap/1.2`).
    pub base: String,
    /// The token's employee.
    pub employee: Value,
    /// Organizations.
    pub organizations: Vec<Value>,
    /// Customer order states.
    pub states: Vec<Value>,
    /// Customer order custom attributes.
    pub attributes: Vec<Value>,
    /// Counterparties in creation order.
    pub counterparties: Vec<Value>,
    /// Customer orders in creation order.
    pub orders: Vec<Value>,
    /// When set, the account's clock stands still at this Moscow time.
    pub frozen_now: Option<NaiveDateTime>,
    last_stamp: Option<NaiveDateTime>,
    order_number: u64,
}

pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(super) fn id_of_href<'a>(href: &'a str, kind: &str) -> Option<&'a str> {
    let (_, rest) = href.split_once(&format!("/{kind}/"))?;
    Some(rest.split(['?', '/']).next().unwrap_or(rest))
}

impl Account {
    /// The meta of an entity at `path` (e.g. `entity/counterparty/<id>`).
    pub fn meta(&self, path: &str, kind: &str) -> Value {
        json!({"href": format!("{}/{path}", self.base), "type": kind, "mediaType": "application/json"})
    }

    /// Now in Moscow time: the frozen time when the clock is stopped, otherwise the wall
    /// clock, never earlier than the last stamp it handed out.
    pub fn stamp(&mut self) -> String {
        let now = match self.frozen_now {
            Some(frozen) => frozen,
            None => {
                let now = moscow_time(chrono::Utc::now());
                let now = self.last_stamp.filter(|last| *last > now).unwrap_or(now);
                self.last_stamp = Some(now);
                now
            }
        };
        now.format(TIME_FORMAT).to_string()
    }

    /// Add an organization.
    pub fn add_organization(&mut self, name: &str) -> Value {
        let id = new_id();
        let org = json!({"meta": self.meta(&format!("entity/organization/{id}"), "organization"), "id": id, "name": name});
        self.organizations.push(org.clone());
        org
    }

    /// Add an order state.
    pub fn add_state(&mut self, name: &str, state_type: &str) -> Value {
        let id = new_id();
        let mut meta = self.meta(
            &format!("entity/customerorder/metadata/states/{id}"),
            "state",
        );
        meta["metadataHref"] = json!(format!("{}/entity/customerorder/metadata", self.base));
        let state = json!({"meta": meta, "id": id, "name": name, "color": 15106326, "stateType": state_type, "entityType": "customerorder"});
        self.states.push(state.clone());
        state
    }

    /// Add a custom attribute of customer orders.
    pub fn add_attribute(&mut self, name: &str, kind: &str) -> Value {
        let id = new_id();
        let meta = self.meta(
            &format!("entity/customerorder/metadata/attributes/{id}"),
            "attributemetadata",
        );
        let attribute = json!({"meta": meta, "id": id, "name": name, "type": kind, "required": false, "show": true});
        self.attributes.push(attribute.clone());
        attribute
    }

    fn position(list: &[Value], id: &str) -> Option<usize> {
        list.iter().position(|e| e["id"] == id)
    }

    /// Create a counterparty from a POST body.
    pub fn create_counterparty(&mut self, body: &Value) -> Result<Value, ApiError> {
        let body = object(body)?;
        if body
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(|n| n.trim().is_empty())
        {
            return Err(ApiError::required("name"));
        }
        let id = new_id();
        let now = self.stamp();
        let mut entity = json!({
            "meta": self.meta(&format!("entity/counterparty/{id}"), "counterparty"),
            "id": id, "updated": now, "created": now, "externalCode": new_id().replace('-', "")[..22].to_string(),
            "companyType": "legal", "archived": false, "tags": [],
        });
        apply_counterparty_fields(&mut entity, body)?;
        self.counterparties.push(entity.clone());
        Ok(entity)
    }

    /// Change a counterparty from a PUT body.
    pub fn update_counterparty(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        let body = object(body)?;
        let index = Self::position(&self.counterparties, id)
            .ok_or_else(|| ApiError::not_found("counterparty", id))?;
        if body
            .get("name")
            .is_some_and(|n| n.as_str().is_none_or(|n| n.trim().is_empty()))
        {
            return Err(ApiError::required("name"));
        }
        let now = self.stamp();
        let entity = &mut self.counterparties[index];
        apply_counterparty_fields(entity, body)?;
        entity["updated"] = json!(now);
        Ok(entity.clone())
    }

    fn check_ref(
        &self,
        body: &Map<String, Value>,
        field: &str,
        kind: &str,
        list: &[Value],
        required: bool,
    ) -> Result<Option<Value>, ApiError> {
        let Some(value) = body.get(field).filter(|v| !v.is_null()) else {
            return if required {
                Err(ApiError::required(field))
            } else {
                Ok(None)
            };
        };
        let href = value
            .pointer("/meta/href")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    2010,
                    format!("Ошибка формата: отсутствует href для meta поля '{field}'"),
                )
                .with_parameter(field)
            })?;
        let id = id_of_href(href, kind).ok_or_else(|| {
            ApiError::new(
                400,
                2013,
                format!("Ошибка формата: неправильное значение href для meta поля '{field}'"),
            )
            .with_parameter(field)
        })?;
        let found = list
            .iter()
            .find(|e| e["id"] == id)
            .ok_or_else(|| ApiError::not_found(kind, id))?;
        Ok(Some(json!({"meta": found["meta"].clone()})))
    }

    fn order_refs_and_attributes(
        &self,
        entity: &mut Value,
        body: &Map<String, Value>,
        creating: bool,
    ) -> Result<(), ApiError> {
        if let Some(r) = self.check_ref(
            body,
            "organization",
            "organization",
            &self.organizations,
            creating,
        )? {
            entity["organization"] = r;
        }
        if let Some(r) = self.check_ref(
            body,
            "agent",
            "counterparty",
            &self.counterparties,
            creating,
        )? {
            entity["agent"] = r;
        }
        if let Some(r) = self.check_ref(body, "state", "states", &self.states, false)? {
            entity["state"] = r;
        }
        for field in ["name", "description", "externalCode"] {
            if let Some(v) = body.get(field) {
                entity[field] = v.clone();
            }
        }
        if let Some(attributes) = body.get("attributes") {
            let attributes = attributes.as_array().ok_or_else(|| {
                ApiError::new(
                    400,
                    2016,
                    "Ошибка формата: значение поля 'attributes' не соответствует типу массив"
                        .into(),
                )
            })?;
            let mut current: Vec<Value> =
                entity["attributes"].as_array().cloned().unwrap_or_default();
            for given in attributes {
                let href = given
                    .pointer("/meta/href")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let id = id_of_href(href, "attributes").unwrap_or_default();
                let definition = self
                    .attributes
                    .iter()
                    .find(|a| a["id"] == id)
                    .ok_or_else(|| ApiError::not_found("attributemetadata", id))?;
                current.retain(|a| a["id"] != id);
                if !given["value"].is_null() {
                    current.push(json!({
                        "meta": definition["meta"], "id": id, "name": definition["name"],
                        "type": definition["type"], "value": given["value"],
                    }));
                }
            }
            entity["attributes"] = json!(current);
        }
        Ok(())
    }

    /// Create a customer order from a POST body.
    pub fn create_order(&mut self, body: &Value) -> Result<Value, ApiError> {
        let body = object(body)?;
        let id = new_id();
        let now = self.stamp();
        self.order_number += 1;
        let mut entity = json!({
            "meta": self.meta(&format!("entity/customerorder/{id}"), "customerorder"),
            "id": id, "updated": now, "created": now, "moment": now,
            "name": format!("{:05}", self.order_number), "externalCode": new_id().replace('-', "")[..22].to_string(),
            "applicable": true, "sum": 0.0, "payedSum": 0.0, "shippedSum": 0.0, "attributes": [],
        });
        self.order_refs_and_attributes(&mut entity, body, true)?;
        self.orders.push(entity.clone());
        Ok(entity)
    }

    /// Change a customer order from a PUT body.
    pub fn update_order(&mut self, id: &str, body: &Value) -> Result<Value, ApiError> {
        let body = object(body)?;
        let index = Self::position(&self.orders, id)
            .ok_or_else(|| ApiError::not_found("customerorder", id))?;
        let mut entity = self.orders[index].clone();
        self.order_refs_and_attributes(&mut entity, body, false)?;
        entity["updated"] = json!(self.stamp());
        self.orders[index] = entity.clone();
        Ok(entity)
    }

    /// Apply a change to an order as a MoySklad user would (bumps `updated`).
    pub fn touch_order(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut Value, &Account),
    ) -> Option<Value> {
        let index = Self::position(&self.orders, id)?;
        let mut entity = self.orders[index].clone();
        change(&mut entity, self);
        entity["updated"] = json!(self.stamp());
        self.orders[index] = entity.clone();
        Some(entity)
    }

    /// The metadata reply of customer orders.
    pub fn order_metadata(&self) -> Value {
        json!({
            "meta": {"href": format!("{}/entity/customerorder/metadata", self.base), "mediaType": "application/json"},
            "attributes": self.attributes, "states": self.states, "createShared": false,
        })
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    match body {
        Value::Object(map) => Ok(map),
        Value::Array(_) => Err(ApiError::new(400, 2009, "Ошибка формата: запрос на создание/обновление одной сущности не должен содержать массив".into())),
        _ => Err(ApiError::new(400, 2005, "Ошибка формата: входящий JSON должен начинаться либо с объекта, либо с массива".into())),
    }
}

fn apply_counterparty_fields(
    entity: &mut Value,
    body: &Map<String, Value>,
) -> Result<(), ApiError> {
    for field in ["name", "phone", "email", "externalCode", "description"] {
        match body.get(field) {
            None => {}
            Some(Value::String(s)) => entity[field] = json!(s),
            Some(Value::Null) => {
                entity
                    .as_object_mut()
                    .expect("entities are objects")
                    .remove(field);
            }
            Some(_) => {
                return Err(ApiError::new(
                    400,
                    2016,
                    format!("Ошибка формата: значение поля '{field}' не соответствует типу строка"),
                )
                .with_parameter(field));
            }
        }
    }
    if let Some(tags) = body.get("tags") {
        let valid = tags
            .as_array()
            .is_some_and(|t| t.iter().all(Value::is_string));
        if !valid {
            return Err(ApiError::new(
                400,
                2016,
                "Ошибка формата: значение поля 'tags' не соответствует типу массив строк".into(),
            )
            .with_parameter("tags"));
        }
        entity["tags"] = tags.clone();
    }
    Ok(())
}
