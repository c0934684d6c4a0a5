//! The static description of the `retailcrm` connector: settings, the status-change
//! trigger with its item fields, and the customer and order actions.

use crate::spec::{ActionSpec, ConnectorSpec, DedupSpec, FieldSpec, TriggerSpec, field, setting};

/// Trigger event.
pub(crate) const ORDER_STATUS_CHANGED: &str = "order_status_changed";
/// Action names.
pub(crate) const FIND_CUSTOMER: &str = "find_customer";
/// Action names.
pub(crate) const CREATE_CUSTOMER: &str = "create_customer";
/// Action names.
pub(crate) const EDIT_CUSTOMER: &str = "edit_customer";
/// Action names.
pub(crate) const CREATE_ORDER: &str = "create_order";
/// Action names.
pub(crate) const EDIT_ORDER: &str = "edit_order";

/// The `retailcrm` connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "retailcrm",
    description: "retailCRM (API v5): customers, orders, order status changes",
    settings: &[
        setting(
            "url",
            true,
            false,
            "Account address, e.g. https://shop.retailcrm.ru",
        ),
        setting(
            "api_key",
            true,
            true,
            "API key (Settings → Integration → API access keys); sent as X-API-KEY",
        ),
        setting(
            "site",
            true,
            false,
            "Store (site) code that customers and orders belong to",
        ),
        setting(
            "utc_offset",
            false,
            false,
            "The account's time zone as an offset (`+03:00`, the default); used only for the first status poll",
        ),
    ],
    triggers: &[TriggerSpec {
        delivery: crate::spec::Delivery::Poll,
        event: ORDER_STATUS_CHANGED,
        description: "An order's status changed (one item per change, from the order history)",
        settings: &[
            setting(
                "page_size",
                false,
                false,
                "History records per request: 20, 50 or 100 (default 100)",
            ),
            setting(
                "fetch_orders",
                false,
                false,
                "Read the changed orders in full (one extra request per page) so items carry current totals (default true)",
            ),
        ],
        default_key: "{{item.history_id}}",
        item_fields: STATUS_ITEM_FIELDS,
    }],
    actions: &[
        ActionSpec::new(
            FIND_CUSTOMER,
            "Find a customer by phone, e-mail or external id (first hit in that order)",
            FIND_CUSTOMER_INPUTS,
            FIND_CUSTOMER_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_CUSTOMER,
            "Create a customer on the connection's site",
            CUSTOMER_INPUTS,
            CUSTOMER_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["phone", "email", "external_id"],
            update_action: Some(EDIT_CUSTOMER),
        }),
        ActionSpec::new(
            EDIT_CUSTOMER,
            "Change a customer's fields, addressed by its retailCRM id",
            EDIT_CUSTOMER_INPUTS,
            CUSTOMER_OUTPUTS,
        ),
        ActionSpec::new(
            CREATE_ORDER,
            "Create an order on the connection's site",
            ORDER_INPUTS,
            ORDER_OUTPUTS,
        )
        .with_dedup(DedupSpec {
            search_keys: &["external_id"],
            update_action: Some(EDIT_ORDER),
        }),
        ActionSpec::new(
            EDIT_ORDER,
            "Change an order's fields, addressed by its id or its external id",
            EDIT_ORDER_INPUTS,
            ORDER_OUTPUTS,
        ),
    ],
};

const STATUS_ITEM_FIELDS: &[FieldSpec] = &[
    field(
        "history_id",
        false,
        "Id of the history record (the default item key)",
    ),
    field(
        "created_at",
        false,
        "When the status changed, `YYYY-MM-DD HH:MM:SS` (account time)",
    ),
    field("order_id", false, "retailCRM order id"),
    field(
        "order_external_id",
        false,
        "The order's external id (e.g. the Calltouch deal number), or null",
    ),
    field(
        "order_number",
        false,
        "The order's number as shown in retailCRM",
    ),
    field("site", false, "The order's site code"),
    field("status", false, "The new status code (e.g. `complete`)"),
    field(
        "old_status",
        false,
        "The previous status code (null when the order was just created)",
    ),
    field(
        "created",
        false,
        "Whether the change is the order's creation",
    ),
    field("source", false, "Who made the change: user, api, rule, ..."),
    field(
        "total_summ",
        false,
        "The order total with discounts (`totalSumm`)",
    ),
    field(
        "order",
        false,
        "The order object (full when `fetch_orders` is on)",
    ),
];

