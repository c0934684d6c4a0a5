//! A bundle made ready to run: its connectors built once from resolved settings, a
//! redactor that knows every secret the bundle uses, and its concurrency limit.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ferry_connectors::connector::BuildContext;
use ferry_connectors::oauth::OAuthSessions;
use ferry_connectors::transport::HttpTransport;
use ferry_connectors::{Connector, ConnectorError, Redactor, Settings, registry};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::secrets::{SecretError, SecretSource};
use super::webhooks::{WebhookKeyError, WebhookKeys};
use crate::bundle::{Bundle, SecretRef};

/// A validated bundle with its connectors.
pub struct PreparedBundle {
    /// The bundle.
    pub bundle: Bundle,
    /// Connectors by connection name.
    pub connectors: HashMap<String, Arc<dyn Connector>>,
    /// Scrubs every secret of this bundle's connections.
    pub redactor: Redactor,
    /// `{"id": .., "name": ..}` for the `bundle` root of expressions.
    pub bundle_json: Value,
    /// Limits how many of this bundle's items run at once.
    pub concurrency: Arc<Semaphore>,
    /// The resolved `trigger.webhook` credentials of a webhook-delivered trigger.
    pub webhook: Option<WebhookKeys>,
}

impl std::fmt::Debug for PreparedBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedBundle")
            .field("id", &self.bundle.id)
            .finish_non_exhaustive()
    }
}

/// Why a bundle cannot start. Other bundles are not affected.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// A secret reference did not resolve.
    #[error("bundle `{bundle}`, connection `{connection}`, setting `{setting}`: {source}")]
    Secret {
        /// Bundle id.
        bundle: String,
        /// Connection name.
        connection: String,
        /// Setting name.
        setting: String,
        /// Why.
        source: SecretError,
    },
    /// The connector refused its settings.
    #[error("bundle `{bundle}`, connection `{connection}`: {source}")]
    Connector {
        /// Bundle id.
        bundle: String,
        /// Connection name.
        connection: String,
        /// Why (redacted).
        source: ConnectorError,
    },
    /// A `trigger.webhook` credential did not resolve.
    #[error("bundle `{bundle}`, {source}")]
    Webhook {
        /// Bundle id.
        bundle: String,
        /// Why.
        source: WebhookKeyError,
    },
}

impl PreparedBundle {
    /// Resolve secrets and build every connection's connector. OAuth2 tokens refreshed by
    /// these connectors are kept in memory only; engines that run bundles use
    /// [`PreparedBundle::prepare_with_oauth`] with the store's vault.
    pub fn prepare(
        bundle: Bundle,
        secrets: &SecretSource,
        http: &HttpTransport,
    ) -> Result<PreparedBundle, Box<PrepareError>> {
        Self::prepare_with_oauth(bundle, secrets, http, &OAuthSessions::default())
    }

    /// Resolve secrets and build every connection's connector, keeping OAuth2 tokens in
    /// `oauth` (see [`crate::runtime::oauth_sessions`]: the store, so refreshed tokens
    /// survive restarts and are shared between workers).
    pub fn prepare_with_oauth(
        bundle: Bundle,
        secrets: &SecretSource,
        http: &HttpTransport,
        oauth: &OAuthSessions,
    ) -> Result<PreparedBundle, Box<PrepareError>> {
        let mut connectors = HashMap::new();
        let mut redactor = Redactor::default();
        for (name, connection) in &bundle.connections {
            let kind = registry::find(&connection.kind).ok_or_else(|| {
                Box::new(PrepareError::Connector {
                    bundle: bundle.id.clone(),
                    connection: name.clone(),
                    source: ConnectorError::Config(format!(
                        "unknown connector kind `{}`",
                        connection.kind
                    )),
                })
            })?;
            let spec = kind.spec();
            let mut values = connection.settings.clone();
            let mut resolved = BTreeMap::new();
            for (setting, reference) in &connection.secrets {
                let value = secrets.resolve(reference).map_err(|source| {
                    Box::new(PrepareError::Secret {
                        bundle: bundle.id.clone(),
                        connection: name.clone(),
                        setting: setting.clone(),
                        source,
                    })
                })?;
                // A reference in a non-secret setting is read by the connector as plain
                // configuration. From `${secret:..}` it is still a secret (a Bitrix24
                // webhook URL carries its key in the path), so it is redacted everywhere;
                // from `${env:..}` (a site id) it stays readable in messages.
                if spec.setting(setting).is_some_and(|s| !s.secret) {
                    if matches!(reference, SecretRef::Secret(_)) {
                        redactor.extend([value.expose().to_string()]);
                    }
                    values.insert(setting.clone(), Value::String(value.expose().to_string()));
                } else {
                    resolved.insert(setting.clone(), value);
                }
            }
            let settings = Settings::new(values, resolved);
            redactor.merge(&settings.redactor());
            let ctx = BuildContext {
                http: http.with_rate_limit_override(connection.rate_limit),
                connection_name: name.clone(),
                oauth: oauth.clone(),
            };
            let connector = kind.build(settings, &ctx).map_err(|source| {
                Box::new(PrepareError::Connector {
                    bundle: bundle.id.clone(),
                    connection: name.clone(),
                    source,
                })
            })?;
            connectors.insert(name.clone(), connector);
        }
        // Resolved once here, so a missing credential stops this bundle at startup and
        // the values are redacted like every other secret of the bundle.
        let webhook = match &bundle.trigger.webhook {
            Some(auth) => {
                let keys = WebhookKeys::resolve(auth, secrets).map_err(|source| {
                    Box::new(PrepareError::Webhook {
                        bundle: bundle.id.clone(),
                        source,
                    })
                })?;
                redactor.extend(keys.secret_values());
                Some(keys)
            }
            None => None,
        };
        let bundle_json = json!({"id": bundle.id, "name": bundle.name});
        let concurrency = Arc::new(Semaphore::new(bundle.run.concurrency.max(1)));
        Ok(PreparedBundle {
            bundle,
            connectors,
            redactor,
            bundle_json,
            concurrency,
            webhook,
        })
    }

    /// The connector of a connection (validation guarantees it exists).
    pub fn connector(&self, connection: &str) -> Result<&Arc<dyn Connector>, ConnectorError> {
        self.connectors
            .get(connection)
            .ok_or_else(|| ConnectorError::Config(format!("no connection `{connection}`")))
    }
}
