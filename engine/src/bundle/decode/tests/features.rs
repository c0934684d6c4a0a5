//! `vars`, `count`, `switch`, `when` and `until_found`: the forms the CallbackHunter,
//! Alfa-Track and Ringostat integrations need (thresholds, routing, conditional writes,
//! deferred matches).

use super::{base_with, parse, problems};
use crate::bundle::model::Mapping;
use crate::expr::{EvalContext, evaluate_condition, evaluate_mapping};
use serde_json::{Map, Value, json};

const VARS: &str = r#"vars:
  counted: { count: item.messages, where: "author in [visitor, manager]" }
  phone_digits: { from: item.callerNumber, normalize: digits }
  successful: { switch: [ { when: "vars.counted >= 3", value: true } ], default: false }
filter: "vars.phone_digits not_in ['79990000000']"
steps:"#;

#[test]
fn vars_are_decoded_in_order_and_readable_everywhere() {
    let bundle = parse(&base_with("steps:", VARS)).unwrap();
    let names: Vec<&str> = bundle.vars.keys().map(String::as_str).collect();
    assert_eq!(names, ["counted", "phone_digits", "successful"]);
    assert!(matches!(
        bundle.vars["counted"],
        Mapping::Count {
            filter: Some(_),
            ..
        }
    ));
    assert!(matches!(bundle.vars["successful"], Mapping::Switch { .. }));

    // Evaluate them the way the runner does.
    let item = json!({"callerNumber": "+7 999 000-00-00", "messages": [
        {"author": "visitor"}, {"author": "system"}, {"author": "manager"}, {"author": "visitor"}
    ]});
    let steps = Map::new();
    let bundle_json = json!({"id": "base", "name": "Base"});
    let mut vars = Map::new();
    for (name, mapping) in &bundle.vars {
        let ctx = EvalContext {
            item: &item,
            steps: &steps,
            bundle: &bundle_json,
            vars: &vars,
        };
        let value = evaluate_mapping(mapping, &ctx).unwrap();
        vars.insert(name.clone(), value);
    }
    assert_eq!(vars["counted"], json!(3), "system messages do not count");
    assert_eq!(vars["successful"], json!(true));
    let ctx = EvalContext {
        item: &item,
        steps: &steps,
        bundle: &bundle_json,
        vars: &vars,
    };
    assert!(
        !evaluate_condition(bundle.filter.as_ref().unwrap(), &ctx).unwrap(),
        "stop-listed number"
    );
}

#[test]
fn unknown_and_forward_var_reads_are_reported() {
    let text = base_with(
        "steps:",
        "vars:\n  a: { from: vars.b }\n  b: { from: item.x }\nfilter: \"vars.c exists\"\nsteps:",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].contains("vars.a") && found[0].contains("no var `b` is declared before"),
        "{found:#?}"
    );
    assert!(
        found[1].contains("b.yaml:13:9 filter") && found[1].contains("no var `c`"),
        "{found:#?}"
    );
}

#[test]
fn when_switch_and_count_need_their_parts() {
    let text = base_with(
        "phone: { from: item.callerNumber, normalize: digits }",
        "phone: { when: \"item.x empty\" }\n      manager: { switch: [] }",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].contains("missing required key `value`"),
        "{found:#?}"
    );
    assert!(
        found[1].contains("`switch` needs at least one case"),
        "{found:#?}"
    );
}

#[test]
fn conditional_values_are_left_out_when_false() {
    let text = base_with(
        "phone: { from: item.callerNumber, normalize: digits }",
        "phone: { when: \"item.ga empty\", value: { from: item.callerNumber } }",
    );
    let bundle = parse(&text).unwrap();
    let mapping = &bundle.steps[0].with["phone"];
    let steps = Map::new();
    let b = json!({});
    let ctx_item = json!({"callerNumber": "7916", "ga": "GA1.2"});
    let ctx = EvalContext {
        item: &ctx_item,
        steps: &steps,
        bundle: &b,
        vars: crate::expr::no_vars(),
    };
    assert_eq!(evaluate_mapping(mapping, &ctx).unwrap(), Value::Null);
    let ctx_item = json!({"callerNumber": "7916"});
    let ctx = EvalContext {
        item: &ctx_item,
        steps: &steps,
        bundle: &b,
        vars: crate::expr::no_vars(),
    };
    assert_eq!(evaluate_mapping(mapping, &ctx).unwrap(), json!("7916"));
}

const DEFERRED: &str = r#"id: deferred
name: Deferred
connections:
  calls: { kind: calltrack, site_id: "1", token: "${secret:CALLS_TOKEN}" }
  api: { kind: web, base_url: "https://x.example" }
trigger: { connection: calls, event: new_call, settings: { direction: in } }
steps:
  - id: find
    action: api.request
    until_found: { within: 3h, every: 15m }
    with: { path: /search, outputs: { found: found, id: id } }
"#;

#[test]
fn until_found_reads_a_declared_output() {
    let bundle = parse(DEFERRED).unwrap();
    let until = bundle.steps[0].until_found.clone().unwrap();
    assert_eq!(until.field, "found");
    assert_eq!(until.within, std::time::Duration::from_secs(3 * 3600));
    assert_eq!(until.every, std::time::Duration::from_secs(15 * 60));
    let missing = DEFERRED.replace("outputs: { found: found, id: id }", "outputs: { id: id }");
    let found = problems(&missing);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("`until_found` needs an output `found`"),
        "{found:#?}"
    );
}
