-- upsert_contacts: matching, field values by customFieldsIDs, all-or-nothing, 100,000 at once.
\i include/fresh_extension.sql
CREATE TEMP VIEW row_counts AS
SELECT (SELECT count(*) FROM engage.contacts) AS contacts,
       (SELECT count(*) FROM engage.channels) AS channels,
       (SELECT count(*) FROM engage.contact_fields) AS field_values;
SELECT engage.create_field('Birthday', 'date', field_id => 15867);
SELECT engage.create_field('Gender', 'combobox', ARRAY['M', 'F'], field_id => 15868);
SELECT engage.create_field('Orders', 'number', field_id => 15869);
SELECT engage.create_field('VIP', 'boolean', field_id => 15870);
SELECT engage.create_field('Signup code', 'string', field_id => 15871, readonly => true);

-- The documented body.
SELECT * FROM engage.upsert_contacts('{
  "contacts": [{
    "channels": [{"type": "email", "value": "dina@example.com"}],
    "fields": [{"id": 15867, "value": "1990-11-23"}]
  }],
  "customFieldsIDs": [15867]}');

-- New contacts get active channels (an import); each typed value fills its column.
SELECT * FROM engage.upsert_contacts('{
  "contacts": [
    {"externalCustomerId": "AV13760", "firstName": "Ivan", "lastName": "Franko",
     "channels": [{"type": "sms", "value": "+380 50 000 0001"}, {"type": "webpush", "value": "token-1"}, {"type": "webpush", "value": "token-2"}],
     "fields": [{"id": 15868, "value": "M"}, {"id": 15869, "value": 12}, {"id": 15870, "value": "true"}]},
    {"externalCustomerId": 42, "channels": [{"type": "telegram", "value": "@lesya"}]}
  ]}');
SELECT contact_id, external_customer_id, first_name, last_name, source FROM engage.contacts ORDER BY contact_id;
SELECT contact_id, type, value, status FROM engage.channels ORDER BY contact_id, type, value;
SELECT contact_id, field_id, value, value_number, to_char(value_date, 'YYYY-MM-DD') AS value_date, value_boolean
FROM engage.contact_fields ORDER BY contact_id, field_id;

-- Two elements that turn out to be one stored contact (AV13760, and AV13760's phone) are refused.
SELECT * FROM engage.upsert_contacts('{
  "contacts": [
    {"externalCustomerId": "AV13760", "lastName": null},
    {"channels": [{"type": "sms", "value": "380500000001"}, {"type": "email", "value": "ivan@example.com"}]}
  ]}');
\echo :LAST_ERROR_SQLSTATE

-- Matching: external ID first, then email, then phone. The email match gets an external ID;
-- the phone match gets a new email; absent attributes stay, null clears.
SELECT * FROM engage.upsert_contacts('{
  "contacts": [
    {"externalCustomerId": "AV13760", "lastName": null, "fields": [{"id": 15869, "value": "13"}]},
    {"externalCustomerId": "D-1", "channels": [{"type": "email", "value": "DINA@example.com"}], "firstName": "Dina"}
  ]}');
SELECT * FROM engage.upsert_contacts('{"contacts": [{"channels": [{"type": "sms", "value": "380500000001"}, {"type": "email", "value": "ivan@example.com"}]}]}');
SELECT contact_id, external_customer_id, first_name, last_name, updated_at > created_at AS updated FROM engage.contacts ORDER BY contact_id;
SELECT contact_id, type, value FROM engage.channels WHERE type IN ('email', 'sms') ORDER BY contact_id, type;

-- A new email replaces the old one (one email per contact); push tokens accumulate.
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "AV13760", "channels": [{"type": "email", "value": "franko@example.com"}, {"type": "webpush", "value": "token-3"}]}]}');
SELECT type, value FROM engage.channels WHERE contact_id = 2 ORDER BY type, value;

-- customFieldsIDs: only listed fields change, every given value is still checked; "" and null clear.
SELECT * FROM engage.upsert_contacts('{
  "contacts": [{"externalCustomerId": "AV13760", "fields": [{"id": 15868, "value": "F"}, {"id": 15869, "value": null}, {"id": 15870, "value": ""}]}],
  "customFieldsIDs": [15869, 15870]}');
SELECT field_id, value FROM engage.contact_fields WHERE contact_id = 2 ORDER BY field_id;
SELECT * FROM row_counts;

-- Bad input: each gives its error and leaves the counts above unchanged.
SELECT * FROM engage.upsert_contacts('{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": {}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"firstName": "Nobody"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "fields": [{"id": 777, "value": "1"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x"}], "customFieldsIDs": [777]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "fields": [{"id": 15869, "value": "twelve"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "fields": [{"id": 15867, "value": "2023-02-29"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "fields": [{"id": 15870, "value": "maybe"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "fields": [{"id": 15868, "value": "Q"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "fields": [{"id": 15871, "value": "abc"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "fields": [{"id": 15869, "value": [1]}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "channels": [{"type": "email", "value": "x@@example.com"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "emial": "x@example.com"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x"}, {"externalCustomerId": "x"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "AV13760", "channels": [{"type": "email", "value": "dina@example.com"}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "other", "channels": [{"type": "email", "value": "dina@example.com"}]}]}');
\echo :LAST_ERROR_SQLSTATE
-- One bad element at the end of a long list rejects the whole list.
SELECT * FROM engage.upsert_contacts(jsonb_build_object('contacts',
  (SELECT jsonb_agg(jsonb_build_object('externalCustomerId', 'batch-' || i)) FROM generate_series(1, 999) i)
  || '[{"externalCustomerId": "batch-1000", "fields": [{"id": 15869, "value": "NaN"}]}]'::jsonb));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM row_counts;

-- A required field must be given to new contacts, and cannot be cleared.
SELECT engage.create_field('Region', 'string', field_id => 15872);
UPDATE engage.fields SET required = true WHERE field_id = 15872;
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "needs-region"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "has-region", "fields": [{"id": 15872, "value": "EU"}]}]}');
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "has-region", "fields": [{"id": 15872, "value": ""}]}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "AV13760", "firstName": "Existing contacts need no region"}]}');
DELETE FROM engage.contacts WHERE external_customer_id = 'has-region';
SELECT engage.drop_field(15872);

-- 100,000 contacts in one call, then the same 100,000 changed.
SELECT count(*) AS rows, count(*) FILTER (WHERE created) AS created
FROM engage.upsert_contacts((
  SELECT jsonb_build_object('contacts', jsonb_agg(jsonb_build_object(
           'externalCustomerId', 'bulk-' || i,
           'firstName', 'Name ' || i,
           'channels', jsonb_build_array(jsonb_build_object('type', 'email', 'value', 'bulk' || i || '@example.com')),
           'fields', jsonb_build_array(jsonb_build_object('id', 15869, 'value', i)))))
  FROM generate_series(1, 100000) i));
SELECT count(*) AS rows, count(*) FILTER (WHERE created) AS created
FROM engage.upsert_contacts((
  SELECT jsonb_build_object('contacts', jsonb_agg(jsonb_build_object(
           'channels', jsonb_build_array(jsonb_build_object('type', 'email', 'value', 'BULK' || i || '@example.com')),
           'fields', jsonb_build_array(jsonb_build_object('id', 15869, 'value', i * 2)))))
  FROM generate_series(1, 100000) i));
SELECT count(*) AS bulk_contacts, sum(v.value_number) = 2 * 100000::numeric * 100001 / 2 AS values_changed
FROM engage.contacts c JOIN engage.contact_fields v USING (contact_id)
WHERE c.external_customer_id LIKE 'bulk-%' AND v.field_id = 15869;
