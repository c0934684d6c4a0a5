//! When each bundle's trigger is due. Schedules are cron expressions evaluated in UTC
//! against the injected clock; a tick that was missed while the engine was down is not
//! replayed one by one: the next poll simply reads from the stored cursor.

use chrono::{DateTime, Utc};

use crate::bundle::Schedule;

/// The first time strictly after `now` at which `schedule` fires.
pub fn next_fire(schedule: &Schedule, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule.cron.after(&now).next()
}

/// Lease length for polling one tick: until shortly before the next tick, so exactly one
/// worker polls each tick, and the lease is free again when the next tick comes.
pub fn poll_lease_ms(schedule: &Schedule, now: DateTime<Utc>) -> i64 {
    const MARGIN_MS: i64 = 1_000;
    const MIN_MS: i64 = 1_000;
    match next_fire(schedule, now) {
        Some(next) => ((next - now).num_milliseconds() - MARGIN_MS).max(MIN_MS),
        None => 60_000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn every_five() -> Schedule {
        Schedule {
            source: "*/5 * * * *".into(),
            cron: cron::Schedule::from_str("0 */5 * * * *").unwrap(),
        }
    }

    #[test]
    fn fires_on_the_next_five_minute_boundary() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T10:02:30Z")
            .unwrap()
            .with_timezone(&Utc);
        let next = next_fire(&every_five(), now).unwrap();
        assert_eq!(next.to_rfc3339(), "2026-03-01T10:05:00+00:00");
        let on_boundary = DateTime::parse_from_rfc3339("2026-03-01T10:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            next_fire(&every_five(), on_boundary).unwrap().to_rfc3339(),
            "2026-03-01T10:10:00+00:00"
        );
    }

    #[test]
    fn poll_lease_ends_before_the_next_tick() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T10:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(poll_lease_ms(&every_five(), now), 299_000);
    }
}
