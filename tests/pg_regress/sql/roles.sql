-- Roles: readers read, writers write through the functions only, admins manage the catalog.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SELECT r.rolname, array_agg(m.rolname ORDER BY m.rolname) AS member_of
FROM pg_roles r JOIN pg_auth_members a ON a.member = r.oid JOIN pg_roles m ON m.oid = a.roleid
WHERE r.rolname LIKE 'engage\_%' GROUP BY r.rolname ORDER BY r.rolname;

-- A reader can read and call the read functions, and nothing else.
SET ROLE regress_engage_reader;
SELECT engage.account_info()->>'userEmail' AS user_email;
SELECT jsonb_typeof(engage.catalogs()) AS catalogs;
SELECT count(*) AS contacts FROM engage.contacts;
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "r@example.com"}]}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.generate_event('{"eventTypeKey": "x", "keyValue": "k"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.unsubscribe_emails('{"emails": ["r@example.com"]}');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO engage.contacts (first_name) VALUES ('direct');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A writer writes through the functions (which run with the owner's rights) but not directly.
SET ROLE regress_engage_writer;
SELECT created FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "w@example.com"}]}}');
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "w-2"}]}');
SELECT engage.generate_event('{"eventTypeKey": "writerEvent", "keyValue": "w@example.com"}') > 0 AS stored;
SELECT engage.unsubscribe_emails('{"emails": ["w@example.com"]}');
SELECT engage.add_to_group('Writers', ARRAY[(SELECT contact_id FROM engage.contacts WHERE external_customer_id = 'w-2')]);
UPDATE engage.contacts SET first_name = 'direct';
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('Writer field', 'string');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_event_type('writerType');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- An admin manages fields and event types, and can do what a writer can.
SET ROLE regress_engage_admin;
SELECT engage.create_field('Admin field', 'string') > 0 AS created;
SELECT engage.create_event_type('adminType', category => 'View') > 0 AS created;
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "a-1"}]}');
RESET ROLE;

SELECT count(*) AS contacts, count(*) FILTER (WHERE first_name = 'direct') AS direct_writes FROM engage.contacts;
