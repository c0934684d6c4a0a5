//! The validated bundle model. Everything here has passed validation: connections exist,
//! actions and triggers are known to their connectors, templates compiled, and step
//! references point backwards at outputs that exist. The runtime never re-checks.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use ferry_connectors::transport::RateLimit;
use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::expr::{FieldPath, Template};

/// Default schedule: every five minutes.
pub const DEFAULT_SCHEDULE: &str = "*/5 * * * *";

/// One bundle, ready to run.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Stable identity: cursor, seen items and history belong to it, so renaming or moving
    /// the file never resets them.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Optional longer description.
    pub description: Option<String>,
    /// Disabled bundles are validated but never polled.
    pub enabled: bool,
    /// Where it was read from.
    pub path: PathBuf,
    /// Named connections.
    pub connections: IndexMap<String, Connection>,
    /// Where items come from.
    pub trigger: Trigger,
    /// Derived values computed from each item before the filter, in order; expressions
    /// read them as `vars.<name>` (e.g. the count of a chat's visitor and manager
    /// messages, or the caller's phone as digits for a stop list).
    pub vars: IndexMap<String, Mapping>,
    /// Items for which this is false are recorded as filtered out and go no further.
    pub filter: Option<Condition>,
    /// The ordered chain.
    pub steps: Vec<Step>,
    /// Concurrency and retry limits.
    pub run: RunOptions,
}

impl Bundle {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// A named connection to one system.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Its name in the bundle.
    pub name: String,
    /// Connector kind (`retailcrm`, `calltouch`, `http`, ...).
    pub kind: String,
    /// Plain settings.
    pub settings: Map<String, Value>,
    /// Secret settings, by reference; resolved only when the connector is built.
    pub secrets: BTreeMap<String, SecretRef>,
    /// Overrides the connector's default account limit.
    pub rate_limit: Option<RateLimit>,
}

/// Where a secret's value comes from. Bundles never hold secret values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// `${env:NAME}`: an environment variable.
    Env(String),
    /// `${secret:NAME}`: an entry of the secrets file.
    Secret(String),
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Env(n) => write!(f, "${{env:{n}}}"),
            SecretRef::Secret(n) => write!(f, "${{secret:{n}}}"),
        }
    }
}

/// Where items come from.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// The connection polled.
    pub connection: String,
    /// The connector's event (`new_call`, `order_status_changed`, ...).
    pub event: String,
    /// When to poll (cron, 5 or 6 fields; default [`DEFAULT_SCHEDULE`]).
    pub schedule: Schedule,
    /// What makes an item "the same item" for dedup (rendered per item).
    pub key: Template,
    /// Trigger-level settings for the connector.
    pub settings: Map<String, Value>,
    /// For webhook-delivered events: how deliveries to `POST /hooks/<bundle id>` are
    /// authenticated. `None` for polled triggers.
    pub webhook: Option<WebhookAuth>,
}

/// How a webhook delivery proves it comes from the source. At least one is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAuth {
    /// A shared token, sent by the source in a header or the `token` query parameter.
    pub token: Option<SecretRef>,
    /// Where the token is read from (default: `X-Ferry-Token` header, else `?token=`).
    pub token_header: Option<String>,
    /// An HMAC-SHA256 signature of the raw body, keyed with a shared secret.
    pub hmac: Option<HmacAuth>,
}

/// HMAC-SHA256 body signature settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacAuth {
    /// The shared key.
    pub secret: SecretRef,
    /// The header carrying the signature (e.g. `X-Signature`).
    pub header: String,
    /// `hex` (default) or `base64`.
    pub encoding: SignatureEncoding,
    /// A prefix before the signature in the header (e.g. `sha256=`).
    pub prefix: Option<String>,
}

/// How a signature is written in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Lower- or upper-case hex.
    Hex,
    /// Standard base64.
    Base64,
}

/// A parsed cron schedule and its source text.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// As written (five-field crons are accepted and stored as written).
    pub source: String,
    /// The parsed schedule (seconds field added for five-field expressions).
    pub cron: cron::Schedule,
}

/// A boolean condition over the evaluation context (`item`, `steps`, `bundle`).
#[derive(Debug, Clone)]
pub enum Condition {
    /// All must hold.
    All(Vec<Condition>),
    /// At least one must hold.
    Any(Vec<Condition>),
    /// Negation.
    Not(Box<Condition>),
    /// One comparison.
    Compare(Comparison),
}

/// `field op value`.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The left-hand side.
    pub field: FieldPath,
    /// The operator.
    pub op: CompareOp,
    /// The right-hand side (absent for `exists` and `empty`).
    pub value: Option<Value>,
}

/// Comparison operators.
#[derive(Debug, Clone)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `in` (value is a list)
    In,
    /// `not_in` (value is a list)
    NotIn,
    /// `contains` (substring of a string, or element of a list)
    Contains,
    /// `exists` (present and not null)
    Exists,
    /// `empty` (absent, null, "", [] or {})
    Empty,
    /// `matches` (regular expression, compiled at validation)
    Matches(regex::Regex),
}

