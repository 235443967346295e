//! Reading a JSON body with errors that point into it. Every reader takes the path of the
//! element it reads so the error can name it. The readers take any [`Json`]: a
//! `serde_json::Value`, or a body decoded from `jsonb` with its strings borrowed
//! (`engage_jsonb::Node`), which costs a fraction to build and drop for a large body.

use crate::error::{ErrorKind, RequestError, Result};
use crate::path::Path;
use engage_jsonb::Node;
use serde_json::{Map, Value};

/// What a JSON value is, as the readers see it.
pub enum Kind<'v> {
    Null,
    Bool(bool),
    /// A number's digits as written (borrowed: asking what a value is allocates nothing).
    Number(&'v str),
    String(&'v str),
    Array,
    Object,
}

/// A JSON value the readers can read.
pub trait Json: Sized {
    type Object: JsonObject<Value = Self>;
    fn kind(&self) -> Kind<'_>;
    fn as_object(&self) -> Option<&Self::Object>;
    fn as_array(&self) -> Option<&[Self]>;
    /// The value as JSON text.
    fn to_json(&self) -> String;

    fn is_null(&self) -> bool {
        matches!(self.kind(), Kind::Null)
    }

    fn as_str(&self) -> Option<&str> {
        match self.kind() {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// A whole number that fits an `i64` (`2`, not `2.0`).
    fn as_i64(&self) -> Option<i64> {
        match self.kind() {
            Kind::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
}

/// The keys and values of a JSON object.
pub trait JsonObject {
    type Value: Json;
    fn get(&self, key: &str) -> Option<&Self::Value>;
    fn keys(&self) -> impl Iterator<Item = &str>;
}

impl Json for Value {
    type Object = Map<String, Value>;
    fn kind(&self) -> Kind<'_> {
        match self {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => Kind::Number(n.as_str()),
            Value::String(s) => Kind::String(s),
            Value::Array(_) => Kind::Array,
            Value::Object(_) => Kind::Object,
        }
    }
    fn as_object(&self) -> Option<&Map<String, Value>> {
        Value::as_object(self)
    }
    fn as_array(&self) -> Option<&[Self]> {
        Value::as_array(self).map(Vec::as_slice)
    }
    fn to_json(&self) -> String {
        self.to_string()
    }
    fn as_i64(&self) -> Option<i64> {
        Value::as_i64(self)
    }
}

impl JsonObject for Map<String, Value> {
    type Value = Value;
    fn get(&self, key: &str) -> Option<&Value> {
        Map::get(self, key)
    }
    fn keys(&self) -> impl Iterator<Item = &str> {
        Map::keys(self).map(String::as_str)
    }
}

impl<'a> Json for Node<'a> {
    type Object = Vec<(&'a str, Node<'a>)>;
    fn kind(&self) -> Kind<'_> {
        match self {
            Node::Null => Kind::Null,
            Node::Bool(b) => Kind::Bool(*b),
            Node::Number(n) => Kind::Number(n),
            Node::String(s) => Kind::String(s),
            Node::Array(_) => Kind::Array,
            Node::Object(_) => Kind::Object,
        }
    }
    fn as_object(&self) -> Option<&Vec<(&'a str, Node<'a>)>> {
        match self {
            Node::Object(entries) => Some(entries),
            _ => None,
        }
    }
    fn as_array(&self) -> Option<&[Self]> {
        match self {
            Node::Array(items) => Some(items),
            _ => None,
        }
    }
    fn to_json(&self) -> String {
        Node::to_json(self)
    }
}

impl<'a> JsonObject for Vec<(&'a str, Node<'a>)> {
    type Value = Node<'a>;
    fn get(&self, key: &str) -> Option<&Node<'a>> {
        engage_jsonb::lookup(self, key)
    }
    fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| *k)
    }
}

/// A short description of a JSON value for error details: `a number (42)`, `an object`.
pub fn describe<V: Json>(value: &V) -> String {
    match value.kind() {
        Kind::Null => "null".to_string(),
        Kind::Bool(b) => format!("a boolean ({b})"),
        Kind::Number(n) => format!("a number ({n})"),
        Kind::String(s) => format!("a string ({})", quoted(s)),
        Kind::Array => match value.as_array().map(<[V]>::len) {
            Some(1) => "an array of 1 element".to_string(),
            n => format!("an array of {} elements", n.unwrap_or_default()),
        },
        Kind::Object => "an object".to_string(),
    }
}

/// A string quoted for a message, cut to a readable length.
pub fn quoted(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("{:?}…", cut)
    } else {
        format!("{s:?}")
    }
}

pub fn object<'v, V: Json>(value: &'v V, path: &Path) -> Result<&'v V::Object> {
    value.as_object().ok_or_else(|| {
        RequestError::invalid(format!("{} must be a JSON object", what(path)))
            .at_with(path, format!("got {}", describe(value)))
    })
}

pub fn array<'v, V: Json>(value: &'v V, path: &Path) -> Result<&'v [V]> {
    value.as_array().ok_or_else(|| {
        RequestError::invalid(format!("{} must be a JSON array", what(path)))
            .at_with(path, format!("got {}", describe(value)))
    })
}

/// The element a path names, for messages: `"contacts"`, or `the body` at the root.
fn what(path: &Path) -> String {
    match path {
        Path::Root => "the request body".to_string(),
        Path::Key(_, key) => format!("\"{key}\""),
        Path::Index(..) => "each element".to_string(),
    }
}

