//! Tasks (`POST /api/v4/tasks`) and notes (`POST /api/v4/{entity_type}/{id}/notes`):
//! follow-ups and call records on leads, contacts and companies.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde_json::{Map, Value, json};

use super::super::client::created_id;
use super::super::inputs::Inputs;
use super::Amo;
use crate::connector::Record;
use crate::error::ConnectorError;

/// Note types `create_note` sends.
pub const NOTE_TYPES: &[&str] = &["common", "call_in", "call_out"];

/// A deadline as unix seconds: a number (seconds, or milliseconds when that large), digits,
/// RFC 3339, `YYYY-MM-DD HH:MM[:SS]` / `DD.MM.YYYY HH:MM[:SS]` in `offset`, or a bare date
/// meaning the end of that day in `offset`.
pub fn parse_deadline(value: &Value, offset: FixedOffset) -> Option<i64> {
    let from_number = |n: f64| -> Option<i64> {
        if !n.is_finite() || n <= 0.0 {
            return None;
        }
        // Milliseconds since 1970 are past 10^11; seconds will not be for millennia.
        Some(if n > 1e11 {
            (n / 1000.0) as i64
        } else {
            n as i64
        })
    };
    let text = match value {
        Value::Number(n) => return from_number(n.as_f64()?),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    if text.chars().all(|c| c.is_ascii_digit()) && !text.is_empty() {
        return from_number(text.parse::<f64>().ok()?);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp());
    }
    let local = |naive: NaiveDateTime| {
        offset
            .from_local_datetime(&naive)
            .single()
            .map(|t| t.timestamp())
    };
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return local(naive);
        }
    }
    for format in ["%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(date) = NaiveDate::parse_from_str(text, format) {
            let end = NaiveTime::from_hms_opt(23, 59, 59).expect("valid time");
            return local(date.and_time(end));
        }
    }
    None
}

/// `create_task`.
pub async fn create_task(amo: &Amo, input: &Map<String, Value>) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("create_task", input);
    let text = inputs.required_text("text")?;
    let raw = input
        .get("complete_till")
        .filter(|v| !v.is_null())
        .ok_or_else(|| inputs.bad("complete_till", "is required and was empty"))?;
    let complete_till = parse_deadline(raw, amo.client.utc_offset).ok_or_else(|| {
        inputs.bad(
            "complete_till",
            &format!(
                "must be unix seconds, RFC 3339, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD`, got {raw}"
            ),
        )
    })?;
    let mut task = json!({"text": text, "complete_till": complete_till});
    match (inputs.id("entity_id")?, inputs.entity_type("entity_type")?) {
        (Some(id), Some(kind)) => {
            task["entity_id"] = json!(id);
            task["entity_type"] = json!(kind.as_str());
        }
        (None, None) => {}
        (Some(_), None) => return Err(inputs.bad("entity_type", "is required with `entity_id`")),
        (None, Some(_)) => return Err(inputs.bad("entity_id", "is required with `entity_type`")),
    }
    for name in ["responsible_user_id", "task_type_id"] {
        if let Some(id) = inputs.id(name)? {
            task[name] = json!(id);
        }
    }
    if let Some(duration) = inputs.integer("duration")? {
        task["duration"] = json!(duration.max(0));
    }
    let reply = amo.client.post("/tasks", &json!([task])).await?;
    let mut out = Map::new();
    out.insert("id".into(), created_id(&reply, "tasks")?.into());
    Ok(out)
}

/// `create_note`. Call notes take their unique id from `uniq`, or from the step's
/// idempotency key so that a retried step describes the same call.
pub async fn create_note(
    amo: &Amo,
    input: &Map<String, Value>,
    idempotency_key: &str,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("create_note", input);
    let entity = inputs.required_entity_type("entity_type")?;
    let id = inputs.required_id("entity_id")?;
    let note_type = inputs
        .text("note_type")?
        .unwrap_or_else(|| "common".into())
        .to_lowercase();
    let params = match note_type.as_str() {
        "common" => json!({"text": inputs.required_text("text")?}),
        "call_in" | "call_out" => {
            let mut params = json!({
                "uniq": inputs.text("uniq")?.unwrap_or_else(|| idempotency_key.to_string()),
                "duration": inputs.integer("duration")?.unwrap_or(0).max(0),
                "source": inputs.text("source")?.unwrap_or_else(|| "ferry".into()),
                "phone": inputs.required_text("phone")?,
            });
            if let Some(link) = inputs.text("link")? {
                params["link"] = json!(link);
            }
            if let Some(status) = inputs.integer("call_status")? {
                params["call_status"] = json!(status);
            }
            if let Some(result) = inputs.text("call_result")?.or(inputs.text("text")?) {
                params["call_result"] = json!(result);
            }
            params
        }
        other => {
            return Err(inputs.bad(
                "note_type",
                &format!("must be one of {}, got {other:?}", NOTE_TYPES.join(", ")),
            ));
        }
    };
    let note = json!([{"note_type": note_type, "params": params}]);
    let path = format!("/{}/{id}/notes", entity.as_str());
    let reply = amo.client.post(&path, &note).await?;
    let mut out = Map::new();
    out.insert("id".into(), created_id(&reply, "notes")?.into());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msk() -> FixedOffset {
        FixedOffset::east_opt(3 * 3600).unwrap()
    }

    #[test]
    fn deadlines_in_every_accepted_form() {
        assert_eq!(
            parse_deadline(&json!(1_717_000_000), msk()),
            Some(1_717_000_000)
        );
        assert_eq!(
            parse_deadline(&json!(1_717_000_000_123_i64), msk()),
            Some(1_717_000_000)
        );
        assert_eq!(
            parse_deadline(&json!("1717000000"), msk()),
            Some(1_717_000_000)
        );
        assert_eq!(
            parse_deadline(&json!("2024-05-14T10:00:00Z"), msk()),
            Some(1_715_680_800)
        );
        // 10:00 Moscow is 07:00 UTC.
        assert_eq!(
            parse_deadline(&json!("2024-05-14 10:00"), msk()),
            Some(1_715_680_800 - 3 * 3600)
        );
        assert_eq!(
            parse_deadline(&json!("14.05.2024"), msk()),
            parse_deadline(&json!("2024-05-14 23:59:59"), msk())
        );
        assert_eq!(parse_deadline(&json!("tomorrow"), msk()), None);
        assert_eq!(parse_deadline(&json!(-5), msk()), None);
    }
}
