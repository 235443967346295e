//! One block of a workflow: its ID, what it does, and where it leads.

use engage_requests::event::check_type_key;
use engage_requests::json::{self, describe, quoted};
use engage_requests::path::Path;
use engage_requests::{RequestError, Result};
use serde_json::{Map, Value};

/// The block types, as written in `"type"`.
pub const TYPES: &[&str] = &[
    "send_message",
    "wait",
    "condition",
    "add_to_segment",
    "remove_from_segment",
    "get_order",
    "generate_event",
    "exit",
];

/// Channels a send block can name; without one, the message's media type chooses.
pub const CHANNELS: &[&str] = &["email", "sms", "viber", "webpush", "mobilepush", "telegram"];

/// Operators of a condition on an event param.
pub const OPS: &[&str] =
    &["equals", "not_equals", "contains", "starts_with", "greater", "less", "exists", "not_exists"];

/// The longest wait: a year.
pub const MAX_WAIT_SECONDS: i64 = 366 * 86_400;

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub id: String,
    pub kind: Kind,
    /// Where the instance goes after this block; none ends it. Conditions use `yes` and `no`.
    pub next: Option<String>,
    pub yes: Option<String>,
    pub no: Option<String>,
}

/// A message or segment a block refers to: by ID (`messageId`, `segmentId`) or by name (`message`,
/// `segment`), which the database resolves when it stores the graph.
#[derive(Debug, Clone, PartialEq)]
pub enum Named {
    Id(i64),
    Name(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Renders and queues a message; `json_source` names the event param whose JSON becomes
    /// `$data` (`${jsonParam}`), otherwise the event's params are `$data`.
    SendMessage {
        message: Named,
        channel: Option<String>,
        json_source: Option<String>,
    },
    Wait(Wait),
    Condition(Test),
    AddToSegment {
        segment: Named,
    },
    RemoveFromSegment {
        segment: Named,
    },
    /// Loads the order whose `externalOrderId` is the event param `param` into `$data.order`.
    GetOrder {
        param: String,
    },
    /// Registers an event of this type for the instance's contact, with these params.
    GenerateEvent {
        type_key: String,
        params: Map<String, Value>,
    },
    Exit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// A fixed time, in seconds.
    For(i64),
    /// Until the next time of day (`HH:MM`) in the contact's time zone.
    Until(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// The contact is a member of the segment.
    Segment(Named),
    /// The event param compared as text (as a number for `greater`/`less`); `value` is absent
    /// for `exists`/`not_exists`.
    Param { name: String, op: String, value: Option<String> },
}

impl Block {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::SendMessage { .. } => "send_message",
            Kind::Wait(_) => "wait",
            Kind::Condition(_) => "condition",
            Kind::AddToSegment { .. } => "add_to_segment",
            Kind::RemoveFromSegment { .. } => "remove_from_segment",
            Kind::GetOrder { .. } => "get_order",
            Kind::GenerateEvent { .. } => "generate_event",
            Kind::Exit => "exit",
        }
    }

    /// The blocks this one leads to, with the key that names each.
    pub fn links(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [("next", &self.next), ("yes", &self.yes), ("no", &self.no)]
            .into_iter()
            .filter_map(|(key, to)| to.as_deref().map(|to| (key, to)))
    }
}

