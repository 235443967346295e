//! `unsubscribe_emails` / `remove_unsubscribed_emails` body: `{"emails":["…"]}`.

use crate::channel::ChannelType;
use crate::error::{RequestError, Result};
use crate::json;
use crate::path::Path;
use serde_json::Value;

/// The normalised addresses of the body, each once, in the order given.
pub fn parse_email_list(body: &Value) -> Result<Vec<String>> {
    let root = Path::Root;
    let map = json::object(body, &root)?;
    json::known_keys(map, &["emails"], &root)?;
    let at = root.key("emails");
    let items = json::array(json::required(map, "emails", &root)?, &at)?;
    if items.is_empty() {
        return Err(RequestError::invalid("\"emails\" is empty").at(&at));
    }
    let mut seen = std::collections::HashSet::new();
    let mut emails = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        crate::interrupt::tick();
        let here = at.index(i);
        let email = ChannelType::Email.normalize_at(json::string(item, &here)?, &here)?;
        if seen.insert(email.clone()) {
            emails.push(email);
        }
    }
    Ok(emails)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn addresses_are_normalised_once() {
        let list = parse_email_list(&json!({"emails": ["A@x.io", "b@x.io", "a@X.io"]})).unwrap();
        assert_eq!(list, vec!["a@x.io", "b@x.io"]);
    }

    #[test]
    fn bad_lists_say_where() {
        for (body, state, detail) in [
            (json!({}), "22023", "at emails"),
            (json!({"emails": []}), "22023", "at emails"),
            (json!({"emails": "a@x.io"}), "22023", "at emails: got a string"),
            (json!({"emails": ["a@x.io", "nope"]}), "22P02", "at emails[1]"),
            (json!({"emails": ["a@x.io", 5]}), "22023", "at emails[1]: got a number (5)"),
        ] {
            let err = parse_email_list(&body).unwrap_err();
            assert_eq!(err.kind.sqlstate(), state, "{body}: {err}");
            assert!(err.detail.as_deref().unwrap_or("").starts_with(detail), "{body}: {err}");
        }
    }
}
