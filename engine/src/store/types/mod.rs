//! Parameter and result types of the [`super::Store`] trait, by role: the queue and the
//! chain's writes ([`queue`]), run history ([`history`]), operator commands
//! ([`operator`]) and leases ([`leases`]).

mod history;
mod leases;
mod operator;
mod queue;

pub use history::*;
pub use leases::*;
pub use operator::*;
pub use queue::*;

/// Milliseconds since the Unix epoch (UTC). Stored as a 64-bit integer in both databases
/// so that comparisons are exact and identical across dialects.
pub type Timestamp = i64;

/// A run's id.
pub type RunId = i64;
