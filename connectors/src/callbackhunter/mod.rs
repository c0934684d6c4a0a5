//! The `callbackhunter` connector: requests from the CallbackHunter callback widget.
//!
//! CallbackHunter pushes each finished call or chat to a URL; ferry receives it at
//! `POST /hooks/<bundle id>` and this connector turns the body into one `request` item
//! (`payload`). Its public pull API (`/api/get_calls_by_param`) covers calls only and
//! needs a key issued by the vendor for one server IP, so ferry does not poll it.
//!
//! - `spec` declares the setting and the trigger's item fields;
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

/// The `callbackhunter` connector kind: a push-only source (nothing to call).
pub static KIND: PushSourceKind = PushSourceKind::new(&spec::SPEC, parse_delivery);

fn parse_delivery(
    request: WebhookRequest<'_>,
    context: DeliveryContext<'_>,
) -> Result<Vec<Value>, ConnectorError> {
    if request.event != spec::REQUEST {
        return Err(unknown_trigger("callbackhunter", request.event));
    }
    decode_events("callbackhunter", request.content_type, request.body)?
        .into_iter()
        .map(|event| payload::request_item(event, context))
        .collect()
}
