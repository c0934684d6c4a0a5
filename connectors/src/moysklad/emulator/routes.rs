//! The emulator's HTTP surface: a gate that every request passes (log, gzip requirement,
//! Bearer auth, queued faults, request limits, gzip-encoded answers) and the router over
//! the endpoints (in `endpoints`).

use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::api_error::ApiError;
use super::endpoints::{
    create_counterparty, create_order, employee, get_counterparty, get_order, list_counterparties,
    list_orders, order_metadata, organizations, update_counterparty, update_order,
};
use super::limits::Refusal;
use super::{API_ROOT, RecordedRequest, Shared};
use crate::emulation::recording::header_pairs;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(self.body())).into_response()
    }
}

/// The router for one emulator.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/context/employee", get(employee))
        .route("/entity/organization", get(organizations))
        .route(
            "/entity/counterparty",
            get(list_counterparties).post(create_counterparty),
        )
        .route(
            "/entity/counterparty/{id}",
            get(get_counterparty).put(update_counterparty),
        )
        .route("/entity/customerorder", get(list_orders).post(create_order))
        .route("/entity/customerorder/metadata", get(order_metadata))
        .route(
            "/entity/customerorder/{id}",
            get(get_order).put(update_order),
        );
    Router::new()
        .nest(API_ROOT, api)
        .fallback(unknown_path)
        .layer(middleware::from_fn_with_state(shared.clone(), gate))
        .with_state(shared)
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',').any(|coding| {
                coding
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("gzip")
            })
        })
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

fn set_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_bytes(value.as_bytes()) {
        headers.insert(name, v);
    }
}

/// Re-encode an answer with gzip, as MoySklad does.
async fn gzipped(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if bytes.is_empty() {
        return Response::from_parts(parts, Body::empty());
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    set_header(&mut parts.headers, "content-encoding", "gzip");
    if parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
    {
        set_header(
            &mut parts.headers,
            "content-type",
            "application/json;charset=utf-8",
        );
    }
    Response::from_parts(parts, Body::from(gzip(&bytes)))
}

fn auth_failure() -> Response {
    let error = ApiError::new(
        401,
        1056,
        "Ошибка аутентификации: Неправильный пароль или имя пользователя или ключ авторизации"
            .into(),
    );
    let mut response = error.into_response();
    set_header(response.headers_mut(), "x-lognex-auth", "1056");
    set_header(
        response.headers_mut(),
        "x-lognex-auth-message",
        "Неправильный пароль или имя пользователя или ключ авторизации",
    );
    response
}

fn refusal(refusal: Refusal, limit: usize) -> Response {
    match refusal {
        Refusal::Rate { retry_after } => {
            let ms = retry_after.as_millis().max(1).to_string();
            let mut response = ApiError::new(
                429,
                1049,
                "Превышено ограничение на количество запросов в единицу времени".into(),
            )
            .into_response();
            let headers = response.headers_mut();
            set_header(headers, "x-ratelimit-limit", &limit.to_string());
            set_header(headers, "x-ratelimit-remaining", "0");
            set_header(headers, "x-lognex-retry-timeinterval", "3000");
            set_header(headers, "x-lognex-reset", &ms);
            set_header(headers, "x-lognex-retry-after", &ms);
            response
        }
        Refusal::Parallel => ApiError::new(
            429,
            1073,
            "Превышено ограничение на одновременное количество запросов".into(),
        )
        .into_response(),
    }
}

/// Decrements the in-flight count however the handler ends.
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.limits.lock().expect("limits lock").finished();
    }
}

async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let at = tokio::time::Instant::now();
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 20 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let mut record = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: header_pairs(&parts.headers),
        body: serde_json::from_slice(&bytes).ok(),
        status: 0,
        at,
    };
    let response = answer(&shared, parts, bytes, next).await;
    record.status = response.status().as_u16();
    shared.log.lock().expect("log lock").push(record);
    response
}

async fn answer(
    shared: &Arc<Shared>,
    parts: axum::http::request::Parts,
    bytes: Bytes,
    next: Next,
) -> Response {
    // MoySklad: "requests without this header ... are not processed; 415 without a body".
    if !accepts_gzip(&parts.headers) {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    let expected = format!("Bearer {}", shared.config.token);
    if parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
        != Some(expected.as_bytes())
    {
        return gzipped(auth_failure()).await;
    }
    let fault = shared.faults.lock().expect("faults lock").pop_front();
    if let Some(fault) = fault {
        let mut response = Response::new(Body::from(fault.body));
        *response.status_mut() =
            StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        set_header(
            response.headers_mut(),
            "content-type",
            "application/json;charset=utf-8",
        );
        for (name, value) in &fault.headers {
            if let (Ok(n), Ok(v)) = (
                axum::http::HeaderName::try_from(name.as_str()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().insert(n, v);
            }
        }
        return gzipped(response).await;
    }
    let limit = shared.config.rate_limit;
    let admitted = {
        let mut state = shared.limits.lock().expect("limits lock");
        let admitted = match &limit {
            Some(limit) => state.admit(limit, tokio::time::Instant::now()),
            None => Ok(()),
        };
        if admitted.is_ok() {
            state.started();
        }
        admitted
    };
    if let Err(refused) = admitted {
        return gzipped(refusal(
            refused,
            limit.map(|l| l.requests).unwrap_or_default(),
        ))
        .await;
    }
    let _in_flight = InFlight(shared.clone());
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let request = Request::from_parts(parts, Body::from(bytes));
    let mut response = gzipped(next.run(request).await).await;
    if let Some(limit) = &limit {
        let report = shared
            .limits
            .lock()
            .expect("limits lock")
            .report(limit, tokio::time::Instant::now());
        let headers = response.headers_mut();
        set_header(headers, "x-ratelimit-limit", &limit.requests.to_string());
        set_header(
            headers,
            "x-ratelimit-remaining",
            &report.remaining.to_string(),
        );
        set_header(
            headers,
            "x-lognex-retry-timeinterval",
            &limit.window.as_millis().to_string(),
        );
        set_header(
            headers,
            "x-lognex-reset",
            &report.reset.as_millis().to_string(),
        );
    }
    response
}

async fn unknown_path(method: Method, uri: axum::http::Uri) -> ApiError {
    let _ = method;
    ApiError::new(404, 1002, format!("Неопознанный путь: {}", uri.path()))
}
