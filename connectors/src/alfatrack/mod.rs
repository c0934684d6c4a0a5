//! The `alfatrack` connector: leads tracked by Alfa-Track.
//!
//! Alfa-Track reports a lead as soon as it sees one and sends what it learns about the
//! lead's ad source later, within about three hours. ferry receives both at
//! `POST /hooks/<bundle id>`: the `request` trigger turns a new lead into an item, the
//! `enrichment` trigger turns a later update into an item whose `request_id` links it to
//! the lead (`payload`). A bundle on `enrichment` updates what a `request` bundle
//! created (S3.2) or searches for it by e-mail for up to 3 hours (S3.3).
//!
//! - `spec` declares the setting and both triggers' item fields;
//! - [`sender`] builds realistic deliveries for tests and demos.

mod payload;
mod spec;

pub mod sender;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::connector::WebhookRequest;
use crate::error::ConnectorError;
use crate::inbound::decode_events;
use crate::push_source::{DeliveryContext, PushSourceKind, unknown_trigger};

pub use spec::SPEC;

/// The `alfatrack` connector kind: a push-only source (nothing to call).
pub static KIND: PushSourceKind = PushSourceKind::new(&spec::SPEC, parse_delivery);

fn parse_delivery(
    request: WebhookRequest<'_>,
    context: DeliveryContext<'_>,
) -> Result<Vec<Value>, ConnectorError> {
    let to_item = match request.event {
        spec::REQUEST => payload::request_item,
        spec::ENRICHMENT => payload::enrichment_item,
        other => return Err(unknown_trigger("alfatrack", other)),
    };
    decode_events("alfatrack", request.content_type, request.body)?
        .into_iter()
        .map(|event| to_item(event, context))
        .collect()
}
