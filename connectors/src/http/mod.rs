//! The generic `http` connector: any REST API as a source (polling with cursor, page-number
//! or next-link pagination) or a target (one request, fields picked from the response).

use std::sync::Arc;

use crate::connector::{BuildContext, Connector, ConnectorKind, Settings};
use crate::error::ConnectorError;
use crate::spec::ConnectorSpec;

/// The `http` connector kind.
pub struct HttpKind;

static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "http",
    description: "Any REST API: polling triggers and request actions",
    settings: &[],
    triggers: &[],
    actions: &[],
};

impl ConnectorKind for HttpKind {
    fn spec(&self) -> &'static ConnectorSpec {
        &SPEC
    }
    fn build(&self, _settings: Settings, _ctx: &BuildContext) -> Result<Arc<dyn Connector>, ConnectorError> {
        Err(ConnectorError::Config("the http connector is not built yet".into()))
    }
}
