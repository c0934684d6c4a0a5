//! Dotted paths into a JSON answer (`data.items`, `links.next`, `result.0.id`): where the
//! poll trigger finds its list and next link, and where the request action finds outputs.

use serde_json::Value;

/// A checked dotted path. The empty path means the whole value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    segments: Vec<String>,
}

impl JsonPath {
    /// Parse `text`; empty segments (`a..b`, `.a`) are errors.
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(JsonPath {
                text: String::new(),
                segments: Vec::new(),
            });
        }
        let mut segments = Vec::new();
        for segment in text.split('.') {
            if segment.is_empty() {
                return Err(format!("path `{text}` has an empty segment"));
            }
            segments.push(segment.to_string());
        }
        Ok(JsonPath {
            text: text.to_string(),
            segments,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value at this path (numeric segments index lists).
    pub fn lookup<'v>(&self, start: &'v Value) -> Option<&'v Value> {
        let mut current = start;
        for segment in &self.segments {
            current = match current {
                Value::Object(map) => map.get(segment)?,
                Value::Array(list) => list.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn follows_objects_and_indexes() {
        let body = json!({"data": {"items": [{"id": 7}]}, "links": {"next": null}});
        let id = JsonPath::parse("data.items.0.id").unwrap();
        assert_eq!(id.lookup(&body), Some(&json!(7)));
        assert_eq!(
            JsonPath::parse("links.next").unwrap().lookup(&body),
            Some(&Value::Null)
        );
        assert_eq!(JsonPath::parse("data.items.1").unwrap().lookup(&body), None);
        assert_eq!(JsonPath::parse("data.items.x").unwrap().lookup(&body), None);
        assert_eq!(JsonPath::parse("").unwrap().lookup(&body), Some(&body));
        assert!(JsonPath::parse("a..b").is_err());
        assert!(JsonPath::parse(".a").is_err());
    }
}
