-- The additional-field catalog: create, change, drop, and the documented catalog shape.
\i include/fresh_extension.sql

SELECT engage.create_field('Birthday', 'date', field_id => 15867);
SELECT engage.create_field('Gender', 'combobox', ARRAY['M', 'F'], field_id => 15868);
SELECT engage.create_field('Age', 'number');
SELECT engage.create_field('Loyal', 'boolean', field_group => 'Loyalty', description => 'joined the programme');
SELECT engage.create_field('Region', 'string', readonly => true);

-- The documented structure: ids and flags as strings, allowedValues for comboboxes.
SELECT jsonb_pretty(engage.catalogs());

-- Bad definitions, each with its error; the catalog keeps five fields.
SELECT engage.create_field('Birthday', 'string');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('Other', 'string', field_id => 15867);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('Colour', 'text');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('Size', 'combobox');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('Size', 'combobox', ARRAY['S', 'S']);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('Size', 'number', ARRAY['S']);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('  ', 'number');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_field('Negative', 'number', field_id => -1);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS fields FROM engage.fields;

-- Changing a field: only the arguments given change.
SELECT engage.alter_field(15868, allowed_values => ARRAY['M', 'F', 'X'], description => 'as stated');
SELECT engage.alter_field(10001, name => 'Age in years', field_group => 'Loyalty');
SELECT f.field_id, f.name, f.type, f.allowed_values, g.name AS field_group, f.description
FROM engage.fields f JOIN engage.field_groups g USING (field_group_id) ORDER BY f.field_id;

-- Changes that stored values would break are refused while the values exist.
SELECT * FROM engage.upsert_contacts('{"contacts":[{"externalCustomerId":"c1","fields":[{"id":15868,"value":"X"}]}]}');
SELECT engage.alter_field(15868, allowed_values => ARRAY['M', 'F']);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.alter_field(15867, required => true);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.alter_field(15867, name => 'Gender');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.alter_field(15867, allowed_values => ARRAY['a']);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.alter_field(4242, name => 'Nothing');
\echo :LAST_ERROR_SQLSTATE

-- A field every contact has can become required.
SELECT engage.alter_field(15868, required => true);
SELECT field_id, required FROM engage.fields WHERE field_id = 15868;

-- Dropping a field drops its values.
SELECT engage.drop_field(15868);
SELECT count(*) AS values_left FROM engage.contact_fields WHERE field_id = 15868;
SELECT engage.drop_field(15868);
\echo :LAST_ERROR_SQLSTATE
