//! The emulated portal: leads, contacts and deals as Bitrix24 returns them (every scalar a
//! string, `"ID":"37"`, `"OPPORTUNITY":"1500.00"`, multi-fields with their own ids), with
//! the add / update / get rules the real API applies: unknown fields are ignored,
//! `UF_CRM_*` custom fields are kept, deals get their pipeline's first stage and derived
//! `STAGE_SEMANTIC_ID` / `CLOSED`, leads their `STATUS_SEMANTIC_ID`.

use chrono::{DateTime, Duration as ChronoDuration, FixedOffset, Utc};
use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::config::{Bitrix24EmulatorConfig, DealCategory, StageSemantics};
use super::entities::LEAD_STATUSES;
pub use super::entities::{EntityKind, HIDDEN_CONTACT_IDS, MULTI_FIELDS};

/// Everything the emulated portal holds.
#[derive(Debug)]
pub struct Portal {
    /// The configuration (webhook, pipelines, undocumented behaviour).
    pub config: Bitrix24EmulatorConfig,
    /// Leads in creation order.
    pub leads: Vec<Map<String, Value>>,
    /// Contacts in creation order.
    pub contacts: Vec<Map<String, Value>>,
    /// Deals in creation order.
    pub deals: Vec<Map<String, Value>>,
    /// When set, the portal's clock stands still here.
    pub clock: Option<DateTime<FixedOffset>>,
    next_ids: [u64; 3],
    next_multi_id: u64,
}

/// A scalar as Bitrix24 stores it: text.
fn stored_text(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.clone()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(if *b { "Y" } else { "N" }.into()),
        other => other.clone(),
    }
}

fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A positive id from a parameter (`37` or `"37"`).
pub fn parse_id(value: Option<&Value>) -> Option<u64> {
    text_of(value)
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
}

impl Portal {
    /// An empty portal.
    pub fn new(config: Bitrix24EmulatorConfig) -> Self {
        Portal {
            config,
            leads: Vec::new(),
            contacts: Vec::new(),
            deals: Vec::new(),
            clock: None,
            next_ids: [1, 1, 1],
            next_multi_id: 1,
        }
    }

