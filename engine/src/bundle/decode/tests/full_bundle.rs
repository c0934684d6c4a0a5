//! A bundle using every feature decodes to exactly the expected model.

use std::time::Duration;

use serde_json::json;

use super::parse;
use crate::bundle::{CompareOp, Condition, Mapping, Normalizer, OnFound, SecretRef};

const FULL: &str = r#"
id: ct-call-to-order-7f3a
name: Calltouch call -> CRM order
description: Every answered call becomes a customer and an order.
enabled: false
connections:
  calls:
    kind: calltrack
    site_id: "12345"
    token: ${secret:CALLS_TOKEN}
    base_url: http://127.0.0.1:9000
  shop:
    kind: crm
    url: https://example.crm.test
    api_key: ${env:SHOP_KEY}
    site: main
    rate_limit: { requests: 10, per: 1s, burst: 20, max_parallel: 5 }
trigger:
  connection: calls
  event: new_call
  schedule: "*/10 * * * *"
  key: "{{item.callId}}-{{bundle.id}}"
  settings: { direction: in, with_requests: true }
filter:
  all:
    - "status != complete"
    - { field: item.duration, op: ">=", value: 30 }
    - any: [ "type in [form, phone]", "email exists" ]
    - not: "tags contains spam"
    - "phone matches ^7[0-9]{10}$"
steps:
  - id: customer
    action: shop.create_customer
    dedup: { search_by: [phone, email], on_found: update }
    with:
      external_id: "{{item.callId}}"
      first_name: Caller
      phone: { from: item.callerNumber, normalize: digits }
      email: { first_of: [email, mail, item.client.email], normalize: [trim, lower] }
      manager: { lookup: item.sip, table: { 101: 7, "102": 9 }, default: 1 }
  - id: order
    action: shop.create_order
    when: "steps.customer.id exists"
    dedup: always_create
    with:
      customer_id: "{{steps.customer.id}}"
      status: new
      budget: 0
      tags: { join: [item.tags_tones, item.tags_number], sep: "|" }
      note: { const: "literal {{braces}}" }
      source: { from: item.utmSource, default: "calltouch" }
      custom_fields: { object: { utm_term: "{{item.utmTerm}}", fixed: 1 } }
      items: { list: [ { object: { sku: "{{item.sku}}" } }, plain ] }
      number: [a, "{{item.b}}"]
  - id: task
    action: shop.create_task
    dedup: { search_by: phone, on_found: skip }
    with:
      text: "call {{steps.order.number}}"
      phone: { from: item.callerNumber }
      anything_else: open inputs are accepted
run: { concurrency: 4, max_attempts: 3, backoff_initial: 500ms, backoff_max: 1m }
"#;

