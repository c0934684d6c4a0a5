//! Customer order actions: create for a counterparty (organization from the connection,
//! state and custom attributes by name), and update state / attributes / comment.

use serde_json::{Map, Value};

use super::super::client::{MoySkladClient, meta_ref};
use super::super::inputs::Inputs;
use super::super::metadata::MetadataCache;
use super::counterparty::path_segment;
use crate::connector::Record;
use crate::error::ConnectorError;

const PATH: &str = "/entity/customerorder";

/// What order actions need besides the HTTP client.
pub struct OrderContext<'a> {
    /// The HTTP client.
    pub client: &'a MoySkladClient,
    /// States and attributes by name.
    pub metadata: &'a MetadataCache,
    /// The organization's meta href (from the connection settings).
    pub organization_href: &'a str,
    /// State for new orders when a step gives none.
    pub default_state: Option<&'a str>,
}

/// An entity reference given as an id or a full href.
pub fn entity_href(
    client: &MoySkladClient,
    entity: &str,
    id_or_href: &str,
) -> Result<String, ConnectorError> {
    if id_or_href.starts_with("http://") || id_or_href.starts_with("https://") {
        return Ok(id_or_href.to_string());
    }
    Ok(client.href(&format!("/entity/{entity}/{}", path_segment(id_or_href)?)))
}

/// The action output for an order object from the API; the state name is read back
/// from the answer's state href, so it is MoySklad's spelling, not the step's.
async fn order_record(ctx: &OrderContext<'_>, order: &Value) -> Result<Record, ConnectorError> {
    let state_name = match order.pointer("/state/meta/href").and_then(Value::as_str) {
        Some(href) => ctx.metadata.state_name(ctx.client, href).await?,
        None => None,
    };
    let field = |name: &str| order.get(name).cloned().unwrap_or(Value::Null);
    let mut out = Map::new();
    out.insert("id".into(), field("id"));
    out.insert(
        "href".into(),
        order.pointer("/meta/href").cloned().unwrap_or(Value::Null),
    );
    out.insert("name".into(), field("name"));
    out.insert("external_code".into(), field("externalCode"));
    out.insert(
        "state_name".into(),
        state_name.map(Value::from).unwrap_or(Value::Null),
    );
    Ok(out)
}

/// State, attributes and comment, shared by create and update.
async fn state_and_attributes(
    ctx: &OrderContext<'_>,
    inputs: &Inputs<'_>,
    body: &mut Map<String, Value>,
    state: Option<String>,
) -> Result<(), ConnectorError> {
    if let Some(attributes) = inputs.object("attributes")? {
        let values = ctx
            .metadata
            .attribute_values(ctx.client, attributes)
            .await?;
        if !values.is_empty() {
            body.insert("attributes".into(), values.into());
        }
    }
    if let Some(name) = &state {
        body.insert(
            "state".into(),
            ctx.metadata.state_ref(ctx.client, name).await?,
        );
    }
    if let Some(description) = inputs.text("description")? {
        body.insert("description".into(), description.into());
    }
    Ok(())
}

/// `create_customer_order`: `POST /entity/customerorder`.
pub async fn create(
    ctx: &OrderContext<'_>,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("create_customer_order", input);
    let agent = match (inputs.text("agent_href")?, inputs.text("agent_id")?) {
        (Some(href), _) => entity_href(ctx.client, "counterparty", &href)?,
        (None, Some(id)) => entity_href(ctx.client, "counterparty", &id)?,
        (None, None) => {
            return Err(ConnectorError::Config(
                "moysklad.create_customer_order: `agent_id` or `agent_href` is required (the counterparty step's id or href)"
                    .into(),
            ));
        }
    };
    let mut body = Map::new();
    body.insert(
        "organization".into(),
        meta_ref(ctx.organization_href, "organization"),
    );
    body.insert("agent".into(), meta_ref(&agent, "counterparty"));
    if let Some(name) = inputs.text("name")? {
        body.insert("name".into(), name.into());
    }
    if let Some(code) = inputs.text("external_code")? {
        body.insert("externalCode".into(), code.into());
    }
    let state = inputs
        .text("state")?
        .or(ctx.default_state.map(str::to_string));
    state_and_attributes(ctx, &inputs, &mut body, state).await?;
    let created = ctx.client.post(PATH, &Value::Object(body)).await?;
    order_record(ctx, &created).await
}

/// `update_customer_order`: `PUT /entity/customerorder/{id}` with the given fields.
pub async fn update(
    ctx: &OrderContext<'_>,
    input: &Map<String, Value>,
) -> Result<Record, ConnectorError> {
    let inputs = Inputs::new("update_customer_order", input);
    let id = path_segment(&inputs.required_text("id")?)?;
    let mut body = Map::new();
    state_and_attributes(ctx, &inputs, &mut body, inputs.text("state")?).await?;
    let updated = ctx
        .client
        .put(&format!("{PATH}/{id}"), &Value::Object(body))
        .await?;
    order_record(ctx, &updated).await
}
