//! Strict, logic-less templates. The handlebars parser checks the syntax and gives us its
//! syntax tree; compiling then keeps only a small safe subset — plain `{{path}}` /
//! `{{{path}}}` output, `{{#if path}}` / `{{#unless path}}` with `{{else}}` (and
//! `{{else if path}}`), and comments — and rejects everything else (helpers, partials,
//! decorators, raw blocks, `../` and `@` paths). What remains is a tiny tree rendered
//! directly against the [`EvalContext`]: no context is cloned into a JSON blob per
//! render, an undefined variable is an error naming it, nothing is HTML-escaped (outputs
//! go to JSON APIs), and rendered values are never rendered again, so an item value
//! containing `{{...}}` or quotes comes out literally.

use std::sync::Arc;

use handlebars::template::{HelperTemplate, Parameter, Template as HbsTemplate, TemplateElement};
use handlebars::{Path as HbsPath, PathSeg, TemplateErrorReason};
use serde_json::Value;

use super::context::{EvalContext, EvalError};
use super::path::FieldPath;
use super::value::{is_empty, text_form};

/// A compiled template.
#[derive(Debug, Clone)]
pub struct Template {
    source: String,
    nodes: Arc<[Node]>,
}

/// A template that does not compile.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct TemplateError {
    /// What is wrong.
    pub message: String,
}

impl TemplateError {
    fn new(message: impl Into<String>) -> TemplateError {
        TemplateError {
            message: message.into(),
        }
    }
}

/// One piece of a compiled template.
#[derive(Debug)]
enum Node {
    /// Literal text.
    Text(String),
    /// The value at a path.
    Value(Variable),
    /// `{{#if}}` (or `{{#unless}}` when `negate`).
    Conditional {
        test: Variable,
        negate: bool,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// A path as the template wrote it and as the context reads it.
#[derive(Debug)]
struct Variable {
    written: String,
    path: FieldPath,
}

impl Template {
    /// Compile `source` in strict mode. Fails on syntax errors and on anything outside
    /// the safe subset (see the module documentation).
    pub fn compile(source: &str) -> Result<Template, TemplateError> {
        // Messages do not repeat the source: callers report where the template is written.
        let parsed = HbsTemplate::compile(source).map_err(syntax_error)?;
        let nodes = convert_elements(&parsed.elements).map_err(TemplateError::new)?;
        Ok(Template {
            source: source.to_string(),
            nodes: nodes.into(),
        })
    }

    /// The template text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every path the template reads, for validation, in order of appearance (a path
    /// read twice is listed once).
    pub fn references(&self) -> Vec<FieldPath> {
        let mut found = Vec::new();
        collect_references(&self.nodes, &mut found);
        found
    }

    /// Render against `ctx`: a template that is exactly one `{{path}}` yields that value
    /// with its JSON type; anything else yields a string. Undefined variables are errors.
    pub fn render(&self, ctx: &EvalContext<'_>) -> Result<Value, EvalError> {
        if let [Node::Value(variable)] = &*self.nodes {
            return self.lookup(variable, ctx).cloned();
        }
        self.render_text(ctx).map(Value::String)
    }

    /// Render to text (item keys, messages).
    pub fn render_text(&self, ctx: &EvalContext<'_>) -> Result<String, EvalError> {
        let mut out = String::with_capacity(self.source.len());
        self.render_nodes(&self.nodes, ctx, &mut out)?;
        Ok(out)
    }

    fn render_nodes(
        &self,
        nodes: &[Node],
        ctx: &EvalContext<'_>,
        out: &mut String,
    ) -> Result<(), EvalError> {
        for node in nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Value(variable) => out.push_str(&text_form(self.lookup(variable, ctx)?)),
                Node::Conditional {
                    test,
                    negate,
                    then,
                    otherwise,
                } => {
                    // As in handlebars strict mode, a block's test may be missing: that is
                    // exactly what `{{#if}}` is for.
                    let holds = ctx.lookup(&test.path).is_some_and(truthy) != *negate;
                    self.render_nodes(if holds { then } else { otherwise }, ctx, out)?;
                }
            }
        }
        Ok(())
    }

    fn lookup<'a>(
        &self,
        variable: &Variable,
        ctx: &EvalContext<'a>,
    ) -> Result<&'a Value, EvalError> {
        ctx.lookup(&variable.path).ok_or_else(|| {
            let canonical = variable.path.to_string();
            let name = if canonical == variable.written {
                format!("`{canonical}`")
            } else {
                format!("`{}` ({canonical})", variable.written)
            };
            EvalError::Template {
                template: self.source.clone(),
                message: format!("undefined variable {name}"),
            }
        })
    }
}

/// Handlebars truthiness: false, null, 0, blank strings and empty lists are false;
/// objects are always true.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Object(_) => true,
        other => !is_empty(Some(other)),
    }
}

