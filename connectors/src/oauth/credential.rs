//! What an OAuth2 connection is given in its settings, read and checked once when the
//! connector is built: the access token, and, for connections that can refresh it, the
//! refresh token and the OAuth2 client (id, secret, redirect URI). A connection with only
//! an access token is a long-lived token (amoCRM offers those) and is never refreshed.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::connector::Settings;
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::spec::{SettingSpec, setting};

/// Setting: the access token (secret). Optional when a refresh token is given: the first
/// request then obtains one.
pub const ACCESS_TOKEN: &str = "access_token";
/// Setting: the refresh token (secret). Without it the access token is used as is.
pub const REFRESH_TOKEN: &str = "refresh_token";
/// Setting: the OAuth2 client id (secret or plain).
pub const CLIENT_ID: &str = "client_id";
/// Setting: the OAuth2 client secret (secret).
pub const CLIENT_SECRET: &str = "client_secret";
/// Setting: the redirect URI registered for the client (plain), sent with every refresh
/// where the vendor wants it (amoCRM does).
pub const REDIRECT_URI: &str = "redirect_uri";

/// The refresh-token setting as connectors declare it in their spec.
pub const REFRESH_TOKEN_SPEC: SettingSpec = setting(
    REFRESH_TOKEN,
    false,
    true,
    "OAuth2 refresh token; with it (and the client id and secret) the access token is renewed on 401 and the renewed tokens are kept in ferry's database",
);
/// The client-id setting as connectors declare it in their spec.
pub const CLIENT_ID_SPEC: SettingSpec = setting(
    CLIENT_ID,
    false,
    false,
    "OAuth2 client (integration) id; required with `refresh_token`",
);
/// The client-secret setting as connectors declare it in their spec.
pub const CLIENT_SECRET_SPEC: SettingSpec = setting(
    CLIENT_SECRET,
    false,
    true,
    "OAuth2 client secret; required with `refresh_token`",
);
/// The redirect-URI setting as connectors declare it in their spec.
pub const REDIRECT_URI_SPEC: SettingSpec = setting(
    REDIRECT_URI,
    false,
    false,
    "The redirect URI registered for the OAuth2 client, sent with each refresh where the vendor requires it",
);

