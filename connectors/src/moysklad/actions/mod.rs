//! The `moysklad` actions: counterparties (find, create with duplicate lookups, update)
//! and customer orders (create, update).

pub mod counterparty;
pub mod order;
