//! Contacts as SQL: `subscribe_contact`, `upsert_contacts` (the platform's request bodies) and
//! `confirm_channel`.

use crate::contact_writer::{write_contacts, WriteOptions};
use crate::error::{EngageError, OrRaise, Result};
use crate::events::{record_event, EventRecord};
use crate::fields::{canonical_time_zone, load_catalog};
use crate::groups::add_to_groups;
use crate::json_body::{JsonBody, JsonbBytes};
use crate::spi_util::first;
use engage_requests::channel::{ChannelType, CHANNEL_TYPES};
use engage_requests::contact::{ContactInput, Context};
use engage_requests::subscribe::parse_subscribe;
use engage_requests::upsert::{element_name, parse_upsert};
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use serde_json::{Map, Value};

/// Subscribes a contact (a subscription form): creates it, or updates the one its
/// `externalCustomerId`, email or phone identifies. New channels stay inactive until confirmed.
/// Adds the contact to `groups` (created if missing) and records `subscribeFromAPI` for a new
/// contact or `subscribeUpdateFromAPI` for an existing one.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn subscribe_contact(
    body: JsonBody,
) -> TableIterator<'static, (name!(contact_id, i64), name!(created, bool))> {
    let row = Spi::connect_mut(|client| -> Result<(i64, bool)> {
        let catalog = load_catalog()?;
        let ctx = Context { catalog: &catalog, time_zone: &canonical_time_zone };
        let request = parse_subscribe(&body.0, &ctx)?;
        let opts =
            WriteOptions { source: "SUBSCRIPTION", new_channel_status: "inactive", replace_channels: false };
        let written = write_contacts(
            client,
            std::slice::from_ref(&request.contact),
            &catalog,
            &|_| "contact".into(),
            &opts,
        )?;
        let w = &written[0];
        add_to_groups(client, &request.groups, w.contact_id)?;
        record_event(client, &subscribe_event(&request.contact, w.contact_id, w.created, &request.groups))?;
        Ok((w.contact_id, w.created))
    })
    .or_raise();
    TableIterator::once(row)
}

extension_sql!(
    r#"COMMENT ON FUNCTION engage.subscribe_contact(jsonb) IS 'Subscribes a contact ({"contact", "groups"}): creates it or updates the one its external ID, email or phone names (a stored address is not replaced); new channels stay inactive until confirmed; adds it to the groups. Returns its ID, whether new.';"#,
    name = "comment_subscribe_contact",
    requires = [subscribe_contact]
);

/// The event a subscription records: keyed by the contact's email (or first channel), with the
/// contact's ID, address and groups as params.
fn subscribe_event(contact: &ContactInput, contact_id: i64, created: bool, groups: &[String]) -> EventRecord {
    let email = contact.channels.iter().find(|c| c.ty == ChannelType::Email);
    let key = email.or(contact.channels.first()).map(|c| c.value.clone()).unwrap_or_default();
    let mut params = Map::new();
    params.insert("ContactId".into(), Value::String(contact_id.to_string()));
    if let Some(e) = email {
        params.insert("EmailAddress".into(), Value::String(e.value.clone()));
    }
    if let Some(p) = contact.channels.iter().find(|c| c.ty.is_phone()) {
        params.insert("Phone".into(), Value::String(p.value.clone()));
    }
    if !groups.is_empty() {
        params.insert("groups".into(), Value::from(groups.to_vec()));
    }
    EventRecord {
        type_key: if created { "subscribeFromAPI" } else { "subscribeUpdateFromAPI" }.into(),
        key_value: key,
        contact_id: Some(contact_id),
        params,
    }
}

