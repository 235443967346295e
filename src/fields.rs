//! The additional-field catalog: `create_field`, `alter_field`, `drop_field`, and loading the
//! catalog (and the time zones Postgres knows) for checking contact requests.

use crate::error::{self, EngageError, OrRaise, Result};
use crate::spi_util::{first, first_two};
use engage_requests::field::{Catalog, FieldDef, FieldType};
use engage_requests::field_def::{check_allowed_values, check_name, check_type};
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use std::cell::OnceCell;
use std::collections::HashMap;

/// Reads the field catalog for a request that writes field values. The rows are locked FOR KEY
/// SHARE until the transaction ends, as a foreign key would lock them, so that no field is dropped
/// or narrowed under the request.
pub fn load_catalog() -> Result<Catalog> {
    Spi::connect_mut(|client| {
        let rows = client.update(
            "SELECT field_id, name, type, required, readonly, coalesce(allowed_values, '{}')
             FROM engage.fields FOR KEY SHARE",
            None,
            &[],
        )?;

        let mut defs = Vec::with_capacity(rows.len());
        for row in rows {
            let ty: String = row.get(3)?.unwrap_or_default();
            defs.push(FieldDef {
                id: row.get(1)?.unwrap_or_default(),
                name: row.get(2)?.unwrap_or_default(),
                ty: FieldType::parse(&ty).unwrap_or(FieldType::String),
                required: row.get(4)?.unwrap_or_default(),
                readonly: row.get(5)?.unwrap_or_default(),
                allowed_values: row.get(6)?.unwrap_or_default(),
            });
        }
        Ok(Catalog::new(defs))
    })
}

thread_local! {
    /// Time zone names Postgres knows, lower-cased to their spelling; loaded on first use.
    static ZONES: OnceCell<HashMap<String, String>> = const { OnceCell::new() };
}

/// The canonical spelling of a time zone name Postgres knows (case-insensitive), if any.
pub fn canonical_time_zone(name: &str) -> Option<String> {
    ZONES.with(|zones| {
        let zones = zones.get_or_init(|| {
            Spi::connect(|client| {
                let mut map = HashMap::new();
                if let Ok(rows) = client.select("SELECT name FROM pg_catalog.pg_timezone_names", None, &[]) {
                    for row in rows {
                        if let Ok(Some(zone)) = row.get::<String>(1) {
                            map.insert(zone.to_lowercase(), zone);
                        }
                    }
                }
                map
            })
        });
        zones.get(&name.trim().to_lowercase()).cloned()
    })
}

/// Creates an additional field and returns its ID. Combobox fields need their allowed values;
/// the field group is created if it does not exist.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
#[allow(clippy::too_many_arguments)] // SQL named arguments with defaults: callers name what they set
fn create_field(
    name: Option<&str>,
    field_type: Option<&str>,
    allowed_values: default!(Option<Vec<Option<String>>>, "NULL"),
    required: default!(Option<bool>, false),
    readonly: default!(Option<bool>, false),
    field_group: default!(Option<&str>, "'Personal'"),
    description: default!(Option<&str>, "NULL"),
    field_id: default!(Option<i32>, "NULL"),
) -> i32 {
    let name = check_name("field", "name", error::required(name, "name")).or_raise();
    let ty = check_type(error::required(field_type, "field_type")).or_raise();
    let (required, readonly) = (error::required(required, "required"), error::required(readonly, "readonly"));
    let field_group = error::required(field_group, "field_group");
    let allowed = check_allowed_values(ty, allowed_values.as_deref()).or_raise();
    let group = check_name("field group", "field_group", field_group).or_raise();
    if let Some(id) = field_id.filter(|id| *id <= 0) {
        EngageError::new(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "a field ID must be positive")
            .with_detail(format!("argument field_id: {id}"))
            .raise();
    }
    Spi::connect_mut(|client| -> Result<i32> {
        let clash = first_two::<i32, String>(client.select(
            "SELECT field_id, name FROM engage.fields WHERE name = $1 OR field_id = $2",
            Some(1),
            &[name.as_str().into(), field_id.into()],
        )?)?;
        if let (Some(id), Some(existing)) = clash {
            return Err(EngageError::new(
                PgSqlErrorCode::ERRCODE_DUPLICATE_OBJECT,
                format!("additional field {id} \"{existing}\" already exists"),
            )
            .with_detail(if existing == name { "argument name" } else { "argument field_id" })
            .with_hint("engage.alter_field changes an existing field"));
        }
        let group_id = field_group_id(client, &group)?;
        let id = client
            .update(
                "INSERT INTO engage.fields (field_id, name, type, required, readonly, allowed_values, field_group_id, description)
                 VALUES (coalesce($1, nextval('engage.fields_field_id_seq')::int), $2, $3, $4, $5, $6, $7, $8)
                 RETURNING field_id",
                None,
                &[
                    field_id.into(),
                    name.as_str().into(),
                    ty.as_str().into(),
                    required.into(),
                    readonly.into(),
                    (ty == FieldType::Combobox).then_some(allowed).into(),
                    group_id.into(),
                    description.map(str::trim).filter(|d| !d.is_empty()).into(),
                ],
            )?
            .first()
            .get_one::<i32>()?;
        Ok(id.unwrap_or_default())
    })
    .or_raise()
}

