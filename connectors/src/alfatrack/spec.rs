//! The static description of the `alfatrack` connector: the optional project name and the
//! two pushed triggers, `request` (a new lead) and `enrichment` (tracking data that
//! arrives later for an earlier lead), with their item fields.

use crate::spec::{ConnectorSpec, Delivery, FieldSpec, TriggerSpec, field, setting};

/// Trigger event: a new request (lead).
pub(crate) const REQUEST: &str = "request";
/// Trigger event: tracking data for an earlier request.
pub(crate) const ENRICHMENT: &str = "enrichment";

/// The `alfatrack` connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "alfatrack",
    description: "Alfa-Track lead tracking: form, phone, chat and offline requests and their later ad-source enrichment, pushed by webhook",
    settings: &[setting(
        "project",
        false,
        false,
        "The Alfa-Track project (cabinet) name, copied to items whose delivery names none; bundles use it as the project tag (S3.7)",
    )],
    triggers: &[
        TriggerSpec {
            event: REQUEST,
            delivery: Delivery::Webhook,
            description: "A new request (lead) of type form, phone, chat or offline; one item per delivery",
            settings: &[],
            default_key: "{{item.event_id}}",
            item_fields: REQUEST_FIELDS,
        },
        TriggerSpec {
            event: ENRICHMENT,
            delivery: Delivery::Webhook,
            description: "Tracking data (ad source, UTM, analytics client ids) for an earlier request, usually within 3 hours; `request_id` links it",
            settings: &[],
            default_key: "{{item.event_id}}",
            item_fields: ENRICHMENT_FIELDS,
        },
    ],
    actions: &[],
};

/// `$head` fields followed by the fields both triggers share: who the lead is and where
/// it came from.
macro_rules! with_lead_and_tracking_fields {
    ($($head:expr),* $(,)?) => {
        &[
            $($head,)*
            field("phone", false, "The client's phone number as sent"),
            field("email", false, "The client's e-mail as sent"),
            field("name", false, "The client's name"),
            field("subject", false, "The request's subject (Тема обращения)"),
            field("message", false, "The request's message text (Текст сообщения)"),
            field(
                "project",
                false,
                "The Alfa-Track project name from the delivery, else the connection's `project` setting",
            ),
            field("utm_source", false, "Ad source (Источник)"),
            field("utm_medium", false, "Traffic type (Тип трафика)"),
            field("utm_campaign", false, "Campaign (Кампания)"),
            field("utm_content", false, "Ad content (Содержимое объявления)"),
            field("utm_term", false, "Keyword (Ключевое слово)"),
            field("client_id", false, "Google Analytics client id (Идентификатор клиента GA)"),
            field("ym_client_id", false, "Yandex Metrica client id"),
            field("at_client_id", false, "Alfa-Track's own client id"),
            field("social_network", false, "Social network"),
            field("path", false, "The full path of visits before the request"),
            field("page", false, "The page the request was made on"),
            field("city", false, "City"),
            field("country", false, "Country"),
            field("ip", false, "IP address"),
            field("browser", false, "Browser"),
            field("device", false, "Device category"),
            field("sent_at", false, "When the request was sent, as sent; the time ferry received it (RFC 3339) when the delivery carries none"),
            field(
                "enriched",
                false,
                "Derived: true when any ad-source or analytics field (utm_*, client ids, social network) is present",
            ),
            field("raw", false, "The delivery exactly as decoded (the vendor's own field names)"),
        ]
    };
}

const REQUEST_FIELDS: &[FieldSpec] = with_lead_and_tracking_fields!(
    field(
        "event_id",
        false,
        "Stable id for re-delivery dedup: `request-<request id>`, or `request-h<content hash>` when the delivery carries no id (the default item key)",
    ),
    field(
        "request_id",
        false,
        "Alfa-Track's id of the request, as text; enrichment items carry the same value",
    ),
    field(
        "request_type",
        false,
        "`form`, `phone`, `chat` or `offline` (other types are kept as sent, lower-cased)",
    ),
);

const ENRICHMENT_FIELDS: &[FieldSpec] = with_lead_and_tracking_fields!(
    field(
        "event_id",
        false,
        "Stable id for re-delivery dedup: `enrichment-<request id>-<content hash>`; a later, different update of the same request gets a new id (the default item key)",
    ),
    field(
        "request_id",
        false,
        "The id of the earlier request this data belongs to (always present)",
    ),
    field(
        "request_type",
        false,
        "The earlier request's type when the update repeats it, else null",
    ),
);
