-- Static groups: created on demand, members added and removed by contact ID.
\i include/fresh_extension.sql

SELECT index, contact_id FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "1"}, {"externalCustomerId": "2"}, {"externalCustomerId": "3"}]}');
SELECT engage.create_group('Newsletter') AS group_id;
SELECT engage.create_group(' Newsletter ') AS same_group_id;
SELECT engage.add_to_group('Newsletter', ARRAY[1, 2]) AS added;
SELECT engage.add_to_group('Newsletter', ARRAY[2, 3]) AS added;
SELECT engage.add_to_group('VIP', ARRAY[3]) AS added_to_new_group;
SELECT s.name, array_agg(m.contact_id ORDER BY m.contact_id) AS members
FROM engage.segments s JOIN engage.segment_members m USING (segment_id) GROUP BY s.name ORDER BY s.name;
SELECT engage.remove_from_group('Newsletter', ARRAY[1, 3, 99]) AS removed;
SELECT contact_id FROM engage.segment_members m JOIN engage.segments s USING (segment_id) WHERE s.name = 'Newsletter';

SELECT engage.add_to_group('Newsletter', ARRAY[1, 404, 405]);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.remove_from_group('Nope', ARRAY[1]);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_group('');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS members FROM engage.segment_members;
