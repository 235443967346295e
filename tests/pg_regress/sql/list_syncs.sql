-- Audience-list syncs (spec 003): defining, previewing and changing them, the run's planning and
-- recording steps taken by hand (the scheduler's worker takes them around its HTTP requests,
-- which tests/list_sync.sh covers against a local list API), the API key kept secret, and every
-- refusal with its SQLSTATE.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

CREATE SCHEMA shop;
CREATE TABLE shop.customers (email text, user_id text, first_name text, visits int, vip boolean, seen timestamptz,
                             prefs jsonb, prefer_user_id boolean);
INSERT INTO shop.customers VALUES
    ('Ann@Example.com', NULL, 'Ann', 3, true, '2026-12-01 10:00+00', '{"color": "green"}', NULL),
    (NULL, 'u2', 'Bob', 1, false, NULL, NULL, true),
    ('cy@example.com', 'u3', 'Cy', 7, NULL, NULL, '[1, 2]', false),
    ('dan@example.com', NULL, 'Dan', 2, false, NULL, NULL, NULL);
GRANT USAGE ON SCHEMA shop TO engage_admin;
GRANT SELECT ON shop.customers TO engage_admin;

-- A sync of a query's rows, made by an admin: it belongs to that role and runs with its rights.
SET ROLE regress_engage_admin;
SELECT name, source, action, list_id, region, schedule, state, api_key_set, owner, job_name
FROM engage.create_list_sync('customers', 'SELECT * FROM shop.customers', 'add', 769207, api_key => 'secret-key-123');

-- What the next run would send: the preserved columns renamed, every other column in dataFields
-- with its JSON type (timestamps in ISO 8601, jsonb nested, NULLs kept).
SELECT row_number, row_key, change, operation, subscriber, problem FROM engage.preview_list_sync('customers');
RESET ROLE;

-- The run's steps by hand: a run the scheduler claimed, planned as the owner by execute_run
-- (which leaves it running for its worker), its batch, the API's answer recorded per row.
INSERT INTO engage.job_runs (job_id, job_name, owner, started_by, status)
SELECT job_id, name, owner, 'manual', 'running' FROM engage.scheduled_jobs WHERE name = 'list sync customers'
RETURNING run_id AS run \gset
SELECT status, result FROM engage_internal.execute_run(:run);
SELECT action, url, list_id, campaign_id, channel_unsubscribe, keys, subscribers FROM engage_internal.list_sync_next_batch(:run);
SELECT engage_internal.record_list_sync_batch(:run, ARRAY['email:ann@example.com', 'email:cy@example.com', 'email:dan@example.com', 'userId:u2'],
                                     ARRAY['delivered', 'rejected', 'delivered', 'delivered'],
                                     ARRAY[NULL, 'conflict: the email or user ID belongs to another user', NULL, NULL], 1);
SELECT count(*) AS left_to_send FROM engage_internal.list_sync_next_batch(:run);
SELECT status, result FROM engage_internal.finish_list_sync_run(:run);
SELECT sync, status, started_by, rows_in_result, rows_new, rows_changed, rows_removed, rows_invalid, rows_retried,
       rows_to_send, rows_sent, rows_succeeded, rows_rejected, batches_sent, batch_retries
FROM engage.list_sync_runs;
SELECT row_key, operation, state, reason FROM engage.list_sync_rows ORDER BY row_key;

-- The diff: only what is new or changed is sent, rejected rows again, rows that left are removed.
UPDATE shop.customers SET visits = 4 WHERE email = 'Ann@Example.com';
INSERT INTO shop.customers (email, first_name) VALUES ('dee@example.com', 'Dee');
DELETE FROM shop.customers WHERE user_id = 'u2';
SELECT row_number, row_key, change, operation FROM engage.preview_list_sync('customers');
SELECT row_key, change FROM engage.preview_list_sync('customers', full_resync => true);

