-- Erasing a person (GDPR): everything pg_engage keeps that names them goes, in one call, and a
-- search of every engage table for their identifiers afterwards finds nothing; the contact next
-- to them keeps everything.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

-- Ann (to erase) and Bob, each with channels, a field value, a device, a group, events, a
-- workflow instance and its send, activities, an order with items and revenue, RFM.
SELECT engage.create_field('Shoe size', 'number', field_id => 501) > 0 AS field;
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "ann-ext", "firstName": "Ann", "lastName": "Lee", "fields": [{"id": 501, "value": "38"}],
   "channels": [{"type": "email", "value": "Ann@Example.com"}, {"type": "sms", "value": "380501112233"}]},
  {"externalCustomerId": "bob-ext", "firstName": "Bob", "fields": [{"id": 501, "value": "44"}],
   "channels": [{"type": "email", "value": "bob@example.org"}]}]}');
SELECT engage.create_group('vips') > 0 AS group;
SELECT engage.add_to_group('vips', ARRAY(SELECT contact_id FROM engage.contacts));
SELECT count(*) FROM engage.register_devices('{"devices": [
  {"deviceId": "ann-device", "pushToken": "tok-ann", "category": "mobilepush", "externalCustomerId": "ann-ext"},
  {"deviceId": "bob-device", "pushToken": "tok-bob", "category": "mobilepush", "externalCustomerId": "bob-ext"}]}');
INSERT INTO engage.messages (name, subject, body) VALUES ('hello', 'Hi $!contact.firstName', 'Hello $!contact.firstName');
SELECT engage.create_event_type('visited', 'Visited', 'Other') > 0 AS event_type;
SELECT engage.create_workflow('greet', '[{"id": "send", "type": "send_message", "messageId": 1}]') > 0 AS workflow;
SELECT engage.link_event('greet', 'visited');
SELECT engage.activate_workflow('greet');
SELECT count(*) AS events FROM (
    SELECT engage.generate_event(jsonb_build_object('eventTypeKey', 'visited', 'keyValue', k,
                                                    'params', jsonb_build_array(jsonb_build_object('name', 'page', 'value', 'home'))))
    FROM unnest(ARRAY['ann@example.com', 'bob@example.org']) k) e;
SELECT events, launched, sends FROM engage.process_events();
SELECT jsonb_array_length(engage.smartsend(1, '{"recipients": [{"locator": "ann@example.com"}, {"locator": "bob@example.org"}]}') -> 'results') AS smartsent;
SELECT count(*) AS clicked FROM engage.claim_sends(10) s,
    LATERAL engage.report_delivery(s.request_id, 'CLICKED', '{"at": "2026-11-30T10:00:00Z", "link": "https://shop.example.com"}') r;
SELECT engage.add_orders('{"orders": [
  {"externalOrderId": "ann-order", "externalCustomerId": "ann-ext", "totalCost": 90, "status": "DELIVERED",
   "date": "2026-12-01T10:00:00Z", "currency": "UAH", "email": "ann@example.com", "phone": "380501112233",
   "firstName": "Ann", "deliveryAddress": "1 Main St", "items": [{"externalItemId": "p1", "name": "Tea", "quantity": 1, "cost": 90}]},
  {"externalOrderId": "bob-order", "externalCustomerId": "bob-ext", "totalCost": 40, "status": "DELIVERED",
   "date": "2026-12-01T11:00:00Z", "currency": "UAH", "items": [{"externalItemId": "p1", "name": "Tea", "quantity": 1, "cost": 40}]}]}') ->> 'created' AS orders;
SELECT count(*) AS attributed FROM engage.revenue;
SELECT count(*) AS rfm FROM engage.recompute_rfm();
SELECT engage.unsubscribe_emails('{"emails": ["ann@example.com"]}') AS unsubscribed;
INSERT INTO engage.list_sync_definitions (name, query, action, list_id, job_id)
VALUES ('s', 'SELECT 1', 'add', 1, engage.schedule_job('list sync s', NULL, kind => 'list_sync'));
INSERT INTO engage.list_sync_rows (sync_id, row_key, operation, state, hash, run_id)
VALUES (1, 'email:ann@example.com', 'subscribe', 'delivered', 1, 0), (1, 'userId:ann-ext', 'subscribe', 'delivered', 1, 0),
       (1, 'email:bob@example.org', 'subscribe', 'delivered', 1, 0);

-- An export of four datasets into schema "erasure_warehouse" of this database, run once.
CREATE SCHEMA erasure_warehouse;
SELECT name FROM engage.create_connector('here');
SELECT name, datasets FROM engage.create_export('warehouse', 'here', ARRAY['contacts', 'devices', 'orders', 'events'],
                                                schema => 'erasure_warehouse');
SELECT status FROM engage.run_export_now('warehouse');

