//! Decoding field mappings (the values under a step's `with:`). A string with `{{` is a
//! template, any other scalar a constant, a list a list of mappings, and a map one of the
//! forms `from`, `first_of`, `join`, `lookup`, `const`, `object`, `list`, `count`,
//! `switch` or `when`; `from`, `first_of` and `join` also take `normalize` and `default`.

use indexmap::IndexMap;

use super::connections::parse_secret_ref;
use super::derived_mapping::{decode_count, decode_switch, decode_when};
use super::references::{Read, decode_path, decode_template};
use crate::bundle::diagnostics::closest;
use crate::bundle::model::{Mapping, Normalizer};
use crate::bundle::reader::{Decoder, Entry, MapReader, element};
use crate::bundle::yaml::{self, Location, Node};

/// The keys that choose a mapping's form.
const FORMS: &[&str] = &[
    "from", "first_of", "join", "lookup", "const", "object", "list", "count", "switch", "when",
];

/// Normalizer names.
const NORMALIZERS: &[&str] = &["digits", "lower", "upper", "trim"];

/// What `join` puts between parts when the bundle gives no `sep`.
pub(super) const DEFAULT_JOIN_SEPARATOR: &str = " ";

/// Decode one mapping; every path and template it reads is added to `reads`.
pub(super) fn decode_mapping(
    dec: &mut Decoder,
    node: &Node,
    path: &str,
    reads: &mut Vec<Read>,
) -> Option<Mapping> {
    if let Some(text) = yaml::as_str(node) {
        if text.contains("{{") {
            return decode_template(dec, text, Location::of(node), path, reads)
                .map(Mapping::Template);
        }
        if parse_secret_ref(text).is_some() {
            // It would be sent as the literal text `${secret:...}`; credentials are read
            // only by connections, which keep them out of run history.
            dec.error(
                Location::of(node),
                path,
                "step inputs cannot read secrets; put the credential on the connection",
            );
            return None;
        }
        return Some(Mapping::Const(text.into()));
    }
    if yaml::list_items(node).is_some() {
        return decode_elements(dec, node, path, reads, ElementStrings::AreMappings)
            .map(Mapping::List);
    }
    if yaml::map_entries(node).is_none() {
        return dec.json(node, path).map(Mapping::Const);
    }
    let mut map = dec.map(node, path)?;
    let present: Vec<&str> = FORMS.iter().copied().filter(|f| map.has(f)).collect();
    match present.as_slice() {
        [form] => decode_form(dec, form, map, reads),
        [] => {
            for form in FORMS {
                map.take(form);
            }
            dec.error(
                map.at(),
                path,
                format!(
                    "a map here must say how the value is made: one of {} (for a literal object \
                     write `object: {{...}}` or `const: {{...}}`)",
                    FORMS.join(", ")
                ),
            );
            map.finish(dec);
            None
        }
        several => {
            dec.error(
                map.at(),
                path,
                format!(
                    "`{}` cannot be combined: a mapping has exactly one form",
                    several.join("` and `")
                ),
            );
            None
        }
    }
}

fn decode_form(
    dec: &mut Decoder,
    form: &str,
    mut map: MapReader<'_>,
    reads: &mut Vec<Read>,
) -> Option<Mapping> {
    let mapping = match form {
        "const" => {
            let entry = map.take("const")?;
            map.finish(dec);
            return dec.json(entry.value, &entry.path).map(Mapping::Const);
        }
        "object" => {
            let entry = map.take("object")?;
            map.finish(dec);
            return decode_object(dec, &entry, reads).map(Mapping::Object);
        }
        "list" => {
            let entry = map.take("list")?;
            map.finish(dec);
            let items = decode_elements(
                dec,
                entry.value,
                &entry.path,
                reads,
                ElementStrings::AreMappings,
            )?;
            return Some(Mapping::List(items));
        }
        "lookup" => return decode_lookup(dec, map, reads),
        "count" => return decode_count(dec, map, reads),
        "switch" => return decode_switch(dec, map, reads),
        "when" => return decode_when(dec, map, reads),
        "from" => {
            let entry = map.take("from")?;
            let text = dec.string(entry.value, &entry.path);
            text.and_then(|t| decode_path(dec, &t, entry.value_at(), &entry.path, reads))
                .map(Mapping::Path)
        }
        "first_of" => {
            let entry = map.take("first_of")?;
            decode_elements(
                dec,
                entry.value,
                &entry.path,
                reads,
                ElementStrings::ArePaths,
            )
            .map(Mapping::FirstOf)
        }
        _ => {
            let entry = map.take("join")?;
            let parts = decode_elements(
                dec,
                entry.value,
                &entry.path,
                reads,
                ElementStrings::ArePaths,
            );
            let sep = match map.take("sep") {
                Some(sep) => dec.string(sep.value, &sep.path),
                None => Some(DEFAULT_JOIN_SEPARATOR.to_string()),
            };
            Some(Mapping::Join {
                parts: parts?,
                sep: sep?,
            })
        }
    };
    let normalizers = map.take("normalize").map(|n| decode_normalizers(dec, &n));
    let default = map.take("default").map(|d| decode_default(dec, &d));
    map.finish(dec);
    let mut mapping = mapping?;
    if let Some(normalizers) = normalizers {
        mapping = Mapping::Normalized {
            inner: Box::new(mapping),
            normalizers: normalizers?,
        };
    }
    if let Some(default) = default {
        mapping = Mapping::Default {
            inner: Box::new(mapping),
            default: default?,
        };
    }
    Some(mapping)
}

