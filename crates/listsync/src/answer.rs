//! The list API's answer to one batch, read per subscriber (`UserBulkUpdateListResponse` and its
//! `FailedUserUpdates`). Forgotten users are final; not-found on unsubscribe counts as done;
//! invalid, not-found (on subscribe), conflict and invalid-data are rejected with the reason and
//! tried again by the next run; 429, 408 and 5xx are retried; any other status fails the run with
//! the API's message.

use crate::Action;
use serde_json::Value;
use std::collections::HashSet;

/// Where a subscriber stands after the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Delivered,
    Rejected,
    Forgotten,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Delivered => "delivered",
            State::Rejected => "rejected",
            State::Forgotten => "forgotten",
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub state: State,
    pub reason: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// One outcome per subscriber, in the batch's order.
    Rows(Vec<Outcome>),
    /// Send the batch again later (rate limit, server error, unreadable success).
    Retry(String),
    /// The run fails with the status and this message (a bad request, a bad API key).
    Fail { status: u16, message: String },
}

/// Each failure list of `FailedUserUpdates` (emails, then user IDs), what it does to a row, and
/// the reason recorded. Not found is done for an unsubscribe (the user is not in the list).
const FAILURES: [(&str, &str, State, &str); 5] = [
    (
        "forgottenEmails",
        "forgottenUserIds",
        State::Forgotten,
        "forgotten (GDPR): the list API will not update this user",
    ),
    ("invalidEmails", "invalidUserIds", State::Rejected, "invalid email or user ID"),
    (
        "conflictEmails",
        "conflictUserIds",
        State::Rejected,
        "conflict: the email or user ID belongs to another user",
    ),
    ("invalidDataEmails", "invalidDataUserIds", State::Rejected, "invalid data in dataFields"),
    ("notFoundEmails", "notFoundUserIds", State::Rejected, "user not found"),
];

/// Reads the answer (`status`, `body`) to a batch of `subscribers` (their JSON texts) sent with
/// `action`.
pub fn answer<S: AsRef<str>>(action: Action, status: u16, body: &str, subscribers: &[S]) -> Answer {
    match status {
        200..=299 => {}
        408 | 429 | 500..=599 => {
            return Answer::Retry(format!("the list API answered {status}{}", api_message(body)))
        }
        _ => {
            return Answer::Fail {
                status,
                message: format!("the list API answered {status}{}", api_message(body)),
            }
        }
    }
    let Ok(Value::Object(response)) = serde_json::from_str::<Value>(body) else {
        return Answer::Retry(format!(
            "the list API answered {status} with a body that is not a response object"
        ));
    };
    let failed = response.get("failedUpdates").and_then(Value::as_object);
    let list = |name: &str, lowercase: bool| -> HashSet<String> {
        let top = (name == "invalidEmails" || name == "invalidUserIds").then(|| response.get(name)).flatten();
        [failed.and_then(|f| f.get(name)), top]
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| if lowercase { s.to_lowercase() } else { s.to_string() })
            .collect()
    };
    let failures: Vec<(HashSet<String>, HashSet<String>, State, &str)> = FAILURES
        .iter()
        .map(|(emails, ids, state, reason)| (list(emails, true), list(ids, false), *state, *reason))
        .collect();
    let outcomes = subscribers
        .iter()
        .map(|s| {
            let (email, user_id) = identity(s.as_ref());
            let hit = failures.iter().find(|(emails, ids, _, _)| {
                email.as_ref().is_some_and(|e| emails.contains(e))
                    || user_id.as_ref().is_some_and(|u| ids.contains(u))
            });
            match hit {
                Some((_, _, _, reason))
                    if action == Action::Remove && reason.starts_with("user not found") =>
                {
                    Outcome { state: State::Delivered, reason: Some("not in the list".to_string()) }
                }
                Some((_, _, state, reason)) => Outcome { state: *state, reason: Some(reason.to_string()) },
                None => Outcome { state: State::Delivered, reason: None },
            }
        })
        .collect();
    Answer::Rows(outcomes)
}

/// A subscriber's email (lower case) and user ID.
fn identity(subscriber: &str) -> (Option<String>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Identity {
        email: Option<String>,
        #[serde(rename = "userId")]
        user_id: Option<String>,
    }
    match serde_json::from_str::<Identity>(subscriber) {
        Ok(i) => (i.email.map(|e| e.to_lowercase()), i.user_id),
        Err(_) => (None, None),
    }
}

