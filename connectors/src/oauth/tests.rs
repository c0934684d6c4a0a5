//! The refresh rules against a token endpoint and an API on loopback (RFC 6749 form
//! encoding and answers, as Salesforce uses them; amoCRM's JSON flavour is tested against
//! its emulator in `amocrm/tests/oauth.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::connector::{BuildContext, Settings};
use crate::error::{ConnectorError, RetryAdvice};
use crate::secret::SecretString;
use crate::transport::{ConnectionClient, ConnectionOptions, HttpTransport, TransportConfig};

const OLD: &str = "tok-old-7a1c";
const NEW: &str = "tok-new-9b2d";
const REFRESH: &str = "ref-first-5e6f";
const TOKEN_PATH: &str = "/services/oauth2/token";

fn settings(access: Option<&str>) -> Settings {
    let mut secrets = BTreeMap::new();
    if let Some(access) = access {
        secrets.insert(ACCESS_TOKEN.to_string(), SecretString::new(access));
    }
    secrets.insert(REFRESH_TOKEN.to_string(), SecretString::new(REFRESH));
    secrets.insert(
        CLIENT_SECRET.to_string(),
        SecretString::new("client-secret-31"),
    );
    let values = json!({"client_id": "client-id-77"});
    Settings::new(values.as_object().cloned().unwrap(), secrets)
}

struct Connection {
    auth: BearerAuth,
    http: ConnectionClient,
    settings: Settings,
    base: String,
}

fn connect(server: &MockServer, sessions: &OAuthSessions, access: Option<&str>) -> Connection {
    let settings = settings(access);
    let transport = HttpTransport::new(TransportConfig::default()).unwrap();
    let ctx = BuildContext {
        oauth: sessions.clone(),
        ..BuildContext::new(transport.clone(), "crm")
    };
    let auth = BearerAuth::from_settings(
        &settings,
        &ctx,
        OAuthOptions {
            account: format!("test:{}", server.uri()),
            endpoint: TokenEndpoint {
                url: format!("{}{TOKEN_PATH}", server.uri()),
                format: TokenRequestFormat::Form,
            },
        },
    )
    .unwrap();
    let http = transport.connection(ConnectionOptions {
        account_key: format!("test:{}", server.uri()),
        rate_limit: None,
        redactor: settings.redactor(),
    });
    Connection {
        auth,
        http,
        settings,
        base: server.uri(),
    }
}

impl Connection {
    async fn get(&self) -> Result<u16, ConnectorError> {
        let request = self
            .http
            .request(reqwest::Method::GET, &format!("{}/data", self.base));
        Ok(self.auth.send(&self.http, request).await?.status)
    }
}

/// `/data` accepts only `token`; anything else gets Salesforce's expired-session answer.
async fn api_accepting(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path("/data"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/data"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!([
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ])))
        .with_priority(2)
        .mount(server)
        .await;
}

fn token_answer(access: &str) -> ResponseTemplate {
    // Salesforce's refresh answer: no new refresh token unless rotation is on.
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access, "instance_url": "https://example.my.salesforce.com",
        "id": "https://login.salesforce.com/id/00D/005", "token_type": "Bearer",
        "issued_at": "1715670000000", "signature": "c2lnbmF0dXJl"
    }))
}

fn token_requests(requests: &[wiremock::Request]) -> usize {
    requests
        .iter()
        .filter(|r| r.url.path() == TOKEN_PATH)
        .count()
}

/// The token endpoint, for a mock to answer.
fn token_endpoint() -> wiremock::MockBuilder {
    Mock::given(method("POST")).and(path(TOKEN_PATH))
}

/// Two workers: separate sessions over one vault.
fn two_workers(server: &MockServer) -> (Connection, Connection) {
    let vault: Arc<dyn TokenVault> = Arc::new(MemoryVault::default());
    (
        connect(server, &OAuthSessions::new(vault.clone()), Some(OLD)),
        connect(server, &OAuthSessions::new(vault), Some(OLD)),
    )
}