-- Invalid rows: the run fails naming the first, before anything is planned; skipped with the
-- option, each recorded with its reason.
INSERT INTO shop.customers (email, first_name) VALUES ('not-an-address', 'Eve'), (NULL, 'Nobody'), ('DEE@example.com', 'Dee 2');
SELECT row_number, row_key, change, problem FROM engage.preview_list_sync('customers') WHERE change = 'invalid';
INSERT INTO engage.job_runs (job_id, job_name, owner, started_by, status)
SELECT job_id, name, owner, 'manual', 'running' FROM engage.scheduled_jobs WHERE name = 'list sync customers'
RETURNING run_id AS run \gset
SELECT status, split_part(error, E'\n', 1) AS error, split_part(error, E'\n', 2) AS detail FROM engage_internal.execute_run(:run);
SELECT state, consecutive_failures FROM engage.list_syncs JOIN engage.jobs j ON j.name = job_name;
SELECT name, skip_invalid_data FROM engage.alter_list_sync('customers', skip_invalid_data => true);
INSERT INTO engage.job_runs (job_id, job_name, owner, started_by, status)
SELECT job_id, name, owner, 'manual', 'running' FROM engage.scheduled_jobs WHERE name = 'list sync customers'
RETURNING run_id AS run \gset
SELECT status, result FROM engage_internal.execute_run(:run);
SELECT row_number, row_key, reason FROM engage.list_sync_invalid_rows WHERE run_id = :run ORDER BY row_number;
SELECT row_key, state, reason FROM engage.list_sync_rows ORDER BY row_key;
SELECT status FROM engage_internal.finish_list_sync_run(:run, 'the list API answered 400: Invalid listId (BadParams)', '1 subscribers', '22023');
SELECT row_key, state FROM engage.list_sync_rows WHERE state = 'pending' ORDER BY row_key;

-- A segment's members, with chosen columns renamed and spec 003's string builder.
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "ann", "firstName": "Ann", "channels": [{"type": "email", "value": "ann@example.com"}]},
  {"externalCustomerId": "bob", "firstName": "Bob", "channels": [{"type": "email", "value": "bob@example.org"}]}]}');
SELECT engage.create_group('vips') > 0 AS created;
SELECT engage.add_to_group('vips', ARRAY(SELECT contact_id FROM engage.contacts));
SET ROLE regress_engage_admin;
SELECT name, source, segment, action, list_id FROM engage.create_list_sync('vips', segment => 'vips', list_id => 43,
    api_key => 'another-secret', columns => '{"email": "email", "firstName": "first_name", "externalCustomerId": "user_id"}',
    strings => '[{"name": "source", "type": "string", "value": "pg_engage"}, {"name": "segment", "type": "segment_name"},
                 {"name": "segmentId", "type": "segment_id"}]');
SELECT row_key, change, subscriber FROM engage.preview_list_sync('vips');
-- A remove sync sends only the email or the user ID.
SELECT name, action, campaign_id, channel_unsubscribe FROM engage.create_list_sync('suppress',
    $$SELECT email, user_id, first_name FROM shop.customers WHERE visits > 3$$, 'remove', 43, api_key => 'k',
    campaign_id => 7, channel_unsubscribe => true, skip_invalid_data => true);
SELECT row_key, operation, subscriber FROM engage.preview_list_sync('suppress');
-- A region chooses the base URL, which the sync's api_url overrides; changing either needs the
-- key again (whoever may alter the sync could otherwise send its key to a server of theirs).
SELECT name, region, api_url FROM engage.alter_list_sync('suppress', region => 'EU', api_key => 'k');
SELECT name, region, api_url FROM engage.alter_list_sync('suppress', api_url => 'http://127.0.0.1:9/', api_key => 'k');
SELECT engage.alter_list_sync('suppress', api_url => 'http://collector.example/');
\echo :LAST_ERROR_SQLSTATE
SELECT name, campaign_id, api_url FROM engage.alter_list_sync('suppress', campaign_id => 0, api_url => '', api_key => 'k');
SELECT name, schedule, time_zone, delay, enabled, next_run_at IS NOT NULL AS scheduled
FROM engage.alter_list_sync('suppress', schedule => '@daily', time_zone => 'Europe/Kyiv', delay => '5 minutes');

