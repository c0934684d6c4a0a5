//! Method parameters as Bitrix24 reads them: a JSON body, or PHP-style bracket pairs
//! (`fields[TITLE]=x&fields[PHONE][0][VALUE]=..&select[]=ID`) from the query string or a
//! form body. Everything is merged into one JSON object, the body winning over the query.

use serde_json::{Map, Value};

/// The parameters of one call, from its query string and body.
pub fn parse(
    raw_query: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Map<String, Value>, String> {
    let mut params = from_pairs(&crate::emulation::decode_pairs(raw_query));
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    let from_body = if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) => return Err("Invalid JSON in the request body".into()),
        }
    } else {
        from_pairs(&crate::emulation::decode_pairs(&String::from_utf8_lossy(
            body,
        )))
    };
    params.extend(from_body);
    Ok(params)
}

/// `a[b][]=1` style pairs as nested JSON; objects keyed 0, 1, 2, ... become arrays.
pub fn from_pairs(pairs: &[(String, String)]) -> Map<String, Value> {
    let mut root = Value::Object(Map::new());
    for (key, value) in pairs {
        let path = split_key(key);
        if path.is_empty() {
            continue;
        }
        insert(&mut root, &path, Value::String(value.clone()));
    }
    match listify(root) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `fields[PHONE][0][VALUE]` → `["fields", "PHONE", "0", "VALUE"]`; `select[]` → `["select", ""]`.
fn split_key(key: &str) -> Vec<String> {
    let Some(open) = key.find('[') else {
        return vec![key.to_string()];
    };
    let mut path = vec![key[..open].to_string()];
    let mut rest = &key[open..];
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else {
            break;
        };
        path.push(stripped[..close].to_string());
        rest = &stripped[close + 1..];
    }
    path
}

fn insert(node: &mut Value, path: &[String], value: Value) {
    let Value::Object(map) = node else {
        return;
    };
    let key = if path[0].is_empty() {
        // `[]` appends: the next free numeric key.
        (0..)
            .map(|i: usize| i.to_string())
            .find(|k| !map.contains_key(k))
            .expect("a free key")
    } else {
        path[0].clone()
    };
    if path.len() == 1 {
        map.insert(key, value);
        return;
    }
    let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    insert(child, &path[1..], value);
}

fn listify(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sequential = !map.is_empty()
                && map
                    .keys()
                    .enumerate()
                    .all(|(i, k)| k.parse::<usize>() == Ok(i));
            if sequential {
                Value::Array(map.into_iter().map(|(_, v)| listify(v)).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, listify(v))).collect())
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bracket_pairs_become_nested_json() {
        let query = "fields%5BTITLE%5D=x&fields%5BPHONE%5D%5B0%5D%5BVALUE%5D=7999&select%5B%5D=ID&select%5B%5D=TITLE&filter%5B%3EID%5D=5&id=3";
        let params = parse(query, "", b"").unwrap();
        assert_eq!(
            Value::Object(params),
            json!({"fields": {"TITLE": "x", "PHONE": [{"VALUE": "7999"}]}, "select": ["ID", "TITLE"],
                   "filter": {">ID": "5"}, "id": "3"})
        );
    }

    #[test]
    fn json_bodies_win_over_the_query() {
        let params = parse(
            "id=1",
            "application/json",
            br#"{"id": 2, "fields": {"A": 1}}"#,
        )
        .unwrap();
        assert_eq!(Value::Object(params), json!({"id": 2, "fields": {"A": 1}}));
        assert!(parse("", "application/json", b"{oops").is_err());
        let form = parse(
            "",
            "application/x-www-form-urlencoded",
            b"id=4&fields%5BB%5D=y",
        )
        .unwrap();
        assert_eq!(
            Value::Object(form),
            json!({"id": "4", "fields": {"B": "y"}})
        );
    }
}
