//! Decoding `trigger:`: the polled connection and event, the cron schedule (five-field
//! crons get a seconds field for the `cron` crate), the item key template and the
//! trigger's settings checked against the connector's trigger spec.

use std::str::FromStr;

use ferry_connectors::TriggerSpec;
use serde_json::Map;

use super::connections::{ConnectionSpecs, parse_secret_ref};
use super::references::{Read, decode_template};
use crate::bundle::diagnostics::closest;
use crate::bundle::model::{DEFAULT_SCHEDULE, Schedule, Trigger};
use crate::bundle::reader::{Decoder, Entry, child};
use crate::bundle::yaml::Location;
use crate::expr::PathRoot;

/// Decode the trigger; the key template's reads go to `reads`.
pub(super) fn decode_trigger(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    connections: &ConnectionSpecs,
    reads: &mut Vec<Read>,
) -> Option<Trigger> {
    let mut map = dec.map(entry.value, &entry.path)?;
    let connection = map.require(dec, "connection").and_then(|c| {
        let name = dec.string(c.value, &c.path)?;
        match connections.get(&name) {
            Some(spec) => Some((name, *spec)),
            None => {
                report_unknown_connection(dec, &c, &name, connections);
                None
            }
        }
    });
    let event_entry = map.require(dec, "event");
    let event = event_entry
        .as_ref()
        .and_then(|e| dec.string(e.value, &e.path));
    let trigger_spec = match (&connection, &event, &event_entry) {
        (Some((name, Some(spec))), Some(event), Some(e)) => match spec.trigger(event) {
            Some(t) => Some(t),
            None => {
                let events: Vec<&str> = spec.triggers.iter().map(|t| t.event).collect();
                dec.error_suggesting(
                    e.value_at(),
                    &e.path,
                    format!(
                        "connection `{name}` ({}) has no trigger event `{event}`; it offers: {}",
                        spec.kind,
                        list_or_none(&events)
                    ),
                    closest(event, events.iter().copied()),
                );
                None
            }
        },
        _ => None,
    };
    let schedule_entry = map.take("schedule");
    let webhook =
        super::webhook::decode_webhook(dec, &mut map, trigger_spec, schedule_entry.as_ref());
    let schedule = match schedule_entry {
        Some(s) => dec
            .string(s.value, &s.path)
            .and_then(|text| decode_schedule(dec, &text, s.value_at(), &s.path)),
        None => decode_schedule(
            dec,
            DEFAULT_SCHEDULE,
            map.at(),
            &child(map.path(), "schedule"),
        ),
    };
    let key = match map.take("key") {
        Some(k) => dec.string(k.value, &k.path).and_then(|text| {
            let mut key_reads = Vec::new();
            let template = decode_template(dec, &text, k.value_at(), &k.path, &mut key_reads)?;
            // A key reading `steps.*` is reported by the reference check instead.
            let reads_item_or_steps = key_reads
                .iter()
                .any(|r| matches!(r.path.root(), PathRoot::Item | PathRoot::Steps));
            if !reads_item_or_steps {
                dec.error(
                    k.value_at(),
                    &k.path,
                    "the key reads nothing from the item, so every item would count as the same one; use a field that identifies it, like \"{{item.id}}\"",
                );
                return None;
            }
            reads.extend(key_reads);
            Some(template)
        }),
        None => trigger_spec.and_then(|t| decode_template(dec, t.default_key, map.at(), &child(map.path(), "key"), reads)),
    };
    let settings = match map.take("settings") {
        Some(s) => decode_trigger_settings(dec, &s, trigger_spec),
        None => {
            report_missing_settings(
                dec,
                |_| false,
                trigger_spec,
                (map.at(), &child(map.path(), "settings")),
            );
            Some(Map::new())
        }
    };
    map.finish(dec);
    let (connection, _) = connection?;
    trigger_spec?;
    Some(Trigger {
        connection,
        event: event?,
        schedule: schedule?,
        key: key?,
        settings: settings?,
        webhook: webhook?,
    })
}

/// "unknown connection `x`" with the closest name and the list of names.
pub(super) fn report_unknown_connection(
    dec: &mut Decoder,
    at: &Entry<'_>,
    name: &str,
    connections: &ConnectionSpecs,
) {
    let names: Vec<&str> = connections.keys().map(String::as_str).collect();
    dec.error_suggesting(
        at.value_at(),
        &at.path,
        format!(
            "unknown connection `{name}`; `connections` defines: {}",
            list_or_none(&names)
        ),
        closest(name, names.iter().copied()),
    );
}

/// Names joined for a message, or "nothing".
pub(super) fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "nothing".to_string()
    } else {
        names.join(", ")
    }
}

