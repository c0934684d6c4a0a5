//! Connector specs declared for the bundle tests, so the validator's rules are exercised
//! independently of what the real connectors offer.

use ferry_connectors::spec::{field, setting};
use ferry_connectors::{ActionSpec, ConnectorSpec, DedupSpec, TriggerSpec};

use crate::bundle::Catalog;

/// A call tracker: one polling trigger.
pub static CALLTRACK: ConnectorSpec = ConnectorSpec {
    kind: "calltrack",
    description: "test call tracker",
    settings: &[
        setting("site_id", true, false, "site id"),
        setting("token", true, true, "API token"),
        setting("base_url", false, false, "API address"),
    ],
    triggers: &[TriggerSpec {
        event: "new_call",
        delivery: ferry_connectors::Delivery::Poll,
        description: "a finished call",
        settings: &[
            setting("with_requests", false, false, "include form requests"),
            setting("direction", true, false, "in or out"),
        ],
        default_key: "{{item.callId}}",
        item_fields: &[
            field("callId", true, "call id"),
            field("callerNumber", true, "caller"),
        ],
    }],
    actions: &[],
};

/// A CRM: customers with duplicate search, orders without.
pub static CRM: ConnectorSpec = ConnectorSpec {
    kind: "crm",
    description: "test CRM",
    settings: &[
        setting("url", true, false, "account address"),
        setting("api_key", true, true, "API key"),
        setting("site", false, false, "site code"),
    ],
    triggers: &[],
    actions: &[
        ActionSpec {
            name: "create_customer",
            description: "create a customer",
            inputs: &[
                field("external_id", false, "external id"),
                field("phone", false, "phone"),
                field("email", false, "e-mail"),
                field("first_name", true, "first name"),
                field("manager", false, "manager id"),
            ],
            open_inputs: false,
            outputs: &[
                field("id", false, "customer id"),
                field("externalId", false, "external id"),
            ],
            outputs_from_input: None,
            dedup: Some(DedupSpec {
                search_keys: &["phone", "email"],
                update_action: Some("update_customer"),
            }),
        },
        ActionSpec {
            name: "create_order",
            description: "create an order",
            inputs: &[
                field("customer_id", true, "customer"),
                field("status", false, "status"),
                field("number", false, "number"),
                field("budget", false, "budget"),
                field("tags", false, "tags"),
                field("note", false, "note"),
                field("source", false, "source"),
                field("custom_fields", false, "custom fields"),
                field("items", false, "items"),
            ],
            open_inputs: false,
            outputs: &[
                field("id", false, "order id"),
                field("number", false, "order number"),
            ],
            outputs_from_input: None,
            dedup: None,
        },
        ActionSpec {
            name: "create_task",
            description: "create a task",
            inputs: &[field("phone", false, "phone"), field("text", true, "text")],
            open_inputs: true,
            outputs: &[field("id", false, "task id")],
            outputs_from_input: None,
            dedup: Some(DedupSpec {
                search_keys: &["phone"],
                update_action: None,
            }),
        },
    ],
};

/// A generic web API: outputs declared by the bundle.
pub static WEB: ConnectorSpec = ConnectorSpec {
    kind: "web",
    description: "test generic API",
    settings: &[setting("base_url", true, false, "base address")],
    triggers: &[],
    actions: &[ActionSpec {
        name: "request",
        description: "one request",
        inputs: &[
            field("method", false, "method"),
            field("path", true, "path"),
            field("body", false, "body"),
            field("outputs", false, "outputs"),
        ],
        open_inputs: false,
        outputs: &[],
        outputs_from_input: Some("outputs"),
        dedup: None,
    }],
};

/// The three test specs.
pub fn catalog() -> Catalog {
    Catalog::new(vec![&CALLTRACK, &CRM, &WEB])
}
