//! `trigger.webhook` against a test connector with one webhook-delivered event and the
//! polled call tracker of `bundle::test_specs`.

use std::path::Path;

use ferry_connectors::spec::field;
use ferry_connectors::{ConnectorSpec, Delivery, TriggerSpec};

use crate::bundle::model::{HmacAuth, SecretRef, SignatureEncoding, WebhookAuth};
use crate::bundle::test_specs::{CALLTRACK, CRM};
use crate::bundle::{Bundle, Catalog, Diagnostics, parse_bundle_with};

static HOOKS: ConnectorSpec = ConnectorSpec {
    kind: "hooks",
    description: "test webhook source",
    settings: &[],
    triggers: &[TriggerSpec {
        event: "request_finished",
        delivery: Delivery::Webhook,
        description: "a finished call-back request",
        settings: &[],
        default_key: "{{item.event_id}}",
        item_fields: &[field("event_id", true, "event id")],
    }],
    actions: &[],
};

/// A webhook bundle; `WEBHOOK` is replaced by the test's `webhook:` block (line 9 on).
const HOOK_BUNDLE: &str = r#"id: hook
name: Hook
connections:
  src: { kind: hooks }
  calls: { kind: calltrack, site_id: "1", token: "${secret:CALLS_TOKEN}" }
  shop: { kind: crm, url: "https://x.example", api_key: "${env:SHOP_KEY}" }
trigger:
WEBHOOK
steps:
  - id: customer
    action: shop.create_customer
    with: { first_name: "{{item.name}}" }
"#;

fn parse(trigger_body: &str) -> Result<Bundle, Diagnostics> {
    // Every trigger body starts on line 8; the polled one names its own connection.
    let trigger_body = if trigger_body.contains("connection:") {
        trigger_body.to_string()
    } else {
        format!("  connection: src\n{trigger_body}")
    };
    let text = HOOK_BUNDLE.replace("WEBHOOK\n", &trigger_body);
    parse_bundle_with(
        Path::new("b.yaml"),
        &text,
        &Catalog::new(vec![&HOOKS, &CALLTRACK, &CRM]),
    )
}

