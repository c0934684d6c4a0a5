//! What every connector's tests do the same way against its emulator: connection settings
//! from JSON, a connector built on a transport whose rate limit never makes a test wait,
//! actions and lookups run with JSON input, webhook deliveries parsed by the pushed
//! sources, and vendor answers built for the connectors' error mappings. Each connector's
//! `tests/mod.rs` keeps only what is its own (the setting names, the emulator, the canary
//! secret).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use reqwest::header::HeaderMap;
use serde_json::{Map, Value};

use crate::conformance::object;
use crate::connector::{
    ActionCall, BuildContext, Connector, ConnectorKind, FindCall, Found, Record, Settings,
    WebhookRequest,
};
use crate::error::ConnectorError;
use crate::secret::{Redactor, SecretString};
use crate::transport::{HttpResponse, HttpTransport, RateLimit, TransportConfig};

/// The idempotency key every action run by [`execute`] carries.
pub(crate) const IDEMPOTENCY_KEY: &str = "key-1";

/// `http` with a per-account limit (1000 a second) high enough that tests never wait; the
/// connectors' default limits are exercised by the transport's own tests and by the
/// connectors' limit tests.
pub(crate) fn unthrottled(http: &HttpTransport) -> HttpTransport {
    http.with_rate_limit_override(Some(RateLimit::per(1000, Duration::from_secs(1))))
}

/// Connection settings: the plain values of the JSON object `values` and one secret.
///
/// # Panics
/// When `values` is not a JSON object.
pub(crate) fn settings(values: Value, secret_name: &str, secret: &str) -> Settings {
    let secrets = BTreeMap::from([(secret_name.to_string(), SecretString::new(secret))]);
    Settings::new(object(values), secrets)
}

/// A connector of `kind` for the connection `connection_name`, sending through `http`
/// (tokens kept in memory only).
pub(crate) fn build(
    kind: &dyn ConnectorKind,
    settings: Settings,
    http: &HttpTransport,
    connection_name: &str,
) -> Result<Arc<dyn Connector>, ConnectorError> {
    kind.build(settings, &BuildContext::new(http.clone(), connection_name))
}

/// Run `action` with the JSON object `input` and [`IDEMPOTENCY_KEY`].
///
/// # Panics
/// When `input` is not a JSON object.
pub(crate) async fn execute(
    connector: &dyn Connector,
    action: &str,
    input: Value,
) -> Result<Record, ConnectorError> {
    let input = object(input);
    connector
        .execute(ActionCall {
            action,
            input: &input,
            idempotency_key: IDEMPOTENCY_KEY,
        })
        .await
}

/// Look up the record of `action` whose `key` is `value` (no further input).
pub(crate) async fn find(
    connector: &dyn Connector,
    action: &str,
    key: &str,
    value: Value,
) -> Result<Option<Found>, ConnectorError> {
    let input = Map::new();
    connector
        .find(FindCall {
            action,
            key,
            value: &value,
            input: &input,
        })
        .await
}

/// A read answer with `status`, `headers` and `body`, as the transport hands it to a
/// connector's error mapping (no secrets to scrub, excerpts up to 2,000 characters).
///
/// # Panics
/// When a header value is not a valid header value.
pub(crate) fn http_response(
    status: u16,
    headers: &[(&'static str, &str)],
    body: &str,
) -> HttpResponse {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().expect("header value"));
    }
    HttpResponse::new(
        status,
        map,
        Bytes::from(body.to_string()),
        Redactor::default(),
        2000,
    )
}

/// A connector of `kind` with the plain connection settings `values` and no secrets, on a
/// transport with default limits: how the pushed sources, which send nothing, are built.
///
/// # Panics
/// When `values` is not a JSON object or the connector refuses the settings.
pub(crate) fn connection(kind: &dyn ConnectorKind, values: Value) -> Arc<dyn Connector> {
    let http = HttpTransport::new(TransportConfig::default()).expect("transport builds");
    let settings = Settings::new(object(values), BTreeMap::new());
    build(kind, settings, &http, kind.spec().kind).expect("connector builds")
}

/// One webhook delivery to a pushed source, as the engine hands it over.
pub(crate) struct Delivery<'a> {
    /// The trigger's event name.
    pub event: &'a str,
    /// Trigger-level settings (a JSON object).
    pub trigger_settings: Value,
    /// The request's `Content-Type`.
    pub content_type: &'a str,
    /// The raw body.
    pub body: &'a [u8],
}

/// The items `connector` makes of `delivery`, received at 2024-05-14 07:40 UTC.
pub(crate) async fn parse_delivery(
    connector: &dyn Connector,
    delivery: Delivery<'_>,
) -> Result<Vec<Value>, ConnectorError> {
    let settings = object(delivery.trigger_settings);
    connector
        .parse_webhook(WebhookRequest {
            event: delivery.event,
            settings: &settings,
            content_type: delivery.content_type,
            body: delivery.body,
            received_at: Utc.with_ymd_and_hms(2024, 5, 14, 7, 40, 0).unwrap(),
        })
        .await
}
