//! Decoding `connections:`: each connection's kind, its settings checked against the
//! connector's spec, secrets kept as references (`${secret:NAME}`, `${env:NAME}`) and
//! never as values, and an optional `rate_limit` override.

use std::collections::BTreeMap;

use ferry_connectors::ConnectorSpec;
use ferry_connectors::transport::RateLimit;
use indexmap::IndexMap;
use serde_json::Map;

use crate::bundle::catalog::Catalog;
use crate::bundle::diagnostics::closest;
use crate::bundle::model::{Connection, SecretRef};
use crate::bundle::reader::{Decoder, Entry, MapReader, child, optional};
use crate::bundle::yaml;

/// Connection names as far as the rest of the bundle is concerned: every name written
/// (even of a connection with problems, so steps using it do not also fail) and its spec
/// when the kind is known.
pub(super) type ConnectionSpecs = IndexMap<String, Option<&'static ConnectorSpec>>;

/// The decoded connections and what steps and the trigger may refer to.
pub(super) struct DecodedConnections {
    /// Connections that decoded cleanly.
    pub connections: IndexMap<String, Connection>,
    /// Every name and its spec.
    pub specs: ConnectionSpecs,
}

/// Decode the `connections` map.
pub(super) fn decode_connections(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    catalog: &Catalog,
) -> DecodedConnections {
    let mut out = DecodedConnections {
        connections: IndexMap::new(),
        specs: IndexMap::new(),
    };
    let Some(mut map) = dec.map(entry.value, &entry.path) else {
        return out;
    };
    for conn in map.take_rest() {
        if !valid_connection_name(&conn.name) {
            dec.error(
                conn.key_at(),
                &conn.path,
                format!(
                    "connection name `{}` must start with a letter and hold only letters, digits, `_` and `-` (steps write `<connection>.<action>`)",
                    conn.name
                ),
            );
        }
        let (spec, connection) = decode_connection(dec, &conn, catalog);
        out.specs.insert(conn.name.clone(), spec);
        if let Some(connection) = connection {
            out.connections.insert(conn.name, connection);
        }
    }
    out
}

fn valid_connection_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn decode_connection(
    dec: &mut Decoder,
    conn: &Entry<'_>,
    catalog: &Catalog,
) -> (Option<&'static ConnectorSpec>, Option<Connection>) {
    let Some(mut map) = dec.map(conn.value, &conn.path) else {
        return (None, None);
    };
    let kind = map.require(dec, "kind").and_then(|k| {
        let text = dec.string(k.value, &k.path)?;
        let spec = catalog.spec(&text);
        if spec.is_none() {
            let names = catalog.kind_names();
            dec.error_suggesting(
                k.value_at(),
                &k.path,
                format!(
                    "unknown connector kind `{text}`; known kinds: {}",
                    names.join(", ")
                ),
                closest(&text, names.iter().copied()),
            );
        }
        Some((text, spec))
    });
    let rate_limit = map.take("rate_limit").map(|r| decode_rate_limit(dec, &r));
    let spec = kind.as_ref().and_then(|(_, spec)| *spec);
    let values = decode_settings(dec, &mut map, spec, &conn.name);
    map.finish(dec);
    let connection = match (kind, values, rate_limit) {
        (Some((kind, Some(_))), Some((settings, secrets)), rate_limit) => {
            let rate_limit = match rate_limit {
                Some(Some(limit)) => Some(limit),
                Some(None) => return (spec, None),
                None => None,
            };
            Some(Connection {
                name: conn.name.clone(),
                kind,
                settings,
                secrets,
                rate_limit,
            })
        }
        _ => None,
    };
    (spec, connection)
}

type SettingValues = (Map<String, serde_json::Value>, BTreeMap<String, SecretRef>);

