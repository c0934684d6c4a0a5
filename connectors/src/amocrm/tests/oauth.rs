//! OAuth2 connections against the emulator's token endpoint: an access token that
//! expires mid-run is refreshed once and the request repeated (nothing lost, nothing
//! created twice), concurrent 401s share one refresh, a refused refresh breaks the
//! connection, and tokens never appear in error text.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::execute;
use crate::amocrm::{AmoCrmEmulator, AmoCrmEmulatorConfig, AmoCrmKind};
use crate::conformance::transport;
use crate::connector::{BuildContext, Connector, ConnectorKind, Settings};
use crate::emulation::Fault;
use crate::error::RetryAdvice;
use crate::oauth::{MemoryVault, OAuthSessions, TokenVault};
use crate::secret::SecretString;
use crate::test_kit;

/// An emulator with an OAuth2 integration, and a vault the connectors keep tokens in.
struct OAuthWorld {
    emulator: AmoCrmEmulator,
    vault: Arc<dyn TokenVault>,
}

impl OAuthWorld {
    async fn start() -> OAuthWorld {
        OAuthWorld {
            emulator: AmoCrmEmulator::start(AmoCrmEmulatorConfig::with_oauth()).await,
            vault: Arc::new(MemoryVault::default()),
        }
    }

    fn settings(&self) -> Settings {
        let client = self.emulator_client();
        let values = json!({
            "base_url": self.emulator.base_url(),
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
        });
        let secrets = BTreeMap::from([
            (
                "access_token".to_string(),
                SecretString::new(self.emulator.token()),
            ),
            (
                "refresh_token".to_string(),
                SecretString::new(client.refresh_token.clone()),
            ),
            (
                "client_secret".to_string(),
                SecretString::new(client.client_secret.clone()),
            ),
        ]);
        Settings::new(values.as_object().cloned().unwrap(), secrets)
    }

    fn emulator_client(&self) -> crate::amocrm::emulator::EmulatedOAuthClient {
        AmoCrmEmulatorConfig::with_oauth().oauth.unwrap()
    }

    /// A connector over `settings` whose tokens live in this world's vault.
    fn connector_with(&self, settings: Settings) -> Arc<dyn Connector> {
        let ctx = BuildContext {
            oauth: OAuthSessions::new(self.vault.clone()),
            ..BuildContext::new(transport(), "amo")
        };
        AmoCrmKind.build(settings, &ctx).expect("connector builds")
    }

    fn connector(&self) -> Arc<dyn Connector> {
        self.connector_with(self.settings())
    }

    fn lead_posts(&self) -> Vec<(String, Value)> {
        self.emulator
            .requests()
            .into_iter()
            .filter(|r| r.line() == "POST /api/v4/leads")
            .map(|r| {
                let auth = r
                    .headers
                    .iter()
                    .find(|(k, _)| k == "authorization")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                (auth, r.json().unwrap())
            })
            .collect()
    }
}

async fn create_lead(connector: &dyn Connector, name: &str) -> Result<i64, crate::ConnectorError> {
    let out = execute(connector, "create_lead", json!({"name": name})).await?;
    Ok(out["id"].as_i64().unwrap())
}

#[tokio::test]
async fn a_token_expiring_mid_run_is_refreshed_once_and_no_lead_is_lost_or_doubled() {
    let world = OAuthWorld::start().await;
    let connector = world.connector();
    let first_token = world.emulator.token();
    for n in 1..=3 {
        create_lead(&*connector, &format!("Звонок {n}"))
            .await
            .unwrap();
    }
    world.emulator.expire_access_token();
    for n in 4..=6 {
        create_lead(&*connector, &format!("Звонок {n}"))
            .await
            .unwrap();
    }
    let names: Vec<Value> = world
        .emulator
        .leads()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    let expected: Vec<Value> = (1..=6).map(|n| json!(format!("Звонок {n}"))).collect();
    assert_eq!(names, expected);
    assert_eq!(world.emulator.token_requests(), 1);
    // Lead 4 was sent twice: refused with the expired token (nothing created), then
    // accepted with the new one; every other lead once.
    let posts = world.lead_posts();
    assert_eq!(posts.len(), 7);
    assert_eq!(posts[3].0, format!("Bearer {first_token}"));
    assert_eq!(posts[4].0, format!("Bearer {}", world.emulator.token()));
    assert_eq!(posts[3].1, posts[4].1);
    // The token endpoint got amoCRM's JSON refresh request.
    let refresh = world
        .emulator
        .requests()
        .into_iter()
        .find(|r| r.path == "/oauth2/access_token")
        .unwrap();
    let body = refresh.json().unwrap();
    let client = world.emulator_client();
    assert_eq!(
        body,
        json!({"grant_type": "refresh_token", "client_id": client.client_id,
               "client_secret": client.client_secret, "refresh_token": client.refresh_token,
               "redirect_uri": client.redirect_uri})
    );
    // The rotated tokens are in the vault, so a restart (new sessions, same stale
    // settings) goes on with them instead of spending the used refresh token.
    let restarted = world.connector();
    create_lead(&*restarted, "После перезапуска").await.unwrap();
    assert_eq!(world.emulator.token_requests(), 1);
    assert_eq!(world.emulator.leads().len(), 7);
}

