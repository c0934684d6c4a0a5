//! Realistic call-history records for tests, examples and demos, with UniTalk's own field
//! names: an inbound call routed to internal lines, or an outbound call from one, answered
//! or not (an unanswered call has no talk time and no recording link).

use serde_json::{Value, json};

/// One call as the history reports it.
#[derive(Debug, Clone)]
pub struct HistoryCall<'a> {
    /// The call's id.
    pub id: u64,
    /// Start, local time `YYYY-MM-DD HH:MM:SS`.
    pub date: &'a str,
    /// `IN` or `OUT`.
    pub direction: &'a str,
    /// The client's number.
    pub client: &'a str,
    /// The employee's internal line.
    pub line: &'a str,
    /// The company's external number.
    pub outer_number: &'a str,
    /// Whether it was answered (`state` `ANSWER`, else `NOANSWER`).
    pub answered: bool,
    /// Talk time in seconds when answered.
    pub talk: u64,
}

impl Default for HistoryCall<'_> {
    fn default() -> Self {
        HistoryCall {
            id: 275,
            date: "2024-05-14 10:31:05",
            direction: "IN",
            client: "380505557182",
            line: "2000",
            outer_number: "380443334455",
            answered: true,
            talk: 42,
        }
    }
}

impl HistoryCall<'_> {
    /// The record as `history/get` returns it.
    pub fn record(&self) -> Value {
        let (from, to) = if self.direction == "OUT" {
            (self.line, self.client)
        } else {
            (self.client, self.line)
        };
        let talk = if self.answered { self.talk } else { 0 };
        let mut record = json!({
            "id": self.id,
            "date": self.date,
            "direction": self.direction,
            "from": from,
            "to": [to],
            "outerNumber": self.outer_number,
            "lastGroupName": "Sales",
            "state": if self.answered { "ANSWER" } else { "NOANSWER" },
            "secondsFullTime": talk + 12,
            "secondsTalk": talk,
            "source": "REGULAR",
        });
        if self.answered {
            let day = self.date.split(' ').next().unwrap_or_default();
            record["link"] = json!(format!(
                "https://api.unitalk.cloud/tracking/rec/{}.{}/{day}",
                1_715_671_865 + self.id,
                self.id
            ));
        }
        record
    }
}
