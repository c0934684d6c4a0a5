//! Account time zones given as UTC offsets. The CRMs and call trackers ferry talks to
//! report and filter by the account's local wall-clock time without saying its zone, so
//! each connection names it in its `utc_offset` setting (`+03:00`, `-05:30`, `+3`, `Z`).

use chrono::FixedOffset;

use crate::connector::Settings;
use crate::error::ConnectorError;

/// Seconds east of UTC of Moscow time, the zone Russian accounts default to.
pub const MOSCOW_SECONDS: i32 = 3 * 3600;

/// `+03:00`, `-05:30`, `+3`, `Z` or `UTC` → an offset; `None` for anything else or past
/// ±14 hours.
pub fn parse_utc_offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("z") || text.eq_ignore_ascii_case("utc") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (rest.parse::<i32>().ok()?, 0),
    };
    if !(0..=14).contains(&hours) || !(0..60).contains(&minutes) {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// The connection's `utc_offset` setting, or `default_seconds` east of UTC when it is not
/// given; a value that is not an offset is a configuration error.
pub fn utc_offset_setting(
    settings: &Settings,
    default_seconds: i32,
) -> Result<FixedOffset, ConnectorError> {
    match settings.str("utc_offset") {
        Some(text) => parse_utc_offset(&text).ok_or_else(|| {
            ConnectorError::Config(format!("setting `utc_offset`: {text:?} is not like +03:00"))
        }),
        None => FixedOffset::east_opt(default_seconds).ok_or_else(|| {
            ConnectorError::Config(format!("no UTC offset of {default_seconds} seconds"))
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn seconds(text: &str) -> Option<i32> {
        parse_utc_offset(text).map(|o| o.local_minus_utc())
    }

    #[test]
    fn offsets_parse_with_or_without_minutes() {
        assert_eq!(seconds("+03:00"), Some(3 * 3600));
        assert_eq!(seconds(" -05:30 "), Some(-(5 * 3600 + 30 * 60)));
        assert_eq!(seconds("+7"), Some(7 * 3600));
        assert_eq!(seconds("Z"), Some(0));
        assert_eq!(seconds("utc"), Some(0));
        for bad in ["03:00", "+15:00", "+03:60", "Moscow", ""] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_setting_defaults_and_refuses_what_is_not_an_offset() {
        let settings = |values: serde_json::Value| {
            Settings::new(values.as_object().cloned().unwrap(), BTreeMap::new())
        };
        let given = utc_offset_setting(&settings(json!({"utc_offset": "+05:00"})), 0).unwrap();
        assert_eq!(given.local_minus_utc(), 5 * 3600);
        let default = utc_offset_setting(&settings(json!({})), MOSCOW_SECONDS).unwrap();
        assert_eq!(default.local_minus_utc(), MOSCOW_SECONDS);
        let error = utc_offset_setting(&settings(json!({"utc_offset": "Kyiv"})), 0).unwrap_err();
        assert!(error.to_string().contains("`utc_offset`"), "{error}");
    }
}
