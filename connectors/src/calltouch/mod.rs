//! The `calltouch` connector (placeholder until it is written).

use std::sync::Arc;

use crate::connector::{BuildContext, Connector, ConnectorKind, Settings};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;

/// The `http` connector kind.
pub struct CalltouchKind;

static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "calltouch",
    description: "Any REST API: polling triggers and request actions",
    settings: &[],
    triggers: &[],
    actions: &[],
};

impl ConnectorKind for CalltouchKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &SPEC
    }
    fn build(&self, _settings: Settings, _ctx: &BuildContext) -> Result<Arc<dyn Connector>, ConnectorError> {
        Err(ConnectorError::Config("the calltouch connector is not built yet".into()))
    }
}
