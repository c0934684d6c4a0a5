//! The static description of the `moysklad` connector: its settings, the `order_changed`
//! trigger and the counterparty / customer order actions, with every input and output
//! field. Bundles are validated against this table and the docs page lists it.

use crate::spec::{ActionSpec, ConnectorSpec, DedupSpec, FieldSpec, TriggerSpec, field, setting};

/// Name of the trigger that reports changed customer orders.
pub const ORDER_CHANGED: &str = "order_changed";
/// Action: find a counterparty by phone and/or e-mail.
pub const FIND_COUNTERPARTY: &str = "find_counterparty";
/// Action: create a counterparty.
pub const CREATE_COUNTERPARTY: &str = "create_counterparty";
/// Action: change a counterparty.
pub const UPDATE_COUNTERPARTY: &str = "update_counterparty";
/// Action: create a customer order.
pub const CREATE_CUSTOMER_ORDER: &str = "create_customer_order";
/// Action: change a customer order.
pub const UPDATE_CUSTOMER_ORDER: &str = "update_customer_order";

const COUNTERPARTY_OUTPUTS: &[FieldSpec] = &[
    field("id", false, "Counterparty id (UUID)"),
    field(
        "href",
        false,
        "Counterparty meta.href, usable as an order's agent",
    ),
    field("name", false, "Counterparty name"),
    field("phone", false, "Phone as stored in MoySklad"),
    field("email", false, "E-mail as stored in MoySklad"),
    field("external_code", false, "externalCode"),
];

const ORDER_OUTPUTS: &[FieldSpec] = &[
    field("id", false, "Customer order id (UUID)"),
    field("href", false, "Customer order meta.href"),
    field(
        "name",
        false,
        "Order number (MoySklad numbers orders itself when none is given)",
    ),
    field("external_code", false, "externalCode"),
    field(
        "state_name",
        false,
        "Name of the order's state, when it has one",
    ),
];

