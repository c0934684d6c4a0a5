//! Decoding a step's `dedup:` (search before create): `always_create`, or the fields to
//! search by in priority order, whether a key that finds nothing hands over to the next
//! (`search`), and what to do with a found record, checked against what the action
//! supports.

use ferry_connectors::ActionSpec;

use super::trigger::list_or_none;
use crate::bundle::diagnostics::closest;
use crate::bundle::model::{Dedup, OnFound, SearchOrder};
use crate::bundle::reader::{Decoder, Entry, element};
use crate::bundle::yaml::{self, Location, Node};

/// The spelling of "no duplicate search".
const ALWAYS_CREATE: &str = "always_create";

/// `on_found` choices.
const ON_FOUND: &[&str] = &["reuse", "update", "skip"];

/// `search` choices.
const SEARCH: &[&str] = &["in_turn", "first_present"];

/// Decode `dedup`. `target` is the action's spec (when resolved) and its
/// `connection.action` label; `mapped` says whether `with` maps an input. `Some(None)`
/// means "always create".
pub(super) fn decode_dedup(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    target: Option<(Option<&'static ActionSpec>, &str)>,
    mapped: impl Fn(&str) -> bool,
) -> Option<Option<Dedup>> {
    if let Some(text) = yaml::as_str(entry.value) {
        if text == ALWAYS_CREATE {
            return Some(None);
        }
        dec.error_suggesting(
            entry.value_at(),
            &entry.path,
            format!("expected `{ALWAYS_CREATE}` or {{ search_by: [...], on_found: reuse|update|skip }}, found `{text}`"),
            closest(text, [ALWAYS_CREATE]),
        );
        return None;
    }
    let mut map = dec.map(entry.value, &entry.path)?;
    let search_by = map
        .require(dec, "search_by")
        .and_then(|e| decode_search_by(dec, &e));
    let search = match map.take("search") {
        Some(e) => decode_search(dec, &e),
        None => Some(SearchOrder::default()),
    };
    let on_found = map
        .require(dec, "on_found")
        .and_then(|e| decode_on_found(dec, &e));
    map.finish(dec);
    let (Some(spec), action) = target? else {
        return None;
    };
    let Some(supported) = &spec.dedup else {
        dec.error(
            entry.key_at(),
            &entry.path,
            format!("`{action}` cannot search for duplicates; remove `dedup` (or write `dedup: {ALWAYS_CREATE}`)"),
        );
        return None;
    };
    let mut ok = true;
    for (key, at, path) in search_by.iter().flatten() {
        if !supported.search_keys.contains(&key.as_str()) {
            dec.error_suggesting(
                *at,
                path,
                format!(
                    "`{action}` cannot search by `{key}`; it searches by: {}",
                    list_or_none(supported.search_keys)
                ),
                closest(key, supported.search_keys.iter().copied()),
            );
            ok = false;
        } else if !mapped(key) {
            dec.error(
                *at,
                path,
                format!("searching by `{key}` needs a value: map `{key}` under `with`"),
            );
            ok = false;
        }
    }
    if let Some((OnFound::Update, at, path)) = &on_found
        && supported.update_action.is_none()
    {
        dec.error(
            *at,
            path,
            format!("`{action}` cannot update a found record; use `reuse` or `skip`"),
        );
        ok = false;
    }
    let dedup = Dedup {
        search_by: search_by?.into_iter().map(|(key, _, _)| key).collect(),
        search: search?,
        on_found: on_found?.0,
    };
    ok.then_some(Some(dedup))
}

type Located<T> = (T, Location, String);

/// One field or a list of fields, each at most once.
fn decode_search_by(dec: &mut Decoder, entry: &Entry<'_>) -> Option<Vec<Located<String>>> {
    let nodes: Vec<(&Node, String)> = if yaml::as_str(entry.value).is_some() {
        vec![(entry.value, entry.path.clone())]
    } else {
        let items = dec.list(entry.value, &entry.path)?;
        items
            .iter()
            .enumerate()
            .map(|(i, n)| (n, element(&entry.path, i)))
            .collect()
    };
    if nodes.is_empty() {
        dec.error(
            entry.value_at(),
            &entry.path,
            format!("name at least one field (or write `dedup: {ALWAYS_CREATE}`)"),
        );
        return None;
    }
    let mut keys: Vec<Located<String>> = Vec::new();
    let mut ok = true;
    for (node, path) in nodes {
        let Some(key) = dec.string(node, &path) else {
            ok = false;
            continue;
        };
        if keys.iter().any(|(k, _, _)| *k == key) {
            dec.error(
                Location::of(node),
                &path,
                format!("`{key}` is listed twice"),
            );
            ok = false;
            continue;
        }
        keys.push((key, Location::of(node), path));
    }
    ok.then_some(keys)
}

fn decode_search(dec: &mut Decoder, entry: &Entry<'_>) -> Option<SearchOrder> {
    let text = dec.string(entry.value, &entry.path)?;
    match text.as_str() {
        "in_turn" => Some(SearchOrder::InTurn),
        "first_present" => Some(SearchOrder::FirstPresent),
        other => {
            dec.error_suggesting(
                entry.value_at(),
                &entry.path,
                format!(
                    "unknown `search` choice `{other}`; use {}",
                    SEARCH.join(", ")
                ),
                closest(other, SEARCH.iter().copied()),
            );
            None
        }
    }
}

fn decode_on_found(dec: &mut Decoder, entry: &Entry<'_>) -> Option<Located<OnFound>> {
    let text = dec.string(entry.value, &entry.path)?;
    let on_found = match text.as_str() {
        "reuse" => OnFound::Reuse,
        "update" => OnFound::Update,
        "skip" => OnFound::Skip,
        other => {
            dec.error_suggesting(
                entry.value_at(),
                &entry.path,
                format!(
                    "unknown `on_found` choice `{other}`; use {}",
                    ON_FOUND.join(", ")
                ),
                closest(other, ON_FOUND.iter().copied()),
            );
            return None;
        }
    };
    Some((on_found, entry.value_at(), entry.path.clone()))
}
