//! The emulated account: users, pipelines with statuses (every pipeline has 142 "won" and
//! 143 "lost"), custom fields per entity type (contacts and companies come with PHONE and
//! EMAIL), tags, and the stored contacts, companies, leads, tasks and notes as amoCRM's
//! JSON objects. Times are unix seconds from the emulator's clock, which tests can set.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::AmoCrmEmulatorConfig;

/// The account id every object carries.
pub const ACCOUNT_ID: i64 = 31_000_001;
/// Status every pipeline has: closed and won.
pub const WON: i64 = 142;
/// Status every pipeline has: closed and lost.
pub const LOST: i64 = 143;

/// Entity types that have custom fields, tags and notes.
pub const ENTITY_TYPES: &[&str] = &["leads", "contacts", "companies"];

/// Everything the emulated account holds.
#[derive(Debug, Clone)]
pub struct Account {
    /// The emulator's configuration.
    pub config: AmoCrmEmulatorConfig,
    /// Base URL clients see (`http://127.0.0.1:port`).
    pub base: String,
    /// Fixed "now" (unix seconds); `None` follows the wall clock.
    pub clock: Option<i64>,
    next_id: i64,
    next_field_id: i64,
    next_status_id: i64,
    /// Contacts in creation order.
    pub contacts: Vec<Value>,
    /// Companies in creation order.
    pub companies: Vec<Value>,
    /// Leads in creation order.
    pub leads: Vec<Value>,
    /// Tasks in creation order.
    pub tasks: Vec<Value>,
    /// Notes in creation order.
    pub notes: Vec<Value>,
    /// Pipelines with `_embedded.statuses`.
    pub pipelines: Vec<Value>,
    /// Custom fields per entity type.
    pub fields: HashMap<&'static str, Vec<Value>>,
    /// Known tags per entity type (`{id, name, color}`).
    pub tags: HashMap<&'static str, Vec<Value>>,
}

/// The `'static` name of an entity type from a path segment.
pub fn entity_type(segment: &str) -> Option<&'static str> {
    ENTITY_TYPES.iter().copied().find(|t| *t == segment)
}

impl Account {
    /// A fresh account with one main pipeline and the predefined fields.
    pub fn new(config: AmoCrmEmulatorConfig) -> Self {
        let mut account = Account {
            config,
            base: String::new(),
            clock: None,
            next_id: 1_000_001,
            next_field_id: 500_001,
            next_status_id: 40_000_001,
            contacts: Vec::new(),
            companies: Vec::new(),
            leads: Vec::new(),
            tasks: Vec::new(),
            notes: Vec::new(),
            pipelines: Vec::new(),
            fields: HashMap::new(),
            tags: HashMap::new(),
        };
        account.add_pipeline(
            "Воронка",
            &["Первичный контакт", "Переговоры", "Принимают решение"],
        );
        let phone_enums = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"];
        let email_enums = ["WORK", "PRIV", "OTHER"];
        for entity in ["contacts", "companies"] {
            account.add_field(entity, json!({"name": "Телефон", "type": "multitext", "code": "PHONE", "enums": phone_enums.map(|c| json!({"value": c}))}));
            account.add_field(entity, json!({"name": "Email", "type": "multitext", "code": "EMAIL", "enums": email_enums.map(|c| json!({"value": c}))}));
        }
        account.add_field(
            "contacts",
            json!({"name": "Должность", "type": "text", "code": "POSITION"}),
        );
        account
    }

    /// Now, unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }

    /// A new entity id.
    pub fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// `{"self":{"href": base + path}}`.
    pub fn links(&self, path: &str) -> Value {
        json!({"self": {"href": format!("{}{path}", self.base)}})
    }