/// A cron expression: five fields (minute first) as integrators write them, six (seconds
/// first) as the `cron` crate reads them, or a shortcut like `@hourly`.
fn decode_schedule(dec: &mut Decoder, text: &str, at: Location, path: &str) -> Option<Schedule> {
    const HINT: &str = "write five fields (minute hour day month weekday), like \"*/5 * * * *\"";
    let trimmed = text.trim();
    let fields = trimmed.split_whitespace().count();
    let expression = match fields {
        5 => format!("0 {trimmed}"),
        6 | 7 => trimmed.to_string(),
        1 if trimmed.starts_with('@') => trimmed.to_string(),
        n => {
            dec.error(
                at,
                path,
                format!("invalid cron schedule `{text}`: it has {n} fields; {HINT}"),
            );
            return None;
        }
    };
    match cron::Schedule::from_str(&expression) {
        Ok(cron) => Some(Schedule {
            source: text.to_string(),
            cron,
        }),
        Err(e) => {
            // The cron crate draws a caret under the expression over several lines; the
            // reason is on the last one.
            let full = e.to_string();
            let reason = full.lines().last().unwrap_or_default().trim();
            dec.error(
                at,
                path,
                format!("invalid cron schedule `{text}`: {reason}; {HINT}"),
            );
            None
        }
    }
}

fn decode_trigger_settings(
    dec: &mut Decoder,
    entry: &Entry<'_>,
    spec: Option<&'static TriggerSpec>,
) -> Option<Map<String, serde_json::Value>> {
    let mut map = dec.map(entry.value, &entry.path)?;
    let mut settings = Map::new();
    let mut ok = true;
    for setting in map.take_rest() {
        if let Some(spec) = spec
            && !spec.settings.iter().any(|s| s.name == setting.name)
        {
            let names: Vec<&str> = spec.settings.iter().map(|s| s.name).collect();
            dec.error_suggesting(
                setting.key_at(),
                &setting.path,
                format!(
                    "unknown setting `{}` for trigger `{}`; it takes: {}",
                    setting.name,
                    spec.event,
                    list_or_none(&names)
                ),
                closest(&setting.name, names.iter().copied()),
            );
            ok = false;
            continue;
        }
        if crate::bundle::yaml::as_str(setting.value)
            .and_then(parse_secret_ref)
            .is_some()
        {
            dec.error(
                setting.value_at(),
                &setting.path,
                "trigger settings cannot hold secrets; put credentials on the connection",
            );
            ok = false;
            continue;
        }
        match dec.json(setting.value, &setting.path) {
            Some(v) => {
                settings.insert(setting.name, v);
            }
            None => ok = false,
        }
    }
    // A setting given with a bad value was reported already; it is not missing too.
    report_missing_settings(dec, |name| map.has(name), spec, (map.at(), map.path()));
    ok.then_some(settings)
}

fn report_missing_settings(
    dec: &mut Decoder,
    is_given: impl Fn(&str) -> bool,
    spec: Option<&'static TriggerSpec>,
    (at, path): (Location, &str),
) {
    let Some(spec) = spec else { return };
    for required in spec.settings.iter().filter(|s| s.required) {
        if !is_given(required.name) {
            dec.error(
                at,
                &child(path, required.name),
                format!(
                    "missing required trigger setting `{}` ({})",
                    required.name, required.description
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Timelike, Utc};

    use super::*;

    fn schedule(text: &str) -> Result<Schedule, String> {
        let mut dec = Decoder::new("b.yaml".into());
        let at = Location { line: 1, column: 1 };
        decode_schedule(&mut dec, text, at, "trigger.schedule")
            .ok_or_else(|| dec.into_diagnostics()[0].message.clone())
    }

    #[test]
    fn five_field_crons_run_at_second_zero_and_keep_their_text() {
        let s = schedule("*/5 * * * *").unwrap();
        assert_eq!(s.source, "*/5 * * * *");
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 10, 1, 30).unwrap();
        let next: Vec<_> = s.cron.after(&start).take(2).collect();
        assert_eq!((next[0].minute(), next[0].second()), (5, 0));
        assert_eq!(next[1].minute(), 10);
        let with_seconds = schedule("30 0 * * * *").unwrap();
        assert_eq!(with_seconds.cron.after(&start).next().unwrap().second(), 30);
        assert!(schedule("@hourly").is_ok());
    }

    #[test]
    fn bad_crons_explain_themselves_on_one_line() {
        let fields = schedule("*/5 * *").unwrap_err();
        assert!(fields.contains("it has 3 fields"), "{fields}");
        let range = schedule("61 * * * *").unwrap_err();
        assert!(
            range.starts_with("invalid cron schedule `61 * * * *`: "),
            "{range}"
        );
        assert!(!range.contains('\n'), "{range}");
    }
}
