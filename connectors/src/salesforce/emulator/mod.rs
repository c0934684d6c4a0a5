//! An in-process Salesforce org on 127.0.0.1 for tests, examples and demos.
//!
//! It speaks the REST API's wire format: `/services/data/vNN.N/...` paths,
//! `Authorization: Bearer` checked against issued tokens that can expire (401
//! `INVALID_SESSION_ID`), the OAuth2 refresh-token endpoint `POST /services/oauth2/token`,
//! SOQL queries (a subset: see `soql`) answered in batches with `nextRecordsUrl`, sObject
//! create (201 `{"id","success","errors"}`), update (204), upsert by an External ID
//! field (201 / 200 with `created`, 300 with the matching URLs), Salesforce's validation
//! errors as `[{"message","errorCode","fields"}]`, `Sforce-Limit-Info` on every answer
//! and 403 `REQUEST_LIMIT_EXCEEDED` once the daily quota is spent. Records get real-looking
//! 18-character ids and `CreatedDate`s from a clock tests can stop. Every request is
//! recorded and failures can be injected through its [`InstrumentedServer`], which the
//! emulator derefs to.

mod api_error;
mod config;
mod ids;
mod oauth;
mod query;
mod routes;
mod schema;
mod soql;
mod store;
mod writes;

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub use config::{SalesforceEmulatorConfig, Stage};
pub use routes::TOKEN_PATH;
pub use schema::CustomField;

use crate::emulation::InstrumentedServer;
use routes::Shared;
use store::Org;

/// The records a lead conversion made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The new contact.
    pub contact_id: String,
    /// The new account.
    pub account_id: String,
    /// The new opportunity, when one was made.
    pub opportunity_id: Option<String>,
}

/// A running Salesforce emulator. Dropping it stops the server.
pub struct SalesforceEmulator {
    server: InstrumentedServer,
    shared: Arc<Shared>,
}

/// Its request log, recorded requests and fault plan are its server's.
impl Deref for SalesforceEmulator {
    type Target = InstrumentedServer;

    fn deref(&self) -> &InstrumentedServer {
        &self.server
    }
}

impl SalesforceEmulator {
    /// Serve a fresh org on 127.0.0.1 with an OS-chosen port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(config: SalesforceEmulatorConfig) -> Self {
        let shared = Arc::new(Shared {
            org: Mutex::new(Org::new(config)),
        });
        let server = InstrumentedServer::start(routes::router(shared.clone()))
            .await
            .expect("bind an emulator port on 127.0.0.1");
        // The token answer's `instance_url` holds the bound address; no request can
        // arrive before `start` returns.
        shared.org.lock().unwrap_or_else(|p| p.into_inner()).base = server.base_url();
        SalesforceEmulator { server, shared }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Org> {
        self.shared.org.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `http://127.0.0.1:<port>`: the connection's `instance_url`.
    pub fn instance_url(&self) -> String {
        self.server.base_url()
    }

    /// The token endpoint's full URL.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.server.base_url())
    }

    /// The configuration in force.
    pub fn config(&self) -> SalesforceEmulatorConfig {
        self.lock().config.clone()
    }

    /// Change the configuration of the running emulator.
    pub fn configure(&self, change: impl FnOnce(&mut SalesforceEmulatorConfig)) {
        change(&mut self.lock().config);
    }

    /// Make every access token issued so far stop working (the session timeout passed).
    pub fn expire_access_tokens(&self) {
        self.lock().expire_tokens();
    }

    /// Answer `requests` more API requests (`0` is taken as `1`), then make every access
    /// token issued so far stop working: the session times out in the middle of a run, at
    /// a chosen point (between two steps of one item, say). Tokens issued later by the
    /// token endpoint are not affected.
    pub fn expire_access_tokens_after(&self, requests: u64) {
        self.lock().session_requests_left = Some(requests.max(1));
    }

    /// Revoke the refresh token (the user or an admin disconnected the app).
    pub fn revoke_refresh_token(&self) {
        self.lock().refresh_token = None;
    }

    /// The refresh token the token endpoint accepts now.
    pub fn refresh_token(&self) -> Option<String> {
        self.lock().refresh_token.clone()
    }

    /// Every access token issued by the token endpoint, oldest first.
    pub fn issued_access_tokens(&self) -> Vec<String> {
        self.lock()
            .tokens
            .iter()
            .skip(1)
            .map(|t| t.token.clone())
            .collect()
    }