/// How string elements of `first_of` / `join` / `list` are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ElementStrings {
    /// `first_of: [email, mail]`: alternatives are fields to read.
    ArePaths,
    /// `list: [a, "{{item.b}}"]`: elements are values like any mapping.
    AreMappings,
}

fn decode_elements(
    dec: &mut Decoder,
    node: &Node,
    path: &str,
    reads: &mut Vec<Read>,
    strings: ElementStrings,
) -> Option<Vec<Mapping>> {
    let items = dec.list(node, path)?;
    if items.is_empty() && strings == ElementStrings::ArePaths {
        dec.error(Location::of(node), path, "needs at least one field");
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_path = element(path, i);
        let decoded = match (strings, yaml::as_str(item)) {
            (ElementStrings::ArePaths, Some(text)) => {
                decode_path(dec, text, Location::of(item), &item_path, reads).map(Mapping::Path)
            }
            _ => decode_mapping(dec, item, &item_path, reads),
        };
        match decoded {
            Some(m) => out.push(m),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn decode_object(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    reads: &mut Vec<Read>,
) -> Option<IndexMap<String, Mapping>> {
    let mut fields = dec.map(entry.value, &entry.path)?;
    let mut out = IndexMap::new();
    let mut ok = true;
    for field in fields.take_rest() {
        match decode_mapping(dec, field.value, &field.path, reads) {
            Some(m) => {
                out.insert(field.name, m);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `{ lookup: item.sip, table: { "101": 7 }, default: 1 }`.
fn decode_lookup(
    dec: &mut Decoder,
    mut map: MapReader<'_>,
    reads: &mut Vec<Read>,
) -> Option<Mapping> {
    let input_entry = map.take("lookup")?;
    let table_entry = map.require(dec, "table");
    let default_entry = map.take("default");
    map.finish(dec);
    let input = match yaml::as_str(input_entry.value) {
        Some(text) => decode_path(dec, text, input_entry.value_at(), &input_entry.path, reads)
            .map(Mapping::Path),
        None => decode_mapping(dec, input_entry.value, &input_entry.path, reads),
    };
    let table = table_entry.and_then(|t| {
        let mut rows = dec.map(t.value, &t.path)?;
        let mut table = IndexMap::new();
        let mut ok = true;
        for row in rows.take_rest() {
            match dec.json(row.value, &row.path) {
                Some(v) => {
                    table.insert(row.name, v);
                }
                None => ok = false,
            }
        }
        ok.then_some(table)
    });
    let default = match default_entry {
        Some(d) => Some(dec.json(d.value, &d.path)?),
        None => None,
    };
    Some(Mapping::Lookup {
        input: Box::new(input?),
        table: table?,
        default,
    })
}

fn decode_normalizers(dec: &mut Decoder, entry: &Entry<'_>) -> Option<Vec<Normalizer>> {
    let names: Vec<(&Node, String)> = if yaml::as_str(entry.value).is_some() {
        vec![(entry.value, entry.path.clone())]
    } else {
        let items = dec.list(entry.value, &entry.path)?;
        if items.is_empty() {
            dec.error(
                entry.value_at(),
                &entry.path,
                "name at least one normalizer, or remove `normalize`",
            );
            return None;
        }
        items
            .iter()
            .enumerate()
            .map(|(i, n)| (n, element(&entry.path, i)))
            .collect()
    };
    let mut out = Vec::new();
    let mut ok = true;
    for (node, path) in names {
        let Some(name) = dec.string(node, &path) else {
            ok = false;
            continue;
        };
        let normalizer = match name.as_str() {
            "digits" => Normalizer::Digits,
            "lower" => Normalizer::Lower,
            "upper" => Normalizer::Upper,
            "trim" => Normalizer::Trim,
            other => {
                dec.error_suggesting(
                    Location::of(node),
                    &path,
                    format!(
                        "unknown normalizer `{other}`; use {}",
                        NORMALIZERS.join(", ")
                    ),
                    closest(other, NORMALIZERS.iter().copied()),
                );
                ok = false;
                continue;
            }
        };
        out.push(normalizer);
    }
    ok.then_some(out)
}

fn decode_default(dec: &mut Decoder, entry: &Entry<'_>) -> Option<serde_json::Value> {
    let value = dec.json(entry.value, &entry.path)?;
    if value.is_null() {
        dec.error(
            entry.value_at(),
            &entry.path,
            "a null default changes nothing; remove it or give a value",
        );
        return None;
    }
    Some(value)
}

/// A mapping written as a path string (`item.messages`) or any mapping form.
pub(super) fn decode_path_or_mapping(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    reads: &mut Vec<Read>,
) -> Option<Mapping> {
    match yaml::as_str(entry.value) {
        Some(text) if !text.contains("{{") => {
            decode_path(dec, text, entry.value_at(), &entry.path, reads).map(Mapping::Path)
        }
        _ => decode_mapping(dec, entry.value, &entry.path, reads),
    }
}
