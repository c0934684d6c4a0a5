//! The `ringostat` connector: calls and site forms from Ringostat call tracking.
//!
//! Ringostat's webhooks (*Integrations → Webhooks*) post an event's parameters to a URL,
//! as JSON or as form fields, under names the integrator picks from Ringostat's
//! variables. ferry receives them at `POST /hooks/<bundle id>`: the `call` trigger reads
//! the after-call webhooks (`call`), the `form` trigger the "form sent from the site"
//! webhook (`form`); both read UTM tags and the client id the same way (`variables`).
//!
//! - `spec` declares the setting, the form trigger's field-name settings and both
//!   triggers' item fields;
//! - [`sender`] builds realistic deliveries for tests and demos.

mod call;
mod form;
mod spec;
mod variables;

pub mod sender;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::connector::WebhookRequest;
use crate::error::ConnectorError;
use crate::inbound::decode_events;
use crate::push_source::{DeliveryContext, PushSourceKind, unknown_trigger};

pub use spec::SPEC;

/// The `ringostat` connector kind: a push-only source (nothing to call).
pub static KIND: PushSourceKind = PushSourceKind::new(&spec::SPEC, parse_delivery);

fn parse_delivery(
    request: WebhookRequest<'_>,
    context: DeliveryContext<'_>,
) -> Result<Vec<Value>, ConnectorError> {
    match request.event {
        spec::CALL => decode_events("ringostat", request.content_type, request.body)?
            .into_iter()
            .map(|event| call::call_item(event, context))
            .collect(),
        spec::FORM => {
            // Settings first: a misconfigured trigger is the bundle's fault, not the body's.
            let names = form::FieldNames::from_settings(request.settings)?;
            decode_events("ringostat", request.content_type, request.body)?
                .into_iter()
                .map(|event| form::form_item(event, &names, context))
                .collect()
        }
        other => Err(unknown_trigger("ringostat", other)),
    }
}
