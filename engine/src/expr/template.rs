//! Strict, logic-less templates (handlebars). STUB: signatures fixed, bodies pending.

use serde_json::Value;

use super::context::{EvalContext, EvalError};
use super::path::FieldPath;

/// A compiled template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
}

/// A template that does not compile.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// What is wrong.
    pub message: String,
}

impl Template {
    /// Compile `source` in strict mode.
    pub fn compile(source: &str) -> Result<Template, TemplateError> {
        Ok(Template { source: source.to_string() })
    }

    /// The template text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every path the template reads, for validation.
    pub fn references(&self) -> Vec<FieldPath> {
        unimplemented!("pending")
    }

    /// Render against `ctx`: a template that is exactly one `{{path}}` yields that value
    /// with its JSON type; anything else yields a string. Undefined variables are errors.
    pub fn render(&self, _ctx: &EvalContext<'_>) -> Result<Value, EvalError> {
        unimplemented!("pending")
    }

    /// Render to text (item keys, messages).
    pub fn render_text(&self, _ctx: &EvalContext<'_>) -> Result<String, EvalError> {
        unimplemented!("pending")
    }
}