    /// Add a pipeline whose statuses are "Неразобранное", `stages`, then 142 and 143.
    pub fn add_pipeline(&mut self, name: &str, stages: &[&str]) -> Value {
        self.next_status_id += 100;
        let id = 7_000_000 + self.pipelines.len() as i64 + 1;
        let mut statuses = Vec::new();
        let mut push = |sid: i64, name: &str, kind: i64, editable: bool, sort: i64| {
            statuses.push(
                json!({"id": sid, "name": name, "sort": sort, "is_editable": editable,
                "pipeline_id": id, "color": "#99ccff", "type": kind, "account_id": ACCOUNT_ID}),
            );
        };
        let base = self.next_status_id;
        push(base, "Неразобранное", 1, false, 10);
        for (i, stage) in stages.iter().enumerate() {
            push(base + 1 + i as i64, stage, 0, true, 20 + 10 * i as i64);
        }
        push(WON, "Успешно реализовано", 0, false, 10_000);
        push(LOST, "Закрыто и не реализовано", 0, false, 11_000);
        let pipeline = json!({
            "id": id, "name": name, "sort": 1 + self.pipelines.len(), "is_main": self.pipelines.is_empty(),
            "is_unsorted_on": true, "is_archive": false, "account_id": ACCOUNT_ID,
            "_links": self.links(&format!("/api/v4/leads/pipelines/{id}")),
            "_embedded": {"statuses": statuses},
        });
        self.pipelines.push(pipeline.clone());
        pipeline
    }

    /// The main pipeline's id.
    pub fn main_pipeline(&self) -> i64 {
        self.pipelines
            .iter()
            .find(|p| p["is_main"] == true)
            .and_then(|p| p["id"].as_i64())
            .unwrap_or_default()
    }

    /// The statuses of a pipeline, `None` when it does not exist.
    pub fn statuses(&self, pipeline_id: i64) -> Option<Vec<Value>> {
        let pipeline = self.pipelines.iter().find(|p| p["id"] == pipeline_id)?;
        pipeline
            .pointer("/_embedded/statuses")
            .and_then(Value::as_array)
            .cloned()
    }

    /// Add a custom field from an API body (`name`, `type`, `code`, `enums`).
    pub fn add_field(&mut self, entity: &'static str, body: Value) -> Value {
        self.next_field_id += 1;
        let id = self.next_field_id;
        let enums = body.get("enums").and_then(Value::as_array).map(|enums| {
            enums
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    self.next_field_id += 1;
                    json!({"id": self.next_field_id, "value": e.get("value").cloned().unwrap_or_default(), "sort": 1 + i})
                })
                .collect::<Vec<_>>()
        });
        let list = self.fields.entry(entity).or_default();
        let field = json!({
            "id": id, "name": body["name"], "type": body["type"],
            "code": body.get("code").cloned().unwrap_or(Value::Null),
            "sort": body.get("sort").cloned().unwrap_or(json!(500 + list.len())),
            "is_api_only": false, "enums": enums, "group_id": null, "required_statuses": [],
            "is_deletable": true, "is_predefined": false, "entity_type": entity,
            "account_id": ACCOUNT_ID,
            "_links": {"self": {"href": format!("{}/api/v4/{entity}/custom_fields/{id}", self.base)}},
        });
        list.push(field.clone());
        field
    }

    /// The stored records of an entity type.
    pub fn records(&self, entity: &str) -> &Vec<Value> {
        match entity {
            "contacts" => &self.contacts,
            "companies" => &self.companies,
            "leads" => &self.leads,
            "tasks" => &self.tasks,
            _ => &self.notes,
        }
    }

    /// The stored records of an entity type, to change.
    pub fn records_mut(&mut self, entity: &str) -> &mut Vec<Value> {
        match entity {
            "contacts" => &mut self.contacts,
            "companies" => &mut self.companies,
            "leads" => &mut self.leads,
            "tasks" => &mut self.tasks,
            _ => &mut self.notes,
        }
    }

    /// One record by id.
    pub fn find(&self, entity: &str, id: i64) -> Option<&Value> {
        self.records(entity).iter().find(|r| r["id"] == id)
    }

    /// Whether a user id exists.
    pub fn has_user(&self, id: i64) -> bool {
        self.config.users.iter().any(|(u, _)| *u == id)
    }

    /// The first configured user (the token's owner).
    pub fn current_user(&self) -> i64 {
        self.config
            .users
            .first()
            .map(|(id, _)| *id)
            .unwrap_or_default()
    }

    /// The tag named `name` of an entity type, created when new.
    pub fn tag(&mut self, entity: &'static str, name: &str) -> Value {
        let known = self.tags.entry(entity).or_default();
        if let Some(tag) = known.iter().find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.to_lowercase() == name.to_lowercase())
        }) {
            return tag.clone();
        }
        self.next_id += 1;
        let tag = json!({"id": self.next_id, "name": name, "color": null});
        self.tags.entry(entity).or_default().push(tag.clone());
        tag
    }

    /// A record as the API shows it: leads carry `_embedded.contacts` only when asked
    /// (`with=contacts`), contacts carry `_embedded.leads` only when asked (`with=leads`).
    pub fn render(&self, entity: &str, record: &Value, with: &[&str]) -> Value {
        let mut out = record.clone();
        let id = record["id"].as_i64().unwrap_or_default();
        if entity == "leads"
            && !with.contains(&"contacts")
            && let Some(embedded) = out.get_mut("_embedded").and_then(Value::as_object_mut)
        {
            embedded.remove("contacts");
        }
        if matches!(entity, "contacts" | "companies") && with.contains(&"leads") {
            let link_key = entity;
            let leads: Vec<Value> = self
                .leads
                .iter()
                .filter(|l| {
                    l.pointer(&format!("/_embedded/{link_key}"))
                        .and_then(Value::as_array)
                        .is_some_and(|links| links.iter().any(|c| c["id"] == id))
                })
                .map(|l| json!({"id": l["id"], "_links": self.links(&format!("/api/v4/leads/{}", l["id"]))}))
                .collect();
            out["_embedded"]["leads"] = Value::Array(leads);
        }
        out
    }
}

