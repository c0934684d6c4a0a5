//! Field paths: `item.callerNumber`, `steps.customer.id`, `item.client.phones.0.phoneNumber`.
//! A path that does not start with a known root is read from the item, so integrators can
//! write `phone` for `item.phone`.

use serde_json::Value;

/// The root a path reads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRoot {
    /// The source item.
    Item,
    /// Outputs of earlier steps: the first segment after the root is the step id.
    Steps,
    /// The bundle's own id and name.
    Bundle,
    /// The bundle's derived values (`vars:`), computed from the item before the filter.
    Vars,
}

/// A dotted path into the evaluation context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    root: PathRoot,
    segments: Vec<String>,
}

impl FieldPath {
    /// Parse a dotted path. Errors on empty segments.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty field path".into());
        }
        let mut parts: Vec<String> = Vec::new();
        for part in text.split('.') {
            if part.is_empty() {
                return Err(format!("`{text}` has an empty segment"));
            }
            parts.push(part.to_string());
        }
        let root = match parts[0].as_str() {
            "item" => Some(PathRoot::Item),
            "steps" => Some(PathRoot::Steps),
            "bundle" => Some(PathRoot::Bundle),
            "vars" => Some(PathRoot::Vars),
            _ => None,
        };
        match root {
            Some(root) => {
                parts.remove(0);
                if root == PathRoot::Steps && parts.is_empty() {
                    return Err(format!("`{text}` must name a step: steps.<id>.<field>"));
                }
                Ok(FieldPath {
                    root,
                    segments: parts,
                })
            }
            None => Ok(FieldPath {
                root: PathRoot::Item,
                segments: parts,
            }),
        }
    }

    /// The root.
    pub fn root(&self) -> PathRoot {
        self.root
    }

    /// Segments after the root.
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// For `steps.<id>.<field>...`: the step id and the output field (if given).
    pub fn step_reference(&self) -> Option<(&str, Option<&str>)> {
        if self.root != PathRoot::Steps {
            return None;
        }
        let id = self.segments.first()?;
        Some((id.as_str(), self.segments.get(1).map(String::as_str)))
    }

    /// Follow the segments from `start` (numeric segments index lists).
    pub fn lookup_in<'v>(&self, start: &'v Value) -> Option<&'v Value> {
        let mut current = start;
        for seg in &self.segments {
            current = match current {
                Value::Object(map) => map.get(seg)?,
                Value::Array(list) => list.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let root = match self.root {
            PathRoot::Item => "item",
            PathRoot::Steps => "steps",
            PathRoot::Bundle => "bundle",
            PathRoot::Vars => "vars",
        };
        write!(f, "{root}")?;
        for seg in &self.segments {
            write!(f, ".{seg}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bare_names_read_from_the_item() {
        let p = FieldPath::parse("phone").unwrap();
        assert_eq!(p.root(), PathRoot::Item);
        assert_eq!(p.to_string(), "item.phone");
    }

    #[test]
    fn step_references_and_indexes() {
        let p = FieldPath::parse("steps.customer.id").unwrap();
        assert_eq!(p.step_reference(), Some(("customer", Some("id"))));
        let q = FieldPath::parse("item.client.phones.0.number").unwrap();
        let v = json!({"client": {"phones": [{"number": "7916"}]}});
        assert_eq!(q.lookup_in(&v), Some(&json!("7916")));
        assert!(FieldPath::parse("item..x").is_err());
        assert!(FieldPath::parse("steps").is_err());
    }
}
