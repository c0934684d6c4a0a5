//! Customer order metadata (`GET /entity/customerorder/metadata`): the account's order
//! states and custom attributes. Bundles name states and attributes (`Новый`, `utm_source`);
//! the API wants their meta hrefs, so names are resolved here. The metadata is cached per
//! connector and fetched again once when a name or href is not in the cached copy (an
//! attribute added in MoySklad after the connector was built is then still found).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use super::client::MoySkladClient;
use crate::error::ConnectorError;

const METADATA_PATH: &str = "/entity/customerorder/metadata";

/// One order state.
#[derive(Debug, Clone, Deserialize)]
pub struct StateMeta {
    /// State name as shown in MoySklad.
    pub name: String,
    /// Its meta (href, type, mediaType).
    pub meta: Value,
}

/// One custom attribute of customer orders.
#[derive(Debug, Clone, Deserialize)]
pub struct AttributeMeta {
    /// Attribute name.
    pub name: String,
    /// Value type (`string`, `text`, `long`, `double`, `boolean`, `time`, `link`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its meta (href, type `attributemetadata`, mediaType).
    pub meta: Value,
}

/// States and attributes of customer orders.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrderMetadata {
    /// Order states.
    #[serde(default)]
    pub states: Vec<StateMeta>,
    /// Custom attributes.
    #[serde(default)]
    pub attributes: Vec<AttributeMeta>,
}

fn href_of(meta: &Value) -> &str {
    meta.get("href").and_then(Value::as_str).unwrap_or_default()
}

impl OrderMetadata {
    /// The state with this name (exact first, then ignoring case).
    pub fn state_named(&self, name: &str) -> Option<&StateMeta> {
        let name = name.trim();
        self.states.iter().find(|s| s.name == name).or_else(|| {
            self.states
                .iter()
                .find(|s| s.name.to_lowercase() == name.to_lowercase())
        })
    }

    /// The state whose meta href is `href`.
    pub fn state_at(&self, href: &str) -> Option<&StateMeta> {
        self.states.iter().find(|s| href_of(&s.meta) == href)
    }

    /// The attribute with this name (exact first, then ignoring case).
    pub fn attribute_named(&self, name: &str) -> Option<&AttributeMeta> {
        let name = name.trim();
        self.attributes.iter().find(|a| a.name == name).or_else(|| {
            self.attributes
                .iter()
                .find(|a| a.name.to_lowercase() == name.to_lowercase())
        })
    }
}

/// A rejection decided before sending: no HTTP exchange happened, hence status 0.
pub fn rejected_locally(body: String) -> ConnectorError {
    ConnectorError::Rejected { status: 0, body }
}

/// The per-connector metadata cache.
#[derive(Default)]
pub struct MetadataCache {
    cached: Mutex<Option<Arc<OrderMetadata>>>,
}

impl MetadataCache {
    /// The cached metadata, fetching it when absent or when `refresh` is set.
    pub async fn get(
        &self,
        client: &MoySkladClient,
        refresh: bool,
    ) -> Result<Arc<OrderMetadata>, ConnectorError> {
        // The lock is held across the fetch so concurrent steps wait for one request
        // instead of each sending their own.
        let mut cached = self.cached.lock().await;
        if let Some(meta) = cached.as_ref().filter(|_| !refresh) {
            return Ok(meta.clone());
        }
        let value = client.get(METADATA_PATH, &[]).await?;
        let meta: OrderMetadata = serde_json::from_value(value).map_err(|e| {
            ConnectorError::InvalidResponse(format!(
                "customer order metadata has an unexpected shape: {e}"
            ))
        })?;
        let meta = Arc::new(meta);
        *cached = Some(meta.clone());
        Ok(meta)
    }

    /// Look something up in the metadata, fetching it again once on a miss.
    async fn lookup<T>(
        &self,
        client: &MoySkladClient,
        find: impl Fn(&OrderMetadata) -> Option<T>,
    ) -> Result<(Option<T>, Arc<OrderMetadata>), ConnectorError> {
        let meta = self.get(client, false).await?;
        if let Some(found) = find(&meta) {
            return Ok((Some(found), meta));
        }
        let meta = self.get(client, true).await?;
        Ok((find(&meta), meta))
    }

    /// `{"meta": <state meta>}` for a state name; an unknown name is rejected, naming it
    /// and the states that exist.
    pub async fn state_ref(
        &self,
        client: &MoySkladClient,
        name: &str,
    ) -> Result<Value, ConnectorError> {
        let (found, meta) = self
            .lookup(client, |m| m.state_named(name).map(|s| s.meta.clone()))
            .await?;
        match found {
            Some(state_meta) => Ok(json!({ "meta": state_meta })),
            None => {
                let known: Vec<&str> = meta.states.iter().map(|s| s.name.as_str()).collect();
                Err(rejected_locally(format!(
                    "MoySklad has no customer order state named `{name}` (states: {}); nothing was sent",
                    known.join(", ")
                )))
            }
        }
    }

