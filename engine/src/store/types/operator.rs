//! What operator commands address and change: `ferry runs retry/discard` and
//! `ferry bundle reactivate --resend`.

use serde::Serialize;

use super::{RunId, Timestamp};

/// Which items an operator command addresses.
#[derive(Debug, Clone)]
pub enum ItemTarget {
    /// Every held/failed item of a run.
    Run(RunId),
    /// One item.
    Item(i64),
}

/// A reactivation's resend window.
#[derive(Debug, Clone)]
pub struct ResendRequest {
    /// The bundle.
    pub bundle_id: String,
    /// Items queued at or after this are sent again; older ones are dropped.
    pub since: Timestamp,
    /// Now.
    pub now: Timestamp,
}

/// What a reactivation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ResendOutcome {
    /// Items made due again.
    pub resent: u64,
    /// Items older than the window, discarded.
    pub dropped: u64,
}
