-- Dynamic segments: rules over attributes, channels, additional fields (birthdays in the
-- contact's time zone), data-source rows, events and other segments; preview, refresh with the
-- changes recorded, the SQL shown; rules refused with the path into them.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

SELECT engage.create_field('Birthday', 'date') AS birthday_field \gset
SELECT engage.create_field('Plan', 'combobox', ARRAY['free', 'pro']) AS plan_field \gset
SELECT engage.create_field('Score', 'number') AS score_field \gset
SELECT count(*) FROM engage.upsert_contacts(format($$ {"contacts": [
  {"externalCustomerId": "C-1", "firstName": "Dina", "languageCode": "uk", "timeZone": "Europe/Kyiv",
   "channels": [{"type": "email", "value": "dina@example.com"}],
   "fields": [{"id": %1$s, "value": "1990-06-02"}, {"id": %2$s, "value": "pro"}, {"id": %3$s, "value": "7"}]},
  {"externalCustomerId": "C-2", "firstName": "Ivan", "languageCode": "en", "timeZone": "America/New_York",
   "channels": [{"type": "email", "value": "ivan@example.com"}, {"type": "sms", "value": "+380501234567"}],
   "fields": [{"id": %1$s, "value": "1985-06-01"}, {"id": %2$s, "value": "free"}]},
  {"externalCustomerId": "C-3", "firstName": "Lesya", "languageCode": "uk",
   "fields": [{"id": %1$s, "value": "2000-02-29"}, {"id": %3$s, "value": "12.5"}]}]} $$,
  :birthday_field, :plan_field, :score_field)::jsonb);
SELECT contact_id, external_customer_id FROM engage.contacts ORDER BY contact_id;

-- Birthday today, in each contact's time zone: at 2026-06-01 22:30 UTC it is already 2 June in
-- Kyiv (Dina's birthday) and still 1 June in New York (Ivan's).
SELECT contacts, sample_ids FROM engage.preview_segment(
    format('{"field": %s, "op": "anniversary_is_today"}', :birthday_field)::jsonb, '2026-06-01 22:30Z');
-- A 29 February birthday is celebrated on 28 February in other years.
SELECT contacts, sample_ids FROM engage.preview_segment(
    format('{"field": %s, "op": "anniversary_is_today"}', :birthday_field)::jsonb, '2027-02-28 12:00Z');

-- Field equals, and an active email.
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"and": [
    {"field": %s, "op": "equals", "value": "pro"}, {"channel": "email"}]} $$, :plan_field)::jsonb);
-- Negations include contacts without a value; is_empty is no value.
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "not_equals", "value": "pro"}', :plan_field)::jsonb);
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "is_empty"}', :plan_field)::jsonb);
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "greater", "value": 10}', :score_field)::jsonb);
SELECT contacts, sample_ids FROM engage.preview_segment('{"or": [{"attribute": "language", "op": "equals", "value": "en"}, {"not": {"channel": "email", "status": "any"}}]}');
-- `not` over a condition on a value a contact does not have includes the contact, as not_equals
-- does (nobody here has a last name: all three are "not Kozak"); the same over a field, and over
-- a combination one part of which is unknown (Lesya has no time zone).
SELECT contacts, sample_ids FROM engage.preview_segment('{"not": {"attribute": "last_name", "op": "equals", "value": "Kozak"}}');
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "last_name", "op": "not_equals", "value": "Kozak"}');
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"not": {"field": %s, "op": "greater", "value": 10}}', :score_field)::jsonb);
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"not": {"and": [
    {"attribute": "time_zone", "op": "equals", "value": "Europe/Kyiv"}, {"field": %s, "op": "equals", "value": "pro"}]}} $$,
    :plan_field)::jsonb);

-- String operators compare text as stored, case and all (emails are stored in lower case).
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "first_name", "op": "equals", "value": "dina"}');
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "first_name", "op": "contains", "value": "AN"}');
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "first_name", "op": "contains", "value": "an"}');
-- within_last_days n is today and the n days before it, both ends included (Dina's 1990-06-02
-- is 10 days before 12 June in Kyiv).
SELECT contacts, sample_ids FROM engage.preview_segment(
    format('{"field": %s, "op": "within_last_days", "value": 10}', :birthday_field)::jsonb, '1990-06-12 12:00Z');
SELECT contacts, sample_ids FROM engage.preview_segment(
    format('{"field": %s, "op": "within_last_days", "value": 9}', :birthday_field)::jsonb, '1990-06-12 12:00Z');

-- Events: performed at least twice within 30 days; never performed.
SELECT engage.create_event_type('cartAbandoned', 'Cart abandoned');
SELECT count(*) FROM engage.generate_events('[
  {"eventTypeKey": "cartAbandoned", "keyValue": "dina@example.com", "params": [{"name": "sku", "value": "A1"}]},
  {"eventTypeKey": "cartAbandoned", "keyValue": "dina@example.com", "params": [{"name": "sku", "value": "B2"}]},
  {"eventTypeKey": "cartAbandoned", "keyValue": "ivan@example.com", "params": [{"name": "sku", "value": "A1"}]}]');
SELECT contacts, sample_ids FROM engage.preview_segment('{"event": "cartAbandoned", "times": {"op": "at_least", "value": 2}, "within_days": 30}');
SELECT contacts, sample_ids FROM engage.preview_segment('{"event": "cartAbandoned", "never": true}');
SELECT contacts, sample_ids FROM engage.preview_segment('{"event": "cartAbandoned", "params": {"sku": "A1"}}');
-- Long ago, nothing had happened yet.
SELECT contacts FROM engage.preview_segment('{"event": "cartAbandoned"}', '2000-01-01Z');

