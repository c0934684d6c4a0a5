//! Bundles: the YAML files integrators write, and the validated model the runtime runs.
//!
//! Reading a bundle is two passes. First the YAML is parsed into a tree in which every node
//! knows its line and column; then the tree is decoded into [`model::Bundle`], collecting
//! every problem (unknown keys with a "did you mean", wrong types, unknown connections,
//! step references to later or unknown steps, outputs an action does not produce,
//! templates that do not compile, secrets given literally) instead of stopping at the first.

mod catalog;
mod decode;
mod diagnostics;
mod load;
pub mod model;
mod reader;
#[cfg(test)]
pub(crate) mod test_specs;
mod yaml;

pub use catalog::Catalog;
pub use diagnostics::{Diagnostic, Diagnostics};
pub use load::{load_bundles, load_bundles_with, parse_bundle, parse_bundle_with};
pub use model::*;
