-- The unsubscribed list holds addresses, not contacts.
\i include/fresh_extension.sql

-- Two contacts share nothing but one of them has an address that will be unsubscribed.
SELECT * FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "1", "channels": [{"type": "email", "value": "ana@example.com"}, {"type": "sms", "value": "380500000001"}]},
  {"externalCustomerId": "2", "channels": [{"type": "email", "value": "bo@example.com"}]}]}');

SELECT engage.unsubscribe_emails('{"emails": ["ANA@example.com", "someone.else@example.com", "ana@example.com"]}') AS added;
SELECT engage.unsubscribe_emails('{"emails": ["ana@example.com"]}') AS added_again;
SELECT email FROM engage.unsubscribed_emails ORDER BY email;
-- The contact's email gets no bulk mail; its SMS channel and the other contact are untouched.
SELECT contact_id, type, value, status, unsubscribed, bulk_allowed FROM engage.contact_channels ORDER BY contact_id, type;

SELECT engage.remove_unsubscribed_emails('{"emails": ["ana@example.com", "never.listed@example.com"]}') AS removed;
SELECT email FROM engage.unsubscribed_emails ORDER BY email;
SELECT bulk_allowed FROM engage.contact_channels WHERE value = 'ana@example.com';

-- Bad bodies: nothing changes.
SELECT engage.unsubscribe_emails('{}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.unsubscribe_emails('{"emails": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.unsubscribe_emails('{"emails": ["ok@example.com", "not an email"]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.unsubscribe_emails('{"emails": "ok@example.com"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.remove_unsubscribed_emails('{"addresses": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT email FROM engage.unsubscribed_emails ORDER BY email;
