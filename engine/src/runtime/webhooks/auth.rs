//! Authenticating one webhook delivery against its bundle's `trigger.webhook`: the shared
//! token (a header, or the `token` query parameter) and the HMAC-SHA256 signature of the
//! raw body. Secrets are resolved once, when the bundle is prepared; every comparison is
//! constant-time, so the answer's timing says nothing about how much of a guess was right.

use std::borrow::Cow;

use axum::http::{HeaderMap, HeaderName};
use base64::Engine as _;
use ferry_connectors::SecretString;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::bundle::{SignatureEncoding, WebhookAuth};
use crate::runtime::secrets::{SecretError, SecretSource};

/// The header the token is read from when the bundle names none.
pub const DEFAULT_TOKEN_HEADER: &str = "x-ferry-token";

/// The query parameter the token is read from when the default header is absent.
pub const TOKEN_QUERY_PARAMETER: &str = "token";

/// A bundle's resolved webhook credentials.
pub struct WebhookKeys {
    token: Option<SecretString>,
    /// `None`: the default header, else the query parameter.
    token_header: Option<HeaderName>,
    hmac: Option<HmacKey>,
}

struct HmacKey {
    secret: SecretString,
    header: HeaderName,
    encoding: SignatureEncoding,
    prefix: Option<String>,
}

impl std::fmt::Debug for WebhookKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookKeys")
            .field("token", &self.token.is_some())
            .field("token_header", &self.token_header)
            .field("hmac", &self.hmac.as_ref().map(|h| &h.header))
            .finish()
    }
}

/// A webhook credential that could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum WebhookKeyError {
    /// The reference did not resolve.
    #[error("`trigger.webhook.{field}`: {source}")]
    Secret {
        /// `token` or `hmac.secret`.
        field: &'static str,
        /// Why.
        source: SecretError,
    },
    /// The reference resolved to nothing, which would let an empty credential in.
    #[error("`trigger.webhook.{field}` resolved to an empty value")]
    Empty {
        /// `token` or `hmac.secret`.
        field: &'static str,
    },
    /// A header name the decoder accepted did not parse (cannot happen for validated
    /// bundles; kept as an error rather than a panic).
    #[error("`trigger.webhook`: `{0}` is not an HTTP header name")]
    Header(String),
}

/// What of a request authentication reads.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
    /// The raw body, exactly as received.
    pub body: &'a [u8],
}

impl WebhookKeys {
    /// Resolve a bundle's webhook credentials.
    pub fn resolve(auth: &WebhookAuth, secrets: &SecretSource) -> Result<Self, WebhookKeyError> {
        let resolve = |field: &'static str, reference| -> Result<SecretString, WebhookKeyError> {
            let value = secrets
                .resolve(reference)
                .map_err(|source| WebhookKeyError::Secret { field, source })?;
            if value.expose().is_empty() {
                return Err(WebhookKeyError::Empty { field });
            }
            Ok(value)
        };
        let header = |name: &str| {
            HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| WebhookKeyError::Header(name.to_string()))
        };
        let hmac = match &auth.hmac {
            Some(h) => Some(HmacKey {
                secret: resolve("hmac.secret", &h.secret)?,
                header: header(&h.header)?,
                encoding: h.encoding,
                prefix: h.prefix.clone(),
            }),
            None => None,
        };
        Ok(WebhookKeys {
            token: auth
                .token
                .as_ref()
                .map(|t| resolve("token", t))
                .transpose()?,
            token_header: auth.token_header.as_deref().map(header).transpose()?,
            hmac,
        })
    }

    /// The secret values, for the bundle's redactor.
    pub fn secret_values(&self) -> Vec<String> {
        self.token
            .iter()
            .chain(self.hmac.iter().map(|h| &h.secret))
            .map(|s| s.expose().to_string())
            .collect()
    }

    /// Whether the request carries the right token and signature (each one configured).
    pub fn verify(&self, request: SignedRequest<'_>) -> bool {
        // Both checks always run, so a right token with a wrong signature takes as long
        // as a wrong token.
        let token_ok = self
            .token
            .as_ref()
            .is_none_or(|t| self.token_matches(t, request));
        let signature_ok = self
            .hmac
            .as_ref()
            .is_none_or(|h| signature_matches(h, request));
        token_ok & signature_ok
    }

    fn token_matches(&self, expected: &SecretString, request: SignedRequest<'_>) -> bool {
        let given = match &self.token_header {
            Some(name) => header_text(request.headers, name).map(Cow::Borrowed),
            None => header_text(
                request.headers,
                &HeaderName::from_static(DEFAULT_TOKEN_HEADER),
            )
            .map(Cow::Borrowed)
            .or_else(|| query_token(request.query)),
        };
        let Some(given) = given else { return false };
        // Comparing digests keeps the comparison constant-time in the length too.
        let given = Sha256::digest(given.as_bytes());
        let expected = Sha256::digest(expected.expose().as_bytes());
        given.ct_eq(&expected).into()
    }
}

