//! The conformance harness every connector runs against its emulator.
//!
//! A connector's tests implement [`ConformanceTarget`] (how to build the connector with a
//! given credential and where its emulator's request log and fault plan are) and pick a
//! [`Probe`] (one cheap call: `check`, a poll or an action). The checks then prove the
//! behaviour the engine relies on, identically for every system:
//!
//! - [`wrong_key_is_auth_and_not_retried`]: refused credentials are `Auth`, advised
//!   `ConnectionBroken`, after exactly one request;
//! - [`rate_limit_waits_as_told`]: a rate-limit answer is `RateLimited` with the wait the
//!   target asked for;
//! - [`server_error_backs_off`], [`broken_body_is_invalid_response`],
//!   [`huge_body_is_refused`], [`slow_answer_times_out`]: transient failures are retried
//!   with backoff and never crash or hang;
//! - [`run_failure_suite`] runs all of the above in one go;
//! - every check asserts the connection's secret never appears in the error text
//!   ([`assert_no_secret`], the canary);
//! - [`drain_poll`] and [`assert_exactly_once`] drive a trigger page by page the way the
//!   engine does, for pagination and cursor checks.
//!
//! Connector-specific wire-format assertions stay in each connector's own tests, reading
//! the emulator's [`RequestLog`](crate::emulation::RequestLog).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::connector::{ActionCall, Connector, PollRequest};
use crate::emulation::{Fault, InstrumentedServer};
use crate::error::{ConnectorError, RetryAdvice};
use crate::transport::{HttpTransport, TransportConfig};

/// A connector under test together with its running emulator.
pub(crate) trait ConformanceTarget {
    /// Build the connector against the emulator, with `secret` as its credential and
    /// sending through `transport`.
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector>;
    /// The credential the emulator accepts (also the canary searched for in errors).
    fn secret(&self) -> &str;
    /// The running emulator: its request log and fault plan are what the checks clear,
    /// fault and count.
    fn emulator(&self) -> &InstrumentedServer;
}

/// One call used to exercise a connector.
#[derive(Debug, Clone)]
pub(crate) enum Probe {
    /// `Connector::check`.
    Check,
    /// The first page of a poll.
    Poll {
        /// Trigger event.
        event: &'static str,
        /// Trigger settings.
        settings: Map<String, Value>,
        /// Stored cursor.
        cursor: Option<Value>,
        /// The poll's `now`.
        now: DateTime<Utc>,
    },
    /// An action.
    Action {
        /// Action name.
        name: &'static str,
        /// Its inputs.
        input: Map<String, Value>,
    },
}

impl Probe {
    /// Run the call, keeping only success or the error.
    pub(crate) async fn run(&self, connector: &dyn Connector) -> Result<(), ConnectorError> {
        match self {
            Probe::Check => connector.check().await,
            Probe::Poll {
                event,
                settings,
                cursor,
                now,
            } => connector
                .poll(PollRequest {
                    event,
                    settings,
                    cursor: cursor.as_ref(),
                    page: None,
                    now: *now,
                })
                .await
                .map(|_| ()),
            Probe::Action { name, input } => connector
                .execute(ActionCall {
                    action: name,
                    input,
                    idempotency_key: "conformance-key",
                })
                .await
                .map(|_| ()),
        }
    }
}

/// A fresh transport with default limits (fresh, so a `Retry-After` pause from one check
/// never slows the next).
pub(crate) fn transport() -> HttpTransport {
    transport_with(TransportConfig::default())
}

/// A fresh transport with these limits.
pub(crate) fn transport_with(config: TransportConfig) -> HttpTransport {
    HttpTransport::new(config).expect("transport builds")
}

/// The error's text in every form it could be written (Display and Debug) must not hold
/// the secret.
pub(crate) fn assert_no_secret(error: &ConnectorError, secret: &str) {
    let shown = format!("{error} / {error:?}");
    assert!(
        !shown.contains(secret),
        "secret leaked into error text: {shown}"
    );
}

