//! The [`Connector`] trait and the values the engine exchanges with a connector.
//!
//! A connector is built from a connection's resolved settings ([`Settings`]) by its
//! [`ConnectorKind`]; the engine then polls its triggers page by page ([`PollRequest`] →
//! [`PollPage`]), calls its actions ([`ActionCall`] → [`Record`]) and, for duplicate handling
//! and for resolving uncertain steps, asks it to look a record up ([`FindCall`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::error::ConnectorError;
use crate::oauth::OAuthSessions;
use crate::secret::{LiveSecrets, Redactor, SecretString};
use crate::spec::ConnectorSpec;
use crate::transport::HttpTransport;

/// An action's or lookup's result: the output fields a later step can read.
pub type Record = Map<String, Value>;

/// A record found by a lookup (the same shape as an action's output).
pub type Found = Record;

/// A connection's settings after secret references were resolved.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    values: Map<String, Value>,
    secrets: BTreeMap<String, SecretString>,
    /// Secrets this connection learns while it runs (refreshed OAuth2 tokens); shared by
    /// clones, so every redactor made from these settings scrubs them.
    live: LiveSecrets,
}

impl Settings {
    /// Settings from plain values and resolved secrets.
    pub fn new(values: Map<String, Value>, secrets: BTreeMap<String, SecretString>) -> Self {
        Settings {
            values,
            secrets,
            live: LiveSecrets::default(),
        }
    }

    /// A plain (non-secret) setting.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// A plain setting as text (numbers are rendered as text too).
    pub fn str(&self, name: &str) -> Option<String> {
        match self.values.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// A plain setting that must be present.
    pub fn require_str(&self, name: &str) -> Result<String, ConnectorError> {
        self.str(name)
            .ok_or_else(|| ConnectorError::Config(format!("setting `{name}` is required")))
    }

    /// A secret setting.
    pub fn secret(&self, name: &str) -> Option<&SecretString> {
        self.secrets.get(name)
    }

    /// A secret setting that must be present.
    pub fn require_secret(&self, name: &str) -> Result<&SecretString, ConnectorError> {
        self.secret(name)
            .ok_or_else(|| ConnectorError::Config(format!("secret setting `{name}` is required")))
    }

    /// All plain values (for connectors with open-ended settings).
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// A redactor that scrubs every secret of this connection, including those it
    /// learns later (see [`Settings::live_secrets`]).
    pub fn redactor(&self) -> Redactor {
        Redactor::new(self.secrets.values().map(|s| s.expose().to_string())).with_live(&self.live)
    }

    /// Where a connector registers secrets it receives while running (new OAuth2
    /// tokens), so they are scrubbed wherever this connection's secrets are.
    pub fn live_secrets(&self) -> &LiveSecrets {
        &self.live
    }
}

/// What a connector gets when it is built.
#[derive(Clone)]
pub struct BuildContext {
    /// The shared outbound HTTP transport (timeouts, size cap, rate limits).
    pub http: HttpTransport,
    /// The connection's name in the bundle, for messages.
    pub connection_name: String,
    /// Where OAuth2 connections keep their tokens: the engine's durable store (so refreshed
    /// tokens survive restarts and are shared between workers), or memory for tests and
    /// one-off commands. See [`crate::oauth`].
    pub oauth: OAuthSessions,
}

impl BuildContext {
    /// A context with tokens kept in memory only (tests, one-off commands).
    pub fn new(http: HttpTransport, connection_name: impl Into<String>) -> Self {
        BuildContext {
            http,
            connection_name: connection_name.into(),
            oauth: OAuthSessions::default(),
        }
    }
}

/// A factory for one kind of connector, registered in [`crate::registry`].
pub trait ConnectorKind: Send + Sync {
    /// What this kind offers.
    fn spec(&self) -> &'static ConnectorSpec;
    /// Build a connector for one connection.
    fn build(
        &self,
        settings: Settings,
        ctx: &BuildContext,
    ) -> Result<Arc<dyn Connector>, ConnectorError>;
}

/// One poll of a trigger: the first page (`page == None`) or a continuation.
#[derive(Debug, Clone)]
pub struct PollRequest<'a> {
    /// The trigger's event name.
    pub event: &'a str,
    /// Trigger-level settings from the bundle.
    pub settings: &'a Map<String, Value>,
    /// The cursor stored after the last complete poll (`None` on the first ever poll).
    pub cursor: Option<&'a Value>,
    /// The continuation token from the previous page of this poll.
    pub page: Option<&'a Value>,
    /// The scheduler's notion of now (injected so tests control time windows).
    pub now: DateTime<Utc>,
}