    /// The name of the state at `href`, if the account has it.
    pub async fn state_name(
        &self,
        client: &MoySkladClient,
        href: &str,
    ) -> Result<Option<String>, ConnectorError> {
        let (found, _) = self
            .lookup(client, |m| m.state_at(href).map(|s| s.name.clone()))
            .await?;
        Ok(found)
    }

    /// The `attributes` array of an order body from `name → value`. Null values are left
    /// out (a missing source field must not wipe what is in MoySklad); an unknown name is
    /// rejected, naming it.
    pub async fn attribute_values(
        &self,
        client: &MoySkladClient,
        values: &Map<String, Value>,
    ) -> Result<Vec<Value>, ConnectorError> {
        let mut meta = self.get(client, false).await?;
        if values
            .keys()
            .any(|name| meta.attribute_named(name).is_none())
        {
            meta = self.get(client, true).await?;
        }
        let mut out = Vec::new();
        for (name, value) in values {
            if value.is_null() {
                continue;
            }
            let Some(attribute) = meta.attribute_named(name) else {
                let known: Vec<&str> = meta.attributes.iter().map(|a| a.name.as_str()).collect();
                return Err(rejected_locally(format!(
                    "MoySklad has no customer order attribute named `{name}` (attributes: {}); nothing was sent",
                    known.join(", ")
                )));
            };
            let value = attribute_value(attribute, value)?;
            out.push(json!({ "meta": attribute.meta, "value": value }));
        }
        Ok(out)
    }
}

/// Convert a mapped value to what an attribute of this type accepts.
fn attribute_value(attribute: &AttributeMeta, value: &Value) -> Result<Value, ConnectorError> {
    let wrong = |want: &str| {
        rejected_locally(format!(
            "attribute `{}` holds {want} values in MoySklad; got {value}; nothing was sent",
            attribute.name
        ))
    };
    let text = match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<_>>()
                .join("|"),
        ),
        _ => None,
    };
    match attribute.kind.as_str() {
        "string" | "text" | "link" | "time" => text.map(Value::String).ok_or_else(|| wrong("text")),
        "long" => match value {
            Value::Number(n) if n.is_i64() => Ok(value.clone()),
            _ => text
                .and_then(|t| t.trim().parse::<i64>().ok())
                .map(Value::from)
                .ok_or_else(|| wrong("whole-number")),
        },
        "double" => match value {
            Value::Number(_) => Ok(value.clone()),
            _ => text
                .and_then(|t| t.trim().replace(',', ".").parse::<f64>().ok())
                .map(Value::from)
                .ok_or_else(|| wrong("number")),
        },
        "boolean" => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => match text.as_deref().map(str::trim) {
                Some("true" | "1") => Ok(Value::Bool(true)),
                Some("false" | "0") => Ok(Value::Bool(false)),
                _ => Err(wrong("true/false")),
            },
        },
        other => Err(rejected_locally(format!(
            "attribute `{}` has type `{other}`, which ferry cannot set from a plain value; nothing was sent",
            attribute.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(kind: &str) -> AttributeMeta {
        AttributeMeta {
            name: "n".into(),
            kind: kind.into(),
            meta: json!({}),
        }
    }

    #[test]
    fn values_follow_the_attribute_type() {
        assert_eq!(
            attribute_value(&attribute("string"), &json!(42)).unwrap(),
            json!("42")
        );
        assert_eq!(
            attribute_value(&attribute("text"), &json!(["a", "b"])).unwrap(),
            json!("a|b")
        );
        assert_eq!(
            attribute_value(&attribute("long"), &json!("17")).unwrap(),
            json!(17)
        );
        assert_eq!(
            attribute_value(&attribute("double"), &json!("1,5")).unwrap(),
            json!(1.5)
        );
        assert_eq!(
            attribute_value(&attribute("boolean"), &json!("1")).unwrap(),
            json!(true)
        );
        assert!(attribute_value(&attribute("long"), &json!("x")).is_err());
        assert!(attribute_value(&attribute("customentity"), &json!("x")).is_err());
    }

    #[test]
    fn names_match_exactly_then_ignoring_case() {
        let meta: OrderMetadata = serde_json::from_value(json!({
            "states": [{"id": "1", "name": "Новый", "meta": {"href": "h1"}}],
            "attributes": [{"id": "2", "name": "utm_source", "type": "string", "meta": {"href": "h2"}}]
        }))
        .unwrap();
        assert_eq!(meta.state_named("новый").unwrap().name, "Новый");
        assert_eq!(meta.state_at("h1").unwrap().name, "Новый");
        assert_eq!(
            meta.attribute_named("UTM_SOURCE").unwrap().name,
            "utm_source"
        );
        assert!(meta.attribute_named("gclid").is_none());
    }
}
