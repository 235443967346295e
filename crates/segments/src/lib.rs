//! Segment rules compiled to SQL. A rule is JSON: `and`/`or`/`not` over conditions on contact
//! attributes, channels, additional fields, data-source rows, events, orders, message
//! activities, RFM segments, other segments and the unsubscribed list. [`compile`] checks it
//! against a [`Catalog`] (what exists, with types) and returns one
//! `SELECT c.contact_id FROM engage.contacts c WHERE …` whose values are all bound
//! parameters (elements of the text array `$3`, cast in the SQL) and whose identifiers are quoted
//! here; `$1` is the instant the rule is evaluated at and `$2` the time zone of contacts without
//! one. A rule
//! that names something unknown, or uses an operator its type does not have, is refused with the
//! path of the offending element (`rule.and[2].field`).

mod catalog;
mod compile;
mod diff;
mod history;
mod ops;
mod sql;

pub use catalog::{Catalog, Column, ContactKey, FieldType, Source};
pub use compile::{compile, Compiled};
pub use diff::{Collected, Diff, Malformed};

/// Why a rule was refused: where (`rule.and[2].op`) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub path: String,
    pub message: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} (at {})", self.message, self.path)
    }
}

impl std::error::Error for RuleError {}

#[cfg(test)]
mod tests;
