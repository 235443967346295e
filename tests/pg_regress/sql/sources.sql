-- Connectors and data sources (spec 000): a table of this database, and a table of another
-- database reached through postgres_fdw over TCP; validate_connector with a wrong password and
-- an unreachable port; the data object keyed by source name and by source ID.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

-- The other side: a second database with a promo_codes table, and a read-only login role.
SET client_min_messages = warning;
DROP DATABASE IF EXISTS engage_regress_remote;
DROP ROLE IF EXISTS regress_remote_reader;
RESET client_min_messages;
CREATE DATABASE engage_regress_remote;
CREATE ROLE regress_remote_reader LOGIN PASSWORD 'right-password';
\c engage_regress_remote
CREATE TABLE promo_codes (id int, email text, name text, birthday date, promo_code text, issued timestamptz);
INSERT INTO promo_codes VALUES
    (2, 'dina@example.com', 'Dina Kozak', '2020-09-02', 'AAAA-BBBB-DDDD', '2026-01-05 10:30:00.25+02'),
    (3, 'dina@example.com', 'Dina Kozak', '2020-09-02', 'EEEE-FFFF', '2026-02-01 00:00+00'),
    (4, 'nobody@example.com', 'Not a contact', NULL, 'ZZZZ', NULL);
GRANT SELECT ON promo_codes TO regress_remote_reader;
\c engage_regress
SET TimeZone = 'UTC';

-- Contacts on this side, and a local table keyed by external ID.
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "C-1", "firstName": "Dina", "channels": [{"type": "email", "value": "Dina@Example.com"}]},
  {"externalCustomerId": "C-2", "firstName": "Ivan", "channels": [{"type": "email", "value": "ivan@example.com"}]}]}');
CREATE TABLE loyalty (customer text PRIMARY KEY, points numeric, tier text, since timestamp);
INSERT INTO loyalty VALUES ('C-2', 120.5, 'gold', '2024-05-01 12:00'), ('C-9', 1, 'none', NULL);

-- A connector to this database: no host, no password.
SELECT name, host, contact_key FROM engage.create_connector('local', contact_key => 'external_id');
SELECT ok, message FROM engage.validate_connector('local');
SELECT source_id, name, registered_relation, relation AS read_through, key_column
FROM engage.create_data_source('loyalty', 'local', 'loyalty', 'customer');

-- A connector to the other database over TCP, keyed by email; not SSL-secured, so it warns.
SELECT name, host = 'localhost' AS on_localhost, database, username, ssl_mode, contact_key, server_name
FROM engage.create_connector('shop', host => 'localhost', port => current_setting('port')::int,
    database => 'engage_regress_remote', username => 'regress_remote_reader', password => 'right-password',
    ssl_mode => 'disable');
SELECT ok, replace(message, current_setting('port'), '<port>') AS message, ssl, hint FROM engage.validate_connector('shop');
-- The password is in a user mapping, not in an engage table.
SELECT count(*) AS mappings FROM pg_user_mappings WHERE srvname = 'engage_connector_2';
SELECT count(*) AS password_columns FROM information_schema.columns WHERE table_schema = 'engage' AND column_name LIKE '%password%';
SELECT source_id, name, registered_relation, relation AS read_through, key_column
FROM engage.create_data_source('promo_codes', 'shop', 'public.promo_codes', 'email');