async fn fails(
    target: &impl ConformanceTarget,
    connector: &dyn Connector,
    probe: &Probe,
) -> ConnectorError {
    let error = probe
        .run(connector)
        .await
        .expect_err("the call should fail");
    assert_no_secret(&error, target.secret());
    error
}

/// A wrong credential is `Auth`, advised `ConnectionBroken`, after exactly one request,
/// and neither the wrong nor the right credential shows in the error.
pub(crate) async fn wrong_key_is_auth_and_not_retried(
    target: &impl ConformanceTarget,
    probe: &Probe,
) {
    let wrong = format!("wrong-{}-credential", target.secret().len());
    let connector = target.build(&wrong, &transport());
    target.emulator().log().clear();
    let error = fails(target, connector.as_ref(), probe).await;
    assert!(
        matches!(error, ConnectorError::Auth { .. }),
        "expected Auth, got {error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken);
    assert_no_secret(&error, &wrong);
    assert_eq!(
        target.emulator().log().len(),
        1,
        "a refused credential must not be retried: {:?}",
        target.emulator().log().all()
    );
}

/// A rate-limit answer (`fault`) makes the item wait `expected`: `RateLimited` (an
/// attempt spent), or `Unavailable` for a target that refuses all work for a while and
/// did nothing with the request (Salesforce's spent daily quota: no attempt spent).
pub(crate) async fn rate_limit_waits_as_told(
    target: &impl ConformanceTarget,
    probe: &Probe,
    fault: Fault,
    expected: Duration,
) {
    let connector = target.build(target.secret(), &transport());
    target.emulator().faults().clear();
    target.emulator().faults().push(fault);
    let error = fails(target, connector.as_ref(), probe).await;
    match error {
        ConnectorError::RateLimited { .. } => {
            assert_eq!(error.advice(), RetryAdvice::After(expected));
        }
        ConnectorError::Unavailable { .. } => {
            assert_eq!(error.advice(), RetryAdvice::NotSent(expected));
        }
        _ => panic!("expected RateLimited or Unavailable, got {error:?}"),
    }
}

/// A server error with `status` is retried with backoff.
pub(crate) async fn server_error_backs_off(
    target: &impl ConformanceTarget,
    probe: &Probe,
    status: u16,
) {
    let connector = target.build(target.secret(), &transport());
    target.emulator().faults().clear();
    target.emulator().faults().push(Fault::status(status));
    let error = fails(target, connector.as_ref(), probe).await;
    assert_eq!(
        error.advice(),
        RetryAdvice::Backoff,
        "HTTP {status} gave {error:?}"
    );
}

/// A 200 whose body is cut mid-JSON is an invalid response (retried with backoff).
pub(crate) async fn broken_body_is_invalid_response(
    target: &impl ConformanceTarget,
    probe: &Probe,
) {
    let connector = target.build(target.secret(), &transport());
    target.emulator().faults().clear();
    target.emulator().faults().push(Fault::BrokenBody);
    let error = fails(target, connector.as_ref(), probe).await;
    assert!(
        matches!(error, ConnectorError::InvalidResponse(_)),
        "expected InvalidResponse, got {error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::Backoff);
}

/// A body over the transport's size cap is refused, not read into memory.
pub(crate) async fn huge_body_is_refused(target: &impl ConformanceTarget, probe: &Probe) {
    let config = TransportConfig {
        max_response_bytes: 64 * 1024,
        ..TransportConfig::default()
    };
    let connector = target.build(target.secret(), &transport_with(config));
    target.emulator().faults().clear();
    target
        .emulator()
        .faults()
        .push(Fault::HugeBody { bytes: 256 * 1024 });
    let error = fails(target, connector.as_ref(), probe).await;
    assert!(
        matches!(error, ConnectorError::InvalidResponse(_)),
        "expected InvalidResponse, got {error:?}"
    );
    assert!(error.to_string().contains("cap"), "{error}");
}

/// An answer slower than the request timeout is "no answer" (retried with backoff; for
/// actions the engine first checks whether the request took effect).
pub(crate) async fn slow_answer_times_out(target: &impl ConformanceTarget, probe: &Probe) {
    let config = TransportConfig {
        request_timeout: Duration::from_millis(300),
        ..TransportConfig::default()
    };
    let connector = target.build(target.secret(), &transport_with(config));
    target.emulator().faults().clear();
    target
        .emulator()
        .faults()
        .push(Fault::Delay(Duration::from_secs(30)));
    let error = fails(target, connector.as_ref(), probe).await;
    assert!(
        matches!(error, ConnectorError::NoAnswer(_)),
        "expected NoAnswer, got {error:?}"
    );
    assert_eq!(error.advice(), RetryAdvice::Backoff);
}

/// Every generic failure check. `server_status` is a 5xx the system uses for "try again"
/// (not its rate-limit status), `rate_limit` the system's rate-limit answer and the wait it
/// asks for.
pub(crate) async fn run_failure_suite(
    target: &impl ConformanceTarget,
    probe: &Probe,
    server_status: u16,
    rate_limit: (Fault, Duration),
) {
    wrong_key_is_auth_and_not_retried(target, probe).await;
    rate_limit_waits_as_told(target, probe, rate_limit.0, rate_limit.1).await;
    server_error_backs_off(target, probe, server_status).await;
    broken_body_is_invalid_response(target, probe).await;
    huge_body_is_refused(target, probe).await;
    slow_answer_times_out(target, probe).await;
    target.emulator().faults().clear();
}

/// What one complete poll returned.
#[derive(Debug, Clone)]
pub(crate) struct Drained {
    /// Items of every page, in order.
    pub items: Vec<Value>,
    /// The cursor to store (from the last page).
    pub cursor: Option<Value>,
    /// Pages fetched.
    pub pages: usize,
}

/// A poll to drive to its end.
#[derive(Debug, Clone)]
pub(crate) struct PollArgs<'a> {
    /// Trigger event.
    pub event: &'a str,
    /// Trigger settings.
    pub settings: &'a Map<String, Value>,
    /// Stored cursor.
    pub cursor: Option<Value>,
    /// The poll's `now`.
    pub now: DateTime<Utc>,
}

/// Fetch every page of one poll, as the engine does: follow `next_page` until it is
/// absent, keep the last page's cursor (or the stored one when no page set it).
pub(crate) async fn drain_poll(
    connector: &dyn Connector,
    args: PollArgs<'_>,
) -> Result<Drained, ConnectorError> {
    const MAX_PAGES: usize = 10_000;
    let mut drained = Drained {
        items: Vec::new(),
        cursor: args.cursor.clone(),
        pages: 0,
    };
    let mut page: Option<Value> = None;
    loop {
        let result = connector
            .poll(PollRequest {
                event: args.event,
                settings: args.settings,
                cursor: args.cursor.as_ref(),
                page: page.as_ref(),
                now: args.now,
            })
            .await?;
        drained.pages += 1;
        assert!(
            drained.pages <= MAX_PAGES,
            "poll never ended (next page token {:?})",
            result.next_page
        );
        drained.items.extend(result.items);
        if result.cursor.is_some() {
            drained.cursor = result.cursor;
        }
        match result.next_page {
            Some(next) => page = Some(next),
            None => return Ok(drained),
        }
    }
}

/// The items' `key` fields (rendered as text) are exactly `expected`, each once.
pub(crate) fn assert_exactly_once(
    items: &[Value],
    key: &str,
    expected: impl IntoIterator<Item = String>,
) {
    let mut seen: Vec<String> = items
        .iter()
        .map(|item| match &item[key] {
            Value::String(s) => s.clone(),
            Value::Null => panic!("item without `{key}`: {item}"),
            other => other.to_string(),
        })
        .collect();
    seen.sort();
    let duplicates: Vec<&String> = seen
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| &w[0])
        .collect();
    assert!(
        duplicates.is_empty(),
        "items delivered twice: {duplicates:?}"
    );
    let mut expected: Vec<String> = expected.into_iter().collect();
    expected.sort();
    assert_eq!(seen, expected, "items delivered differ from those expected");
}

/// A `Map` from a JSON object literal (for probe inputs and settings).
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("expected a JSON object, got {other}"),
    }
}
