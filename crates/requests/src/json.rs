//! Reading a `serde_json::Value` with errors that point into the body. Every reader takes the
//! path of the element it reads so the error can name it.

use crate::error::{ErrorKind, RequestError, Result};
use crate::path::Path;
use serde_json::{Map, Value};

/// A short description of a JSON value for error details: `a number (42)`, `an object`.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({})", quoted(s)),
        Value::Array(a) if a.len() == 1 => "an array of 1 element".to_string(),
        Value::Array(a) => format!("an array of {} elements", a.len()),

        Value::Object(_) => "an object".to_string(),
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

pub fn object<'v>(value: &'v Value, path: &Path) -> Result<&'v Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        RequestError::invalid(format!("{} must be a JSON object", what(path)))
            .at_with(path, format!("got {}", describe(value)))
    })
}

pub fn array<'v>(value: &'v Value, path: &Path) -> Result<&'v Vec<Value>> {
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
pub fn known_keys(map: &Map<String, Value>, allowed: &[&str], path: &Path) -> Result<()> {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let at = path.key(key);
            return Err(RequestError::invalid(format!("unknown key \"{key}\""))
                .at(&at)
                .with_hint(format!("accepted keys here: {}", allowed.join(", "))));
        }
    }
    Ok(())
}

/// A required key: present and not null.
pub fn required<'v>(map: &'v Map<String, Value>, key: &str, path: &Path) -> Result<&'v Value> {
    match map.get(key) {
        Some(Value::Null) | None => {
            Err(RequestError::invalid(format!("\"{key}\" is required")).at(&path.key(key)))
        }
        Some(v) => Ok(v),
    }
}

/// A required, non-empty string.
pub fn required_string<'v>(map: &'v Map<String, Value>, key: &str, path: &Path) -> Result<&'v str> {
    let value = required(map, key, path)?;
    let here = path.key(key);
    let s = string(value, &here)?;
    if s.trim().is_empty() {
        return Err(RequestError::invalid(format!("\"{key}\" must not be empty")).at(&here));
    }
    Ok(s)
}

pub fn string<'v>(value: &'v Value, path: &Path) -> Result<&'v str> {
    value.as_str().ok_or_else(|| {
        RequestError::invalid(format!("{} must be a string", what(path)))
            .at_with(path, format!("got {}", describe(value)))
    })
}

/// A scalar given as a string or a number, as text (`"12345"` and `12345` both give `12345`).
pub fn scalar_text(value: &Value, path: &Path) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(RequestError::invalid(format!("{} must be a string or a number", what(path)))
            .at_with(path, format!("got {}", describe(other)))),
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
pub fn string_patch(map: &Map<String, Value>, key: &str, path: &Path) -> Result<Patch<String>> {
    match map.get(key) {
        None => Ok(Patch::Keep),
        Some(Value::Null) => Ok(Patch::Clear),
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
