//! Which connector specs a bundle is validated against. [`load_bundles`] uses every kind in
//! the connector registry; tests build a catalog of specs they declare themselves, so the
//! validator's rules are exercised independently of what the real connectors offer.
//!
//! [`load_bundles`]: super::load_bundles

use ferry_connectors::{ConnectorSpec, registry};

/// The connector specs known while validating.
#[derive(Debug, Clone)]
pub struct Catalog {
    specs: Vec<&'static ConnectorSpec>,
}

impl Catalog {
    /// A catalog of exactly these specs.
    pub fn new(specs: Vec<&'static ConnectorSpec>) -> Catalog {
        Catalog { specs }
    }

    /// Every connector kind in the registry.
    pub fn registry() -> Catalog {
        Catalog::new(
            registry::kinds()
                .into_iter()
                .map(|kind| kind.spec())
                .collect(),
        )
    }

    /// The spec of connector kind `kind`.
    pub fn spec(&self, kind: &str) -> Option<&'static ConnectorSpec> {
        self.specs.iter().copied().find(|spec| spec.kind == kind)
    }

    /// The names of all kinds, for suggestions and messages.
    pub fn kind_names(&self) -> Vec<&'static str> {
        self.specs.iter().map(|spec| spec.kind).collect()
    }
}
