//! Rule JSON to SQL. Every condition becomes a predicate on the contact row `c`; conditions on
//! other tables are `c.contact_id IN (…)` semi-joins (which the planner hashes when a whole
//! segment is computed), with the contacts table joined again inside as `c` where the condition
//! needs the contact's own columns (its time zone). Conditions that count a contact's rows
//! (events, orders, activities, a source's count and sum) are built in `history`.

use crate::catalog::{Catalog, ContactKey, FieldType, Source};
use crate::history::{self, compare, counted, tallied, Log};
use crate::ops::{op_for, predicate, Op};
use crate::sql::{ident, qualified, Cast, Params};
use crate::RuleError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A compiled rule: the statement, the values of its parameter array `$3`, and the segments it
/// reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiled {
    pub sql: String,
    pub params: Vec<String>,
    pub segments: Vec<i64>,
}

/// What a rule or a condition compiles to.
pub(crate) enum Pred {
    /// `c.contact_id IN (query)`: the contacts `query` selects. `rows` when they are existing
    /// contacts, each once (a field's rows, a source's), so that the query can stand as the
    /// whole statement.
    In { query: String, rows: bool },
    /// Any other test of the contact row `c`.
    Test(String),
}

impl Pred {
    pub(crate) fn sql(&self) -> String {
        match self {
            Pred::In { query, .. } => format!("c.contact_id IN ({query})"),
            Pred::Test(test) => test.clone(),
        }
    }
}

/// Deepest nesting and most conditions a rule may have.
const MAX_DEPTH: usize = 32;
const MAX_CONDITIONS: usize = 500;

pub fn compile(rule: &Value, catalog: &Catalog) -> Result<Compiled, RuleError> {
    let mut c = Compiler { catalog, params: Params::default(), segments: Vec::new(), conditions: 0 };
    let predicate = c.node(rule, "rule", 0)?;
    // A rule that is one condition on such rows selects them directly, without scanning contacts.
    let sql = match (predicate, c.conditions) {
        (Pred::In { query, rows: true }, 1) => {
            format!("SELECT contact_id FROM ({query}) matched(contact_id)")
        }
        (predicate, _) => format!("SELECT c.contact_id FROM engage.contacts c WHERE {}", predicate.sql()),
    };
    Ok(Compiled { sql, params: c.params.0, segments: c.segments })
}

struct Compiler<'a> {
    catalog: &'a Catalog,
    params: Params,
    segments: Vec<i64>,
    conditions: usize,
}

pub(crate) fn refuse(path: &str, message: impl Into<String>) -> RuleError {
    RuleError { path: path.to_string(), message: message.into(), hint: None }
}

fn hinted(path: &str, message: impl Into<String>, hint: impl Into<String>) -> RuleError {
    RuleError { path: path.to_string(), message: message.into(), hint: Some(hint.into()) }
}

/// The ID a rule gives for a `what` (a field, a data source, a message, a segment): a number is the
/// ID itself (the caller checks that it exists), a string the name of exactly one, found in `names`.
fn id_or_name(
    value: &Value,
    names: &BTreeMap<String, Vec<i64>>,
    path: &str,
    what: &str,
    listed_in: &str,
) -> Result<i64, RuleError> {
    let Value::String(name) = value else {
        return value
            .as_i64()
            .ok_or_else(|| refuse(path, format!("{what} takes a {what}'s numeric ID or its name")));
    };
    match names.get(name).map(Vec::as_slice).unwrap_or_default() {
        [id] => Ok(*id),
        [] => {
            Err(hinted(path, format!("{what} \"{name}\" does not exist"), format!("{listed_in} lists them.")))
        }
        ids => Err(hinted(
            path,
            format!(
                "{what} name \"{name}\" is ambiguous: IDs {}",
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
            ),
            format!("Give the {what}'s ID instead."),
        )),
    }
}

const CONDITIONS: &str = "and, or, not, attribute, channel, field, source, event, order, activity, \
                          rfm_segment, segment, unsubscribed";

/// The keys a condition may have, with the one that names its kind first.
const SHAPES: [&[&str]; 10] = [
    &["attribute", "op", "value"],
    &["channel", "status"],
    &["field", "op", "value"],
    &["source", "where", "count", "sum"],
    &["event", "params", "times", "within_days", "never"],
    &["order", "within_days", "times", "total", "never"],
    &["activity", "message", "within_days", "times", "never"],
    &["rfm_segment"],
    &["segment"],
    &["unsubscribed"],
];

