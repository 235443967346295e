//! The list endpoints' meaning: body validation, list membership and the rejection rules, and
//! the `UserBulkUpdateListResponse` they answer with.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map, Value};

/// The `failedUpdates` lists, in the order Iterable's api-docs.json gives them. Even indexes hold
/// emails, odd ones userIds; the rejection rules use the same names and indexes.
pub const FAILURE_LISTS: [&str; 10] = [
    "invalidEmails",
    "invalidUserIds",
    "notFoundEmails",
    "notFoundUserIds",
    "forgottenEmails",
    "forgottenUserIds",
    "conflictEmails",
    "conflictUserIds",
    "invalidDataEmails",
    "invalidDataUserIds",
];
const NOT_FOUND_EMAILS: usize = 2;

/// Iterable's limit on one request.
pub const MAX_SUBSCRIBERS: usize = 1000;

#[derive(Clone, Copy)]
pub enum Op {
    Subscribe,
    Unsubscribe,
}

/// A validated subscribe or unsubscribe body.
pub struct ListRequest {
    list_id: i64,
    subscribers: Vec<Subscriber>,
}

struct Subscriber {
    email: Option<String>,
    user_id: Option<String>,
    data_fields: Option<Value>,
}

impl Subscriber {
    /// The member key: the email lowercased when there is one, else the userId.
    fn key(&self) -> String {
        match (&self.email, &self.user_id) {
            (Some(email), _) => email.to_lowercase(),
            (None, Some(user_id)) => user_id.clone(),
            (None, None) => String::new(), // parse() lets no such subscriber through
        }
    }

    /// Where and how the subscriber is named among the failures of one kind: in the email list
    /// with the email as the request spelt it when there is one, else in the userId list after it.
    fn failure(&self, email_list: usize) -> (usize, String) {
        match &self.email {
            Some(email) => (email_list, email.clone()),
            None => (email_list + 1, self.user_id.clone().unwrap_or_default()),
        }
    }
}

/// Checks a body before anything is applied, so a 400 changes nothing. `Err` is the message.
pub fn parse(body: Result<Value, serde_json::Error>) -> Result<ListRequest, String> {
    let body = body.map_err(|e| format!("body is not valid JSON: {e}"))?;
    let Value::Object(mut body) = body else {
        return Err("body must be a JSON object".into());
    };
    let list_id = body.get("listId").and_then(Value::as_i64).ok_or("listId must be an integer")?;
    let Some(Value::Array(items)) = body.remove("subscribers") else {
        return Err("subscribers must be an array".into());
    };
    if items.len() > MAX_SUBSCRIBERS {
        return Err(format!(
            "subscribers has {} entries; at most {MAX_SUBSCRIBERS} are allowed",
            items.len()
        ));
    }
    let subscribers = items.into_iter().enumerate().map(|(i, item)| parse_subscriber(i, item));
    Ok(ListRequest { list_id, subscribers: subscribers.collect::<Result<_, _>>()? })
}

fn parse_subscriber(i: usize, item: Value) -> Result<Subscriber, String> {
    let Value::Object(mut fields) = item else {
        return Err(format!("subscribers[{i}] must be an object"));
    };
    let mut text = |name: &str| match fields.remove(name) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let (email, user_id) = (text("email"), text("userId"));
    if email.is_none() && user_id.is_none() {
        return Err(format!("subscribers[{i}] needs a string email or userId"));
    }
    let data_fields = fields.remove("dataFields").filter(|v| !v.is_null());
    Ok(Subscriber { email, user_id, data_fields })
}

#[derive(Default)]
pub struct Lists {
    /// listId -> member key -> the member's last dataFields; a BTreeMap so views come sorted.
    members: HashMap<i64, BTreeMap<String, Value>>,
    /// Per failure list (indexes of FAILURE_LISTS): the identifiers to reject, emails lowercased.
    rules: [HashSet<String>; 10],
}

impl Lists {
    /// Applies a validated request and builds the `UserBulkUpdateListResponse`.
    pub fn apply(&mut self, op: Op, request: ListRequest) -> Value {
        let mut failed: [Vec<String>; 10] = Default::default();
        let mut success_count = 0u64;
        let list = self.members.entry(request.list_id).or_default();
        for sub in request.subscribers {
            if let Some((index, name)) = rejection(&self.rules, &sub) {
                failed[index].push(name);
                continue;
            }
            match op {
                Op::Subscribe => {
                    let data_fields = list.entry(sub.key()).or_insert_with(|| json!({}));
                    // A subscriber without dataFields leaves the member's earlier ones.
                    if let Some(new) = sub.data_fields {
                        *data_fields = new;
                    }
                }
                Op::Unsubscribe => {
                    if list.remove(&sub.key()).is_none() {
                        let (index, name) = sub.failure(NOT_FOUND_EMAILS);
                        failed[index].push(name);
                        continue;
                    }
                }
            }
            success_count += 1;
        }
        response(success_count, failed)
    }