#[tokio::test]
async fn concurrent_401s_share_one_refresh_and_every_request_is_repeated_once() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains(
            format!("refresh_token={REFRESH}").as_str(),
        ))
        .and(body_string_contains("client_id=client-id-77"))
        .and(body_string_contains("client_secret=client-secret-31"))
        .respond_with(token_answer(NEW).set_delay(Duration::from_millis(150)))
        .expect(1)
        .mount(&server)
        .await;
    let sessions = OAuthSessions::default();
    let connection = Arc::new(connect(&server, &sessions, Some(OLD)));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let c = connection.clone();
            tokio::spawn(async move { c.get().await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), 200);
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(token_requests(&requests), 1);
    let data: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/data")
        .collect();
    let with = |t: &str| {
        data.iter()
            .filter(|r| r.headers["authorization"] == format!("Bearer {t}").as_str())
            .count()
    };
    // Every request that started with the old token was repeated exactly once with the
    // new one; requests that started during the refresh waited for it.
    assert_eq!(with(NEW), 8);
    assert_eq!(with(OLD) + with(NEW), data.len());
    // The refreshed token is stored with the refresh token kept (no rotation here).
    let stored = sessions
        .vault()
        .load(connection.auth.chain_identity().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.access_token.expose(), NEW);
    assert_eq!(stored.refresh_token.unwrap().expose(), REFRESH);
    // And scrubbed from this connection's error texts from now on.
    assert_eq!(
        connection
            .settings
            .redactor()
            .redact(&format!("echo {NEW}")),
        "echo [REDACTED]"
    );
}

#[tokio::test]
async fn a_refused_refresh_breaks_the_connection_once_without_showing_tokens() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": format!("expired access/refresh token {REFRESH}")
        })))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(&server, &OAuthSessions::default(), Some(OLD));
    let error = connection.get().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken);
    let text = error.to_string();
    assert!(text.contains("invalid_grant"), "{text}");
    assert!(!text.contains(REFRESH) && !text.contains(OLD), "{text}");
    // The same refresh token is not offered again: later requests get the same answer.
    let again = connection.get().await.unwrap_err();
    assert_eq!(again.advice(), RetryAdvice::ConnectionBroken);
}

#[tokio::test]
async fn a_busy_token_endpoint_is_transient_and_asked_again() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    token_endpoint()
        .respond_with(token_answer(NEW))
        .with_priority(2)
        .mount(&server)
        .await;
    let connection = connect(&server, &OAuthSessions::default(), Some(OLD));
    let error = connection.get().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::Backoff);
    assert_eq!(connection.get().await.unwrap(), 200);
}

#[tokio::test]
async fn a_401_after_a_refresh_is_returned_not_refreshed_again() {
    let server = MockServer::start().await;
    api_accepting(&server, "tok-nobody-has").await;
    token_endpoint()
        .respond_with(token_answer(NEW))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(&server, &OAuthSessions::default(), Some(OLD));
    assert_eq!(connection.get().await.unwrap(), 401);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.iter().filter(|r| r.url.path() == "/data").count(),
        2
    );
}

