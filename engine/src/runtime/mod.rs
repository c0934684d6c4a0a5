//! The runtime: scheduler, poller and runner (being written).