/// `: <msg> (<code>)` from an error body `{"msg", "code"}`, or the start of a body that is not
/// one; empty for an empty body.
fn api_message(body: &str) -> String {
    if let Ok(Value::Object(o)) = serde_json::from_str::<Value>(body) {
        let msg = o.get("msg").and_then(Value::as_str);
        let code = o.get("code").and_then(Value::as_str);
        return match (msg, code) {
            (Some(m), Some(c)) => format!(": {m} ({c})"),
            (Some(m), None) => format!(": {m}"),
            (None, Some(c)) => format!(" ({c})"),
            (None, None) => String::new(),
        };
    }
    let text: String = body.trim().chars().take(200).collect();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BATCH: [&str; 4] = [
        r#"{"email":"a@b.co"}"#,
        r#"{"email":"c@d.co","userId":"u2"}"#,
        r#"{"userId":"u3"}"#,
        r#"{"email":"e@f.co"}"#,
    ];

    fn rows(a: Answer) -> Vec<(State, Option<String>)> {
        match a {
            Answer::Rows(r) => r.into_iter().map(|o| (o.state, o.reason)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_row_of_a_clean_answer_is_delivered() {
        let r = rows(answer(Action::Add, 200, r#"{"successCount":4,"failCount":0}"#, &BATCH));
        assert!(r.iter().all(|(s, why)| *s == State::Delivered && why.is_none()));
    }

    #[test]
    fn failed_updates_are_matched_by_email_without_case_or_by_user_id() {
        let body = r#"{"successCount":1,"failCount":3,"failedUpdates":{"forgottenEmails":["A@B.CO"],
            "conflictUserIds":["u2"],"invalidDataUserIds":["u3"],"notFoundEmails":[]}}"#;
        let r = rows(answer(Action::Add, 200, body, &BATCH));
        assert_eq!(r[0].0, State::Forgotten);
        assert_eq!((r[1].0, r[1].1.as_deref().unwrap().starts_with("conflict")), (State::Rejected, true));
        assert_eq!(r[2], (State::Rejected, Some("invalid data in dataFields".to_string())));
        assert_eq!(r[3], (State::Delivered, None));
    }

    #[test]
    fn the_deprecated_top_level_invalid_lists_count_too() {
        let r = rows(answer(
            Action::Add,
            200,
            r#"{"successCount":3,"failCount":1,"invalidEmails":["e@f.co"]}"#,
            &BATCH,
        ));
        assert_eq!(r[3], (State::Rejected, Some("invalid email or user ID".to_string())));
    }

    #[test]
    fn not_found_is_done_on_unsubscribe_and_rejected_on_subscribe() {
        let body = r#"{"successCount":3,"failCount":1,"failedUpdates":{"notFoundEmails":["a@b.co"]}}"#;
        assert_eq!(
            rows(answer(Action::Remove, 200, body, &BATCH))[0],
            (State::Delivered, Some("not in the list".into()))
        );
        assert_eq!(
            rows(answer(Action::Add, 200, body, &BATCH))[0],
            (State::Rejected, Some("user not found".into()))
        );
    }

    #[test]
    fn statuses_retry_or_fail_with_the_apis_message() {
        assert_eq!(answer(Action::Add, 429, "", &BATCH), Answer::Retry("the list API answered 429".into()));
        assert_eq!(
            answer(Action::Add, 503, "busy", &BATCH),
            Answer::Retry("the list API answered 503: busy".into())
        );
        assert_eq!(
            answer(Action::Add, 401, r#"{"msg":"Invalid API key","code":"BadApiKey","params":null}"#, &BATCH),
            Answer::Fail {
                status: 401,
                message: "the list API answered 401: Invalid API key (BadApiKey)".into()
            }
        );
        assert_eq!(
            answer(Action::Add, 400, r#"{"msg":"Invalid listId"}"#, &BATCH),
            Answer::Fail { status: 400, message: "the list API answered 400: Invalid listId".into() }
        );
        assert!(matches!(answer(Action::Add, 200, "<html>", &BATCH), Answer::Retry(_)));
    }
}
