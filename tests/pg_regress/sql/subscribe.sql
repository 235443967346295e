-- subscribe_contact: new and existing contacts, groups, events, confirmation.
\i include/fresh_extension.sql
CREATE TEMP VIEW row_counts AS
SELECT (SELECT count(*) FROM engage.contacts) AS contacts,
       (SELECT count(*) FROM engage.channels) AS channels,
       (SELECT count(*) FROM engage.contact_fields) AS field_values,
       (SELECT count(*) FROM engage.segments) AS groups,
       (SELECT count(*) FROM engage.segment_members) AS members,
       (SELECT count(*) FROM engage.events) AS events;
SELECT engage.create_field('Gender', 'combobox', ARRAY['M', 'F'], field_id => 15868);

-- The minimum body creates a contact whose email waits for confirmation.
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "Kozak@Example.com"}]}}');
SELECT contact_id, first_name, source FROM engage.contacts;
SELECT contact_id, type, value, status, confirmed_at IS NULL AS unconfirmed FROM engage.channels;

-- The same address again, with a name and groups: the contact is updated, groups are created.
SELECT * FROM engage.subscribe_contact('{
  "contact": {"firstName": "Dina", "channels": [{"type": "email", "value": "kozak@example.com"}],
              "fields": [{"id": 15868, "value": "F"}]},
  "groups": ["Subscribers", "Newsletter"]}');
SELECT contact_id, first_name, source FROM engage.contacts;
SELECT s.name, s.kind, m.contact_id FROM engage.segment_members m JOIN engage.segments s USING (segment_id) ORDER BY s.name;

-- Each call recorded its event: subscribeFromAPI for the new contact, subscribeUpdateFromAPI after.
SELECT t.key, t.category, e.key_value, e.contact_id, e.params
FROM engage.events e JOIN engage.event_types t USING (event_type_id) ORDER BY e.event_id;

-- A second channel added later is inactive too; confirming activates one channel only.
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "kozak@example.com"}, {"type": "sms", "value": "+380 (50) 123-45-67"}]}, "groups": ["Subscribers"]}');
SELECT engage.confirm_channel('email', 'KOZAK@example.com');
SELECT type, value, status, confirmed_at IS NOT NULL AS confirmed FROM engage.channels ORDER BY type;
SELECT engage.confirm_channel('email', 'nobody@example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.confirm_channel('fax', '123');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.confirm_channel('sms', 'not a phone');
\echo :LAST_ERROR_SQLSTATE

SELECT * FROM row_counts;

-- Bad bodies: each its own error, and nothing written.
SELECT * FROM engage.subscribe_contact('{}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('[]');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('{"contact": {"firstName": "No channel"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "not-an-email"}]}, "groups": ["New group"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "pigeon", "value": "x"}]}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "new@example.com"}], "fields": [{"id": 15868, "value": "X"}]}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "new@example.com"}], "fields": [{"id": 99999, "value": "X"}]}}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "new@example.com"}]}, "groups": "Subscribers"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "new@example.com"}], "timeZone": "Mars/Olympus"}}');
\echo :LAST_ERROR_SQLSTATE
-- A subscription found by its phone must not replace the contact's email.
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "new@example.com"}, {"type": "sms", "value": "380501234567"}]}}');
\echo :LAST_ERROR_SQLSTATE
-- A dynamic segment cannot take subscribers; the new contact of this call is not kept either.
INSERT INTO engage.segments (name, kind, rule) VALUES ('Rule based', 'dynamic', '{"channel": "email"}');
SELECT * FROM engage.subscribe_contact('{"contact": {"channels": [{"type": "email", "value": "new@example.com"}]}, "groups": ["Rule based"]}');
\echo :LAST_ERROR_SQLSTATE
DELETE FROM engage.segments WHERE name = 'Rule based';
SELECT * FROM row_counts;

-- A time zone and language are normalised to their canonical spelling.
SELECT * FROM engage.subscribe_contact('{"contact": {"lastName": "Shevchenko", "languageCode": "uk", "timeZone": "europe/kyiv", "channels": [{"type": "viber", "value": "+380 67 000 11 22"}]}}');
SELECT last_name, language_code, time_zone FROM engage.contacts WHERE last_name = 'Shevchenko';
