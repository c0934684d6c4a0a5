//! Problems specific to each section: dedup, trigger, mappings, conditions, connections.

use super::{base_with, only_problem, problems};

fn with_customer_dedup(dedup: &str) -> String {
    base_with(
        "    action: shop.create_customer\n",
        &format!("    action: shop.create_customer\n    dedup: {dedup}\n"),
    )
}

#[test]
fn dedup_is_checked_against_what_the_action_supports() {
    assert!(
        super::parse(&with_customer_dedup(
            "{ search_by: [phone], on_found: update }"
        ))
        .is_ok()
    );
    assert_eq!(
        only_problem(&with_customer_dedup(
            "{ search_by: [phone, emial], on_found: reuse }"
        )),
        "b.yaml:13:33 steps[0].dedup.search_by[1]: `shop.create_customer` cannot search by `emial`; it searches by: phone, email (did you mean `email`?)"
    );
    assert_eq!(
        only_problem(&with_customer_dedup(
            "{ search_by: email, on_found: reuse }"
        )),
        "b.yaml:13:25 steps[0].dedup.search_by: searching by `email` needs a value: map `email` under `with`"
    );
    assert_eq!(
        only_problem(&with_customer_dedup(
            "{ search_by: phone, on_found: resue }"
        )),
        "b.yaml:13:42 steps[0].dedup.on_found: unknown `on_found` choice `resue`; use reuse, update, skip (did you mean `reuse`?)"
    );
    assert_eq!(
        only_problem(&with_customer_dedup("always_craete")),
        "b.yaml:13:12 steps[0].dedup: expected `always_create` or { search_by: [...], on_found: reuse|update|skip }, found `always_craete` (did you mean `always_create`?)"
    );
    // A search key whose value has a problem is reported once, for that problem.
    let bad_value = with_customer_dedup("{ search_by: phone, on_found: reuse }")
        .replace("normalize: digits", "normalize: digit");
    assert_eq!(
        only_problem(&bad_value),
        "b.yaml:16:52 steps[0].with.phone.normalize: unknown normalizer `digit`; use digits, lower, upper, trim (did you mean `digits`?)"
    );
    let order = base_with(
        "    action: shop.create_order\n",
        "    action: shop.create_order\n    dedup: { search_by: id, on_found: reuse }\n",
    );
    assert_eq!(
        only_problem(&order),
        "b.yaml:18:5 steps[1].dedup: `shop.create_order` cannot search for duplicates; remove `dedup` (or write `dedup: always_create`)"
    );
}

#[test]
fn dedup_search_order_is_in_turn_unless_first_present() {
    use crate::bundle::SearchOrder;
    let order = |dedup: &str| {
        super::parse(&with_customer_dedup(dedup)).unwrap().steps[0]
            .dedup
            .as_ref()
            .unwrap()
            .search
    };
    assert_eq!(
        order("{ search_by: [phone], on_found: reuse }"),
        SearchOrder::InTurn
    );
    assert_eq!(
        order("{ search_by: [phone], search: first_present, on_found: reuse }"),
        SearchOrder::FirstPresent
    );
    assert_eq!(
        only_problem(&with_customer_dedup(
            "{ search_by: phone, search: first, on_found: reuse }"
        )),
        "b.yaml:13:40 steps[0].dedup.search: unknown `search` choice `first`; use in_turn, first_present (did you mean `first_present`?)"
    );
}

#[test]
fn update_needs_an_update_action() {
    let text = base_with(
        "steps:\n",
        "steps:\n  - id: task\n    action: shop.create_task\n    dedup: { search_by: phone, on_found: update }\n    with: { text: hi, phone: \"{{item.phone}}\" }\n",
    );
    assert_eq!(
        only_problem(&text),
        "b.yaml:13:42 steps[0].dedup.on_found: `shop.create_task` cannot update a found record; use `reuse` or `skip`"
    );
}

#[test]
fn trigger_event_settings_and_key_are_checked() {
    assert_eq!(
        only_problem(&base_with("event: new_call", "event: new_cal")),
        "b.yaml:8:10 trigger.event: connection `calls` (calltrack) has no trigger event `new_cal`; it offers: new_call (did you mean `new_call`?)"
    );
    assert_eq!(
        problems(&base_with(
            "settings: { direction: in }",
            "settings: { directon: in }"
        )),
        [
            "b.yaml:9:13 trigger.settings.direction: missing required trigger setting `direction` (in or out)",
            "b.yaml:9:15 trigger.settings.directon: unknown setting `directon` for trigger `new_call`; it takes: with_requests, direction (did you mean `direction`?)",
        ]
    );
    assert_eq!(
        only_problem(&base_with(
            "settings: { direction: in }",
            "settings: { direction: \"${secret:X}\" }"
        )),
        "b.yaml:9:26 trigger.settings.direction: trigger settings cannot hold secrets; put credentials on the connection"
    );
    let constant_key = base_with(
        "  event: new_call\n",
        "  event: new_call\n  key: same-for-all\n",
    );
    assert!(
        only_problem(&constant_key)
            .starts_with("b.yaml:9:8 trigger.key: the key reads nothing from the item")
    );
    let bundle_only = base_with(
        "  event: new_call\n",
        "  event: new_call\n  key: \"{{bundle.id}}\"\n",
    );
    assert!(
        only_problem(&bundle_only)
            .starts_with("b.yaml:9:8 trigger.key: the key reads nothing from the item")
    );
}