extension_sql!(
    "COMMENT ON FUNCTION engage.create_field(text,text,text[],boolean,boolean,text,text,integer) IS 'Creates an additional field and returns its ID: a combobox needs allowed_values, a missing field group is created, field_id comes from a sequence unless given. A taken name or ID is refused. For engage_admin.';",
    name = "comment_create_field",
    requires = [create_field]
);

/// The ID of a field group, created if missing.
fn field_group_id(client: &mut pgrx::spi::SpiClient, name: &str) -> Result<i32> {
    client.update(
        "INSERT INTO engage.field_groups (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
        None,
        &[name.into()],
    )?;
    let id = client
        .select("SELECT field_group_id FROM engage.field_groups WHERE name = $1", None, &[name.into()])?
        .first()
        .get_one::<i32>()?;
    Ok(id.unwrap_or_default())
}

/// Changes a field's definition; NULL arguments leave that part as it is. A field's type cannot
/// change (drop it and create it again). Narrowing a combobox or making a field required is
/// refused while stored values would break the new definition.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn alter_field(
    field_id: Option<i32>,
    name: default!(Option<&str>, "NULL"),
    allowed_values: default!(Option<Vec<Option<String>>>, "NULL"),
    required: default!(Option<bool>, "NULL"),
    readonly: default!(Option<bool>, "NULL"),
    field_group: default!(Option<&str>, "NULL"),
    description: default!(Option<&str>, "NULL"),
) {
    let field_id = error::required(field_id, "field_id");
    let name = name.map(|n| check_name("field", "name", n)).transpose().or_raise();
    let group = field_group.map(|g| check_name("field group", "field_group", g)).transpose().or_raise();
    Spi::connect_mut(|client| -> Result<()> {
        let current = first::<String>(client.update(
            "SELECT type FROM engage.fields WHERE field_id = $1 FOR UPDATE",
            None,
            &[field_id.into()],
        )?)?;
        let Some(ty) = current.as_deref().and_then(FieldType::parse) else {
            return Err(EngageError::new(
                PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
                format!("additional field {field_id} does not exist"),
            ));
        };
        let allowed = match &allowed_values {
            Some(values) => Some(check_allowed_values(ty, Some(values))?),
            None => None,
        };
        if let Some(name) = &name {
            let taken = first::<i32>(client.select(
                "SELECT field_id FROM engage.fields WHERE name = $1 AND field_id <> $2",
                None,
                &[name.as_str().into(), field_id.into()],
            )?)?;
            if let Some(other) = taken {
                return Err(EngageError::new(
                    PgSqlErrorCode::ERRCODE_DUPLICATE_OBJECT,
                    format!("additional field {other} is already named \"{name}\""),
                )
                .with_detail("argument name"));
            }
        }
        if let Some(allowed) = &allowed {
            let (count, example) = client
                .select(
                    "SELECT count(*), min(value) FROM engage.contact_fields
                     WHERE field_id = $1 AND value <> ALL ($2)",
                    None,
                    &[field_id.into(), allowed.clone().into()],
                )?
                .first()
                .get_two::<i64, String>()?;
            if count.unwrap_or(0) > 0 {
                return Err(EngageError::new(
                    PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!(
                        "{} a value of field {field_id} that the new allowed values leave out",
                        contacts_have(count.unwrap_or(0))
                    ),
                )
                .with_detail(format!("for example \"{}\"", example.unwrap_or_default()))
                .with_hint("change or clear those values first (engage.upsert_contacts)"));
            }
        }
        if required == Some(true) {
            let missing = client
                .select(
                    "SELECT count(*) FROM engage.contacts c
                     WHERE NOT EXISTS (SELECT FROM engage.contact_fields v WHERE v.contact_id = c.contact_id AND v.field_id = $1)",
                    None,
                    &[field_id.into()],
                )?
                .first()
                .get_one::<i64>()?
                .unwrap_or(0);
            if missing > 0 {
                return Err(EngageError::new(
                    PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!(
                        "{} no value for field {field_id}, so it cannot become required",
                        contacts_have(missing)
                    ),
                )
                .with_hint("give every contact a value first (engage.upsert_contacts)"));
            }
        }
        let group_id = match &group {
            Some(g) => Some(field_group_id(client, g)?),
            None => None,
        };
        client.update(
            "UPDATE engage.fields SET
                 name = coalesce($2, name),
                 allowed_values = coalesce($3, allowed_values),
                 required = coalesce($4, required),
                 readonly = coalesce($5, readonly),
                 field_group_id = coalesce($6, field_group_id),
                 description = CASE WHEN $7 IS NULL THEN description ELSE nullif(btrim($7), '') END
             WHERE field_id = $1",
            None,
            &[
                field_id.into(),
                name.into(),
                allowed.into(),
                required.into(),
                readonly.into(),
                group_id.into(),
                description.into(),
            ],
        )?;
        Ok(())
    })
    .or_raise()
}

