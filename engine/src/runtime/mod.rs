//! The runtime: everything that happens after bundles are validated.
//!
//! - [`secrets`] resolves `${env:..}` / `${secret:..}` references when connectors are built.
//! - [`prepared`] builds each bundle's connectors once ([`PreparedBundle`]).
//! - [`poller`] polls a trigger page by page; each page's new items are queued, and the
//!   cursor advanced, in one transaction, and only when the whole poll succeeded.
//! - [`runner`] runs one item through the chain in order, committing each step's result
//!   before the next starts, resuming after the last committed step, retrying with backoff
//!   or failing visibly.
//! - [`item_keys`] derives what identifies an item's work: step idempotency keys, the dedup
//!   values it will search by, its `vars`.
//! - [`key_locks`] serializes items that share a dedup key (the same phone) so
//!   search-before-create cannot create twice.
//! - [`connection_health`] marks connections whose credentials are refused (their items
//!   wait) and clears the mark on the next success.
//! - [`token_vault`] keeps connectors' refreshed OAuth2 tokens in the store.
//! - [`engine`] ties them together: one tick of everything (`--once`), or the scheduler
//!   loop with graceful shutdown.

pub mod backoff;
mod claims_in_flight;
pub mod connection_health;
pub mod engine;
pub mod item_keys;
pub mod key_locks;
mod poll_task;
pub mod poller;
pub mod prepared;
pub mod runner;
pub mod scheduler;
pub mod secrets;
pub mod step_writes;
pub mod token_vault;
pub mod webhooks;

pub use engine::{Engine, EngineConfig, TickReport};
pub use prepared::{PrepareError, PreparedBundle};
pub use secrets::SecretSource;
pub use token_vault::{StoreVault, oauth_sessions};
