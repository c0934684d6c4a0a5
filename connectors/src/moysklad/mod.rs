//! The `moysklad` connector (placeholder until it is written).

use std::sync::Arc;

use crate::connector::{BuildContext, Connector, ConnectorKind, Settings};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;

/// The `http` connector kind.
pub struct MoySkladKind;

static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "moysklad",
    description: "Any REST API: polling triggers and request actions",
    settings: &[],
    triggers: &[],
    actions: &[],
};

impl ConnectorKind for MoySkladKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &SPEC
    }
    fn build(&self, _settings: Settings, _ctx: &BuildContext) -> Result<Arc<dyn Connector>, ConnectorError> {
        Err(ConnectorError::Config("the moysklad connector is not built yet".into()))
    }
}
