//! `subscribe_contact` body: `{"contact":{…}, "groups":["Subscribers"]}`.

use crate::contact::{parse_contact, ContactInput, Context, FieldSelection};
use crate::error::{RequestError, Result};
use crate::json::{self, quoted};
use crate::path::Path;
use serde_json::Value;

#[derive(Debug)]
pub struct SubscribeRequest {
    pub contact: ContactInput,
    /// Static groups to add the contact to, created if missing; trimmed, without repeats.
    pub groups: Vec<String>,
}

pub fn parse_subscribe(body: &Value, ctx: &Context) -> Result<SubscribeRequest> {
    let root = Path::Root;
    let map = json::object(body, &root)?;
    json::known_keys(map, &["contact", "groups"], &root)?;
    let at = root.key("contact");
    let contact = parse_contact(json::required(map, "contact", &root)?, &at, ctx, &FieldSelection::All)?;
    if contact.channels.is_empty() {
        return Err(RequestError::invalid("a subscription needs at least one channel")
            .at(&at.key("channels"))
            .with_hint(r#"for example "channels": [{"type": "email", "value": "name@example.com"}]"#));
    }
    let mut groups: Vec<String> = Vec::new();
    if let Some(v) = map.get("groups").filter(|v| !v.is_null()) {
        let list_at = root.key("groups");
        for (i, item) in json::array(v, &list_at)?.iter().enumerate() {
            let here = list_at.index(i);
            let name = json::string(item, &here)?.trim();
            if name.is_empty() {
                return Err(RequestError::invalid("a group name must not be empty").at(&here));
            }
            json::max_chars(name, 255, &here)?;
            if groups.iter().any(|g| g == name) {
                return Err(
                    RequestError::invalid(format!("group {} is listed twice", quoted(name))).at(&here)
                );
            }
            groups.push(name.to_string());
        }
    }
    Ok(SubscribeRequest { contact, groups })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Catalog;
    use serde_json::json;

    fn parse(body: Value) -> Result<SubscribeRequest> {
        let cat = Catalog::default();
        parse_subscribe(&body, &Context { catalog: &cat, time_zone: &|_| None })
    }

    #[test]
    fn the_documented_bodies_parse() {
        let r =
            parse(json!({"contact": {"channels": [{"type": "email", "value": "a@example.com"}]}})).unwrap();
        assert!(r.groups.is_empty());
        let r = parse(json!({
            "contact": {"firstName": "Dina", "channels": [{"type": "email", "value": "a@example.com"}]},
            "groups": [" Subscribers "]
        }))
        .unwrap();
        assert_eq!(r.groups, vec!["Subscribers"]);
    }

    #[test]
    fn bad_bodies_say_where() {
        let ch = json!([{"type": "email", "value": "a@example.com"}]);
        for (body, detail) in [
            (json!({}), "at contact"),
            (json!({"contact": {}}), "at contact.channels"),
            (json!({"contact": {"channels": []}}), "at contact.channels"),
            (json!({"contact": {"channels": ch}, "groups": "Subscribers"}), "at groups: got a string"),
            (json!({"contact": {"channels": ch}, "groups": [""]}), "at groups[0]"),
            (json!({"contact": {"channels": ch}, "groups": ["a", "a"]}), "at groups[1]"),
            (json!({"contact": {"channels": ch}, "groups": [1]}), "at groups[0]: got a number (1)"),
        ] {
            let err = parse(body.clone()).unwrap_err();
            assert!(err.detail.as_deref().unwrap_or("").starts_with(detail), "{body}: {err}");
        }
    }
}