const FIND_CUSTOMER_INPUTS: &[FieldSpec] = &[
    field(
        "phone",
        false,
        "Phone to search by (compared by its last 10 digits)",
    ),
    field(
        "email",
        false,
        "E-mail to search by (case-insensitive, exact)",
    ),
    field("external_id", false, "External id to look up"),
];

const FIND_CUSTOMER_OUTPUTS: &[FieldSpec] = &[
    field("found", false, "Whether a customer was found"),
    field("id", false, "retailCRM customer id (null when not found)"),
    field("externalId", false, "The customer's external id"),
    field("phone", false, "The customer's first phone number"),
    field("email", false, "The customer's e-mail"),
    field("first_name", false, "The customer's first name"),
    field("last_name", false, "The customer's last name"),
];

/// Inputs shared by customer create and edit (edit adds `id`).
macro_rules! customer_fields {
    ($($extra:expr,)*) => {
        &[
            $($extra,)*
            field("external_id", false, "External id (`externalId`), e.g. the Calltouch call id"),
            field("first_name", false, "First name"),
            field("last_name", false, "Last name"),
            field("patronymic", false, "Patronymic"),
            field("phone", false, "Phone number (sent as `phones: [{number}]`)"),
            field("email", false, "E-mail"),
            field("manager_id", false, "Responsible manager's user id"),
            field("custom_fields", false, "Object keyed by custom field code (`customFields`)"),
        ]
    };
}

const CUSTOMER_INPUTS: &[FieldSpec] = customer_fields!();
const EDIT_CUSTOMER_INPUTS: &[FieldSpec] =
    customer_fields!(field("id", true, "retailCRM customer id"),);

const CUSTOMER_OUTPUTS: &[FieldSpec] = &[
    field("id", false, "retailCRM customer id"),
    field(
        "externalId",
        false,
        "The customer's external id (null if none)",
    ),
];

/// Inputs shared by order create and edit (edit adds `id`).
macro_rules! order_fields {
    ($($extra:expr,)*) => {
        &[
            $($extra,)*
            field("external_id", false, "External id (`externalId`)"),
            field("number", false, "Order number (retailCRM assigns one when absent)"),
            field("customer_id", false, "retailCRM id of the customer (`customer: {id}`), e.g. from create_customer"),
            field("customer_external_id", false, "External id of the customer (`customer: {externalId}`)"),
            field("status", false, "Status code, e.g. `new`"),
            field("order_type", false, "Order type code (`orderType`), e.g. `eshop-individual`"),
            field("order_method", false, "Order method code (`orderMethod`), e.g. `phone`"),
            field("first_name", false, "Contact first name"),
            field("last_name", false, "Contact last name"),
            field("patronymic", false, "Contact patronymic"),
            field("phone", false, "Contact phone"),
            field("email", false, "Contact e-mail"),
            field("manager_id", false, "Responsible manager's user id (`managerId`)"),
            field("source", false, "Traffic source (`source.source`)"),
            field("medium", false, "Traffic medium, the channel (`source.medium`)"),
            field("campaign", false, "Campaign (`source.campaign`)"),
            field("content", false, "Ad content (`source.content`)"),
            field("term", false, "Keyword (`source.keyword`)"),
            field("custom_fields", false, "Object keyed by custom field code (`customFields`): tags, Google client id, ..."),
            field("manager_comment", false, "Operator's comment (`managerComment`)"),
            field("customer_comment", false, "Customer's comment (`customerComment`)"),
        ]
    };
}

const ORDER_INPUTS: &[FieldSpec] = order_fields!();
const EDIT_ORDER_INPUTS: &[FieldSpec] = order_fields!(field(
    "id",
    false,
    "retailCRM order id (this or external_id addresses the order)"
),);

const ORDER_OUTPUTS: &[FieldSpec] = &[
    field("id", false, "retailCRM order id"),
    field(
        "number",
        false,
        "Order number (null when the reply does not echo the order)",
    ),
    field(
        "externalId",
        false,
        "The order's external id (null if none)",
    ),
];
