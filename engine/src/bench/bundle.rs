//! The benchmark's bundle, written as YAML and read by the same loader as every bundle
//! file, so the benchmark runs exactly what an integrator could write.

use std::path::Path;

use super::BenchError;
use crate::bundle::{Bundle, parse_bundle};

/// The secret names the bundle refers to (resolved from in-process values, never files).
pub const CALLTOUCH_TOKEN_SECRET: &str = "BENCH_CALLTOUCH_TOKEN";
/// The retailCRM key's secret name.
pub const RETAILCRM_KEY_SECRET: &str = "BENCH_RETAILCRM_KEY";

/// What varies between benchmark bundles.
#[derive(Debug, Clone)]
pub struct BundleParams {
    /// The Calltouch emulator's address.
    pub calltouch_url: String,
    /// The retailCRM emulator's address.
    pub retailcrm_url: String,
    /// `run.concurrency`.
    pub concurrency: usize,
    /// Calls per journal page (1..1000).
    pub page_size: usize,
}

/// Requests per second allowed on both connections: far above what one engine sends, so
/// the vendors' default limits (Calltouch 5/s, retailCRM 10/s) do not throttle the run.
pub const UNTHROTTLED_REQUESTS_PER_SECOND: u32 = 1_000_000;

/// The bundle's YAML text.
pub fn bundle_yaml(params: &BundleParams) -> String {
    let BundleParams {
        calltouch_url,
        retailcrm_url,
        concurrency,
        page_size,
    } = params;
    let rps = UNTHROTTLED_REQUESTS_PER_SECOND;
    format!(
        r#"# ferry bench: Calltouch call -> retailCRM customer (once per phone) -> retailCRM
# order -> Calltouch deal bound to the call and carrying the order id.
id: ferry-bench-calls
name: "Benchmark: Calltouch calls to retailCRM orders and Calltouch deals"
enabled: true

connections:
  calltouch:
    kind: calltouch
    site_id: "12345"
    token: ${{secret:{CALLTOUCH_TOKEN_SECRET}}}
    base_url: "{calltouch_url}"
    # The emulators do not limit; the connector's default 5 requests/s would.
    rate_limit: {{ requests: {rps}, per: 1s, burst: {rps} }}
  shop:
    kind: retailcrm
    url: "{retailcrm_url}"
    api_key: ${{secret:{RETAILCRM_KEY_SECRET}}}
    site: main
    rate_limit: {{ requests: {rps}, per: 1s, burst: {rps} }}

trigger:
  connection: calltouch
  event: new_call
  key: "{{{{item.callId}}}}"
  settings: {{ page_size: {page_size} }}

filter: "status != complete"

steps:
  - id: customer
    action: shop.create_customer
    dedup: {{ search_by: [phone], on_found: reuse }}
    with:
      external_id: "{{{{item.callId}}}}"
      phone: {{ from: item.callerNumber, normalize: digits }}

  - id: order
    action: shop.create_order
    with:
      customer_id: "{{{{steps.customer.id}}}}"
      external_id: "{{{{item.callId}}}}"
      status: new
      order_method: phone
      first_name: "Call {{{{item.callId}}}}"
      phone: {{ from: item.callerNumber, normalize: digits }}
      source: {{ first_of: [utmSource, source] }}
      medium: {{ first_of: [utmMedium, medium] }}
      campaign: {{ from: item.utmCampaign }}

  - id: deal
    action: calltouch.create_deal
    with:
      call_id: "{{{{item.callId}}}}"
      order_number: "{{{{steps.order.id}}}}"
      status: PENDING
      budget: 0
      date: "{{{{item.date}}}}"
      funnel: {{ first_of: [utmSource, source] }}

run: {{ concurrency: {concurrency}, max_attempts: 3, backoff_initial: 1s, backoff_max: 10s }}
"#
    )
}

/// The bundle, validated by the real loader.
pub fn bench_bundle(params: &BundleParams) -> Result<Bundle, BenchError> {
    let text = bundle_yaml(params);
    parse_bundle(Path::new("ferry-bench.yaml"), &text)
        .map_err(|d| BenchError::Bundle(d.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundle_passes_the_loader_with_its_overrides() {
        let params = BundleParams {
            calltouch_url: "http://127.0.0.1:1".into(),
            retailcrm_url: "http://127.0.0.1:2".into(),
            concurrency: 48,
            page_size: 500,
        };
        let bundle = bench_bundle(&params).unwrap();
        assert_eq!(bundle.run.concurrency, 48);
        let ids: Vec<&str> = bundle.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["customer", "order", "deal"]);
        for connection in bundle.connections.values() {
            let limit = connection
                .rate_limit
                .expect("both connections override the default limit");
            assert_eq!(limit.requests, UNTHROTTLED_REQUESTS_PER_SECOND);
        }
        assert_eq!(bundle.trigger.settings["page_size"], 500);
    }
}
