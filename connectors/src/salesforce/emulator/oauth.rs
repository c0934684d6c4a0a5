//! The OAuth2 token endpoint, `POST /services/oauth2/token` with a form body, for the
//! refresh-token flow: `grant_type=refresh_token`, `refresh_token`, `client_id`,
//! `client_secret` (in the body, or as HTTP Basic credentials). Success answers
//! `{"access_token","signature","scope","instance_url","id","token_type":"Bearer",
//! "issued_at"}` (plus `refresh_token` when rotation is on); failures answer 400 with
//! `{"error","error_description"}`: `invalid_client_id`, `invalid_client`,
//! `invalid_grant` ("expired access/refresh token"), `unsupported_grant_type`.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::store::{IssuedToken, Org};
use crate::emulation::decode_pairs;

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        json!({"error": error, "error_description": description}).to_string(),
    )
        .into_response()
}

/// `client_id:client_secret` from an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64_engine::decode;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// A tiny standard-alphabet base64 decoder: the emulator only needs it for Basic
/// credentials, and a dependency for that is not worth it.
mod base64_engine {
    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let value = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => (c - b'A') as u32,
                b'a'..=b'z' => (c - b'a' + 26) as u32,
                b'0'..=b'9' => (c - b'0' + 52) as u32,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            })
        };
        let bytes: Vec<u8> = text.bytes().filter(|b| *b != b'=').collect();
        let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
        for chunk in bytes.chunks(4) {
            let mut acc = 0u32;
            for (i, b) in chunk.iter().enumerate() {
                acc |= value(*b)? << (18 - 6 * i);
            }
            let produced = chunk.len().saturating_sub(1);
            for i in 0..produced {
                out.push((acc >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }
}

/// Answer one token request.
pub fn token(org: &mut Org, headers: &HeaderMap, body: &[u8]) -> Response {
    let form = decode_pairs(&String::from_utf8_lossy(body));
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let (client_id, client_secret) = match basic_credentials(headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (field("client_id"), field("client_secret")),
    };
    if field("grant_type").as_deref() != Some("refresh_token") {
        return oauth_error("unsupported_grant_type", "grant type not supported");
    }
    if client_id.as_deref() != Some(org.config.client_id.as_str()) {
        return oauth_error("invalid_client_id", "client identifier invalid");
    }
    if client_secret
        .as_deref()
        .is_some_and(|secret| secret != org.config.client_secret)
    {
        return oauth_error("invalid_client", "invalid client credentials");
    }
    let given = field("refresh_token");
    if given.is_none() || given != org.refresh_token {
        return oauth_error("invalid_grant", "expired access/refresh token");
    }
    let access = format!(
        "00D5g000004XyZa!AR{}",
        uuid::Uuid::new_v4().simple().to_string().to_uppercase()
    );
    org.tokens.push(IssuedToken {
        token: access.clone(),
        expires: org
            .config
            .access_token_ttl
            .map(|ttl| tokio::time::Instant::now() + ttl),
    });
    let user = org
        .config
        .users
        .first()
        .map(|u| u.0.clone())
        .unwrap_or_default();
    let mut answer = json!({
        "access_token": access,
        "signature": uuid::Uuid::new_v4().simple().to_string(),
        "scope": "api refresh_token",
        "instance_url": org.base,
        "id": format!("{}/id/00D5g000004XyZaEAK/{user}", org.base),
        "token_type": "Bearer",
        "issued_at": org.now().timestamp_millis().to_string(),
    });
    if org.config.rotate_refresh_token {
        let next = format!("5Aep861{}", uuid::Uuid::new_v4().simple());
        org.refresh_token = Some(next.clone());
        answer["refresh_token"] = Value::String(next);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        answer.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::base64_engine::decode;

    #[test]
    fn basic_credentials_decode() {
        assert_eq!(decode("aWQ6c2VjcmV0").unwrap(), b"id:secret");
        assert_eq!(decode("YQ==").unwrap(), b"a");
        assert!(decode("*").is_none());
    }
}
