//! The shared connector conformance checks, run for the `http` connector's check, poll
//! and request paths.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{ApiState, build_with, router};
use crate::conformance::{
    ConformanceTarget, Probe, object, rate_limit_waits_as_told, run_failure_suite,
    server_error_backs_off, slow_answer_times_out, wrong_key_is_auth_and_not_retried,
};
use crate::connector::Connector;
use crate::emulation::{Fault, InstrumentedServer};
use crate::transport::HttpTransport;

const TOKEN: &str = "good-token-1";

struct Target {
    server: InstrumentedServer,
}

impl Target {
    async fn start() -> Target {
        let app = router(Arc::new(ApiState::default()));
        Target {
            server: InstrumentedServer::start(app).await.unwrap(),
        }
    }
}

impl ConformanceTarget for Target {
    fn build(&self, secret: &str, transport: &HttpTransport) -> Arc<dyn Connector> {
        build_with(
            &self.server.base_url(),
            json!({"check_path": "/protected"}),
            &[("bearer_token", secret)],
            transport,
        )
        .unwrap()
    }
    fn secret(&self) -> &str {
        TOKEN
    }
    fn emulator(&self) -> &InstrumentedServer {
        &self.server
    }
}

fn rate_limit() -> (Fault, Duration) {
    (Fault::too_many_requests(3), Duration::from_secs(3))
}

/// The probe works against the healthy API before any failure is injected.
async fn succeeds(target: &Target, probe: &Probe) {
    let connector = target.build(TOKEN, &crate::conformance::transport());
    probe.run(connector.as_ref()).await.unwrap();
}

#[tokio::test]
async fn poll_passes_the_failure_suite() {
    let target = Target::start().await;
    let probe = Probe::Poll {
        event: "poll",
        settings: object(json!({"path": "/protected"})),
        cursor: None,
        now: chrono::Utc::now(),
    };
    succeeds(&target, &probe).await;
    run_failure_suite(&target, &probe, 503, rate_limit()).await;
}

#[tokio::test]
async fn request_passes_the_failure_suite() {
    let target = Target::start().await;
    let probe = Probe::Action {
        name: "request",
        input: object(json!({"method": "GET", "path": "/protected", "outputs": {"first": "0.id"}})),
    };
    succeeds(&target, &probe).await;
    run_failure_suite(&target, &probe, 502, rate_limit()).await;
}

#[tokio::test]
async fn check_passes_the_checks_that_apply() {
    // `check` reads no body, so the broken- and huge-body checks do not apply to it.
    let target = Target::start().await;
    let probe = Probe::Check;
    succeeds(&target, &probe).await;
    wrong_key_is_auth_and_not_retried(&target, &probe).await;
    let (fault, wait) = rate_limit();
    rate_limit_waits_as_told(&target, &probe, fault, wait).await;
    server_error_backs_off(&target, &probe, 500).await;
    slow_answer_times_out(&target, &probe).await;
}
