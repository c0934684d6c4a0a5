//! Decoding `run:`: how many items run at once and how steps are retried.

use crate::bundle::model::RunOptions;
use crate::bundle::reader::{Decoder, Entry};

/// Decode `run`; absent keys keep their defaults.
pub(super) fn decode_run_options(dec: &mut Decoder, entry: &Entry<'_>) -> Option<RunOptions> {
    let mut map = dec.map(entry.value, &entry.path)?;
    let defaults = RunOptions::default();
    let concurrency = map
        .take("concurrency")
        .map(|e| dec.positive_u32(e.value, &e.path));
    let max_attempts = map
        .take("max_attempts")
        .map(|e| dec.positive_u32(e.value, &e.path));
    let initial_entry = map.take("backoff_initial");
    let backoff_initial = initial_entry
        .as_ref()
        .map(|e| dec.duration(e.value, &e.path));
    let backoff_max = map
        .take("backoff_max")
        .map(|e| dec.duration(e.value, &e.path));
    map.finish(dec);
    let options = RunOptions {
        concurrency: concurrency.map_or(Some(defaults.concurrency), |c| c.map(|n| n as usize))?,
        max_attempts: max_attempts.unwrap_or(Some(defaults.max_attempts))?,
        backoff_initial: backoff_initial.unwrap_or(Some(defaults.backoff_initial))?,
        backoff_max: backoff_max.unwrap_or(Some(defaults.backoff_max))?,
    };
    if options.backoff_initial > options.backoff_max {
        let (at, path) = match &initial_entry {
            Some(e) => (e.value_at(), e.path.clone()),
            None => (entry.value_at(), entry.path.clone()),
        };
        dec.error(
            at,
            &path,
            format!(
                "backoff_initial ({}) is longer than backoff_max ({})",
                humantime::format_duration(options.backoff_initial),
                humantime::format_duration(options.backoff_max)
            ),
        );
        return None;
    }
    Some(options)
}
