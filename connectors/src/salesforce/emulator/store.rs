//! The emulated org's state: records per object (each a map of canonical field names),
//! id serials, a clock tests can stop, open query cursors, the daily API counter and the
//! issued access tokens. Writes through the API live in `writes`; this module holds what
//! they and the read endpoints share, plus seeding for tests.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration as ChronoDuration, SubsecRound, Utc};
use serde_json::{Map, Value, json};

use super::config::SalesforceEmulatorConfig;
use super::ids::record_id;
use super::schema::{OBJECTS, ObjectSchema};

/// The "pod" characters in every emulated id.
const POD: &str = "5g";

/// An access token the org accepts.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token.
    pub token: String,
    /// When it stops working (tokio time), if ever.
    pub expires: Option<tokio::time::Instant>,
}

/// The org.
pub struct Org {
    /// The emulator's configuration (changeable while it runs).
    pub config: SalesforceEmulatorConfig,
    /// `http://127.0.0.1:<port>`, known once bound.
    pub base: String,
    records: BTreeMap<&'static str, Vec<Map<String, Value>>>,
    serial: u64,
    last_stamp: Option<DateTime<Utc>>,
    /// A stopped clock; `None` follows the wall clock.
    pub clock: Option<DateTime<Utc>>,
    /// Open query cursors: locator → every record of the query.
    pub cursors: HashMap<String, Vec<Value>>,
    /// API requests counted against the daily quota.
    pub api_used: u64,
    /// Access tokens that work (the configured one first).
    pub tokens: Vec<IssuedToken>,
    /// The refresh token currently valid (rotation replaces it), `None` once revoked.
    pub refresh_token: Option<String>,
    /// API requests the tokens issued so far still get answered; after that many, they
    /// all expire (a session timing out in the middle of a run). `None`: no countdown.
    pub session_requests_left: Option<u64>,
}

impl Org {
    /// Make every access token issued so far stop working now.
    pub fn expire_tokens(&mut self) {
        let now = tokio::time::Instant::now();
        for token in &mut self.tokens {
            token.expires = Some(now);
        }
    }

    /// Count one answered API request against [`Org::session_requests_left`].
    pub fn count_session_request(&mut self) {
        match self.session_requests_left {
            Some(0 | 1) => {
                self.session_requests_left = None;
                self.expire_tokens();
            }
            Some(left) => self.session_requests_left = Some(left - 1),
            None => {}
        }
    }

    /// A fresh org with the configured users and opportunity stages.
    pub fn new(config: SalesforceEmulatorConfig) -> Self {
        let tokens = vec![IssuedToken {
            token: config.access_token.clone(),
            expires: config
                .access_token_ttl
                .map(|ttl| tokio::time::Instant::now() + ttl),
        }];
        let refresh_token = Some(config.refresh_token.clone());
        let mut org = Org {
            config,
            base: String::new(),
            records: OBJECTS.iter().map(|o| (*o, Vec::new())).collect(),
            serial: 0,
            last_stamp: None,
            clock: None,
            cursors: HashMap::new(),
            api_used: 0,
            tokens,
            refresh_token,
            session_requests_left: None,
        };
        for (id, name) in org.config.users.clone() {
            org.insert("User", json!({"Id": id, "Name": name, "Email": format!("{}@example.com", name.to_lowercase().replace(' ', ".")), "IsActive": true}));
        }
        for (i, stage) in org.config.stages.clone().iter().enumerate() {
            let id = org.next_id("OpportunityStage");
            org.insert(
                "OpportunityStage",
                json!({"Id": id, "ApiName": stage.name, "MasterLabel": stage.name, "IsActive": true,
                       "IsClosed": stage.closed, "IsWon": stage.won, "SortOrder": i + 1,
                       "DefaultProbability": if stage.won { 100 } else if stage.closed { 0 } else { 10 }}),
            );
        }
        org
    }

    /// The schema of `object` (any capitalisation).
    pub fn schema(&self, object: &str) -> Option<ObjectSchema> {
        ObjectSchema::of(object, &self.config.custom_fields)
    }

