//! `generate_event` body (Generate event v2): `{"eventTypeKey", "keyValue", "params":[{name, value}]}`.

use crate::channel::{normalize_email, normalize_phone};
use crate::error::{ErrorKind, RequestError, Result};
use crate::json::{self, quoted};
use crate::path::Path;
use serde_json::{Map, Value};

/// The documented limit of an event body: 20 KB.
pub const MAX_EVENT_BODY_BYTES: usize = 20 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct EventRequest {
    pub type_key: String,
    pub key_value: String,
    /// Params by name, in the order given; a value is any JSON (a string or an object usually).
    pub params: Map<String, Value>,
}

/// Parses an event body. The 20 KB limit applies to the body as compact JSON text, so the
/// spacing a client or `jsonb` output adds does not count.
pub fn parse_event(body: &Value) -> Result<EventRequest> {
    parse_event_at(body, &Path::Root)
}

/// Parses a list of event bodies (`generate_events`): all of them, or an error naming the element.
pub fn parse_event_list(bodies: &Value) -> Result<Vec<EventRequest>> {
    let root = Path::Root;
    let items = json::array(bodies, &root)?;
    if items.is_empty() {
        return Err(RequestError::invalid("the list of events is empty").at(&root));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, body)| {
            crate::interrupt::tick();
            parse_event_at(body, &root.index(i))
        })
        .collect()
}

fn parse_event_at(body: &Value, root: &Path) -> Result<EventRequest> {
    let size = compact_size(body);
    if size > MAX_EVENT_BODY_BYTES {
        let err = RequestError::new(
            ErrorKind::ProgramLimitExceeded,
            format!("event body is {size} bytes, over the limit of {MAX_EVENT_BODY_BYTES} bytes (20 KB)"),
        )
        .with_hint("send large data as a reference (an ID or URL) and load it in the workflow");
        return Err(if matches!(root, Path::Root) { err } else { err.at(root) });
    }
    let map = json::object(body, root)?;
    json::known_keys(map, &["eventTypeKey", "keyValue", "params"], root)?;

    let type_key = json::required_string(map, "eventTypeKey", root)?.trim().to_string();
    check_type_key(&type_key).map_err(|e| e.at(&root.key("eventTypeKey")))?;

    let key_at = root.key("keyValue");
    let key_value = json::scalar_text(json::required(map, "keyValue", root)?, &key_at)?.trim().to_string();
    if key_value.is_empty() {
        return Err(RequestError::invalid("\"keyValue\" must not be empty").at(&key_at));
    }
    json::max_chars(&key_value, 255, &key_at)?;

    let mut params = Map::new();
    if let Some(v) = map.get("params").filter(|v| !v.is_null()) {
        let list_at = root.key("params");
        for (i, item) in json::array(v, &list_at)?.iter().enumerate() {
            let at = list_at.index(i);
            let p = json::object(item, &at)?;
            json::known_keys(p, &["name", "value"], &at)?;
            let name = json::required_string(p, "name", &at)?.trim();
            json::max_chars(name, 255, &at.key("name"))?;
            if params.contains_key(name) {
                return Err(RequestError::invalid(format!("param {} is given twice", quoted(name)))
                    .at(&at.key("name")));
            }
            params.insert(name.to_string(), p.get("value").cloned().unwrap_or(Value::Null));
        }
    }
    Ok(EventRequest { type_key, key_value, params })
}

/// The length of a value's compact JSON text, counted without building it.
fn compact_size(value: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).map(|_| count.0).unwrap_or(usize::MAX)
}

/// An event type key: 1 to 100 letters, digits, `_`, `-`, `.` or `:` (`regularEventType-170531841`).
pub fn check_type_key(key: &str) -> Result<()> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "_-.:".contains(c);
    if key.is_empty() || key.len() > 100 || !key.chars().all(ok_char) {
        return Err(RequestError::invalid(format!("invalid event type key {}", quoted(key)))
            .with_hint("an event type key has 1 to 100 letters, digits, _, -, . or :"));
    }
    Ok(())
}

/// What a key value could identify. The contact is looked up in this order: email (when the
/// value is an address), external ID, phone number, internal contact ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCandidates {
    pub email: Option<String>,
    pub external_id: String,
    pub phone: Option<String>,
    pub contact_id: Option<i64>,
}

