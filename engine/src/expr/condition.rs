//! Evaluating conditions. STUB: signature fixed, body pending.

use super::context::{EvalContext, EvalError};
use crate::bundle::Condition;

/// Whether `condition` holds for `ctx`.
pub fn evaluate_condition(_condition: &Condition, _ctx: &EvalContext<'_>) -> Result<bool, EvalError> {
    unimplemented!("pending")
}