#[test]
fn full_bundle_decodes_to_the_expected_model() {
    let b = parse(FULL).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(b.id, "ct-call-to-order-7f3a");
    assert_eq!(
        b.description.as_deref(),
        Some("Every answered call becomes a customer and an order.")
    );
    assert!(!b.enabled);
    assert_eq!(b.path, std::path::Path::new("b.yaml"));

    let calls = &b.connections["calls"];
    assert_eq!(calls.kind, "calltrack");
    assert_eq!(calls.settings.get("site_id"), Some(&json!("12345")));
    assert_eq!(
        calls.secrets["token"],
        SecretRef::Secret("CALLS_TOKEN".into())
    );
    assert!(!calls.settings.contains_key("token"));
    let shop = &b.connections["shop"];
    assert_eq!(shop.secrets["api_key"], SecretRef::Env("SHOP_KEY".into()));
    let limit = shop.rate_limit.as_ref().unwrap();
    assert_eq!(
        (limit.requests, limit.per, limit.burst, limit.max_parallel),
        (10, Duration::from_secs(1), Some(20), Some(5))
    );
    assert!(calls.rate_limit.is_none());

    assert_eq!(b.trigger.connection, "calls");
    assert_eq!(b.trigger.event, "new_call");
    assert_eq!(b.trigger.schedule.source, "*/10 * * * *");
    assert_eq!(b.trigger.key.source(), "{{item.callId}}-{{bundle.id}}");
    assert_eq!(b.trigger.settings.get("with_requests"), Some(&json!(true)));

    let Some(Condition::All(parts)) = &b.filter else {
        panic!("{:?}", b.filter)
    };
    assert_eq!(parts.len(), 5);
    let Condition::Compare(ne) = &parts[0] else {
        panic!()
    };
    assert_eq!(
        (ne.field.to_string(), ne.value.clone()),
        ("item.status".into(), Some(json!("complete")))
    );
    assert!(matches!(ne.op, CompareOp::Ne));
    let Condition::Compare(ge) = &parts[1] else {
        panic!()
    };
    assert!(matches!(ge.op, CompareOp::Ge));
    assert_eq!(ge.value, Some(json!(30)));
    let Condition::Any(any) = &parts[2] else {
        panic!()
    };
    let Condition::Compare(is_in) = &any[0] else {
        panic!()
    };
    assert!(matches!(is_in.op, CompareOp::In));
    assert_eq!(is_in.value, Some(json!(["form", "phone"])));
    let Condition::Compare(exists) = &any[1] else {
        panic!()
    };
    assert!(matches!(exists.op, CompareOp::Exists) && exists.value.is_none());
    let Condition::Not(not) = &parts[3] else {
        panic!()
    };
    assert!(matches!(&**not, Condition::Compare(c) if matches!(c.op, CompareOp::Contains)));
    let Condition::Compare(matches) = &parts[4] else {
        panic!()
    };
    let CompareOp::Matches(regex) = &matches.op else {
        panic!()
    };
    assert!(regex.is_match("79161234567") && !regex.is_match("8916"));

    let ids: Vec<&str> = b.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["customer", "order", "task"]);
    let customer = &b.steps[0];
    assert_eq!(
        (customer.connection.as_str(), customer.action.as_str()),
        ("shop", "create_customer")
    );
    let dedup = customer.dedup.as_ref().unwrap();
    assert_eq!(
        (dedup.search_by.clone(), dedup.on_found),
        (vec!["phone".to_string(), "email".into()], OnFound::Update)
    );
    assert_eq!(customer.outputs, ["id", "externalId"]);
    let w = &customer.with;
    assert!(matches!(&w["external_id"], Mapping::Template(t) if t.source() == "{{item.callId}}"));
    assert!(matches!(&w["first_name"], Mapping::Const(v) if *v == json!("Caller")));
    let Mapping::Normalized { inner, normalizers } = &w["phone"] else {
        panic!("{:?}", w["phone"])
    };
    assert!(matches!(&**inner, Mapping::Path(p) if p.to_string() == "item.callerNumber"));
    assert_eq!(normalizers, &[Normalizer::Digits]);
    let Mapping::Normalized { inner, normalizers } = &w["email"] else {
        panic!()
    };
    assert_eq!(normalizers, &[Normalizer::Trim, Normalizer::Lower]);
    let Mapping::FirstOf(alternatives) = &**inner else {
        panic!()
    };
    let paths: Vec<String> = alternatives
        .iter()
        .map(|m| match m {
            Mapping::Path(p) => p.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(paths, ["item.email", "item.mail", "item.client.email"]);
    let Mapping::Lookup {
        input,
        table,
        default,
    } = &w["manager"]
    else {
        panic!()
    };
    assert!(matches!(&**input, Mapping::Path(p) if p.to_string() == "item.sip"));
    assert_eq!(
        (table["101"].clone(), table["102"].clone(), default.clone()),
        (json!(7), json!(9), Some(json!(1)))
    );

    let order = &b.steps[1];
    assert!(order.dedup.is_none());
    assert!(
        matches!(&order.when, Some(Condition::Compare(c)) if c.field.to_string() == "steps.customer.id")
    );
    let w = &order.with;
    assert!(matches!(&w["budget"], Mapping::Const(v) if *v == json!(0)));
    let Mapping::Join { parts, sep } = &w["tags"] else {
        panic!()
    };
    assert_eq!((parts.len(), sep.as_str()), (2, "|"));
    assert!(matches!(&w["note"], Mapping::Const(v) if *v == json!("literal {{braces}}")));
    let Mapping::Default { inner, default } = &w["source"] else {
        panic!()
    };
    assert!(matches!(&**inner, Mapping::Path(_)));
    assert_eq!(default, &json!("calltouch"));
    let Mapping::Object(fields) = &w["custom_fields"] else {
        panic!()
    };
    assert!(matches!(&fields["utm_term"], Mapping::Template(_)));
    assert!(matches!(&fields["fixed"], Mapping::Const(v) if *v == json!(1)));
    let Mapping::List(items) = &w["items"] else {
        panic!()
    };
    assert!(matches!(&items[0], Mapping::Object(_)) && matches!(&items[1], Mapping::Const(_)));
    let Mapping::List(bare) = &w["number"] else {
        panic!()
    };
    assert!(matches!(&bare[0], Mapping::Const(_)) && matches!(&bare[1], Mapping::Template(_)));

    let task = &b.steps[2];
    assert_eq!(task.dedup.as_ref().unwrap().search_by, ["phone"]);
    assert_eq!(task.dedup.as_ref().unwrap().on_found, OnFound::Skip);
    assert!(matches!(&task.with["phone"], Mapping::Path(_)));
    assert!(task.with.contains_key("anything_else"));

    assert_eq!(b.run.concurrency, 4);
    assert_eq!(b.run.max_attempts, 3);
    assert_eq!(b.run.backoff_initial, Duration::from_millis(500));
    assert_eq!(b.run.backoff_max, Duration::from_secs(60));
}

#[test]
fn defaults_apply_when_keys_are_left_out() {
    let b = parse(super::BASE).unwrap_or_else(|d| panic!("{d}"));
    assert!(b.enabled);
    assert!(b.description.is_none() && b.filter.is_none());
    assert_eq!(b.trigger.schedule.source, crate::bundle::DEFAULT_SCHEDULE);
    assert_eq!(b.trigger.key.source(), "{{item.callId}}");
    assert_eq!(
        b.run.concurrency,
        crate::bundle::RunOptions::default().concurrency
    );
    assert!(b.steps[0].dedup.is_none());
}

#[test]
fn every_truncation_of_a_bundle_is_either_valid_or_explained() {
    // Cutting the file after any line (or mid-line) exercises missing keys, half-written
    // flow maps and empty values; none may panic or fail without a diagnostic.
    let cuts = FULL.char_indices().map(|(i, _)| i).filter(|i| i % 7 == 0);
    for cut in cuts {
        let text = &FULL[..cut];
        if let Err(problems) = parse(text) {
            assert!(
                !problems.is_empty(),
                "no problem reported for a cut at {cut}"
            );
        }
    }
}
