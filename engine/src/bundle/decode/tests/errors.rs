//! Each kind of problem, reported at its line and column with its field path.

use super::{BASE, base_with, only_problem, problems};

#[test]
fn yaml_syntax_error_reports_the_parsers_position() {
    let text = base_with("event: new_call", "event: [new_call");
    let problem = only_problem(&text);
    assert!(problem.starts_with("b.yaml:9:"), "{problem}");
    assert!(problem.contains("invalid YAML"), "{problem}");
}

#[test]
fn unknown_top_level_key_suggests_the_known_one() {
    let text = BASE.replace("steps:\n", "stpes:\n");
    let all = problems(&text);
    assert_eq!(
        all,
        [
            "b.yaml:1:1 steps: missing required key `steps`",
            "b.yaml:10:1 stpes: unknown key `stpes` (did you mean `steps`?)",
        ]
    );
}

#[test]
fn unknown_nested_key_suggests_the_known_one() {
    let text = base_with(
        "  event: new_call\n",
        "  event: new_call\n  shedule: \"*/5 * * * *\"\n",
    );
    assert_eq!(
        only_problem(&text),
        "b.yaml:9:3 trigger.shedule: unknown key `shedule` (did you mean `schedule`?)"
    );
}

#[test]
fn wrong_type_names_what_was_expected_and_found() {
    let text = base_with("name: Base", "name: [Base]");
    assert_eq!(
        only_problem(&text),
        "b.yaml:2:7 name: expected a string, found a list"
    );
    let text = base_with("id: base", "id: base\nenabled: sometimes");
    assert_eq!(
        only_problem(&text),
        "b.yaml:2:10 enabled: expected true or false, found a string"
    );
}

#[test]
fn unknown_connection_in_a_step_suggests_the_defined_one() {
    let text = base_with("action: shop.create_order", "action: shpo.create_order");
    assert_eq!(
        only_problem(&text),
        "b.yaml:17:13 steps[1].action: unknown connection `shpo`; `connections` defines: calls, shop (did you mean `shop`?)"
    );
}

#[test]
fn unknown_action_suggests_the_closest_action() {
    let text = base_with("action: shop.create_order", "action: shop.create_ordr");
    assert_eq!(
        only_problem(&text),
        "b.yaml:17:13 steps[1].action: connection `shop` (crm) has no action `create_ordr`; it offers: create_customer, create_order, create_task (did you mean `shop.create_order`?)"
    );
}

#[test]
fn unknown_connector_kind_suggests_a_known_kind() {
    let text = base_with("kind: crm,", "kind: crn,");
    let problem = only_problem(&text);
    assert!(
        problem.starts_with("b.yaml:5:17 connections.shop.kind: unknown connector kind `crn`"),
        "{problem}"
    );
    assert!(problem.ends_with("(did you mean `crm`?)"), "{problem}");
}

#[test]
fn unknown_input_field_suggests_the_declared_one() {
    let text = base_with("      phone: { from", "      phne: { from");
    assert_eq!(
        only_problem(&text),
        "b.yaml:15:7 steps[0].with.phne: unknown input field `phne` for `shop.create_customer` (did you mean `phone`?)"
    );
}

#[test]
fn missing_required_input_is_reported_at_the_with_map() {
    let text = base_with("      first_name: \"{{item.name}}\"\n", "");
    assert_eq!(
        only_problem(&text),
        "b.yaml:14:7 steps[0].with.first_name: missing required input `first_name` of `shop.create_customer`"
    );
}

#[test]
fn literal_secret_is_refused_without_echoing_it() {
    let text = base_with("token: \"${secret:CALLS_TOKEN}\"", "token: s3cr3t-value");
    let problem = only_problem(&text);
    assert_eq!(
        problem,
        "b.yaml:4:50 connections.calls.token: `token` is a secret: write a reference like ${secret:CALLS_TOKEN} or ${env:...}, never the value"
    );
    assert!(!problem.contains("s3cr3t"));
}

