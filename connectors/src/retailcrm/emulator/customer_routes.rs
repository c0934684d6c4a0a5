//! Customer endpoints of the retailCRM emulator: list with filters, get one, create, edit.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::config::ApiError;
use super::indexes::{digits, phone_needle};
use super::routes::{
    SharedState, addressing, admit, entity, fail, in_list, ok, paginate, paging, param, params,
};
use crate::emulation::decode_pairs;

/// `filter[name]`: a name substring, or (for phone-like text) a substring of a phone's
/// digits, so `+7 (916) 123-45-67`, `79161234567` and `9161234567` all find one another.
fn name_matches(customer: &Value, needle: &str) -> bool {
    if let Some(needle_digits) = phone_needle(needle) {
        return customer["phones"].as_array().is_some_and(|phones| {
            phones
                .iter()
                .any(|p| digits(p["number"].as_str().unwrap_or_default()).contains(&needle_digits))
        });
    }
    let name = ["firstName", "lastName", "patronymic"]
        .iter()
        .filter_map(|f| customer[*f].as_str())
        .collect::<Vec<_>>()
        .join(" ");
    name.to_lowercase().contains(&needle.to_lowercase())
}

pub(super) async fn list_customers(
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
    let (name, email) = (
        param(&query, "filter[name]"),
        param(&query, "filter[email]"),
    );
    let (ids, external_ids, sites) = (
        params(&query, "filter[ids][]"),
        params(&query, "filter[externalIds][]"),
        params(&query, "filter[sites][]"),
    );
    // A search by a whole phone looks only at the customers whose phones share its digits;
    // every other search reads them all. Either way, in creation order.
    let candidates: Vec<&Value> = match name
        .and_then(phone_needle)
        .as_deref()
        .and_then(|needle| state.phone_candidates(needle))
    {
        Some(positions) => positions.iter().map(|&p| &state.customers[p]).collect(),
        None => state.customers.iter().collect(),
    };
    let found: Vec<&Value> = candidates
        .into_iter()
        .filter(|c| name.is_none_or(|n| name_matches(c, n)))
        .filter(|c| {
            email.is_none_or(|e| {
                c["email"]
                    .as_str()
                    .is_some_and(|ce| ce.to_lowercase().contains(&e.to_lowercase()))
            })
        })
        .filter(|c| ids.is_empty() || in_list(&ids, &c["id"]))
        .filter(|c| external_ids.is_empty() || in_list(&external_ids, &c["externalId"]))
        .filter(|c| sites.is_empty() || in_list(&sites, &c["site"]))
        .collect();
    let (page, pagination) = paginate(found, paging);
    let customers: Vec<Value> = page.into_iter().cloned().collect();
    ok(
        200,
        json!({"success": true, "pagination": pagination, "customers": customers}),
    )
}

pub(super) async fn get_customer(
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
            .customer_index(&key, by, site.as_deref())
            .map(|i| state.customers[i].clone())
            .ok_or_else(ApiError::not_found)
    });
    match found {
        Ok(customer) => ok(200, json!({"success": true, "customer": customer})),
        Err(e) => fail(e),
    }
}

pub(super) async fn create_customer(
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
    let created = entity(&form, "customer").and_then(|customer| {
        let site = state.check_site(param(&form, "site"))?;
        state.create_customer(customer, site)
    });
    match created {
        Ok(id) => ok(201, json!({"success": true, "id": id})),
        Err(e) => fail(e),
    }
}

pub(super) async fn edit_customer(
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
    let edited = entity(&form, "customer").and_then(|changes| {
        let (by, site) = addressing(&state, &form)?;
        let index = state
            .customer_index(&key, by, site.as_deref())
            .ok_or_else(ApiError::not_found)?;
        state.edit_customer(index, changes)
    });
    match edited {
        Ok(id) => ok(200, json!({"success": true, "id": id})),
        Err(e) => fail(e),
    }
}
