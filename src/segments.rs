//! Segment rules in SQL: the catalog a rule is checked against is read from the database, the
//! pure compiler (`engage-segments`) turns the rule into one statement, and the plpgsql in
//! `sql/segments.sql` stores, previews and refreshes with it.

use crate::error::{required, EngageError, OrRaise};
use crate::json_body::JsonBody;
use engage_segments::{compile, Catalog, Column, ContactKey, FieldType, Source};
use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::PgSqlErrorCode::*;

/// How a column of a data source compares: by its SQL type's category.
fn column_kind(type_category: &str) -> FieldType {
    match type_category {
        "N" => FieldType::Number,
        "D" => FieldType::Date,
        "B" => FieldType::Boolean,
        _ => FieldType::String,
    }
}

const SOURCES: &str = "
    SELECT s.source_id::bigint, n.nspname::text, cl.relname::text, s.key_column::text, c.contact_key,
           c.contact_key_field_id, s.name,
           array_agg(a.attname::text ORDER BY a.attnum), array_agg(t.typcategory::text ORDER BY a.attnum),
           array_agg(t.typname::text ORDER BY a.attnum)
    FROM engage.data_sources s
    JOIN engage.connectors c USING (connector_id)
    JOIN pg_class cl ON cl.oid = s.relation
    JOIN pg_namespace n ON n.oid = cl.relnamespace
    JOIN pg_attribute a ON a.attrelid = s.relation AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    GROUP BY s.source_id, n.nspname, cl.relname, s.key_column, c.contact_key, c.contact_key_field_id, s.name";

/// What a rule may name, as the database has it now.
fn read_catalog(client: &SpiClient, defining: Option<i64>) -> pgrx::spi::Result<Catalog> {
    let mut catalog = Catalog { defining, ..Catalog::default() };
    for row in
        client.select("SELECT field_id::bigint, type, allowed_values, name FROM engage.fields", None, &[])?
    {
        let (Some(id), Some(kind)) = (row.get::<i64>(1)?, row.get::<String>(2)?) else { continue };
        let allowed = row.get::<Vec<String>>(3)?.unwrap_or_default();
        if let Some(name) = row.get::<String>(4)? {
            catalog.field_names.entry(name).or_default().push(id);
        }
        catalog.fields.insert(id, (FieldType::parse(&kind).unwrap_or(FieldType::String), allowed));
    }
    for row in client.select(SOURCES, None, &[])? {
        let id = row.get::<i64>(1)?.unwrap_or_default();
        let contact_key = match row.get::<String>(5)?.as_deref() {
            Some("email") => ContactKey::Email,
            Some("phone") => ContactKey::Phone,
            Some("external_id") => ContactKey::ExternalId,
            _ => ContactKey::Field(row.get::<i32>(6)?.unwrap_or_default()),
        };
        let names = row.get::<Vec<String>>(8)?.unwrap_or_default();
        let categories = row.get::<Vec<String>>(9)?.unwrap_or_default();
        let types = row.get::<Vec<String>>(10)?.unwrap_or_default();
        let columns = names
            .into_iter()
            .zip(categories.iter().zip(&types))
            .map(|(name, (category, type_name))| Column {
                name,
                kind: column_kind(category),
                text_like: category == "S",
                zoned: type_name == "timestamptz",
            })
            .collect();
        let source = Source {
            name: row.get::<String>(7)?.unwrap_or_default(),
            schema: row.get::<String>(2)?.unwrap_or_default(),
            table: row.get::<String>(3)?.unwrap_or_default(),
            key_column: row.get::<String>(4)?.unwrap_or_default(),
            contact_key,
            columns,
        };
        catalog.source_names.entry(source.name.clone()).or_default().push(id);
        catalog.sources.insert(id, source);
    }
    for row in client.select("SELECT key, event_type_id::bigint FROM engage.event_types", None, &[])? {
        if let (Some(key), Some(id)) = (row.get::<String>(1)?, row.get::<i64>(2)?) {
            catalog.event_types.insert(key, id);
        }
    }
    for row in client.select("SELECT message_id::bigint, name FROM engage.messages", None, &[])? {
        if let Some(id) = row.get::<i64>(1)? {
            catalog.messages.insert(id);
            if let Some(name) = row.get::<String>(2)? {
                catalog.message_names.entry(name).or_default().push(id);
            }
        }
    }
    for row in client.select("SELECT name FROM engage.rfm_segments ORDER BY position", None, &[])? {
        if let Some(name) = row.get::<String>(1)? {
            catalog.rfm_segments.push(name);
        }
    }
    for row in
        client.select("SELECT segment_id, coalesce(uses, '{}'), name FROM engage.segments", None, &[])?
    {
        if let Some(id) = row.get::<i64>(1)? {
            catalog.segments.insert(id, row.get::<Vec<i64>>(2)?.unwrap_or_default());
            if let Some(name) = row.get::<String>(3)? {
                catalog.segment_names.entry(name).or_default().push(id);
            }
        }
    }
    Ok(catalog)
}

