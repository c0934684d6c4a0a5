//! The HTTP side of the connector: the incoming-webhook address, the portal's leaky-bucket
//! limit, and method calls (`POST <webhook>/<method>.json` with a JSON body) whose
//! `{"result": ...}` replies are unwrapped and whose errors are classified.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::errors::classify;
use crate::connector::{BuildContext, Settings};
use crate::error::ConnectorError;
use crate::secret::SecretString;
use crate::transport::{ConnectionClient, ConnectionOptions, RateLimit};

/// Bitrix24's limit for non-Enterprise plans: a leaky bucket of 50 requests draining 2 per
/// second, per portal (and source address).
pub const RATE_LIMIT: RateLimit = RateLimit {
    requests: 2,
    per: Duration::from_secs(1),
    burst: Some(50),
    max_parallel: None,
};

/// A parsed incoming-webhook address.
#[derive(Clone)]
pub struct WebhookUrl {
    /// `https://portal.bitrix24.ru/rest/1/<code>/`, always ending with `/`.
    base: SecretString,
    /// `https://portal.bitrix24.ru`: not secret, names the rate-limited account.
    portal: String,
    /// The code (the credential), kept to redact it on its own.
    code: SecretString,
}

impl WebhookUrl {
    /// Parse the `webhook_url` setting. Messages never quote the address: its path is the
    /// credential.
    pub fn parse(raw: &str) -> Result<Self, ConnectorError> {
        let shape = "setting `webhook_url` must be the incoming webhook's address, https://<portal>/rest/<user id>/<code>/";
        let url = url::Url::parse(raw.trim())
            .map_err(|_| ConnectorError::Config(format!("{shape} (it is not a URL)")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ConnectorError::Config(format!(
                "{shape} (it must start with https://)"
            )));
        }
        let segments: Vec<&str> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).collect())
            .unwrap_or_default();
        let [.., rest, user, code] = segments.as_slice() else {
            return Err(ConnectorError::Config(format!(
                "{shape} (the path has too few parts)"
            )));
        };
        if *rest != "rest" || user.is_empty() || !user.chars().all(|c| c.is_ascii_digit()) {
            return Err(ConnectorError::Config(format!(
                "{shape} (the path must be /rest/<user id>/<code>/, without a method name)"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConnectorError::Config(format!(
                "{shape} (without a query or #fragment)"
            )));
        }
        let mut base = url.as_str().to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let portal = url.origin().ascii_serialization();
        Ok(WebhookUrl {
            base: SecretString::new(base),
            portal,
            code: SecretString::new(*code),
        })
    }

    /// The portal origin (`https://portal.bitrix24.ru`).
    pub fn portal(&self) -> &str {
        &self.portal
    }
}

/// Calls REST methods of one portal through one webhook.
pub struct Bitrix24Client {
    http: ConnectionClient,
    webhook: WebhookUrl,
}

impl Bitrix24Client {
    /// Read the `webhook_url` setting and join the portal's limiter.
    pub fn new(settings: &Settings, ctx: &BuildContext) -> Result<Self, ConnectorError> {
        let raw = settings.require_secret("webhook_url")?;
        let webhook = WebhookUrl::parse(raw.expose())?;
        let mut redactor = settings.redactor();
        // The redactor already knows the URL and its path; a server echoing only the code
        // (or a proxy logging it) must be scrubbed too.
        redactor.extend([webhook.code.expose().to_string()]);
        // The bucket belongs to the portal, whichever webhook (user) calls it.
        let http = ctx.http.connection(ConnectionOptions {
            account_key: format!("bitrix24:{}", webhook.portal()),
            rate_limit: Some(RATE_LIMIT),
            redactor,
        });
        Ok(Bitrix24Client { http, webhook })
    }

    /// Call `method` with `params` (a JSON object) and return the whole reply (`result`,
    /// and for lists `total` / `next`).
    pub async fn call(&self, method: &str, params: &Value) -> Result<Value, ConnectorError> {
        let url = format!("{}{method}.json", self.webhook.base.expose());
        let request = self
            .http
            .request(Method::POST, &url)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(params);
        let response = self.http.send(request).await?;
        if !response.is_success() {
            let error = classify(&response, self.http.redactor());
            // The bucket is the portal's: when it is full, every request to the portal
            // must wait, not only this item's retry. (The per-method time budget is not
            // the portal's, so it only delays this item.)
            if let ConnectorError::RateLimited {
                status: 503,
                retry_after: Some(wait),
                ..
            } = &error
            {
                self.http.pause_for(*wait);
            }
            return Err(error);
        }
        let reply: Value = response.json()?;
        if reply.get("result").is_none() {
            return Err(ConnectorError::InvalidResponse(format!(
                "{method}: the reply has no `result`: {}",
                response.body_excerpt()
            )));
        }
        Ok(reply)
    }

    /// Call `method` and return only its `result`.
    pub async fn result(&self, method: &str, params: &Value) -> Result<Value, ConnectorError> {
        let mut reply = self.call(method, params).await?;
        Ok(reply["result"].take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_checked_without_quoting_them() {
        let ok = WebhookUrl::parse("https://shop.bitrix24.ru/rest/1/abc123secret").unwrap();
        assert_eq!(
            ok.base.expose(),
            "https://shop.bitrix24.ru/rest/1/abc123secret/"
        );
        assert_eq!(ok.portal(), "https://shop.bitrix24.ru");
        assert_eq!(ok.code.expose(), "abc123secret");
        for bad in [
            "shop.bitrix24.ru/rest/1/abc123secret/",
            "ftp://shop.bitrix24.ru/rest/1/abc123secret/",
            "https://shop.bitrix24.ru/abc123secret/",
            "https://shop.bitrix24.ru/rest/x/abc123secret/",
            "https://shop.bitrix24.ru/rest/1/abc123secret/crm.lead.add.json",
            "https://shop.bitrix24.ru/rest/1/abc123secret/?x=1",
        ] {
            let error = WebhookUrl::parse(bad).err().expect(bad).to_string();
            assert!(!error.contains("abc123secret"), "{error}");
            assert!(error.contains("webhook_url"), "{error}");
        }
    }

    #[test]
    fn the_default_limit_is_the_leaky_bucket() {
        assert_eq!(RATE_LIMIT.burst, Some(50));
        assert_eq!(
            (RATE_LIMIT.requests, RATE_LIMIT.per),
            (2, Duration::from_secs(1))
        );
    }
}
