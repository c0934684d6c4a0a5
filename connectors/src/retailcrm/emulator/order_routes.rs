//! Order endpoints of the retailCRM emulator: list with filters, get one, create, edit.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::config::ApiError;
use super::routes::{
    SharedState, addressing, entity, in_lists, listed, paging, param, read, write,
};

/// The list filters of `GET /orders` and the fields they match.
const ORDER_LISTS: &[(&str, &str)] = &[
    ("filter[ids][]", "id"),
    ("filter[externalIds][]", "externalId"),
    ("filter[numbers][]", "number"),
    ("filter[sites][]", "site"),
];

pub(super) async fn list_orders(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, query, |state, query| {
        let paging = paging(query)?;
        let found: Vec<&Value> = state
            .orders
            .iter()
            .filter(|o| in_lists(query, o, ORDER_LISTS))
            .collect();
        Ok(listed(found, paging, "orders"))
    })
}

pub(super) async fn get_order(
    State(shared): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, query, |state, query| {
        let (by, site) = addressing(state, query)?;
        let order = state
            .order_index(&key, by, site.as_deref())
            .map(|i| state.orders[i].clone())
            .ok_or_else(ApiError::not_found)?;
        Ok(json!({"success": true, "order": order}))
    })
}

pub(super) async fn create_order(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(&shared, &headers, query, &body, 201, |state, form| {
        let order = entity(form, "order")?;
        let site = state.check_site(param(form, "site"))?;
        let order = state.create_order(order, site)?;
        Ok(json!({"success": true, "id": order["id"], "order": order}))
    })
}

pub(super) async fn edit_order(
    State(shared): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(&shared, &headers, query, &body, 200, |state, form| {
        let changes = entity(form, "order")?;
        let (by, site) = addressing(state, form)?;
        let index = state
            .order_index(&key, by, site.as_deref())
            .ok_or_else(ApiError::not_found)?;
        let order = state.edit_order(index, changes, "api")?;
        Ok(json!({"success": true, "id": order["id"], "order": order}))
    })
}
