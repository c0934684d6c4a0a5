//! How amoCRM requests are authenticated: `Authorization: Bearer <token>` through the
//! shared OAuth2 module ([`crate::oauth`]). With `refresh_token`, `client_id`,
//! `client_secret` and `redirect_uri` the token is renewed at the account's
//! `POST /oauth2/access_token` (a JSON body; amoCRM issues a new refresh token every time
//! and the old one stops working); with only `access_token` it is a long-lived token, sent
//! as given.

use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::oauth::{
    BearerAuth, OAuthOptions, REDIRECT_URI, REFRESH_TOKEN, TokenEndpoint, TokenRequestFormat,
};

/// The token endpoint's path on the account's own address.
pub const TOKEN_PATH: &str = "/oauth2/access_token";

/// The connection's authentication for the account at `base_url` (normalized, without
/// `/api/v4`). A refreshing connection must name its integration's `redirect_uri`:
/// amoCRM refuses every refresh without it, so the bundle is refused when it is loaded
/// rather than broken at the first expiry.
pub fn bearer_auth(
    settings: &Settings,
    ctx: &BuildContext,
    base_url: &str,
) -> Result<BearerAuth, ConnectorError> {
    let refreshes = settings.secret(REFRESH_TOKEN).is_some();
    let has_redirect = settings
        .str(REDIRECT_URI)
        .is_some_and(|uri| !uri.trim().is_empty());
    if refreshes && !has_redirect {
        return Err(ConnectorError::Config(format!(
            "setting `{REDIRECT_URI}` is required with `{REFRESH_TOKEN}`: amoCRM refuses a token refresh without the integration's redirect URI"
        )));
    }
    BearerAuth::from_settings(
        settings,
        ctx,
        OAuthOptions {
            account: format!("amocrm:{base_url}"),
            endpoint: TokenEndpoint {
                url: format!("{base_url}{TOKEN_PATH}"),
                format: TokenRequestFormat::Json,
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::{ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN};
    use crate::secret::SecretString;
    use crate::transport::{HttpTransport, TransportConfig};
    use std::collections::BTreeMap;

    fn settings(secrets: &[(&str, &str)]) -> Settings {
        Settings::new(
            serde_json::json!({"client_id": "integration-1", "redirect_uri": "https://ferry.example/cb"})
                .as_object()
                .cloned()
                .unwrap(),
            secrets
                .iter()
                .map(|(k, v)| (k.to_string(), SecretString::new(*v)))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn ctx() -> BuildContext {
        BuildContext::new(
            HttpTransport::new(TransportConfig::default()).unwrap(),
            "amo",
        )
    }

    #[test]
    fn long_lived_and_refreshing_connections_are_told_apart() {
        let base = "https://shop.amocrm.ru";
        let long_lived = bearer_auth(&settings(&[(ACCESS_TOKEN, "tok-12345")]), &ctx(), base);
        assert!(!long_lived.unwrap().refreshes());
        let oauth = bearer_auth(
            &settings(&[
                (ACCESS_TOKEN, "tok-12345"),
                (REFRESH_TOKEN, "ref-12345"),
                (CLIENT_SECRET, "shh-12345"),
            ]),
            &ctx(),
            base,
        )
        .unwrap();
        assert!(oauth.refreshes());
        assert!(
            oauth
                .chain_identity()
                .unwrap()
                .starts_with("amocrm:https://shop.amocrm.ru#")
        );
    }

    #[test]
    fn blank_or_prefixed_tokens_are_refused_without_showing_them() {
        let base = "https://shop.amocrm.ru";
        assert!(bearer_auth(&settings(&[(ACCESS_TOKEN, "  ")]), &ctx(), base).is_err());
        let err = bearer_auth(
            &settings(&[(ACCESS_TOKEN, "Bearer tok-12345")]),
            &ctx(),
            base,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(
            err.contains("whitespace") && !err.contains("tok-12345"),
            "{err}"
        );
        assert!(bearer_auth(&Settings::default(), &ctx(), base).is_err());
    }

    #[test]
    fn a_refreshing_connection_without_redirect_uri_is_refused_at_load() {
        let secrets = BTreeMap::from([
            (ACCESS_TOKEN.to_string(), SecretString::new("tok-12345")),
            (REFRESH_TOKEN.to_string(), SecretString::new("ref-12345")),
            (CLIENT_SECRET.to_string(), SecretString::new("shh-12345")),
        ]);
        let values = serde_json::json!({"client_id": "integration-1"});
        let settings = Settings::new(values.as_object().cloned().unwrap(), secrets);
        let err = bearer_auth(&settings, &ctx(), "https://shop.amocrm.ru")
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("`redirect_uri` is required"), "{err}");
        assert!(
            !err.contains("ref-12345") && !err.contains("shh-12345"),
            "{err}"
        );
    }
}
