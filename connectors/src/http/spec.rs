//! The static description of the generic `http` connector: connection settings, the `poll`
//! trigger and the `request` action with every field. Bundles are validated against this
//! table and docs/connectors/http.md describes it in full.

use crate::spec::{ActionSpec, ConnectorSpec, TriggerSpec, field, setting};

/// The polling trigger's event name.
pub const POLL: &str = "poll";
/// The request action's name.
pub const REQUEST: &str = "request";
/// The input holding the request action's declared outputs.
pub const OUTPUTS_INPUT: &str = "outputs";

/// The connector's surface.
pub static SPEC: ConnectorSpec = ConnectorSpec {
    kind: "http",
    description: "Any JSON REST API: a polling trigger with cursor, page-number or next-link pagination, and a request action",
    settings: &[
        setting(
            "base_url",
            true,
            false,
            "API root (http or https); request and poll paths are appended to it, and credentials are only ever sent to its origin",
        ),
        setting(
            "headers",
            false,
            false,
            "Extra headers sent with every request (name → text); plain values only, credentials go in `bearer_token` or `api_key`",
        ),
        setting(
            "bearer_token",
            false,
            true,
            "Sent as `Authorization: Bearer <token>`",
        ),
        setting(
            "api_key",
            false,
            true,
            "An API key, sent in the `api_key_header` header or, when `api_key_query` is set, as that query parameter",
        ),
        setting(
            "api_key_header",
            false,
            false,
            "Header carrying `api_key`; default `X-API-Key`",
        ),
        setting(
            "api_key_query",
            false,
            false,
            "Query parameter carrying `api_key` instead of a header (e.g. `apiKey`)",
        ),
        setting(
            "timeout",
            false,
            false,
            "Time allowed for one request: seconds or a duration such as `30s`, `2m`; default: the engine's request timeout",
        ),
        setting(
            "check_path",
            false,
            false,
            "Path requested by `ferry connections check` (GET, expects 2xx); default: `base_url` itself",
        ),
    ],
    triggers: &[TriggerSpec {
        delivery: crate::spec::Delivery::Poll,
        event: POLL,
        description: "Items of a JSON list returned by GET <base_url><path>, page after page",
        settings: &[
            setting(
                "path",
                true,
                false,
                "Path of the list endpoint, appended to `base_url`",
            ),
            setting(
                "query",
                false,
                false,
                "Query parameters sent with every page (name → value or list of values)",
            ),
            setting(
                "items_path",
                false,
                false,
                "Dotted path to the list in the response (e.g. `data.items`); empty: the body itself is the list",
            ),
            setting(
                "id_field",
                false,
                false,
                "Item field holding its id (cursor_after_id pagination); default `id`",
            ),
            setting(
                "pagination",
                false,
                false,
                "`{style: cursor_after_id, param}`, `{style: page_number, param, size_param, size}` or `{style: next_link, path}`; none: one request per poll",
            ),
            setting(
                "page_size",
                false,
                false,
                "Items asked for per page (sent as `limit_param`); with cursor_after_id a full page means more pages follow",
            ),
            setting(
                "limit_param",
                false,
                false,
                "Query parameter carrying `page_size` (e.g. `limit`)",
            ),
            setting(
                "max_pages",
                false,
                false,
                "Pages one poll may read before it stops with an error; default 1000",
            ),
        ],
        default_key: "{{item.id}}",
        item_fields: &[field(
            "id",
            false,
            "The item's id (whatever `id_field` names; the rest is the API's own fields)",
        )],
    }],
    actions: &[ActionSpec {
        name: REQUEST,
        description: "Send one JSON request to the API and pick output fields from the JSON answer",
        inputs: &[
            field(
                "method",
                false,
                "GET, POST, PUT, PATCH or DELETE; default POST",
            ),
            field(
                "path",
                false,
                "Path appended to `base_url` (this or `url` is required)",
            ),
            field(
                "url",
                false,
                "Absolute URL on the `base_url` origin (e.g. an href from an earlier step)",
            ),
            field(
                "query",
                false,
                "Query parameters (name → value or list of values)",
            ),
            field(
                "headers",
                false,
                "Extra headers for this request (name → text)",
            ),
            field("body", false, "JSON body (any JSON value); absent: no body"),
            field(
                OUTPUTS_INPUT,
                false,
                "Output name → dotted path into the JSON answer (e.g. `{id: id, total: data.total}`); a missing path is an error",
            ),
            field(
                "expect_status",
                false,
                "Statuses that count as success (e.g. `[200, 201, 409]`); default: any 2xx",
            ),
        ],
        open_inputs: false,
        outputs: &[],
        outputs_from_input: Some(OUTPUTS_INPUT),
        dedup: None,
    }],
};