-- The data object: by source name (bulk campaigns) and by source ID (triggered campaigns).
SELECT jsonb_pretty(engage.contact_data(c.contact_id)) FROM engage.contacts c WHERE external_customer_id = 'C-1';
SELECT engage.contact_data(c.contact_id, 'id') FROM engage.contacts c WHERE external_customer_id = 'C-2';
-- A contact on one side only has no data there.
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "C-3", "channels": [{"type": "email", "value": "c3@example.com"}]}]}');
SELECT engage.contact_data(c.contact_id) FROM engage.contacts c WHERE external_customer_id = 'C-3';
-- It renders as spec 000 shows.
SELECT engage.render($$#foreach($pc in $!data.get('promo_codes'))$!pc.get('name'): $!pc.get('promo_code') until $pc.get('birthday')
#end$$, jsonb_build_object('data', engage.contact_data(c.contact_id)))
FROM engage.contacts c WHERE external_customer_id = 'C-1';
-- Readers read it too.
SET ROLE regress_engage_reader;
SELECT engage.contact_data(c.contact_id) ? 'promo_codes' AS reader_sees_data FROM engage.contacts c WHERE external_customer_id = 'C-1';
SELECT engage.create_connector('mine');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- validate_connector says what is wrong, in words a user can act on.
SET client_min_messages = error;
SELECT name FROM engage.create_connector('wrong-password', host => 'localhost', port => current_setting('port')::int,
    database => 'engage_regress_remote', username => 'regress_remote_reader', password => 'wrong', ssl_mode => 'disable');
SELECT ok, message, hint, server_message ~ 'password authentication failed' AS server_says_so FROM engage.validate_connector('wrong-password');
SELECT name FROM engage.create_connector('nobody-home', host => 'localhost', port => 1,
    username => 'regress_remote_reader', password => 'x', ssl_mode => 'disable');
RESET client_min_messages;
SELECT ok, message, hint, server_message ~ 'Connection refused' AS server_says_so FROM engage.validate_connector('nobody-home');
SELECT engage.create_data_source('broken', 'nobody-home', 'promo_codes', 'email');
\echo :LAST_ERROR_SQLSTATE

-- Refusals: missing fields, bad values, unknown names and columns, duplicates.
SELECT engage.create_connector('remote-without-password', host => 'db.example.com', username => 'u');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_connector('local-with-password', password => 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_connector('bad-key', contact_key => 'shoe size');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_connector('no-field', contact_key => 'field', contact_key_field => 99999);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_connector('local');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_data_source('loyalty2', 'local', 'no_such_table', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_data_source('loyalty2', 'local', 'loyalty', 'client');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_data_source('loyalty', 'local', 'loyalty', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_data_source('x', 'nowhere', 'loyalty', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_data_source('ghost', 'shop', 'public.ghosts', 'email');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.contact_data(0);
\echo :LAST_ERROR_SQLSTATE

-- A data source is registered, and read, with the rights of the role that registers it: an
-- admin cannot publish a table it cannot read, nor a system catalog.
CREATE TABLE private_notes (customer text, note text);
INSERT INTO private_notes VALUES ('C-2', 'owes us money');
SET ROLE regress_engage_admin;
SELECT engage.create_data_source('secrets', 'local', 'pg_catalog.pg_authid', 'rolname');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_data_source('roles', 'local', 'pg_roles', 'rolname');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_data_source('notes', 'local', 'private_notes', 'customer');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
GRANT SELECT ON private_notes TO regress_engage_admin;
SET ROLE regress_engage_admin;
SELECT name, registered_relation, owner::regrole FROM engage.create_data_source('notes', 'local', 'private_notes', 'customer');
RESET ROLE;
SET ROLE regress_engage_reader;
SELECT engage.contact_data(c.contact_id) -> 'notes' AS reader_reads_through_the_admin FROM engage.contacts c WHERE external_customer_id = 'C-2';
RESET ROLE;
-- Once the admin may no longer read the table, nobody reads it through the source.
REVOKE SELECT ON private_notes FROM regress_engage_admin;
SET ROLE regress_engage_reader;
SELECT engage.contact_data(c.contact_id) FROM engage.contacts c WHERE external_customer_id = 'C-2';
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT engage.drop_data_source('notes');
-- The relation name is resolved with the caller's search_path (and the definer step cannot be
-- called without the caller's voucher).
CREATE SCHEMA shop_data;
CREATE TABLE shop_data.tiers (customer text, tier text);
SET search_path = shop_data, public;
SELECT registered_relation FROM engage.create_data_source('tiers', 'local', 'tiers', 'customer');
RESET search_path;
SET ROLE regress_engage_admin;
SELECT engage_internal.store_data_source(1, 'sneaky', 'local', 'pg_authid', 'pg_authid'::regclass, 'rolname');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A connector made by a role that is not a superuser connects as that role, under
-- postgres_fdw's rule: the other server must check the password. Through this server's Unix
-- socket (trust authentication) the admin gets nowhere, whatever password it gives...
SELECT current_setting('unix_socket_directories') AS socket_dir \gset
SET ROLE regress_engage_admin;
SET client_min_messages = error;
SELECT name FROM engage.create_connector('socket', host => :'socket_dir',
    port => current_setting('port')::int, database => 'engage_regress_remote', username => 'postgres',
    password => 'anything', ssl_mode => 'disable');
RESET client_min_messages;
SELECT ok, message, hint FROM engage.validate_connector('socket');
SELECT engage.create_data_source('authid', 'socket', 'pg_catalog.pg_authid', 'rolname');
\echo :LAST_ERROR_SQLSTATE
-- ...while over TCP, with the password, it reads what the remote role may read.
SET client_min_messages = error;
SELECT name FROM engage.create_connector('shop2', host => 'localhost', port => current_setting('port')::int,
    database => 'engage_regress_remote', username => 'regress_remote_reader', password => 'right-password',
    ssl_mode => 'disable');
RESET client_min_messages;
SELECT ok FROM engage.validate_connector('shop2');
SELECT name, registered_relation, owner::regrole FROM engage.create_data_source('promo_codes2', 'shop2', 'promo_codes', 'email');
RESET ROLE;
SELECT jsonb_array_length(engage.contact_data(c.contact_id) -> 'promo_codes2') AS rows_read_as_the_admin
FROM engage.contacts c WHERE external_customer_id = 'C-1';
-- Only the connector's owner (or a role with its rights) registers sources on it.
CREATE ROLE regress_other_admin IN ROLE engage_admin;
SET ROLE regress_other_admin;
SELECT engage.create_data_source('promo_codes3', 'shop2', 'promo_codes', 'email');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE regress_other_admin;
SELECT engage.drop_connector('socket'), engage.drop_connector('shop2');

-- Dropping a connector drops its sources, foreign server and user mapping.
SELECT engage.drop_connector('shop');
SELECT name FROM engage.data_sources ORDER BY source_id;
SELECT count(*) AS servers FROM pg_foreign_server WHERE srvname = 'engage_connector_2';
SELECT engage.drop_connector('wrong-password'), engage.drop_connector('nobody-home');
\c postgres
DROP DATABASE engage_regress_remote;
DROP ROLE regress_remote_reader;