/// An access token, the refresh token that renews it, and when the access token expires
/// (when the token endpoint said).
#[derive(Clone)]
pub struct Tokens {
    /// Sent as `Authorization: Bearer <access>`; `None` until the first refresh when the
    /// settings gave only a refresh token.
    pub access: Option<SecretString>,
    /// Renews the access token.
    pub refresh: Option<SecretString>,
    /// When the access token stops working, as announced by `expires_in`.
    pub expires_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access.as_ref().map(|_| "[REDACTED]"))
            .field("refresh", &self.refresh.as_ref().map(|_| "[REDACTED]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The OAuth2 client a refresh is made for.
#[derive(Clone)]
pub struct ClientCredentials {
    /// The client (integration, connected app) id.
    pub client_id: SecretString,
    /// The client secret.
    pub client_secret: SecretString,
    /// The redirect URI registered for the client, if the vendor wants it on refresh.
    pub redirect_uri: Option<String>,
}

/// How a connection authenticates.
#[derive(Clone)]
pub enum Credential {
    /// A token used as given and never refreshed (a long-lived token).
    Static(SecretString),
    /// Tokens renewed through the token endpoint when the API answers 401.
    Refreshable {
        /// The tokens from the connection settings.
        tokens: Tokens,
        /// The client the refresh is made for.
        client: ClientCredentials,
    },
}

impl Credential {
    /// Read the credential from a connection's settings ([`ACCESS_TOKEN`],
    /// [`REFRESH_TOKEN`], [`CLIENT_ID`], [`CLIENT_SECRET`], [`REDIRECT_URI`]). Tokens that
    /// are blank or contain whitespace (a pasted `Bearer xxx`) are refused before anything
    /// is sent, without quoting them.
    pub fn from_settings(settings: &Settings) -> Result<Credential, ConnectorError> {
        let access = bare_token(settings, ACCESS_TOKEN)?;
        let Some(refresh) = bare_token(settings, REFRESH_TOKEN)? else {
            return access.map(Credential::Static).ok_or_else(|| {
                ConnectorError::Config(format!(
                    "secret setting `{ACCESS_TOKEN}` is required (or `{REFRESH_TOKEN}` with `{CLIENT_ID}` and `{CLIENT_SECRET}`)"
                ))
            });
        };
        let client_id = match settings.secret(CLIENT_ID) {
            Some(secret) => secret.clone(),
            None => SecretString::new(settings.str(CLIENT_ID).ok_or_else(|| {
                ConnectorError::Config(format!(
                    "setting `{CLIENT_ID}` is required with `{REFRESH_TOKEN}`"
                ))
            })?),
        };
        let client_secret = settings.secret(CLIENT_SECRET).cloned().ok_or_else(|| {
            ConnectorError::Config(format!(
                "secret setting `{CLIENT_SECRET}` is required with `{REFRESH_TOKEN}`"
            ))
        })?;
        if client_id.expose().trim().is_empty() || client_secret.expose().trim().is_empty() {
            return Err(ConnectorError::Config(format!(
                "settings `{CLIENT_ID}` and `{CLIENT_SECRET}` must not be empty"
            )));
        }
        Ok(Credential::Refreshable {
            tokens: Tokens {
                access,
                refresh: Some(refresh),
                expires_at: None,
            },
            client: ClientCredentials {
                client_id: SecretString::new(client_id.expose().trim()),
                client_secret: SecretString::new(client_secret.expose().trim()),
                redirect_uri: settings.str(REDIRECT_URI).filter(|s| !s.trim().is_empty()),
            },
        })
    }
}

/// A token setting, trimmed; `None` when absent.
fn bare_token(settings: &Settings, name: &str) -> Result<Option<SecretString>, ConnectorError> {
    let Some(token) = settings.secret(name) else {
        return Ok(None);
    };
    let raw = token.expose().trim();
    if raw.is_empty() {
        return Err(ConnectorError::Config(format!(
            "secret setting `{name}` is empty"
        )));
    }
    if raw.chars().any(char::is_whitespace) {
        return Err(ConnectorError::Config(format!(
            "secret setting `{name}` contains whitespace; give the bare token without `Bearer `"
        )));
    }
    Ok(Some(SecretString::new(raw)))
}

/// A short, one-way fingerprint of the tokens a connection's settings give: it tells
/// whether those settings were already adopted into the stored token chain (so the stored,
/// refreshed tokens are newer) or were supplied since (so they replace the chain). Only
/// the fingerprint is stored, never the tokens it was made from.
pub fn fingerprint(tokens: &Tokens) -> String {
    let mut hash = Sha256::new();
    hash.update(b"ferry-oauth-seed\n");
    for token in [&tokens.access, &tokens.refresh] {
        hash.update(token.as_ref().map(SecretString::expose).unwrap_or_default());
        hash.update(b"\n");
    }
    hex::encode(&hash.finalize()[..12])
}

/// A non-secret name for an OAuth2 client: the token chain's identity includes it, so two
/// integrations on one account keep separate tokens, without storing the client id.
pub fn client_tag(client: &ClientCredentials) -> String {
    let hash = Sha256::digest(client.client_id.expose().as_bytes());
    hex::encode(&hash[..6])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn settings(secrets: &[(&str, &str)], values: serde_json::Value) -> Settings {
        Settings::new(
            values.as_object().cloned().unwrap_or_default(),
            secrets
                .iter()
                .map(|(k, v)| (k.to_string(), SecretString::new(*v)))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn an_access_token_alone_is_a_long_lived_token() {
        let s = settings(&[(ACCESS_TOKEN, " tok-12345 ")], json!({}));
        match Credential::from_settings(&s).unwrap() {
            Credential::Static(t) => assert_eq!(t.expose(), "tok-12345"),
            Credential::Refreshable { .. } => panic!("must be static"),
        }
    }

    #[test]
    fn a_refresh_token_needs_the_client() {
        let s = settings(
            &[(ACCESS_TOKEN, "tok-12345"), (REFRESH_TOKEN, "ref-12345")],
            json!({}),
        );
        let err = Credential::from_settings(&s).err().unwrap().to_string();
        assert!(err.contains(CLIENT_ID), "{err}");
        let s = settings(
            &[(REFRESH_TOKEN, "ref-12345"), (CLIENT_SECRET, "shh-12345")],
            json!({"client_id": "integration-1", "redirect_uri": "https://example.org/cb"}),
        );
        match Credential::from_settings(&s).unwrap() {
            Credential::Refreshable { tokens, client } => {
                assert!(tokens.access.is_none());
                assert_eq!(client.client_id.expose(), "integration-1");
                assert_eq!(
                    client.redirect_uri.as_deref(),
                    Some("https://example.org/cb")
                );
            }
            Credential::Static(_) => panic!("must refresh"),
        }
    }

    #[test]
    fn malformed_tokens_are_refused_without_showing_them() {
        let s = settings(&[(ACCESS_TOKEN, "Bearer tok-12345")], json!({}));
        let err = Credential::from_settings(&s).err().unwrap().to_string();
        assert!(
            err.contains("whitespace") && !err.contains("tok-12345"),
            "{err}"
        );
        let s = settings(&[(ACCESS_TOKEN, "  ")], json!({}));
        assert!(Credential::from_settings(&s).is_err());
        assert!(Credential::from_settings(&Settings::default()).is_err());
    }

    #[test]
    fn fingerprints_tell_token_pairs_apart_and_hide_them() {
        let a = Tokens {
            access: Some(SecretString::new("tok-a")),
            refresh: Some(SecretString::new("ref-a")),
            expires_at: None,
        };
        let b = Tokens {
            refresh: Some(SecretString::new("ref-b")),
            ..a.clone()
        };
        assert_eq!(fingerprint(&a), fingerprint(&a.clone()));
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert!(!fingerprint(&a).contains("tok-a"));
        assert_eq!(format!("{a:?}").matches("[REDACTED]").count(), 2);
    }
}