/// One page of items.
#[derive(Debug, Clone, Default)]
pub struct PollPage {
    /// The items on this page, as the source returned them (field names are the API's own).
    pub items: Vec<Value>,
    /// The token for the next page of this same poll, if there is one.
    pub next_page: Option<Value>,
    /// The cursor to store once the poll is complete (read from the last page). `None`
    /// keeps the stored cursor unchanged.
    pub cursor: Option<Value>,
}

/// One webhook delivery for a trigger whose [`crate::spec::Delivery`] is `Webhook`. The
/// engine has already authenticated the request (per-bundle token or HMAC signature),
/// capped its size and checked its content type; the connector only reads it.
#[derive(Debug, Clone)]
pub struct WebhookRequest<'a> {
    /// The trigger's event name.
    pub event: &'a str,
    /// Trigger-level settings from the bundle.
    pub settings: &'a Map<String, Value>,
    /// The request's `Content-Type` (e.g. `application/json`,
    /// `application/x-www-form-urlencoded`).
    pub content_type: &'a str,
    /// The raw body.
    pub body: &'a [u8],
    /// When the engine received it.
    pub received_at: DateTime<Utc>,
}

/// A call of one action.
#[derive(Debug, Clone)]
pub struct ActionCall<'a> {
    /// The action name.
    pub action: &'a str,
    /// The mapped input fields.
    pub input: &'a Map<String, Value>,
    /// `hash(bundle, item key, step)`, identical on every retry; sent as an idempotency
    /// header where the target supports one.
    pub idempotency_key: &'a str,
}

/// A lookup of an existing record, for duplicate handling and for resolving a step whose
/// result was lost.
#[derive(Debug, Clone)]
pub struct FindCall<'a> {
    /// The create action whose records are searched.
    pub action: &'a str,
    /// The input field searched by (one of the action's `DedupSpec::search_keys`).
    pub key: &'a str,
    /// The value searched for (already normalized by the bundle's mapping).
    pub value: &'a Value,
    /// All mapped inputs of the step (some systems need context such as the site).
    pub input: &'a Map<String, Value>,
}

/// A connection to one outside system.
#[async_trait]
pub trait Connector: Send + Sync {
    /// What this connector offers.
    fn spec(&self) -> &'static ConnectorSpec;

    /// Verify the credentials and reachability (`ferry connections check`).
    async fn check(&self) -> Result<(), ConnectorError>;

    /// Fetch one page of a trigger's items.
    async fn poll(&self, request: PollRequest<'_>) -> Result<PollPage, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "connector `{}` has no polling trigger `{}`",
            self.spec().kind,
            request.event
        )))
    }

    /// Turn one webhook delivery into items (usually one; a vendor batching several
    /// events gives several). A body that is not what the vendor sends is a
    /// [`ConnectorError::Rejected`], which the engine answers with 400 and stores nothing.
    async fn parse_webhook(
        &self,
        request: WebhookRequest<'_>,
    ) -> Result<Vec<Value>, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "connector `{}` has no webhook trigger `{}`",
            self.spec().kind,
            request.event
        )))
    }

    /// Run one action.
    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError>;

    /// Look up an existing record for a create action by one key.
    async fn find(&self, call: FindCall<'_>) -> Result<Option<Found>, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "action `{}.{}` has no lookup by `{}`",
            self.spec().kind,
            call.action,
            call.key
        )))
    }
}

/// The error for a trigger `event` that connector `kind` does not have. Bundles are
/// checked against the spec before they run, so this answers only a dispatch that lags
/// behind its spec (or a caller that skipped the check).
pub fn unknown_trigger(kind: &str, event: &str) -> ConnectorError {
    ConnectorError::Config(format!("connector `{kind}` has no trigger `{event}`"))
}

/// The error for an action that connector `kind` does not have (see [`unknown_trigger`]).
pub fn unknown_action(kind: &str, action: &str) -> ConnectorError {
    ConnectorError::Config(format!("connector `{kind}` has no action `{action}`"))
}