extension_sql!(
    "COMMENT ON FUNCTION engage.alter_field(integer,text,text[],boolean,boolean,text,text) IS 'Changes a field; NULL arguments keep that part. The type cannot change; narrowing a combobox or making a field required is refused while stored values would break it. For engage_admin.';",
    name = "comment_alter_field",
    requires = [alter_field]
);

/// "1 contact has" / "3 contacts have", for messages.
fn contacts_have(n: i64) -> String {
    if n == 1 {
        "1 contact has".into()
    } else {
        format!("{n} contacts have")
    }
}

/// Drops a field and every stored value of it.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn drop_field(field_id: i32) {
    let dropped = Spi::connect_mut(|client| {
        first::<i32>(client.update(
            "DELETE FROM engage.fields WHERE field_id = $1 RETURNING field_id",
            None,
            &[field_id.into()],
        )?)
    })
    .or_raise();
    if dropped.is_none() {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            format!("additional field {field_id} does not exist"),
        )
        .raise();
    }
}

extension_sql!(
    "COMMENT ON FUNCTION engage.drop_field(integer) IS 'Drops an additional field and every stored value of it; 42704 when it does not exist. For engage_admin.';",
    name = "comment_drop_field",
    requires = [drop_field]
);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use super::*;

    #[pg_test]
    fn time_zones_are_matched_case_insensitively_to_their_postgres_spelling() {
        assert_eq!(canonical_time_zone("europe/kyiv").as_deref(), Some("Europe/Kyiv"));
        assert_eq!(canonical_time_zone(" AMERICA/NEW_YORK ").as_deref(), Some("America/New_York"));
        assert_eq!(canonical_time_zone("Australia/Lord_Howe").as_deref(), Some("Australia/Lord_Howe"));
        assert_eq!(canonical_time_zone("Mars/Olympus"), None);
    }

    #[pg_test]
    fn the_catalog_is_read_with_types_and_allowed_values() {
        Spi::run("SELECT engage.create_field('Gender', 'combobox', ARRAY['M','F'], required => false, field_id => 7)")
            .unwrap();
        Spi::run("SELECT engage.create_field('Age', 'number', readonly => true, field_id => 8)").unwrap();
        let catalog = load_catalog().unwrap();
        let gender = catalog.get(7).unwrap();
        assert_eq!(
            (gender.ty, gender.allowed_values.clone()),
            (FieldType::Combobox, vec!["M".into(), "F".into()])
        );
        let age = catalog.get(8).unwrap();
        assert!(age.readonly && age.ty == FieldType::Number && age.allowed_values.is_empty());
        assert!(catalog.get(9).is_none());
    }
}
