//! Decoding `trigger.webhook`: how deliveries to `POST /hooks/<bundle id>` prove they come
//! from the source (a shared token, an HMAC-SHA256 body signature, or both), and the rules
//! tying it to the event's delivery: a webhook-delivered event needs `webhook` and takes no
//! `schedule`; a polled event takes no `webhook`. Credentials are references only.

use axum::http::HeaderName;
use ferry_connectors::{Delivery, TriggerSpec};

use super::connections::parse_secret_ref;
use crate::bundle::diagnostics::closest;
use crate::bundle::model::{HmacAuth, SecretRef, SignatureEncoding, WebhookAuth};
use crate::bundle::reader::{Decoder, Entry, MapReader, child, optional};
use crate::bundle::yaml;

/// The header read for the signature when `hmac.header` is not given.
pub const DEFAULT_SIGNATURE_HEADER: &str = "X-Ferry-Signature";

/// Take `webhook` from the trigger map and check it against the event's delivery.
/// `schedule` is the trigger's `schedule` entry, if written (webhook events take none).
/// `Some(None)`: no webhook, as required; `None`: a problem was reported.
pub(super) fn decode_webhook(
    dec: &mut Decoder,
    trigger: &mut MapReader<'_>,
    spec: Option<&'static TriggerSpec>,
    schedule: Option<&Entry<'_>>,
) -> Option<Option<WebhookAuth>> {
    let entry = trigger.take("webhook");
    let delivery = spec.map(|s| s.delivery);
    if let (Some(Delivery::Webhook), Some(schedule)) = (delivery, schedule) {
        dec.error(
            schedule.key_at(),
            &schedule.path,
            format!(
                "event `{}` is pushed by the source to POST /hooks/<bundle id>, not polled; remove `schedule`",
                spec.map_or("", |s| s.event)
            ),
        );
    }
    let Some(entry) = entry else {
        if delivery == Some(Delivery::Webhook) {
            dec.error(
                trigger.at(),
                &child(trigger.path(), "webhook"),
                format!(
                    "event `{}` is delivered by webhook: add `webhook:` with a `token` and/or an `hmac` signature, so ferry accepts only the source's deliveries",
                    spec.map_or("", |s| s.event)
                ),
            );
            return None;
        }
        return Some(None);
    };
    if delivery == Some(Delivery::Poll) {
        dec.error(
            entry.key_at(),
            &entry.path,
            format!(
                "event `{}` is polled on the schedule, not delivered by webhook; remove `webhook`",
                spec.map_or("", |s| s.event)
            ),
        );
        // Its content is still checked, so every problem shows at once.
        decode_auth(dec, &entry);
        return None;
    }
    decode_auth(dec, &entry).map(Some)
}

/// `{ token, token_header, hmac }`, at least one of `token` and `hmac`.
fn decode_auth(dec: &mut Decoder, entry: &Entry<'_>) -> Option<WebhookAuth> {
    let mut map = dec.map(entry.value, &entry.path)?;
    let token_entry = map.take("token");
    let token = token_entry.as_ref().map(|e| decode_secret(dec, e));
    let token_header = map.take("token_header").map(|e| {
        if token_entry.is_none() {
            dec.error(
                e.key_at(),
                &e.path,
                "`token_header` says where the token is read from, but no `token` is given",
            );
            return None;
        }
        decode_header_name(dec, &e)
    });
    let hmac_entry = map.take("hmac");
    let hmac = hmac_entry.as_ref().map(|e| decode_hmac(dec, e));
    if token_entry.is_none() && hmac_entry.is_none() {
        dec.error(
            map.at(),
            map.path(),
            "`webhook` needs a `token`, an `hmac` signature, or both; without either anyone could post items",
        );
        map.finish(dec);
        return None;
    }
    map.finish(dec);
    Some(WebhookAuth {
        token: optional(token)?,
        token_header: optional(token_header)?,
        hmac: optional(hmac)?,
    })
}

/// `{ secret, header, encoding, prefix }`.
fn decode_hmac(dec: &mut Decoder, entry: &Entry<'_>) -> Option<HmacAuth> {
    let mut map = dec.map(entry.value, &entry.path)?;
    let secret = map.require(dec, "secret").map(|e| decode_secret(dec, &e));
    let header = map.take("header").map(|e| decode_header_name(dec, &e));
    let encoding = map.take("encoding").map(|e| {
        let text = dec.string(e.value, &e.path)?;
        match text.as_str() {
            "hex" => Some(SignatureEncoding::Hex),
            "base64" => Some(SignatureEncoding::Base64),
            _ => {
                dec.error_suggesting(
                    e.value_at(),
                    &e.path,
                    format!("unknown signature encoding `{text}`; use hex or base64"),
                    closest(&text, ["hex", "base64"]),
                );
                None
            }
        }
    });
    let prefix = map
        .take("prefix")
        .map(|e| dec.non_empty_string(e.value, &e.path));
    map.finish(dec);
    Some(HmacAuth {
        secret: secret??,
        header: optional(header)?.unwrap_or_else(|| DEFAULT_SIGNATURE_HEADER.to_string()),
        encoding: optional(encoding)?.unwrap_or(SignatureEncoding::Hex),
        prefix: optional(prefix)?,
    })
}

/// A `${secret:..}` / `${env:..}` reference; a literal is refused without being echoed.
fn decode_secret(dec: &mut Decoder, entry: &Entry<'_>) -> Option<SecretRef> {
    let Some(text) = yaml::as_str(entry.value) else {
        dec.string(entry.value, &entry.path);
        return None;
    };
    match parse_secret_ref(text) {
        Some(Ok(reference)) => Some(reference),
        Some(Err(())) => {
            dec.error(
                entry.value_at(),
                &entry.path,
                "invalid secret reference: the whole value must be ${secret:NAME} or ${env:NAME}, NAME made of letters, digits and `_`",
            );
            None
        }
        None => {
            dec.error(
                entry.value_at(),
                &entry.path,
                format!(
                    "`{}` is a secret: write a reference like ${{secret:HOOK_{}}} or ${{env:...}}, never the value",
                    entry.name,
                    entry.name.to_uppercase()
                ),
            );
            None
        }
    }
}

/// An HTTP header name (`X-Signature`).
fn decode_header_name(dec: &mut Decoder, entry: &Entry<'_>) -> Option<String> {
    let text = dec.non_empty_string(entry.value, &entry.path)?;
    if HeaderName::from_bytes(text.as_bytes()).is_err() {
        dec.error(
            entry.value_at(),
            &entry.path,
            format!(
                "`{text}` is not an HTTP header name (letters, digits and `-`, like X-Signature)"
            ),
        );
        return None;
    }
    Some(text)
}

#[cfg(test)]
mod tests;
