-- Data export (spec 001): the nine datasets into a schema of this database and into another
-- database through postgres_fdw over TCP; tables created at the first run, incremental runs
-- (inserts, updates, deletes by key), a full resync, the views, and every refusal with its
-- SQLSTATE.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

\i include/export_differences.sql

-- Something in every dataset: contacts with email and sms, a message with a translation, a
-- triggered send delivered, opened and clicked, a broadcast, orders with items (one attributed
-- to the click), a device, an event.
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "ann", "firstName": "Ann", "lastName": "Lee", "channels": [{"type": "email", "value": "ann@example.com"}, {"type": "sms", "value": "380501112233"}]},
  {"externalCustomerId": "bob", "firstName": "Bob", "channels": [{"type": "email", "value": "bob@example.org"}]}]}');
INSERT INTO engage.messages (name, subject, body, tags, annoyance_level) VALUES ('promo', 'Sale', 'Hi $!contact.firstName', '{sale,autumn}', 2);
INSERT INTO engage.message_translations (message_id, language, subject, body) VALUES (1, 'uk', 'Знижки', 'Привіт');
SELECT engage.smartsend(1, '{"recipients": [{"locator": "ann@example.com"}]}') -> 'results' -> 0 ->> 'requestId' AS promo \gset
SELECT count(*) FROM engage.claim_sends(10);
SELECT send_status FROM engage.report_delivery(:'promo', 'DELIVERED', '{"at": "2026-11-11T08:59:00Z"}');
SELECT send_status FROM engage.report_delivery(:'promo', 'RECEIVED', '{"at": "2026-11-11T09:00:00Z"}');
SELECT send_status FROM engage.report_delivery(:'promo', 'CLICKED', '{"at": "2026-11-11T09:05:00Z", "link": "https://shop.example.com/sale"}');
SELECT engage.create_segment('Has email', '{"channel": "email"}') AS has_email \gset
SELECT status, queued FROM engage.send_broadcast(1, ARRAY[:has_email]::bigint[], 'Autumn sale');
SELECT engage.add_orders($${"orders": [
  {"externalOrderId": "R-1", "externalCustomerId": "ann", "totalCost": 99, "status": "IN PROGRESS", "date": "2026-11-12T08:00:00Z",
   "currency": "UAH", "email": "ann@example.com", "firstName": "Ann", "deliveryMethod": "courier",
   "items": [{"externalItemId": "p1", "name": "Tea", "quantity": 2, "cost": 5.25}, {"externalItemId": "p2", "name": "Cup", "quantity": 1, "cost": 5}]},
  {"externalOrderId": "R-2", "externalCustomerId": "bob", "totalCost": 10, "status": "DELIVERED", "date": "2026-11-25T08:00:00Z", "currency": "UAH"}]}$$) ->> 'created' AS created;
SELECT device_id, created FROM engage.register_devices('{"devices": [{"deviceId": "d-1", "pushToken": "tok-1", "category": "mobilepush", "osType": "android", "osVersion": "14", "appVersion": "2.1", "applicationId": 7, "externalCustomerId": "ann"}]}');
SELECT engage.generate_event(jsonb_build_object('eventTypeKey', 'viewedProduct', 'keyValue', 'bob@example.org',
  'params', jsonb_build_array(jsonb_build_object('name', 'sku', 'value', 'p1'),
                              jsonb_build_object('name', 'review', 'value', repeat('x', 400))))) > 0 AS event;

-- A connector to this database, and an export of all nine datasets into schema "warehouse".
CREATE SCHEMA warehouse;
SELECT name FROM engage.create_connector('here');
SELECT name, connector, target_schema, datasets, schedule, state, job_name
FROM engage.create_export('warehouse', 'here', schema => 'warehouse');
SELECT name, kind, arguments ? 'export_id' AS has_export_id FROM engage.jobs WHERE kind = 'export';

