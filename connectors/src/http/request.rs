//! The `request` action: one JSON request built from the step's inputs, and output fields
//! picked from the JSON answer by the dotted paths the bundle declared under `outputs`.
//! The body is sent as the JSON value the engine built, never as pasted text, so a value
//! with quotes or braces cannot change its structure.

use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value};

use super::client::{HttpClient, OutboundRequest, header_map, object, query_pairs};
use super::json_path::JsonPath;
use super::spec::OUTPUTS_INPUT;
use crate::connector::{ActionCall, Record};
use crate::error::ConnectorError;

/// The header carrying the step's idempotency key (`Idempotency-Key`; header names are
/// case-insensitive and the HTTP stack keeps them in lower case).
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Where the request goes.
enum Target {
    Path(String),
    Url(String),
}

/// The action's inputs, checked.
struct RequestInputs {
    method: Method,
    target: Target,
    query: Vec<(String, String)>,
    headers: reqwest::header::HeaderMap,
    body: Option<Value>,
    outputs: Vec<(String, JsonPath)>,
    expect_status: Option<Vec<u16>>,
}

fn config(message: impl Into<String>) -> ConnectorError {
    ConnectorError::Config(format!("action `request`: {}", message.into()))
}

impl RequestInputs {
    fn parse(input: &Map<String, Value>) -> Result<RequestInputs, ConnectorError> {
        let method = match input.get("method") {
            None | Some(Value::Null) => Method::POST,
            Some(Value::String(m)) => match m.trim().to_ascii_uppercase().as_str() {
                "GET" => Method::GET,
                "POST" => Method::POST,
                "PUT" => Method::PUT,
                "PATCH" => Method::PATCH,
                "DELETE" => Method::DELETE,
                other => {
                    return Err(config(format!(
                        "`method` `{other}` is not GET, POST, PUT, PATCH or DELETE"
                    )));
                }
            },
            Some(other) => return Err(config(format!("`method` must be text, got {other}"))),
        };
        let text = |name: &str| -> Result<Option<String>, ConnectorError> {
            match input.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(other) => Err(config(format!("`{name}` must be text, got {other}"))),
            }
        };
        let target = match (text("path")?, text("url")?) {
            (Some(_), Some(_)) => return Err(config("give either `path` or `url`, not both")),
            (Some(path), None) => Target::Path(path),
            (None, Some(url)) => Target::Url(url),
            (None, None) => return Err(config("`path` or `url` is required")),
        };
        let body = input.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some() && method == Method::GET {
            return Err(config("a GET request cannot carry `body`"));
        }
        let mut outputs = Vec::new();
        for (name, path) in object(input.get(OUTPUTS_INPUT), "outputs")?
            .into_iter()
            .flatten()
        {
            let Value::String(path) = path else {
                return Err(config(format!(
                    "`outputs.{name}` must be a dotted path such as `data.id`"
                )));
            };
            let path =
                JsonPath::parse(path).map_err(|e| config(format!("`outputs.{name}`: {e}")))?;
            outputs.push((name.clone(), path));
        }
        let expect_status = match input.get("expect_status") {
            None | Some(Value::Null) => None,
            Some(Value::Array(list)) if !list.is_empty() => Some(
                list.iter()
                    .map(status_code)
                    .collect::<Option<Vec<u16>>>()
                    .ok_or_else(|| config("`expect_status` must list HTTP statuses (100..599)"))?,
            ),
            Some(single) => Some(vec![status_code(single).ok_or_else(|| {
                config("`expect_status` must list HTTP statuses (100..599)")
            })?]),
        };
        Ok(RequestInputs {
            method,
            target,
            query: query_pairs(input.get("query"), "query").map_err(prefix)?,
            headers: header_map(input.get("headers"), "headers").map_err(prefix)?,
            body,
            outputs,
            expect_status,
        })
    }
}

fn prefix(error: ConnectorError) -> ConnectorError {
    match error {
        ConnectorError::Config(message) => config(message),
        other => other,
    }
}

fn status_code(value: &Value) -> Option<u16> {
    let code = match value {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    u16::try_from(code).ok().filter(|c| (100..=599).contains(c))
}

/// Run the `request` action.
pub async fn execute(client: &HttpClient, call: &ActionCall<'_>) -> Result<Record, ConnectorError> {
    let inputs = RequestInputs::parse(call.input)?;
    let url = match &inputs.target {
        Target::Path(path) => client.url_for_path(path)?,
        Target::Url(url) => client.resolve(url, &client.url_for_path("")?)?,
    };
    let mut headers = inputs.headers;
    let key = HeaderValue::from_str(call.idempotency_key)
        .map_err(|_| config("the idempotency key cannot be sent as a header"))?;
    headers.insert(HeaderName::from_static(IDEMPOTENCY_HEADER), key);
    let response = client
        .send(OutboundRequest {
            method: inputs.method,
            url,
            query: &inputs.query,
            headers,
            body: inputs.body.as_ref(),
        })
        .await?;
    let accepted = match &inputs.expect_status {
        Some(list) => list.contains(&response.status),
        None => response.is_success(),
    };
    if !accepted {
        if !response.is_success() {
            return Err(response.to_error());
        }
        // A 2xx the bundle did not expect (say, 200 "already exists" where 201 was
        // required) is not retried: sending again would not change the answer.
        return Err(ConnectorError::Rejected {
            status: response.status,
            body: format!(
                "status is not one of expect_status {:?}: {}",
                inputs.expect_status.unwrap_or_default(),
                response.body_excerpt()
            ),
        });
    }
    if inputs.outputs.is_empty() {
        return Ok(Record::new());
    }
    // An unreadable 2xx answer is an InvalidResponse like anywhere else; the engine treats
    // it as uncertain (the request may have taken effect) rather than re-sending it.
    let body: Value = response.json()?;
    let mut record = Record::new();
    // A readable answer without a declared output is a mismatch between the bundle and the
    // API: retrying cannot fix it, and the request has taken effect.
    for (name, path) in &inputs.outputs {
        let value = path.lookup(&body).ok_or_else(|| ConnectorError::Rejected {
            status: response.status,
            body: format!(
                "the request succeeded but output `{name}` (path `{}`) is not in its answer, so it is not sent again: {}",
                path.as_str(),
                response.body_excerpt()
            ),
        })?;
        record.insert(name.clone(), value.clone());
    }
    Ok(record)
}