fn signature_matches(key: &HmacKey, request: SignedRequest<'_>) -> bool {
    let Some(text) = header_text(request.headers, &key.header) else {
        return false;
    };
    let text = text.trim();
    let text = match &key.prefix {
        Some(prefix) => match text.strip_prefix(prefix.as_str()) {
            Some(rest) => rest,
            None => return false,
        },
        None => text,
    };
    let signature = match key.encoding {
        SignatureEncoding::Hex => hex::decode(text).ok(),
        SignatureEncoding::Base64 => BASE64.decode(text).ok(),
    };
    let Some(signature) = signature else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(request.body);
    mac.verify_slice(&signature).is_ok()
}

/// Standard base64, with or without padding (senders differ).
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn header_text<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn query_token(query: Option<&str>) -> Option<Cow<'_, str>> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == TOKEN_QUERY_PARAMETER)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::bundle::{HmacAuth, SecretRef};

    fn keys(auth: WebhookAuth) -> WebhookKeys {
        let mut secrets = SecretSource::default();
        secrets.set_secret("TOKEN", "tok-123");
        secrets.set_secret("HMAC", "hmac-key");
        secrets.set_secret("EMPTY", "");
        WebhookKeys::resolve(&auth, &secrets).unwrap()
    }

    fn token_auth(header: Option<&str>) -> WebhookAuth {
        WebhookAuth {
            token: Some(SecretRef::Secret("TOKEN".into())),
            token_header: header.map(str::to_string),
            hmac: None,
        }
    }

    fn hmac_auth(encoding: SignatureEncoding, prefix: Option<&str>) -> WebhookAuth {
        WebhookAuth {
            token: None,
            token_header: None,
            hmac: Some(HmacAuth {
                secret: SecretRef::Secret("HMAC".into()),
                header: "X-Signature".into(),
                encoding,
                prefix: prefix.map(str::to_string),
            }),
        }
    }

    fn request<'a>(
        headers: &'a HeaderMap,
        query: Option<&'a str>,
        body: &'a [u8],
    ) -> SignedRequest<'a> {
        SignedRequest {
            headers,
            query,
            body,
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn sign(body: &[u8]) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"hmac-key").unwrap();
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn default_token_is_read_from_the_header_then_the_query() {
        let k = keys(token_auth(None));
        let none = HeaderMap::new();
        assert!(k.verify(request(
            &headers(&[("x-ferry-token", "tok-123")]),
            None,
            b""
        )));
        assert!(k.verify(request(&none, Some("a=1&token=tok-123"), b"")));
        assert!(
            k.verify(request(&none, Some("token=tok%2D123"), b"")),
            "query values are decoded"
        );
        assert!(!k.verify(request(&headers(&[("x-ferry-token", "tok-12")]), None, b"")));
        assert!(!k.verify(request(
            &headers(&[("x-ferry-token", "tok-1234")]),
            None,
            b""
        )));
        assert!(!k.verify(request(&none, None, b"")));
        // A wrong header is not rescued by a right query token: the header is what was sent.
        assert!(!k.verify(request(
            &headers(&[("x-ferry-token", "nope")]),
            Some("token=tok-123"),
            b""
        )));
    }

    #[test]
    fn a_named_token_header_is_the_only_place_read() {
        let k = keys(token_auth(Some("X-Hook-Token")));
        let none = HeaderMap::new();
        assert!(k.verify(request(&headers(&[("x-hook-token", "tok-123")]), None, b"")));
        assert!(!k.verify(request(
            &headers(&[("x-ferry-token", "tok-123")]),
            None,
            b""
        )));
        assert!(!k.verify(request(&none, Some("token=tok-123"), b"")));
    }

    #[test]
    fn hex_and_base64_signatures_with_and_without_prefix() {
        let body = br#"{"event_id":"e1"}"#;
        let hex_sig = hex::encode(sign(body));
        let k = keys(hmac_auth(SignatureEncoding::Hex, Some("sha256=")));
        let with = |v: &str| headers(&[("x-signature", v)]);
        assert!(k.verify(request(&with(&format!("sha256={hex_sig}")), None, body)));
        assert!(k.verify(request(
            &with(&format!("sha256={}", hex_sig.to_uppercase())),
            None,
            body
        )));
        assert!(
            !k.verify(request(&with(&hex_sig), None, body)),
            "prefix required"
        );
        assert!(
            !k.verify(request(&with(&format!("sha256={hex_sig}")), None, b"{}")),
            "other body"
        );
        assert!(!k.verify(request(&with("sha256=zz"), None, body)));

        let b64 = base64::engine::general_purpose::STANDARD.encode(sign(body));
        let k = keys(hmac_auth(SignatureEncoding::Base64, None));
        assert!(k.verify(request(&with(&b64), None, body)));
        assert!(k.verify(request(&with(b64.trim_end_matches('=')), None, body)));
        assert!(!k.verify(request(&with(&hex_sig), None, body)));
        assert!(!k.verify(request(&HeaderMap::new(), None, body)));
    }

    #[test]
    fn token_and_signature_are_both_required_when_both_are_configured() {
        let mut auth = hmac_auth(SignatureEncoding::Hex, None);
        auth.token = Some(SecretRef::Secret("TOKEN".into()));
        let k = keys(auth);
        let body = b"x=1";
        let sig = hex::encode(sign(body));
        assert!(k.verify(request(
            &headers(&[("x-signature", &sig), ("x-ferry-token", "tok-123")]),
            None,
            body
        )));
        assert!(!k.verify(request(&headers(&[("x-signature", &sig)]), None, body)));
        assert!(!k.verify(request(
            &headers(&[("x-ferry-token", "tok-123")]),
            None,
            body
        )));
    }

    #[test]
    fn unresolved_or_empty_secrets_are_named_without_values() {
        let mut secrets = SecretSource::default();
        secrets.set_secret("EMPTY", "");
        let missing = WebhookKeys::resolve(&token_auth(None), &secrets).unwrap_err();
        assert!(
            missing
                .to_string()
                .starts_with("`trigger.webhook.token`: secret `TOKEN`"),
            "{missing}"
        );
        let mut auth = token_auth(None);
        auth.token = Some(SecretRef::Secret("EMPTY".into()));
        let empty = WebhookKeys::resolve(&auth, &secrets).unwrap_err();
        assert_eq!(
            empty.to_string(),
            "`trigger.webhook.token` resolved to an empty value"
        );
        let k = keys(hmac_auth(SignatureEncoding::Hex, None));
        assert_eq!(k.secret_values(), ["hmac-key"]);
        assert!(!format!("{k:?}").contains("hmac-key"));
    }
}
