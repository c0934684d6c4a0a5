//! The amoCRM credential: an OAuth2 access token or a long-lived token, sent as
//! `Authorization: Bearer <token>`. Everything that touches the token lives here, so that
//! token refresh (a shared OAuth2 piece) can replace this module without the client,
//! the actions or the error mapping changing.

use reqwest::RequestBuilder;

use crate::connector::Settings;
use crate::error::ConnectorError;
use crate::secret::SecretString;

/// The secret setting holding the token.
pub const ACCESS_TOKEN_SETTING: &str = "access_token";

/// The token requests are signed with.
#[derive(Clone)]
pub struct AccessToken {
    token: SecretString,
}

impl AccessToken {
    /// Read the token from a connection's settings. A blank token, or one with
    /// whitespace inside (a copy-paste of `Bearer xxx`, or of two lines), is refused before
    /// anything is sent.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConnectorError> {
        let token = settings.require_secret(ACCESS_TOKEN_SETTING)?;
        let raw = token.expose().trim();
        if raw.is_empty() {
            return Err(ConnectorError::Config(format!(
                "secret setting `{ACCESS_TOKEN_SETTING}` is empty"
            )));
        }
        if raw.chars().any(char::is_whitespace) {
            return Err(ConnectorError::Config(format!(
                "secret setting `{ACCESS_TOKEN_SETTING}` contains whitespace; give the bare token without `Bearer `"
            )));
        }
        Ok(AccessToken {
            token: SecretString::new(raw),
        })
    }

    /// Sign a request.
    pub fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        request.bearer_auth(self.token.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn settings(token: &str) -> Settings {
        Settings::new(
            serde_json::Map::new(),
            BTreeMap::from([(ACCESS_TOKEN_SETTING.to_string(), SecretString::new(token))]),
        )
    }

    #[test]
    fn blank_or_prefixed_tokens_are_refused_without_showing_them() {
        assert!(AccessToken::from_settings(&settings("  ")).is_err());
        let err = AccessToken::from_settings(&settings("Bearer tok-12345"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("whitespace") && !err.contains("tok-12345"),
            "{err}"
        );
        assert!(AccessToken::from_settings(&settings(" tok-12345 ")).is_ok());
        assert!(AccessToken::from_settings(&Settings::default()).is_err());
    }
}