    /// API requests counted against the daily quota.
    pub fn api_used(&self) -> u64 {
        self.lock().api_used
    }

    /// Set the daily counter (e.g. to the quota, to see `REQUEST_LIMIT_EXCEEDED`).
    pub fn set_api_used(&self, used: u64) {
        self.lock().api_used = used;
    }

    /// Stop the clock at this time: records written from now on are stamped from it
    /// (each write still 1 ms after the previous one).
    pub fn set_clock(&self, now: DateTime<Utc>) {
        self.lock().clock = Some(now);
    }

    /// Every record of `object` (canonical name), as stored.
    pub fn records(&self, object: &str) -> Vec<Value> {
        self.lock()
            .rows(object)
            .iter()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// One record by id (15 or 18 characters).
    pub fn record(&self, id: &str) -> Option<Value> {
        self.lock()
            .find(id)
            .map(|(_, row)| Value::Object(row.clone()))
    }

    /// Create a record through the API's own validation (as `POST /sobjects` would);
    /// returns its id.
    ///
    /// # Panics
    /// When the body fails that validation.
    pub fn seed(&self, object: &str, body: Value) -> String {
        writes::create(&mut self.lock(), object, &body)
            .unwrap_or_else(|e| panic!("seed {object} rejected: {}", e.body()))
    }

    /// Seed a contact's opportunity in `stage`, with the contact as its primary contact
    /// role; returns the opportunity id.
    ///
    /// # Panics
    /// When the stage or the contact does not exist.
    pub fn seed_opportunity(&self, contact_id: &str, name: &str, stage: &str) -> String {
        let id = self.seed(
            "Opportunity",
            json!({"Name": name, "StageName": stage, "CloseDate": "2024-06-30"}),
        );
        self.seed(
            "OpportunityContactRole",
            json!({"OpportunityId": id, "ContactId": contact_id, "IsPrimary": true}),
        );
        id
    }

    /// Convert a lead as the Salesforce UI does: an account named after its company, a
    /// contact with its name, phones and e-mail under that account, optionally an
    /// opportunity in the first stage; the lead is then `IsConverted` and points at them.
    ///
    /// # Panics
    /// When the lead does not exist or is already converted.
    pub fn convert_lead(&self, lead_id: &str, with_opportunity: bool) -> Converted {
        let lead = self.record(lead_id).expect("the lead exists");
        assert_eq!(
            lead["IsConverted"],
            json!(false),
            "the lead is not converted yet"
        );
        let account_id = self.seed("Account", json!({"Name": lead["Company"]}));
        let contact_id = self.seed(
            "Contact",
            json!({"FirstName": lead["FirstName"], "LastName": lead["LastName"], "Phone": lead["Phone"],
                   "MobilePhone": lead["MobilePhone"], "Email": lead["Email"], "AccountId": account_id}),
        );
        let opportunity_id = with_opportunity.then(|| {
            let stage = self.lock().config.stages[0].name.clone();
            let id = self.seed_opportunity(
                &contact_id,
                &format!("{}-", lead["Company"].as_str().unwrap_or_default()),
                &stage,
            );
            let mut org = self.lock();
            if let Some(row) = org.find_mut("Opportunity", &id) {
                row.insert("AccountId".into(), json!(account_id));
            }
            id
        });
        let mut org = self.lock();
        let today = org.now().date_naive().to_string();
        let row = org.find_mut("Lead", lead_id).expect("the lead exists");
        row.insert("IsConverted".into(), json!(true));
        row.insert("Status".into(), json!("Closed - Converted"));
        row.insert("ConvertedDate".into(), json!(today));
        row.insert("ConvertedContactId".into(), json!(contact_id));
        row.insert("ConvertedAccountId".into(), json!(account_id));
        row.insert("ConvertedOpportunityId".into(), json!(opportunity_id));
        let id = row["Id"].as_str().unwrap_or_default().to_string();
        org.touch("Lead", &id);
        Converted {
            contact_id,
            account_id,
            opportunity_id,
        }
    }

    /// Set an opportunity's stage directly (as a user in the UI would), e.g. to close it.
    ///
    /// # Panics
    /// When the opportunity does not exist.
    pub fn set_stage(&self, opportunity_id: &str, stage: &str) {
        let mut org = self.lock();
        org.find_mut("Opportunity", opportunity_id)
            .expect("the opportunity exists")
            .insert("StageName".into(), json!(stage));
        org.touch("Opportunity", opportunity_id);
    }
}
