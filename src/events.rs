//! Events as SQL: `generate_event` (Generate event v2) stores one event for the contact its key
//! identifies; `create_event_type` registers a type by hand. Types an event names that do not
//! exist yet are registered in category `Other`, as the platform does for API events.

use crate::error::{required, EngageError, OrRaise, Result};
use crate::json_body::JsonBody;
use crate::spi_util::first;
use crate::spi_util::next_ids;
use engage_requests::event::{check_type_key, key_candidates, parse_event, parse_event_list, KeyCandidates};
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient};
use pgrx::{JsonB, PgSqlErrorCode};
use serde_json::{Map, Value};
use std::cell::OnceCell;

/// One event to store.
pub struct EventRecord {
    pub type_key: String,
    pub key_value: String,
    /// The contact, when the caller already knows it; otherwise the key value finds it.
    pub contact_id: Option<i64>,
    pub params: Map<String, Value>,
}

/// Stores events of known types read from `$rows` (columns `type_key`, `key_value`, the key's
/// candidates `email`, `external_id`, `phone`, `candidate_id`, a known `contact_id`, `params`),
/// with event IDs from `$event_id`. The contact is found by the key in the order the type's
/// `key_kind` allows (auto: email, external ID, phone, contact ID): each lookup is one probe of a
/// unique index, and `coalesce` stops at the first that finds it. Rows of unknown types are
/// skipped.
macro_rules! insert_events {
    ($event_id:literal, $rows:literal) => {
        concat!(
            "INSERT INTO engage.events (event_id, event_type_id, key_value, contact_id, params) OVERRIDING SYSTEM VALUE
SELECT ", $event_id, ", t.event_type_id, i.key_value,
       coalesce(i.contact_id,
           (SELECT ch.contact_id FROM engage.channels ch
             WHERE ch.type = 'email' AND ch.value = CASE WHEN t.key_kind IN ('auto', 'email') THEN i.email END),
           (SELECT c.contact_id FROM engage.contacts c
             WHERE c.external_customer_id = CASE WHEN t.key_kind IN ('auto', 'external_id') THEN i.external_id END),
           (SELECT ch.contact_id FROM engage.channels ch
             WHERE ch.type = 'sms' AND ch.value = CASE WHEN t.key_kind IN ('auto', 'phone') THEN i.phone END),
           (SELECT ch.contact_id FROM engage.channels ch
             WHERE ch.type = 'viber' AND ch.value = CASE WHEN t.key_kind IN ('auto', 'phone') THEN i.phone END),
           (SELECT c.contact_id FROM engage.contacts c
             WHERE c.contact_id = CASE WHEN t.key_kind IN ('auto', 'contact_id') THEN i.candidate_id END)),
       i.params
FROM (", $rows, ") i
JOIN engage.event_types t ON t.key = i.type_key
RETURNING event_id"
        )
    };
}

/// One event; no row when its type is unknown.
const INSERT_EVENT: &str = insert_events!(
    "nextval('engage.events_event_id_seq')",
    "SELECT $1::text AS type_key, $2::text AS key_value, $3::text AS email, $4::text AS external_id,
            $5::text AS phone, $6::bigint AS candidate_id, $7::bigint AS contact_id, $8::jsonb AS params"
);

/// Many events with IDs allocated beforehand, so that each input's ID is known.
const INSERT_EVENTS: &str = insert_events!(
    "i.event_id",
    "SELECT unnest($1::bigint[]) AS event_id, unnest($2::text[]) AS type_key, unnest($3::text[]) AS key_value,
            unnest($4::text[]) AS email, unnest($5::text[]) AS external_id, unnest($6::text[]) AS phone,
            unnest($7::bigint[]) AS candidate_id, NULL::bigint AS contact_id, unnest($8::jsonb[]) AS params"
);

/// Registers event types that do not exist yet in category `Other`, as the platform does for API
/// events.
const REGISTER_TYPES: &str = "SELECT engage_internal.register_event_types($1)";

thread_local! {
    /// `INSERT_EVENT`, planned once per backend: events arrive one call at a time.
    static INSERT_EVENT_PLAN: OnceCell<OwnedPreparedStatement> = const { OnceCell::new() };
}

/// Stores an event and returns its ID, registering its type first if it is new.
pub fn record_event(client: &mut SpiClient, event: &EventRecord) -> Result<i64> {
    if let Some(id) = insert_event(client, event)? {
        return Ok(id);
    }
    client.update(REGISTER_TYPES, None, &[vec![event.type_key.as_str()].into()])?;
    insert_event(client, event)?.ok_or_else(type_vanished)
}

