//! The webhook server over real HTTP on 127.0.0.1 against a test source connector.

mod failing_store;
mod fixture;
mod http;
mod processing;
