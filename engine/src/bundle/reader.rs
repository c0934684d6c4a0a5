//! A small decoder over the spanned tree that collects problems instead of stopping at the
//! first: [`Decoder`] holds the file's diagnostics and reads typed values ("expected a list,
//! found a string"), and [`MapReader`] hands out known keys one by one and, at the end,
//! reports every key nobody asked for as unknown, with the closest known key suggested.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::diagnostics::{Diagnostic, closest};
use super::yaml::{self, Location, Node};

/// The diagnostics of one file being decoded.
#[derive(Debug)]
pub(crate) struct Decoder {
    file: PathBuf,
    diagnostics: Vec<Diagnostic>,
}

impl Decoder {
    /// A decoder for `file`.
    pub fn new(file: PathBuf) -> Decoder {
        Decoder {
            file,
            diagnostics: Vec::new(),
        }
    }

    /// Record a problem.
    pub fn error(&mut self, at: Location, path: &str, message: impl Into<String>) {
        self.error_suggesting(at, path, message, None);
    }

    /// Record a problem with a "did you mean".
    pub fn error_suggesting(
        &mut self,
        at: Location,
        path: &str,
        message: impl Into<String>,
        suggestion: Option<String>,
    ) {
        self.diagnostics.push(Diagnostic {
            file: self.file.clone(),
            line: at.line,
            column: at.column,
            path: path.to_string(),
            message: message.into(),
            suggestion,
        });
    }

    /// Whether anything was recorded.
    pub fn has_errors(&self) -> bool {
        !self.diagnostics.is_empty()
    }

    /// The problems, sorted by position.
    pub fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        self.diagnostics.sort_by_key(|d| (d.line, d.column));
        self.diagnostics
    }

    fn expected(&mut self, node: &Node, path: &str, what: &str) {
        let found = yaml::describe(node);
        self.error(
            Location::of(node),
            path,
            format!("expected {what}, found {found}"),
        );
    }

    /// A string.
    pub fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match yaml::as_str(node) {
            Some(s) => Some(s.to_string()),
            None => {
                self.expected(node, path, "a string");
                None
            }
        }
    }

    /// A string that is not blank.
    pub fn non_empty_string(&mut self, node: &Node, path: &str) -> Option<String> {
        let text = self.string(node, path)?;
        if text.trim().is_empty() {
            self.error(Location::of(node), path, "must not be empty");
            return None;
        }
        Some(text)
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, node: &Node, path: &str) -> Option<bool> {
        match &node.data {
            saphyr::YamlDataOwned::Value(saphyr::ScalarOwned::Boolean(b)) => Some(*b),
            _ => {
                self.expected(node, path, "true or false");
                None
            }
        }
    }

    /// A whole number of at least 1 that fits `u32`.
    pub fn positive_u32(&mut self, node: &Node, path: &str) -> Option<u32> {
        match &node.data {
            saphyr::YamlDataOwned::Value(saphyr::ScalarOwned::Integer(i)) => {
                match u32::try_from(*i) {
                    Ok(n) if n >= 1 => Some(n),
                    _ => {
                        self.error(
                            Location::of(node),
                            path,
                            format!("must be a whole number from 1 to {}, not {i}", u32::MAX),
                        );
                        None
                    }
                }
            }
            _ => {
                self.expected(node, path, "a whole number");
                None
            }
        }
    }

    /// A duration with a unit (`500ms`, `2s`, `10m`, `1h 30m`), greater than zero.
    pub fn duration(&mut self, node: &Node, path: &str) -> Option<Duration> {
        let Some(text) = yaml::as_str(node) else {
            let hint = match yaml::describe(node) {
                "a number" => "; write it with a unit, like 2s or 10m",
                _ => "",
            };
            let found = yaml::describe(node);
            self.error(
                Location::of(node),
                path,
                format!("expected a duration like 2s or 10m, found {found}{hint}"),
            );
            return None;
        };
        match humantime::parse_duration(text) {
            Ok(d) if !d.is_zero() => Some(d),
            Ok(_) => {
                self.error(Location::of(node), path, "must be longer than zero");
                None
            }
            Err(e) => {
                self.error(
                    Location::of(node),
                    path,
                    format!("invalid duration `{text}`: {e} (write e.g. 500ms, 2s, 10m, 1h)"),
                );
                None
            }
        }
    }

    /// A list's elements.
    pub fn list<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match yaml::list_items(node) {
            Some(items) => Some(items),
            None => {
                self.expected(node, path, "a list");
                None
            }
        }
    }

    /// Any value, as JSON.
    pub fn json(&mut self, node: &Node, path: &str) -> Option<Value> {
        match yaml::to_json(node) {
            Ok(value) => Some(value),
            Err((at, message)) => {
                self.error(at, path, message);
                None
            }
        }
    }

    /// A map, read key by key.
    pub fn map<'n>(&mut self, node: &'n Node, path: &str) -> Option<MapReader<'n>> {
        let Some(raw) = yaml::map_entries(node) else {
            self.expected(node, path, "a map");
            return None;
        };
        let mut entries = Vec::new();
        for (key, value) in raw {
            match yaml::scalar_text(key) {
                Some(name) => {
                    let path = child(path, &name);
                    entries.push((
                        Entry {
                            key,
                            name,
                            value,
                            path,
                        },
                        false,
                    ));
                }
                None => self.error(
                    Location::of(key),
                    path,
                    format!("keys must be plain names, found {}", yaml::describe(key)),
                ),
            }
        }
        Some(MapReader {
            at: Location::of(node),
            path: path.to_string(),
            entries,
            known: Vec::new(),
        })
    }
}

