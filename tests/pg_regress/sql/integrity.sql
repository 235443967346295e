-- What the foreign keys of the child tables would do, done by triggers: deleting or truncating
-- contacts and fields cascades to channels and values; a used event type cannot be deleted.
\i include/fresh_extension.sql
CREATE TEMP VIEW row_counts AS
SELECT (SELECT count(*) FROM engage.contacts) AS contacts,
       (SELECT count(*) FROM engage.channels) AS channels,
       (SELECT count(*) FROM engage.contact_fields) AS field_values;
SELECT engage.create_field('Age', 'number', field_id => 1), engage.create_field('City', 'string', field_id => 2);
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "a", "channels": [{"type": "email", "value": "a@x.io"}, {"type": "webpush", "value": "t1"}], "fields": [{"id": 1, "value": 30}, {"id": 2, "value": "Kyiv"}]},
  {"externalCustomerId": "b", "channels": [{"type": "email", "value": "b@x.io"}], "fields": [{"id": 1, "value": 40}]},
  {"externalCustomerId": "c", "channels": [{"type": "sms", "value": "380501112233"}], "fields": [{"id": 2, "value": "Lviv"}]}]}');
SELECT * FROM row_counts;

-- Deleting a contact deletes its channels and values, and nobody else's.
DELETE FROM engage.contacts WHERE external_customer_id = 'a';
SELECT * FROM row_counts;
SELECT contact_id, type, value FROM engage.channels ORDER BY contact_id;

-- Dropping a field deletes its values.
DELETE FROM engage.fields WHERE field_id = 2;
SELECT contact_id, field_id, value FROM engage.contact_fields ORDER BY contact_id;

-- Workflow instances go with their contact, and with their workflow.
SELECT engage.create_workflow('w', '[{"id": "pause", "type": "wait", "duration": "1 hour"}]');
SELECT engage.link_event('w', 'came');
SELECT engage.activate_workflow('w');
SELECT engage.generate_event(format('{"eventTypeKey": "came", "keyValue": "%s"}', k)::jsonb) > 0 AS stored
FROM unnest(ARRAY['b', 'c']) k;
SELECT events, launched, waiting FROM engage.process_events();
DELETE FROM engage.contacts WHERE external_customer_id = 'b';
SELECT c.external_customer_id, i.status FROM engage.workflow_instances i JOIN engage.contacts c USING (contact_id);
SELECT count(*) AS orphans FROM engage.workflow_instances i
WHERE NOT EXISTS (SELECT FROM engage.contacts c WHERE c.contact_id = i.contact_id);
SELECT engage.deactivate_workflow('w');
UPDATE engage.workflow_instances SET status = 'stopped', resume_at = NULL;
SELECT engage.drop_workflow('w');
SELECT count(*) AS instances FROM engage.workflow_instances;

-- Truncating contacts empties the child tables too, those of every file (each attaches its own
-- cascade): orders and their items, devices, RFM scores (instances: see the deletes above).
SELECT engage.add_orders('{"orders": [{"externalOrderId": "o-1", "externalCustomerId": "a", "totalCost": 10,
    "status": "DELIVERED", "date": "2026-11-30T10:00:00Z", "currency": "EUR",
    "items": [{"externalItemId": "i-1", "name": "x", "quantity": 1, "cost": 10}]}]}') IS NOT NULL AS ordered;
SELECT count(*) AS devices FROM engage.register_devices('{"devices": [{"deviceId": "d-1", "pushToken": "t", "category": "webpush", "externalCustomerId": "a"}]}');
SELECT engage.recompute_rfm() IS NOT NULL AS scored;
CREATE TEMP VIEW dependents AS
SELECT (SELECT count(*) FROM engage.orders) AS orders, (SELECT count(*) FROM engage.order_items) AS items,
       (SELECT count(*) FROM engage.order_status_history) AS history, (SELECT count(*) FROM engage.devices) AS devices,
       (SELECT count(*) FROM engage.contact_rfm) AS rfm;
SELECT * FROM dependents;
TRUNCATE engage.contacts CASCADE;
SELECT * FROM row_counts;
SELECT * FROM dependents;

-- An event type with events cannot be deleted or truncated away; an unused one can be deleted.
SELECT engage.generate_event('{"eventTypeKey": "used", "keyValue": "k"}') > 0 AS stored;
SELECT engage.create_event_type('unused') > 0 AS created;
DELETE FROM engage.event_types WHERE key = 'used';
\echo :LAST_ERROR_SQLSTATE
TRUNCATE engage.event_types;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM engage.event_types WHERE key = 'unused';
SELECT key FROM engage.event_types ORDER BY key;