#[test]
fn mapping_forms_are_checked() {
    let unknown_form = base_with(
        "{ from: item.callerNumber, normalize: digits }",
        "{ form: item.callerNumber }",
    );
    let all = problems(&unknown_form);
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(
        all[0].starts_with(
            "b.yaml:15:14 steps[0].with.phone: a map here must say how the value is made"
        ),
        "{}",
        all[0]
    );
    assert_eq!(
        all[1],
        "b.yaml:15:16 steps[0].with.phone.form: unknown key `form` (did you mean `from`?)"
    );
    let combined = base_with(
        "{ from: item.callerNumber, normalize: digits }",
        "{ from: a, join: [b] }",
    );
    assert_eq!(
        only_problem(&combined),
        "b.yaml:15:14 steps[0].with.phone: `from` and `join` cannot be combined: a mapping has exactly one form"
    );
    let braces = base_with(
        "{ from: item.callerNumber, normalize: digits }",
        "{ from: \"{{item.phone}}\" }",
    );
    assert_eq!(
        only_problem(&braces),
        "b.yaml:15:22 steps[0].with.phone.from: `{{item.phone}}` is a template; a path is written without braces, like item.phone"
    );
    let secret = base_with(
        "{ from: item.callerNumber, normalize: digits }",
        "\"${secret:PHONE}\"",
    );
    assert_eq!(
        only_problem(&secret),
        "b.yaml:15:14 steps[0].with.phone: step inputs cannot read secrets; put the credential on the connection"
    );
    let lookup = base_with(
        "{ from: item.callerNumber, normalize: digits }",
        "{ lookup: item.sip, tabel: {} }",
    );
    assert_eq!(
        problems(&lookup),
        [
            "b.yaml:15:14 steps[0].with.phone.table: missing required key `table`",
            "b.yaml:15:34 steps[0].with.phone.tabel: unknown key `tabel` (did you mean `table`?)",
        ]
    );
}

#[test]
fn condition_forms_are_checked() {
    let filter = |f: &str| base_with("steps:\n", &format!("filter: {f}\nsteps:\n"));
    assert_eq!(
        only_problem(&filter("\"type in form\"")),
        "b.yaml:10:9 filter: `in` needs a list, like [form, phone]"
    );
    assert_eq!(
        only_problem(&filter("\"email exists yes\"")),
        "b.yaml:10:9 filter: `exists` takes no value"
    );
    assert_eq!(
        only_problem(&filter("\"status !=\"")),
        "b.yaml:10:9 filter: `!=` needs a value to compare with"
    );
    assert_eq!(
        only_problem(&filter("\"status\"")),
        "b.yaml:10:9 filter: `status` is not a condition: write `<field> <op> <value>`, like `status != complete`"
    );
    assert_eq!(
        only_problem(&filter("{ field: status, value: x }")),
        "b.yaml:10:9 filter.op: missing required key `op`"
    );
    assert_eq!(
        only_problem(&filter("{ field: status, op: \"=\", value: x }")),
        "b.yaml:10:30 filter.op: unknown operator `=`; use one of == != > >= < <= in not_in contains exists empty matches (did you mean `==`?)"
    );
    let typo = problems(&filter("{ alll: [] }"));
    assert_eq!(typo.len(), 2, "{typo:#?}");
    assert!(
        typo[0].starts_with("b.yaml:10:9 filter: this condition checks nothing"),
        "{}",
        typo[0]
    );
    assert_eq!(
        typo[1],
        "b.yaml:10:11 filter.alll: unknown key `alll` (did you mean `all`?)"
    );
    assert!(super::parse(&filter("[\"status != complete\", \"name matches [0-9]+\"]")).is_ok());
}

#[test]
fn connection_values_are_checked() {
    assert_eq!(
        only_problem(&base_with("\"${env:SHOP_KEY}\"", "\"${env:SHOP KEY}\"")),
        "b.yaml:5:57 connections.shop.api_key: invalid secret reference: the whole value must be ${secret:NAME} or ${env:NAME}, NAME made of letters, digits and `_`"
    );
    let limit = base_with(
        "api_key: \"${env:SHOP_KEY}\" }",
        "api_key: \"${env:SHOP_KEY}\", rate_limit: { requests: 0, pr: 1s } }",
    );
    assert_eq!(
        problems(&limit),
        [
            "b.yaml:5:88 connections.shop.rate_limit.per: missing required key `per`",
            "b.yaml:5:100 connections.shop.rate_limit.requests: must be a whole number from 1 to 4294967295, not 0",
            "b.yaml:5:103 connections.shop.rate_limit.pr: unknown key `pr` (did you mean `per`?)",
        ]
    );
}

#[test]
fn the_registry_catalog_knows_the_real_kinds() {
    let text = super::BASE.replace("kind: crm,", "kind: retailcrn,");
    let problems: Vec<String> = crate::bundle::parse_bundle(std::path::Path::new("b.yaml"), &text)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        problems.iter().any(|p| p
            .starts_with("b.yaml:5:17 connections.shop.kind: unknown connector kind `retailcrn`")
            && p.ends_with("(did you mean `retailcrm`?)")),
        "{problems:#?}"
    );
}