-- The first run creates the tables (with the spec's camelCase columns) and copies everything.
SELECT status, replace(result, '; ', E'\n') AS result FROM engage.run_export_now('warehouse');
SELECT c.relname AS table_name, string_agg(format('%s %s', a.attname, format_type(a.atttypid, NULL)), ', ' ORDER BY a.attnum) AS columns
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE c.relnamespace = 'warehouse'::regnamespace AND c.relkind = 'r' GROUP BY c.relname ORDER BY c.relname;
SELECT indexrelid::regclass AS index, indisprimary AS primary_key FROM pg_index
WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'warehouse'::regnamespace) ORDER BY indexrelid::regclass::text;
SELECT * FROM export_differences('warehouse');
SELECT "contactId", "contactSource", email, "emailDomain", "emailStatus", "externalCustomerId", "firstName", "lastName", sms,
       "lastSentDate", "lastReceivedDate", "lastViewedDate", "lastClickedDate", "totalSent", "totalReceived", "totalViewed", "totalClicked"
FROM warehouse.contacts ORDER BY "contactId";
SELECT "activityStatus", activity, "statusDescription", "campaignType", "contactId", "externalCustomerId", "mediaType", "messageName",
       "messageTags", "clickEventLink", "activityDateTime", started
FROM warehouse.contact_activities ORDER BY "activityDateTime";
SELECT id, "groupId" = :has_email AS group_is_segment, name, "mediaType", "messageId", status FROM warehouse.broadcasts;
SELECT "messageId", name, language, "mediaType", subject, tags, translations, "annoyanceLevel" FROM warehouse.messages;
SELECT "orderId", "externalOrderId", "contactId", status, "totalCost", email, "firstName", "deliveryMethod", "orderDate" FROM warehouse.orders ORDER BY 1;
SELECT "orderId", "externalProductId", name, quantity, cost, "orderDate" FROM warehouse.order_items ORDER BY 1, 2;
SELECT "externalOrderId", "activityStatus", "clickEventLink", "messageName", "totalCost", currency, "externalCustomerId" FROM warehouse.revenue;
SELECT "deviceId", "contactId", "externalCustomerId", category, "osType", "osVersion", "appVersion", "applicationId", "pushToken" FROM warehouse.devices;
-- paramsJson: name/value pairs, values cut to 300 characters.
SELECT "eventTypeKey", "keyValue", "contactId", json_array_length("paramsJson") AS params,
       length("paramsJson"->1->>'value') AS review_length, "paramsJson"->0 AS first
FROM warehouse.events WHERE "eventTypeKey" = 'viewedProduct';
SELECT dataset, snapshot IS NOT NULL AS has_snapshot FROM warehouse.engage_export_state ORDER BY dataset;

-- Changes: a contact renamed and one new; an order with new items; an address unsubscribed; a
-- translation removed; a new open; a contact deleted with its order, revenue and device; a new
-- event.
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "bob", "firstName": "Robert", "channels": [{"type": "email", "value": "bob@example.org"}]},
  {"externalCustomerId": "cat", "firstName": "Cat", "channels": [{"type": "email", "value": "cat@example.net"}]}]}');
SELECT engage.add_orders($${"orders": [{"externalOrderId": "R-2", "externalCustomerId": "bob", "totalCost": 12, "status": "DELIVERED",
  "date": "2026-11-25T08:00:00Z", "currency": "UAH", "items": [{"externalItemId": "p3", "name": "Pot", "quantity": 1, "cost": 12}]}]}$$) ->> 'updated' AS updated;
SELECT engage.unsubscribe_emails('{"emails": ["bob@example.org"]}');
DELETE FROM engage.message_translations;
SELECT send_status FROM engage.report_delivery(:'promo', 'RECEIVED', '{"at": "2026-11-12T10:00:00Z", "reportId": "second-open"}');
DELETE FROM engage.contacts WHERE external_customer_id = 'ann';
SELECT engage.generate_event('{"eventTypeKey": "viewedProduct", "keyValue": "cat@example.net", "params": [{"name": "sku", "value": "p9"}]}') > 0 AS event;