/// A one-line syntax message with its position. The parser's own list of every token it
/// could have accepted says nothing useful to someone writing a bundle.
fn syntax_error(error: handlebars::TemplateError) -> TemplateError {
    let reason = match error.reason() {
        TemplateErrorReason::InvalidSyntax(_) => {
            "invalid template syntax (an unclosed `{{`, `}}` or block?)".to_string()
        }
        other => other.to_string(),
    };
    match error.pos() {
        Some((line, column)) => {
            TemplateError::new(format!("line {line}, column {column}: {reason}"))
        }
        None => TemplateError::new(reason),
    }
}

fn collect_references(nodes: &[Node], found: &mut Vec<FieldPath>) {
    for node in nodes {
        match node {
            Node::Text(_) => {}
            Node::Value(variable) => push_unique(found, &variable.path),
            Node::Conditional {
                test,
                then,
                otherwise,
                ..
            } => {
                push_unique(found, &test.path);
                collect_references(then, found);
                collect_references(otherwise, found);
            }
        }
    }
}

fn push_unique(found: &mut Vec<FieldPath>, path: &FieldPath) {
    if !found.contains(path) {
        found.push(path.clone());
    }
}

fn convert_elements(elements: &[TemplateElement]) -> Result<Vec<Node>, String> {
    let mut nodes = Vec::with_capacity(elements.len());
    for element in elements {
        match element {
            TemplateElement::RawString(text) => nodes.push(Node::Text(text.clone())),
            TemplateElement::Comment(_) => {}
            TemplateElement::Expression(helper) | TemplateElement::HtmlExpression(helper) => {
                nodes.push(Node::Value(convert_output(helper)?));
            }
            TemplateElement::HelperBlock(helper) => nodes.push(convert_block(helper)?),
            TemplateElement::DecoratorExpression(_) | TemplateElement::DecoratorBlock(_) => {
                return Err("decorators (`{{* ...}}`) are not allowed".into());
            }
            TemplateElement::PartialExpression(_) | TemplateElement::PartialBlock(_) => {
                return Err("partials (`{{> ...}}`) are not allowed".into());
            }
            _ => return Err("unsupported template construct".into()),
        }
    }
    Ok(nodes)
}

fn helper_label(helper: &HelperTemplate) -> String {
    helper
        .name
        .as_name()
        .map(str::to_string)
        .unwrap_or_else(|| "(...)".to_string())
}

/// `{{path}}`: a bare path with nothing after it. Anything with arguments is a helper call.
fn convert_output(helper: &HelperTemplate) -> Result<Variable, String> {
    let plain = helper.params.is_empty() && helper.hash.is_empty() && helper.block_param.is_none();
    match (&helper.name, plain) {
        (Parameter::Path(path), true) => convert_path(path),
        _ => Err(format!(
            "helper `{}` is not allowed: only `{{{{path}}}}`, `{{{{#if path}}}}` and \
             `{{{{#unless path}}}}` are",
            helper_label(helper)
        )),
    }
}

fn convert_block(helper: &HelperTemplate) -> Result<Node, String> {
    let name = helper_label(helper);
    let negate = match name.as_str() {
        "if" => false,
        "unless" => true,
        _ => {
            return Err(format!(
                "block `{{{{#{name}}}}}` is not allowed: only `{{{{#if path}}}}` and \
                 `{{{{#unless path}}}}` are"
            ));
        }
    };
    let test = match helper.params.as_slice() {
        [Parameter::Path(path)] if helper.hash.is_empty() && helper.block_param.is_none() => {
            convert_path(path)?
        }
        _ => {
            return Err(format!(
                "`{{{{#{name}}}}}` takes exactly one path, e.g. `{{{{#{name} item.phone}}}}`"
            ));
        }
    };
    let body = |t: &Option<HbsTemplate>| match t {
        Some(t) => convert_elements(&t.elements),
        None => Ok(Vec::new()),
    };
    Ok(Node::Conditional {
        test,
        negate,
        then: body(&helper.template)?,
        otherwise: body(&helper.inverse)?,
    })
}

/// Only absolute, plain paths: the context never changes inside a template (no `#each`
/// or `#with`), so `this`, `../` and `@` variables have nothing sensible to mean.
fn convert_path(path: &HbsPath) -> Result<Variable, String> {
    let (segments, written) = match path {
        HbsPath::Relative((segments, written)) => (segments, written),
        HbsPath::Local((_, _, written)) => {
            return Err(format!("`{written}`: `@` variables are not allowed"));
        }
    };
    let mut names = Vec::with_capacity(segments.len());
    for segment in segments {
        match segment {
            PathSeg::Named(name) if !name.is_empty() && !name.contains('.') => {
                names.push(name.as_str());
            }
            PathSeg::Named(name) => {
                return Err(format!("`{written}`: segment `{name}` cannot be read"));
            }
            _ => {
                return Err(format!(
                    "`{written}`: only plain paths such as `item.phone` are allowed"
                ));
            }
        }
    }
    if names.is_empty() {
        return Err(format!("`{written}` does not name a field"));
    }
    let path = FieldPath::parse(&names.join("."))?;
    Ok(Variable {
        written: written.clone(),
        path,
    })
}

#[cfg(test)]
mod tests;