/// A type registered in this transaction is gone: only a concurrent manual delete can do that.
fn type_vanished() -> EngageError {
    EngageError::new(
        PgSqlErrorCode::ERRCODE_T_R_SERIALIZATION_FAILURE,
        "an event type was deleted while registering it",
    )
    .with_hint("retry the request")
}

fn insert_event(client: &mut SpiClient, event: &EventRecord) -> Result<Option<i64>> {
    let key = key_candidates(&event.key_value);
    INSERT_EVENT_PLAN.with(|cell| {
        let plan = match cell.get() {
            Some(plan) => plan,
            None => {
                use pgrx::pg_sys::{PgOid, INT8OID, JSONBOID, TEXTOID};
                let t = PgOid::from(TEXTOID);
                let i = PgOid::from(INT8OID);
                let args = [t, t, t, t, t, i, i, PgOid::from(JSONBOID)];
                let plan = client.prepare_mut(INSERT_EVENT, &args)?.keep();
                cell.get_or_init(|| plan)
            }
        };
        Ok(first::<i64>(client.update(
            plan,
            None,
            &[
                event.type_key.as_str().into(),
                event.key_value.as_str().into(),
                key.email.into(),
                key.external_id.into(),
                key.phone.into(),
                key.contact_id.into(),
                event.contact_id.into(),
                JsonB(Value::Object(event.params.clone())).into(),
            ],
        )?)?)
    })
}

/// Stores one event (the Generate event v2 body) and returns its ID. The contact is found by
/// `keyValue`; an event whose key identifies no contact is stored without one. Bodies over
/// 20 KB are refused.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn generate_event(body: JsonBody) -> i64 {
    let request = parse_event(&body.0).or_raise();
    drop(body);
    Spi::connect_mut(|client| {
        record_event(
            client,
            &EventRecord {
                type_key: request.type_key,
                key_value: request.key_value,
                contact_id: None,
                params: request.params,
            },
        )
    })
    .or_raise()
}

extension_sql!(
    "COMMENT ON FUNCTION engage.generate_event(jsonb) IS 'Stores one event (Generate event v2: eventTypeKey, keyValue, params) and returns its ID. keyValue finds the contact (none: stored without one); a new type is registered. Bodies over 20 KB are refused.';",
    name = "comment_generate_event",
    requires = [generate_event]
);

/// Stores many events (a JSON array of Generate event v2 bodies) in one set-based statement, all
/// or none: the bulk form of `generate_event` for imports and backfills. Returns each element's
/// event ID, in order.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn generate_events(bodies: JsonBody) -> TableIterator<'static, (name!(index, i32), name!(event_id, i64))> {
    let events = parse_event_list(&bodies.0).or_raise();
    drop(bodies);
    let ids = Spi::connect_mut(|client| -> Result<Vec<i64>> {
        let mut keys: Vec<&str> = events.iter().map(|e| e.type_key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        client.update(REGISTER_TYPES, None, &[keys.into()])?;
        let ids = next_ids(client, "engage.events_event_id_seq", events.len())?;
        let candidates: Vec<KeyCandidates> = events.iter().map(|e| key_candidates(&e.key_value)).collect();
        let args = [
            ids.clone().into(),
            events.iter().map(|e| e.type_key.as_str()).collect::<Vec<_>>().into(),
            events.iter().map(|e| e.key_value.as_str()).collect::<Vec<_>>().into(),
            candidates.iter().map(|k| k.email.as_deref()).collect::<Vec<_>>().into(),
            candidates.iter().map(|k| k.external_id.as_str()).collect::<Vec<_>>().into(),
            candidates.iter().map(|k| k.phone.as_deref()).collect::<Vec<_>>().into(),
            candidates.iter().map(|k| k.contact_id).collect::<Vec<_>>().into(),
            events.iter().map(|e| JsonB(Value::Object(e.params.clone()))).collect::<Vec<_>>().into(),
        ];
        let stored = client.update(INSERT_EVENTS, None, &args)?.len();
        if stored != ids.len() {
            return Err(type_vanished());
        }
        Ok(ids)
    })
    .or_raise();
    TableIterator::new(ids.into_iter().enumerate().map(|(i, id)| (i as i32, id)))
}

