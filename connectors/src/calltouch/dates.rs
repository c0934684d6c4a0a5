//! Calltouch's date formats: the calls journal wants `DD/MM/YYYY`, the requests journal
//! `MM/DD/YYYY`, the deals API `DD-MM-YYYY HH:MM:SS`; all in the cabinet's time zone.
//! Deal dates arrive from bundles in whatever format the source system used, so
//! [`deal_date`] reads the common ones.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

/// The day format of the calls journal (`dateFrom`/`dateTo`).
pub(crate) const CALLS_DAY: &str = "%d/%m/%Y";
/// The day format of the requests journal (month first).
pub(crate) const REQUESTS_DAY: &str = "%m/%d/%Y";
/// The date-time format sent to the deals API.
pub(crate) const DEAL_DATE_TIME: &str = "%d-%m-%Y %H:%M:%S";
/// How cursors store a day.
pub(crate) const CURSOR_DAY: &str = "%Y-%m-%d";

/// The cabinet's calendar day at `at`.
pub(crate) fn local_day(at: DateTime<Utc>, offset: FixedOffset) -> NaiveDate {
    at.with_timezone(&offset).date_naive()
}

/// A deal date from a bundle value, as `DD-MM-YYYY HH:MM:SS` in the cabinet's zone.
///
/// Accepted: Calltouch's own `DD/MM/YYYY[ HH:MM:SS]` and `DD-MM-YYYY[ HH:MM:SS]`, retailCRM
/// and SQL style `YYYY-MM-DD[ HH:MM:SS]` (taken as cabinet-local), RFC 3339 with an offset
/// (converted), and Unix time as a number (milliseconds when above 10^11, else seconds).
pub(crate) fn deal_date(value: &Value, offset: FixedOffset) -> Result<String, String> {
    let local = match value {
        Value::Number(n) => {
            let raw = n
                .as_i64()
                .ok_or_else(|| format!("{n} is not a Unix time"))?;
            let millis = if raw.abs() > 100_000_000_000 {
                raw
            } else {
                raw * 1000
            };
            let at = Utc
                .timestamp_millis_opt(millis)
                .single()
                .ok_or_else(|| format!("{n} is out of range"))?;
            at.with_timezone(&offset).naive_local()
        }
        Value::String(text) => parse_text_date(text.trim(), offset)?,
        other => return Err(format!("{other} is not a date")),
    };
    Ok(local.format(DEAL_DATE_TIME).to_string())
}

fn parse_text_date(text: &str, offset: FixedOffset) -> Result<NaiveDateTime, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&offset).naive_local());
    }
    const DATE_TIMES: &[&str] = &[
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d-%m-%Y %H:%M:%S",
        "%d-%m-%Y %H:%M",
        "%d.%m.%Y %H:%M:%S",
        // `%.f` also accepts no fraction: MoySklad writes `2024-05-14 10:00:00.000`.
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%d/%m/%Y %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ];
    for format in DATE_TIMES {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(at);
        }
    }
    const DAYS: &[&str] = &["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"];
    for format in DAYS {
        if let Ok(day) = NaiveDate::parse_from_str(text, format) {
            return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists"));
        }
    }
    Err(format!(
        "{text:?} is not a date (expected e.g. 14/05/2024 10:21:05, 2024-05-14 10:21:05 or RFC 3339)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msk() -> FixedOffset {
        crate::utc_offset::parse_utc_offset("+03:00").unwrap()
    }

    #[test]
    fn deal_dates_are_read_from_every_source_format() {
        let expect = "14-05-2024 10:21:05";
        assert_eq!(
            deal_date(&json!("14/05/2024 10:21:05"), msk()).unwrap(),
            expect
        );
        assert_eq!(
            deal_date(&json!("2024-05-14 10:21:05"), msk()).unwrap(),
            expect
        );
        assert_eq!(
            deal_date(&json!("14-05-2024 10:21:05"), msk()).unwrap(),
            expect
        );
        assert_eq!(
            deal_date(&json!("2024-05-14T07:21:05Z"), msk()).unwrap(),
            expect
        );
        // MoySklad's timestamps carry milliseconds.
        assert_eq!(
            deal_date(&json!("2024-05-14 10:21:05.000"), msk()).unwrap(),
            expect
        );
        // 2024-05-14 07:21:05 UTC in ms and in seconds.
        assert_eq!(
            deal_date(&json!(1_715_671_265_000_i64), msk()).unwrap(),
            expect
        );
        assert_eq!(deal_date(&json!(1_715_671_265_i64), msk()).unwrap(), expect);
        assert_eq!(
            deal_date(&json!("14/05/2024"), msk()).unwrap(),
            "14-05-2024 00:00:00"
        );
    }

    #[test]
    fn unreadable_dates_say_what_was_expected() {
        let error = deal_date(&json!("yesterday"), msk()).unwrap_err();
        assert!(error.contains("\"yesterday\" is not a date"), "{error}");
        assert!(deal_date(&json!({"a": 1}), msk()).is_err());
    }

    #[test]
    fn the_local_day_follows_the_cabinet_zone() {
        let late_utc = Utc.with_ymd_and_hms(2024, 5, 14, 22, 30, 0).unwrap();
        assert_eq!(
            local_day(late_utc, msk()),
            NaiveDate::from_ymd_opt(2024, 5, 15).unwrap()
        );
    }
}
