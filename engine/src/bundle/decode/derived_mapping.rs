//! The mapping forms that compute a value from conditions or lists rather than copy one:
//! `count` (elements of a list, optionally only those matching `where`), `switch` (the
//! first case whose condition holds) and `when` (a value only when its condition holds).

use super::condition::decode_condition;
use super::mapping::{decode_mapping, decode_path_or_mapping};
use super::references::Read;
use crate::bundle::model::Mapping;
use crate::bundle::reader::{Decoder, MapReader, element};

/// `{ count: item.messages, where: "author in [visitor, manager]" }`: inside `where`,
/// field names refer to the list's element, so its reads are not item reads.
pub(super) fn decode_count(
    dec: &mut Decoder,
    mut map: MapReader<'_>,
    reads: &mut Vec<Read>,
) -> Option<Mapping> {
    let list = map.take("count")?;
    let filter = map.take("where");
    map.finish(dec);
    let list = decode_path_or_mapping(dec, &list, reads);
    let mut element_reads = Vec::new();
    let filter = match filter {
        Some(f) => Some(decode_condition(dec, f.value, &f.path, &mut element_reads)?),
        None => None,
    };
    Some(Mapping::Count {
        list: Box::new(list?),
        filter,
    })
}

/// `{ switch: [ { when: "pool == 'Context ads'", value: 42 }, ... ], default: 7 }`.
pub(super) fn decode_switch(
    dec: &mut Decoder,
    mut map: MapReader<'_>,
    reads: &mut Vec<Read>,
) -> Option<Mapping> {
    let cases_entry = map.take("switch")?;
    let default = map.take("default");
    map.finish(dec);
    let items = dec.list(cases_entry.value, &cases_entry.path)?;
    if items.is_empty() {
        dec.error(
            cases_entry.value_at(),
            &cases_entry.path,
            "`switch` needs at least one case",
        );
        return None;
    }
    let mut cases = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = element(&cases_entry.path, i);
        let Some(mut case) = dec.map(item, &path) else {
            ok = false;
            continue;
        };
        let when = case
            .require(dec, "when")
            .and_then(|w| decode_condition(dec, w.value, &w.path, reads));
        let value = case
            .require(dec, "value")
            .and_then(|v| decode_mapping(dec, v.value, &v.path, reads));
        case.finish(dec);
        match (when, value) {
            (Some(w), Some(v)) => cases.push((w, v)),
            _ => ok = false,
        }
    }
    let default = match default {
        Some(d) => Some(Box::new(decode_mapping(dec, d.value, &d.path, reads)?)),
        None => None,
    };
    ok.then_some(Mapping::Switch { cases, default })
}

/// `{ when: "steps.find.utm_source empty", value: "{{item.utm_source}}" }`: the value only
/// when the condition holds, else the input is left out.
pub(super) fn decode_when(
    dec: &mut Decoder,
    mut map: MapReader<'_>,
    reads: &mut Vec<Read>,
) -> Option<Mapping> {
    let when = map.take("when")?;
    let value = map.require(dec, "value");
    map.finish(dec);
    let condition = decode_condition(dec, when.value, &when.path, reads);
    let value = value.and_then(|v| decode_mapping(dec, v.value, &v.path, reads));
    Some(Mapping::When {
        condition: condition?,
        value: Box::new(value?),
    })
}
