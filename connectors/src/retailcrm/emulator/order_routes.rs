//! Order endpoints of the retailCRM emulator: list with filters, get one, create, edit.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::config::ApiError;
use super::routes::{
    SharedState, addressing, admit, entity, fail, in_list, ok, paginate, paging, param, params,
};
use crate::emulation::decode_pairs;

pub(super) async fn list_orders(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = decode_pairs(&query.unwrap_or_default());
    let state = match admit(&shared, &headers, &query) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    let paging = match paging(&query) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let (ids, external_ids, numbers, sites) = (
        params(&query, "filter[ids][]"),
        params(&query, "filter[externalIds][]"),
        params(&query, "filter[numbers][]"),
        params(&query, "filter[sites][]"),
    );
    let found: Vec<&Value> = state
        .orders
        .iter()
        .filter(|o| ids.is_empty() || in_list(&ids, &o["id"]))
        .filter(|o| external_ids.is_empty() || in_list(&external_ids, &o["externalId"]))
        .filter(|o| numbers.is_empty() || in_list(&numbers, &o["number"]))
        .filter(|o| sites.is_empty() || in_list(&sites, &o["site"]))
        .collect();
    let (page, pagination) = paginate(found, paging);
    let orders: Vec<Value> = page.into_iter().cloned().collect();
    ok(
        200,
        json!({"success": true, "pagination": pagination, "orders": orders}),
    )
}

pub(super) async fn get_order(
    State(shared): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = decode_pairs(&query.unwrap_or_default());
    let state = match admit(&shared, &headers, &query) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    let found = addressing(&state, &query).and_then(|(by, site)| {
        state
            .order_index(&key, by, site.as_deref())
            .map(|i| state.orders[i].clone())
            .ok_or_else(ApiError::not_found)
    });
    match found {
        Ok(order) => ok(200, json!({"success": true, "order": order})),
        Err(e) => fail(e),
    }
}

pub(super) async fn create_order(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query = decode_pairs(&query.unwrap_or_default());
    let form = decode_pairs(&String::from_utf8_lossy(&body));
    let mut state = match admit(&shared, &headers, &query) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    let created = entity(&form, "order").and_then(|order| {
        let site = state.check_site(param(&form, "site"))?;
        state.create_order(order, site)
    });
    match created {
        Ok(order) => ok(
            201,
            json!({"success": true, "id": order["id"], "order": order}),
        ),
        Err(e) => fail(e),
    }
}

pub(super) async fn edit_order(
    State(shared): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query = decode_pairs(&query.unwrap_or_default());
    let form = decode_pairs(&String::from_utf8_lossy(&body));
    let mut state = match admit(&shared, &headers, &query) {
        Ok(state) => state,
        Err(response) => return *response,
    };
    let edited = entity(&form, "order").and_then(|changes| {
        let (by, site) = addressing(&state, &form)?;
        let index = state
            .order_index(&key, by, site.as_deref())
            .ok_or_else(ApiError::not_found)?;
        state.edit_order(index, changes, "api")
    });
    match edited {
        Ok(order) => ok(
            200,
            json!({"success": true, "id": order["id"], "order": order}),
        ),
        Err(e) => fail(e),
    }
}
