//! Status codes over real HTTP: identical refusals, signatures, size cap, content types,
//! vendor-invalid bodies.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::fixture::{BODY_LIMIT, HMAC_KEY, Hub, HubOptions, TOKEN, bundle_text};

const TOKEN_BLOCK: &str = r#"{ token: "${secret:HOOK_TOKEN}" }"#;

async fn token_hub() -> Hub {
    Hub::start(HubOptions::bundles(vec![
        bundle_text("hook", true, TOKEN_BLOCK),
        bundle_text("sleeping", false, TOKEN_BLOCK),
    ]))
    .await
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn unknown_disabled_and_unauthenticated_all_get_the_same_404() {
    let hub = token_hub().await;
    let body = json!({"event_id": "e1"}).to_string();
    let unknown = hub
        .post(
            "/hooks/nobody",
            &[JSON, ("x-ferry-token", TOKEN)],
            body.clone(),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json(), json!({"error": "not found"}));
    let refusals = [
        hub.post(
            "/hooks/hook",
            &[JSON, ("x-ferry-token", "tok-wrong")],
            body.clone(),
        )
        .await,
        hub.post("/hooks/hook", &[JSON], body.clone()).await,
        hub.post("/hooks/hook?token=tok-wrong", &[JSON], body.clone())
            .await,
        hub.post(
            "/hooks/hook",
            &[JSON, ("x-ferry-token", &TOKEN[..TOKEN.len() - 1])],
            body.clone(),
        )
        .await,
        hub.post(
            "/hooks/sleeping",
            &[JSON, ("x-ferry-token", TOKEN)],
            body.clone(),
        )
        .await,
        hub.post(
            "/elsewhere",
            &[JSON, ("x-ferry-token", TOKEN)],
            body.clone(),
        )
        .await,
        hub.post("/hooks/", &[JSON, ("x-ferry-token", TOKEN)], body.clone())
            .await,
    ];
    for refusal in &refusals {
        assert_eq!(refusal, &unknown);
    }
    assert!(hub.items("hook").await.is_empty());
    assert!(hub.items("sleeping").await.is_empty());
}

#[tokio::test]
async fn the_token_is_accepted_from_the_query_when_no_header_is_sent() {
    let hub = token_hub().await;
    let answer = hub
        .post(
            &format!("/hooks/hook?token={TOKEN}"),
            &[JSON],
            json!({"event_id": "q1"}).to_string(),
        )
        .await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"accepted": 1, "duplicates": 0}))
    );
}