fn problems(trigger_body: &str) -> Vec<String> {
    match parse(trigger_body) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

fn auth(trigger_body: &str) -> WebhookAuth {
    let bundle = parse(trigger_body).unwrap_or_else(|d| panic!("{d}"));
    bundle.trigger.webhook.expect("webhook auth")
}

#[test]
fn token_and_signature_decode_with_their_defaults() {
    let full = auth(
        "  event: request_finished\n  webhook:\n    token: ${secret:HOOK_TOKEN}\n    token_header: X-Hook-Token\n    hmac: { secret: \"${env:HOOK_HMAC}\", header: X-Signature, encoding: base64, prefix: \"sha256=\" }\n",
    );
    assert_eq!(
        full,
        WebhookAuth {
            token: Some(SecretRef::Secret("HOOK_TOKEN".into())),
            token_header: Some("X-Hook-Token".into()),
            hmac: Some(HmacAuth {
                secret: SecretRef::Env("HOOK_HMAC".into()),
                header: "X-Signature".into(),
                encoding: SignatureEncoding::Base64,
                prefix: Some("sha256=".into()),
            }),
        }
    );
    let token_only = auth("  event: request_finished\n  webhook: { token: \"${secret:T}\" }\n");
    assert_eq!(token_only.token_header, None);
    assert_eq!(token_only.hmac, None);
    let hmac_only =
        auth("  event: request_finished\n  webhook: { hmac: { secret: \"${secret:H}\" } }\n");
    assert_eq!(hmac_only.token, None);
    let hmac = hmac_only.hmac.unwrap();
    assert_eq!(
        (hmac.header.as_str(), hmac.encoding, hmac.prefix),
        ("X-Ferry-Signature", SignatureEncoding::Hex, None)
    );
}

#[test]
fn webhook_events_use_the_default_key_from_the_spec() {
    let bundle =
        parse("  event: request_finished\n  webhook: { token: \"${secret:T}\" }\n").unwrap();
    let item = serde_json::json!({"event_id": "ev-7"});
    let steps = serde_json::Map::new();
    let ctx = crate::expr::EvalContext {
        item: &item,
        steps: &steps,
        bundle: &serde_json::Value::Null,
        vars: crate::expr::no_vars(),
    };
    assert_eq!(bundle.trigger.key.render_text(&ctx).unwrap(), "ev-7");
}

#[test]
fn a_webhook_event_needs_webhook_and_takes_no_schedule() {
    assert_eq!(
        problems("  event: request_finished\n  schedule: \"*/5 * * * *\"\n"),
        [
            "b.yaml:8:3 trigger.webhook: event `request_finished` is delivered by webhook: add `webhook:` with a `token` and/or an `hmac` signature, so ferry accepts only the source's deliveries",
            "b.yaml:10:3 trigger.schedule: event `request_finished` is pushed by the source to POST /hooks/<bundle id>, not polled; remove `schedule`",
        ]
    );
}

#[test]
fn a_polled_event_takes_no_webhook() {
    assert_eq!(
        problems(
            "  connection: calls\n  event: new_call\n  settings: { direction: in }\n  webhook: { token: \"${secret:T}\" }\n"
        ),
        [
            "b.yaml:11:3 trigger.webhook: event `new_call` is polled on the schedule, not delivered by webhook; remove `webhook`"
        ]
    );
}

#[test]
fn secrets_must_be_references_and_are_never_echoed() {
    let got = problems(
        "  event: request_finished\n  webhook:\n    token: hunter2-literal\n    hmac: { secret: \"s3cr3t-literal\" }\n",
    );
    assert_eq!(
        got,
        [
            "b.yaml:11:12 trigger.webhook.token: `token` is a secret: write a reference like ${secret:HOOK_TOKEN} or ${env:...}, never the value",
            "b.yaml:12:21 trigger.webhook.hmac.secret: `secret` is a secret: write a reference like ${secret:HOOK_SECRET} or ${env:...}, never the value",
        ]
    );
    assert!(got.iter().all(|p| !p.contains("literal")), "{got:#?}");
    assert_eq!(
        problems("  event: request_finished\n  webhook: { token: \"${vault:T}\" }\n"),
        [
            "b.yaml:10:21 trigger.webhook.token: invalid secret reference: the whole value must be ${secret:NAME} or ${env:NAME}, NAME made of letters, digits and `_`"
        ]
    );
}

#[test]
fn every_problem_of_the_webhook_block_is_reported_at_once() {
    assert_eq!(
        problems("  event: request_finished\n  webhook: { token_header: X-T }\n"),
        [
            "b.yaml:10:12 trigger.webhook: `webhook` needs a `token`, an `hmac` signature, or both; without either anyone could post items",
            "b.yaml:10:14 trigger.webhook.token_header: `token_header` says where the token is read from, but no `token` is given",
        ]
    );
    assert_eq!(
        problems(
            "  event: request_finished\n  webhook:\n    tokn: x\n    token: ${secret:T}\n    token_header: \"X Token\"\n    hmac: { secret: \"${secret:H}\", encoding: hexx, header: \"\" }\n"
        ),
        [
            "b.yaml:11:5 trigger.webhook.tokn: unknown key `tokn` (did you mean `token`?)",
            "b.yaml:13:19 trigger.webhook.token_header: `X Token` is not an HTTP header name (letters, digits and `-`, like X-Signature)",
            "b.yaml:14:46 trigger.webhook.hmac.encoding: unknown signature encoding `hexx`; use hex or base64 (did you mean `hex`?)",
            "b.yaml:14:60 trigger.webhook.hmac.header: must not be empty",
        ]
    );
}

#[test]
fn a_webhook_key_must_read_the_item() {
    let got = problems(
        "  event: request_finished\n  key: \"constant\"\n  webhook: { token: \"${secret:T}\" }\n",
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(
        got[0].starts_with("b.yaml:10:8 trigger.key: the key reads nothing from the item"),
        "{got:#?}"
    );
}
