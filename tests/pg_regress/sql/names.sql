-- Names where IDs are a burden: a segment rule names a field, data source, message or segment by
-- name as well as by ID; a workflow block names its message or segment; a broadcast its message and
-- segments. A name compiles to what its ID does; a name nothing has, or a message name two
-- messages share, is refused with the element named.
\i include/fresh_extension.sql
SET TimeZone = 'UTC';
SELECT engage.create_field('loyalty level', 'number', field_id => 7);
SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "N-1", "firstName": "Dina", "fields": [{"id": 7, "value": 3}],
   "channels": [{"type": "email", "value": "dina@example.com"}]},
  {"externalCustomerId": "N-2", "firstName": "Ivan", "fields": [{"id": 7, "value": 1}],
   "channels": [{"type": "email", "value": "ivan@example.com"}]}
]} $$);
CREATE TABLE names_codes (email text, promo_code text);
INSERT INTO names_codes VALUES ('dina@example.com', 'AAAA');
SELECT name FROM engage.create_connector('local');
SELECT name FROM engage.create_data_source('codes', 'local', 'names_codes', 'email');
INSERT INTO engage.messages (message_id, name, subject, body) VALUES
    (1, 'welcome', 'Hi', 'Hi $!contact.firstName'), (2, 'news', 'News', 'a'), (3, 'news', 'News', 'b');
SELECT engage.create_group('vips');

-- Rules: each condition by name compiles to the same statement and parameters as by ID.
SELECT (SELECT (c.sql, c.params) FROM engage.compile_segment_rule(n.rule, NULL) c)
     = (SELECT (c.sql, c.params) FROM engage.compile_segment_rule(i.rule, NULL) c) AS same_as_by_id
FROM (VALUES ('{"field": "loyalty level", "op": "greater", "value": 2}'::jsonb, '{"field": 7, "op": "greater", "value": 2}'::jsonb),
             ('{"source": "codes"}', format('{"source": %s}', (SELECT source_id FROM engage.data_sources WHERE name = 'codes'))::jsonb),
             ('{"activity": "CLICKED", "message": "welcome"}', '{"activity": "CLICKED", "message": 1}'),
             ('{"segment": "vips"}', '{"segment": 1}')) AS x(n, i),
     LATERAL (SELECT x.n AS rule) n, LATERAL (SELECT x.i AS rule) i;
SELECT engage.create_segment('loyal with codes', '{"and": [{"field": "loyalty level", "op": "greater", "value": 2}, {"source": "codes"}]}');
SELECT engage.refresh_segment('loyal with codes');
SELECT c.external_customer_id FROM engage.segment_contacts('loyal with codes') s JOIN engage.contacts c USING (contact_id);
-- The rule is kept as given.
SELECT rule FROM engage.segments WHERE name = 'loyal with codes';
\set VERBOSITY default
SELECT engage.create_segment('x', '{"field": "no such field", "op": "is_empty"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_segment('x', '{"activity": "CLICKED", "message": "news"}');
\echo :LAST_ERROR_SQLSTATE

-- Workflow blocks: "message" and "segment" by name; stored with their IDs.
SELECT engage.create_workflow('named', $$[
  {"id": "in vips?", "type": "condition", "segment": "vips", "yes": "hello", "no": "add"},
  {"id": "add", "type": "add_to_segment", "segment": "vips", "next": "hello"},
  {"id": "hello", "type": "send_message", "message": "welcome"}
]$$) AS named \gset
SELECT block_id, type, message_id, segment_id FROM engage.workflow_blocks WHERE workflow_id = :named ORDER BY position;
SELECT engage.create_workflow('unknown message', '[{"id": "a", "type": "send_message", "message": "gone"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_workflow('shared name', '[{"id": "a", "type": "send_message", "message": "news"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_workflow('both', '[{"id": "a", "type": "send_message", "message": "welcome", "messageId": 1}]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.alter_workflow('named', '[{"id": "hello", "type": "add_to_segment", "segment": "nobody"}]');
\echo :LAST_ERROR_SQLSTATE
SELECT version FROM engage.workflows WHERE name = 'named';

-- Broadcasts: the message and segments by name (or ID, as text).
SELECT engage.create_segment('has email', '{"channel": "email"}');
SELECT status, queued FROM engage.send_broadcast('welcome', ARRAY['has email'], 'Welcome all');
SELECT locator, subject, body FROM engage.sends WHERE broadcast_id = (SELECT max(broadcast_id) FROM engage.broadcasts)
ORDER BY locator;
SELECT status, queued FROM engage.send_broadcast('1', ARRAY[(SELECT segment_id::text FROM engage.segments WHERE name = 'has email')], 'By ID as text');
SELECT engage.send_broadcast('news', ARRAY['has email'], 'Shared name');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.send_broadcast('welcome', ARRAY['has email', 'nobody'], 'Unknown segment');
\echo :LAST_ERROR_SQLSTATE
SELECT status, queued FROM engage.send_broadcast('welcome', ARRAY['has email'], 'Later, by names', now() + interval '1 day');
SELECT b.name, b.status, m.name AS message, s.name AS segment FROM engage.broadcasts b
JOIN engage.messages m USING (message_id) JOIN engage.segments s ON s.segment_id = ANY (b.segment_ids)
WHERE b.name = 'Later, by names';
SELECT count(*) AS broadcasts FROM engage.broadcasts;
