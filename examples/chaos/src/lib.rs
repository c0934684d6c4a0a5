//! Crash-safety harness for ferry.
//!
//! The emulated CRMs live in this process; the worker is the real `ferry` binary
//! (`ferry run --once` on a SQLite data dir), started again and again and killed with
//! SIGKILL at moments drawn from a seeded RNG. When every item is settled, held items are
//! handled as an operator would (retry when the CRM has no record, discard when it has),
//! and the CRMs' state is counted: items lost, duplicate creates, and every step that was
//! found uncertain after a kill with how it was resolved.

pub mod audit;
pub mod history;
pub mod report;
pub mod run;
pub mod worker;
pub mod world;

pub use report::ChaosReport;
pub use run::{ChaosConfig, run_chaos};
