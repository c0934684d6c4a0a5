//! Customer endpoints of the retailCRM emulator: list with filters, get one, create, edit.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};

use super::config::ApiError;
use super::indexes::{digits, phone_needle};
use super::routes::{
    SharedState, addressing, entity, in_lists, listed, paging, param, read, write,
};

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

/// The list filters of `GET /customers` and the fields they match.
const CUSTOMER_LISTS: &[(&str, &str)] = &[
    ("filter[ids][]", "id"),
    ("filter[externalIds][]", "externalId"),
    ("filter[sites][]", "site"),
];

pub(super) async fn list_customers(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, query, |state, query| {
        let paging = paging(query)?;
        let (name, email) = (param(query, "filter[name]"), param(query, "filter[email]"));
        // A search by a whole phone looks only at the customers whose phones share its
        // digits; every other search reads them all. Either way, in creation order.
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
            .filter(|c| in_lists(query, c, CUSTOMER_LISTS))
            .collect();
        Ok(listed(found, paging, "customers"))
    })
}

pub(super) async fn get_customer(
    State(shared): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    read(&shared, &headers, query, |state, query| {
        let (by, site) = addressing(state, query)?;
        let customer = state
            .customer_index(&key, by, site.as_deref())
            .map(|i| state.customers[i].clone())
            .ok_or_else(ApiError::not_found)?;
        Ok(json!({"success": true, "customer": customer}))
    })
}

pub(super) async fn create_customer(
    State(shared): State<SharedState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(&shared, &headers, query, &body, 201, |state, form| {
        let customer = entity(form, "customer")?;
        let site = state.check_site(param(form, "site"))?;
        let id = state.create_customer(customer, site)?;
        Ok(json!({"success": true, "id": id}))
    })
}

pub(super) async fn edit_customer(
    State(shared): State<SharedState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    write(&shared, &headers, query, &body, 200, |state, form| {
        let changes = entity(form, "customer")?;
        let (by, site) = addressing(state, form)?;
        let index = state
            .customer_index(&key, by, site.as_deref())
            .ok_or_else(ApiError::not_found)?;
        let id = state.edit_customer(index, changes)?;
        Ok(json!({"success": true, "id": id}))
    })
}
