//! Convenience fields added to journal items, so bundles can map what integrators know
//! from the Calltouch interface without digging through nested lists. The API's own
//! fields are never changed or removed; a derived field is only added when the API did
//! not already send a field of that name.
//!
//! Calls: `tags_tones` and `tags_number` (tag names of the "auto-tags by tone signals" and
//! "auto-tags by phone number" kinds, which integrators join as `tones|number`) and
//! `tags` (every tag name). Calltouch's exact `callTags[].type`/`category` values for the
//! two kinds are not in the public docs: an entry whose type or category mentions a tone
//! signal (`tone`, `dtmf`, `тон`) counts as a tone tag, one that mentions a number
//! (`number`, `phone`, `номер`) as a number tag.
//!
//! Requests: `phone` (the client's first phone), `email` (the first contact of an e-mail
//! type) and `fio` (the client's name).

use serde_json::{Map, Value};

fn insert_missing(item: &mut Map<String, Value>, name: &str, value: Value) {
    if !item.contains_key(name) && !value.is_null() {
        item.insert(name.to_string(), value);
    }
}

fn mentions(entry: &Value, words: &[&str]) -> bool {
    ["type", "category"].iter().any(|key| {
        entry[*key]
            .as_str()
            .map(|text| text.to_lowercase())
            .is_some_and(|text| words.iter().any(|w| text.contains(w)))
    })
}

fn names(entry: &Value) -> impl Iterator<Item = Value> + '_ {
    entry["names"].as_array().into_iter().flatten().cloned()
}

/// Add `tags`, `tags_tones` and `tags_number` to a call record.
pub(crate) fn add_call_fields(call: &mut Value) {
    let Some(tags) = call.get("callTags").and_then(Value::as_array).cloned() else {
        return;
    };
    let all: Vec<Value> = tags.iter().flat_map(names).collect();
    let tones: Vec<Value> = tags
        .iter()
        .filter(|t| mentions(t, &["tone", "dtmf", "тон"]))
        .flat_map(names)
        .collect();
    let number: Vec<Value> = tags
        .iter()
        .filter(|t| mentions(t, &["number", "phone", "номер"]))
        .flat_map(names)
        .collect();
    if let Some(item) = call.as_object_mut() {
        insert_missing(item, "tags", Value::Array(all));
        insert_missing(item, "tags_tones", Value::Array(tones));
        insert_missing(item, "tags_number", Value::Array(number));
    }
}

/// Add `phone`, `email` and `fio` to a form request record.
pub(crate) fn add_request_fields(request: &mut Value) {
    let client = request.get("client").cloned().unwrap_or(Value::Null);
    let phone = client["phones"]
        .as_array()
        .and_then(|phones| phones.iter().find_map(|p| p["phoneNumber"].as_str()))
        .map(|p| Value::String(p.to_string()))
        .unwrap_or(Value::Null);
    let email = client["contacts"]
        .as_array()
        .and_then(|contacts| {
            contacts.iter().find(|c| {
                c["contactType"]
                    .as_str()
                    .is_some_and(|t| t.to_lowercase().contains("mail"))
            })
        })
        .and_then(|c| c["contactValue"].as_str())
        .map(|e| Value::String(e.to_string()))
        .unwrap_or(Value::Null);
    let fio = client.get("fio").cloned().unwrap_or(Value::Null);
    if let Some(item) = request.as_object_mut() {
        insert_missing(item, "phone", phone);
        insert_missing(item, "email", email);
        insert_missing(item, "fio", fio);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn call_tags_are_split_by_kind_and_api_fields_are_kept() {
        let mut call = json!({
            "callId": 1,
            "callTags": [
                {"category": "auto", "type": "dtmf", "names": ["press-1"]},
                {"category": "auto", "type": "number", "names": ["sales-line"]},
                {"category": "manual", "type": "manual", "names": ["vip"]}
            ]
        });
        add_call_fields(&mut call);
        assert_eq!(call["tags_tones"], json!(["press-1"]));
        assert_eq!(call["tags_number"], json!(["sales-line"]));
        assert_eq!(call["tags"], json!(["press-1", "sales-line", "vip"]));
        let mut own = json!({"callTags": [], "tags": "from-api"});
        add_call_fields(&mut own);
        assert_eq!(own["tags"], "from-api");
    }

    #[test]
    fn request_contacts_are_lifted() {
        let mut request = json!({"client": {"fio": "Ivan", "phones": [{"phoneNumber": "79161234567"}],
            "contacts": [{"contactType": "phone", "contactValue": "7916"}, {"contactType": "email", "contactValue": "a@b.ru"}]}});
        add_request_fields(&mut request);
        assert_eq!(request["phone"], "79161234567");
        assert_eq!(request["email"], "a@b.ru");
        assert_eq!(request["fio"], "Ivan");
        let mut empty = json!({"requestId": 1});
        add_request_fields(&mut empty);
        assert!(empty.get("email").is_none());
    }
}
