//! Leases: named, expiring, fenced ownership (a bundle's poll for one tick, an OAuth2
//! chain's refresh turn).

use super::Timestamp;

/// Taking a lease.
#[derive(Debug, Clone)]
pub struct LeaseRequest {
    /// Lease name (e.g. `poll:<bundle id>`).
    pub name: String,
    /// Who asks.
    pub holder: String,
    /// Now.
    pub now: Timestamp,
    /// Length in milliseconds.
    pub ttl_ms: i64,
}

/// A held lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Name.
    pub name: String,
    /// Holder.
    pub holder: String,
    /// Fencing version: increases every time the lease changes hands.
    pub version: i64,
    /// Expiry.
    pub expires_at: Timestamp,
}
