//! Devices as SQL: `register_devices`, what a push SDK registers. The body is checked by
//! `engage_requests::device`; each device's contact is found (external ID, then email, then
//! phone) but never created: a device may be registered before its contact exists, and waits.
//! `engage_internal.store_devices` writes the devices and their push channels.

use crate::contact_writer::contacts_by_keys;
use crate::error::{EngageError, OrRaise, Result};
use crate::fields::canonical_time_zone;
use crate::json_body::JsonbBytes;
use engage_requests::device::{element_name, parse_devices, Device};
use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode;

/// Registers or updates devices (`{"devices": [...]}`, up to 1,000 a call) by `deviceId`. Returns
/// one row per device, in order: its contact (NULL while none is known) and whether it is new.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn register_devices(
    body: JsonbBytes,
) -> TableIterator<
    'static,
    (name!(index, i32), name!(device_id, String), name!(contact_id, Option<i64>), name!(created, bool)),
> {
    let mut devices = parse_devices(&body.node()).or_raise();
    for (i, d) in devices.iter_mut().enumerate() {
        if let Some(zone) = &d.time_zone {
            d.time_zone = Some(canonical_time_zone(zone).ok_or_else(|| unknown_zone(zone, i)).or_raise());
        }
    }
    let (contacts, created) = Spi::connect_mut(|client| store(client, &devices)).or_raise();
    let rows: Vec<_> = devices
        .into_iter()
        .zip(contacts.into_iter().zip(created))
        .enumerate()
        .map(|(i, (d, (contact, created)))| (i as i32, d.device_id, contact, created))
        .collect();
    TableIterator::new(rows)
}

extension_sql!(
    r#"COMMENT ON FUNCTION engage.register_devices(jsonb) IS 'Registers or updates devices ({"devices": [...]}, up to 1,000) by deviceId; a known contact''s device becomes its push channel. Returns per device in order: index, device ID, contact (NULL: none yet), whether new.';"#,
    name = "comment_register_devices",
    requires = [register_devices]
);

fn unknown_zone(zone: &str, i: usize) -> EngageError {
    EngageError::new(
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        format!("time zone \"{zone}\" is not known"),
    )
    .with_detail(format!("at {}.timeZone", element_name(i)))
    .with_hint("Use an IANA name such as Europe/Kyiv (see pg_timezone_names).")
}

const STORE_DEVICES: &str =
    "SELECT * FROM engage_internal.store_devices($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

fn store(client: &mut SpiClient, devices: &[Device]) -> Result<(Vec<Option<i64>>, Vec<bool>)> {
    let text = |column: fn(&Device) -> Option<&str>| -> DatumWithOid<'_> {
        devices.iter().map(column).collect::<Vec<_>>().into()
    };
    let found = contacts_by_keys(
        client,
        devices.iter().map(|d| [d.external_customer_id.as_deref(), d.email.as_deref(), d.phone.as_deref()]),
    )?;
    let args = vec![
        found.into(),
        text(|d| Some(&d.device_id)),
        text(|d| Some(&d.push_token)),
        text(|d| Some(d.category.channel())),
        text(|d| d.os_type.as_deref()),
        text(|d| d.os_version.as_deref()),
        text(|d| d.device_model.as_deref()),
        text(|d| d.app_version.as_deref()),
        devices.iter().map(|d| d.application_id).collect::<Vec<_>>().into(),
        text(|d| d.language_code.as_deref()),
        text(|d| d.time_zone.as_deref()),
        text(|d| d.external_customer_id.as_deref()),
        text(|d| d.email.as_deref()),
        text(|d| d.phone.as_deref()),
    ];
    let row = client.update(STORE_DEVICES, None, &args)?.first();
    let (contacts, created) = row.get_two::<Vec<Option<i64>>, Vec<bool>>()?;
    Ok((contacts.unwrap_or_default(), created.unwrap_or_default()))
}