extension_sql!(
    "COMMENT ON FUNCTION engage.generate_events(jsonb) IS 'Stores a JSON array of Generate event v2 bodies in one statement, all or none (imports, backfills). Returns each element''s index (from 0) and event ID, in order.';",
    name = "comment_generate_events",
    requires = [generate_events]
);

const CATEGORIES: &[&str] =
    &["Click", "Subscribe", "Unsubscribe", "Import", "RFM", "Other", "Subscription", "View", "Order"];
const KEY_KINDS: &[&str] = &["auto", "email", "phone", "external_id", "contact_id"];

/// Registers an event type by hand and returns its ID. `key_kind` says what `keyValue` holds
/// (auto, email, phone, external_id or contact_id).
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn create_event_type(
    key: Option<&str>,
    name: default!(Option<&str>, "NULL"),
    category: default!(Option<&str>, "'Other'"),
    key_kind: default!(Option<&str>, "'auto'"),
) -> i32 {
    let key = required(key, "key").trim();
    let (category, key_kind) = (required(category, "category"), required(key_kind, "key_kind"));
    check_type_key(key).map_err(|e| e.with_detail("argument key")).or_raise();
    let pick = |value: &str, allowed: &[&str], arg: &str| -> String {
        allowed.iter().find(|a| a.eq_ignore_ascii_case(value.trim())).map(|a| a.to_string()).unwrap_or_else(
            || {
                EngageError::new(
                    PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
                    format!("unknown {arg} \"{value}\""),
                )
                .with_detail(format!("argument {arg}"))
                .with_hint(format!("{arg} is one of: {}", allowed.join(", ")))
                .raise()
            },
        )
    };
    let category = pick(category, CATEGORIES, "category");
    let key_kind = pick(key_kind, KEY_KINDS, "key_kind");
    let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(key);
    let id = Spi::connect_mut(|client| {
        first::<i32>(client.update(
            "INSERT INTO engage.event_types (key, name, category, key_kind) VALUES ($1, $2, $3, $4)
             ON CONFLICT (key) DO NOTHING RETURNING event_type_id",
            None,
            &[key.into(), name.into(), category.as_str().into(), key_kind.as_str().into()],
        )?)
    })
    .or_raise();
    id.unwrap_or_else(|| {
        EngageError::new(
            PgSqlErrorCode::ERRCODE_DUPLICATE_OBJECT,
            format!("event type \"{key}\" already exists"),
        )
        .with_detail("argument key")
        .raise()
    })
}

extension_sql!(
    "COMMENT ON FUNCTION engage.create_event_type(text,text,text,text) IS 'Registers an event type and returns its ID: name defaults to the key, category to Other, key_kind (what keyValue holds) to auto. An existing key is refused (42710). For engage_admin.';",
    name = "comment_create_event_type",
    requires = [create_event_type]
);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use super::*;

    fn event(key_value: &str) -> EventRecord {
        EventRecord {
            type_key: "visit".into(),
            key_value: key_value.into(),
            contact_id: None,
            params: Map::new(),
        }
    }

    #[pg_test]
    fn the_cached_plan_serves_every_call_and_registers_new_types_once() {
        Spi::run(r#"SELECT * FROM engage.upsert_contacts('{"contacts":[{"externalCustomerId":"k1"}]}')"#)
            .unwrap();
        let ids: Vec<i64> =
            (0..3).map(|_| Spi::connect_mut(|client| record_event(client, &event("k1"))).unwrap()).collect();
        assert!(ids[0] < ids[1] && ids[1] < ids[2]);
        let (types, found) = Spi::get_two::<i64, i64>(
            "SELECT (SELECT count(*) FROM engage.event_types WHERE key = 'visit'),
                    (SELECT count(*) FROM engage.events WHERE contact_id IS NOT NULL)",
        )
        .unwrap();
        assert_eq!((types, found), (Some(1), Some(3)));
    }

    #[pg_test]
    fn a_known_contact_wins_over_the_key() {
        Spi::run(r#"SELECT * FROM engage.upsert_contacts('{"contacts":[{"externalCustomerId":"k1"},{"externalCustomerId":"k2"}]}')"#)
            .unwrap();
        let mut e = event("k1");
        e.contact_id = Some(2);
        let id = Spi::connect_mut(|client| record_event(client, &e)).unwrap();
        let contact = Spi::get_one_with_args::<i64>(
            "SELECT contact_id FROM engage.events WHERE event_id = $1",
            &[id.into()],
        );
        assert_eq!(contact.unwrap(), Some(2));
    }
}
