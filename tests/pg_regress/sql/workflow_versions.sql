-- Changing a live workflow: engage.alter_workflow makes a new version. New launches use it,
-- instances already waiting finish on theirs (or move to it by block ID when asked), launch rules
-- and history are kept, and every version stays readable.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "V-1", "channels": [{"type": "email", "value": "v1@example.com"}]},
  {"externalCustomerId": "V-2", "channels": [{"type": "email", "value": "v2@example.com"}]},
  {"externalCustomerId": "V-3", "channels": [{"type": "email", "value": "v3@example.com"}]},
  {"externalCustomerId": "V-4", "channels": [{"type": "email", "value": "v4@example.com"}]}
]} $$);
INSERT INTO engage.messages (name, subject, body) VALUES ('old', 'old', 'old text'), ('new', 'new', 'new text');
SELECT message_id AS old FROM engage.messages WHERE name = 'old' \gset
SELECT message_id AS new FROM engage.messages WHERE name = 'new' \gset
CREATE FUNCTION drip(message integer, later_id text DEFAULT 'later') RETURNS jsonb LANGUAGE sql AS $$
    SELECT format('[{"id": "first", "type": "send_message", "messageId": %1$s, "next": "pause"},
                    {"id": "pause", "type": "wait", "duration": "1 hour", "next": "%2$s"},
                    {"id": "%2$s", "type": "send_message", "messageId": %1$s}]', message, later_id)::jsonb
$$;
CREATE FUNCTION drip_event(key text) RETURNS boolean LANGUAGE sql AS $$
    SELECT engage.generate_event(format('{"eventTypeKey": "dripped", "keyValue": "%s"}', key)::jsonb) > 0
$$;
CREATE VIEW drip_sends AS
SELECT w.name AS workflow, c.external_customer_id AS contact, s.block_id, m.name AS message
FROM engage.sends s JOIN engage.contacts c USING (contact_id) JOIN engage.messages m USING (message_id)
JOIN engage.workflows w USING (workflow_id)
ORDER BY s.send_id;

-- Version 1 launches V-1 and V-2 once each; they wait an hour before the second send.
SELECT engage.create_workflow('drip', drip(:old)) AS drip \gset
SELECT engage.link_event('drip', 'dripped', 'start', 'once');
SELECT engage.activate_workflow('drip');
SELECT drip_event('V-1'), drip_event('V-2');
SELECT events, launched, sends, waiting FROM engage.process_events();

-- Version 2 sends the new message. Without move_waiting, V-1 and V-2 stay on version 1.
SELECT * FROM engage.alter_workflow('drip', drip(:new));
SELECT version, status, blocks -> 0 ->> 'messageId' = :'new' AS new_blocks FROM engage.workflows WHERE name = 'drip';
-- New launches use version 2; V-1's second event does not launch again: 'once' holds across versions.
SELECT drip_event('V-3'), drip_event('V-1');
SELECT events, launched, not_launched, sends FROM engage.process_events();
SELECT c.external_customer_id, i.version, i.status, i.block_id
FROM engage.workflow_instances i JOIN engage.contacts c USING (contact_id) ORDER BY 1;
-- When the hour is up, each instance finishes on its own version.
SELECT resumed, sends, completed FROM engage.run_due_waits(now() + interval '2 hours');
SELECT * FROM drip_sends;

-- Every version is kept, with who made it; version 1's blocks go once no instance is in it.
SELECT version, blocks -> 0 ->> 'messageId' = :'old' AS old_message, moved, created_by = current_user AS by_me
FROM engage.workflow_versions WHERE workflow_id = :drip ORDER BY version;
SELECT version, count(*) AS blocks FROM engage.workflow_blocks WHERE workflow_id = :drip GROUP BY version ORDER BY version;
SELECT engage_internal.prune_workflow_versions(:drip) AS pruned;
SELECT version, count(*) AS blocks FROM engage.workflow_blocks WHERE workflow_id = :drip GROUP BY version ORDER BY version;

-- With move_waiting, a waiting instance moves when the block it resumes at keeps its ID in the
-- new version; one whose block is gone stays on its version.
SELECT engage.create_workflow('nudge', $$[
  {"id": "check", "type": "condition", "param": "vip", "op": "exists", "yes": "pause vip", "no": "pause"},
  {"id": "pause vip", "type": "wait", "duration": "1 hour", "next": "vip note"},
  {"id": "vip note", "type": "exit"},
  {"id": "pause", "type": "wait", "duration": "1 hour", "next": "later"},
  {"id": "later", "type": "exit"}]$$) AS nudge \gset
SELECT engage.link_event('nudge', 'nudged');
SELECT engage.activate_workflow('nudge');
SELECT engage.generate_event('{"eventTypeKey": "nudged", "keyValue": "V-1", "params": [{"name": "vip", "value": "yes"}]}') > 0,
       engage.generate_event('{"eventTypeKey": "nudged", "keyValue": "V-2"}') > 0;
SELECT events, launched, waiting FROM engage.process_events();
SELECT * FROM engage.alter_workflow('nudge', format($$[
  {"id": "pause", "type": "wait", "duration": "1 hour", "next": "later"},
  {"id": "later", "type": "send_message", "messageId": %s}]$$, :new)::jsonb, move_waiting => true);
SELECT c.external_customer_id, i.version, i.block_id FROM engage.workflow_instances i JOIN engage.contacts c USING (contact_id)
WHERE i.workflow_id = :nudge ORDER BY 1;
SELECT resumed, sends, completed FROM engage.run_due_waits(now() + interval '2 hours');
SELECT * FROM drip_sends WHERE workflow = 'nudge';
SELECT version, moved FROM engage.workflow_versions WHERE workflow_id = :nudge ORDER BY version;

-- Refusals change nothing: an unknown workflow, a broken graph, a block naming a missing
-- message, NULLs; and only admins alter workflows.
SELECT * FROM engage.alter_workflow('no such', drip(:new));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.alter_workflow('drip', '[{"id": "a", "type": "teleport"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.alter_workflow('drip', drip(99));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.alter_workflow('drip', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.alter_workflow('drip', drip(:new), NULL);
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_engage_writer;
SELECT * FROM engage.alter_workflow('drip', drip(:new));
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT version, (SELECT count(*) FROM engage.workflow_versions v WHERE v.workflow_id = w.workflow_id) AS versions
FROM engage.workflows w WHERE name = 'drip';

DROP VIEW drip_sends;
DROP FUNCTION drip(integer, text), drip_event(text);