/// One key of a map and its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'n> {
    /// The key node (unknown-key problems point here).
    pub key: &'n Node,
    /// The key's text.
    pub name: String,
    /// The value node (bad-value problems point here).
    pub value: &'n Node,
    /// The field path of the value.
    pub path: String,
}

impl Entry<'_> {
    /// Where the key is.
    pub fn key_at(&self) -> Location {
        Location::of(self.key)
    }

    /// Where the value is.
    pub fn value_at(&self) -> Location {
        Location::of(self.value)
    }
}

/// Hands out a map's keys; whatever is left at [`MapReader::finish`] is unknown.
#[derive(Debug)]
pub(crate) struct MapReader<'n> {
    at: Location,
    path: String,
    entries: Vec<(Entry<'n>, bool)>,
    known: Vec<&'static str>,
}

impl<'n> MapReader<'n> {
    /// Where the map starts (missing-key problems point here).
    pub fn at(&self) -> Location {
        self.at
    }

    /// The map's field path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the map has `name` (without taking it).
    pub fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(e, _)| e.name == name)
    }

    /// Take `name` if present; it becomes a known key either way.
    pub fn take(&mut self, name: &'static str) -> Option<Entry<'n>> {
        if !self.known.contains(&name) {
            self.known.push(name);
        }
        let (entry, taken) = self.entries.iter_mut().find(|(e, _)| e.name == name)?;
        *taken = true;
        Some(entry.clone())
    }

    /// Take `name`, reporting it missing if absent.
    pub fn require(&mut self, dec: &mut Decoder, name: &'static str) -> Option<Entry<'n>> {
        let entry = self.take(name);
        if entry.is_none() {
            dec.error(
                self.at,
                &child(&self.path, name),
                format!("missing required key `{name}`"),
            );
        }
        entry
    }

    /// Take every key not taken yet (for maps whose keys are names chosen by the bundle).
    pub fn take_rest(&mut self) -> Vec<Entry<'n>> {
        self.entries
            .iter_mut()
            .filter(|(_, taken)| !*taken)
            .map(|(entry, taken)| {
                *taken = true;
                entry.clone()
            })
            .collect()
    }

    /// Report every key not taken as unknown, suggesting the closest known key.
    pub fn finish(self, dec: &mut Decoder) {
        let known = self.known;
        for (entry, taken) in self.entries {
            if !taken {
                let suggestion = closest(&entry.name, known.iter().copied());
                dec.error_suggesting(
                    entry.key_at(),
                    &entry.path,
                    format!("unknown key `{}`", entry.name),
                    suggestion,
                );
            }
        }
    }
}

/// An optional key's outcome: absent is `Some(None)`, given and valid `Some(Some(v))`,
/// given but invalid (already reported) `None`.
pub(crate) fn optional<T>(given: Option<Option<T>>) -> Option<Option<T>> {
    match given {
        None => Some(None),
        Some(decoded) => decoded.map(Some),
    }
}

/// `parent.key` (or `key` at the top).
pub(crate) fn child(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub(crate) fn element(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::yaml::parse_document;

    #[test]
    fn map_reader_reports_missing_and_unknown_keys_and_wrong_types() {
        let doc = parse_document("trigger:\n  conection: x\n  event: [a]\n").unwrap();
        let mut dec = Decoder::new("f.yaml".into());
        let mut top = dec.map(&doc, "").unwrap();
        let trigger = top.require(&mut dec, "trigger").unwrap();
        top.finish(&mut dec);
        let mut map = dec.map(trigger.value, &trigger.path).unwrap();
        assert!(map.require(&mut dec, "connection").is_none());
        let event = map.require(&mut dec, "event").unwrap();
        assert!(dec.string(event.value, &event.path).is_none());
        map.finish(&mut dec);
        let got: Vec<String> = dec
            .into_diagnostics()
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "f.yaml:2:3 trigger.connection: missing required key `connection`",
                "f.yaml:2:3 trigger.conection: unknown key `conection` (did you mean `connection`?)",
                "f.yaml:3:10 trigger.event: expected a string, found a list",
            ]
        );
    }

    #[test]
    fn durations_need_units() {
        let doc = parse_document("a: 2s\nb: 5\nc: 2 parsecs\n").unwrap();
        let mut dec = Decoder::new("f.yaml".into());
        let mut map = dec.map(&doc, "").unwrap();
        let a = map.take("a").unwrap();
        assert_eq!(dec.duration(a.value, "a"), Some(Duration::from_secs(2)));
        let b = map.take("b").unwrap();
        assert_eq!(dec.duration(b.value, "b"), None);
        let c = map.take("c").unwrap();
        assert_eq!(dec.duration(c.value, "c"), None);
        let got = dec.into_diagnostics();
        assert_eq!(got.len(), 2);
        assert!(got[0].message.contains("with a unit"), "{}", got[0].message);
        assert!(
            got[1].message.contains("invalid duration"),
            "{}",
            got[1].message
        );
    }
}
