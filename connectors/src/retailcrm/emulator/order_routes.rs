//! Order endpoints of the retailCRM emulator: list with filters, get one, create, edit.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::config::ApiError;
use super::routes::{
    SharedState, addressing, entity, in_list, listed, paging, param, params, read, write,
};

pub(super) async fn list_orders(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, query, |state, query| {
        let paging = paging(query)?;
        let (ids, external_ids, numbers, sites) = (
            params(query, "filter[ids][]"),
            params(query, "filter[externalIds][]"),
            params(query, "filter[numbers][]"),
            params(query, "filter[sites][]"),
        );
        let found: Vec<&Value> = state
            .orders
            .iter()
            .filter(|o| ids.is_empty() || in_list(&ids, &o["id"]))
            .filter(|o| external_ids.is_empty() || in_list(&external_ids, &o["externalId"]))
            .filter(|o| numbers.is_empty() || in_list(&numbers, &o["number"]))
            .filter(|o| sites.is_empty() || in_list(&sites, &o["site"]))
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