/// Reads one block at `at` (`blocks[3]`).
pub fn parse_block(value: &Value, at: &Path) -> Result<Block> {
    let map = json::object(value, at)?;
    let type_name = json::required_string(map, "type", at)?.trim();
    let Some(&type_name) = TYPES.iter().find(|t| **t == type_name) else {
        return Err(RequestError::invalid(format!("unknown block type {}", quoted(type_name)))
            .at(&at.key("type"))
            .with_hint(format!("block types: {}", TYPES.join(", "))));
    };
    let (keys, links): (&[&str], &[&str]) = match type_name {
        "send_message" => (&["messageId", "message", "channel", "jsonSource"], &["next"]),
        "wait" => (&["duration", "until"], &["next"]),
        "condition" => (&["segmentId", "segment", "param", "op", "value"], &["yes", "no"]),
        "add_to_segment" | "remove_from_segment" => (&["segmentId", "segment"], &["next"]),
        "get_order" => (&["param"], &["next"]),
        "generate_event" => (&["eventTypeKey", "params"], &["next"]),
        _ => (&[], &[]),
    };
    let allowed: Vec<&str> = ["id", "type"].iter().chain(keys).chain(links).copied().collect();
    json::known_keys(map, &allowed, at)?;

    let id_at = at.key("id");
    let id = json::required_string(map, "id", at)?.trim().to_string();
    json::max_chars(&id, 100, &id_at)?;
    let link = |key: &str| -> Result<Option<String>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Ok(Some(json::string(v, &at.key(key))?.trim().to_string())),
        }
    };
    let kind = match type_name {
        "send_message" => Kind::SendMessage {
            message: id_or_name(map, "messageId", "message", at)?,
            channel: optional_choice(map, "channel", CHANNELS, at)?,
            json_source: match map.get("jsonSource") {
                None | Some(Value::Null) => None,
                Some(v) => Some(json_source(json::string(v, &at.key("jsonSource"))?, &at.key("jsonSource"))?),
            },
        },
        "wait" => Kind::Wait(parse_wait(map, at)?),
        "condition" => Kind::Condition(parse_test(map, at)?),
        "add_to_segment" => Kind::AddToSegment { segment: id_or_name(map, "segmentId", "segment", at)? },
        "remove_from_segment" => {
            Kind::RemoveFromSegment { segment: id_or_name(map, "segmentId", "segment", at)? }
        }
        "get_order" => Kind::GetOrder {
            param: match map.get("param") {
                None | Some(Value::Null) => "externalOrderId".to_string(),
                Some(_) => param_name(map, "param", at)?,
            },
        },
        "generate_event" => {
            let key = json::required_string(map, "eventTypeKey", at)?.trim().to_string();
            check_type_key(&key).map_err(|e| e.at(&at.key("eventTypeKey")))?;
            let params = match map.get("params") {
                None | Some(Value::Null) => Map::new(),
                Some(v) => json::object(v, &at.key("params"))?.clone(),
            };
            Kind::GenerateEvent { type_key: key, params }
        }
        _ => Kind::Exit,
    };
    Ok(Block { id, kind, next: link("next")?, yes: link("yes")?, no: link("no")? })
}

/// What a block refers to: a positive integer ID under `id_key` (`messageId`), or a name under
/// `name_key` (`message`); exactly one of them.
fn id_or_name(map: &Map<String, Value>, id_key: &str, name_key: &str, at: &Path) -> Result<Named> {
    match (map.get(id_key), map.get(name_key)) {
        (Some(_), Some(_)) => {
            Err(RequestError::invalid(format!("give \"{id_key}\" or \"{name_key}\", not both"))
                .at(&at.key(name_key)))
        }
        (None, Some(name)) => {
            let name = json::string(name, &at.key(name_key))?.trim();
            if name.is_empty() {
                return Err(
                    RequestError::invalid(format!("\"{name_key}\" must name one")).at(&at.key(name_key))
                );
            }
            json::max_chars(name, 200, &at.key(name_key))?;
            Ok(Named::Name(name.to_string()))
        }
        _ => {
            let value = json::required(map, id_key, at)?;
            match value.as_i64() {
                Some(n) if n > 0 => Ok(Named::Id(n)),
                _ => Err(RequestError::invalid(format!("\"{id_key}\" must be a positive integer"))
                    .at_with(&at.key(id_key), format!("got {}", describe(value)))
                    .with_hint(format!("\"{name_key}\" takes its name instead"))),
            }
        }
    }
}

fn optional_choice(
    map: &Map<String, Value>,
    key: &str,
    allowed: &[&str],
    at: &Path,
) -> Result<Option<String>> {
    let Some(value) = map.get(key).filter(|v| !v.is_null()) else { return Ok(None) };
    let here = at.key(key);
    let text = json::string(value, &here)?.trim();
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(text)) {
        Some(found) => Ok(Some(found.to_string())),
        None => Err(RequestError::invalid(format!("unknown {key} {}", quoted(text)))
            .at(&here)
            .with_hint(format!("{key} is one of: {}", allowed.join(", ")))),
    }
}

/// `${jsonParam}`, `$jsonParam` or `$!{jsonParam}`: the event param that holds the message's data.
fn json_source(text: &str, at: &Path) -> Result<String> {
    let t = text.trim();
    let inner = t.strip_prefix('$').map(|r| r.strip_prefix('!').unwrap_or(r));
    let name = inner.map(|r| r.strip_prefix('{').and_then(|r| r.strip_suffix('}')).unwrap_or(r));
    match name {
        Some(name) if is_param_name(name) => Ok(name.to_string()),
        _ => Err(RequestError::invalid(format!("invalid JSON source {}", quoted(text)))
            .at(at)
            .with_hint("write the event param that holds the JSON as a reference, like ${jsonParam}")),
    }
}

fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && name.len() <= 255
}

fn param_name(map: &Map<String, Value>, key: &str, at: &Path) -> Result<String> {
    let name = json::required_string(map, key, at)?.trim();
    json::max_chars(name, 255, &at.key(key))?;
    Ok(name.to_string())
}

fn parse_wait(map: &Map<String, Value>, at: &Path) -> Result<Wait> {
    match (map.get("duration"), map.get("until")) {
        (Some(d), None) => {
            let here = at.key("duration");
            let text = json::string(d, &here)?;
            duration_seconds(text).map(Wait::For).ok_or_else(|| {
                RequestError::invalid(format!("invalid duration {}", quoted(text)))
                    .at(&here)
                    .with_hint("a duration is a whole number and a unit: \"30 minutes\", \"2 hours\", \"1 day\", \"1 week\", at most a year")
            })
        }
        (None, Some(u)) => {
            let here = at.key("until");
            let text = json::string(u, &here)?;
            time_of_day(text).map(Wait::Until).ok_or_else(|| {
                RequestError::invalid(format!("invalid time of day {}", quoted(text)))
                    .at(&here)
                    .with_hint("a time of day is HH:MM on the 24-hour clock, like \"09:30\"")
            })
        }
        _ => {
            Err(RequestError::invalid("a wait block needs exactly one of \"duration\" and \"until\"").at(at))
        }
    }
}

/// `"90 minutes"`, `"2 hours"`, `"1 day"`, `"3 weeks"` in seconds; none past a year.
pub fn duration_seconds(text: &str) -> Option<i64> {
    let mut words = text.split_whitespace();
    let n: i64 = words.next()?.parse().ok()?;
    let unit = words.next()?.to_ascii_lowercase();
    if words.next().is_some() || n <= 0 {
        return None;
    }
    let unit_seconds = match unit.trim_end_matches('s') {
        "minute" | "min" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        "week" => 604_800,
        _ => return None,
    };
    n.checked_mul(unit_seconds).filter(|s| *s <= MAX_WAIT_SECONDS)
}

/// `HH:MM` normalized to two digits each.
fn time_of_day(text: &str) -> Option<String> {
    let (h, m) = text.trim().split_once(':')?;
    let valid = |s: &str, max: u32| -> Option<u32> {
        (!s.is_empty() && s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
            .filter(|v| *v <= max)
    };
    Some(format!("{:02}:{:02}", valid(h, 23)?, valid(m, 59)?))
}

fn parse_test(map: &Map<String, Value>, at: &Path) -> Result<Test> {
    if map.contains_key("segmentId") || map.contains_key("segment") {
        if let Some(other) = ["param", "op", "value"].iter().find(|k| map.contains_key(**k)) {
            return Err(RequestError::invalid(
                "a condition tests either a segment or an event param, not both",
            )
            .at(&at.key(other)));
        }
        return Ok(Test::Segment(id_or_name(map, "segmentId", "segment", at)?));
    }
    if !map.contains_key("param") {
        return Err(RequestError::invalid("a condition needs \"segmentId\" or \"param\" with \"op\"")
            .at(at)
            .with_hint("{\"segmentId\": 5} tests membership; {\"param\": \"status\", \"op\": \"equals\", \"value\": \"paid\"} tests the event"));
    }
    let name = param_name(map, "param", at)?;
    let op = optional_choice(map, "op", OPS, at)?
        .ok_or_else(|| RequestError::invalid("\"op\" is required").at(&at.key("op")))?;
    let value_at = at.key("value");
    let value = match (op.as_str(), map.get("value").filter(|v| !v.is_null())) {
        ("exists" | "not_exists", None) => None,
        ("exists" | "not_exists", Some(_)) => {
            return Err(RequestError::invalid(format!("\"{op}\" takes no value")).at(&value_at))
        }
        (_, None) => return Err(RequestError::invalid(format!("\"{op}\" needs a value")).at(&value_at)),
        ("greater" | "less", Some(v)) if !v.is_number() => {
            return Err(RequestError::invalid(format!("\"{op}\" compares with a number"))
                .at_with(&value_at, format!("got {}", describe(v))))
        }
        (_, Some(Value::Bool(b))) => Some(b.to_string()),
        (_, Some(v)) => Some(json::scalar_text(v, &value_at)?),
    };
    Ok(Test::Param { name, op, value })
}