-- The API key is a secret: no user role reads it, and no view or job shows it.
SELECT engage_internal.list_sync_has_key(sync_id) AS has_key FROM engage.list_syncs WHERE name = 'vips';
RESET ROLE;
SELECT r AS role, has_table_privilege(r, 'engage.list_sync_keys', 'SELECT') AS can_read
FROM unnest(ARRAY['engage_reader', 'engage_writer', 'engage_admin']) r;
SET ROLE regress_engage_admin;
SELECT * FROM engage.list_sync_keys;
\echo :LAST_ERROR_SQLSTATE
SELECT api_key FROM engage_internal.list_sync_next_batch(1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS showing_a_key FROM engage.list_syncs s, engage.jobs j
WHERE concat(row_to_json(s), row_to_json(j)) ~ '(secret-key-123|another-secret)';
RESET ROLE;

-- Refusals.
SET ROLE regress_engage_admin;
SELECT engage.create_list_sync('customers', 'SELECT 1', 'add', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync(' ', 'SELECT 1', 'add', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'upsert', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'add', api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'remove', 1, api_key => 'k', campaign_id => -3);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'add', 1, api_key => 'k', region => 'mars');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'add', 1, api_key => 'k', api_url => 'ftp://x');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'add', 1);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'add', 1, api_key => '   ');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', list_id => 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', list_id => 1, api_key => 'k', segment => 'vips');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELEC email FROM shop.customers', 'add', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.nowhere', 'add', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT 1; DROP TABLE shop.customers', 'add', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', segment => 'nobody', list_id => 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', segment => 'vips', list_id => 1, api_key => 'k', columns => '{"shoeSize": "size"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', segment => 'vips', list_id => 1, api_key => 'k', columns => '["email"]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', segment => 'vips', list_id => 1, api_key => 'k', strings => '[{"name": "n", "type": "weather"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', segment => 'vips', list_id => 1, api_key => 'k', strings => '[{"name": "email", "type": "segment_id"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'add', 1, api_key => 'k',
                               strings => '[{"name": "n", "type": "segment_id"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_list_sync('x', 'SELECT email FROM shop.customers', 'add', 1, api_key => 'k', schedule => '61 * * * *');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS half_made FROM engage.list_syncs WHERE name = 'x';
SELECT engage.alter_list_sync('nope', list_id => 2);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.alter_list_sync('vips', list_id => -2);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.drop_list_sync('nope');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_list_sync('nope');
\echo :LAST_ERROR_SQLSTATE
-- A run starts in the scheduler's worker: without one serving this database it cannot run.
SELECT engage.run_list_sync_now('vips');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.run_job_now('list sync vips');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.unschedule_job('list sync vips');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM engage_internal.claim_due_runs(now(), NULL, true);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Writers and readers do not define syncs; a query the owner may not read does not run.
SET ROLE regress_engage_writer;
SELECT engage.create_list_sync('w', 'SELECT 1 AS email', 'add', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
CREATE TABLE shop.private (email text);
SET ROLE regress_engage_admin;
SELECT engage.create_list_sync('p', 'SELECT email FROM shop.private', 'add', 1, api_key => 'k');
\echo :LAST_ERROR_SQLSTATE
-- A session's run_due_jobs leaves list syncs to the scheduler's workers.
SELECT job_name, status FROM engage.run_due_jobs(now() + interval '2 days');
SELECT name, state FROM engage.list_syncs ORDER BY name;

-- No role stages rows for another owner's sync (its run would send them with its key), and
-- only the scheduler's worker (or a superuser) plans a run.
RESET ROLE;
SELECT name FROM engage.create_list_sync('root''s', 'SELECT email FROM shop.customers', 'add', 9, api_key => 'k');
SET ROLE regress_engage_admin;
INSERT INTO engage.list_sync_stage (sync_id, run_id, row_key, subscriber, change, operation)
SELECT sync_id, 1, 'email:x@example.com', '{"email":"x@example.com"}', 'new', 'unsubscribe'
FROM engage.list_sync_definitions WHERE name = 'root''s';
SELECT count(*) AS visible FROM engage.list_syncs WHERE name = 'root''s';
INSERT INTO engage.list_sync_stage (sync_id, run_id, row_key, subscriber, change, operation)
VALUES ((SELECT max(sync_id) FROM engage.list_syncs) + 1, 1, 'email:x@example.com', '{}', 'new', 'unsubscribe');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
INSERT INTO engage.job_runs (job_id, job_name, owner, started_by, status)
SELECT job_id, name, owner, 'manual', 'running' FROM engage.scheduled_jobs WHERE name = 'list sync vips'
RETURNING run_id AS run \gset
SET SESSION AUTHORIZATION regress_engage_admin;
SELECT engage_internal.execute_run(:run);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
DELETE FROM engage.job_runs WHERE run_id = :run;
-- A job's command cannot leave settings behind for what its process runs next.
SELECT engage.schedule_job('sets', NULL, $$SELECT set_config('search_path', 'shop, pg_catalog', false)$$) > 0 AS job;
SELECT status FROM engage.run_job_now('sets');
SHOW search_path;
SET ROLE regress_engage_admin;

-- A mirrored segment's member whose last send was rejected may still be in the list from an
-- earlier one: when it leaves the segment, it is unsubscribed.
INSERT INTO engage.list_sync_rows (sync_id, row_key, operation, state, reason, hash, run_id)
SELECT sync_id, 'email:gone@example.com', 'subscribe', 'rejected', 'invalid data in dataFields', 1, 0
FROM engage.list_sync_definitions WHERE name = 'vips';
SELECT row_key, change, operation, subscriber FROM engage.preview_list_sync('vips') WHERE change = 'removed';

-- Dropping a sync drops its job, key and rows.
SELECT engage.drop_list_sync('vips');
RESET ROLE;
SELECT (SELECT count(*) FROM engage.list_sync_definitions) AS syncs, (SELECT count(*) FROM engage.list_sync_keys) AS keys,
       (SELECT count(*) FROM engage.scheduled_jobs WHERE kind = 'list_sync') AS jobs,
       (SELECT count(*) FROM engage.list_sync_stage) AS staged;
