//! [`ConnectionStore`](crate::store::ConnectionStore) on SQLite: token chains and broken
//! connections (statements and implementation in [`crate::store::connections`]). Writes are
//! rare (a refresh, a broken mark) and go through the single writer connection like every
//! other write; reads use the readers.

use super::SqliteStore;

crate::store::connections::connection_store_on!(SqliteStore, reader: reader, writer: writer);