-- How many rows of each engage table name a person: by one of the identifiers, anywhere in the
-- row's text, or by their contact ID in a contact_id column.
CREATE FUNCTION pg_temp.rows_naming(person bigint, identifiers text[]) RETURNS TABLE (table_name name, rows bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
BEGIN
    FOR t IN SELECT c.oid::regclass AS relation, c.relname,
                    EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'contact_id') AS has_contact
             FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
             WHERE s.nspname = 'engage' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY c.relname LOOP
        EXECUTE format('SELECT count(*) FROM %s x WHERE x::text ILIKE ANY ($1) %s', t.relation,
                       CASE WHEN t.has_contact THEN 'OR x.contact_id = $2' ELSE '' END)
        INTO n USING ARRAY(SELECT '%' || i || '%' FROM unnest(identifiers) i), person;
        IF n > 0 THEN
            table_name := t.relname;
            rows := n;
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
SELECT contact_id AS ann FROM engage.contacts WHERE external_customer_id = 'ann-ext' \gset
SELECT contact_id AS bob FROM engage.contacts WHERE external_customer_id = 'bob-ext' \gset
SELECT * FROM pg_temp.rows_naming(:ann, ARRAY['ann@example.com', '380501112233', 'ann-ext', 'ann-device', 'tok-ann', 'ann-order']);
SELECT * FROM pg_temp.rows_naming(:bob, ARRAY['bob@example.org', 'bob-ext', 'bob-device', 'tok-bob', 'bob-order']);

-- A writer erases Ann by her email (any case): what went, per table.
SET ROLE regress_engage_writer;
SELECT table_name, rows_removed FROM engage.erase_contact(email => 'ANN@example.com') WHERE rows_removed > 0;
RESET ROLE;
-- Nothing names her any more but the tombstones the export needs (her device's ID and her
-- identifiers: the exported rows are deleted by them); Bob keeps all he had.
SELECT * FROM pg_temp.rows_naming(:ann, ARRAY['ann@example.com', '380501112233', 'ann-ext', 'ann-device', 'tok-ann', 'ann-order']);
SELECT * FROM pg_temp.rows_naming(:bob, ARRAY['bob@example.org', 'bob-ext', 'bob-device', 'tok-bob', 'bob-order']);
-- The export's next run deletes her exported contact, device, order and events, and the
-- tombstones go.
SELECT status FROM engage.run_export_now('warehouse');
SELECT (SELECT count(*) FROM erasure_warehouse.contacts WHERE "contactId" = :ann) AS contacts,
       (SELECT count(*) FROM erasure_warehouse.devices WHERE "deviceId" = 'ann-device') AS devices,
       (SELECT count(*) FROM erasure_warehouse.orders WHERE "externalOrderId" = 'ann-order') AS orders,
       (SELECT count(*) FROM erasure_warehouse.events WHERE "contactId" = :ann OR "keyValue" = 'ann@example.com') AS events,
       (SELECT count(*) FROM erasure_warehouse.events WHERE "contactId" = :bob) AS bobs_events,
       (SELECT count(*) FROM erasure_warehouse.contacts WHERE "contactId" = :bob) AS bobs_contact;
SELECT * FROM pg_temp.rows_naming(:ann, ARRAY['ann@example.com', '380501112233', 'ann-ext', 'ann-device', 'tok-ann', 'ann-order']);

-- Refusals: an unknown person, no one named, two identifiers of different people; readers may
-- not erase.
SELECT engage.erase_contact(email => 'ann@example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.erase_contact(contact_id => :ann);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.erase_contact(phone => '+38 050 111 22 33');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.erase_contact();
\echo :LAST_ERROR_SQLSTATE
SELECT engage.erase_contact(email => 'not an address');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "cy-ext", "channels": [{"type": "email", "value": "cy@example.com"}]}]}');
SELECT engage.erase_contact(external_customer_id => 'bob-ext', email => 'cy@example.com');
\echo :LAST_ERROR_SQLSTATE
-- An address on one person's order that is another contact's channel (a gift) is the other's:
-- erasing Bob leaves Cy's event and unsubscribe alone.
SELECT engage.generate_event('{"eventTypeKey": "visited", "keyValue": "cy@example.com"}') > 0 AS stored;
SELECT engage.unsubscribe_emails('{"emails": ["cy@example.com"]}') AS unsubscribed;
SELECT engage.add_orders('{"orders": [{"externalOrderId": "gift", "externalCustomerId": "bob-ext", "totalCost": 5,
  "status": "DELIVERED", "date": "2026-12-02T10:00:00Z", "currency": "UAH", "email": "cy@example.com"}]}') ->> 'created' AS orders;
SELECT count(*) AS tables FROM engage.erase_contact(external_customer_id => 'bob-ext');
SELECT (SELECT count(*) FROM engage.events WHERE key_value = 'cy@example.com') AS cys_events,
       (SELECT count(*) FROM engage.unsubscribed_emails WHERE email = 'cy@example.com') AS cy_unsubscribed,
       (SELECT count(*) FROM engage.contacts WHERE external_customer_id = 'bob-ext') AS bob;
SET ROLE regress_engage_reader;
SELECT engage.erase_contact(external_customer_id => 'cy-ext');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS contacts FROM engage.contacts;
DROP SCHEMA erasure_warehouse CASCADE;
