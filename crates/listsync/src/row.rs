//! One result row to one subscriber (spec 003's column table). The preserved columns `email`,
//! `user_id`, `prefer_user_id` and `merge_nested_objects` become `email`, `userId`,
//! `preferUserId` and `mergeNestedObjects`; every other column goes into `dataFields` as
//! `row_to_json` typed it (numbers, booleans, ISO 8601 timestamps, nested json). On `remove`
//! only the email or the user ID is sent.

use crate::push_json_string;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// The largest row (as JSON text) a subscriber is made of: a batch of 1,000 stays a request
/// the API takes, and no row makes this process allocate what its size chooses.
pub const MAX_ROW: usize = 256 << 10;

/// What the sync does with its rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Add,
    Remove,
}

/// A valid row: its key (`email:<address>` when it has an email, else `userId:<id>`), the
/// subscriber object as JSON text, and a hash of that object without the run's extra strings
/// (what the next run compares to find a changed row).
#[derive(Debug, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    pub subscriber: String,
    pub hash: i64,
}

/// A row that cannot be sent: its key when it has one, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct Invalid {
    pub key: Option<String>,
    pub reason: String,
}

/// The row (`row_to_json` text of one result row) as a subscriber for `action`. `extra` is a
/// JSON object's text whose members are added to `dataFields` after the hash is taken (the
/// segment source's strings, one of which may be the run's time).
pub fn row(json: &str, action: Action, extra: Option<&str>) -> Result<Row, Invalid> {
    engage_requests::interrupt::tick();
    if json.len() > MAX_ROW {
        return Err(Invalid {
            key: None,
            reason: format!(
                "the row is {} bytes of JSON, more than the {MAX_ROW} one subscriber may have",
                json.len()
            ),
        });
    }
    let columns = parse_object(json)?;
    let mut email = None;
    let mut user_id = None;
    let mut prefer_user_id = None;
    let mut merge_nested_objects = None;
    let mut data = Vec::new();
    for (name, value) in &columns {
        match name.as_ref() {
            "email" => email = Some(*value),
            "user_id" => user_id = Some(*value),
            "prefer_user_id" => prefer_user_id = Some(*value),
            "merge_nested_objects" => merge_nested_objects = Some(*value),
            _ => data.push((name, *value)),
        }
    }
    let user_id = match user_id.map(user_id_value).transpose()?.flatten() {
        Some(id) if !id.is_empty() => Some(id),
        _ => None,
    };
    let email = match email.map(|v| string_value(v, "email")).transpose()?.flatten() {
        Some(raw) => Some(engage_requests::channel::normalize_email(&raw).map_err(|why| Invalid {
            key: user_id.as_ref().map(|id| format!("userId:{id}")),
            reason: format!("email {} is not an address: {why}", quoted(&raw)),
        })?),
        None => None,
    };
    let key = match (&email, &user_id) {
        (Some(email), _) => format!("email:{email}"),
        (None, Some(id)) => format!("userId:{id}"),
        (None, None) => {
            return Err(Invalid { key: None, reason: "the row has no email and no user_id".to_string() })
        }
    };
    let flag = |value: Option<&RawValue>, column: &str| -> Result<Option<bool>, Invalid> {
        value
            .map(|v| bool_value(v, column))
            .transpose()
            .map(Option::flatten)
            .map_err(|reason| Invalid { key: Some(key.clone()), reason })
    };
    let prefer_user_id = flag(prefer_user_id, "prefer_user_id")?;
    let merge_nested_objects = flag(merge_nested_objects, "merge_nested_objects")?;

    let mut out = String::with_capacity(json.len() + 32);
    out.push('{');
    match action {
        Action::Remove => match (&email, &user_id) {
            (Some(email), _) => field(&mut out, "email", email),
            (None, Some(id)) => field(&mut out, "userId", id),
            (None, None) => unreachable!("a row without either has no key"),
        },
        Action::Add => {
            let mut first = true;
            let mut comma = |out: &mut String| {
                if !std::mem::take(&mut first) {
                    out.push(',');
                }
            };
            if let Some(email) = &email {
                comma(&mut out);
                field(&mut out, "email", email);
            }
            if let Some(id) = &user_id {
                comma(&mut out);
                field(&mut out, "userId", id);
            }
            for (name, value) in
                [("preferUserId", prefer_user_id), ("mergeNestedObjects", merge_nested_objects)]
            {
                if let Some(value) = value {
                    comma(&mut out);
                    out.push('"');
                    out.push_str(name);
                    out.push_str("\":");
                    out.push_str(if value { "true" } else { "false" });
                }
            }
            if !data.is_empty() || extra.is_some() {
                comma(&mut out);
                out.push_str("\"dataFields\":{");
                for (i, (name, value)) in data.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_string(&mut out, name);
                    out.push(':');
                    out.push_str(value.get());
                }
                let hash = fnv1a(out.as_bytes());
                let inner = extra.map(object_members).unwrap_or("");
                if !inner.is_empty() {
                    if !data.is_empty() {
                        out.push(',');
                    }
                    out.push_str(inner);
                }
                out.push_str("}}");
                return Ok(Row { key, subscriber: out, hash });
            }
        }
    }
    out.push('}');
    let hash = fnv1a(out.as_bytes());
    Ok(Row { key, subscriber: out, hash })
}