/// Every key besides `kind` and `rate_limit` is a setting of the connector.
fn decode_settings(
    dec: &mut Decoder,
    map: &mut MapReader<'_>,
    spec: Option<&'static ConnectorSpec>,
    connection: &str,
) -> Option<SettingValues> {
    let mut settings = Map::new();
    let mut secrets = BTreeMap::new();
    let mut ok = true;
    for entry in map.take_rest() {
        let setting = spec.map(|s| (s, s.setting(&entry.name)));
        if let Some((spec, None)) = setting {
            let names = spec
                .settings
                .iter()
                .map(|s| s.name)
                .chain(["kind", "rate_limit"]);
            dec.error_suggesting(
                entry.key_at(),
                &entry.path,
                format!(
                    "unknown setting `{}` for a `{}` connection",
                    entry.name, spec.kind
                ),
                closest(&entry.name, names),
            );
            ok = false;
            continue;
        }
        let secret = setting.and_then(|(_, s)| s).is_some_and(|s| s.secret);
        match yaml::as_str(entry.value).map(parse_secret_ref) {
            Some(Some(Ok(reference))) => {
                secrets.insert(entry.name.clone(), reference);
            }
            Some(Some(Err(()))) => {
                dec.error(
                    entry.value_at(),
                    &entry.path,
                    "invalid secret reference: the whole value must be ${secret:NAME} or ${env:NAME}, NAME made of letters, digits and `_`",
                );
                ok = false;
            }
            _ if secret => {
                // Never echo the value: it is very likely the real credential.
                let example = format!("{}_{}", connection, entry.name)
                    .to_uppercase()
                    .replace('-', "_");
                dec.error(
                    entry.value_at(),
                    &entry.path,
                    format!(
                        "`{}` is a secret: write a reference like ${{secret:{example}}} or ${{env:...}}, never the value",
                        entry.name
                    ),
                );
                ok = false;
            }
            _ => match dec.json(entry.value, &entry.path) {
                Some(value) => {
                    settings.insert(entry.name.clone(), value);
                }
                None => ok = false,
            },
        }
    }
    if let Some(spec) = spec {
        for required in spec.settings.iter().filter(|s| s.required) {
            if !settings.contains_key(required.name)
                && !secrets.contains_key(required.name)
                && !map.has(required.name)
            {
                dec.error(
                    map.at(),
                    &child(map.path(), required.name),
                    format!(
                        "missing required setting `{}` ({})",
                        required.name, required.description
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some((settings, secrets))
}

/// `None` when `text` holds no reference; `Some(Err)` when it holds a malformed one or
/// one embedded in other text (which would silently be sent as the literal text).
pub(super) fn parse_secret_ref(text: &str) -> Option<Result<SecretRef, ()>> {
    if !text.contains("${") {
        return None;
    }
    let inner = text.strip_prefix("${").and_then(|t| t.strip_suffix('}'));
    let Some((source, name)) = inner.and_then(|t| t.split_once(':')) else {
        return Some(Err(()));
    };
    let valid_name = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    Some(match (source, valid_name) {
        ("env", true) => Ok(SecretRef::Env(name.to_string())),
        ("secret", true) => Ok(SecretRef::Secret(name.to_string())),
        _ => Err(()),
    })
}

/// `{ requests: 10, per: 1s, burst: 10, max_parallel: 5 }`.
fn decode_rate_limit(dec: &mut Decoder, entry: &Entry<'_>) -> Option<RateLimit> {
    let mut map = dec.map(entry.value, &entry.path)?;
    let requests = map
        .require(dec, "requests")
        .map(|e| dec.positive_u32(e.value, &e.path));
    let per = map
        .require(dec, "per")
        .map(|e| dec.duration(e.value, &e.path));
    let burst = map
        .take("burst")
        .map(|e| dec.positive_u32(e.value, &e.path));
    let max_parallel = map
        .take("max_parallel")
        .map(|e| dec.positive_u32(e.value, &e.path));
    map.finish(dec);
    Some(RateLimit {
        requests: requests??,
        per: per??,
        burst: optional(burst)?,
        max_parallel: optional(max_parallel)?.map(|n| n as usize),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_references_are_whole_values_only() {
        assert_eq!(parse_secret_ref("plain"), None);
        assert_eq!(
            parse_secret_ref("${env:RETAIL_KEY}"),
            Some(Ok(SecretRef::Env("RETAIL_KEY".into())))
        );
        assert_eq!(
            parse_secret_ref("${secret:CT_TOKEN}"),
            Some(Ok(SecretRef::Secret("CT_TOKEN".into())))
        );
        assert_eq!(parse_secret_ref("https://x/${secret:T}"), Some(Err(())));
        assert_eq!(parse_secret_ref("${vault:T}"), Some(Err(())));
        assert_eq!(parse_secret_ref("${env:}"), Some(Err(())));
        assert_eq!(parse_secret_ref("${env:A B}"), Some(Err(())));
    }
}
