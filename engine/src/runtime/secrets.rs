//! Resolving secret references. Bundles hold only references: `${env:NAME}` reads the
//! environment, `${secret:NAME}` reads the secrets file (`NAME=value` lines, `#` comments),
//! whose path is given with `--secrets` or `FERRY_SECRETS_FILE`. Values never leave this
//! module except inside [`SecretString`]s.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ferry_connectors::SecretString;

use crate::bundle::SecretRef;

/// Where `${secret:..}` values come from.
#[derive(Debug, Clone, Default)]
pub struct SecretSource {
    file: Option<PathBuf>,
    entries: BTreeMap<String, SecretString>,
    /// Overrides for `${env:..}` (tests and the demo set values without touching the
    /// process environment, which is shared by all threads).
    env_overrides: BTreeMap<String, SecretString>,
}

/// A reference that could not be resolved.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is not set.
    #[error("environment variable `{0}` is not set")]
    MissingEnv(String),
    /// The secrets file has no such entry.
    #[error("secret `{name}` is not in {}", file.as_ref().map(|f| f.display().to_string()).unwrap_or_else(|| "any secrets file (none was given: use --secrets FILE or FERRY_SECRETS_FILE)".into()))]
    MissingSecret {
        /// The name.
        name: String,
        /// The file searched.
        file: Option<PathBuf>,
    },
    /// The secrets file could not be read or parsed.
    #[error("secrets file {}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong (never includes values).
        message: String,
    },
}

impl SecretSource {
    /// Only the environment.
    pub fn from_env() -> Self {
        SecretSource::default()
    }

    /// The environment plus a secrets file.
    pub fn with_file(path: &Path) -> Result<Self, SecretError> {
        let text = std::fs::read_to_string(path).map_err(|e| SecretError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut entries = BTreeMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, value)) = line.split_once('=') else {
                return Err(SecretError::File {
                    path: path.to_path_buf(),
                    message: format!("line {}: expected NAME=value", index + 1),
                });
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            entries.insert(name.trim().to_string(), SecretString::new(value));
        }
        Ok(SecretSource {
            file: Some(path.to_path_buf()),
            entries,
            env_overrides: BTreeMap::new(),
        })
    }

    /// Set an `${env:NAME}` value without touching the process environment.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env_overrides
            .insert(name.to_string(), SecretString::new(value));
    }

    /// Set a `${secret:NAME}` value.
    pub fn set_secret(&mut self, name: &str, value: &str) {
        self.entries
            .insert(name.to_string(), SecretString::new(value));
    }

    /// Resolve one reference.
    pub fn resolve(&self, reference: &SecretRef) -> Result<SecretString, SecretError> {
        match reference {
            SecretRef::Env(name) => {
                if let Some(v) = self.env_overrides.get(name) {
                    return Ok(v.clone());
                }
                std::env::var(name)
                    .map(SecretString::new)
                    .map_err(|_| SecretError::MissingEnv(name.clone()))
            }
            SecretRef::Secret(name) => {
                self.entries
                    .get(name)
                    .cloned()
                    .ok_or_else(|| SecretError::MissingSecret {
                        name: name.clone(),
                        file: self.file.clone(),
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_entries_and_missing_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.env");
        std::fs::write(&path, "# comment\nRETAIL_KEY=abc123\nQUOTED=\"x y\"\n").unwrap();
        let source = SecretSource::with_file(&path).unwrap();
        let key = source
            .resolve(&SecretRef::Secret("RETAIL_KEY".into()))
            .unwrap();
        assert_eq!(key.expose(), "abc123");
        assert_eq!(
            source
                .resolve(&SecretRef::Secret("QUOTED".into()))
                .unwrap()
                .expose(),
            "x y"
        );
        let err = source
            .resolve(&SecretRef::Secret("NOPE".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("NOPE") && err.contains("secrets.env"), "{err}");
    }

    #[test]
    fn malformed_file_names_the_line_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.env");
        std::fs::write(&path, "GOOD=1\nsupersecretvalue\n").unwrap();
        let err = SecretSource::with_file(&path).unwrap_err().to_string();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("supersecretvalue"), "{err}");
    }

    #[test]
    fn env_overrides_win() {
        let mut source = SecretSource::from_env();
        source.set_env("FERRY_TEST_UNSET_VARIABLE", "v");
        let v = source
            .resolve(&SecretRef::Env("FERRY_TEST_UNSET_VARIABLE".into()))
            .unwrap();
        assert_eq!(v.expose(), "v");
        assert!(
            source
                .resolve(&SecretRef::Env("FERRY_TEST_SURELY_UNSET_2".into()))
                .is_err()
        );
    }
}
