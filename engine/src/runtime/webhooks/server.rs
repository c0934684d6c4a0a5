//! The HTTP side: `POST /hooks/<bundle id>` on the `--listen` address.
//!
//! A request goes through, in order: the size cap (413, checked before the bundle is
//! looked at, so it is the same for every path), authentication (unknown bundle, disabled
//! bundle, wrong or missing token or signature: one identical 404, so probing learns
//! nothing), the content type (415), the connector's reading of the body (400, nothing
//! stored), and the store (503 when it fails, so the source retries). Only a delivery whose
//! items are committed gets its 200.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use serde_json::json;
use tokio::net::TcpListener;

use super::auth::SignedRequest;
use super::intake::{Delivery, IntakeError, WebhookIntake};

/// Where the server listens when bundles receive webhooks and `--listen` is not given.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// The default cap on a delivery's body.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Media types accepted when a connector declares none.
pub const DEFAULT_CONTENT_TYPES: &[&str] =
    &["application/json", "application/x-www-form-urlencoded"];

/// Seconds a source is asked to wait before retrying after a store failure.
const RETRY_AFTER_SECONDS: &str = "30";

/// Server settings.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    /// Where to listen (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Bodies longer than this are refused with 413.
    pub body_limit: usize,
}

/// A bound webhook server, not yet serving.
pub struct WebhookServer {
    listener: TcpListener,
    intake: WebhookIntake,
    body_limit: usize,
}

impl WebhookServer {
    /// Bind the listening socket (so a taken port is reported before the engine starts).
    pub async fn bind(
        intake: WebhookIntake,
        config: ServerConfig,
    ) -> std::io::Result<WebhookServer> {
        let listener = TcpListener::bind(config.listen).await?;
        Ok(WebhookServer {
            listener,
            intake,
            body_limit: config.body_limit,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until the engine stops; requests in progress finish (their deliveries are
    /// stored and answered) before this returns.
    pub async fn run(self) -> std::io::Result<()> {
        let intake = self.intake.clone();
        let app = router(self.intake, self.body_limit);
        axum::serve(self.listener, app)
            .with_graceful_shutdown(async move { intake.stopped().await })
            .await
    }
}

#[derive(Clone)]
struct App {
    intake: WebhookIntake,
    body_limit: usize,
}

/// The routes: `POST /hooks/{bundle id}`; everything else is the same 404.
pub fn router(intake: WebhookIntake, body_limit: usize) -> Router {
    Router::new()
        .route("/hooks/{bundle}", post(deliver))
        .fallback(|| async { not_found() })
        .with_state(App { intake, body_limit })
}

async fn deliver(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    let body = match read_capped(&headers, body, app.body_limit).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let bundle_id = uri.path().strip_prefix("/hooks/").unwrap_or_default();
    let signed = SignedRequest {
        headers: &headers,
        query: uri.query(),
        body: &body,
    };
    let Some(bundle) = app
        .intake
        .receiver(bundle_id)
        .filter(|b| b.webhook.as_ref().is_some_and(|keys| keys.verify(signed)))
    else {
        // Never log the query: it may carry the token.
        tracing::debug!("webhook request refused (unknown bundle or bad credentials)");
        return not_found();
    };
    let Some(content_type) = accepted_content_type(&headers) else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!(
                "send the body as one of: {}",
                DEFAULT_CONTENT_TYPES.join(", ")
            ),
        );
    };
    let delivery = Delivery {
        content_type: &content_type,
        body: &body,
    };
    match app.intake.accept(bundle, delivery).await {
        Ok(accepted) => {
            tracing::info!(bundle = %bundle.bundle.id, run = accepted.run_id, new = accepted.accepted, duplicates = accepted.duplicates, "webhook delivery stored");
            (StatusCode::OK, axum::Json(accepted)).into_response()
        }
        Err(IntakeError::Rejected(reason)) => {
            tracing::warn!(bundle = %bundle.bundle.id, %reason, "webhook delivery rejected; nothing stored");
            error(StatusCode::BAD_REQUEST, &format!("rejected: {reason}"))
        }
        Err(e @ IntakeError::Connector(_)) => {
            tracing::error!(bundle = %bundle.bundle.id, error = %e, "webhook delivery not read; nothing stored");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the delivery could not be read; nothing was stored",
            )
        }
        Err(IntakeError::Store(e)) => {
            let reason = bundle.redactor.redact(&e.to_string());
            tracing::error!(bundle = %bundle.bundle.id, error = %reason, "webhook delivery not stored; the source will retry");
            let mut response = error(StatusCode::SERVICE_UNAVAILABLE, "not stored; retry later");
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
            response
        }
    }
}

/// The body, or 413 as soon as it is known to be over `limit` (from `Content-Length`
/// before reading, else while reading: nothing past the limit is read).
async fn read_capped(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {limit} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let mut stream = body.into_data_stream();
    let mut buffer = Vec::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| error(StatusCode::BAD_REQUEST, "the body could not be read"))?;
        if buffer.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer)
}

/// The request's media type, lower-cased without parameters, if it is one accepted.
fn accepted_content_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next()?.trim().to_ascii_lowercase();
    DEFAULT_CONTENT_TYPES
        .contains(&media.as_str())
        .then_some(media)
}

/// The one answer for unknown bundles, disabled bundles and failed authentication.
fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not found")
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}
