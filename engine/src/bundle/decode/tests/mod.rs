//! Tests of bundle decoding against the specs in `bundle::test_specs`.

mod errors;
mod features;
mod full_bundle;
mod references;
mod sections;

use std::path::Path;

use crate::bundle::{Bundle, Diagnostics, parse_bundle_with};

/// A small valid bundle the error tests start from (line numbers matter to them).
pub const BASE: &str = r#"id: base
name: Base
connections:
  calls: { kind: calltrack, site_id: "1", token: "${secret:CALLS_TOKEN}" }
  shop: { kind: crm, url: "https://x.example", api_key: "${env:SHOP_KEY}" }
trigger:
  connection: calls
  event: new_call
  settings: { direction: in }
steps:
  - id: customer
    action: shop.create_customer
    with:
      first_name: "{{item.name}}"
      phone: { from: item.callerNumber, normalize: digits }
  - id: order
    action: shop.create_order
    with:
      customer_id: "{{steps.customer.id}}"
"#;

/// Decode `text` as `b.yaml` against the test specs.
pub fn parse(text: &str) -> Result<Bundle, Diagnostics> {
    parse_bundle_with(
        Path::new("b.yaml"),
        text,
        &crate::bundle::test_specs::catalog(),
    )
}

/// The problems in `text`, one `Display` line each.
pub fn problems(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(_) => Vec::new(),
        Err(d) => d.iter().map(ToString::to_string).collect(),
    }
}

/// `BASE` with `from` replaced by `to` (which must occur exactly once).
pub fn base_with(from: &str, to: &str) -> String {
    assert_eq!(
        BASE.matches(from).count(),
        1,
        "`{from}` must occur once in BASE"
    );
    BASE.replace(from, to)
}

/// The single problem in `text`.
pub fn only_problem(text: &str) -> String {
    let all = problems(text);
    assert_eq!(all.len(), 1, "expected one problem, got {all:#?}");
    all.into_iter().next().unwrap()
}

#[test]
fn base_is_valid() {
    let bundle = parse(BASE).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(bundle.steps.len(), 2);
}
