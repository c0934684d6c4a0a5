//! # ferry
//!
//! A workflow automation engine: integrators describe *bundles* in YAML (a trigger, an
//! optional filter and an ordered chain of actions against CRMs), and ferry polls the
//! sources on a schedule and runs each new item through the chain exactly as written,
//! losing nothing and creating nothing twice.
//!
//! ## Layout
//! - [`bundle`]: reading YAML into a spanned tree, decoding it into the validated
//!   [`bundle::Bundle`] model, and reporting *every* problem with file, line, column and
//!   field path.
//! - [`expr`]: what a bundle computes: filters and `when` conditions, field mappings
//!   (paths, constants, strict handlebars templates, `first_of`, `join`, normalizers,
//!   lookup tables).
//! - [`store`]: durable state behind one [`store::Store`] trait (SQLite embedded, PostgreSQL
//!   for several workers): cursors, seen items, runs, step results, leases.
//! - [`runtime`]: the scheduler (cron, default every 5 minutes), the poller (pages → queued
//!   items and cursor in one transaction) and the runner (the ordered chain per item, with
//!   retries, dedup, and per-key serialization).
//! - [`cli`]: the `ferry` command.
//! - [`clock`]: the injectable notion of "now".
//!
//! Connectors (the systems ferry talks to) live in the `ferry-connectors` crate.

pub mod bench;
pub mod bundle;
pub mod cli;
pub mod clock;
pub mod expr;
pub mod runtime;
pub mod store;
