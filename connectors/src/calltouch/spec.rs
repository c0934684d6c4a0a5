//! The static description of the `calltouch` connector: settings, triggers with their
//! item fields, actions with their inputs and outputs.

use crate::spec::{ActionSpec, ConnectorSpec, FieldSpec, SettingSpec, TriggerSpec, field, setting};

/// Trigger events.
pub(crate) const NEW_CALL: &str = "new_call";
/// Trigger events.
pub(crate) const NEW_REQUEST: &str = "new_request";
/// Action names.
pub(crate) const CREATE_DEAL: &str = "create_deal";
/// Action names.
pub(crate) const UPDATE_DEAL: &str = "update_deal";

/// The `calltouch` connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "calltouch",
    description: "Calltouch call tracking: new calls and form requests, deals by call or request id",
    settings: SETTINGS,
    triggers: &[
        TriggerSpec {
            delivery: crate::spec::Delivery::Poll,
            event: NEW_CALL,
            description: "A call from the calls journal (one record per call, as the API returns it)",
            settings: CALL_TRIGGER_SETTINGS,
            default_key: "{{item.callId}}",
            item_fields: CALL_FIELDS,
        },
        TriggerSpec {
            delivery: crate::spec::Delivery::Poll,
            event: NEW_REQUEST,
            description: "A form request (\"заявка\") from the requests journal, as the API returns it",
            settings: REQUEST_TRIGGER_SETTINGS,
            default_key: "{{item.requestId}}",
            item_fields: REQUEST_FIELDS,
        },
    ],
    actions: &[
        ActionSpec::new(
            CREATE_DEAL,
            "Create a deal (client order) bound to a call or a form request",
            CREATE_DEAL_INPUTS,
            CREATE_DEAL_OUTPUTS,
        ),
        ActionSpec::new(
            UPDATE_DEAL,
            "Update a deal's status, budget or comment, addressed by its order number",
            UPDATE_DEAL_INPUTS,
            UPDATE_DEAL_OUTPUTS,
        ),
    ],
};

const SETTINGS: &[SettingSpec] = &[
    setting(
        "site_id",
        true,
        false,
        "Calltouch site (cabinet) id, from Integrations → API and Webhooks",
    ),
    setting(
        "token",
        true,
        true,
        "API token: sent as `clientApiId` to the export API and as `Access-Token` to the deals API",
    ),
    setting(
        "base_url",
        false,
        false,
        "API host; default https://api.calltouch.ru",
    ),
    setting(
        "crm_name",
        false,
        false,
        "The `crm` name sent with created deals; default `ferry`",
    ),
    setting(
        "utc_offset",
        false,
        false,
        "Time zone of the Calltouch cabinet as an offset (`+03:00`, the default); journal days are its days",
    ),
];

const CALL_TRIGGER_SETTINGS: &[SettingSpec] = &[
    setting(
        "page_size",
        false,
        false,
        "Records per journal page, 1..1000 (default 1000)",
    ),
    setting(
        "flags",
        false,
        false,
        "Journal options sent as `<flag>=true`, e.g. [withCallTags, withComments] (default [withCallTags])",
    ),
    setting(
        "overlap_minutes",
        false,
        false,
        "How long the previous day is re-read after midnight, for late journal entries (default 60)",
    ),
];

const REQUEST_TRIGGER_SETTINGS: &[SettingSpec] = &[
    setting(
        "flags",
        false,
        false,
        "Journal options sent as `<flag>=true`, e.g. [withRequestTags] (default [withRequestTags])",
    ),
    setting(
        "overlap_minutes",
        false,
        false,
        "How long the previous day is re-read after midnight, for late journal entries (default 60)",
    ),
];

const CALL_FIELDS: &[FieldSpec] = &[
    field(
        "callId",
        false,
        "Calltouch call id (number); the default item key",
    ),
    field(
        "date",
        false,
        "Call date and time, `DD/MM/YYYY HH:MM:SS` in the cabinet's time zone",
    ),
    field("callerNumber", false, "The caller's phone number"),
    field("phoneNumber", false, "The tracked (dialled) number"),
    field("redirectNumber", false, "Where the call was forwarded"),
    field("duration", false, "Conversation length in seconds"),
    field("waitingConnect", false, "Seconds before the answer"),
    field("successful", false, "Whether the call was answered"),
    field("uniqueCall", false, "First call of this caller"),
    field(
        "targetCall",
        false,
        "Matches the cabinet's target-call rules",
    ),
    field("uniqTargetCall", false, "Unique and target"),
    field("callbackCall", false, "A callback-widget call"),
    field("source", false, "Traffic source (e.g. yandex)"),
    field("medium", false, "Traffic type (e.g. cpc)"),
    field("keyword", false, "Search keyword"),
    field("utmSource", false, "utm_source"),
    field("utmMedium", false, "utm_medium"),
    field("utmCampaign", false, "utm_campaign"),
    field("utmContent", false, "utm_content"),
    field("utmTerm", false, "utm_term"),
    field("url", false, "Landing page"),
    field("callUrl", false, "Page the call was made from"),
    field("ref", false, "Referrer"),
    field("hostname", false, "Site host"),
    field("city", false, "Caller's city"),
    field("sessionId", false, "Calltouch session id"),
    field("ctClientId", false, "Calltouch client id"),
    field("clientId", false, "Google Analytics client id"),
    field("yaClientId", false, "Yandex Metrica client id"),
    field("manager", false, "Manager who took the call"),
    field(
        "callTags",
        false,
        "Tags: list of {category, type, names[]} (sent with the withCallTags flag)",
    ),
    field("orders", false, "Deals already bound to the call"),
    // Derived by the connector (see `derived.rs`), for mappings that need them flat.
    field(
        "tags",
        false,
        "Every tag name of the call, in order (derived)",
    ),
    field(
        "tags_tones",
        false,
        "Tag names of the auto-tags by tone signals (derived)",
    ),
    field(
        "tags_number",
        false,
        "Tag names of the auto-tags by number (derived)",
    ),
];

