//! The static description of the `unitalk` connector: its connection settings, the polled
//! `call` trigger with its settings, and the fields each call item carries.

use crate::spec::{ConnectorSpec, Delivery, FieldSpec, SettingSpec, TriggerSpec, field, setting};

/// Trigger event: a finished call from the call history.
pub(crate) const CALL: &str = "call";

/// The `unitalk` connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "unitalk",
    description: "UniTalk virtual PBX: finished calls (inbound and outbound) polled from the call history API",
    settings: &[
        setting(
            "api_key",
            true,
            true,
            "The API key from the UniTalk cabinet's API page, sent as the `Authorization` header",
        ),
        setting(
            "base_url",
            false,
            false,
            "API root (default https://api.unitalk.cloud/api)",
        ),
        setting(
            "utc_offset",
            false,
            false,
            "The UniTalk account's time zone as an offset like +03:00 (default +02:00, Kyiv in winter): call dates and the polled window are in that local time",
        ),
    ],
    triggers: &[TriggerSpec {
        event: CALL,
        delivery: Delivery::Poll,
        description: "A call from the call history (inbound or outbound, answered or missed): one item per call",
        settings: CALL_SETTINGS,
        default_key: "{{item.call_id}}",
        item_fields: CALL_FIELDS,
    }],
    actions: &[],
};

const CALL_SETTINGS: &[SettingSpec] = &[
    setting(
        "direction",
        false,
        false,
        "`in`, `out` or `both` (default): which calls are asked for (UniTalk's `filter.direction`)",
    ),
    setting(
        "page_size",
        false,
        false,
        "Calls per request, 1..1000 (default 100)",
    ),
    setting(
        "lookback_minutes",
        false,
        false,
        "How far back the very first poll reads (default 60)",
    ),
    setting(
        "overlap_minutes",
        false,
        false,
        "How far each poll reaches back before the previous one ended, so calls saved late (long calls are saved when they end) are not missed (default 60); re-read calls are dropped by the item key",
    ),
    setting(
        "employee_names",
        false,
        false,
        "Look employees' names up by their line (`users/list`, once per poll; default true)",
    ),
    setting(
        "internal_max_digits",
        false,
        false,
        "Numbers with at most this many digits are internal lines (SIP extensions), longer ones are phone numbers (default 6)",
    ),
];

const CALL_FIELDS: &[FieldSpec] = &[
    field(
        "call_id",
        false,
        "UniTalk's call id (the history's `id`); the default item key",
    ),
    field(
        "direction",
        false,
        "`inbound`, `outbound` or `internal` (from `IN` / `OUT` / `INNER`)",
    ),
    field(
        "answered",
        false,
        "Whether the call was answered (`state` is `ANSWER`)",
    ),
    field(
        "event_type",
        false,
        "Derived: `answered` or `missed` (inbound), `outgoing` or `outgoing_unanswered`",
    ),
    field(
        "state",
        false,
        "The call's state as sent (`ANSWER`, `NOANSWER`, `BUSY`, ...)",
    ),
    field(
        "client_phone",
        false,
        "The client's number: the caller of an inbound call, the number dialled on an outbound one",
    ),
    field(
        "external_number",
        false,
        "The company's external number (line) the call came through or went out on (`outerNumber`)",
    ),
    field(
        "sip",
        false,
        "The employee's internal line (SIP extension): the first internal number the inbound call reached, the caller's line on an outbound one",
    ),
    field(
        "lines",
        false,
        "Every internal line the call touched, in order",
    ),
    field(
        "employee",
        false,
        "The employee's name for `sip` (from `users/list`), or null",
    ),
    field(
        "recording_url",
        false,
        "Link to the call recording (`link`), null when there is none",
    ),
    field(
        "date",
        false,
        "When the call started, as sent (`YYYY-MM-DD HH:MM:SS`, the account's local time)",
    ),
    field(
        "date_utc",
        false,
        "The same moment in RFC 3339 UTC (using `utc_offset`)",
    ),
    field("duration", false, "Talk time in seconds (`secondsTalk`)"),
    field(
        "total_duration",
        false,
        "Whole call length in seconds including ringing (`secondsFullTime`)",
    ),
    field(
        "wait_time",
        false,
        "Seconds before the answer (total minus talk)",
    ),
    field(
        "group",
        false,
        "The last employee group the call went to (`lastGroupName`)",
    ),
    field(
        "raw",
        false,
        "The history record exactly as UniTalk returned it",
    ),
];
