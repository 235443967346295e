-- Seeing the backlog: engage.metrics() in one query, under a backlog of each kind: events queued
-- and set aside, instances waiting, sends queued, a failing and a disabled job; and the workers'
-- reasons for not running here.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

-- Nothing to do yet (this database has no workers: the reason is given).
SELECT metric, labels, value FROM engage.metrics() ORDER BY metric, labels::text;

-- A backlog: a workflow that waits an hour; three events processed, one of whose contact is
-- gone by then (two instances wait, one event is set aside), then three more that wait in the
-- queue.
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "A", "channels": [{"type": "email", "value": "a@example.com"}]},
  {"externalCustomerId": "B", "channels": [{"type": "email", "value": "b@example.com"}]},
  {"externalCustomerId": "C"}]}');
SELECT engage.create_workflow('later', '[{"id": "w", "type": "wait", "duration": "1 hour"}]') > 0 AS workflow;
SELECT engage.link_event('later', 'signedUp');
SELECT engage.activate_workflow('later');
SELECT engage.generate_event(format('{"eventTypeKey": "signedUp", "keyValue": "%s"}', k)::jsonb) > 0 AS stored
FROM unnest(ARRAY['A', 'B', 'C']) k;
DELETE FROM engage.contacts WHERE external_customer_id = 'C';
SELECT events, launched, waiting, dead_letters FROM engage.process_events();
SELECT engage.generate_event(format('{"eventTypeKey": "signedUp", "keyValue": "%s"}', k)::jsonb) > 0 AS stored
FROM unnest(ARRAY['A', 'B', 'A']) k;
-- Two sends queued by a smartsend; a job that fails, and one switched off.
INSERT INTO engage.messages (name, subject, body) VALUES ('hello', 'Hi', 'Hello');
SELECT jsonb_array_length(engage.smartsend(1, '{"recipients": [{"locator": "a@example.com"}, {"locator": "b@example.com"}]}') -> 'results') AS sent;
SELECT engage.schedule_job('broken', NULL, 'SELECT 1/0') > 0 AS job;
SELECT status FROM engage.run_job_now('broken');
SELECT engage.schedule_job('paused', '@daily', 'SELECT 1') > 0 AS job;
SELECT enabled FROM engage.alter_job('paused', enabled => false);
-- A worker whose step failed says so in a notification (what src/worker.rs writes).
INSERT INTO engage.notifications (kind, message, details)
VALUES ('worker_failing', 'pg_engage workflows failed 1 times in a row: disk full',
        '{"worker": "pg_engage workflows", "failures": 1, "error": "disk full", "retry_in_seconds": 1}');

-- The ages are shown as whether they are there (they depend on the clock).
SELECT metric, labels, CASE WHEN metric LIKE '%seconds' THEN (value IS NOT NULL)::int ELSE value END AS value
FROM engage.metrics() ORDER BY metric, labels::text;
SELECT value > 0 AS next_resume_in_the_future FROM engage.metrics() WHERE metric = 'instances_next_resume_in_seconds';

-- Readers scrape it, whoever owns the jobs (row security does not hide them from the counts).
SET ROLE regress_engage_reader;
SELECT metric, value FROM engage.metrics() WHERE metric LIKE 'jobs_%' ORDER BY metric;
RESET ROLE;
SELECT running, database, problem FROM engage.workflow_worker_status();