const REQUEST_FIELDS: &[FieldSpec] = &[
    field(
        "requestId",
        false,
        "Calltouch request id; the default item key",
    ),
    field("requestNumber", false, "The request's id on the site"),
    field("date", false, "Creation time, Unix milliseconds"),
    field("dateStr", false, "Creation time, `DD/MM/YYYY HH:MM:SS`"),
    field("subject", false, "Form name"),
    field("manager", false, "Responsible manager"),
    field("targetRequest", false, "Matches the cabinet's target rules"),
    field("uniqueRequest", false, "First request of this client"),
    field("uniqTargetRequest", false, "Unique and target"),
    field(
        "session",
        false,
        "Session: sessionId, source, medium, utmSource, utmMedium, utmCampaign, utmContent, utmTerm, keywords, city, ip, url, ref",
    ),
    field(
        "client",
        false,
        "Client: clientId, fio, phones[{phoneNumber, phoneType}], contacts[{contactType, contactValue}]",
    ),
    field("ctClientId", false, "Calltouch client id"),
    field(
        "RequestTags",
        false,
        "Tags (sent with the withRequestTags flag)",
    ),
    field("orders", false, "Deals already bound to the request"),
    field("comments", false, "Comments"),
    // Derived by the connector (see `derived.rs`), for mappings that need them flat.
    field("phone", false, "The client's first phone number (derived)"),
    field("email", false, "The client's first e-mail (derived)"),
    field("fio", false, "The client's name (derived)"),
];

const CREATE_DEAL_INPUTS: &[FieldSpec] = &[
    field(
        "call_id",
        false,
        "Calltouch call id to bind the deal to (this or request_id is required)",
    ),
    field(
        "request_id",
        false,
        "Calltouch request id to bind the deal to (this or call_id is required)",
    ),
    field(
        "order_number",
        true,
        "The deal's id in your CRM (`orderNumber`); later updates address the deal by it. With no CRM id, use the call or request id",
    ),
    field(
        "status",
        false,
        "Deal status (e.g. PENDING, COMPLETED or your CRM's status)",
    ),
    field(
        "date",
        false,
        "Deal date: `orderDate` and `statusDate` (any common date format; default now)",
    ),
    field(
        "budget",
        false,
        "Deal amount (`revenue`, sent as a decimal string)",
    ),
    field("currency", false, "Currency code, e.g. `rub`"),
    field("funnel", false, "Sales funnel name"),
    field("manager", false, "Manager name"),
    field("name", false, "Deal title (`orderName`)"),
    field("comment", false, "A comment added to the deal"),
];

const CREATE_DEAL_OUTPUTS: &[FieldSpec] = &[
    field("order_number", false, "The deal's `orderNumber` (as given)"),
    field(
        "call_id",
        false,
        "The call id the deal was bound to, if any",
    ),
    field(
        "request_id",
        false,
        "The request id the deal was bound to, if any",
    ),
    field("status", false, "The status sent"),
    field(
        "order_id",
        false,
        "Calltouch's own id for the deal, when the reply carries one (else null)",
    ),
];

const UPDATE_DEAL_INPUTS: &[FieldSpec] = &[
    field("order_number", true, "The deal's `orderNumber`"),
    field("status", false, "New status"),
    field("budget", false, "New amount (`revenue`)"),
    field(
        "date",
        false,
        "When the status changed (`statusDate`; default now)",
    ),
    field("funnel", false, "Sales funnel name"),
    field("manager", false, "Manager name"),
    field(
        "comment",
        false,
        "A comment added to the deal (`addNewComment`)",
    ),
];

const UPDATE_DEAL_OUTPUTS: &[FieldSpec] = &[
    field("order_number", false, "The deal's `orderNumber`"),
    field("status", false, "The status sent (null when unchanged)"),
];
