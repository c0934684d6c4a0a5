//! Static descriptions of what a connector offers. The engine validates bundles against
//! these (unknown settings, unknown input fields, references to outputs an action does not
//! produce) and the docs pages list them, so they are the single source of truth for a
//! connector's surface.

/// A connector kind as bundles see it.
#[derive(Debug)]
pub struct ConnectorSpec {
    /// The `kind:` value in a bundle's `connections` (e.g. `retailcrm`).
    pub kind: &'static str,
    /// One line for `ferry connectors` and the docs.
    pub description: &'static str,
    /// Settings of a connection of this kind.
    pub settings: &'static [SettingSpec],
    /// Events this connector can poll or receive.
    pub triggers: &'static [TriggerSpec],
    /// Actions a step can call.
    pub actions: &'static [ActionSpec],
}

impl ConnectorSpec {
    /// The trigger named `event`, if this connector has one.
    pub fn trigger(&self, event: &str) -> Option<&'static TriggerSpec> {
        self.triggers.iter().find(|t| t.event == event)
    }

    /// The action named `name`, if this connector has one.
    pub fn action(&self, name: &str) -> Option<&'static ActionSpec> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// The setting named `name`, if this connector has one.
    pub fn setting(&self, name: &str) -> Option<&'static SettingSpec> {
        self.settings.iter().find(|s| s.name == name)
    }
}

/// One setting of a connection or trigger.
#[derive(Debug)]
pub struct SettingSpec {
    /// Key in the bundle.
    pub name: &'static str,
    /// Whether the bundle must give it.
    pub required: bool,
    /// Whether it is a credential: it must then be a `${env:..}` / `${secret:..}` reference,
    /// never a literal, and its resolved value is redacted everywhere.
    pub secret: bool,
    /// What it means, for validation messages and docs.
    pub description: &'static str,
}

/// How a trigger's items reach ferry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// ferry polls the source on the bundle's schedule ([`crate::Connector::poll`]).
    Poll,
    /// The source posts each event to ferry (`POST /hooks/<bundle id>`), and the connector
    /// turns the request body into items ([`crate::Connector::parse_webhook`]).
    Webhook,
}

/// An event a connector can deliver as items.
#[derive(Debug)]
pub struct TriggerSpec {
    /// The `event:` value in a bundle's trigger (e.g. `new_call`).
    pub event: &'static str,
    /// Polled, or pushed by webhook.
    pub delivery: Delivery,
    /// What one item is.
    pub description: &'static str,
    /// Trigger-level settings (beside `connection`, `event`, `schedule`, `key`).
    pub settings: &'static [SettingSpec],
    /// The default item key template when the bundle gives none (e.g. `{{item.callId}}`).
    pub default_key: &'static str,
    /// Fields an item is documented to carry (items may carry more; this is for docs and
    /// for suggestions, not a closed set).
    pub item_fields: &'static [FieldSpec],
}

/// Something a step can do.
#[derive(Debug)]
pub struct ActionSpec {
    /// The action name after the connection (`shop.create_order` → `create_order`).
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// Input fields accepted under `with:`. Unknown keys are validation errors unless
    /// `open_inputs` is set.
    pub inputs: &'static [FieldSpec],
    /// Whether inputs beyond the declared ones are passed through (e.g. custom fields).
    pub open_inputs: bool,
    /// Output fields a later step may reference as `steps.<id>.<field>`.
    pub outputs: &'static [FieldSpec],
    /// When set, the outputs are not fixed: they are the keys of the object given in this
    /// input (the generic `http` action's `outputs:` map).
    pub outputs_from_input: Option<&'static str>,
    /// Duplicate handling this action supports (search before create), if any.
    pub dedup: Option<DedupSpec>,
}

impl ActionSpec {
    /// An action with exactly these `inputs` and `outputs` and no duplicate handling:
    /// what most actions are. [`ActionSpec::with_dedup`] adds duplicate handling; the
    /// rarer open inputs and outputs named by an input are set with the struct literal.
    pub const fn new(
        name: &'static str,
        description: &'static str,
        inputs: &'static [FieldSpec],
        outputs: &'static [FieldSpec],
    ) -> ActionSpec {
        ActionSpec {
            name,
            description,
            inputs,
            open_inputs: false,
            outputs,
            outputs_from_input: None,
            dedup: None,
        }
    }

    /// This action, finding an existing record before it creates one as `dedup` says.
    pub const fn with_dedup(self, dedup: DedupSpec) -> ActionSpec {
        ActionSpec {
            dedup: Some(dedup),
            ..self
        }
    }

    /// The input field named `name`, if declared.
    pub fn input(&self, name: &str) -> Option<&'static FieldSpec> {
        self.inputs.iter().find(|f| f.name == name)
    }
}

/// Duplicate handling supported by a create action.
#[derive(Debug)]
pub struct DedupSpec {
    /// Input fields that can be searched by (in the bundle's chosen priority order).
    pub search_keys: &'static [&'static str],
    /// The action that updates a found record (`on_found: update`), if the system has one.
    /// It receives the step's inputs plus `id` of the found record.
    pub update_action: Option<&'static str>,
}

/// One input or output field.
#[derive(Debug)]
pub struct FieldSpec {
    /// Field name.
    pub name: &'static str,
    /// Whether a step must map it (inputs only).
    pub required: bool,
    /// What it means.
    pub description: &'static str,
}

/// Shorthand for declaring a field in the static tables.
pub const fn field(name: &'static str, required: bool, description: &'static str) -> FieldSpec {
    FieldSpec {
        name,
        required,
        description,
    }
}

/// Shorthand for declaring a setting in the static tables.
pub const fn setting(
    name: &'static str,
    required: bool,
    secret: bool,
    description: &'static str,
) -> SettingSpec {
    SettingSpec {
        name,
        required,
        secret,
        description,
    }
}