#[tokio::test]
async fn stored_tokens_outlive_the_process_and_settings_supplied_later_replace_them() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        .respond_with(token_answer(NEW))
        .expect(1)
        .mount(&server)
        .await;
    let vault: Arc<dyn TokenVault> = Arc::new(MemoryVault::default());
    let first = connect(&server, &OAuthSessions::new(vault.clone()), Some(OLD));
    assert_eq!(first.get().await.unwrap(), 200);
    // A restart: new sessions over the same vault, the same (stale) settings. The stored
    // token is used at once: no 401, no second refresh.
    let before = server.received_requests().await.unwrap().len();
    let restarted = connect(&server, &OAuthSessions::new(vault.clone()), Some(OLD));
    assert_eq!(restarted.get().await.unwrap(), 200);
    assert_eq!(server.received_requests().await.unwrap().len(), before + 1);
    // An operator supplies a different token in the settings: it is new to the chain, so
    // it replaces the stored one (and is stored for other workers).
    Mock::given(method("GET"))
        .and(path("/data"))
        .and(header("authorization", "Bearer tok-supplied-4"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .with_priority(1)
        .mount(&server)
        .await;
    let supplied = connect(
        &server,
        &OAuthSessions::new(vault.clone()),
        Some("tok-supplied-4"),
    );
    let identity = supplied.auth.chain_identity().unwrap().to_string();
    assert_eq!(supplied.get().await.unwrap(), 200);
    let stored = vault.load(&identity).await.unwrap().unwrap();
    assert_eq!(stored.access_token.expose(), "tok-supplied-4");
    assert_eq!(stored.seeds.len(), 2);
}

#[tokio::test]
async fn a_worker_adopts_tokens_another_worker_refreshed_instead_of_refreshing_again() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        .respond_with(token_answer(NEW))
        .expect(1)
        .mount(&server)
        .await;
    // The old token works for exactly one request, then expires.
    Mock::given(method("GET"))
        .and(path("/data"))
        .and(header("authorization", format!("Bearer {OLD}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    let (worker_a, worker_b) = two_workers(&server);
    assert_eq!(worker_b.get().await.unwrap(), 200);
    // A meets the expired token first and refreshes; B then gets 401 with the old token
    // and finds A's tokens in the vault instead of spending the refresh token again.
    assert_eq!(worker_a.get().await.unwrap(), 200);
    assert_eq!(worker_b.get().await.unwrap(), 200);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(token_requests(&requests), 1);
}

/// Two workers meet the expired token at the same moment: the second waits for the
/// first's refresh turn and takes its tokens, so the refresh token is spent once (amoCRM's
/// work only once; a second refresh with it would break the connection).
#[tokio::test]
async fn workers_hitting_401_together_refresh_once_between_them() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        // Slow enough that both workers are waiting on the endpoint's answer.
        .respond_with(token_answer(NEW).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let (worker_a, worker_b) = two_workers(&server);
    let (a, b) = tokio::join!(worker_a.get(), worker_b.get());
    assert_eq!((a.unwrap(), b.unwrap()), (200, 200));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(token_requests(&requests), 1);
}

/// A token announced to expire within the minute is renewed before the next request
/// instead of being sent into a 401.
#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_the_request() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": NEW, "token_type": "Bearer", "expires_in": 30
        })))
        .mount(&server)
        .await;
    let sessions = OAuthSessions::new(Arc::new(MemoryVault::default()));
    let connection = connect(&server, &sessions, Some(OLD));
    // OLD is refused: one 401, one refresh; the new token lives only 30 s.
    assert_eq!(connection.get().await.unwrap(), 200);
    // Renewed before sending: a second refresh and no second 401.
    assert_eq!(connection.get().await.unwrap(), 200);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(token_requests(&requests), 2);
    let data: Vec<&str> = requests
        .iter()
        .filter(|r| r.url.path() == "/data")
        .map(|r| r.headers["authorization"].to_str().unwrap())
        .collect();
    let bearer_new = format!("Bearer {NEW}");
    let bearer_old = format!("Bearer {OLD}");
    assert_eq!(
        data,
        [
            bearer_old.as_str(),
            bearer_new.as_str(),
            bearer_new.as_str()
        ]
    );
}

#[tokio::test]
async fn settings_with_only_a_refresh_token_refresh_before_the_first_request() {
    let server = MockServer::start().await;
    api_accepting(&server, NEW).await;
    token_endpoint()
        .respond_with(token_answer(NEW))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(&server, &OAuthSessions::default(), None);
    assert_eq!(connection.get().await.unwrap(), 200);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests.iter().filter(|r| r.url.path() == "/data").count(),
        1
    );
}