/// Whether a record matches amoCRM's `query` search: any name or field value contains the
/// text (ignoring case), or the query's digits are part of one of its phones' digits.
pub fn matches_query(record: &Value, query: &str) -> bool {
    let wanted = query.trim().to_lowercase();
    if wanted.is_empty() {
        return true;
    }
    let text_hit = ["name", "first_name", "last_name"].iter().any(|k| {
        record[*k]
            .as_str()
            .is_some_and(|v| v.to_lowercase().contains(&wanted))
    });
    let fields = record["custom_fields_values"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let value_text = |v: &Value| match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string(),
    };
    let field_hit = fields.iter().any(|f| {
        f["values"].as_array().is_some_and(|values| {
            values
                .iter()
                .any(|v| value_text(&v["value"]).contains(&wanted))
        })
    });
    let query_digits: String = wanted.chars().filter(char::is_ascii_digit).collect();
    let phone_like = query_digits.len() >= 5
        && wanted
            .chars()
            .all(|c| c.is_ascii_digit() || "+-() ".contains(c));
    let phone_hit = phone_like
        && fields
            .iter()
            .filter(|f| f["field_code"] == "PHONE")
            .flat_map(|f| f["values"].as_array().cloned().unwrap_or_default())
            .any(|v| {
                let digits: String = value_text(&v["value"])
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                digits.contains(&query_digits)
            });
    text_hit || field_hit || phone_hit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pipeline_has_the_closing_statuses() {
        let mut account = Account::new(AmoCrmEmulatorConfig::default());
        let second = account.add_pipeline("Опт", &["Новая"]);
        for pipeline in [account.main_pipeline(), second["id"].as_i64().unwrap()] {
            let ids: Vec<i64> = account
                .statuses(pipeline)
                .unwrap()
                .iter()
                .map(|s| s["id"].as_i64().unwrap())
                .collect();
            assert!(ids.contains(&WON) && ids.contains(&LOST), "{ids:?}");
        }
        assert_eq!(account.fields["contacts"][0]["code"], "PHONE");
    }

    #[test]
    fn query_matches_names_values_and_phone_digits() {
        let contact = json!({"name": "Иван Петров", "custom_fields_values": [
            {"field_code": "PHONE", "values": [{"value": "+7 (999) 123-45-67"}]},
            {"field_code": "EMAIL", "values": [{"value": "Ivan@Example.ru"}]}]});
        assert!(matches_query(&contact, "петров"));
        assert!(matches_query(&contact, "ivan@example.ru"));
        assert!(matches_query(&contact, "9991234567"));
        assert!(matches_query(&contact, "79991234567"));
        // A different prefix is not the same digits: why the connector searches by the
        // last ten.
        assert!(!matches_query(&contact, "89991234567"));
        assert!(!matches_query(&contact, "anna@example.ru"));
    }
}
