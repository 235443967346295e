-- account_info and the catalog of an empty address book.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_engage CASCADE;
CREATE EXTENSION pg_engage;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- The organisation defaults to the database name.
SELECT engage.account_info() = jsonb_build_object('userEmail', current_user, 'organisationName', current_database()) AS default_shape;
SET engage.organisation_name = 'ExampleName';
SELECT engage.account_info()->>'organisationName' AS organisation;
RESET engage.organisation_name;

-- An empty catalog still has its address book.
SELECT jsonb_pretty(engage.catalogs());