/// An order's statuses (engage.orders.status), as `order` names them.
const ORDER_STATUSES: [&str; 5] =
    ["INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART"];

/// What can happen to a send (engage.contact_activities.activity); RECEIVED is an open.
const ACTIVITIES: [&str; 8] = [
    "DELIVERED",
    "UNDELIVERED",
    "RECEIVED",
    "UNSUBSCRIBED",
    "CLICKED",
    "SPAM",
    "SUBSCRIPTION_CHANGED",
    "PUSH_SUBSCRIBED",
];

const ATTRIBUTES: [(&str, &str, FieldType); 7] = [
    ("first_name", "c.first_name", FieldType::String),
    ("last_name", "c.last_name", FieldType::String),
    ("external_id", "c.external_customer_id", FieldType::String),
    ("language", "c.language_code", FieldType::String),
    ("time_zone", "c.time_zone", FieldType::String),
    ("source", "c.source", FieldType::String),
    ("created_at", "(c.created_at AT TIME ZONE coalesce(c.time_zone, $2::text))::date", FieldType::Date),
];

const CHANNELS: [&str; 6] = ["email", "sms", "viber", "webpush", "mobilepush", "telegram"];

impl Compiler<'_> {
    fn node(&mut self, v: &Value, path: &str, depth: usize) -> Result<Pred, RuleError> {
        if depth > MAX_DEPTH {
            return Err(refuse(path, format!("the rule nests deeper than {MAX_DEPTH} levels")));
        }
        let Value::Object(map) = v else {
            return Err(hinted(path, "a rule is a JSON object", format!("Its key is one of: {CONDITIONS}.")));
        };
        for (key, combine) in [("and", " AND "), ("or", " OR ")] {
            if let Some(list) = map.get(key) {
                only_key(map, key, path)?;
                let Value::Array(items) = list else {
                    return Err(refuse(&format!("{path}.{key}"), format!("{key} takes a list of rules")));
                };
                if items.is_empty() {
                    return Err(refuse(&format!("{path}.{key}"), format!("{key} needs at least one rule")));
                }
                let parts = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.node(item, &format!("{path}.{key}[{i}]"), depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                // Sets OR-ed together are one set: a single IN the planner can make a semi-join
                // of (an IN under OR cannot be, and is probed row by row).
                let sets: Option<Vec<(&str, bool)>> = parts
                    .iter()
                    .map(|p| match p {
                        Pred::In { query, rows } => Some((query.as_str(), *rows)),
                        Pred::Test(_) => None,
                    })
                    .collect();
                if let (Some(sets), "or") = (sets, key) {
                    let query = sets.iter().map(|(q, _)| *q).collect::<Vec<_>>().join(" UNION ");
                    return Ok(Pred::In { query, rows: sets.iter().all(|(_, rows)| *rows) });
                }
                let parts = parts.iter().map(Pred::sql).collect::<Vec<_>>();
                return Ok(Pred::Test(format!("({})", parts.join(combine))));
            }
        }
        if let Some(inner) = map.get("not") {
            only_key(map, "not", path)?;
            // A condition on a value the contact does not have is unknown (NULL), and so would its
            // negation be: `not` takes unknown as not matching, so that the contact is included,
            // as `not_equals` and the conditions on fields include it. (IN is never unknown here.)
            return Ok(Pred::Test(match self.node(inner, &format!("{path}.not"), depth + 1)? {
                inner @ Pred::In { .. } => format!("NOT {}", inner.sql()),
                Pred::Test(test) => format!("NOT coalesce({test}, false)"),
            }));
        }
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(refuse(path, format!("a rule has at most {MAX_CONDITIONS} conditions")));
        }
        let shape = SHAPES.iter().find(|keys| map.contains_key(keys[0])).ok_or_else(|| {
            let key = map.keys().next().map_or("(none)", String::as_str);
            hinted(
                path,
                format!("unknown condition (key {key})"),
                format!("A rule's key is one of: {CONDITIONS}."),
            )
        })?;
        if let Some(extra) = map.keys().find(|k| !shape.contains(&k.as_str())) {
            return Err(hinted(
                &format!("{path}.{extra}"),
                format!("{} {} condition has no key {extra}", article(shape[0]), shape[0]),
                format!("Its keys: {}.", shape.join(", ")),
            ));
        }
        match shape[0] {
            "attribute" => self.attribute(map, path),
            "channel" => self.channel(map, path),
            "field" => self.field(map, path),
            "source" => self.source(map, path),
            "event" => self.event(map, path),
            "order" => self.order(map, path),
            "activity" => self.activity(map, path),
            "rfm_segment" => self.rfm_segment(map, path),
            "segment" => self.segment(map, path),
            _ => self.unsubscribed(map, path),
        }
    }

    /// A value condition on an expression of the contact row.
    fn on_contact(
        &mut self,
        kind: FieldType,
        column: &str,
        map: &Map<String, Value>,
        path: &str,
    ) -> Result<String, RuleError> {
        let op = op_for(kind, map.get("op"), &format!("{path}.op"))?;
        let value_path = format!("{path}.value");
        Ok(match op {
            Op::IsEmpty => format!("{column} IS NULL"),
            Op::IsNotEmpty => format!("{column} IS NOT NULL"),
            _ => match op.negated() {
                Some(positive) => format!(
                    "NOT coalesce({}, false)",
                    predicate(kind, positive, column, map.get("value"), &[], &value_path, &mut self.params)?
                ),
                None => predicate(kind, op, column, map.get("value"), &[], &value_path, &mut self.params)?,
            },
        })
    }

    fn attribute(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let name = map["attribute"].as_str().unwrap_or("");
        let Some(&(_, column, kind)) = ATTRIBUTES.iter().find(|(n, _, _)| *n == name) else {
            return Err(hinted(
                &format!("{path}.attribute"),
                format!("unknown contact attribute {}", map["attribute"]),
                format!("Attributes: {}.", ATTRIBUTES.map(|a| a.0).join(", ")),
            ));
        };
        self.on_contact(kind, column, map, path).map(Pred::Test)
    }

    fn channel(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let kind = map["channel"].as_str().filter(|c| CHANNELS.contains(c)).ok_or_else(|| {
            hinted(
                &format!("{path}.channel"),
                format!("unknown channel type {}", map["channel"]),
                format!("Types: {}.", CHANNELS.join(", ")),
            )
        })?;
        let status = match map.get("status").map(|s| s.as_str()) {
            None | Some(Some("active")) => " AND k.status = 'active'",
            Some(Some("inactive")) => " AND k.status = 'inactive'",
            Some(Some("any")) => "",
            _ => {
                return Err(refuse(
                    &format!("{path}.status"),
                    "status is active (the default), inactive or any",
                ))
            }
        };
        let kind = self.params.bind(kind, Cast::Text);
        // Push channels are several per contact: these rows are not each contact once.
        let query = format!("SELECT k.contact_id FROM engage.channels k WHERE k.type = {kind}{status}");
        Ok(Pred::In { query, rows: false })
    }

    fn field(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let id_path = format!("{path}.field");
        let id = id_or_name(&map["field"], &self.catalog.field_names, &id_path, "field", "engage.fields")?;
        let (kind, allowed) = self.catalog.fields.get(&id).cloned().ok_or_else(|| {
            hinted(
                &id_path,
                format!("additional field {id} does not exist"),
                "engage.fields lists the fields.",
            )
        })?;
        let op = op_for(kind, map.get("op"), &format!("{path}.op"))?;
        let column = match kind {
            FieldType::String | FieldType::Combobox => "f.value",
            FieldType::Number => "f.value_number",
            FieldType::Date => "f.value_date",
            FieldType::Boolean => "f.value_boolean",
        };
        let id = self.params.bind(id.to_string(), Cast::Integer);
        // The field's rows passing a test: one per contact, so they can stand as the whole
        // statement. A test that needs the contact's time zone is correlated instead (EXISTS,
        // which the planner turns into the same semi-join with the contact's columns at hand).
        let rows = |test: Option<&str>| match test {
            Some(test) => {
                format!("SELECT f.contact_id FROM engage.contact_fields f WHERE f.field_id = {id} AND {test}")
            }
            None => format!("SELECT f.contact_id FROM engage.contact_fields f WHERE f.field_id = {id}"),
        };
        let value_path = format!("{path}.value");
        let (positive, negate) = match op {
            Op::IsEmpty => (None, true),
            Op::IsNotEmpty => (None, false),
            _ => (Some(op.negated().unwrap_or(op)), op.negated().is_some()),
        };
        let test = match positive {
            Some(op) => {
                Some(predicate(kind, op, column, map.get("value"), &allowed, &value_path, &mut self.params)?)
            }
            None => None,
        };
        if let Some(test) = test.as_deref().filter(|t| t.contains("c.time_zone")) {
            let exists = format!(
                "EXISTS (SELECT FROM engage.contact_fields f WHERE f.contact_id = c.contact_id AND f.field_id = {id} AND {test})"
            );
            return Ok(Pred::Test(if negate { format!("NOT {exists}") } else { exists }));
        }
        let rows = Pred::In { query: rows(test.as_deref()), rows: true };
        Ok(if negate { Pred::Test(format!("NOT {}", rows.sql())) } else { rows })
    }

    fn source(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let id_path = format!("{path}.source");
        let id = id_or_name(
            &map["source"],
            &self.catalog.source_names,
            &id_path,
            "data source",
            "engage.data_sources",
        )?;
        let source: Source = self.catalog.sources.get(&id).cloned().ok_or_else(|| {
            hinted(&id_path, format!("data source {id} does not exist"), "engage.data_sources lists them.")
        })?;
        let relation = qualified(&source.schema, &source.table);
        let key = source.column(&source.key_column).is_some_and(|c| c.text_like);
        let rkey = if key {
            format!("r.{}", ident(&source.key_column))
        } else {
            format!("r.{}::text", ident(&source.key_column))
        };
        let mut tests = Vec::new();
        match map.get("where") {
            None => {}
            Some(Value::Array(conditions)) => {
                for (i, condition) in conditions.iter().enumerate() {
                    tests.push(self.source_column(&source, condition, &format!("{path}.where[{i}]"))?);
                }
            }
            Some(_) => {
                return Err(refuse(&format!("{path}.where"), "where takes a list of column conditions"))
            }
        }
        // Each contact's key: the channel or field that holds it, or the contact's external ID;
        // the contact row itself only where a test needs it.
        let needs_contact = tests.iter().any(|t| t.contains("c.time_zone"));
        let (contact, mut from, value, mut filters) = match &source.contact_key {
            ContactKey::Email | ContactKey::Phone => {
                let kind = if source.contact_key == ContactKey::Email { "email" } else { "sms" };
                (
                    "k.contact_id",
                    "engage.channels k".to_string(),
                    "k.value",
                    vec![format!("k.type = '{kind}'")],
                )
            }
            ContactKey::Field(field) => {
                let field = self.params.bind(field.to_string(), Cast::Integer);
                (
                    "k.contact_id",
                    "engage.contact_fields k".to_string(),
                    "k.value",
                    vec![format!("k.field_id = {field}")],
                )
            }
            ContactKey::ExternalId => {
                ("c.contact_id", "engage.contacts c".to_string(), "c.external_customer_id", vec![])
            }
        };
        if needs_contact && contact != "c.contact_id" {
            from.push_str(" JOIN engage.contacts c ON c.contact_id = k.contact_id");
        }
        let tally = match (map.get("count"), map.get("sum")) {
            (Some(_), Some(_)) => {
                return Err(refuse(&format!("{path}.sum"), "a source condition has count or sum, not both"))
            }
            (Some(count), None) => {
                Some(compare("count(*)", count, &history::COUNT, &format!("{path}.count"), &mut self.params)?)
            }
            (None, Some(sum)) => {
                let column = sum.get("column").and_then(Value::as_str).unwrap_or("");
                let column_path = format!("{path}.sum.column");
                match source.column(column) {
                    Some(c) if c.kind == FieldType::Number => {}
                    Some(_) => return Err(refuse(&column_path, format!("column {column} is not a number"))),
                    None => return Err(unknown_column(&source, column, &column_path)),
                }
                let sum_of = history::total(&format!("r.{}", ident(column)));
                Some(compare(&sum_of, sum, &history::SUM, &format!("{path}.sum"), &mut self.params)?)
            }
            (None, None) => None,
        };
        // Each form gives every contact once (one key per contact), so it can stand as the whole
        // statement. A contact without rows matching every `where` (or without the key) has a
        // count and a sum of 0, and passes when 0 does.
        Ok(match tally {
            None => {
                let tests = tests.iter().map(|t| format!(" AND {t}")).collect::<String>();
                filters.push(format!("EXISTS (SELECT FROM {relation} r WHERE {rkey} = {value}{tests})"));
                Pred::In {
                    query: format!("SELECT {contact} FROM {from} WHERE {}", filters.join(" AND ")),
                    rows: true,
                }
            }
            Some(tally) => {
                filters.extend(tests);
                let filter = if filters.is_empty() {
                    String::new()
                } else {
                    format!(" WHERE {}", filters.join(" AND "))
                };
                let rows =
                    format!("SELECT {contact} FROM {from} JOIN {relation} r ON {rkey} = {value}{filter}");
                tallied(&rows, contact, &[tally], true)
            }
        })
    }

    fn source_column(&mut self, source: &Source, condition: &Value, path: &str) -> Result<String, RuleError> {
        let Value::Object(map) = condition else {
            return Err(refuse(path, "a column condition is {\"column\": …, \"op\": …, \"value\": …}"));
        };
        if let Some(extra) = map.keys().find(|k| !["column", "op", "value"].contains(&k.as_str())) {
            return Err(refuse(&format!("{path}.{extra}"), format!("a column condition has no key {extra}")));
        }
        let name = map.get("column").and_then(Value::as_str).unwrap_or("");
        let column =
            source.column(name).ok_or_else(|| unknown_column(source, name, &format!("{path}.column")))?;
        let mut expression = format!("r.{}", ident(&column.name));
        if column.kind == FieldType::Date {
            expression = if column.zoned {
                format!("({expression} AT TIME ZONE coalesce(c.time_zone, $2::text))::date")
            } else {
                format!("{expression}::date")
            };
        } else if column.kind == FieldType::String && !column.text_like {
            expression = format!("{expression}::text");
        }
        self.on_contact(column.kind, &expression, map, path)
    }

    fn event(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let key = map["event"].as_str().unwrap_or("");
        let id = *self.catalog.event_types.get(key).ok_or_else(|| {
            hinted(
                &format!("{path}.event"),
                format!("event type {} does not exist", map["event"]),
                "engage.event_types lists them.",
            )
        })?;
        let mut filters = vec![
            "e.contact_id IS NOT NULL".to_string(),
            format!("e.event_type_id = {}", self.params.bind(id.to_string(), Cast::Integer)),
        ];
        match map.get("params") {
            None => {}
            Some(p @ Value::Object(_)) => {
                let p = self.params.bind(p.to_string(), Cast::Jsonb);
                filters.push(format!("e.params @> {p}"));
            }
            Some(_) => {
                return Err(refuse(
                    &format!("{path}.params"),
                    "params is an object of the params the event must have",
                ))
            }
        }
        // Events may name contacts since deleted.
        let log = Log {
            what: "an event condition",
            from: "engage.events e",
            contact: "e.contact_id",
            time: "e.registered_at",
            filters,
            amount: None,
            existing: false,
        };
        counted(log, map, path, &mut self.params)
    }

    /// Orders with a status (or any), by their order date.
    fn order(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let status = map["order"].as_str().unwrap_or("");
        let mut filters = Vec::new();
        if status != "any" {
            // The status is one of ours, written as a literal (not a parameter) so that the
            // planner can use the index of delivered orders, whose predicate names it.
            let known = ORDER_STATUSES.iter().find(|s| **s == status).ok_or_else(|| {
                hinted(
                    &format!("{path}.order"),
                    format!("unknown order status {}", map["order"]),
                    format!("Statuses: {}, or any.", ORDER_STATUSES.join(", ")),
                )
            })?;
            filters.push(format!("o.status = '{known}'"));
        }
        // Deleting a contact deletes its orders.
        let log = Log {
            what: "an order condition",
            from: "engage.orders o",
            contact: "o.contact_id",
            time: "o.order_date",
            filters,
            amount: Some("o.total_cost"),
            existing: true,
        };
        counted(log, map, path, &mut self.params)
    }

    /// What happened to the contact's sends (of one message), by when it happened.
    fn activity(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let activity = map["activity"].as_str().filter(|a| ACTIVITIES.contains(a)).ok_or_else(|| {
            hinted(
                &format!("{path}.activity"),
                format!("unknown activity {}", map["activity"]),
                format!("Activities: {} (RECEIVED is an open).", ACTIVITIES.join(", ")),
            )
        })?;
        let mut filters = vec![
            "a.contact_id IS NOT NULL".to_string(),
            format!("a.activity = {}", self.params.bind(activity, Cast::Text)),
        ];
        if let Some(message) = map.get("message") {
            let message_path = format!("{path}.message");
            let id = id_or_name(
                message,
                &self.catalog.message_names,
                &message_path,
                "message",
                "engage.messages",
            )?;
            if !self.catalog.messages.contains(&id) {
                return Err(hinted(
                    &message_path,
                    format!("message {id} does not exist"),
                    "engage.messages lists them.",
                ));
            }
            filters.push(format!("a.message_id = {}", self.params.bind(id.to_string(), Cast::Integer)));
        }
        // Activities outlive the contacts they name.
        let log = Log {
            what: "an activity condition",
            from: "engage.contact_activities a",
            contact: "a.contact_id",
            time: "a.activity_at",
            filters,
            amount: None,
            existing: false,
        };
        counted(log, map, path, &mut self.params)
    }

    /// The contacts in an RFM segment, as the last RFM recompute placed them.
    fn rfm_segment(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let names = &self.catalog.rfm_segments;
        let name = map["rfm_segment"].as_str().filter(|n| names.iter().any(|s| s == n)).ok_or_else(|| {
            hinted(
                &format!("{path}.rfm_segment"),
                format!("unknown RFM segment {}", map["rfm_segment"]),
                if names.is_empty() {
                    "engage.rfm_segments has none.".to_string()
                } else {
                    format!("RFM segments: {}.", names.join(", "))
                },
            )
        })?;
        let name = self.params.bind(name, Cast::Text);
        // One row per contact, deleted with it.
        Ok(Pred::In {
            query: format!("SELECT r.contact_id FROM engage.contact_rfm r WHERE r.segment = {name}"),
            rows: true,
        })
    }

    fn segment(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let seg_path = format!("{path}.segment");
        let id = id_or_name(
            &map["segment"],
            &self.catalog.segment_names,
            &seg_path,
            "segment",
            "engage.segments",
        )?;
        if !self.catalog.segments.contains_key(&id) && self.catalog.defining != Some(id) {
            return Err(hinted(
                &seg_path,
                format!("segment {id} does not exist"),
                "engage.segments lists them.",
            ));
        }
        if let Some(cycle) = self.cycle_through(id) {
            return Err(refuse(
                &seg_path,
                format!(
                    "segments would use each other in a cycle: {}",
                    cycle.iter().map(i64::to_string).collect::<Vec<_>>().join(" → ")
                ),
            ));
        }
        self.segments.push(id);
        let id = self.params.bind(id.to_string(), Cast::Bigint);
        let query = format!("SELECT m.contact_id FROM engage.segment_members m WHERE m.segment_id = {id}");
        Ok(Pred::In { query, rows: false })
    }

    /// The path from the segment being defined through `start` back to itself, if there is one.
    fn cycle_through(&self, start: i64) -> Option<Vec<i64>> {
        let defining = self.catalog.defining?;
        let mut stack = vec![vec![defining, start]];
        let mut seen = std::collections::BTreeSet::new();
        while let Some(route) = stack.pop() {
            let last = *route.last().expect("routes are not empty");
            if last == defining {
                return Some(route);
            }
            if !seen.insert(last) {
                continue;
            }
            for next in self.catalog.segments.get(&last).into_iter().flatten() {
                let mut longer = route.clone();
                longer.push(*next);
                stack.push(longer);
            }
        }
        None
    }

    fn unsubscribed(&mut self, map: &Map<String, Value>, path: &str) -> Result<Pred, RuleError> {
        let list = Pred::In {
            query: "SELECT k.contact_id FROM engage.channels k JOIN engage.unsubscribed_emails u \
                    ON u.email = k.value WHERE k.type = 'email'"
                .to_string(),
            rows: false,
        };
        match map["unsubscribed"] {
            Value::Bool(true) => Ok(list),
            Value::Bool(false) => Ok(Pred::Test(format!("NOT {}", list.sql()))),
            _ => Err(refuse(&format!("{path}.unsubscribed"), "unsubscribed is true or false")),
        }
    }
}

/// `a` or `an`, before a condition's name.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn only_key(map: &Map<String, Value>, key: &str, path: &str) -> Result<(), RuleError> {
    match map.keys().find(|k| *k != key) {
        Some(extra) => Err(refuse(&format!("{path}.{extra}"), format!("an {key} rule has no other keys"))),
        None => Ok(()),
    }
}

fn unknown_column(source: &Source, name: &str, path: &str) -> RuleError {
    hinted(
        path,
        format!("data source {:?} has no column {name:?}", source.name),
        format!(
            "Its columns: {}.",
            source.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        ),
    )
}
