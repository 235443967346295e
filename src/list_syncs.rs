//! Audience-list sync glue: the per-row payload builder the planning statement calls (see
//! `sql/list_syncs.sql`); `crates/listsync` does the work.

use engage_listsync::{Action, Invalid};
use pgrx::prelude::*;

/// One result row (`row_to_json` text) as a subscriber for `action` (`add` or `remove`), with
/// `extra` (a JSON object's text) added to its dataFields: the row's key, the hash the next run
/// compares, the subscriber's JSON; or, for a row that cannot be sent, its key if it has one and
/// the problem. Never raises for a bad row, so that one row cannot fail the statement.
#[pg_extern(immutable, parallel_safe, schema = "engage_internal")]
#[allow(clippy::type_complexity)]
fn list_sync_row(
    row: Option<&str>,
    action: Option<&str>,
    extra: Option<&str>,
) -> TableIterator<
    'static,
    (
        name!(row_key, Option<String>),
        name!(hash, Option<i64>),
        name!(subscriber, Option<String>),
        name!(problem, Option<String>),
    ),
> {
    let action = match action {
        Some("remove") => Action::Remove,
        _ => Action::Add,
    };
    let outcome = match row {
        Some(row) => engage_listsync::row(row, action, extra),
        None => Err(Invalid { key: None, reason: "the row is NULL".to_string() }),
    };
    TableIterator::once(match outcome {
        Ok(r) => (Some(r.key), Some(r.hash), Some(r.subscriber), None),
        Err(bad) => (bad.key, None, None, Some(bad.reason)),
    })
}

/// The unsubscriber (`{"email"}` or `{"userId"}`) for a stored row's key.
#[pg_extern(immutable, strict, parallel_safe, schema = "engage_internal")]
fn list_sync_unsubscriber(key: &str) -> Option<String> {
    engage_listsync::unsubscriber_for_key(key)
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;

    #[pg_test]
    fn a_row_becomes_a_subscriber_or_says_why_not() {
        let (key, subscriber) = Spi::get_two::<String, String>(
            "SELECT s.row_key, s.subscriber
             FROM (SELECT 'A@B.co' AS email, 7 AS visits, true AS vip) q,
                  LATERAL engage_internal.list_sync_row(row_to_json(q)::text, 'add', NULL) s",
        )
        .unwrap();
        assert_eq!(key.as_deref(), Some("email:a@b.co"));
        assert_eq!(subscriber.as_deref(), Some(r#"{"email":"a@b.co","dataFields":{"visits":7,"vip":true}}"#));
        let problem = Spi::get_one::<String>(
            "SELECT problem FROM engage_internal.list_sync_row('{\"x\": 1}', 'add', NULL)",
        )
        .unwrap();
        assert_eq!(problem.as_deref(), Some("the row has no email and no user_id"));
        let null =
            Spi::get_one::<String>("SELECT problem FROM engage_internal.list_sync_row(NULL, 'add', NULL)")
                .unwrap();
        assert_eq!(null.as_deref(), Some("the row is NULL"));
    }
}
