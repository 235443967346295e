-- Workflows: graphs checked when saved, start/stop links with the launch rules, events processed
-- into instances that send, wait, branch, change static groups and generate events; the event
-- type dependencies and the event history; regular triggered campaigns from a segment.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET IntervalStyle = 'postgres';

SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "C-1", "firstName": "Dina", "timeZone": "Europe/Kyiv",
   "channels": [{"type": "email", "value": "dina@example.com"}]},
  {"externalCustomerId": "C-2", "firstName": "Ivan", "timeZone": "America/New_York", "channels": [{"type": "email", "value": "ivan@example.com"}]},
  {"externalCustomerId": "C-3", "firstName": "Olha", "channels": [{"type": "sms", "value": "380501112233"}]}
]} $$);
INSERT INTO engage.messages (name, subject, body) VALUES
  ('cart', 'Your cart, $contact.firstName', 'You left: $!data.get(''items'')'),
  ('strict', 'x', '$data.get(''list'').get(5)');
INSERT INTO engage.messages (name, media_type, body) VALUES ('widget', 'Widget', 'hi');
INSERT INTO engage.segments (name, kind) VALUES ('Opened', 'static'), ('VIP', 'static');
SELECT engage.create_segment('Has email', '{"channel": "email"}');

-- The graph is checked when saved; each refusal points at the block.
SELECT engage.create_workflow('w', '[{"id": "a", "type": "teleport"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_workflow('w', '[{"id": "a", "type": "send_message", "messageId": 1, "next": "b"}]');
SELECT engage.create_workflow('w', '[{"id": "a", "type": "exit"}, {"id": "b", "type": "exit"}]');
SELECT engage.create_workflow('w', $$[
  {"id": "a", "type": "send_message", "messageId": 1, "next": "b"},
  {"id": "b", "type": "condition", "param": "paid", "op": "exists", "yes": "c", "no": "a"},
  {"id": "c", "type": "exit"}]$$);
-- What the blocks refer to is checked too.
SELECT engage.create_workflow('w', '[{"id": "a", "type": "send_message", "messageId": 99}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_workflow('w', '[{"id": "a", "type": "send_message", "messageId": 3}]');
SELECT engage.create_workflow('w', '[{"id": "a", "type": "add_to_segment", "segmentId": 3}]');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS nothing_saved FROM engage.workflows;

-- An abandoned-cart workflow: send, wait an hour, send again unless the contact opened; a
-- second workflow started by the event the first one generates.
SELECT engage.create_workflow('abandoned cart', $$[
  {"id": "remind", "type": "send_message", "messageId": 1, "next": "hour"},
  {"id": "hour", "type": "wait", "duration": "1 hour", "next": "opened?"},
  {"id": "opened?", "type": "condition", "segmentId": 1, "yes": "done", "no": "again"},
  {"id": "again", "type": "send_message", "messageId": 1, "next": "mark"},
  {"id": "mark", "type": "add_to_segment", "segmentId": 2, "next": "tell"},
  {"id": "tell", "type": "generate_event", "eventTypeKey": "cartReminded", "params": {"times": 2}},
  {"id": "done", "type": "exit"}]$$, ARRAY['carts']) AS cart \gset
SELECT engage.create_workflow('abandoned cart', '[{"id": "a", "type": "exit"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT block_id, position, type, next, yes, no, message_id, channel, wait_seconds, segment_id, event_type_key
FROM engage.workflow_blocks WHERE workflow_id = :cart ORDER BY position;

-- Activating needs a start event; links say how often a contact is launched.
SELECT engage.activate_workflow('abandoned cart');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.link_event('abandoned cart', 'cartAbandoned', 'start', 'once every');
SELECT engage.link_event('abandoned cart', 'cartAbandoned', 'start', 'each time', '1 hour');
SELECT engage.link_event('abandoned cart', 'cartAbandoned', 'start', 'sometimes');
SELECT engage.link_event('abandoned cart', 'cartAbandoned', 'begin');
SELECT engage.link_event('abandoned cart', 'cartAbandoned', 'start', 'once every', '1 hour');
SELECT engage.link_event('abandoned cart', 'orderPaid', 'stop');
SELECT engage.activate_workflow('abandoned cart');
SELECT name, status, tags FROM engage.workflows;
SELECT event_type_key, workflows, starts, stops FROM engage.event_type_dependencies
WHERE event_type_key IN ('cartAbandoned', 'orderPaid', 'cartReminded') ORDER BY event_type_id;
-- The event an active workflow's link names cannot be deleted.
DELETE FROM engage.event_types WHERE key = 'orderPaid';
\echo :LAST_ERROR_SQLSTATE

-- Three carts abandoned within an hour give one launch (spec 004); the fourth, 61 minutes
-- after the first, launches again. Events of unknown contacts launch nothing.
INSERT INTO engage.events (event_type_id, key_value, contact_id, params, registered_at)
SELECT t.event_type_id, 'dina@example.com', 1, jsonb_build_object('items', i || ' socks'),
       timestamptz '2026-03-01 10:00' + (i - 1) * interval '20 minutes' + CASE WHEN i = 4 THEN interval '1 minute' ELSE '0' END
FROM engage.event_types t, generate_series(1, 4) i WHERE t.key = 'cartAbandoned';
SELECT engage.generate_event('{"eventTypeKey": "cartAbandoned", "keyValue": "ivan@example.com", "params": [{"name": "items", "value": "a hat"}]}') > 0 AS stored;
SELECT engage.generate_event('{"eventTypeKey": "cartAbandoned", "keyValue": "nobody@example.com"}') > 0 AS stored;
SELECT engage.generate_event('{"eventTypeKey": "cartAbandoned", "keyValue": "+380 50 111 22 33"}') > 0 AS stored;
SELECT count(*) AS queued FROM engage.event_queue;
SELECT * FROM engage.process_events(100);
SELECT * FROM engage.process_events(100);
SELECT i.instance_id, i.contact_id, i.event_id, i.status, i.block_id, i.steps, i.params,
       lower(i.launch_period) = e.registered_at AS from_event, upper(i.launch_period) - lower(i.launch_period) AS period
FROM engage.workflow_instances i JOIN engage.events e USING (event_id) ORDER BY instance_id;
SELECT send_id, channel, locator, subject, body, status, campaign_type, workflow_id, instance_id, block_id
FROM engage.sends ORDER BY send_id;

-- A stop event ends the contact's waiting instances.
SELECT engage.generate_event('{"eventTypeKey": "orderPaid", "keyValue": "380501112233"}') > 0 AS stored;
SELECT events, launched, stopped FROM engage.process_events();
SELECT instance_id, status, block_id, resume_at IS NULL AS no_wait FROM engage.workflow_instances ORDER BY instance_id;

-- The waits end: an instance whose contact opened exits, the other sends again, joins VIP and
-- generates cartReminded, which a second workflow (started each time) picks up in the next batch.
INSERT INTO engage.segment_members (segment_id, contact_id) VALUES (1, 1);
SELECT engage.create_workflow('after reminder', $$[
  {"id": "big?", "type": "condition", "param": "times", "op": "greater", "value": 1, "yes": "morning", "no": "end"},
  {"id": "morning", "type": "wait", "until": "09:00"},
  {"id": "end", "type": "exit"}]$$) AS after \gset
SELECT engage.link_event('after reminder', 'cartReminded');
SELECT engage.activate_workflow('after reminder');
SELECT * FROM engage.run_due_waits(now(), 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.process_events(0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.run_due_waits(now() - interval '1 day');
SELECT * FROM engage.run_due_waits(now() + interval '2 hours');
SELECT instance_id, status, steps FROM engage.workflow_instances WHERE workflow_id = :cart ORDER BY instance_id;
SELECT segment_id, contact_id FROM engage.segment_members WHERE segment_id = 2;
SELECT count(*) AS sends FROM engage.sends;
SELECT events, launched, waiting FROM engage.process_events();
SELECT count(*) AS sends FROM engage.sends;
-- Waiting until 09:00 in the contact's time zone (Ivan's is New York).
SELECT i.contact_id, i.status, (i.resume_at AT TIME ZONE 'America/New_York')::time AS local_time,
       i.resume_at > now() AND i.resume_at <= now() + interval '1 day' AS next_one
FROM engage.workflow_instances i WHERE i.workflow_id = :after;

-- A message that fails to render fails the instance and records the send with the error.
SELECT engage.create_workflow('strict', '[{"id": "s", "type": "send_message", "messageId": 2, "jsonSource": "${jsonParam}"}]');
SELECT engage.link_event('strict', 'strictEvent');
SELECT engage.activate_workflow('strict');
SELECT engage.generate_event('{"eventTypeKey": "strictEvent", "keyValue": "C-2", "params": [{"name": "jsonParam", "value": "{\"list\": [1, 2]}"}]}') > 0 AS stored;
SELECT engage.generate_event('{"eventTypeKey": "strictEvent", "keyValue": "C-1", "params": [{"name": "jsonParam", "value": "not json"}]}') > 0 AS stored;
SELECT engage.generate_event('{"eventTypeKey": "strictEvent", "keyValue": "C-1", "params": [{"name": "other", "value": "1"}]}') > 0 AS stored;
SELECT engage.generate_event('{"eventTypeKey": "strictEvent", "keyValue": "C-1", "params": [{"name": "jsonParam", "value": null}]}') > 0 AS stored;
SELECT events, launched, sends, failed FROM engage.process_events();
SELECT i.status, i.error FROM engage.workflow_instances i JOIN engage.workflows w USING (workflow_id) WHERE w.name = 'strict' ORDER BY instance_id;
SELECT status, reason, data FROM engage.sends WHERE message_id = 2 ORDER BY send_id;

-- A contact without an address on the channel: the send is recorded as suppressed.
SELECT engage.create_workflow('hello', '[{"id": "s", "type": "send_message", "messageId": 1}]');
SELECT engage.link_event('hello', 'hello', 'start', 'once');
SELECT engage.activate_workflow('hello');
SELECT engage.generate_event('{"eventTypeKey": "hello", "keyValue": "C-3"}') > 0 AS stored;
SELECT engage.generate_event('{"eventTypeKey": "hello", "keyValue": "C-3"}') > 0 AS stored;
SELECT events, launched, not_launched, sends FROM engage.process_events();
SELECT engage.generate_event('{"eventTypeKey": "hello", "keyValue": "C-3"}') > 0 AS stored;
SELECT events, launched, not_launched FROM engage.process_events();
SELECT locator, status, reason FROM engage.sends WHERE block_id = 's' AND contact_id = 3;

-- Deactivated, a workflow launches no one (its start events are no longer queued).
SELECT engage.deactivate_workflow('hello');
SELECT engage.generate_event('{"eventTypeKey": "hello", "keyValue": "C-1"}') > 0 AS stored;
SELECT count(*) AS queued FROM engage.event_queue;
-- Unlinking: an event type that was not linked says so; unknown workflows are named.
SELECT engage.unlink_event('hello', 'hello') AS unlinked, engage.unlink_event('hello', 'hello') AS again;
SELECT engage.activate_workflow('hello');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.activate_workflow('no such workflow');
\echo :LAST_ERROR_SQLSTATE
-- A workflow with waiting instances cannot be dropped.
SELECT engage.drop_workflow('after reminder');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.drop_workflow('hello');

-- The event history: by type (key or name), time and key search, newest first.
SELECT event_type_key, key_value, linked_workflows, contact_id, params, instances
FROM engage.event_history('cartAbandoned', '2026-03-01 10:00', '2026-03-01 11:00');
SELECT event_type_key, key_value, contact_id, instances FROM engage.event_history(key_search => 'IVAN@') ORDER BY event_id;

-- Regular triggered campaigns (spec 000): the segment's contacts each get the event
-- regularEventType-<segmentId> with ContactId, jsonParam (data keyed by source ID) and
-- EmailAddress; the workflow renders $!data.get('<source ID>') from ${jsonParam}.
CREATE TABLE promo_codes (id int, email text, name text, promo_code text);
INSERT INTO promo_codes VALUES (1, 'dina@example.com', 'Dina Kozak', 'AAAA-BBBB-DDDD');
SELECT name FROM engage.create_connector('local', contact_key => 'email');
SELECT source_id AS promo FROM engage.create_data_source('promo_codes', 'local', 'promo_codes', 'email') \gset
INSERT INTO engage.messages (name, subject, body)
VALUES ('birthday', 'Happy birthday', format('Your code: $!data.get(''%s'').get(0).get(''promo_code'')', :promo));
SELECT engage.create_workflow('birthday promo', format('[{"id": "s", "type": "send_message", "messageId": %s, "jsonSource": "${jsonParam}"}]',
       (SELECT message_id FROM engage.messages WHERE name = 'birthday'))::jsonb);
SELECT engage.create_regular_trigger('Has email', 'birthday promo') AS trigger \gset
SELECT engage.create_regular_trigger('Has email', 'birthday promo');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.activate_workflow('birthday promo');
SELECT * FROM engage.run_regular_trigger(:trigger, '2026-06-01 09:00Z');
SELECT t.key, e.key_value, e.params FROM engage.events e JOIN engage.event_types t USING (event_type_id)
WHERE t.key LIKE 'regularEventType-%' ORDER BY e.event_id;
-- A second run the same day (a manual run beside the scheduled one, a retry) reaches nobody the
-- first reached: each member is launched at most once per period. The next day it runs again.
SELECT * FROM engage.run_regular_trigger(:trigger, '2026-06-01 17:00Z');
SELECT contact_id, period FROM engage.regular_trigger_launches ORDER BY contact_id, period;
SELECT events, launched, sends FROM engage.process_events();
SELECT s.locator, s.body FROM engage.sends s JOIN engage.messages m USING (message_id) WHERE m.name = 'birthday' ORDER BY s.locator;
SELECT * FROM engage.run_regular_trigger(:trigger, '2026-06-02 09:00Z');
SELECT events, launched FROM engage.process_events();
SELECT engage.run_regular_trigger(12345);
\echo :LAST_ERROR_SQLSTATE
-- Scheduled daily as a job of kind regular_trigger (run by hand here).
SELECT engage.schedule_job('birthday promo', '0 9 * * *', kind => 'regular_trigger',
                           arguments => format('{"trigger": %s}', :trigger)::jsonb) > 0 AS scheduled;
SELECT status, result FROM engage.run_job_now('birthday promo');

-- Writers feed and run workflows; defining them is for admins.
SET ROLE regress_engage_writer;
SELECT engage.generate_event('{"eventTypeKey": "cartAbandoned", "keyValue": "C-3"}') > 0 AS stored;
SELECT events, launched FROM engage.process_events();
SELECT resumed FROM engage.run_due_waits();
SELECT engage.create_workflow('mine', '[{"id": "a", "type": "exit"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.link_event('abandoned cart', 'cartAbandoned', 'start', 'once');
\echo :LAST_ERROR_SQLSTATE
UPDATE engage.workflow_instances SET status = 'completed';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_engage_admin;
SELECT engage.create_workflow('mine', '[{"id": "a", "type": "exit"}]') > 0 AS created;
SELECT engage.link_event('mine', 'mine');
SELECT engage.activate_workflow('mine');
RESET ROLE;

-- One bad event never blocks the queue: an event whose contact was deleted after it was stored
-- cannot launch (its instance would point at no contact), so the batch runs event by event and
-- sets that one aside, with the error, while the events around it are processed.
SELECT engage.create_workflow('welcome', '[{"id": "a", "type": "exit"}]');
SELECT engage.link_event('welcome', 'signedUp');
SELECT engage.activate_workflow('welcome');
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "DL-1"}, {"externalCustomerId": "DL-2"}, {"externalCustomerId": "DL-3"}]}');
SELECT engage.generate_event(format('{"eventTypeKey": "signedUp", "keyValue": "%s"}', k)::jsonb) > 0 AS stored
FROM unnest(ARRAY['DL-1', 'DL-2', 'DL-3']) k;
DELETE FROM engage.contacts WHERE external_customer_id = 'DL-2';
SELECT events, launched, completed, dead_letters FROM engage.process_events();
SELECT t.key, e.key_value, d.sqlstate, d.error FROM engage.dead_letters d
JOIN engage.events e USING (event_id) JOIN engage.event_types t USING (event_type_id);
SELECT key_value, instances = '{}' AS launched_nothing, dead_letter FROM engage.event_history('signedUp') ORDER BY event_id;
-- Queued again on request (and set aside again, the contact being still gone).
BEGIN;
SELECT engage.retry_dead_letters();
SELECT events, launched, dead_letters FROM engage.process_events();
SELECT count(*) AS set_aside FROM engage.dead_letters;
ROLLBACK;

-- A period that can never work is refused when the link is written.
SELECT engage.link_event('welcome', 'signedUp', 'start', 'once every', '300000 years');
\echo :LAST_ERROR_SQLSTATE

-- One bad instance never blocks the waits: a resumed instance whose next block fails on its own
-- (here a trigger refuses one contact's group membership) ends as failed with the error; the
-- others go on.
SELECT engage.create_group('Waited') AS waited \gset
SELECT engage.create_workflow('wait then group', format('[{"id": "w", "type": "wait", "duration": "1 hour", "next": "g"},
    {"id": "g", "type": "add_to_segment", "segmentId": %s}]', :waited)::jsonb);
SELECT engage.link_event('wait then group', 'waitedFor');
SELECT engage.activate_workflow('wait then group');
SELECT engage.generate_event(format('{"eventTypeKey": "waitedFor", "keyValue": "%s"}', k)::jsonb) > 0 AS stored
FROM unnest(ARRAY['DL-1', 'DL-3']) k;
SELECT events, launched, waiting FROM engage.process_events();
CREATE FUNCTION refuse_dl3() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT external_customer_id FROM engage.contacts WHERE contact_id = NEW.contact_id) = 'DL-3' THEN
        RAISE EXCEPTION 'no room for DL-3';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_dl3 BEFORE INSERT ON engage.segment_members FOR EACH ROW EXECUTE FUNCTION refuse_dl3();
-- The instance waiting until 09:00 in New York since above is not what this shows: moved past
-- the two hours (at some times of day its 09:00 falls within them).
UPDATE engage.workflow_instances i SET resume_at = now() + interval '1 day'
FROM engage.workflows w WHERE w.workflow_id = i.workflow_id AND w.name = 'after reminder' AND i.status = 'waiting';
SELECT resumed, completed, failed FROM engage.run_due_waits(now() + interval '2 hours');
SELECT c.external_customer_id, i.status, i.error FROM engage.workflow_instances i JOIN engage.contacts c USING (contact_id)
WHERE i.workflow_id = (SELECT workflow_id FROM engage.workflows WHERE name = 'wait then group') ORDER BY 1;
DROP TRIGGER refuse_dl3 ON engage.segment_members;

-- A workflow send builds only the parts of $contact its message can read (any version of it),
-- and what it reads is all there: email, phone and channels, fields, and the whole object when
-- a macro or #parse could read anything.
SELECT engage_internal.properties_read('contact', ARRAY['Hi $contact.firstName', NULL,
    '#foreach($c in $contact.channels)$c.type#end $contact.get(''email'')']);
SELECT engage_internal.properties_read('contact', ARRAY['Hi $contact.firstName', '#parse(''footer'')']) IS NULL AS whole;
SELECT engage.create_field('City', 'string') AS city \gset
SELECT count(*) FROM engage.upsert_contacts(format('{"contacts": [
    {"externalCustomerId": "R-1", "firstName": "Rita", "fields": [{"id": %1$s, "value": "Lviv"}],
     "channels": [{"type": "email", "value": "rita@example.com"}, {"type": "sms", "value": "380671234567"}]},
    {"externalCustomerId": "R-2", "firstName": "Roman", "languageCode": "uk", "fields": [{"id": %1$s, "value": "Odesa"}],
     "channels": [{"type": "email", "value": "roman@example.com"}]}]}', :city)::jsonb);
INSERT INTO engage.messages (name, subject, body) VALUES
  ('reads names', 'Hi $contact.firstName', 'email: $!contact.email, channels: $!contact.channels'),
  ('reads fields', 'x', 'city: $!contact.fields.City, phone: $!contact.phone'),
  ('reads whole', 'x', '#macro(show $c)$c.firstName in $c.fields.City#end#show($contact)');
INSERT INTO engage.message_translations (message_id, language, subject, body)
SELECT message_id, 'uk', 'Привіт', 'місто: $!contact.fields.City' FROM engage.messages WHERE name = 'reads names';
SELECT name, engage_internal.message_contact_reads(message_id) FROM engage.messages WHERE name LIKE 'reads %' ORDER BY name;
SELECT engage.create_workflow('reads', format('[{"id": "a", "type": "send_message", "messageId": %s, "next": "b"},
    {"id": "b", "type": "send_message", "messageId": %s, "next": "c"}, {"id": "c", "type": "send_message", "messageId": %s}]',
    VARIADIC ARRAY(SELECT message_id FROM engage.messages WHERE name LIKE 'reads %' ORDER BY name DESC))::jsonb) > 0 AS created;
SELECT engage.link_event('reads', 'readMe');
SELECT engage.activate_workflow('reads');
SELECT engage.generate_event(format('{"eventTypeKey": "readMe", "keyValue": "%s"}', k)::jsonb) > 0 AS stored
FROM unnest(ARRAY['R-1', 'R-2']) k;
SELECT events, launched, sends, completed FROM engage.process_events();
SELECT s.locator, m.name, s.subject, s.body FROM engage.sends s JOIN engage.messages m USING (message_id)
WHERE s.workflow_id = (SELECT workflow_id FROM engage.workflows WHERE name = 'reads') ORDER BY s.send_id;
