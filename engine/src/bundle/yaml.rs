//! The spanned YAML tree: parsing one file's text into a single document whose nodes know
//! their line and column, and reading scalars and plain JSON values out of it.
//!
//! Parsing is done by `saphyr`, which rejects duplicate keys and caps alias expansion (so a
//! "billion laughs" file cannot exhaust memory). Everything above this module sees only
//! [`Node`] and [`Location`].

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use serde_json::{Map, Number, Value};

/// One node of the spanned tree.
pub(crate) type Node = MarkedYamlOwned;

/// A 1-based line and column in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Location {
    /// Where `node` starts.
    pub fn of(node: &Node) -> Location {
        Location::from_marker(&node.span.start)
    }

    fn from_marker(marker: &saphyr::Marker) -> Location {
        // saphyr's lines are 1-based and its columns 0-based; editors count both from 1.
        Location {
            line: marker.line().max(1),
            column: marker.col() + 1,
        }
    }
}

/// A problem with the file as YAML, before any bundle meaning is looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Where the parser stopped.
    pub at: Location,
    /// The parser's explanation.
    pub message: String,
}

/// Parse `text` into its one document.
pub(crate) fn parse_document(text: &str) -> Result<Node, SyntaxError> {
    let mut documents = MarkedYamlOwned::load_from_str(text).map_err(|e| SyntaxError {
        at: Location::from_marker(e.marker()),
        message: format!("invalid YAML: {}", e.info()),
    })?;
    if documents.len() > 1 {
        return Err(SyntaxError {
            at: Location::of(&documents[1]),
            message: "a bundle file holds one bundle: remove the second YAML document (`---`)"
                .into(),
        });
    }
    match documents.pop() {
        Some(node) if !matches!(node.data, YamlDataOwned::BadValue | YamlDataOwned::Value(ScalarOwned::Null)) => {
            Ok(node)
        }
        _ => Err(SyntaxError {
            at: Location { line: 1, column: 1 },
            message: "the file is empty: a bundle needs at least `id`, `name`, `connections`, `trigger` and `steps`".into(),
        }),
    }
}

/// "a string", "a list", ... for "expected X, found Y" messages.
pub(crate) fn describe(node: &Node) -> &'static str {
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::Null) => "an empty value",
        YamlDataOwned::Value(ScalarOwned::Boolean(_)) => "a boolean",
        YamlDataOwned::Value(ScalarOwned::Integer(_)) => "a number",
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(_)) => "a number",
        YamlDataOwned::Value(ScalarOwned::String(_)) => "a string",
        YamlDataOwned::Sequence(_) => "a list",
        YamlDataOwned::Mapping(_) => "a map",
        YamlDataOwned::Tagged(..) => "a tagged value",
        YamlDataOwned::Alias(_) | YamlDataOwned::BadValue | YamlDataOwned::Representation(..) => {
            "an invalid value"
        }
    }
}

/// The text of a string scalar.
pub(crate) fn as_str(node: &Node) -> Option<&str> {
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s),
        _ => None,
    }
}

/// The text of a scalar used as a name (a map key, a lookup-table key): strings as they
/// are, numbers and booleans as written in YAML's canonical form (`101: 7` has key "101").
pub(crate) fn scalar_text(node: &Node) -> Option<String> {
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::String(s)) => Some(s.clone()),
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => Some(i.to_string()),
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => Some(f.to_string()),
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// The entries of a map node, in file order.
pub(crate) fn map_entries(node: &Node) -> Option<impl Iterator<Item = (&Node, &Node)>> {
    match &node.data {
        YamlDataOwned::Mapping(map) => Some(map.iter()),
        _ => None,
    }
}

/// The elements of a list node.
pub(crate) fn list_items(node: &Node) -> Option<&[Node]> {
    match &node.data {
        YamlDataOwned::Sequence(items) => Some(items),
        _ => None,
    }
}

/// A node as a plain JSON value; the error names the offending node.
pub(crate) fn to_json(node: &Node) -> Result<Value, (Location, String)> {
    match &node.data {
        YamlDataOwned::Value(scalar) => scalar_to_json(scalar).ok_or_else(|| {
            (Location::of(node), "numbers must be finite (not .inf or .nan)".to_string())
        }),
        YamlDataOwned::Sequence(items) => {
            items.iter().map(to_json).collect::<Result<Vec<_>, _>>().map(Value::Array)
        }
        YamlDataOwned::Mapping(map) => {
            let mut object = Map::new();
            for (key, value) in map {
                let Some(name) = scalar_text(key) else {
                    return Err((Location::of(key), "map keys must be plain names".into()));
                };
                object.insert(name, to_json(value)?);
            }
            Ok(Value::Object(object))
        }
        YamlDataOwned::Tagged(tag, _) => Err((
            Location::of(node),
            format!("YAML tags like `{tag}` are not supported here"),
        )),
        YamlDataOwned::Alias(_) | YamlDataOwned::BadValue | YamlDataOwned::Representation(..) => {
            Err((
                Location::of(node),
                "invalid value (does a `!!` type tag not fit the value, or an alias name no anchor?)"
                    .into(),
            ))
        }
    }
}

/// A scalar as JSON; `None` for non-finite floats, which JSON cannot hold.
pub(crate) fn scalar_to_json(scalar: &ScalarOwned) -> Option<Value> {
    Some(match scalar {
        ScalarOwned::Null => Value::Null,
        ScalarOwned::Boolean(b) => Value::Bool(*b),
        ScalarOwned::Integer(i) => Value::Number((*i).into()),
        ScalarOwned::FloatingPoint(f) => Value::Number(Number::from_f64(f.into_inner())?),
        ScalarOwned::String(s) => Value::String(s.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn syntax_errors_carry_the_parsers_position() {
        let err = parse_document("id: a\nname: [unclosed\n").unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        assert!(err.at.line >= 2, "{err:?}");
    }

    #[test]
    fn duplicate_keys_and_empty_files_are_errors() {
        let err = parse_document("id: a\nid: b\n").unwrap_err();
        assert_eq!(err.at, Location { line: 2, column: 1 });
        assert!(err.message.contains("duplicated key"), "{}", err.message);
        assert!(
            parse_document("# only a comment\n")
                .unwrap_err()
                .message
                .contains("empty")
        );
        let two = parse_document("id: a\n---\nid: b\n").unwrap_err();
        assert_eq!(two.at.line, 3);
    }

    #[test]
    fn positions_are_one_based_and_values_convert_to_json() {
        let doc = parse_document("a:\n  b: [1, x, true, \"2\", 1.5, ~]\n").unwrap();
        let (_, a) = map_entries(&doc).unwrap().next().unwrap();
        let (key, b) = map_entries(a).unwrap().next().unwrap();
        assert_eq!(Location::of(key), Location { line: 2, column: 3 });
        assert_eq!(Location::of(b), Location { line: 2, column: 6 });
        assert_eq!(to_json(b).unwrap(), json!([1, "x", true, "2", 1.5, null]));
        let table = parse_document("101: 7\n").unwrap();
        assert_eq!(to_json(&table).unwrap(), json!({"101": 7}));
    }
}