#[test]
fn bad_cron_is_reported_at_the_schedule() {
    let text = base_with(
        "  event: new_call\n",
        "  event: new_call\n  schedule: \"*/5 * * *\"\n",
    );
    assert_eq!(
        only_problem(&text),
        "b.yaml:9:13 trigger.schedule: invalid cron schedule `*/5 * * *`: it has 4 fields; write five fields (minute hour day month weekday), like \"*/5 * * * *\""
    );
    let text = base_with(
        "  event: new_call\n",
        "  event: new_call\n  schedule: \"*/5 25 * * *\"\n",
    );
    let problem = only_problem(&text);
    assert!(
        problem.starts_with("b.yaml:9:13 trigger.schedule: invalid cron schedule `*/5 25 * * *`: "),
        "{problem}"
    );
    assert!(!problem.contains('\n'), "{problem}");
}

#[test]
fn bad_regex_is_reported_at_the_condition() {
    let text = base_with(
        "steps:\n",
        "filter:\n  all:\n    - \"phone matches ^(7\"\nsteps:\n",
    );
    let problem = only_problem(&text);
    assert!(
        problem.starts_with("b.yaml:12:7 filter.all[0]: invalid regular expression `^(7`"),
        "{problem}"
    );
}

#[test]
fn duplicate_step_ids_are_reported_at_the_second() {
    let text = base_with("  - id: order", "  - id: customer");
    assert_eq!(
        only_problem(&text),
        "b.yaml:16:9 steps[1].id: duplicate step id `customer` (first used on line 11); step ids must be unique"
    );
}

#[test]
fn template_that_does_not_compile_is_reported_at_its_value() {
    let text = base_with(
        "first_name: \"{{item.name}}\"",
        "first_name: \"{{#each item.names}}x{{/each}}\"",
    );
    let problem = only_problem(&text);
    assert!(
        problem.starts_with("b.yaml:14:19 steps[0].with.first_name: template does not compile: "),
        "{problem}"
    );
}

#[test]
fn missing_required_setting_and_unknown_setting() {
    let text = base_with(
        "url: \"https://x.example\", ",
        "ur: \"https://x.example\", ",
    );
    assert_eq!(
        problems(&text),
        [
            "b.yaml:5:9 connections.shop.url: missing required setting `url` (account address)",
            "b.yaml:5:22 connections.shop.ur: unknown setting `ur` for a `crm` connection (did you mean `url`?)",
        ]
    );
}

#[test]
fn several_problems_in_one_file_are_all_reported() {
    let text = r#"id: Bad Id
name: Several
conections: {}
connections:
  shop: { kind: crm, url: "https://x.example", api_key: plain-key }
trigger:
  connection: calls
  event: new_call
  schedule: "every five minutes"
filter: "status !! complete"
steps:
  - id: customer
    action: shop.create_customer
    with:
      first_name: "{{item.name}}"
      phne: item.phone
  - id: order
    action: shop.create_order
    with:
      customer_id: "{{steps.customer.idd}}"
      status: { from: status, normalize: lowercase }
run: { concurrency: 0, backoff_initial: 2 }
"#;
    let all = problems(text);
    let prefixes: Vec<&str> = all.iter().map(|p| p.split(": ").next().unwrap()).collect();
    assert_eq!(
        prefixes,
        [
            "b.yaml:1:5 id",
            "b.yaml:3:1 conections",
            "b.yaml:5:57 connections.shop.api_key",
            "b.yaml:7:15 trigger.connection",
            "b.yaml:9:13 trigger.schedule",
            "b.yaml:10:9 filter",
            "b.yaml:16:7 steps[0].with.phne",
            "b.yaml:20:20 steps[1].with.customer_id",
            "b.yaml:21:42 steps[1].with.status.normalize",
            "b.yaml:22:21 run.concurrency",
            "b.yaml:22:41 run.backoff_initial",
        ],
        "{all:#?}"
    );
}