-- The incremental run sends only that: per dataset, keys inserted, updated and deleted.
SELECT status, replace(result, '; ', E'\n') AS result FROM engage.run_export_now('warehouse');
SELECT * FROM export_differences('warehouse');
SELECT "contactId", "firstName", email, "emailStatus", "totalViewed" FROM warehouse.contacts ORDER BY 1;
SELECT "externalOrderId", status, "totalCost" FROM warehouse.orders ORDER BY 1;
SELECT "orderId", "externalProductId", name FROM warehouse.order_items ORDER BY 1, 2;
SELECT count(*) AS revenue_rows FROM warehouse.revenue;
SELECT count(*) AS devices FROM warehouse.devices;
SELECT "messageId", translations FROM warehouse.messages;
-- Nothing changed: nothing sent.
SELECT status, replace(result, '; ', E'\n') AS result FROM engage.run_export_now('warehouse');
-- A full resync on request empties each table and copies everything again.
SELECT status, replace(result, '; ', E'\n') AS result FROM engage.run_export_now('warehouse', full_resync => true);
SELECT * FROM export_differences('warehouse');
-- A table dropped by hand is created and filled again at the next run.
DROP TABLE warehouse.orders;
SELECT status, result FROM engage.run_export_now('warehouse');
SELECT count(*) AS orders FROM warehouse.orders;
-- A full attribution may drop revenue rows of unchanged orders: the next run copies revenue whole.
SELECT engage.attribute_revenue();
SELECT status, result FROM engage.run_export_now('warehouse');

-- An order's items are sent again when the order moves to another date or contact (they follow
-- it), not when only its status changes.
SELECT engage.add_orders($${"orders": [{"externalOrderId": "R-2", "externalCustomerId": "bob", "totalCost": 12, "status": "IN PROGRESS",
  "date": "2026-11-25T08:00:00Z", "currency": "UAH"}]}$$) ->> 'updated' AS status_changed;
SELECT (engage.run_export_now('warehouse')).status;
SELECT dataset, rows_updated FROM engage.export_runs
WHERE run_id = (SELECT max(run_id) FROM engage.export_runs) AND dataset IN ('orderItems', 'orders') ORDER BY 1;
SELECT engage.add_orders($${"orders": [{"externalOrderId": "R-2", "externalCustomerId": "eve", "email": "eve@example.com", "totalCost": 12,
  "status": "IN PROGRESS", "date": "2026-11-26T09:00:00Z", "currency": "UAH"}]}$$) ->> 'contactsCreated' AS moved_to_a_new_contact;
SELECT o.external_order_id, c.external_customer_id, count(i.*) AS items
FROM engage.orders o JOIN engage.contacts c USING (contact_id) LEFT JOIN engage.order_items i USING (contact_id, order_id)
WHERE o.external_order_id = 'R-2' GROUP BY 1, 2;
SELECT (engage.run_export_now('warehouse')).status;
SELECT dataset, rows_updated FROM engage.export_runs
WHERE run_id = (SELECT max(run_id) FROM engage.export_runs) AND dataset IN ('orderItems', 'orders') ORDER BY 1;
SELECT "orderId", "externalProductId", "orderDate" FROM warehouse.order_items;
SELECT * FROM export_differences('warehouse') WHERE missing + extra > 0;

-- The views: exports with their state and last run; runs per dataset.
SELECT name, state, last_run_status, last_run_error, last_success_at IS NOT NULL AS succeeded, next_run_at
FROM engage.exports;
SELECT run_id, status, dataset, mode, rows_inserted, rows_updated, rows_deleted, duration >= '0' AS timed
FROM engage.export_runs WHERE dataset IN ('contacts', 'orders') ORDER BY run_id, dataset;
-- A first copy reads an append-only table partition by partition (each a range of its key, to
-- which the executor prunes the rest away), in batches of pages, each a TID range scan (the row
-- function inlined), never a scan of the whole table per batch (on a table this small the
-- planner would rather scan it all or read an index: told not to, it shows the range is usable).
SET enable_seqscan = off;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SELECT key_from, key_to FROM engage_internal.partition_ranges('engage.contact_activities') WHERE partition::text LIKE '%before' \gset
PREPARE first_copy(uuid, uuid) AS SELECT * FROM engage_internal.export_rows_contact_activities(NULL, '100:100:', 0, 2048, $1, $2);
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE first_copy(:'key_from', :'key_to');
RESET plan_cache_mode;
DEALLOCATE first_copy;
RESET enable_seqscan;
RESET enable_indexscan;
RESET enable_bitmapscan;
-- Progress is shown only while a run works (from shared memory): none now.
SELECT count(*) AS running FROM engage.export_progress;