fn signature(body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(HMAC_KEY.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn hmac_signatures_in_hex_and_base64_with_a_prefix() {
    let hub = Hub::start(HubOptions::bundles(vec![
        bundle_text(
            "hexed",
            true,
            r#"{ hmac: { secret: "${secret:HOOK_HMAC}", header: X-Signature, prefix: "sha256=" } }"#,
        ),
        bundle_text(
            "based",
            true,
            r#"{ hmac: { secret: "${secret:HOOK_HMAC}", header: X-Hub-Signature, encoding: base64 } }"#,
        ),
    ]))
    .await;
    let body = json!({"event_id": "s1"}).to_string();
    let hex_sig = format!("sha256={}", hex::encode(signature(body.as_bytes())));
    let b64_sig = base64::engine::general_purpose::STANDARD.encode(signature(body.as_bytes()));
    let not_found = hub.post("/hooks/nobody", &[JSON], body.clone()).await;

    let ok = hub
        .post(
            "/hooks/hexed",
            &[JSON, ("x-signature", &hex_sig)],
            body.clone(),
        )
        .await;
    assert_eq!(
        (ok.status, ok.json()),
        (200, json!({"accepted": 1, "duplicates": 0}))
    );
    let ok = hub
        .post(
            "/hooks/based",
            &[JSON, ("x-hub-signature", &b64_sig)],
            body.clone(),
        )
        .await;
    assert_eq!(ok.status, 200);

    let tampered = body.replace("s1", "s2");
    let refusals = [
        hub.post(
            "/hooks/hexed",
            &[JSON, ("x-signature", &hex_sig)],
            tampered.clone(),
        )
        .await,
        hub.post(
            "/hooks/hexed",
            &[JSON, ("x-signature", &hex_sig[7..])],
            body.clone(),
        )
        .await,
        hub.post("/hooks/hexed", &[JSON], body.clone()).await,
        hub.post(
            "/hooks/based",
            &[JSON, ("x-hub-signature", &hex_sig)],
            body.clone(),
        )
        .await,
        hub.post(
            "/hooks/based",
            &[JSON, ("x-hub-signature", "AAAA")],
            body.clone(),
        )
        .await,
    ];
    for refusal in &refusals {
        assert_eq!(refusal, &not_found);
    }
    assert_eq!(hub.items("hexed").await.len(), 1);
    assert_eq!(hub.items("based").await.len(), 1);
}

#[tokio::test]
async fn bodies_over_the_cap_get_413_declared_or_streamed() {
    let hub = token_hub().await;
    let padding = "x".repeat(BODY_LIMIT);
    let big = json!({"event_id": "big", "pad": padding}).to_string();
    let headers = [JSON, ("x-ferry-token", TOKEN)];
    let declared = hub.post("/hooks/hook", &headers, big.clone()).await;
    assert_eq!(declared.status, 413);
    assert_eq!(
        declared.json(),
        json!({"error": format!("the body is larger than {BODY_LIMIT} bytes")})
    );
    // Without a length the cap is enforced while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let streamed = hub.post("/hooks/hook", &headers, streamed).await;
    assert_eq!(streamed.status, 413);
    // Exactly at the cap is fine.
    let pad = BODY_LIMIT - json!({"event_id": "edge", "pad": ""}).to_string().len();
    let edge = json!({"event_id": "edge", "pad": "y".repeat(pad)}).to_string();
    assert_eq!(edge.len(), BODY_LIMIT);
    assert_eq!(hub.post("/hooks/hook", &headers, edge).await.status, 200);
    assert_eq!(hub.items("hook").await.len(), 1);
}

#[tokio::test]
async fn only_json_and_form_bodies_are_accepted() {
    let hub = token_hub().await;
    let token = ("x-ferry-token", TOKEN);
    let xml = hub
        .post(
            "/hooks/hook",
            &[("content-type", "application/xml"), token],
            "<e/>",
        )
        .await;
    assert_eq!(xml.status, 415);
    assert_eq!(
        xml.json(),
        json!({"error": "send the body as one of: application/json, application/x-www-form-urlencoded"})
    );
    assert_eq!(hub.post("/hooks/hook", &[token], "{}").await.status, 415);
    let form = hub
        .post(
            "/hooks/hook",
            &[
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                token,
            ],
            "event_id=f1&name=Ann",
        )
        .await;
    assert_eq!(
        (form.status, form.json()),
        (200, json!({"accepted": 1, "duplicates": 0}))
    );
    let json_with_charset = hub
        .post(
            "/hooks/hook",
            &[("content-type", "Application/JSON; charset=utf-8"), token],
            r#"{"event_id":"j1"}"#,
        )
        .await;
    assert_eq!(json_with_charset.status, 200);
    // Content type is judged only after authentication: no hint for strangers.
    let stranger = hub
        .post(
            "/hooks/hook",
            &[("content-type", "application/xml")],
            "<e/>",
        )
        .await;
    assert_eq!(stranger.status, 404);
}

#[tokio::test]
async fn a_body_the_vendor_would_not_send_is_400_redacted_and_stores_nothing() {
    let hub = token_hub().await;
    // The body carries the token itself (some sources echo it); the reason quotes the body.
    let body = json!({"no_event": true, "token": TOKEN}).to_string();
    let answer = hub
        .post("/hooks/hook", &[JSON, ("x-ferry-token", TOKEN)], body)
        .await;
    assert_eq!(answer.status, 400);
    let reason = answer.json()["error"].as_str().unwrap().to_string();
    assert!(
        reason.starts_with("rejected: an event without event_id"),
        "{reason}"
    );
    assert!(!reason.contains(TOKEN), "{reason}");
    assert!(reason.contains("[REDACTED]"), "{reason}");
    let not_json = hub
        .post("/hooks/hook", &[JSON, ("x-ferry-token", TOKEN)], "{oops")
        .await;
    assert_eq!(not_json.status, 400);
    assert!(hub.items("hook").await.is_empty());
    let runs = hub
        .store
        .list_runs(crate::store::RunQuery {
            bundle_id: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(
        runs.is_empty(),
        "a rejected delivery records no run: {runs:?}"
    );
}
