-- Retention: each kind of data has a setting (events, sends and activities kept forever by
-- default), a built-in hourly job applies them a bounded number of rows at a time, and the
-- launch rules keep holding after old instances are gone.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

SELECT kind, keep FROM engage.retention ORDER BY kind;
SELECT name, schedule, kind, enabled FROM engage.jobs WHERE kind = 'retention';

SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "R-1", "channels": [{"type": "email", "value": "r1@example.com"}]},
  {"externalCustomerId": "R-2", "channels": [{"type": "email", "value": "r2@example.com"}]},
  {"externalCustomerId": "R-3", "channels": [{"type": "email", "value": "r3@example.com"}]}
]} $$);
INSERT INTO engage.messages (name, subject, body) VALUES ('hi', 'hi', 'hello');
-- Three workflows that send at once, launched under each rule.
SELECT engage.create_workflow(w, format('[{"id": "s", "type": "send_message", "messageId": %s}]',
           (SELECT message_id FROM engage.messages WHERE name = 'hi'))::jsonb) > 0 AS created,
       engage.link_event(w, w || 'Event', 'start', rule, every), engage.activate_workflow(w)
FROM (VALUES ('each', 'each time', NULL), ('once', 'once', NULL), ('daily', 'once every', interval '1 day')) v(w, rule, every);
SELECT count(*) AS events FROM (
    SELECT engage.generate_event(format('{"eventTypeKey": "%sEvent", "keyValue": "%s"}', w, k)::jsonb)
    FROM unnest(ARRAY['each', 'once', 'daily']) w, unnest(ARRAY['R-1', 'R-2', 'R-3']) k) x;
SELECT events, launched, sends FROM engage.process_events();
SELECT count(*) AS delivered FROM engage.sends s, LATERAL engage.report_delivery(s.request_id, 'DELIVERED') r;
SELECT engage.create_segment('Everyone', '{"channel": "email"}') > 0 AS segment;
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "R-4",
    "channels": [{"type": "email", "value": "r4@example.com"}]}]}');
SELECT entered FROM engage.refresh_segment('Everyone');
INSERT INTO engage.notifications (kind, message) VALUES ('test', 'an old notification');
INSERT INTO engage.dead_letters (event_id, sqlstate, error) VALUES (1, '22023', 'an old dead letter');

-- Two hours on, with instances kept an hour: the 'each time' launches go; the 'once' ones and the
-- 'once every' day ones still hold their periods and stay; the rest is younger than its setting.
SELECT kind, keep FROM engage.set_retention('workflow_instances', '1 hour');
SELECT * FROM engage.apply_retention(now() + interval '2 hours');
SELECT w.name, count(*) AS instances FROM engage.workflow_instances i JOIN engage.workflows w USING (workflow_id)
GROUP BY w.name ORDER BY 1;
-- So the rules still hold: none of these launches again.
SELECT count(*) AS events FROM (
    SELECT engage.generate_event(format('{"eventTypeKey": "%sEvent", "keyValue": "R-1"}', w)::jsonb)
    FROM unnest(ARRAY['once', 'daily']) w) x;
SELECT events, launched, not_launched FROM engage.process_events();

-- Two days on, the day's periods are over and those instances go; 'once' stays for good.
SELECT kind, months_dropped, removed FROM engage.apply_retention(now() + interval '2 days') WHERE kind = 'workflow_instances';
SELECT w.name, count(*) AS instances FROM engage.workflow_instances i JOIN engage.workflows w USING (workflow_id)
GROUP BY w.name ORDER BY 1;

-- One event still queued (the workflow worker has not come by), one send still queued.
SELECT engage.generate_event('{"eventTypeKey": "eachEvent", "keyValue": "R-1"}') > 0 AS queued;
SELECT count(*) FROM engage.smartsend((SELECT message_id FROM engage.messages WHERE name = 'hi')::integer,
    '{"recipients": [{"locator": "r2@example.com"}]}');

-- A hundred days on, with events, sends and activities kept 30 days. Events, sends and
-- activities are partitioned by month: a month that ended before the retention goes whole
-- (activities' months here), unless it holds an event still queued or a send still to go out
-- (this month's events and sends): then its old rows are deleted, two a kind per call here, until
-- nothing old is left. A queued event and a queued send are never removed.
SELECT (engage.set_retention(k, '30 days')).keep FROM unnest(ARRAY['events', 'sends', 'activities']) k;
SELECT (SELECT count(*) FROM engage.events) AS events, (SELECT count(*) FROM engage.sends) AS sends,
       (SELECT count(*) FROM engage.contact_activities) AS activities,
       (SELECT count(*) FROM engage.segment_changes) AS segment_changes;
SELECT kind, months_dropped > 0 AS months_dropped, removed, more FROM engage.apply_retention(now() + interval '100 days', 2);
DO $$ BEGIN FOR i IN 1..10 LOOP PERFORM engage.apply_retention(now() + interval '100 days', 2); END LOOP; END $$;
SELECT (SELECT count(*) FROM engage.events) AS events, (SELECT count(*) FROM engage.event_queue) AS queued_events,
       (SELECT string_agg(status, ',') FROM engage.sends) AS sends,
       (SELECT count(*) FROM engage.contact_activities) AS activities,
       (SELECT count(*) FROM engage.segment_changes) AS segment_changes,
       (SELECT count(*) FROM engage.notifications) AS notifications,
       (SELECT count(*) FROM engage.dead_letters) AS dead_letters;
SELECT kind, last_removed IS NOT NULL AS ran FROM engage.retention ORDER BY kind;
-- The months: this month's events and sends are still there, the activities' months are gone
-- (_before now reaches past them), and the months ahead are there.
SELECT t.relation, count(*) FILTER (WHERE p.to_time <= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                                       AND p.from_time IS NOT NULL) AS past_months,
       count(*) FILTER (WHERE p.from_time >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                          AND p.to_time IS NOT NULL) >= 3 AS three_months_ahead,
       max(p.to_time) FILTER (WHERE p.from_time IS NULL) > now() AS before_reaches_now
FROM engage.partitioned_tables t JOIN engage.time_partitions p USING (relation) GROUP BY t.relation ORDER BY 1;
-- The queued event is still processed.
SELECT events, launched, sends FROM engage.process_events();
-- The job's function says what it did.
SELECT engage_internal.run_retention_job('{"max_rows": 10}');

-- Refusals.
SELECT engage.set_retention('orders', '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.set_retention('events', '10 minutes');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.apply_retention(now(), 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.apply_retention(NULL);
\echo :LAST_ERROR_SQLSTATE
-- A time far ahead would drop every month (and make months without end): refused.
SELECT * FROM engage.apply_retention('infinity');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_engage_writer;
SELECT engage.set_retention('events', NULL);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT kind, keep FROM engage.set_retention('events', NULL);
