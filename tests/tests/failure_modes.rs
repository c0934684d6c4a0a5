//! End-to-end: what the engine does with bad input and failing targets. Bundles are
//! written inline and use the generic `http` connector against a small test API on
//! 127.0.0.1 whose answers each test scripts; outcomes are asserted through the store's
//! run history (statuses, attempts, redacted errors) and the requests the API received.
//!
//! - `validation`: bundles that must not load, each reported at its line and column.
//! - `secrets`: a bundle whose secret is missing does not start; the others do.
//! - `retries`: 5xx, 429 with `Retry-After`, 422 with a secret in the body.
//! - `responses`: unreadable and oversized answers to an action.
//! - `polling`: a source failing mid-pagination; filtered items; a template reading a
//!   field an item lacks.
//! - `dedup`: concurrent items sharing a phone against the retailCRM emulator.

mod fake_api;
mod support;

#[path = "failure_modes/harness.rs"]
mod harness;

#[path = "failure_modes/validation.rs"]
mod validation;

#[path = "failure_modes/retries.rs"]
mod retries;

#[path = "failure_modes/responses.rs"]
mod responses;

#[path = "failure_modes/polling.rs"]
mod polling;

#[path = "failure_modes/secrets.rs"]
mod secrets;

#[path = "failure_modes/dedup.rs"]
mod dedup;
