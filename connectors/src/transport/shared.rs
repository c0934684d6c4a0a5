//! Rate limits shared by several workers.
//!
//! The in-process [`AccountLimiter`](super::AccountLimiter) keeps one process under an
//! account's limit. When several workers (processes or machines) send to the same account,
//! each one's limiter alone would let the account see the limit times the number of
//! workers. A [`SharedRateLimiter`] keeps the account's schedule somewhere all workers see
//! (the engine's PostgreSQL database): before each request a worker reserves the next free
//! slot and is told how long to wait for it. The transport uses it in addition to the
//! in-process limiter, which still caps concurrency and spreads a process's own requests.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::RateLimit;
use crate::error::ConnectorError;

/// An account's request schedule, shared by every worker that sends to it.
///
/// Implementations must be atomic across workers: two concurrent reservations for the same
/// account never get the same slot. Waits are returned as durations (not instants) so that
/// workers whose clocks disagree still wait the right amount.
#[async_trait]
pub trait SharedRateLimiter: Send + Sync {
    /// Reserve the next slot for one request to `account_key` under `limit`, and return
    /// how long to wait before sending it (zero when it may go now). The slot is taken even
    /// if the caller then does not send, which only ever makes the account quieter.
    ///
    /// An error means no slot was reserved; the caller must not send.
    async fn reserve(
        &self,
        account_key: &str,
        limit: RateLimit,
    ) -> Result<Duration, ConnectorError>;

    /// The target asked for a pause (`Retry-After`): no slot of `account_key` may start
    /// sooner than `wait` from now, for any worker.
    async fn pause(
        &self,
        account_key: &str,
        limit: RateLimit,
        wait: Duration,
    ) -> Result<(), ConnectorError>;
}

/// One connection's use of a shared limiter: the account it sends to and its limit.
#[derive(Clone)]
pub(super) struct SharedAccount {
    limiter: Arc<dyn SharedRateLimiter>,
    account_key: String,
    limit: RateLimit,
}

impl SharedAccount {
    /// The shared schedule of `account_key` under `limit`.
    pub(super) fn new(
        limiter: Arc<dyn SharedRateLimiter>,
        account_key: String,
        limit: RateLimit,
    ) -> Self {
        SharedAccount {
            limiter,
            account_key,
            limit,
        }
    }

    /// Reserve a slot and wait for it.
    pub(super) async fn wait_turn(&self) -> Result<(), ConnectorError> {
        let wait = self.limiter.reserve(&self.account_key, self.limit).await?;
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }

    /// Tell every worker to hold off for `wait`. A failure is logged, not returned: the
    /// answer that asked for the pause is still the caller's to handle, and this worker's
    /// own limiter pauses regardless.
    pub(super) async fn pause(&self, wait: Duration) {
        if let Err(e) = self
            .limiter
            .pause(&self.account_key, self.limit, wait)
            .await
        {
            tracing::warn!(error = %e, "could not share a rate-limit pause with other workers");
        }
    }