/// The connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "moysklad",
    description: "MoySklad (JSON API 1.2): counterparties, customer orders with custom attributes, order changes",
    settings: &[
        setting(
            "token",
            true,
            true,
            "Access token, sent as `Authorization: Bearer <token>`",
        ),
        setting(
            "base_url",
            false,
            false,
            "API root; default https://api.moysklad.ru/api/remap/1.2",
        ),
        setting(
            "organization",
            true,
            false,
            "The legal entity (organization) orders are issued by: its id or its meta.href",
        ),
        setting(
            "order_state_new",
            false,
            false,
            "State name given to new customer orders when a step sets none",
        ),
    ],
    triggers: &[TriggerSpec {
        delivery: crate::spec::Delivery::Poll,
        event: ORDER_CHANGED,
        description: "A customer order was created or changed (state, payment, any field)",
        settings: &[
            setting(
                "since",
                false,
                false,
                "Where the first poll starts (`YYYY-MM-DD HH:MM:SS` Moscow time, or RFC 3339); default: the first poll's time",
            ),
            setting(
                "overlap_seconds",
                false,
                false,
                "Seconds re-read before the cursor on every poll, against late commits; default 60",
            ),
            setting(
                "page_size",
                false,
                false,
                "Orders per request, 1..1000; default 100",
            ),
        ],
        default_key: "{{item.id}}:{{item.state_name}}:{{item.payed_sum}}",
        item_fields: &[
            field("id", false, "Order id"),
            field("name", false, "Order number"),
            field("external_code", false, "externalCode"),
            field(
                "state_name",
                false,
                "State name (empty when the order has no state)",
            ),
            field(
                "sum",
                false,
                "Order total in kopecks, as MoySklad returns it",
            ),
            field(
                "payed_sum",
                false,
                "Sum of incoming payments in kopecks (payedSum)",
            ),
            field("sum_rubles", false, "sum / 100"),
            field("payed_sum_rubles", false, "payed_sum / 100"),
            field(
                "updated",
                false,
                "Last change, `YYYY-MM-DD HH:MM:SS.mmm` Moscow time",
            ),
            field("agent_id", false, "Counterparty id of the order"),
            field(
                "attribute_values",
                false,
                "Custom attributes as an object: name → value",
            ),
            field(
                "meta",
                false,
                "The order's own fields follow (meta, state, agent, attributes, ...)",
            ),
        ],
    }],
    actions: &[
        ActionSpec::new(
            FIND_COUNTERPARTY,
            "Find a counterparty by phone (digits compared) and/or e-mail",
            &[
                field("phone", false, "Phone in any format; compared by digits"),
                field("email", false, "E-mail; compared case-insensitively"),
            ],
            &[
                field("found", false, "Whether a counterparty was found"),
                field("id", false, "Counterparty id (null when not found)"),
                field("href", false, "Counterparty meta.href"),
                field("name", false, "Counterparty name"),
                field("phone", false, "Phone as stored"),
                field("email", false, "E-mail as stored"),
                field("external_code", false, "externalCode"),
            ],
        ),
        ActionSpec::new(
            CREATE_COUNTERPARTY,
            "Create a counterparty (POST /entity/counterparty)",
            &[
                field("name", true, "Counterparty name"),
                field("phone", false, "Phone"),
                field("email", false, "E-mail"),
                field("external_code", false, "externalCode (e.g. the call id)"),
                field("tags", false, "Groups: a list, or one `|`-separated string"),
                field("description", false, "Comment"),
            ],
            COUNTERPARTY_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["phone", "email", "external_code"],
            update_action: Some(UPDATE_COUNTERPARTY),
        }),
        ActionSpec::new(
            UPDATE_COUNTERPARTY,
            "Change a counterparty (PUT /entity/counterparty/{id}); only given fields are sent",
            &[
                field("id", true, "Counterparty id"),
                field("name", false, "Counterparty name"),
                field("phone", false, "Phone"),
                field("email", false, "E-mail"),
                field("external_code", false, "externalCode"),
                field("tags", false, "Groups: a list, or one `|`-separated string"),
                field("description", false, "Comment"),
            ],
            COUNTERPARTY_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_CUSTOMER_ORDER,
            "Create a customer order (POST /entity/customerorder) for a counterparty",
            &[
                field(
                    "agent_id",
                    false,
                    "Counterparty id (this or agent_href is required)",
                ),
                field("agent_href", false, "Counterparty meta.href"),
                field(
                    "name",
                    false,
                    "Order number; MoySklad assigns one when absent",
                ),
                field("description", false, "Comment"),
                field("external_code", false, "externalCode"),
                field(
                    "state",
                    false,
                    "State NAME (e.g. `Новый`), resolved via the metadata",
                ),
                field(
                    "attributes",
                    false,
                    "Custom attributes: an object of attribute NAME → value (source, utm_source, gclid, ...)",
                ),
            ],
            ORDER_OUTPUTS,
        ),
        ActionSpec::new(
            UPDATE_CUSTOMER_ORDER,
            "Change a customer order (PUT /entity/customerorder/{id}); only given fields are sent",
            &[
                field("id", true, "Order id"),
                field("state", false, "State NAME"),
                field(
                    "attributes",
                    false,
                    "Custom attributes: attribute NAME → value",
                ),
                field("description", false, "Comment"),
            ],
            ORDER_OUTPUTS,
        ),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_keys_are_declared_inputs_and_update_action_exists() {
        let create = SPEC.action(CREATE_COUNTERPARTY).unwrap();
        let dedup = create.dedup.as_ref().unwrap();
        for key in dedup.search_keys {
            assert!(create.input(key).is_some(), "{key}");
        }
        assert!(SPEC.action(dedup.update_action.unwrap()).is_some());
        assert!(SPEC.trigger(ORDER_CHANGED).is_some());
    }
}
