//! The static description of the `callbackhunter` connector: one optional setting and the
//! pushed `request` trigger (calls and chats) with its item fields.

use crate::spec::{ConnectorSpec, Delivery, FieldSpec, TriggerSpec, field, setting};

/// Trigger event: a call or chat request.
pub(crate) const REQUEST: &str = "request";

/// The `callbackhunter` connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "callbackhunter",
    description: "CallbackHunter callback widget: calls and chats pushed by webhook",
    settings: &[setting(
        "project",
        false,
        false,
        "A label for this widget/site, copied to items whose delivery names none (`project`)",
    )],
    triggers: &[TriggerSpec {
        event: REQUEST,
        delivery: Delivery::Webhook,
        description: "A call or chat request (one item per delivery); calls carry `duration`, chats `messages` and `messages_counted`",
        settings: &[],
        default_key: "{{item.event_id}}",
        item_fields: REQUEST_FIELDS,
    }],
    actions: &[],
};

const REQUEST_FIELDS: &[FieldSpec] = &[
    field(
        "event_id",
        false,
        "Stable id of the request for re-delivery dedup: `call-<id>` / `chat-<id>`, or `call-h<content hash>` when the delivery carries no id (the default item key)",
    ),
    field("kind", false, "`call` or `chat`"),
    field(
        "phone",
        false,
        "The client's phone number as sent (null when a chat visitor left none)",
    ),
    field("name", false, "The client's name, when sent"),
    field("email", false, "The client's e-mail, when sent"),
    field(
        "duration",
        false,
        "Talk time in seconds (number); 0 when the delivery carries none (an unanswered call, or a chat)",
    ),
    field(
        "messages",
        false,
        "Chat messages, oldest first: a list of {author: visitor|manager|system, text, at}; empty for calls",
    ),
    field(
        "messages_counted",
        false,
        "Derived: how many messages came from the visitor or the manager (system messages are not counted), for the successful-chat criterion",
    ),
    field(
        "created_at",
        false,
        "When the request was made, as sent; the time ferry received it (RFC 3339) when the delivery carries none",
    ),
    field(
        "site",
        false,
        "The site or page the widget ran on, when sent",
    ),
    field(
        "project",
        false,
        "The delivery's project/widget name, else the connection's `project` setting",
    ),
    field(
        "raw",
        false,
        "The delivery exactly as decoded (the vendor's own field names)",
    ),
];
