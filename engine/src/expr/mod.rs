//! Expressions: what a bundle computes from an item. Conditions (filters and `when`),
//! field mappings and strict templates are evaluated against one [`EvalContext`]:
//! `item` (the source item), `steps` (outputs of earlier steps by id) and `bundle`
//! (its id and name). Nothing here can run code: templates are logic-less handlebars in
//! strict mode, and values are built as JSON, never by pasting strings into a body.

mod condition;
mod context;
mod mapping;
mod path;
mod template;
mod value;

pub use condition::evaluate_condition;
pub use context::{EvalContext, EvalError, no_vars};
pub use mapping::{evaluate_inputs, evaluate_mapping};
pub use path::{FieldPath, PathRoot};
pub use template::{Template, TemplateError};
