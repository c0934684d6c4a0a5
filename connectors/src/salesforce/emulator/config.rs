//! How the emulated org is set up: its credentials (access token, refresh token, connected
//! app), token lifetime, query batch size, daily API quota, users, opportunity stages and
//! custom fields.

use std::time::Duration;

use super::schema::CustomField;

/// An opportunity stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// API name (and label).
    pub name: String,
    /// Whether it is a closed stage.
    pub closed: bool,
    /// Whether it is a won stage.
    pub won: bool,
}

impl Stage {
    /// An open stage.
    pub fn open(name: &str) -> Self {
        Stage {
            name: name.into(),
            closed: false,
            won: false,
        }
    }
}

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct SalesforceEmulatorConfig {
    /// The access token valid from the start (`Authorization: Bearer <token>`).
    pub access_token: String,
    /// The refresh token the token endpoint accepts.
    pub refresh_token: String,
    /// The connected app's consumer key.
    pub client_id: String,
    /// The connected app's consumer secret.
    pub client_secret: String,
    /// How long an access token works after it is issued; `None`: until expired by hand
    /// ([`crate::salesforce::SalesforceEmulator::expire_access_tokens`]).
    pub access_token_ttl: Option<Duration>,
    /// Whether each refresh also returns a new refresh token (and retires the old one).
    pub rotate_refresh_token: bool,
    /// Records per query page (Salesforce's default is 2000; small values exercise
    /// `nextRecordsUrl`).
    pub batch_size: usize,
    /// The org's daily API request quota.
    pub daily_api_limit: u64,
    /// Users `(id, name)`; the first is the integration user and owns new records.
    pub users: Vec<(String, String)>,
    /// Opportunity stages, in order.
    pub stages: Vec<Stage>,
    /// Custom fields (text), some flagged External ID.
    pub custom_fields: Vec<CustomField>,
}

impl SalesforceEmulatorConfig {
    /// The defaults with this access token.
    pub fn with_token(token: impl Into<String>) -> Self {
        SalesforceEmulatorConfig {
            access_token: token.into(),
            ..Default::default()
        }
    }

    /// The same config with one more custom field on `object`.
    pub fn with_custom_field(mut self, object: &str, name: &str, external_id: bool) -> Self {
        self.custom_fields.push(CustomField {
            object: object.into(),
            name: name.into(),
            external_id,
        });
        self
    }
}

impl Default for SalesforceEmulatorConfig {
    fn default() -> Self {
        let closed = |name: &str, won: bool| Stage {
            name: name.into(),
            closed: true,
            won,
        };
        SalesforceEmulatorConfig {
            access_token: "00D5g000004XyZa!AQ4AQEmulatedAccessToken1".into(),
            refresh_token: "5Aep861EmulatedRefreshToken0001".into(),
            client_id: "3MVG9EmulatedConsumerKey".into(),
            client_secret: "EmulatedConsumerSecret77".into(),
            access_token_ttl: None,
            rotate_refresh_token: false,
            batch_size: 2000,
            daily_api_limit: 15_000,
            users: vec![
                ("0055g00000AAAAAAAA".into(), "Integration User".into()),
                ("0055g00000BBBBBBBB".into(), "Olga Shevchenko".into()),
                ("0055g00000CCCCCCCC".into(), "Petro Koval".into()),
            ],
            stages: vec![
                Stage::open("Prospecting"),
                Stage::open("Qualification"),
                Stage::open("Needs Analysis"),
                Stage::open("Value Proposition"),
                Stage::open("Proposal/Price Quote"),
                Stage::open("Negotiation/Review"),
                closed("Closed Won", true),
                closed("Closed Lost", false),
            ],
            custom_fields: Vec::new(),
        }
    }
}