/// `"name":"value"`.
fn field(out: &mut String, name: &str, value: &str) {
    out.push('"');
    out.push_str(name);
    out.push_str("\":");
    push_json_string(out, value);
}

/// What is between the braces of a JSON object's text (empty for `{}` or text that is not one).
fn object_members(object: &str) -> &str {
    let trimmed = object.trim();
    match trimmed.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(inner) => inner.trim(),
        None => "",
    }
}

/// FNV-1a, 64 bits: stable across builds and platforms (what a stored hash needs), and fast.
fn fnv1a(bytes: &[u8]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

fn quoted(text: &str) -> String {
    let mut out = String::new();
    let cut: String = text.chars().take(100).collect();
    push_json_string(&mut out, &cut);
    out
}

/// A string column: its text, or None for NULL.
fn string_value(value: &RawValue, column: &str) -> Result<Option<String>, Invalid> {
    let text = value.get();
    if text == "null" {
        return Ok(None);
    }
    serde_json::from_str::<String>(text).map(Some).map_err(|_| Invalid {
        key: None,
        reason: format!("{column} must be a string (text), not {}", kind(text)),
    })
}

/// The user ID: a string, or an integer (sent as its digits).
fn user_id_value(value: &RawValue) -> Result<Option<String>, Invalid> {
    let text = value.get();
    if !text.is_empty() && text.bytes().enumerate().all(|(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
    {
        return Ok(Some(text.to_string()));
    }
    string_value(value, "user_id")
}

fn bool_value(value: &RawValue, column: &str) -> Result<Option<bool>, String> {
    match value.get() {
        "null" => Ok(None),
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        other => Err(format!("{column} must be a boolean, not {}", kind(other))),
    }
}

/// The JSON type of a value's text, for messages.
fn kind(text: &str) -> &'static str {
    match text.as_bytes().first() {
        Some(b'"') => "a string",
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    }
}

type Columns<'a> = Vec<(Cow<'a, str>, &'a RawValue)>;

/// The row's columns in order, their values as JSON text.
fn parse_object(json: &str) -> Result<Columns<'_>, Invalid> {
    let mut de = serde_json::Deserializer::from_str(json);
    let columns = serde::Deserializer::deserialize_map(&mut de, ColumnsVisitor)
        .and_then(|c| de.end().map(|_| c))
        .map_err(|e| Invalid { key: None, reason: format!("the row is not a JSON object: {e}") })?;
    Ok(columns)
}

struct ColumnsVisitor;

impl<'de> Visitor<'de> for ColumnsVisitor {
    type Value = Columns<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut columns = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(name) = map.next_key::<Name<'de>>()? {
            columns.push((name.0, map.next_value::<&'de RawValue>()?));
        }
        Ok(columns)
    }
}

/// A key borrowed from the text when it has no escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Name<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a column name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(json: &str) -> Row {
        row(json, Action::Add, None).unwrap()
    }

    #[test]
    fn preserved_columns_are_renamed_and_the_rest_are_data_fields() {
        let r = add(
            r#"{"email":"Ann@Example.com","user_id":"u1","prefer_user_id":true,"merge_nested_objects":false,"first_name":"Ann","age":41,"vip":true,"seen":"2026-12-05T04:15:33.1+00:00","prefs":{"a":[1,2]},"score":1.50}"#,
        );
        assert_eq!(r.key, "email:ann@example.com");
        assert_eq!(
            r.subscriber,
            r#"{"email":"ann@example.com","userId":"u1","preferUserId":true,"mergeNestedObjects":false,"dataFields":{"first_name":"Ann","age":41,"vip":true,"seen":"2026-12-05T04:15:33.1+00:00","prefs":{"a":[1,2]},"score":1.50}}"#
        );
        serde_json::from_str::<serde_json::Value>(&r.subscriber).unwrap();
    }

    #[test]
    fn nulls_in_preserved_columns_are_left_out_and_kept_in_data_fields() {
        let r = add(r#"{"email":null,"user_id":42,"prefer_user_id":null,"city":null}"#);
        assert_eq!(r.key, "userId:42");
        assert_eq!(r.subscriber, r#"{"userId":"42","dataFields":{"city":null}}"#);
        assert_eq!(add(r#"{"email":"a@b.co"}"#).subscriber, r#"{"email":"a@b.co"}"#);
    }

    #[test]
    fn remove_sends_only_the_email_or_the_user_id() {
        let r = row(r#"{"email":"a@b.co","user_id":"u1","x":1}"#, Action::Remove, None).unwrap();
        assert_eq!(r.subscriber, r#"{"email":"a@b.co"}"#);
        let r = row(r#"{"user_id":"u\"1","x":1}"#, Action::Remove, None).unwrap();
        assert_eq!((r.key.as_str(), r.subscriber.as_str()), ("userId:u\"1", r#"{"userId":"u\"1"}"#));
    }

    #[test]
    fn extra_strings_go_into_data_fields_but_not_into_the_hash() {
        let plain = add(r#"{"email":"a@b.co","n":1}"#);
        let one = row(r#"{"email":"a@b.co","n":1}"#, Action::Add, Some(r#"{"at" : "2026-01-01"}"#)).unwrap();
        let two = row(r#"{"email":"a@b.co","n":1}"#, Action::Add, Some(r#"{"at" : "2027-01-01"}"#)).unwrap();
        assert_eq!(one.subscriber, r#"{"email":"a@b.co","dataFields":{"n":1,"at" : "2026-01-01"}}"#);
        assert_eq!(one.hash, two.hash);
        assert_eq!(one.hash, plain.hash, "the extras are left out of the hash");
        let only = row(r#"{"email":"a@b.co"}"#, Action::Add, Some(r#"{"s":"x"}"#)).unwrap();
        assert_eq!(only.subscriber, r#"{"email":"a@b.co","dataFields":{"s":"x"}}"#);
    }

    #[test]
    fn a_changed_value_changes_the_hash() {
        assert_ne!(add(r#"{"email":"a@b.co","n":1}"#).hash, add(r#"{"email":"a@b.co","n":2}"#).hash);
        assert_eq!(add(r#"{"email":"a@b.co","n":1}"#).hash, add(r#"{"email":"A@b.co","n":1}"#).hash);
    }

    #[test]
    fn invalid_rows_say_why() {
        let bad = |json: &str| row(json, Action::Add, None).unwrap_err();
        assert_eq!(bad(r#"{"first_name":"x"}"#).reason, "the row has no email and no user_id");
        assert_eq!(bad(r#"{"email":null,"user_id":""}"#).reason, "the row has no email and no user_id");
        let e = bad(r#"{"email":"not-an-address","user_id":"u1"}"#);
        assert_eq!(e.key.as_deref(), Some("userId:u1"));
        assert!(
            e.reason.starts_with(r#"email "not-an-address" is not an address: it has no @"#),
            "{}",
            e.reason
        );
        assert_eq!(bad(r#"{"email":5}"#).reason, "email must be a string (text), not a number");
        assert_eq!(bad(r#"{"user_id":true}"#).reason, "user_id must be a string (text), not a boolean");
        let e = bad(r#"{"email":"a@b.co","prefer_user_id":"yes"}"#);
        assert_eq!(e.key.as_deref(), Some("email:a@b.co"));
        assert_eq!(e.reason, "prefer_user_id must be a boolean, not a string");
        assert_eq!(
            bad(r#"{"email":"a@b.co","merge_nested_objects":1}"#).reason,
            "merge_nested_objects must be a boolean, not a number"
        );
        assert!(bad("[1]").reason.starts_with("the row is not a JSON object"));
        assert!(bad(r#"{"email":"a@b.co"} x"#).reason.starts_with("the row is not a JSON object"));
    }

    #[test]
    fn a_row_larger_than_a_subscriber_may_be_is_invalid() {
        let big = format!(r#"{{"email":"a@b.co","notes":"{}"}}"#, "x".repeat(MAX_ROW));
        let reason = row(&big, Action::Add, None).unwrap_err().reason;
        assert_eq!(
            reason,
            format!("the row is {} bytes of JSON, more than the 262144 one subscriber may have", big.len())
        );
    }

    #[test]
    fn column_names_with_escapes_are_written_back_escaped() {
        let r = add(r#"{"email":"a@b.co","we\"ird\n":1}"#);
        assert_eq!(r.subscriber, r#"{"email":"a@b.co","dataFields":{"we\"ird\n":1}}"#);
    }

    #[test]
    fn deep_json_is_copied_without_recursing() {
        // A value is copied as raw text, so its depth costs no stack.
        let deep = format!(r#"{{"email":"a@b.co","x":{}{}}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert!(deep.len() < MAX_ROW);
        assert_eq!(
            row(&deep, Action::Add, None).unwrap().subscriber.len(),
            deep.len() + 15,
            "dataFields around the value"
        );
    }
}