-- Refusals. Unknown and empty datasets, a missing connector, a name taken, a missing schema.
SELECT engage.create_export('x', 'here', ARRAY['contacts', 'clicks']);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_export('x', 'here', ARRAY[NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_export('x', 'here', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_export('x', 'nowhere');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_export('warehouse', 'here', schema => 'elsewhere');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_export('x', 'here', schema => 'elsewhere');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_export(' ', 'here');
\echo :LAST_ERROR_SQLSTATE
-- Two exports may not write the same table.
SELECT engage.create_export('x', 'here', ARRAY['Orders', 'order_items', 'messages'], schema => 'warehouse');
\echo :LAST_ERROR_SQLSTATE
-- A table of a dataset's name with other columns.
CREATE SCHEMA shop;
CREATE TABLE shop.orders ("orderId" text, status text);
SELECT engage.create_export('x', 'here', ARRAY['orders'], schema => 'shop');
\echo :LAST_ERROR_SQLSTATE
-- Dataset names are read in either spelling and any case; the datasets are sorted.
SELECT name, datasets FROM engage.create_export('x', 'here', ARRAY['ORDERITEMS', 'contact_activities', 'contactActivities'], schema => 'shop');
SELECT name, datasets FROM engage.alter_export('x', datasets => ARRAY['devices'], schedule => '0 3 * * *', time_zone => 'Europe/Kyiv');
SELECT name, schedule, time_zone, kind FROM engage.jobs WHERE name = 'export x';
SELECT engage.alter_export('x', datasets => ARRAY['orders']);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.drop_export('x');
SELECT engage.drop_export('x');
\echo :LAST_ERROR_SQLSTATE

-- Rights. An admin without CREATE on the schema is told so when it creates the export; a writer
-- may not create exports at all; readers see no other role's exports.
CREATE SCHEMA locked;
SET ROLE regress_engage_admin;
SELECT engage.create_export('mine', 'here', ARRAY['contacts'], schema => 'locked');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS exports_visible FROM engage.exports;
RESET ROLE;
GRANT CREATE, USAGE ON SCHEMA locked TO regress_engage_admin;
SET ROLE regress_engage_admin;
SELECT name, datasets FROM engage.create_export('mine', 'here', ARRAY['contacts', 'orders'], schema => 'locked');
SELECT status, result FROM engage.run_export_now('mine');
SELECT count(*) AS contacts FROM locked.contacts;
SELECT tableowner FROM pg_tables WHERE schemaname = 'locked' AND tablename = 'contacts';
RESET ROLE;
SET ROLE regress_engage_writer;
SELECT engage.create_export('w', 'here', ARRAY['contacts'], schema => 'locked');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- A table the export's role may not write: the run fails with the reason, and writes nothing.
REVOKE CREATE ON SCHEMA locked FROM regress_engage_admin;
ALTER TABLE locked.orders OWNER TO postgres;
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "dan", "channels": [{"type": "email", "value": "dan@example.com"}]}]}');
SET ROLE regress_engage_admin;
SELECT status, error FROM engage.run_export_now('mine');
SELECT count(*) AS contacts_unchanged FROM locked.contacts;
SELECT name, state, last_run_status FROM engage.exports WHERE name = 'mine';
RESET ROLE;

