//! What a rule may name, as the database has it: additional fields with their types, data
//! sources with their columns and keys, event types, messages, RFM segments, segments (and
//! which segments each uses).

pub use engage_requests::field::FieldType;
use std::collections::{BTreeMap, BTreeSet};

/// How a source's key column finds contacts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactKey {
    Email,
    Phone,
    ExternalId,
    Field(i32),
}

/// A column of a data source and the type a condition on it compares as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: FieldType,
    /// The column's SQL type is text-like, so it compares with a contact's key as it is.
    pub text_like: bool,
    /// A `timestamptz` column: its date is taken in the contact's time zone.
    pub zoned: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The data source's name, as errors call it.
    pub name: String,
    /// Schema and table (or view, or foreign table) read, unquoted.
    pub schema: String,
    pub table: String,
    pub key_column: String,
    pub contact_key: ContactKey,
    pub columns: Vec<Column>,
}

impl Source {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Additional fields by ID: type, and the allowed values of a combobox.
    pub fields: BTreeMap<i64, (FieldType, Vec<String>)>,
    pub sources: BTreeMap<i64, Source>,
    /// Event type keys and their IDs.
    pub event_types: BTreeMap<String, i64>,
    /// Message IDs (engage.messages).
    pub messages: BTreeSet<i64>,
    /// RFM segment names, in their order (engage.rfm_segments by position).
    pub rfm_segments: Vec<String>,
    /// Segments by ID, with the segments each one's rule uses.
    pub segments: BTreeMap<i64, Vec<i64>>,
    /// The segment being defined (its own ID), to refuse cycles through it.
    pub defining: Option<i64>,
    /// IDs by name, for rules that name a field, data source, message or segment instead (a name
    /// several messages share has several).
    pub field_names: BTreeMap<String, Vec<i64>>,
    pub source_names: BTreeMap<String, Vec<i64>>,
    pub message_names: BTreeMap<String, Vec<i64>>,
    pub segment_names: BTreeMap<String, Vec<i64>>,
}