/// Refuses keys the request does not define, so that a typo is an error rather than ignored data.
pub fn known_keys<O: JsonObject>(map: &O, allowed: &[&str], path: &Path) -> Result<()> {
    for key in map.keys() {
        if !allowed.contains(&key) {
            let at = path.key(key);
            return Err(RequestError::invalid(format!("unknown key \"{key}\""))
                .at(&at)
                .with_hint(format!("accepted keys here: {}", allowed.join(", "))));
        }
    }
    Ok(())
}

/// A required key: present and not null.
pub fn required<'v, O: JsonObject>(map: &'v O, key: &str, path: &Path) -> Result<&'v O::Value> {
    match map.get(key) {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(RequestError::invalid(format!("\"{key}\" is required")).at(&path.key(key))),
    }
}

/// A required, non-empty string.
pub fn required_string<'v, O: JsonObject>(map: &'v O, key: &str, path: &Path) -> Result<&'v str> {
    let value = required(map, key, path)?;
    let here = path.key(key);
    let s = string(value, &here)?;
    if s.trim().is_empty() {
        return Err(RequestError::invalid(format!("\"{key}\" must not be empty")).at(&here));
    }
    Ok(s)
}

pub fn string<'v, V: Json>(value: &'v V, path: &Path) -> Result<&'v str> {
    value.as_str().ok_or_else(|| {
        RequestError::invalid(format!("{} must be a string", what(path)))
            .at_with(path, format!("got {}", describe(value)))
    })
}

/// A scalar given as a string or a number, as text (`"12345"` and `12345` both give `12345`).
pub fn scalar_text<V: Json>(value: &V, path: &Path) -> Result<String> {
    match value.kind() {
        Kind::String(s) => Ok(s.to_string()),
        Kind::Number(n) => Ok(n.to_string()),
        _ => Err(RequestError::invalid(format!("{} must be a string or a number", what(path)))
            .at_with(path, format!("got {}", describe(value)))),
    }
}

/// An optional key whose three states matter: absent (leave as is), null (clear), or a value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// The new value, for a column write: `None` clears.
    pub fn value(&self) -> Option<&T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }
}

/// Reads an optional string key as a patch; an empty string clears like null does.
pub fn string_patch<O: JsonObject>(map: &O, key: &str, path: &Path) -> Result<Patch<String>> {
    match map.get(key) {
        None => Ok(Patch::Keep),
        Some(v) if v.is_null() => Ok(Patch::Clear),
        Some(v) => {
            let s = string(v, &path.key(key))?.trim();
            Ok(if s.is_empty() { Patch::Clear } else { Patch::Set(s.to_string()) })
        }
    }
}

/// Checks a string against a length limit, counting characters.
pub fn max_chars(s: &str, max: usize, path: &Path) -> Result<()> {
    if s.chars().count() > max {
        return Err(RequestError::new(
            ErrorKind::InvalidParameterValue,
            format!("value is longer than {max} characters"),
        )
        .at_with(path, quoted(s)));
    }
    Ok(())
}

/// A required identifier or name: a string (or a number, for IDs), trimmed, not empty.
pub fn required_text<O: JsonObject>(map: &O, key: &str, at: &Path, max: usize) -> Result<String> {
    let here = at.key(key);
    let text = scalar_text(required(map, key, at)?, &here)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(RequestError::invalid(format!("\"{key}\" must not be empty")).at(&here));
    }
    max_chars(text, max, &here)?;
    Ok(text.to_string())
}

/// An optional string (or number); null and empty mean none.
pub fn optional_text<O: JsonObject>(map: &O, key: &str, at: &Path, max: usize) -> Result<Option<String>> {
    let here = at.key(key);
    match map.get(key).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(v) => {
            let text = scalar_text(v, &here)?;
            let text = text.trim();
            max_chars(text, max, &here)?;
            Ok((!text.is_empty()).then(|| text.to_string()))
        }
    }
}

/// A value that is not what the key holds: `"-5" is not an amount`, with why as a hint.
pub fn bad_text(at: &Path, raw: &str, what: &str, why: &str) -> RequestError {
    RequestError::new(ErrorKind::InvalidTextRepresentation, format!("{} is not {what}", quoted(raw)))
        .at(at)
        .with_hint(why)
}

/// `value` as a borrowed decode of its `jsonb` gives it (object keys sorted, shorter first): for
/// tests that check a reader gives the same result on both.
#[cfg(test)]
pub(crate) fn node(value: &Value) -> Node<'_> {
    match value {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => Node::Number(n.to_string()),
        Value::String(s) => Node::String(s),
        Value::Array(items) => Node::Array(items.iter().map(node).collect()),
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().map(|(k, v)| (k.as_str(), node(v))).collect();
            entries.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then(a.cmp(b)));
            Node::Object(entries)
        }
    }
}

/// A body that is `{"<key>": [...]}`: the list, not empty and at most `max` long (54000 past it).
pub fn body_list<'v, V: Json>(body: &'v V, key: &str, max: usize) -> Result<&'v [V]> {
    let root = Path::Root;
    let map = object(body, &root)?;
    known_keys(map, &[key], &root)?;
    let list_at = root.key(key);
    let items = array(required(map, key, &root)?, &list_at)?;
    if items.is_empty() {
        return Err(RequestError::invalid(format!("\"{key}\" is empty")).at(&list_at));
    }
    if items.len() > max {
        return Err(RequestError::new(
            ErrorKind::ProgramLimitExceeded,
            format!("a call takes at most {max} {key}"),
        )
        .at_with(&list_at, format!("got {}", items.len()))
        .with_hint(format!("Split the {key} over several calls.")));
    }
    Ok(items)
}
