-- generate_event: the v2 body, contact lookup by key, types registered on demand.
\i include/fresh_extension.sql
CREATE TEMP VIEW event_list AS
SELECT e.event_id, t.key AS type, t.category, e.key_value, e.contact_id, e.params
FROM engage.events e JOIN engage.event_types t USING (event_type_id) ORDER BY e.event_id;

SELECT * FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "AV13760", "channels": [{"type": "email", "value": "dina@example.com"}, {"type": "sms", "value": "380501234567"}]},
  {"externalCustomerId": "X-2", "channels": [{"type": "viber", "value": "380670000000"}]}]}');

-- The documented body: an unknown type is registered in category Other; a param value may be an object.
SELECT engage.generate_event('{
  "eventTypeKey": "create_contact",
  "keyValue": "Dina@Example.com",
  "params": [
    {"name": "email", "value": "dina@example.com"},
    {"name": "phone", "value": "380501234567"},
    {"name": "externalCustomerId", "value": "AV13760"},
    {"name": "json", "value": {"profileInputs": [{"profileInputId": 10001, "value": "2020-11-23"}]}}
  ]}') > 0 AS stored;
SELECT key, name, category, key_kind FROM engage.event_types WHERE key = 'create_contact';

-- The key finds the contact by email, external ID, phone (sms, then viber) or contact ID.
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "AV13760", "params": [{"name": "discount", "value": "5%"}, {"name": "link", "value": "https://example.site.com/items_for_sale"}]}') > 0;
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "+380 50 123 45 67"}') > 0;
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "380670000000"}') > 0;
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": 2}') > 0;
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "unknown@example.com"}') > 0;
SELECT * FROM event_list;

-- A type created by hand can say what its key holds: here only contact IDs count.
SELECT engage.create_event_type('orderDelivered', 'Order delivered', 'Order', key_kind => 'contact_id') > 0 AS created;
SELECT engage.generate_event('{"eventTypeKey": "orderDelivered", "keyValue": "1"}') > 0;
SELECT engage.generate_event('{"eventTypeKey": "orderDelivered", "keyValue": "AV13760"}') > 0;
SELECT type, category, key_value, contact_id FROM event_list WHERE type = 'orderDelivered';
SELECT engage.create_event_type('orderDelivered');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_event_type('bad key!');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_event_type('ok', category => 'Shopping');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_event_type('ok', key_kind => 'name');
\echo :LAST_ERROR_SQLSTATE

-- Bad bodies are refused and store nothing.
SELECT count(*) AS events_before FROM engage.events;
SELECT engage.generate_event('{}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.generate_event('{"eventTypeKey": "testEvent"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.generate_event('{"eventTypeKey": "", "keyValue": "k"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "k", "params": {"discount": "5%"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "k", "params": [{"name": "a", "value": 1}, {"name": "a", "value": 2}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "k", "params": [{"value": 1}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.generate_event('{"eventTypeKey": "testEvent", "keyValue": "k", "extra": true}');
\echo :LAST_ERROR_SQLSTATE
-- 20 KB is the limit: a body of exactly 20480 bytes is taken, one byte more is refused.
SELECT engage.generate_event(jsonb_build_object('eventTypeKey', 'big', 'keyValue', 'k',
  'params', jsonb_build_array(jsonb_build_object('name', 'p', 'value', repeat('a', 20480 - 72))))) > 0 AS at_limit;
SELECT engage.generate_event(jsonb_build_object('eventTypeKey', 'big', 'keyValue', 'k',
  'params', jsonb_build_array(jsonb_build_object('name', 'p', 'value', repeat('a', 20480 - 71)))));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS events_after FROM engage.events;

-- generate_events: many bodies in one call, all or nothing, IDs in input order.
SELECT count(*) AS events_before FROM engage.events;
SELECT index, event_id - min(event_id) OVER () AS offset_from_first FROM engage.generate_events('[
  {"eventTypeKey": "bulkEvent", "keyValue": "dina@example.com", "params": [{"name": "n", "value": 1}]},
  {"eventTypeKey": "bulkEvent", "keyValue": "X-2"},
  {"eventTypeKey": "anotherBulkEvent", "keyValue": "nobody"}]');
SELECT type, category, key_value, contact_id, params FROM event_list WHERE type LIKE '%ulkEvent' ORDER BY event_id;
SELECT * FROM engage.generate_events('[{"eventTypeKey": "bulkEvent", "keyValue": "k"}, {"eventTypeKey": "bulkEvent", "params": []}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.generate_events('[]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.generate_events('{"eventTypeKey": "bulkEvent", "keyValue": "k"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.generate_events(jsonb_build_array(jsonb_build_object('eventTypeKey', 'big', 'keyValue', 'k',
  'params', jsonb_build_array(jsonb_build_object('name', 'p', 'value', repeat('a', 20480))))));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS events_after FROM engage.events;