-- Data-source rows joined by the contact key: a row exists with a condition; a sum.
CREATE TABLE orders_ext (email text, amount numeric, status text, placed timestamptz);
INSERT INTO orders_ext VALUES ('dina@example.com', 40, 'DELIVERED', '2026-05-01Z'), ('dina@example.com', 80, 'DELIVERED', '2026-05-20Z'),
    ('ivan@example.com', 500, 'CANCELLED', '2026-05-21Z'), ('stranger@example.com', 1000, 'DELIVERED', '2026-05-22Z');
SELECT name FROM engage.create_connector('here', contact_key => 'email');
SELECT source_id AS orders_source FROM engage.create_data_source('orders', 'here', 'orders_ext', 'email') \gset
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s, "where": [{"column": "status", "op": "equals", "value": "DELIVERED"}]} $$, :orders_source)::jsonb);
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s, "sum": {"column": "amount", "op": "greater_or_equal", "value": 100}} $$, :orders_source)::jsonb);
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s, "count": {"op": "equals", "value": 1}} $$, :orders_source)::jsonb);

-- A saved segment, refreshed: who entered and left is recorded with the instant.
SELECT engage.create_segment('Ukrainian speakers', '{"attribute": "language", "op": "equals", "value": "uk"}') AS uk \gset
SELECT * FROM engage.refresh_segment('Ukrainian speakers', '2026-06-01 10:00Z');
SELECT * FROM engage.segment_contacts('Ukrainian speakers');
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "C-3", "languageCode": "en"}, {"externalCustomerId": "C-2", "languageCode": "uk"}]}');
SELECT * FROM engage.refresh_segment(:'uk', '2026-06-01 11:00Z');
SELECT contact_id, change, changed_at FROM engage.segment_changes ORDER BY change_id;
-- Refreshing again changes nothing.
SELECT * FROM engage.refresh_segment(:'uk', '2026-06-01 12:00Z');
-- The comparison a refresh makes, engage_internal.segment_diff, also runs split over parallel workers
-- (each sends its sorted part to the leader): computed 1..10000, stored 5001..15000.
CREATE TABLE diff_rows (contact_id bigint, stored boolean);
INSERT INTO diff_rows SELECT g, false FROM generate_series(1, 10000) g;
INSERT INTO diff_rows SELECT g, true FROM generate_series(5001, 15000) g;
INSERT INTO diff_rows VALUES (7, false), (NULL, false);
ANALYZE diff_rows;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT engage_internal.segment_diff(contact_id, stored) FROM diff_rows;
SELECT d[1] AS entered, d[2] AS members, d[3] AS first_entered, d[d[1] + 2] AS last_entered,
       cardinality(d) - 2 - d[1] AS left, d[d[1] + 3] AS first_left, d[cardinality(d)] AS last_left
FROM (SELECT engage_internal.segment_diff(contact_id, stored) AS d FROM diff_rows) x;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT engage_internal.segment_diff(contact_id, stored) AS nothing FROM diff_rows WHERE false;
DROP TABLE diff_rows;
-- A segment using another: members of it with an active email.
SELECT engage.create_segment('Ukrainian speakers by email', format('{"and": [{"segment": %s}, {"channel": "email"}]}', :uk)::jsonb) AS uk_email \gset
SELECT * FROM engage.refresh_segment('Ukrainian speakers by email');
-- The SQL, to read or EXPLAIN.
SELECT engage.segment_sql('Ukrainian speakers');
-- A cycle is refused; so is dropping a segment another uses.
SELECT engage.alter_segment('Ukrainian speakers', format('{"segment": %s}', :uk_email)::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.drop_segment('Ukrainian speakers');
\echo :LAST_ERROR_SQLSTATE
-- As a job kind.
SELECT engage.schedule_job('refresh uk', NULL, kind => 'segment_refresh', arguments => '{"segment": "Ukrainian speakers"}') > 0 AS scheduled;
SELECT status, result FROM engage.run_job_now('refresh uk');

-- Refusals point into the rule.
SELECT engage.preview_segment('{"and": [{"channel": "email"}, {"field": 99999, "op": "is_empty"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment(format('{"field": %s, "op": "contains", "value": "1"}', :score_field)::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment(format('{"field": %s, "op": "equals", "value": "enterprise"}', :plan_field)::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment(format('{"source": %s, "where": [{"column": "colour", "op": "is_empty"}]}', :orders_source)::jsonb);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"or": [{"event": "neverHeardOf"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_segment('Ukrainian speakers', '{"channel": "email"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.refresh_segment('nobody');
\echo :LAST_ERROR_SQLSTATE

-- Hostile names and values are data, not SQL.
SELECT contacts FROM engage.preview_segment($${"attribute": "first_name", "op": "equals", "value": "x'); DROP TABLE engage.contacts; --"}$$);
SELECT count(*) AS contacts_still_there FROM engage.contacts;
-- Readers preview; writers define.
SET ROLE regress_engage_reader;
SELECT contacts FROM engage.preview_segment('{"channel": "email"}');
SELECT engage.create_segment('mine', '{"channel": "email"}');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- A static group has members, not a rule.
SELECT engage.create_group('VIP');
SELECT engage.refresh_segment('VIP');
\echo :LAST_ERROR_SQLSTATE