#[tokio::test]
async fn concurrent_requests_hitting_401_share_one_refresh() {
    let world = OAuthWorld::start().await;
    let connector = world.connector();
    create_lead(&*connector, "до").await.unwrap();
    world.emulator.expire_access_token();
    let calls: Vec<_> = (0..10)
        .map(|n| {
            let c = connector.clone();
            tokio::spawn(async move { create_lead(&*c, &format!("параллельно {n}")).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(world.emulator.token_requests(), 1);
    assert_eq!(world.emulator.leads().len(), 11);
    // Every lead was accepted once, with the one new token.
    let current = format!("Bearer {}", world.emulator.token());
    let accepted = world
        .lead_posts()
        .into_iter()
        .filter(|(auth, _)| *auth == current)
        .count();
    assert_eq!(accepted, 10);
}

#[tokio::test]
async fn a_revoked_grant_breaks_the_connection_without_showing_any_token() {
    let world = OAuthWorld::start().await;
    let connector = world.connector();
    let client = world.emulator_client();
    let access = world.emulator.token();
    world.emulator.revoke_refresh_token();
    world.emulator.expire_access_token();
    let error = create_lead(&*connector, "не дойдёт").await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken);
    let text = error.to_string();
    assert!(text.contains("Token has been revoked"), "{text}");
    for secret in [&access, &client.refresh_token, &client.client_secret] {
        assert!(!text.contains(secret.as_str()), "{text}");
    }
    // Later requests do not offer the refused refresh token again.
    let again = create_lead(&*connector, "и это").await.unwrap_err();
    assert_eq!(again.advice(), RetryAdvice::ConnectionBroken);
    assert_eq!(world.emulator.token_requests(), 1);
    assert!(world.emulator.leads().is_empty());
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_broken_connection_too() {
    let world = OAuthWorld::start().await;
    let mut secrets = BTreeMap::new();
    let client = world.emulator_client();
    secrets.insert(
        "access_token".to_string(),
        SecretString::new(world.emulator.token()),
    );
    secrets.insert(
        "refresh_token".to_string(),
        SecretString::new(client.refresh_token),
    );
    secrets.insert(
        "client_secret".to_string(),
        SecretString::new("wrong-secret-0000"),
    );
    let values = json!({"base_url": world.emulator.base_url(), "client_id": client.client_id,
                        "redirect_uri": client.redirect_uri});
    let connector =
        world.connector_with(Settings::new(values.as_object().cloned().unwrap(), secrets));
    world.emulator.expire_access_token();
    let error = connector.check().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken);
    assert!(
        error.to_string().contains("Client authentication failed"),
        "{error}"
    );
    assert!(!error.to_string().contains("wrong-secret-0000"));
}

#[tokio::test]
async fn refreshed_tokens_are_scrubbed_from_error_text() {
    let world = OAuthWorld::start().await;
    let connector = world.connector();
    world.emulator.expire_access_token();
    connector.check().await.unwrap();
    let new_access = world.emulator.token();
    let new_refresh = world.emulator.refresh_token().unwrap();
    // A validation answer that echoes the tokens back (as a misbehaving proxy might).
    world.emulator.faults().push(
        Fault::status(400).with_body(format!(
            "{{\"title\":\"Bad Request\",\"status\":400,\"detail\":\"token {new_access} / {new_refresh}\"}}"
        )),
    );
    let text = create_lead(&*connector, "эхо")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        !text.contains(&new_access) && !text.contains(&new_refresh),
        "{text}"
    );
    assert!(text.contains("[REDACTED]"), "{text}");
}

#[tokio::test]
async fn a_long_lived_token_is_sent_as_is_and_never_refreshed() {
    let emulator =
        AmoCrmEmulator::start(AmoCrmEmulatorConfig::with_token("long-lived-token-77")).await;
    let settings = super::settings(&emulator, "long-lived-token-77");
    let connector = test_kit::build(&AmoCrmKind, settings, &transport(), "amo").unwrap();
    connector.check().await.unwrap();
    emulator.expire_access_token();
    let error = connector.check().await.unwrap_err();
    assert_eq!(error.advice(), RetryAdvice::ConnectionBroken);
    assert_eq!(emulator.token_requests(), 0);
}