    /// The portal's time, Moscow offset.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.unwrap_or_else(|| {
            Utc::now().with_timezone(&FixedOffset::east_opt(3 * 3600).expect("valid offset"))
        })
    }

    fn stamp(&self) -> String {
        self.now().format("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }

    /// The records of one kind.
    pub fn records(&self, kind: EntityKind) -> &Vec<Map<String, Value>> {
        match kind {
            EntityKind::Lead => &self.leads,
            EntityKind::Contact => &self.contacts,
            EntityKind::Deal => &self.deals,
        }
    }

    fn records_mut(&mut self, kind: EntityKind) -> &mut Vec<Map<String, Value>> {
        match kind {
            EntityKind::Lead => &mut self.leads,
            EntityKind::Contact => &mut self.contacts,
            EntityKind::Deal => &mut self.deals,
        }
    }

    /// The pipeline with this id.
    pub fn category(&self, id: u64) -> Option<&DealCategory> {
        self.config.categories.iter().find(|c| c.id == id)
    }

    /// A multi-field value from a write: entries given as a list (or, from a form, an
    /// object of entries).
    fn multi_entries(value: &Value, name: &str) -> Result<Vec<Map<String, Value>>, ApiError> {
        let entries: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(map) => map.values().collect(),
            _ => {
                return Err(ApiError::method(format!(
                    "Field '{name}' must be an array of {{VALUE, VALUE_TYPE}}."
                )));
            }
        };
        entries
            .into_iter()
            .map(|e| {
                e.as_object().cloned().ok_or_else(|| {
                    ApiError::method(format!(
                        "Field '{name}' must be an array of {{VALUE, VALUE_TYPE}}."
                    ))
                })
            })
            .collect()
    }

    /// Apply a multi-field write: entries with an `ID` change (or, when their VALUE is empty
    /// or DELETE is Y, remove) that entry; entries without one are added.
    fn write_multi(
        &mut self,
        record: &mut Map<String, Value>,
        name: &str,
        value: &Value,
    ) -> Result<(), ApiError> {
        let mut stored: Vec<Value> = record
            .get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for entry in Self::multi_entries(value, name)? {
            let text = text_of(entry.get("VALUE")).trim().to_string();
            let value_type = Some(text_of(entry.get("VALUE_TYPE")))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "WORK".into());
            let delete = text_of(entry.get("DELETE")) == "Y" || text.is_empty();
            match parse_id(entry.get("ID")) {
                Some(id) => {
                    let position = stored
                        .iter()
                        .position(|e| parse_id(e.get("ID")) == Some(id));
                    match (position, delete) {
                        (Some(i), true) => {
                            stored.remove(i);
                        }
                        (Some(i), false) => {
                            stored[i]["VALUE"] = json!(text);
                            stored[i]["VALUE_TYPE"] = json!(value_type);
                        }
                        (None, _) => {}
                    }
                }
                None if !delete => {
                    let id = self.next_multi_id;
                    self.next_multi_id += 1;
                    stored.push(json!({"ID": id.to_string(), "VALUE_TYPE": value_type, "VALUE": text, "TYPE_ID": name}));
                }
                None => {}
            }
        }
        record.insert(name.to_string(), Value::Array(stored));
        Ok(())
    }

    /// Apply a write's `fields` to `record`: unknown fields are ignored as the real API
    /// does, multi-fields merged, scalars stored as text.
    fn write(
        &mut self,
        kind: EntityKind,
        record: &mut Map<String, Value>,
        fields: &Map<String, Value>,
    ) -> Result<(), ApiError> {
        for (name, value) in fields {
            let name = name.to_ascii_uppercase();
            if !kind.writable(&name) || value.is_null() {
                continue;
            }
            if MULTI_FIELDS.contains(&name.as_str()) {
                self.write_multi(record, &name, value)?;
            } else if name == HIDDEN_CONTACT_IDS
                || (kind == EntityKind::Deal && name == "CONTACT_ID")
            {
                // The single CONTACT_ID (deprecated) binds exactly that one contact.
                let ids: Vec<Value> = match value {
                    Value::Array(items) => items.iter().collect::<Vec<_>>(),
                    other => vec![other],
                }
                .into_iter()
                .filter_map(|v| parse_id(Some(v)))
                .map(|id| json!(id.to_string()))
                .collect();
                record.insert(HIDDEN_CONTACT_IDS.into(), Value::Array(ids));
            } else if name == "OPPORTUNITY" {
                let amount: f64 = text_of(Some(value)).trim().parse().map_err(|_| {
                    ApiError::method(format!(
                        "Field 'OPPORTUNITY' has an invalid value '{}'.",
                        text_of(Some(value))
                    ))
                })?;
                record.insert(name, json!(format!("{amount:.2}")));
            } else if name.starts_with("UF_") && (value.is_array() || value.is_object()) {
                record.insert(name, value.clone());
            } else {
                record.insert(name, stored_text(value));
            }
        }
        Ok(())
    }

    /// The rules that tie fields together: lead status semantics; a deal's pipeline,
    /// stage, semantics and primary contact.
    fn settle(
        &self,
        kind: EntityKind,
        record: &mut Map<String, Value>,
        creating: bool,
    ) -> Result<(), ApiError> {
        match kind {
            EntityKind::Lead => {
                let status = text_of(record.get("STATUS_ID"));
                let status = if status.is_empty() {
                    "NEW".to_string()
                } else {
                    status
                };
                let semantic = LEAD_STATUSES
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map(|(_, sem)| *sem)
                    .ok_or_else(|| {
                        ApiError::method(format!("Lead status '{status}' does not exist."))
                    })?;
                record.insert("STATUS_ID".into(), json!(status));
                record.insert("STATUS_SEMANTIC_ID".into(), json!(semantic));
            }
            EntityKind::Contact => {}
            EntityKind::Deal => {
                let category_id: u64 = text_of(record.get("CATEGORY_ID")).parse().unwrap_or(0);
                let category = self.category(category_id).ok_or_else(|| {
                    ApiError::method(format!(
                        "Pipeline (CATEGORY_ID) {category_id} does not exist."
                    ))
                })?;
                let stage_id = text_of(record.get("STAGE_ID"));
                let stage = if stage_id.is_empty() {
                    category.stages.first()
                } else {
                    category.stages.iter().find(|s| s.id == stage_id)
                }
                .ok_or_else(|| {
                    ApiError::method(format!(
                        "Stage '{stage_id}' does not belong to pipeline {category_id}."
                    ))
                })?;
                let closed = stage.semantics != StageSemantics::Process;
                record.insert("CATEGORY_ID".into(), json!(category_id.to_string()));
                record.insert("STAGE_ID".into(), json!(stage.id));
                record.insert("STAGE_SEMANTIC_ID".into(), json!(stage.semantics.letter()));
                record.insert("CLOSED".into(), json!(if closed { "Y" } else { "N" }));
                if creating && !record.contains_key(HIDDEN_CONTACT_IDS) {
                    record.insert(HIDDEN_CONTACT_IDS.into(), json!([]));
                }
                let primary = record
                    .get(HIDDEN_CONTACT_IDS)
                    .and_then(|ids| ids.get(0))
                    .cloned()
                    .unwrap_or(Value::Null);
                record.insert("CONTACT_ID".into(), primary);
            }
        }
        Ok(())
    }

    fn defaults(&self, kind: EntityKind, id: u64) -> Map<String, Value> {
        let now = self.stamp();
        let mut record = Map::new();
        record.insert("ID".into(), json!(id.to_string()));
        record.insert(
            "ASSIGNED_BY_ID".into(),
            json!(self.config.user_id.to_string()),
        );
        record.insert("OPENED".into(), json!("Y"));
        record.insert("DATE_CREATE".into(), json!(now));
        record.insert("DATE_MODIFY".into(), json!(now));
        if kind != EntityKind::Contact {
            record.insert("OPPORTUNITY".into(), json!("0.00"));
            record.insert("CURRENCY_ID".into(), json!("RUB"));
        }
        if kind == EntityKind::Deal {
            record.insert("TYPE_ID".into(), json!("SALE"));
            let today = self.now();
            record.insert(
                "BEGINDATE".into(),
                json!(today.format("%Y-%m-%dT00:00:00%:z").to_string()),
            );
            let close = today + ChronoDuration::days(7);
            record.insert(
                "CLOSEDATE".into(),
                json!(close.format("%Y-%m-%dT00:00:00%:z").to_string()),
            );
        }
        record
    }

    fn fields_param(params: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
        match params.get("fields").or_else(|| params.get("FIELDS")) {
            Some(Value::Object(fields)) => Ok(fields.clone()),
            _ => Err(ApiError::method("Parameter 'fields' must be array.")),
        }
    }

    /// `crm.<kind>.add`: the new id.
    pub fn add(&mut self, kind: EntityKind, params: &Map<String, Value>) -> Result<u64, ApiError> {
        let fields = Self::fields_param(params)?;
        let index = kind as usize;
        let id = self.next_ids[index];
        let mut record = self.defaults(kind, id);
        self.write(kind, &mut record, &fields)?;
        self.settle(kind, &mut record, true)?;
        self.next_ids[index] += 1;
        self.records_mut(kind).push(record);
        Ok(id)
    }

    fn position(&self, kind: EntityKind, params: &Map<String, Value>) -> Result<usize, ApiError> {
        let id =
            parse_id(params.get("id").or_else(|| params.get("ID"))).ok_or_else(ApiError::bad_id)?;
        self.records(kind)
            .iter()
            .position(|r| parse_id(r.get("ID")) == Some(id))
            .ok_or_else(ApiError::not_found)
    }

    /// `crm.<kind>.update`.
    pub fn update(
        &mut self,
        kind: EntityKind,
        params: &Map<String, Value>,
    ) -> Result<(), ApiError> {
        let index = self.position(kind, params)?;
        let mut fields = Self::fields_param(params)?;
        // A deal's pipeline is not changed by an update (Bitrix24 has a separate method).
        if kind == EntityKind::Deal {
            fields.retain(|k, _| !k.eq_ignore_ascii_case("CATEGORY_ID"));
        }
        let mut record = self.records(kind)[index].clone();
        self.write(kind, &mut record, &fields)?;
        self.settle(kind, &mut record, false)?;
        record.insert("DATE_MODIFY".into(), json!(self.stamp()));
        self.records_mut(kind)[index] = record;
        Ok(())
    }

    /// `crm.<kind>.get`: every field, multi-fields and custom fields included.
    pub fn get(&self, kind: EntityKind, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let index = self.position(kind, params)?;
        let mut record = self.records(kind)[index].clone();
        record.remove(HIDDEN_CONTACT_IDS);
        Ok(Value::Object(record))
    }
}