/// One step of the chain.
#[derive(Debug, Clone)]
pub struct Step {
    /// Unique within the bundle; later steps read `steps.<id>.<field>`.
    pub id: String,
    /// The connection whose action runs.
    pub connection: String,
    /// The action name.
    pub action: String,
    /// Skip the step (recorded as skipped) when this is false.
    pub when: Option<Condition>,
    /// Input field mappings.
    pub with: IndexMap<String, Mapping>,
    /// Duplicate handling: `None` means always create.
    pub dedup: Option<Dedup>,
    /// Output fields this step produces (from the action spec, or the http action's
    /// declared outputs): the set later references are checked against.
    pub outputs: Vec<String>,
    /// Deferred match: when the step's `field` output is not true, search again every
    /// `every` until `within` after the item arrived, then fail the item visibly.
    pub until_found: Option<UntilFound>,
}

/// Retry a search step until it finds something, for a limited window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UntilFound {
    /// The output that says whether the search found something (default `found`).
    pub field: String,
    /// How long after the item arrived to keep trying.
    pub within: Duration,
    /// How long to wait between tries.
    pub every: Duration,
}

/// How one input value is computed.
#[derive(Debug, Clone)]
pub enum Mapping {
    /// A constant.
    Const(Value),
    /// The value at a path (`item.callerNumber`, `steps.customer.id`); missing is null.
    Path(FieldPath),
    /// A strict handlebars template; a template that is exactly one `{{path}}` keeps the
    /// value's JSON type.
    Template(Template),
    /// The first alternative that is present and not empty.
    FirstOf(Vec<Mapping>),
    /// Non-empty parts joined with a separator.
    Join {
        /// The parts.
        parts: Vec<Mapping>,
        /// The separator.
        sep: String,
    },
    /// A value passed through normalizers in order.
    Normalized {
        /// The value.
        inner: Box<Mapping>,
        /// Applied left to right.
        normalizers: Vec<Normalizer>,
    },
    /// A lookup table: the input's text value selects an entry, else `default`.
    Lookup {
        /// The value looked up.
        input: Box<Mapping>,
        /// Key → result.
        table: IndexMap<String, Value>,
        /// When no key matches (null if absent).
        default: Option<Value>,
    },
    /// An object whose fields are mappings.
    Object(IndexMap<String, Mapping>),
    /// A list whose elements are mappings.
    List(Vec<Mapping>),
    /// How many elements of a list satisfy `filter` (all of them when absent). Inside the
    /// filter, field names refer to the element.
    Count {
        /// The list.
        list: Box<Mapping>,
        /// Which elements count.
        filter: Option<Condition>,
    },
    /// Routing rules: the value of the first case whose condition holds, else `default`.
    Switch {
        /// `(condition, value)` in order.
        cases: Vec<(Condition, Mapping)>,
        /// When no case holds (null if absent).
        default: Option<Box<Mapping>>,
    },
    /// A value only when a condition holds; otherwise null, so the input is left out (a
    /// field written only when the record's current value is empty).
    When {
        /// The condition.
        condition: Condition,
        /// The value.
        value: Box<Mapping>,
    },
    /// Fall back to `default` when `inner` is absent or empty.
    Default {
        /// The value.
        inner: Box<Mapping>,
        /// Used when `inner` is null or empty.
        default: Value,
    },
}

/// Value normalizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalizer {
    /// Keep only the digits (phones).
    Digits,
    /// Lower-case (e-mails).
    Lower,
    /// Upper-case.
    Upper,
    /// Trim surrounding white space.
    Trim,
}

/// Duplicate handling on a create step.
#[derive(Debug, Clone)]
pub struct Dedup {
    /// Input fields searched by, in priority order; an empty value is skipped.
    pub search_by: Vec<String>,
    /// Whether a key that finds nothing hands over to the next one.
    pub search: SearchOrder,
    /// What to do with a found record.
    pub on_found: OnFound,
}

/// How the keys of `search_by` are tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Each key with a value in turn, until one finds a record (`in_turn`, the default).
    #[default]
    InTurn,
    /// Only the first key that has a value: when it finds nothing, the record is created
    /// (`first_present`: "search by phone; only without a phone, by e-mail").
    FirstPresent,
}

/// What to do when duplicate search finds a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFound {
    /// Use the found record: its fields become the step's output.
    Reuse,
    /// Update the found record with the step's inputs (the connector's update action).
    Update,
    /// Stop processing this item (recorded as skipped).
    Skip,
}

/// Per-bundle execution limits.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Items processed at once (items sharing a dedup key still run one after another).
    pub concurrency: usize,
    /// Attempts per step before the item fails.
    pub max_attempts: u32,
    /// First retry delay.
    pub backoff_initial: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: 8,
            max_attempts: 8,
            backoff_initial: Duration::from_secs(2),
            backoff_max: Duration::from_secs(10 * 60),
        }
    }
}
