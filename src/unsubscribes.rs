//! The organisation-wide list of unsubscribed email addresses (addresses, not contacts): every
//! contact using a listed address stops getting bulk email; other channels stay active.

use crate::error::{OrRaise, Result};
use crate::json_body::JsonBody;
use crate::spi_util::first;
use engage_requests::emails::parse_email_list;
use pgrx::prelude::*;

/// Adds the addresses not yet on the unsubscribed list, with an `unsubscribed` event for each
/// (for the contact using the address, when there is one); returns how many.
const UNSUBSCRIBE: &str = "
WITH added AS (
    INSERT INTO engage.unsubscribed_emails (email) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING email
), recorded AS (
    INSERT INTO engage.events (event_type_id, key_value, contact_id, params)
    SELECT t.event_type_id, a.email, ch.contact_id,
           jsonb_strip_nulls(jsonb_build_object('ContactId', ch.contact_id::text, 'EmailAddress', a.email,
                                                'channel', 'email', 'activity', 'UNSUBSCRIBED', 'source', 'api'))
    FROM added a
    JOIN engage.event_types t ON t.key = 'unsubscribed'
    LEFT JOIN engage.channels ch ON ch.type = 'email' AND ch.value = a.email
)
SELECT count(*) FROM added";

/// Adds addresses to the unsubscribed list (`{"emails": [...]}`); returns how many were new.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn unsubscribe_emails(body: JsonBody) -> i64 {
    let emails = parse_email_list(&body.0).or_raise();
    Spi::connect_mut(|client| -> Result<i64> {
        Ok(first::<i64>(client.update(UNSUBSCRIBE, None, &[emails.into()])?)?.unwrap_or(0))
    })
    .or_raise()
}

extension_sql!(
    r#"COMMENT ON FUNCTION engage.unsubscribe_emails(jsonb) IS 'Adds addresses ({"emails": [...]}) to the unsubscribed list: no bulk email goes to them, whoever uses them. Records an unsubscribed event per new address; returns how many were new.';"#,
    name = "comment_unsubscribe_emails",
    requires = [unsubscribe_emails]
);

/// Removes addresses from the unsubscribed list; returns how many were on it.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn remove_unsubscribed_emails(body: JsonBody) -> i64 {
    let emails = parse_email_list(&body.0).or_raise();
    Spi::connect_mut(|client| -> Result<i64> {
        let removed = client.update(
            "DELETE FROM engage.unsubscribed_emails WHERE email = ANY ($1)",
            None,
            &[emails.into()],
        )?;
        Ok(removed.len() as i64)
    })
    .or_raise()
}

extension_sql!(
    r#"COMMENT ON FUNCTION engage.remove_unsubscribed_emails(jsonb) IS 'Removes addresses ({"emails": [...]}) from the unsubscribed list; returns how many were on it.';"#,
    name = "comment_remove_unsubscribed_emails",
    requires = [remove_unsubscribed_emails]
);
