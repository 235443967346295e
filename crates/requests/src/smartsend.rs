//! The Send prepared message body (`smartsend`, spec 002): `{"recipients":[{"locator",
//! "jsonParam"}], "externalRequestId"}`. `jsonParam` is JSON text (quotes escaped, as
//! documented) or, for SQL callers, the object itself.

use crate::channel::ChannelType;
use crate::error::{ErrorKind, RequestError, Result};
use crate::json;
use crate::path::Path;
use serde_json::{Map, Value};

/// The most recipients one call takes.
pub const MAX_RECIPIENTS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Recipient {
    /// Normalized for the channel (emails lower-case, phones digits only).
    pub locator: String,
    /// What the message sees as `$data`.
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SmartSend {
    pub recipients: Vec<Recipient>,
    pub external_request_id: Option<String>,
}

/// Parses a smartsend body for a message that goes out on `channel`.
pub fn parse_smartsend(body: &Value, channel: ChannelType) -> Result<SmartSend> {
    let root = Path::Root;
    let map = json::object(body, &root)?;
    json::known_keys(map, &["recipients", "externalRequestId"], &root)?;
    let list_at = root.key("recipients");
    let items = json::array(json::required(map, "recipients", &root)?, &list_at)?;
    if items.is_empty() {
        return Err(RequestError::invalid("\"recipients\" is empty").at(&list_at));
    }
    if items.len() > MAX_RECIPIENTS {
        return Err(RequestError::new(
            ErrorKind::ProgramLimitExceeded,
            format!("{} recipients, over the limit of {MAX_RECIPIENTS} per call", items.len()),
        )
        .at(&list_at)
        .with_hint("split the recipients into calls of at most 1,000"));
    }
    let recipients = items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = list_at.index(i);
            let r = json::object(item, &at)?;
            json::known_keys(r, &["locator", "jsonParam"], &at)?;
            let locator =
                channel.normalize_at(json::required_string(r, "locator", &at)?, &at.key("locator"))?;
            let data = json_param(r.get("jsonParam"), &at.key("jsonParam"))?;
            Ok(Recipient { locator, data })
        })
        .collect::<Result<Vec<_>>>()?;
    let external_request_id = match map.get("externalRequestId") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let at = root.key("externalRequestId");
            let id = json::scalar_text(v, &at)?.trim().to_string();
            json::max_chars(&id, 255, &at)?;
            Some(id)
        }
    };
    Ok(SmartSend { recipients, external_request_id })
}

/// `jsonParam`: JSON text holding an object, or the object; absent means no data.
fn json_param(value: Option<&Value>, at: &Path) -> Result<Value> {
    let parsed = match value {
        None | Some(Value::Null) => return Ok(Value::Object(Map::new())),
        Some(Value::String(text)) if text.trim().is_empty() => return Ok(Value::Object(Map::new())),
        Some(Value::String(text)) => serde_json::from_str::<Value>(text).map_err(|e| {
            RequestError::new(ErrorKind::InvalidTextRepresentation, format!("\"jsonParam\" is not JSON: {e}"))
                .at(at)
                .with_hint("jsonParam is a JSON object written as a string, quotes escaped: \"{\\\"discount\\\":\\\"10%\\\"}\"")
        })?,
        Some(v) => v.clone(),
    };
    if !parsed.is_object() {
        return Err(RequestError::invalid("\"jsonParam\" must hold a JSON object")
            .at_with(at, format!("got {}", json::describe(&parsed))));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_param_is_escaped_text_or_the_object() {
        let body = json!({"recipients": [
            {"locator": " Dina@Example.com ", "jsonParam": "{\"discount\":\"10%\",\"items\":[1,2]}"},
            {"locator": "b@example.com", "jsonParam": {"discount": "5%"}},
            {"locator": "c@example.com"}
        ], "externalRequestId": 77});
        let s = parse_smartsend(&body, ChannelType::Email).unwrap();
        assert_eq!(s.recipients[0].locator, "dina@example.com");
        assert_eq!(s.recipients[0].data, json!({"discount": "10%", "items": [1, 2]}));
        assert_eq!(s.recipients[1].data, json!({"discount": "5%"}));
        assert_eq!(s.recipients[2].data, json!({}));
        assert_eq!(s.external_request_id.as_deref(), Some("77"));
    }

    #[test]
    fn bad_bodies_name_the_element() {
        let cases = [
            (json!({}), "\"recipients\" is required", "at recipients"),
            (json!({"recipients": []}), "is empty", "at recipients"),
            (json!({"recipients": [{"locator": "x"}]}), "invalid email", "at recipients[0].locator"),
            (
                json!({"recipients": [{"locator": "a@b.co", "jsonParam": "{oops"}]}),
                "not JSON",
                "at recipients[0].jsonParam",
            ),
            (
                json!({"recipients": [{"locator": "a@b.co", "jsonParam": "[1]"}]}),
                "JSON object",
                "at recipients[0].jsonParam",
            ),
            (
                json!({"recipients": [{"locator": "a@b.co", "to": 1}]}),
                "unknown key \"to\"",
                "at recipients[0].to",
            ),
        ];
        for (body, message, detail) in cases {
            let e = parse_smartsend(&body, ChannelType::Email).unwrap_err();
            assert!(e.message.contains(message), "{body}: {}", e.message);
            assert!(e.detail.as_deref().unwrap_or_default().starts_with(detail), "{body}: {:?}", e.detail);
        }
        let many: Vec<Value> = (0..1001).map(|i| json!({"locator": format!("a{i}@b.co")})).collect();
        let e = parse_smartsend(&json!({"recipients": many}), ChannelType::Email).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ProgramLimitExceeded);
        let phones =
            parse_smartsend(&json!({"recipients": [{"locator": "+380 94 258 3691"}]}), ChannelType::Sms)
                .unwrap();
        assert_eq!(phones.recipients[0].locator, "380942583691");
    }
}
