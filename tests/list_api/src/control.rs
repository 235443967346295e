//! What tests steer and inspect: queued one-shot behaviours and the log of list requests.

use std::time::Duration;

use serde_json::{json, Value};

use crate::http;

/// One queued behaviour, consumed by exactly one list request.
#[derive(Default)]
pub struct Canned {
    pub delay: Option<Duration>,
    pub drop: bool,
    /// When set, the answer, given without applying the request.
    pub status: Option<u16>,
    body: Option<Value>,
    msg: Option<String>,
}

impl Canned {
    /// The body to send with `status`: the one given, else Iterable's error shape.
    pub fn body(&self, status: u16) -> Value {
        self.body.clone().unwrap_or_else(|| {
            message(self.msg.as_deref().unwrap_or(http::reason(status)), default_code(status))
        })
    }
}

/// Iterable's message shape, used for errors and for `ok`.
pub fn message(msg: &str, code: &str) -> Value {
    json!({"msg": msg, "code": code, "params": null})
}

/// A plausible Iterable `code` for a status nobody gave a body for.
pub fn default_code(status: u16) -> &'static str {
    match status {
        200..=299 => "Success",
        400 => "BadParams",
        401 => "BadApiKey",
        403 => "Forbidden",
        404 => "NotFound",
        429 => "RateLimitExceeded",
        _ => "GenericError",
    }
}

/// Parses a `/control/responses` body. Unknown keys are refused so that a misspelt behaviour
/// fails the test that queued it instead of silently doing nothing. `Err` is the message.
pub fn parse_canned(body: Value) -> Result<Vec<Canned>, String> {
    let Value::Array(items) = body else {
        return Err("body must be a JSON array of behaviours".into());
    };
    items.into_iter().enumerate().map(|(i, item)| parse_one(i, item)).collect()
}

fn parse_one(i: usize, item: Value) -> Result<Canned, String> {
    let Value::Object(fields) = item else {
        return Err(format!("[{i}] must be an object"));
    };
    let mut canned = Canned::default();
    for (name, value) in fields {
        let bad = || format!("[{i}].{name} has the wrong type or range");
        match name.as_str() {
            "status" => {
                let status = value.as_u64().filter(|s| (200..=599).contains(s)).ok_or_else(bad)?;
                canned.status = Some(status as u16);
            }
            "delay_ms" => canned.delay = Some(Duration::from_millis(value.as_u64().ok_or_else(bad)?)),
            "drop" => canned.drop = value.as_bool().ok_or_else(bad)?,
            "msg" => canned.msg = Some(value.as_str().ok_or_else(bad)?.to_string()),
            "body" => canned.body = Some(value),
            _ => return Err(format!("[{i}].{name} is not one of status, body, msg, delay_ms, drop")),
        }
    }
    if canned.drop && canned.status.is_some() {
        return Err(format!("[{i}] cannot both drop and answer a status"));
    }
    if canned.status.is_none() && (canned.body.is_some() || canned.msg.is_some()) {
        return Err(format!("[{i}] has a body or msg but no status"));
    }
    Ok(canned)
}

/// One request to a list endpoint, as `/control/requests` shows it.
pub struct Logged {
    /// Arrival number, so an answer finds its entry even after other requests or a reset.
    pub seq: u64,
    pub path: String,
    pub api_key: Option<String>,
    pub content_type: Option<String>,
    /// Kept raw and parsed only when shown: the bytes are smaller than a parsed value, and a
    /// benchmark may log many large bodies.
    pub body: Vec<u8>,
    /// `None` until answered, and for good when dropped.
    pub status: Option<u16>,
}

impl Logged {
    pub fn to_json(&self) -> Value {
        let body = serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&self.body).into_owned()));
        json!({
            "path": self.path,
            "apiKey": self.api_key,
            "contentType": self.content_type,
            "body": body,
            "status": self.status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaviours_parse_and_mistakes_are_refused() {
        let ok = parse_canned(
            json!([{"status": 429}, {"delay_ms": 5, "status": 503, "msg": "busy"}, {"drop": true}]),
        )
        .unwrap();
        assert_eq!(
            ok[0].body(429),
            json!({"msg": "Too Many Requests", "code": "RateLimitExceeded", "params": null})
        );
        assert_eq!(ok[1].body(503), json!({"msg": "busy", "code": "GenericError", "params": null}));
        assert_eq!(ok[1].delay, Some(Duration::from_millis(5)));
        assert!(ok[2].drop && ok[2].status.is_none());
        for bad in [
            json!({}),
            json!([{"stauts": 500}]),
            json!([{"status": 99}]),
            json!([{"status": 500, "drop": true}]),
            json!([{"body": {}}]),
            json!([{"delay_ms": -1}]),
        ] {
            assert!(parse_canned(bad).is_err());
        }
    }
}
