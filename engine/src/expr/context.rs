//! The evaluation context and evaluation errors.

use serde_json::{Map, Value};

use super::path::{FieldPath, PathRoot};

/// What expressions can read.
#[derive(Debug, Clone, Copy)]
pub struct EvalContext<'a> {
    /// The source item.
    pub item: &'a Value,
    /// Outputs of the steps run so far, by step id.
    pub steps: &'a Map<String, Value>,
    /// `{"id": .., "name": ..}` of the bundle.
    pub bundle: &'a Value,
    /// The bundle's derived values (`vars:`) for this item.
    pub vars: &'a Map<String, Value>,
}

/// An empty set of derived values, for contexts evaluated before `vars` exist (item keys)
/// or in bundles that declare none.
pub fn no_vars() -> &'static Map<String, Value> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    &EMPTY
}

impl<'a> EvalContext<'a> {
    /// The value at `path`, if present.
    pub fn lookup(&self, path: &FieldPath) -> Option<&'a Value> {
        match path.root() {
            PathRoot::Item => path.lookup_in(self.item),
            PathRoot::Bundle => path.lookup_in(self.bundle),
            PathRoot::Vars => {
                let (first, rest) = path.segments().split_first()?;
                let mut current = self.vars.get(first)?;
                for seg in rest {
                    current = match current {
                        Value::Object(map) => map.get(seg)?,
                        Value::Array(list) => list.get(seg.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(current)
            }
            PathRoot::Steps => {
                let (first, rest) = path.segments().split_first()?;
                let mut current = self.steps.get(first)?;
                for seg in rest {
                    current = match current {
                        Value::Object(map) => map.get(seg)?,
                        Value::Array(list) => list.get(seg.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(current)
            }
        }
    }

    /// The whole context as one JSON object (what templates render against).
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "item": self.item,
            "steps": self.steps,
            "bundle": self.bundle,
            "vars": self.vars,
        })
    }
}

/// A failure to evaluate an expression for one item. It fails that item (visibly), never
/// the bundle.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EvalError {
    /// A strict template referenced something this item does not have.
    #[error("template `{template}`: {message}")]
    Template {
        /// The template source.
        template: String,
        /// What went wrong.
        message: String,
    },
    /// A value has a type the operation cannot use.
    #[error("{0}")]
    Type(String),
}