-- Another database over TCP through postgres_fdw: a login role that owns schema "dwh" there.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS engage_regress_dwh;
DROP ROLE IF EXISTS regress_dwh_writer;
RESET client_min_messages;
CREATE DATABASE engage_regress_dwh;
CREATE ROLE regress_dwh_writer LOGIN PASSWORD 'dwh-password';
\c engage_regress_dwh
CREATE SCHEMA dwh AUTHORIZATION regress_dwh_writer;
CREATE SCHEMA readonly;
GRANT USAGE ON SCHEMA readonly TO regress_dwh_writer;
\c engage_regress
SET TimeZone = 'UTC';
SET client_min_messages = error;
SELECT name FROM engage.create_connector('dwh', host => 'localhost', port => current_setting('port')::int,
    database => 'engage_regress_dwh', username => 'regress_dwh_writer', password => 'dwh-password', ssl_mode => 'disable');
RESET client_min_messages;
-- The tables are created there at the first run; updates reach them by key.
SELECT name, connector, target_schema FROM engage.create_export('to dwh', 'dwh', schema => 'dwh');
SELECT status, replace(result, '; ', E'\n') AS result FROM engage.run_export_now('to dwh');
SELECT * FROM export_differences('to dwh');
SELECT engage.add_orders($${"orders": [{"externalOrderId": "R-2", "externalCustomerId": "bob", "totalCost": 12, "status": "CANCELLED",
  "date": "2026-11-25T08:00:00Z", "currency": "UAH"}]}$$) ->> 'updated' AS updated;
DELETE FROM engage.contacts WHERE external_customer_id = 'cat';
SELECT status, replace(result, '; ', E'\n') AS result FROM engage.run_export_now('to dwh');
SELECT * FROM export_differences('to dwh');
\c engage_regress_dwh
SELECT "externalOrderId", status FROM dwh.orders ORDER BY 1;
SELECT "contactId", "externalCustomerId", "firstName" FROM dwh.contacts ORDER BY 1;
SELECT count(*) AS state_rows FROM dwh.engage_export_state;
\c engage_regress
SET TimeZone = 'UTC';
-- A schema there the role may not create tables in: the run fails, saying what to grant.
SELECT name FROM engage.create_export('to readonly', 'dwh', ARRAY['orders'], schema => 'readonly');
SELECT status, error FROM engage.run_export_now('to readonly');
-- A schema that does not exist there.
SELECT name FROM engage.create_export('to nowhere', 'dwh', ARRAY['orders'], schema => 'nowhere');
SELECT status, error FROM engage.run_export_now('to nowhere');
-- Exports through a remote connector are made by its owner (its user mapping holds the password).
SET ROLE regress_engage_admin;
SELECT engage.create_export('borrowed', 'dwh', ARRAY['orders'], schema => 'dwh');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- A connector with exports, and an export's job, are not dropped from under it (nor anything of
-- the connector: its data sources and their views stay).
SELECT name FROM engage.create_data_source('dwh contacts', 'dwh', 'dwh.contacts', 'email');
SELECT count(*) AS sources_before FROM engage.data_sources s JOIN engage.connectors c USING (connector_id) WHERE c.name = 'dwh';
SELECT engage.drop_connector('dwh');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS sources_after, count(*) FILTER (WHERE to_regclass(format('engage_sources.source_%s', s.source_id)) IS NOT NULL) AS views
FROM engage.data_sources s JOIN engage.connectors c USING (connector_id) WHERE c.name = 'dwh';
SELECT engage.unschedule_job('export to dwh');
\echo :LAST_ERROR_SQLSTATE
-- Dropping an export drops its foreign tables; the tables there keep their rows.
SELECT engage.drop_export('to dwh');
SELECT count(*) AS foreign_tables_left FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
WHERE c.relname LIKE 'export\_%';
SELECT engage.drop_export('to readonly'), engage.drop_export('to nowhere');
\c engage_regress_dwh
SELECT count(*) AS orders_kept FROM dwh.orders;
\c engage_regress
DROP DATABASE engage_regress_dwh WITH (FORCE);
-- Leave the database as the other test files expect it.
SELECT engage.drop_connector('dwh');
SET client_min_messages = warning;
DROP SCHEMA warehouse, shop, locked CASCADE;
RESET client_min_messages;
DROP FUNCTION export_differences(text);
DROP ROLE regress_dwh_writer;
