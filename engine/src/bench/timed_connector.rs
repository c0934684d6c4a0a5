//! A [`Connector`] that passes every call to the real one and measures it, named
//! `<connection>.<operation>` (`shop.find create_customer`, `calltouch.poll new_call`).
//! The time covers the whole call as the runner sees it: the account's rate limiter, the
//! HTTP round trip to the emulator, and encoding and decoding.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use ferry_connectors::connector::Found;
use ferry_connectors::{
    ActionCall, Connector, ConnectorError, ConnectorSpec, FindCall, PollPage, PollRequest, Record,
};

use super::timings::Timings;
use crate::runtime::PreparedBundle;

/// The measuring connector.
pub struct TimedConnector {
    connection: String,
    inner: Arc<dyn Connector>,
    timings: Arc<Timings>,
}

impl TimedConnector {
    /// Wrap every connector of `bundle`, reporting into `timings`.
    pub fn instrument(bundle: &mut PreparedBundle, timings: &Arc<Timings>) {
        for (connection, connector) in bundle.connectors.iter_mut() {
            let timed = TimedConnector {
                connection: connection.clone(),
                inner: connector.clone(),
                timings: timings.clone(),
            };
            *connector = Arc::new(timed);
        }
    }

    fn record(&self, operation: &str, start: Instant) {
        self.timings
            .record(&format!("{}.{operation}", self.connection), start.elapsed());
    }
}

#[async_trait]
impl Connector for TimedConnector {
    fn spec(&self) -> &'static ConnectorSpec {
        self.inner.spec()
    }

    async fn check(&self) -> Result<(), ConnectorError> {
        self.inner.check().await
    }

    async fn poll(&self, request: PollRequest<'_>) -> Result<PollPage, ConnectorError> {
        let start = Instant::now();
        let operation = format!("poll {}", request.event);
        let page = self.inner.poll(request).await;
        self.record(&operation, start);
        page
    }

    async fn execute(&self, call: ActionCall<'_>) -> Result<Record, ConnectorError> {
        let start = Instant::now();
        let action = call.action;
        let output = self.inner.execute(call).await;
        self.record(action, start);
        output
    }

    async fn find(&self, call: FindCall<'_>) -> Result<Option<Found>, ConnectorError> {
        let start = Instant::now();
        let operation = format!("find {} by {}", call.action, call.key);
        let found = self.inner.find(call).await;
        self.record(&operation, start);
        found
    }
}
