//! The SOQL subset the emulator understands: `SELECT f1, f2 FROM Object [WHERE ...]
//! [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]`, with
//! conditions of `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `LIKE`, `IN (...)`, `NOT IN
//! (...)`, `NOT`, parentheses, and `AND` / `OR` — which, as in Salesforce, may not be
//! mixed at one level without parentheses. Literals: quoted strings with SOQL's escapes,
//! numbers, `true` / `false` / `null`, and unquoted date (`2024-05-14`) and date-time
//! (`2024-05-14T10:00:00Z`) literals. Keywords are case-insensitive.
//!
//! - `parse`: text → [`Query`]; a syntax error is a `MALFORMED_QUERY`;
//! - `eval`: a parsed query against the record store (field checks, filtering, ordering,
//!   projection).

pub mod eval;
pub mod parse;

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, Utc};

/// A literal in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'`.
    Text(String),
    /// `42`, `1.5`.
    Number(f64),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `2024-05-14`.
    Date(NaiveDate),
    /// `2024-05-14T10:00:00Z`.
    DateTime(DateTime<Utc>),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`.
    Eq,
    /// `!=` / `<>`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `LIKE`.
    Like,
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// All must hold.
    And(Vec<Condition>),
    /// Any must hold.
    Or(Vec<Condition>),
    /// Negation.
    Not(Box<Condition>),
    /// `field op literal`.
    Compare {
        /// Field as written.
        field: String,
        /// Operator.
        op: Op,
        /// Right-hand side.
        value: Literal,
    },
    /// `field [NOT] IN (literals)`.
    In {
        /// Field as written.
        field: String,
        /// The list.
        values: Vec<Literal>,
        /// `NOT IN`.
        negated: bool,
    },
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    /// Field as written.
    pub field: String,
    /// `DESC`.
    pub descending: bool,
    /// `NULLS LAST` (default: nulls first ascending, last descending).
    pub nulls_last: bool,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Selected fields as written.
    pub fields: Vec<String>,
    /// The object as written.
    pub object: String,
    /// The WHERE condition.
    pub condition: Option<Condition>,
    /// ORDER BY keys.
    pub order: Vec<OrderKey>,
    /// LIMIT.
    pub limit: Option<usize>,
    /// OFFSET.
    pub offset: Option<usize>,
}