    /// [`SharedAccount::pause`] from code that cannot wait for it (a connector reading a
    /// vendor's own "come back later" header).
    pub(super) fn pause_in_background(&self, wait: Duration) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no async runtime; a rate-limit pause stays local to this worker");
            return;
        };
        let account = self.clone();
        runtime.spawn(async move { account.pause(wait).await });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tokio::time::Instant;

    use super::*;
    use crate::emulation::EmulatorServer;
    use crate::secret::Redactor;
    use crate::transport::{ConnectionOptions, HttpTransport, TransportConfig};

    /// What the fake shared limiter was asked, and what it answers.
    #[derive(Default)]
    struct FakeLimiter {
        wait: Duration,
        refuse: bool,
        reserved: Mutex<Vec<(String, RateLimit)>>,
        paused: Mutex<Vec<(String, Duration)>>,
    }

    #[async_trait]
    impl SharedRateLimiter for FakeLimiter {
        async fn reserve(
            &self,
            account_key: &str,
            limit: RateLimit,
        ) -> Result<Duration, ConnectorError> {
            if self.refuse {
                return Err(ConnectorError::Transport("schedule unreachable".into()));
            }
            self.reserved
                .lock()
                .unwrap()
                .push((account_key.to_string(), limit));
            Ok(self.wait)
        }

        async fn pause(
            &self,
            account_key: &str,
            _limit: RateLimit,
            wait: Duration,
        ) -> Result<(), ConnectorError> {
            self.paused
                .lock()
                .unwrap()
                .push((account_key.to_string(), wait));
            Ok(())
        }
    }

    /// A server answering `GET /ok` with 200 and `GET /busy` with 429 `Retry-After: 3`,
    /// counting requests.
    async fn server(hits: Arc<AtomicUsize>) -> EmulatorServer {
        let ok_hits = hits.clone();
        let router = Router::new()
            .route(
                "/ok",
                get(move || {
                    ok_hits.fetch_add(1, Ordering::SeqCst);
                    async { "{}" }
                }),
            )
            .route(
                "/busy",
                get(move || {
                    hits.fetch_add(1, Ordering::SeqCst);
                    async {
                        (
                            StatusCode::TOO_MANY_REQUESTS,
                            [("retry-after", "3")],
                            "slow down",
                        )
                    }
                }),
            );
        EmulatorServer::start(router).await.unwrap()
    }

    fn client(
        limiter: Arc<FakeLimiter>,
        limit: Option<RateLimit>,
    ) -> crate::transport::ConnectionClient {
        HttpTransport::new(TransportConfig::default())
            .unwrap()
            .with_shared_limiter(limiter)
            .connection(ConnectionOptions {
                account_key: "test:account".into(),
                rate_limit: limit,
                redactor: Redactor::default(),
            })
    }

    const SEVEN_PER_SECOND: RateLimit = RateLimit::per(7, Duration::from_secs(1));

    #[tokio::test(start_paused = true)]
    async fn each_request_waits_for_its_reserved_slot() {
        let hits = Arc::new(AtomicUsize::new(0));
        let server = server(hits.clone()).await;
        let limiter = Arc::new(FakeLimiter {
            wait: Duration::from_millis(400),
            ..FakeLimiter::default()
        });
        let client = client(limiter.clone(), Some(SEVEN_PER_SECOND));
        let url = format!("{}/ok", server.base_url());
        let start = Instant::now();
        for _ in 0..2 {
            let response = client
                .send(client.request(reqwest::Method::GET, &url))
                .await;
            assert_eq!(response.unwrap().status, 200);
        }
        assert!(
            start.elapsed() >= Duration::from_millis(800),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        let reserved = limiter.reserved.lock().unwrap().clone();
        assert_eq!(
            reserved,
            vec![
                ("test:account".to_string(), SEVEN_PER_SECOND),
                ("test:account".to_string(), SEVEN_PER_SECOND)
            ]
        );
    }

    #[tokio::test]
    async fn a_connection_without_a_limit_does_not_reserve() {
        let hits = Arc::new(AtomicUsize::new(0));
        let server = server(hits.clone()).await;
        let limiter = Arc::new(FakeLimiter::default());
        let client = client(limiter.clone(), None);
        let url = format!("{}/ok", server.base_url());
        client
            .send(client.request(reqwest::Method::GET, &url))
            .await
            .unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        assert!(limiter.reserved.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn nothing_is_sent_when_no_slot_could_be_reserved() {
        let hits = Arc::new(AtomicUsize::new(0));
        let server = server(hits.clone()).await;
        let limiter = Arc::new(FakeLimiter {
            refuse: true,
            ..FakeLimiter::default()
        });
        let client = client(limiter, Some(SEVEN_PER_SECOND));
        let url = format!("{}/ok", server.base_url());
        let error = client
            .send(client.request(reqwest::Method::GET, &url))
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("schedule unreachable"),
            "{error}"
        );
        assert_eq!(hits.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_retry_after_pauses_every_worker() {
        let hits = Arc::new(AtomicUsize::new(0));
        let server = server(hits).await;
        let limiter = Arc::new(FakeLimiter::default());
        let client = client(limiter.clone(), Some(SEVEN_PER_SECOND));
        let url = format!("{}/busy", server.base_url());
        let response = client
            .send(client.request(reqwest::Method::GET, &url))
            .await
            .unwrap();
        assert_eq!(response.status, 429);
        assert_eq!(
            limiter.paused.lock().unwrap().clone(),
            vec![("test:account".to_string(), Duration::from_secs(3))]
        );
    }
}
