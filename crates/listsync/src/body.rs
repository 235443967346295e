//! Request bodies (`SubscribeRequest`, `UnsubscribeRequest` of Iterable's API reference), built
//! as text from subscribers that are JSON text already, so that nothing is parsed again.

use crate::push_json_string;

/// `POST /api/lists/subscribe`: `{"listId", "subscribers", "updateExistingUsersOnly": false}`.
pub fn subscribe_body<S: AsRef<str>>(list_id: i64, subscribers: &[S]) -> String {
    let mut out = body_start(list_id, subscribers);
    out.push_str("],\"updateExistingUsersOnly\":false}");
    out
}

/// `POST /api/lists/unsubscribe`: `{"listId", "subscribers", "campaignId", "channelUnsubscribe"}`
/// (`campaignId` only when there is one).
pub fn unsubscribe_body<S: AsRef<str>>(
    list_id: i64,
    subscribers: &[S],
    campaign_id: Option<i64>,
    channel_unsubscribe: bool,
) -> String {
    let mut out = body_start(list_id, subscribers);
    out.push(']');
    if let Some(campaign) = campaign_id {
        out.push_str(&format!(",\"campaignId\":{campaign}"));
    }
    out.push_str(&format!(",\"channelUnsubscribe\":{channel_unsubscribe}}}"));
    out
}

fn body_start<S: AsRef<str>>(list_id: i64, subscribers: &[S]) -> String {
    let size: usize = subscribers.iter().map(|s| s.as_ref().len() + 1).sum();
    let mut out = String::with_capacity(size + 96);
    out.push_str(&format!("{{\"listId\":{list_id},\"subscribers\":["));
    for (i, s) in subscribers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(s.as_ref());
    }
    out
}

/// The unsubscriber (`{"email"}` or `{"userId"}`) of a row's key, for a row that left a segment.
pub fn unsubscriber_for_key(key: &str) -> Option<String> {
    let (name, value) = match key.split_once(':')? {
        ("email", v) => ("email", v),
        ("userId", v) => ("userId", v),
        _ => return None,
    };
    let mut out = format!("{{\"{name}\":");
    push_json_string(&mut out, value);
    out.push('}');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_bodies_are_iterables_shape() {
        let body = subscribe_body(769207, &[r#"{"email":"a@b.co"}"#, r#"{"userId":"u1"}"#]);
        assert_eq!(
            body,
            r#"{"listId":769207,"subscribers":[{"email":"a@b.co"},{"userId":"u1"}],"updateExistingUsersOnly":false}"#
        );
        assert_eq!(
            subscribe_body::<&str>(1, &[]),
            r#"{"listId":1,"subscribers":[],"updateExistingUsersOnly":false}"#
        );
    }

    #[test]
    fn unsubscribe_bodies_carry_the_campaign_only_when_given() {
        assert_eq!(
            unsubscribe_body(5, &[r#"{"email":"a@b.co"}"#], Some(42), true),
            r#"{"listId":5,"subscribers":[{"email":"a@b.co"}],"campaignId":42,"channelUnsubscribe":true}"#
        );
        assert_eq!(
            unsubscribe_body(5, &[r#"{"userId":"u"}"#], None, false),
            r#"{"listId":5,"subscribers":[{"userId":"u"}],"channelUnsubscribe":false}"#
        );
    }

    #[test]
    fn a_key_gives_its_unsubscriber() {
        assert_eq!(unsubscriber_for_key("email:a@b.co").unwrap(), r#"{"email":"a@b.co"}"#);
        assert_eq!(unsubscriber_for_key("userId:x\"y").unwrap(), r#"{"userId":"x\"y"}"#);
        assert_eq!(unsubscriber_for_key("phone:1"), None);
    }
}