/// Checks a rule and compiles it: the statement (`$1` the instant, `$2` the default time zone,
/// `$3` the parameter array), the parameters, and the segments it reads. `defining` is the
/// segment the rule is for, so that a cycle through it is refused.
#[pg_extern(stable, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn compile_segment_rule(
    rule: Option<JsonBody>,
    defining: Option<i64>,
) -> TableIterator<'static, (name!(sql, String), name!(params, Vec<String>), name!(uses, Vec<i64>))> {
    let rule = required(rule, "rule");
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
extension_sql!(
    "COMMENT ON FUNCTION engage.compile_segment_rule(jsonb,bigint) IS 'Checks a segment rule against the catalog and compiles it to one statement: returns sql, its params and the segments it reads (uses). defining: the segment the rule is for, so a cycle through it is refused; NULL for none. 22023 for a bad rule.';",
    name = "comment_compile_segment_rule",
    requires = [compile_segment_rule]
);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use pgrx::prelude::*;
    use pgrx::JsonB;
    use serde_json::{json, Value};

    /// A deterministic generator of rule pieces, good and bad.
    struct Gen(u64);

    impl Gen {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }

        fn pick<T: Clone>(&mut self, items: &[T]) -> T {
            items[self.below(items.len())].clone()
        }

        /// Strings meant to break out of SQL, or to be names nothing has.
        fn hostile(&mut self) -> String {
            self.pick(&[
                "x'); DROP TABLE engage.contacts; --",
                "\" OR 1=1 --",
                "$1",
                "pro",
                "dina@example.com",
                "Ünïcödé ✓",
                "",
                "amount",
                "status; DELETE FROM engage.contacts",
                "2026-02-29",
                "2026-06-01",
            ])
            .to_string()
        }

        fn value(&mut self) -> Value {
            match self.below(6) {
                0 => json!(self.hostile()),
                1 => json!(self.below(200) as i64 - 50),
                2 => json!(12.5),
                3 => json!([self.hostile(), self.below(9)]),
                4 => json!(true),
                _ => Value::Null,
            }
        }

        fn op(&mut self) -> Value {
            json!(self.pick(&[
                "equals",
                "not_equals",
                "in",
                "not_in",
                "contains",
                "starts_with",
                "ends_with",
                "greater",
                "less_or_equal",
                "before",
                "after",
                "within_last_days",
                "is_today",
                "anniversary_is_today",
                "is_true",
                "is_empty",
                "is_not_empty",
                "sounds_like",
            ]))
        }

        fn rule(&mut self, depth: usize) -> Value {
            let kind = if depth > 3 { 4 + self.below(11) } else { self.below(15) };
            match kind {
                0 => json!({"and": (0..1 + self.below(3)).map(|_| self.rule(depth + 1)).collect::<Vec<_>>()}),
                1 => json!({"or": (0..1 + self.below(3)).map(|_| self.rule(depth + 1)).collect::<Vec<_>>()}),
                2 => json!({"not": self.rule(depth + 1)}),
                3 => json!({"and": []}),
                4 => {
                    json!({"field": self.pick(&[20001, 20002, 20003, 20004, 99]), "op": self.op(), "value": self.value()})
                }
                5 => {
                    json!({"attribute": self.pick(&["language", "first_name", "created_at", "shoe"]), "op": self.op(), "value": self.value()})
                }
                6 => {
                    json!({"channel": self.pick(&["email", "sms", "pigeon"]), "status": self.pick(&["active", "any", "x"])})
                }
                7 => {
                    json!({"source": self.pick(&[1001, 1]), "where": [{"column": self.hostile(), "op": self.op(), "value": self.value()}]})
                }
                8 => {
                    json!({"source": 1001, "sum": {"column": self.pick(&["amount", "status"]), "op": self.op(), "value": self.value()}})
                }
                9 => {
                    json!({"event": self.pick(&["cartAbandoned", "nope"]), "params": {self.hostile(): self.hostile()},
                            "within_days": self.value(), "times": {"op": self.pick(&["at_least", "at_most", "exactly"]), "value": self.below(3)}})
                }
                10 => json!({"segment": self.pick(&[1, 999])}),
                11 => {
                    json!({"order": self.pick(&["DELIVERED", "any", "CANCELLED", "shipped"]), "within_days": self.value(),
                            "times": {"op": self.pick(&["at_least", "at_most", "exactly"]), "value": self.below(3)},
                            "total": {"op": self.pick(&["at_least", "at_most", "greater", "less", "equals"]), "value": self.value()}})
                }
                12 => {
                    let (message, never) = (self.value(), self.value());
                    json!({"activity": self.pick(&["CLICKED", "RECEIVED", "OPENED"]), "message": self.pick(&[json!(1), json!(999), message]),
                            "never": self.pick(&[json!(true), json!(false), never])})
                }
                13 => {
                    let hostile = self.hostile();
                    json!({"rfm_segment": self.pick(&["Champions", "Can't lose them", hostile.as_str()])})
                }
                _ => json!({self.hostile(): self.value()}),
            }
        }
    }

    /// Random rules, with hostile names and values, either run or are refused as invalid rules
    /// (22023); none changes the database or fails in another way.
    #[pg_test]
    fn random_rules_run_or_are_refused() {
        Spi::run(
            "SELECT engage.create_field('Birthday', 'date', field_id => 20001);
             SELECT engage.create_field('Plan', 'combobox', ARRAY['free', 'pro'], field_id => 20002);
             SELECT engage.create_field('Score', 'number', field_id => 20003);
             SELECT engage.create_field('Note', 'string', field_id => 20004);
             SELECT engage.create_event_type('cartAbandoned', 'Cart abandoned');
             SELECT count(*) FROM engage.upsert_contacts('{\"contacts\": [
               {\"externalCustomerId\": \"C-1\", \"languageCode\": \"uk\", \"channels\": [{\"type\": \"email\", \"value\": \"dina@example.com\"}],
                \"fields\": [{\"id\": 20001, \"value\": \"1990-06-01\"}, {\"id\": 20002, \"value\": \"pro\"}, {\"id\": 20003, \"value\": 7}]}]}');
             CREATE TABLE rule_orders (email text, amount numeric, status text, \"status; DELETE FROM engage.contacts\" text);
             INSERT INTO rule_orders VALUES ('dina@example.com', 10, 'DELIVERED', 'x');
             SELECT engage.create_connector('here');
             SELECT engage.create_data_source('orders', 'here', 'rule_orders', 'email');
             SELECT engage.create_segment('uk', '{\"attribute\": \"language\", \"op\": \"equals\", \"value\": \"uk\"}');
             INSERT INTO engage.messages (message_id, name, body) VALUES (1, 'Hello', 'Hi');
             CREATE FUNCTION try_rule(rule jsonb) RETURNS text LANGUAGE plpgsql AS $$
             BEGIN
                 PERFORM engage.preview_segment(rule, '2026-06-01 12:00Z');
                 RETURN 'ok';
             EXCEPTION WHEN OTHERS THEN
                 RETURN SQLSTATE || ': ' || SQLERRM;
             END $$;",
        )
        .unwrap();
        let mut g = Gen(42);
        let (mut ran, mut refused) = (0, 0);
        for _ in 0..400 {
            let rule = g.rule(0);
            let outcome =
                Spi::get_one_with_args::<String>("SELECT try_rule($1)", &[JsonB(rule.clone()).into()])
                    .unwrap()
                    .unwrap_or_default();
            match outcome.as_str() {
                "ok" => ran += 1,
                o if o.starts_with("22023") => refused += 1,
                other => panic!("{rule}: {other}"),
            }
        }
        assert!(ran > 40 && refused > 40, "ran {ran}, refused {refused}");
        let contacts = Spi::get_one::<i64>("SELECT count(*) FROM engage.contacts").unwrap();
        assert_eq!(contacts, Some(1));
    }
}
