//! Evaluating field mappings. STUB: signatures fixed, bodies pending.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::context::{EvalContext, EvalError};
use crate::bundle::Mapping;

/// The value of one mapping.
pub fn evaluate_mapping(_mapping: &Mapping, _ctx: &EvalContext<'_>) -> Result<Value, EvalError> {
    unimplemented!("pending")
}

/// All of a step's inputs. Inputs that evaluate to null are left out, so a connector
/// never receives an explicit null for a field the item simply did not have.
pub fn evaluate_inputs(
    _with: &IndexMap<String, Mapping>,
    _ctx: &EvalContext<'_>,
) -> Result<Map<String, Value>, EvalError> {
    unimplemented!("pending")
}
