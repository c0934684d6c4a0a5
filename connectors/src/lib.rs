//! # ferry connectors
//!
//! Everything ferry knows about the outside systems it talks to, and nothing about bundles,
//! scheduling or storage (the engine owns those; this crate never depends on it).
//!
//! ## Layout
//! - [`connector`]: the [`Connector`] trait every system implements, and the request and
//!   response types the engine exchanges with it (poll pages, action calls, lookups).
//! - [`spec`]: static descriptions of a connector's settings, triggers and actions with their
//!   input and output fields; the engine validates bundles against them.
//! - [`error`]: [`ConnectorError`], which classifies itself as retry-now, retry-after or never.
//! - [`secret`]: [`SecretString`] and the [`Redactor`] that scrubs secrets from any text.
//! - [`transport`]: the one outbound HTTP client: timeouts, response-size cap, status
//!   classification, `Retry-After`, per-account rate limits.
//! - [`action_inputs`]: reading an action call's mapped inputs with errors that name the
//!   connector, action and input; each connector extends it with its own shapes.
//! - [`inbound`]: reading webhook bodies (JSON or form-encoded) for the pushed sources.
//! - [`oauth`]: OAuth2 bearer tokens refreshed once on 401 (single-flight), kept in the
//!   engine's [`oauth::TokenVault`]; used by every connector that authenticates this way.
//! - [`utc_offset`]: account time zones given as UTC offsets (the `utc_offset` setting).
//! - [`registry`]: one line per connector kind.
//! - one directory per system (`http`, `calltouch`, `retailcrm`, `moysklad`, ...), each with its
//!   settings, client, triggers, actions and an `emulator` that speaks the real wire format
//!   on 127.0.0.1 for tests, examples and the demo.

pub mod action_inputs;
#[cfg(test)]
pub(crate) mod conformance;
pub mod connector;
pub mod emulation;
pub mod error;
pub mod inbound;
pub mod oauth;
pub mod push_source;
pub mod registry;
pub mod secret;
pub mod spec;
#[cfg(test)]
pub(crate) mod test_kit;
pub mod transport;
pub mod utc_offset;

pub mod alfatrack;
pub mod amocrm;
pub mod bitrix24;
pub mod callbackhunter;
pub mod calltouch;
pub mod http;
pub mod moysklad;
pub mod retailcrm;
pub mod ringostat;
pub mod salesforce;
pub mod unitalk;

pub use connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, PollPage, PollRequest,
    Record, Settings, WebhookRequest,
};
pub use error::{ConnectorError, RetryAdvice};
pub use secret::{LiveSecrets, Redactor, SecretString};
pub use spec::{
    ActionSpec, ConnectorSpec, DedupSpec, Delivery, FieldSpec, SettingSpec, TriggerSpec,
};
