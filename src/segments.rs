//! Segment rules in SQL: the catalog a rule is checked against is read from the database, the
//! pure compiler (`engage-segments`) turns the rule into one statement, and the plpgsql in
//! `sql/segments.sql` stores, previews and refreshes with it.

use crate::error::{EngageError, OrRaise};
use crate::json_body::JsonBody;
use engage_segments::{compile, Catalog, Column, ContactKey, FieldType, Source};
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode::*;

fn field_type(name: &str) -> FieldType {
    match name {
        "number" => FieldType::Number,
        "date" => FieldType::Date,
        "boolean" => FieldType::Boolean,
        "combobox" => FieldType::Combobox,
        _ => FieldType::String,
    }
}

/// How a column of a data source compares: by its SQL type's category.
fn column_kind(type_category: &str, type_name: &str) -> FieldType {
    match (type_category, type_name) {
        ("N", _) => FieldType::Number,
        ("D", _) => FieldType::Date,
        ("B", _) => FieldType::Boolean,
        _ => FieldType::String,
    }
}

const SOURCES: &str = "
    SELECT s.source_id::bigint, n.nspname::text, cl.relname::text, s.key_column::text, c.contact_key,
           c.contact_key_field_id,
           array_agg(a.attname::text ORDER BY a.attnum), array_agg(t.typcategory::text ORDER BY a.attnum),
           array_agg(t.typname::text ORDER BY a.attnum)
    FROM engage.data_sources s
    JOIN engage.connectors c USING (connector_id)
    JOIN pg_class cl ON cl.oid = s.relation
    JOIN pg_namespace n ON n.oid = cl.relnamespace
    JOIN pg_attribute a ON a.attrelid = s.relation AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    GROUP BY s.source_id, n.nspname, cl.relname, s.key_column, c.contact_key, c.contact_key_field_id";

/// What a rule may name, as the database has it now.
fn read_catalog(client: &SpiClient, defining: Option<i64>) -> pgrx::spi::Result<Catalog> {
    let mut catalog = Catalog { defining, ..Catalog::default() };
    for row in client.select("SELECT field_id::bigint, type, allowed_values FROM engage.fields", None, &[])? {
        let (Some(id), Some(kind)) = (row.get::<i64>(1)?, row.get::<String>(2)?) else { continue };
        let allowed = row.get::<Vec<String>>(3)?.unwrap_or_default();
        catalog.fields.insert(id, (field_type(&kind), allowed));
    }
    for row in client.select(SOURCES, None, &[])? {
        let id = row.get::<i64>(1)?.unwrap_or_default();
        let contact_key = match row.get::<String>(5)?.as_deref() {
            Some("email") => ContactKey::Email,
            Some("phone") => ContactKey::Phone,
            Some("external_id") => ContactKey::ExternalId,
            _ => ContactKey::Field(row.get::<i32>(6)?.unwrap_or_default()),
        };
        let names = row.get::<Vec<String>>(7)?.unwrap_or_default();
        let categories = row.get::<Vec<String>>(8)?.unwrap_or_default();
        let types = row.get::<Vec<String>>(9)?.unwrap_or_default();
        let columns = names
            .into_iter()
            .zip(categories.iter().zip(&types))
            .map(|(name, (category, type_name))| Column {
                name,
                kind: column_kind(category, type_name),
                text_like: category == "S",
                zoned: type_name == "timestamptz",
            })
            .collect();
        let source = Source {
            schema: row.get::<String>(2)?.unwrap_or_default(),
            table: row.get::<String>(3)?.unwrap_or_default(),
            key_column: row.get::<String>(4)?.unwrap_or_default(),
            contact_key,
            columns,
        };
        catalog.sources.insert(id, source);
    }
    for row in client.select("SELECT key, event_type_id::bigint FROM engage.event_types", None, &[])? {
        if let (Some(key), Some(id)) = (row.get::<String>(1)?, row.get::<i64>(2)?) {
            catalog.event_types.insert(key, id);
        }
    }
    for row in client.select("SELECT segment_id, coalesce(uses, '{}') FROM engage.segments", None, &[])? {
        if let Some(id) = row.get::<i64>(1)? {
            catalog.segments.insert(id, row.get::<Vec<i64>>(2)?.unwrap_or_default());
        }
    }
    Ok(catalog)
}

/// Checks a rule and compiles it: the statement (`$1` the instant, `$2` the default time zone,
/// `$3` the parameter array), the parameters, and the segments it reads. `defining` is the
/// segment the rule is for, so that a cycle through it is refused.
#[pg_extern(stable)]
fn compile_segment_rule(
    rule: JsonBody,
    defining: Option<i64>,
) -> TableIterator<'static, (name!(sql, String), name!(params, Vec<String>), name!(uses, Vec<i64>))> {
    let catalog = Spi::connect(|client| read_catalog(client, defining)).or_raise();
    match compile(&rule.0, &catalog) {
        Ok(c) => TableIterator::once((c.sql, c.params, c.segments)),
        Err(e) => {
            let mut error = EngageError::new(
                ERRCODE_INVALID_PARAMETER_VALUE,
                format!("invalid segment rule: {}", e.message),
            )
            .with_detail(format!("at {}", e.path));
            if let Some(hint) = e.hint {
                error = error.with_hint(hint);
            }
            error.raise()
        }
    }
}
