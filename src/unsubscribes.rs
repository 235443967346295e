//! The organisation-wide list of unsubscribed email addresses (addresses, not contacts): every
//! contact using a listed address stops getting bulk email; other channels stay active.

use crate::error::{OrRaise, Result};
use crate::json_body::JsonBody;
use engage_requests::emails::parse_email_list;
use pgrx::prelude::*;

/// Adds addresses to the unsubscribed list (`{"emails": [...]}`); returns how many were new.
#[pg_extern]
fn unsubscribe_emails(body: JsonBody) -> i64 {
    let emails = parse_email_list(&body.0).or_raise();
    Spi::connect_mut(|client| -> Result<i64> {
        let added = client.update(
            "INSERT INTO engage.unsubscribed_emails (email) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING",
            None,
            &[emails.into()],
        )?;
        Ok(added.len() as i64)
    })
    .or_raise()
}

/// Removes addresses from the unsubscribed list; returns how many were on it.
#[pg_extern]
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
