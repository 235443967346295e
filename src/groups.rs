//! Static groups (segments with explicit members): created on demand by subscriptions, managed
//! with `create_group`, `add_to_group` and `remove_from_group`.

use crate::error::{without_nulls, EngageError, OrRaise, Result};
use crate::spi_util::first_two;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode;

/// The IDs of static groups by name, creating missing ones; a dynamic segment of that name is an
/// error (its members come from its rule).
fn ensure_groups(client: &mut SpiClient, names: &[String]) -> Result<Vec<i64>> {
    client.update(
        "INSERT INTO engage.segments (name, kind) SELECT unnest($1::text[]), 'static' ON CONFLICT (name) DO NOTHING",
        None,
        &[names.to_vec().into()],
    )?;
    let (dynamic, ids) = first_two::<String, Vec<i64>>(client.select(
        "SELECT min(name) FILTER (WHERE kind = 'dynamic'), array_agg(segment_id) FROM engage.segments WHERE name = ANY ($1)",
        None,
        &[names.to_vec().into()],
    )?)?;
    if let Some(name) = dynamic {
        return Err(EngageError::new(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!("\"{name}\" is a dynamic segment; contacts cannot be added to it"),
        )
        .with_hint("a dynamic segment's members come from its rule; use a static group"));
    }
    Ok(ids.unwrap_or_default())
}

/// Adds one contact to groups by name (created if missing).
pub fn add_to_groups(client: &mut SpiClient, names: &[String], contact_id: i64) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let ids = ensure_groups(client, names)?;
    client.update(
        "INSERT INTO engage.segment_members (segment_id, contact_id) SELECT unnest($1::bigint[]), $2
         ON CONFLICT DO NOTHING",
        None,
        &[ids.into(), contact_id.into()],
    )?;
    Ok(())
}

fn checked_group_name(name: &str) -> String {
    engage_requests::field_def::check_name("group", "name", name).or_raise()
}

/// Creates a static group (or returns the ID of the existing one of that name).
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn create_group(name: &str) -> i64 {
    let name = checked_group_name(name);
    Spi::connect_mut(|client| ensure_groups(client, &[name])).or_raise()[0]
}

extension_sql!(
    "COMMENT ON FUNCTION engage.create_group(text) IS 'Creates a static group and returns its ID, or the existing group''s when the name is taken; a dynamic segment''s name is refused.';",
    name = "comment_create_group",
    requires = [create_group]
);

/// Refuses contact IDs that do not exist, naming the first.
fn check_contacts(client: &mut SpiClient, ids: &[i64]) -> Result<()> {
    let (missing, count) = first_two::<i64, i64>(client.select(
        "SELECT min(i), count(*) FROM unnest($1::bigint[]) i
         WHERE NOT EXISTS (SELECT FROM engage.contacts c WHERE c.contact_id = i)",
        None,
        &[ids.to_vec().into()],
    )?)?;
    if let Some(id) = missing {
        return Err(EngageError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("{} of the contact IDs do not exist", count.unwrap_or(1)),
        )
        .with_detail(format!("for example contact {id}")));
    }
    Ok(())
}

/// Adds contacts to a static group (created if missing); returns how many were not in it yet.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn add_to_group(group_name: &str, contact_ids: Vec<Option<i64>>) -> i64 {
    let name = checked_group_name(group_name);
    let contact_ids = without_nulls(contact_ids, "contact_ids");
    Spi::connect_mut(|client| -> Result<i64> {
        check_contacts(client, &contact_ids)?;
        let ids = ensure_groups(client, &[name])?;
        let added = client.update(
            "INSERT INTO engage.segment_members (segment_id, contact_id) SELECT $1, unnest($2::bigint[])
             ON CONFLICT DO NOTHING",
            None,
            &[ids[0].into(), contact_ids.into()],
        )?;
        Ok(added.len() as i64)
    })
    .or_raise()
}

extension_sql!(
    "COMMENT ON FUNCTION engage.add_to_group(text,bigint[]) IS 'Adds contacts to a static group (created if missing); returns how many were not in it yet. Contact IDs that do not exist, and a dynamic segment''s name, are refused.';",
    name = "comment_add_to_group",
    requires = [add_to_group]
);

/// Removes contacts from a static group; returns how many were in it.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn remove_from_group(group_name: &str, contact_ids: Vec<Option<i64>>) -> i64 {
    let name = checked_group_name(group_name);
    let contact_ids = without_nulls(contact_ids, "contact_ids");
    Spi::connect_mut(|client| -> Result<i64> {
        let (id, kind) = first_two::<i64, String>(client.select(
            "SELECT segment_id, kind FROM engage.segments WHERE name = $1",
            None,
            &[name.as_str().into()],
        )?)?;
        let Some(id) = id.filter(|_| kind.as_deref() == Some("static")) else {
            return Err(EngageError::new(
                PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
                format!("there is no static group \"{name}\""),
            ));
        };
        let removed = client.update(
            "DELETE FROM engage.segment_members WHERE segment_id = $1 AND contact_id = ANY ($2)",
            None,
            &[id.into(), contact_ids.into()],
        )?;
        Ok(removed.len() as i64)
    })
    .or_raise()
}

extension_sql!(
    "COMMENT ON FUNCTION engage.remove_from_group(text,bigint[]) IS 'Removes contacts from a static group; returns how many were in it. 42704 when no static group has that name.';",
    name = "comment_remove_from_group",
    requires = [remove_from_group]
);
