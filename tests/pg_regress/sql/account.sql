-- account_info and the catalog of an empty address book.
\i include/fresh_extension.sql

-- The organisation defaults to the database name.
SELECT engage.account_info() = jsonb_build_object('userEmail', current_user, 'organisationName', current_database()) AS default_shape;
SET engage.organisation_name = 'ExampleName';
SELECT engage.account_info()->>'organisationName' AS organisation;
RESET engage.organisation_name;

-- An empty catalog still has its address book.
SELECT jsonb_pretty(engage.catalogs());