pub fn key_candidates(key: &str) -> KeyCandidates {
    let key = key.trim();
    let email = key.contains('@').then(|| normalize_email(key).ok()).flatten();
    KeyCandidates {
        phone: if email.is_some() { None } else { normalize_phone(key).ok() },
        contact_id: key.parse::<i64>().ok().filter(|id| *id > 0),
        external_id: key.to_string(),
        email,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<EventRequest> {
        parse_event(&body)
    }

    #[test]
    fn the_documented_body_parses_in_order() {
        let e = parse(json!({
            "eventTypeKey": "create_contact",
            "keyValue": "dina@example.com",
            "params": [
                {"name": "phone", "value": "380501234567"},
                {"name": "json", "value": {"profileInputs": [{"profileInputId": 10001, "value": "2020-11-23"}]}},
                {"name": "discount", "value": "5%"}
            ]
        }))
        .unwrap();
        assert_eq!(e.type_key, "create_contact");
        assert_eq!(e.params.keys().collect::<Vec<_>>(), vec!["phone", "json", "discount"]);
        assert_eq!(e.params["json"]["profileInputs"][0]["profileInputId"], json!(10001));
    }

    #[test]
    fn bad_bodies_say_where() {
        for (body, state, detail) in [
            (json!({}), "22023", "at eventTypeKey"),
            (json!({"eventTypeKey": "x"}), "22023", "at keyValue"),
            (json!({"eventTypeKey": "has space", "keyValue": "k"}), "22023", "at eventTypeKey"),
            (json!({"eventTypeKey": "x", "keyValue": " "}), "22023", "at keyValue"),
            (json!({"eventTypeKey": "x", "keyValue": {}}), "22023", "at keyValue: got an object"),
            (json!({"eventTypeKey": "x", "keyValue": "k", "params": {}}), "22023", "at params"),
            (
                json!({"eventTypeKey": "x", "keyValue": "k", "params": [{"value": 1}]}),
                "22023",
                "at params[0].name",
            ),
            (
                json!({"eventTypeKey": "x", "keyValue": "k", "params": [{"name": "a"}, {"name": "a"}]}),
                "22023",
                "at params[1].name",
            ),
            (
                json!({"eventTypeKey": "x", "keyValue": "k", "params": [{"name": "a", "val": 1}]}),
                "22023",
                "at params[0].val",
            ),
        ] {
            let err = parse(body.clone()).unwrap_err();
            assert_eq!(err.kind.sqlstate(), state, "{body}: {err}");
            assert!(err.detail.as_deref().unwrap_or("").starts_with(detail), "{body}: {err}");
        }
    }

    #[test]
    fn lists_point_at_the_element() {
        let good = json!({"eventTypeKey": "x", "keyValue": "k"});
        assert_eq!(parse_event_list(&json!([good, good])).unwrap().len(), 2);
        let err = parse_event_list(
            &json!([good, {"eventTypeKey": "x", "keyValue": "k", "params": [{"value": 1}]}]),
        )
        .unwrap_err();
        assert_eq!(err.detail.as_deref(), Some("at [1].params[0].name"));
        assert_eq!(parse_event_list(&json!([])).unwrap_err().kind, ErrorKind::InvalidParameterValue);
        assert!(parse_event_list(&json!({"eventTypeKey": "x"}))
            .unwrap_err()
            .message
            .contains("must be a JSON array"));
        let big = json!({"eventTypeKey": "x", "keyValue": "k", "params": [{"name": "p", "value": "a".repeat(MAX_EVENT_BODY_BYTES)}]});
        let err = parse_event_list(&json!([good, big])).unwrap_err();
        assert_eq!((err.kind, err.detail.as_deref()), (ErrorKind::ProgramLimitExceeded, Some("at [1]")));
    }

    #[test]
    fn bodies_over_20_kb_are_refused() {
        let filler = |n: usize| json!({"eventTypeKey": "x", "keyValue": "k", "params": [{"name": "p", "value": "a".repeat(n)}]});
        let overhead = filler(0).to_string().len();
        assert!(parse(filler(MAX_EVENT_BODY_BYTES - overhead)).is_ok(), "exactly 20 KB is allowed");
        let err = parse(filler(MAX_EVENT_BODY_BYTES - overhead + 1)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::ProgramLimitExceeded);
        assert!(err.message.contains("20481 bytes"), "{err}");
    }

    #[test]
    fn key_values_name_their_candidates() {
        let k = key_candidates("Dina@Example.com");
        assert_eq!((k.email.as_deref(), k.phone, k.contact_id), (Some("dina@example.com"), None, None));
        let k = key_candidates("+380 50 123 4567");
        assert_eq!((k.email, k.phone.as_deref(), k.contact_id), (None, Some("380501234567"), None));
        let k = key_candidates("623927159");
        assert_eq!((k.phone.as_deref(), k.contact_id), (Some("623927159"), Some(623927159)));
        let k = key_candidates("AV13760");
        assert_eq!((k.email, k.phone, k.contact_id, k.external_id.as_str()), (None, None, None, "AV13760"));
    }
}
