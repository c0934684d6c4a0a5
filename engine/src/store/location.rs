//! Where the store lives, as given on the command line or in configuration, and opening it.

use std::path::PathBuf;
use std::sync::Arc;

use super::{PostgresStore, SqliteStore, Store, StoreError};

/// A store's location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// An SQLite database file (the default, embedded).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (several workers sharing one database).
    Postgres(String),
}

impl StoreLocation {
    /// Read a location: `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path`
    /// or a plain path is an SQLite file.
    pub fn parse(s: &str) -> Result<StoreLocation, StoreError> {
        let s = s.trim();
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(StoreLocation::Postgres(s.to_owned()));
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        // Query options (`?mode=…`) are not ours to honour silently: the store sets its own.
        if path.is_empty() || path.contains('?') || path == ":memory:" {
            return Err(StoreError::Invalid(format!(
                "store location {s:?} is not a database file path or a postgres:// URL"
            )));
        }
        Ok(StoreLocation::Sqlite(PathBuf::from(path)))
    }

    /// A description safe to log or print: a PostgreSQL URL loses its password.
    pub fn display_redacted(&self) -> String {
        match self {
            StoreLocation::Sqlite(path) => path.display().to_string(),
            StoreLocation::Postgres(url) => redact_password(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Open the store at `location` for an operator command that may run beside an engine
/// (history, retry, discard), and apply pending migrations.
pub async fn open_store_for_operator(
    location: &StoreLocation,
) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match location {
        StoreLocation::Sqlite(path) => Arc::new(SqliteStore::open_for_operator(path).await?),
        StoreLocation::Postgres(url) => Arc::new(PostgresStore::connect(url).await?),
    };
    store.migrate().await?;
    Ok(store)
}

/// Open the store at `location` and apply pending migrations.
pub async fn open_store(location: &StoreLocation) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = match location {
        StoreLocation::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        StoreLocation::Postgres(url) => Arc::new(PostgresStore::connect(url).await?),
    };
    store.migrate().await?;
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_paths_are_told_apart() {
        let pg = "postgres://ferry@db:5432/ferry";
        assert_eq!(
            StoreLocation::parse(pg).unwrap(),
            StoreLocation::Postgres(pg.into())
        );
        let pg = "postgresql://ferry@db/ferry";
        assert_eq!(
            StoreLocation::parse(pg).unwrap(),
            StoreLocation::Postgres(pg.into())
        );
        assert_eq!(
            StoreLocation::parse("sqlite:///var/lib/ferry/ferry.db").unwrap(),
            StoreLocation::Sqlite("/var/lib/ferry/ferry.db".into())
        );
        assert_eq!(
            StoreLocation::parse("sqlite://data/ferry.db").unwrap(),
            StoreLocation::Sqlite("data/ferry.db".into())
        );
        assert_eq!(
            StoreLocation::parse("ferry.db").unwrap(),
            StoreLocation::Sqlite("ferry.db".into())
        );
    }

    #[test]
    fn unusable_locations_are_refused_clearly() {
        for bad in ["", "sqlite://", "sqlite::memory:", "sqlite://x.db?mode=ro"] {
            let err = StoreLocation::parse(bad).unwrap_err().to_string();
            assert!(err.contains("not a database file path"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn passwords_never_reach_the_display() {
        let loc =
            StoreLocation::parse("postgres://ferry:s3cret@db:5432/ferry?sslmode=require").unwrap();
        assert_eq!(
            loc.display_redacted(),
            "postgres://ferry:***@db:5432/ferry?sslmode=require"
        );
        let loc = StoreLocation::parse("postgres://ferry@db/ferry").unwrap();
        assert_eq!(loc.display_redacted(), "postgres://ferry@db/ferry");
    }

    #[tokio::test]
    async fn open_store_creates_and_migrates_an_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/ferry.db");
        let store = open_store(&StoreLocation::Sqlite(path.clone()))
            .await
            .unwrap();
        assert!(path.exists());
        assert_eq!(
            store.item_counts(None).await.unwrap(),
            crate::store::ItemCounts::default()
        );
    }
}
