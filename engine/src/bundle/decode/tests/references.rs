//! Step references: earlier steps only, existing steps, existing outputs.

use super::{base_with, only_problem};

#[test]
fn reference_to_a_later_step() {
    let text = base_with(
        "first_name: \"{{item.name}}\"",
        "first_name: \"{{steps.order.number}}\"",
    );
    assert_eq!(
        only_problem(&text),
        "b.yaml:14:19 steps[0].with.first_name: `steps.order.number`: step `order` runs after this one, so its output is not there yet"
    );
}

#[test]
fn reference_to_an_unknown_step_suggests_an_earlier_one() {
    let text = base_with("\"{{steps.customer.id}}\"", "\"{{steps.custmer.id}}\"");
    assert_eq!(
        only_problem(&text),
        "b.yaml:19:20 steps[1].with.customer_id: `steps.custmer.id` reads unknown step `custmer` (did you mean `customer`?)"
    );
}

#[test]
fn reference_to_an_output_the_action_lacks() {
    let text = base_with("\"{{steps.customer.id}}\"", "{ from: steps.customer.idd }");
    assert_eq!(
        only_problem(&text),
        "b.yaml:19:28 steps[1].with.customer_id.from: step `customer` (`shop.create_customer`) has no output `idd`; it produces: id, externalId (did you mean `id`?)"
    );
}

#[test]
fn the_filter_and_trigger_key_cannot_read_steps() {
    let text = base_with("steps:\n", "filter: \"steps.customer.id exists\"\nsteps:\n");
    assert_eq!(
        only_problem(&text),
        "b.yaml:10:9 filter: the filter is evaluated before any step runs, so it can read only item.* and bundle.*, not `steps.customer.id`"
    );
    let text = base_with(
        "  event: new_call\n",
        "  event: new_call\n  key: \"{{steps.customer.id}}\"\n",
    );
    assert!(
        only_problem(&text)
            .starts_with("b.yaml:9:8 trigger.key: the trigger key is evaluated before any step")
    );
}

#[test]
fn when_reads_earlier_steps_and_not_later_ones() {
    let ok = base_with(
        "    action: shop.create_order\n",
        "    action: shop.create_order\n    when: \"steps.customer.id exists\"\n",
    );
    assert!(super::parse(&ok).is_ok());
    let bad = base_with(
        "    action: shop.create_customer\n",
        "    action: shop.create_customer\n    when: \"steps.order.id exists\"\n",
    );
    assert!(only_problem(&bad).contains("step `order` runs after this one"));
}

const WEB_BUNDLE: &str = r#"id: web
name: Web
connections:
  calls: { kind: calltrack, site_id: "1", token: "${secret:CALLS_TOKEN}" }
  api: { kind: web, base_url: "http://127.0.0.1:9" }
trigger: { connection: calls, event: new_call, settings: { direction: in } }
steps:
  - id: lookup
    action: api.request
    with:
      path: /orders
      outputs: { total: data.total, id: data.id }
  - id: echo
    action: api.request
    with:
      path: "/echo/{{steps.lookup.total}}"
"#;

#[test]
fn declared_outputs_of_a_generic_request_can_be_read() {
    let bundle = super::parse(WEB_BUNDLE).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(bundle.steps[0].outputs, ["total", "id"]);
    assert!(bundle.steps[1].outputs.is_empty());
    let bad = WEB_BUNDLE.replace("steps.lookup.total", "steps.lookup.totl");
    assert_eq!(
        only_problem(&bad),
        "b.yaml:16:13 steps[1].with.path: step `lookup` (`api.request`) has no output `totl`; it produces: total, id (did you mean `total`?)"
    );
}