    /// Replaces the rejection rules from a `/control/reject` body. `Err` is the message.
    pub fn set_rules(&mut self, body: Value) -> Result<(), String> {
        let Value::Object(body) = body else {
            return Err("body must be a JSON object of failedUpdates lists".into());
        };
        let mut rules: [HashSet<String>; 10] = Default::default();
        for (name, ids) in body {
            let Some(index) = FAILURE_LISTS.iter().position(|list| *list == name) else {
                return Err(format!("{name:?} is not one of {}", FAILURE_LISTS.join(", ")));
            };
            let Value::Array(ids) = ids else {
                return Err(format!("{name} must be an array of strings"));
            };
            for id in ids {
                let Value::String(id) = id else {
                    return Err(format!("{name} must be an array of strings"));
                };
                rules[index].insert(if index % 2 == 0 { id.to_lowercase() } else { id });
            }
        }
        self.rules = rules;
        Ok(())
    }

    /// `{"listId": n, "members": [{"key", "dataFields"}...]}`, sorted by key; an unknown list is
    /// empty.
    pub fn view(&self, list_id: i64) -> Value {
        let members = self.members.get(&list_id).into_iter().flatten();
        let members: Vec<Value> =
            members.map(|(key, data_fields)| json!({"key": key, "dataFields": data_fields})).collect();
        json!({"listId": list_id, "members": members})
    }
}

/// The first failure list, in `failedUpdates` order, whose rule names the subscriber's email or
/// userId, and the name to report there.
fn rejection(rules: &[HashSet<String>; 10], sub: &Subscriber) -> Option<(usize, String)> {
    let email = sub.email.as_ref().map(|e| (e.to_lowercase(), e));
    rules.iter().enumerate().find_map(|(index, rule)| {
        if index % 2 == 0 {
            let (lowered, spelt) = email.as_ref()?;
            rule.contains(lowered).then(|| (index, spelt.to_string()))
        } else {
            let user_id = sub.user_id.as_ref()?;
            rule.contains(user_id).then(|| (index, user_id.clone()))
        }
    })
}

fn response(success_count: u64, failed: [Vec<String>; 10]) -> Value {
    let fail_count: usize = failed.iter().map(Vec::len).sum();
    let (invalid_emails, invalid_user_ids) = (failed[0].clone(), failed[1].clone());
    let failed_updates: Map<String, Value> =
        FAILURE_LISTS.iter().zip(failed).map(|(name, ids)| (name.to_string(), json!(ids))).collect();
    json!({
        "successCount": success_count,
        "failCount": fail_count,
        // Deprecated copies of failedUpdates' invalid lists, still in the documented response.
        "invalidEmails": invalid_emails,
        "invalidUserIds": invalid_user_ids,
        "failedUpdates": failed_updates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Result<Value, serde_json::Error> {
        Ok(value)
    }

    #[test]
    fn validation_messages() {
        let err = |v: Value| parse(body(v)).err().unwrap_or_default();
        assert_eq!(err(json!([])), "body must be a JSON object");
        assert_eq!(err(json!({"listId": "7", "subscribers": []})), "listId must be an integer");
        assert_eq!(err(json!({"listId": 7.5, "subscribers": []})), "listId must be an integer");
        assert_eq!(err(json!({"listId": 7})), "subscribers must be an array");
        assert_eq!(err(json!({"listId": 7, "subscribers": [1]})), "subscribers[0] must be an object");
        assert_eq!(
            err(json!({"listId": 7, "subscribers": [{"email": "a@x.com"}, {"email": 3}]})),
            "subscribers[1] needs a string email or userId"
        );
        assert!(parse(serde_json::from_str("{")).is_err());
    }

    #[test]
    fn email_rules_match_lowercased_and_report_the_request_spelling() {
        let mut lists = Lists::default();
        lists.set_rules(json!({"conflictEmails": ["A@x.com"], "invalidDataUserIds": ["u1"]})).unwrap();
        let request = parse(body(json!({"listId": 1, "subscribers": [
            {"email": "a@X.com", "userId": "u1"},
            {"userId": "u1"},
            {"email": "b@x.com", "userId": "u2"},
        ]})))
        .unwrap();
        let out = lists.apply(Op::Subscribe, request);
        assert_eq!(out["successCount"], json!(1));
        assert_eq!(out["failCount"], json!(2));
        assert_eq!(out["failedUpdates"]["conflictEmails"], json!(["a@X.com"]));
        assert_eq!(out["failedUpdates"]["invalidDataUserIds"], json!(["u1"]));
        assert_eq!(lists.view(1)["members"], json!([{"key": "b@x.com", "dataFields": {}}]));
    }

    #[test]
    fn bad_rules_are_refused_and_keep_the_old_ones() {
        let mut lists = Lists::default();
        lists.set_rules(json!({"invalidEmails": ["a@x.com"]})).unwrap();
        assert!(lists.set_rules(json!({"bogus": []})).is_err());
        assert!(lists.set_rules(json!({"invalidEmails": [1]})).is_err());
        assert!(lists.rules[0].contains("a@x.com"));
    }
}
