//! Webhook-delivered triggers: `ferry run` serves `POST /hooks/<bundle id>` for every
//! enabled bundle whose trigger event is pushed by the source.
//!
//! - [`auth`] checks the bundle's token and/or HMAC-SHA256 body signature in constant time.
//! - [`intake`] has the connector read the body, keys the items with the trigger's key
//!   template and stores them as one run before anything is acknowledged.
//! - [`server`] is the axum router: size cap, one identical 404 for anything that is not
//!   an authenticated delivery to a receiving bundle, content types, status codes, and
//!   graceful shutdown with the engine.

pub mod auth;
pub mod intake;
pub mod server;

pub use auth::{WebhookKeyError, WebhookKeys};
pub use intake::{Accepted, Delivery, IntakeError, IntakeParts, WebhookIntake};
pub use server::{DEFAULT_BODY_LIMIT, DEFAULT_LISTEN, ServerConfig, WebhookServer, router};

#[cfg(test)]
mod tests;
