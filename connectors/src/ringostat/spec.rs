//! The static description of the `ringostat` connector: the optional project name, the
//! pushed `call` and `form` triggers, the form trigger's field-name settings, and both
//! triggers' item fields.

use crate::spec::{ConnectorSpec, Delivery, FieldSpec, SettingSpec, TriggerSpec, field, setting};

/// Trigger event: a call (incoming or outgoing) reported by a call webhook.
pub(crate) const CALL: &str = "call";
/// Trigger event: a form submitted on the site.
pub(crate) const FORM: &str = "form";

/// The `ringostat` connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "ringostat",
    description: "Ringostat call tracking: calls and site form submissions pushed by webhook",
    settings: &[setting(
        "project",
        false,
        false,
        "The Ringostat project name, copied to items whose delivery names none",
    )],
    triggers: &[
        TriggerSpec {
            event: CALL,
            delivery: Delivery::Webhook,
            description: "A call (after-call or after-outgoing-call webhook): one item per delivery",
            settings: &[],
            default_key: "{{item.event_id}}",
            item_fields: CALL_FIELDS,
        },
        TriggerSpec {
            event: FORM,
            delivery: Delivery::Webhook,
            description: "A form submitted on the site: one item per delivery, form fields kept as sent",
            settings: FORM_SETTINGS,
            default_key: "{{item.event_id}}",
            item_fields: FORM_FIELDS,
        },
    ],
    actions: &[],
};

const FORM_SETTINGS: &[SettingSpec] = &[
    setting(
        "phone_fields",
        false,
        false,
        "Form field names that may hold the phone, first present wins: a list or comma-separated text (default `phone, tel, telephone`)",
    ),
    setting(
        "email_fields",
        false,
        false,
        "Form field names that may hold the e-mail (default `email`)",
    ),
    setting(
        "name_fields",
        false,
        false,
        "Form field names that may hold the client's name (default `name, first-name`)",
    ),
];

const CALL_FIELDS: &[FieldSpec] = &[
    field(
        "event_id",
        false,
        "Stable id for re-delivery dedup: `call-<uniqueid>`, or `call-h<content hash>` when the delivery carries no call id (the default item key)",
    ),
    field("call_id", false, "Ringostat's call id (`uniqueid`) as sent"),
    field(
        "event_type",
        false,
        "Derived: `answered` or `missed` (incoming), `outgoing` or `outgoing_unanswered`",
    ),
    field("direction", false, "`incoming` or `outgoing`"),
    field(
        "answered",
        false,
        "Derived: whether the call was answered (disposition ANSWERED, PROPER or REPEATED; without a disposition, talk time above 0)",
    ),
    field(
        "callback",
        false,
        "Whether the call was a callback from the site widget",
    ),
    field(
        "disposition",
        false,
        "The call status as sent (ANSWERED, NO ANSWER, BUSY, FAILED, PROPER, REPEATED)",
    ),
    field(
        "duration",
        false,
        "Talk time in seconds (number; `billsec`); 0 for an unanswered call",
    ),
    field(
        "total_duration",
        false,
        "Whole call length in seconds including waiting, when sent",
    ),
    field(
        "wait_time",
        false,
        "Seconds the caller waited for an answer, when sent",
    ),
    field("caller", false, "The calling number as sent"),
    field("callee", false, "The called number as sent (`dst`)"),
    field(
        "client_phone",
        false,
        "Derived: the client's number: the caller of an incoming call, the callee of an outgoing one",
    ),
    field("employee", false, "The employee who took or made the call"),
    field("sip", false, "The employee's SIP login or extension"),
    field("recording_url", false, "Link to the call recording"),
    field(
        "pool",
        false,
        "The number pool (ad channel) the call came through",
    ),
    field("call_date", false, "When the call started, as sent"),
    field(
        "utm_source",
        false,
        "UTM source of the visit that led to the call",
    ),
    field("utm_medium", false, "UTM medium"),
    field("utm_campaign", false, "UTM campaign"),
    field("utm_content", false, "UTM content"),
    field("utm_term", false, "UTM term"),
    field("client_id", false, "Google Analytics client id"),
    field("landing", false, "The landing page of the visit"),
    field(
        "project",
        false,
        "The delivery's project name, else the connection's `project` setting",
    ),
    field(
        "raw",
        false,
        "The delivery exactly as decoded (the names configured in the Ringostat webhook)",
    ),
];

const FORM_FIELDS: &[FieldSpec] = &[
    field(
        "event_id",
        false,
        "Stable id for re-delivery dedup: `form-<submission id>`, or `form-h<content hash>` when the delivery carries none (the default item key)",
    ),
    field(
        "fields",
        false,
        "The form's own fields exactly as sent (name → value); system variables are not among them",
    ),
    field(
        "phone",
        false,
        "Derived: the first present of the `phone_fields` names (phone, tel, telephone), raw as typed",
    ),
    field("phone_field", false, "Which field name the phone came from"),
    field(
        "email",
        false,
        "Derived: the first present of the `email_fields` names",
    ),
    field(
        "name",
        false,
        "Derived: the first present of the `name_fields` names",
    ),
    field(
        "client_id",
        false,
        "Google Analytics client id (system variable)",
    ),
    field("utm_source", false, "UTM source (system variable)"),
    field("utm_medium", false, "UTM medium (system variable)"),
    field("utm_campaign", false, "UTM campaign (system variable)"),
    field("utm_content", false, "UTM content (system variable)"),
    field("utm_term", false, "UTM term (system variable)"),
    field(
        "variables",
        false,
        "Every Ringostat system variable the delivery carried (utm_*, client id, landing, ...), as sent",
    ),
    field("form_name", false, "The form's name or id, when sent"),
    field("page", false, "The page the form was sent from, when sent"),
    field(
        "submitted_at",
        false,
        "When the form was sent, as sent; the time ferry received it (RFC 3339) when the delivery carries none",
    ),
    field(
        "project",
        false,
        "The delivery's project name, else the connection's `project` setting",
    ),
    field("raw", false, "The delivery exactly as decoded"),
];