/// Adds or updates contacts in one set-based call (the "Add/update contacts" body). Contacts are
/// matched by `externalCustomerId`, then email, then phone. Field values are written only for
/// the IDs in `customFieldsIDs` when it is given. All or nothing: one bad element rejects the
/// call. New contacts are `contactImported` events (while a workflow links that type). Returns one
/// row per element, in order.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn upsert_contacts(
    body: JsonbBytes,
) -> TableIterator<'static, (name!(index, i32), name!(contact_id, i64), name!(created, bool))> {
    let rows = Spi::connect_mut(|client| -> Result<Vec<(i32, i64, bool)>> {
        let catalog = load_catalog()?;
        let ctx = Context { catalog: &catalog, time_zone: &canonical_time_zone };
        let request = parse_upsert(&body.node(), &ctx)?;
        let opts = WriteOptions { source: "IMPORT", new_channel_status: "active", replace_channels: true };

        let written = write_contacts(client, &request.contacts, &catalog, &element_name, &opts)?;
        let created: Vec<i64> = written.iter().filter(|w| w.created).map(|w| w.contact_id).collect();
        if !created.is_empty() {
            client.update("SELECT engage_internal.record_imported($1)", None, &[created.into()])?;
        }
        Ok(written.iter().enumerate().map(|(i, w)| (i as i32, w.contact_id, w.created)).collect())
    })
    .or_raise();
    TableIterator::new(rows)
}

extension_sql!(
    r#"COMMENT ON FUNCTION engage.upsert_contacts(jsonb) IS 'Adds or updates contacts ({"contacts": [...], "customFieldsIDs"}), matched by external ID, then email, then phone; all or nothing. Returns one row per element in order: index from 0, contact ID, whether created.';"#,
    name = "comment_upsert_contacts",
    requires = [upsert_contacts]
);

/// Confirms a channel (the owner clicked the confirmation link): it becomes active and can get
/// bulk messages, and a hard bounce recorded on it is forgotten. Returns the contact's ID.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn confirm_channel(channel_type: &str, value: &str) -> i64 {
    let (ty, value) = channel(channel_type, value);
    let contact = Spi::connect_mut(|client| {
        first::<i64>(client.update(
            "UPDATE engage.channels SET status = 'active', confirmed_at = coalesce(confirmed_at, now()),
                 bounced_at = NULL, bounce_reason = NULL
             WHERE type = $1 AND value = $2 RETURNING contact_id",
            None,
            &[ty.as_str().into(), value.as_str().into()],
        )?)
    })
    .or_raise();
    contact.unwrap_or_else(|| {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("no contact has the {} channel \"{value}\"", ty.as_str()),
        )
        .raise()
    })
}

extension_sql!(
    "COMMENT ON FUNCTION engage.confirm_channel(text,text) IS 'Confirms a channel (type, value): it becomes active and can get bulk messages, and a recorded hard bounce is forgotten. Returns the contact''s ID; 42704 when no contact has the channel.';",
    name = "comment_confirm_channel",
    requires = [confirm_channel]
);

/// A channel's value as pg_engage stores it (an email lower-cased, a phone number in digits):
/// what to compare with `engage.channels.value`. Raises 22023 for an unknown type and 22P02 for
/// a value that is not one.
#[pg_extern(immutable, strict, parallel_safe)]
fn normalize_channel(channel_type: &str, value: &str) -> String {
    channel(channel_type, value).1
}

extension_sql!(
    "COMMENT ON FUNCTION engage.normalize_channel(text,text) IS 'Returns a channel value as pg_engage stores it (email lower-cased, phone in digits), to compare with engage.channels.value. 22023 for an unknown type, 22P02 for an invalid value.';",
    name = "comment_normalize_channel",
    requires = [normalize_channel]
);

/// The channel type named and the value normalized, or the error a caller should see.
fn channel(channel_type: &str, value: &str) -> (ChannelType, String) {
    let ty = ChannelType::parse(channel_type.trim()).unwrap_or_else(|| {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("unknown channel type \"{channel_type}\""),
        )
        .with_detail("argument channel_type")
        .with_hint(format!("channel types: {CHANNEL_TYPES}"))
        .raise()
    });
    let value = ty.normalize(value).unwrap_or_else(|why| {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
            format!("invalid {} \"{value}\": {why}", ty.as_str()),
        )
        .with_detail("argument value")
        .raise()
    });
    (ty, value)
}