    /// The emulator's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// A timestamp for a write: "now", but always after the previous one, so "newest"
    /// is well defined even for records written in the same millisecond.
    pub fn stamp(&mut self) -> String {
        // Salesforce keeps milliseconds: compare at that precision, or two writes in one
        // millisecond would share a stamp.
        let mut now = self.now().trunc_subsecs(3);
        if let Some(last) = self.last_stamp
            && now <= last
        {
            now = last + ChronoDuration::milliseconds(1);
        }
        self.last_stamp = Some(now);
        now.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string()
    }

    /// A new id of `object`.
    pub fn next_id(&mut self, object: &str) -> String {
        self.serial += 1;
        record_id(object, POD, self.serial)
    }

    /// Records of `object` (canonical name).
    pub fn rows(&self, object: &str) -> &[Map<String, Value>] {
        self.records
            .get(object)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The record with this id (15 or 18 characters), with its object.
    pub fn find(&self, id: &str) -> Option<(&'static str, &Map<String, Value>)> {
        let short: String = id.chars().take(15).collect();
        self.records.iter().find_map(|(object, rows)| {
            rows.iter()
                .find(|r| {
                    r.get("Id")
                        .and_then(Value::as_str)
                        .is_some_and(|rid| rid.starts_with(&short))
                        && short.len() == 15
                })
                .map(|r| (*object, r))
        })
    }

    /// The record of `object` with this id, for changing it.
    pub fn find_mut(&mut self, object: &str, id: &str) -> Option<&mut Map<String, Value>> {
        let short: String = id.chars().take(15).collect();
        if short.len() != 15 {
            return None;
        }
        self.records.get_mut(object)?.iter_mut().find(|r| {
            r.get("Id")
                .and_then(Value::as_str)
                .is_some_and(|rid| rid.starts_with(&short))
        })
    }

    /// Store a record as given (canonical names; every schema field present, null when
    /// unset), stamping its system fields unless set.
    pub fn insert(&mut self, object: &'static str, record: Value) -> String {
        let schema = self.schema(object).expect("known object");
        let mut row = Map::new();
        for field in &schema.fields {
            row.insert(field.name.clone(), Value::Null);
        }
        if let Value::Object(given) = record {
            for (key, value) in given {
                let name = schema.field(&key).map(|f| f.name.clone()).unwrap_or(key);
                row.insert(name, value);
            }
        }
        if row.get("Id").is_none_or(Value::is_null) {
            let id = self.next_id(object);
            row.insert("Id".into(), json!(id));
        }
        let stamp = self.stamp();
        for system in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
            if row.get(system).is_none_or(Value::is_null) {
                row.insert(system.into(), json!(stamp));
            }
        }
        derive(object, &mut row, &self.config);
        let id = row["Id"].as_str().unwrap_or_default().to_string();
        self.records.entry(object).or_default().push(row);
        id
    }

    /// Mark a record changed now and recompute its derived fields.
    pub fn touch(&mut self, object: &'static str, id: &str) {
        let stamp = self.stamp();
        let config = self.config.clone();
        if let Some(row) = self.find_mut(object, id) {
            row.insert("LastModifiedDate".into(), json!(stamp));
            row.insert("SystemModstamp".into(), json!(stamp));
            derive(object, row, &config);
        }
    }
}

/// Fields the platform computes: names from their parts, an opportunity's closed / won
/// flags from its stage, a task's closed flag from its status.
pub fn derive(object: &str, row: &mut Map<String, Value>, config: &SalesforceEmulatorConfig) {
    match object {
        "Lead" | "Contact" => {
            let part = |k: &str| {
                row.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let name = format!("{} {}", part("FirstName"), part("LastName"))
                .trim()
                .to_string();
            row.insert("Name".into(), json!(name));
        }
        "Opportunity" => {
            let stage = row
                .get("StageName")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let found = config.stages.iter().find(|s| s.name == stage);
            row.insert("IsClosed".into(), json!(found.is_some_and(|s| s.closed)));
            row.insert("IsWon".into(), json!(found.is_some_and(|s| s.won)));
        }
        "Task" => {
            let done = row.get("Status").and_then(Value::as_str) == Some("Completed");
            row.insert("IsClosed".into(), json!(done));
        }
        _ => {}
    }
}
