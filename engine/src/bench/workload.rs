//! The benchmark's input: `N` Calltouch calls dated today (the calls journal is read by
//! day), a share of them from callers who called before (the same phone, sometimes
//! written differently), a share already `status: complete` (the bundle's filter drops
//! them), and the end state every call must lead to.
//!
//! The calls are generated from a seed, so two runs with the same options see the same
//! calls.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// How the calls are made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkloadShape {
    /// How many calls.
    pub calls: usize,
    /// Percent of calls whose caller already called (the same phone as an earlier call).
    pub repeat_caller_percent: u8,
    /// Percent of calls that carry `status: complete` and are filtered out.
    pub complete_percent: u8,
    /// Random seed.
    pub seed: u64,
}

/// One generated call and what it must lead to.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedCall {
    /// `callId`.
    pub call_id: i64,
    /// The caller's phone as digits (the form ferry stores and searches by).
    pub phone: String,
    /// Whether the filter keeps it (it is not `complete`).
    pub kept: bool,
    /// `utmSource`, else `source`: what the deal's `funnel` must say.
    pub source: String,
}

/// The calls to seed and the expected outcome of each.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Call records exactly as the Calltouch journal returns them (moved into the
    /// emulator when it is seeded).
    pub calls: Vec<Value>,
    /// One entry per call, in the same order.
    pub expected: Vec<ExpectedCall>,
}

/// The Calltouch cabinet's zone (the connector's default, `+03:00`): journal days are in it.
pub fn cabinet_offset() -> FixedOffset {
    FixedOffset::east_opt(3 * 3600).expect("a valid offset")
}

const FIRST_CALL_ID: i64 = 700_000_001;
const UTM_SOURCES: &[&str] = &["yandex", "google", "vk", "telegram-ads"];
const PLAIN_SOURCES: &[&str] = &["organic", "direct", "referral"];

impl Workload {
    /// Generate the calls of `shape`, dated on `now`'s day in the cabinet's zone, at times
    /// spread from midnight to `now`.
    pub fn generate(shape: &WorkloadShape, now: DateTime<Utc>) -> Workload {
        let mut rng = StdRng::seed_from_u64(shape.seed);
        let local = now.with_timezone(&cabinet_offset());
        let day = local.format("%d/%m/%Y").to_string();
        let seconds_today = i64::from(local.num_seconds_from_midnight());
        let mut used_phones: HashSet<String> = HashSet::new();
        let mut calls = Vec::with_capacity(shape.calls);
        let mut expected: Vec<ExpectedCall> = Vec::with_capacity(shape.calls);
        for index in 0..shape.calls {
            let call_id = FIRST_CALL_ID + index as i64;
            let repeat =
                !expected.is_empty() && rng.random_range(0..100) < shape.repeat_caller_percent;
            let phone = if repeat {
                expected[rng.random_range(0..expected.len())].phone.clone()
            } else {
                new_phone(&mut rng, &mut used_phones)
            };
            let complete = rng.random_range(0..100) < shape.complete_percent;
            let seconds = seconds_today * index as i64 / shape.calls.max(1) as i64;
            let time = format!(
                "{:02}:{:02}:{:02}",
                seconds / 3600,
                seconds / 60 % 60,
                seconds % 60
            );
            let mut call = json!({
                "callId": call_id,
                "date": format!("{day} {time}"),
                "callerNumber": written(&phone, rng.random_bool(0.5)),
                "phoneNumber": "74951112233",
                "duration": rng.random_range(5..900),
                "waitingConnect": rng.random_range(1..30),
                "successful": rng.random_bool(0.8),
                "uniqueCall": !repeat,
                "targetCall": rng.random_bool(0.6),
                "city": "Moscow",
                "sessionId": rng.random_range(10_000_000..99_999_999),
            });
            let source = if rng.random_bool(0.6) {
                let utm = UTM_SOURCES[rng.random_range(0..UTM_SOURCES.len())];
                call["source"] = json!(utm);
                call["medium"] = json!("cpc");
                call["utmSource"] = json!(utm);
                call["utmMedium"] = json!("cpc");
                call["utmCampaign"] = json!(format!("campaign-{}", rng.random_range(1..20)));
                utm.to_string()
            } else {
                let plain = PLAIN_SOURCES[rng.random_range(0..PLAIN_SOURCES.len())];
                call["source"] = json!(plain);
                call["medium"] = json!("(none)");
                plain.to_string()
            };
            if complete {
                call["status"] = json!("complete");
            }
            calls.push(call);
            expected.push(ExpectedCall {
                call_id,
                phone,
                kept: !complete,
                source,
            });
        }
        Workload { calls, expected }
    }

    /// Calls the filter keeps.
    pub fn kept(&self) -> usize {
        self.expected.iter().filter(|c| c.kept).count()
    }

    /// Distinct phones among the kept calls: the customers that must exist afterwards.
    pub fn kept_phones(&self) -> HashSet<&str> {
        self.expected
            .iter()
            .filter(|c| c.kept)
            .map(|c| c.phone.as_str())
            .collect()
    }
}

/// A Moscow mobile number not used before, as 11 digits.
fn new_phone(rng: &mut StdRng, used: &mut HashSet<String>) -> String {
    loop {
        let phone = format!("79{:09}", rng.random_range(0..1_000_000_000u32));
        if used.insert(phone.clone()) {
            return phone;
        }
    }
}

/// The number as a caller id shows it: plain digits, or `+7 (916) 123-45-67`. Both
/// normalize to the same digits.
fn written(phone: &str, pretty: bool) -> String {
    if !pretty {
        return phone.to_string();
    }
    format!(
        "+{} ({}) {}-{}-{}",
        &phone[..1],
        &phone[1..4],
        &phone[4..7],
        &phone[7..9],
        &phone[9..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(calls: usize) -> WorkloadShape {
        WorkloadShape {
            calls,
            repeat_caller_percent: 30,
            complete_percent: 10,
            seed: 7,
        }
    }

    fn noon() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-05-14T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn shares_follow_the_shape_and_the_seed() {
        let w = Workload::generate(&shape(2_000), noon());
        assert_eq!(w.calls.len(), 2_000);
        let distinct: HashSet<&str> = w.expected.iter().map(|c| c.phone.as_str()).collect();
        let repeats = 2_000 - distinct.len();
        assert!((500..700).contains(&repeats), "{repeats} repeat callers");
        let complete = w.calls.iter().filter(|c| c["status"] == "complete").count();
        assert!((150..250).contains(&complete), "{complete} complete calls");
        assert_eq!(w.kept(), 2_000 - complete);
        // The same seed gives the same calls.
        assert_eq!(Workload::generate(&shape(2_000), noon()).calls, w.calls);
    }

    #[test]
    fn calls_are_dated_today_in_the_cabinet_zone_and_sources_fall_back() {
        let w = Workload::generate(&shape(50), noon());
        for (call, expected) in w.calls.iter().zip(&w.expected) {
            assert!(
                call["date"].as_str().unwrap().starts_with("14/05/2026 "),
                "{call}"
            );
            let digits: String = call["callerNumber"]
                .as_str()
                .unwrap()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            assert_eq!(digits, expected.phone);
            let source = call.get("utmSource").or(call.get("source")).unwrap();
            assert_eq!(source, expected.source.as_str());
        }
        assert_eq!(w.calls[49]["date"], "14/05/2026 11:45:36");
        assert_eq!(written("79161234567", true), "+7 (916) 123-45-67");
    }
}
