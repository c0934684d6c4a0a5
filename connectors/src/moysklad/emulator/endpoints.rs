//! The MoySklad emulator's endpoints, one handler each: the employee, organizations,
//! counterparties and customer orders listed, read, created and updated, and the order
//! metadata. Every request reaches them through the gate in `routes`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde_json::Value;

use super::Shared;
use super::api_error::ApiError;
use super::listing::ListQuery;
use super::state::{Account, COUNTERPARTY_FIELDS, ORDER_FIELDS};

/// A handler's answer: the JSON body, or the API's error shape.
type Reply = Result<axum::Json<Value>, ApiError>;

fn json_body(bytes: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|_| {
        ApiError::new(
            400,
            2001,
            "Ошибка формата: входящий запрос не соответствует формату JSON".into(),
        )
    })
}

/// A collection the API lists and reads by id: how its `meta` names it, its rows, and the
/// fields its `filter` may name.
struct Collection {
    path: &'static str,
    kind: &'static str,
    rows: fn(&Account) -> &[Value],
    fields: &'static [&'static str],
}

const ORGANIZATIONS: Collection = Collection {
    path: "entity/organization",
    kind: "organization",
    rows: |account| &account.organizations,
    fields: &["id", "name"],
};

const COUNTERPARTIES: Collection = Collection {
    path: "entity/counterparty",
    kind: "counterparty",
    rows: |account| &account.counterparties,
    fields: COUNTERPARTY_FIELDS,
};

const ORDERS: Collection = Collection {
    path: "entity/customerorder",
    kind: "customerorder",
    rows: |account| &account.orders,
    fields: ORDER_FIELDS,
};

/// One filtered, sorted page of `collection`, as the query asks.
fn list(shared: &Shared, params: &HashMap<String, String>, collection: &Collection) -> Reply {
    let account = shared.account();
    let query = ListQuery::parse(params)?;
    let rows = (collection.rows)(&account);
    account
        .list(
            collection.path,
            collection.kind,
            rows,
            collection.fields,
            &query,
        )
        .map(axum::Json)
}

/// The record of `collection` with this id, or the API's not-found error.
fn get_one(shared: &Shared, id: &str, collection: &Collection) -> Reply {
    let account = shared.account();
    (collection.rows)(&account)
        .iter()
        .find(|row| row["id"] == id)
        .cloned()
        .map(axum::Json)
        .ok_or_else(|| ApiError::not_found(collection.kind, id))
}

pub(super) async fn employee(State(shared): State<Arc<Shared>>) -> Reply {
    Ok(axum::Json(shared.account().employee.clone()))
}

pub(super) async fn organizations(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Reply {
    list(&shared, &params, &ORGANIZATIONS)
}

pub(super) async fn list_counterparties(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Reply {
    list(&shared, &params, &COUNTERPARTIES)
}

pub(super) async fn create_counterparty(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = json_body(&body)?;
    shared.account().create_counterparty(&body).map(axum::Json)
}

pub(super) async fn get_counterparty(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Reply {
    get_one(&shared, &id, &COUNTERPARTIES)
}

pub(super) async fn update_counterparty(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    let body = json_body(&body)?;
    shared
        .account()
        .update_counterparty(&id, &body)
        .map(axum::Json)
}

pub(super) async fn list_orders(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Reply {
    list(&shared, &params, &ORDERS)
}

pub(super) async fn create_order(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = json_body(&body)?;
    shared.account().create_order(&body).map(axum::Json)
}

pub(super) async fn order_metadata(State(shared): State<Arc<Shared>>) -> Reply {
    Ok(axum::Json(shared.account().order_metadata()))
}

pub(super) async fn get_order(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    get_one(&shared, &id, &ORDERS)
}

pub(super) async fn update_order(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    let body = json_body(&body)?;
    shared.account().update_order(&id, &body).map(axum::Json)
}
