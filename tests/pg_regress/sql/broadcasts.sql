-- Bulk campaigns: spec 000's promo-code broadcast with each member's data object, dynamic segments
-- refreshed when it starts, why a contact did or did not get it, a broadcast scheduled for later
-- and started by the scheduler's job, pause, resume and cancel, and the counters.
\i include/fresh_extension.sql
SET TimeZone = 'UTC';
-- The built-in nightly RFM job would run whenever this file moves the clock on; it is not
-- what this file shows.
SELECT engage.unschedule_job('rfm nightly');

SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "C-1", "firstName": "Dina", "languageCode": "uk", "channels": [{"type": "email", "value": "dina@example.com"}]},
  {"externalCustomerId": "C-2", "firstName": "Ivan", "channels": [{"type": "email", "value": "ivan@example.com"}]},
  {"externalCustomerId": "C-3", "firstName": "Olha", "channels": [{"type": "sms", "value": "380501112233"}]},
  {"externalCustomerId": "C-4", "firstName": "Petro", "channels": [{"type": "email", "value": "petro@example.com"}]}
]} $$);
CREATE TABLE broadcast_codes (email text, name text, promo_code text, birthday date);
INSERT INTO broadcast_codes VALUES ('dina@example.com', 'Dina Kozak', 'AAAA-BBBB', '1990-09-02'),
                               ('dina@example.com', 'Dina Kozak', 'CCCC-DDDD', '1990-09-02'),
                               ('ivan@example.com', 'Ivan Franko', 'EEEE-FFFF', NULL);
SELECT name FROM engage.create_connector('local');
SELECT name FROM engage.create_data_source('promo_codes', 'local', 'broadcast_codes', 'email');
-- Spec 000's template: the loop and the indexed forms.
INSERT INTO engage.messages (message_id, name, subject, body) VALUES (1, 'promo', '$!contact.firstName, your codes',
$$#foreach($pc in $!data.get('promo_codes'))$!pc.get('name'): $!pc.get('promo_code')
#end first: $!data.get('promo_codes').get(0).get('promo_code')$$);
INSERT INTO engage.message_translations (message_id, language, subject, body) VALUES (1, 'uk', 'Коди для $!contact.firstName',
$$#foreach($pc in $!data.get('promo_codes'))$!pc.get('promo_code') #end$$);
INSERT INTO engage.messages (message_id, name, subject, body) VALUES (2, 'strict', 'x', '$data.get(''promo_codes'').get(1).get(''promo_code'')');
-- A dynamic segment never refreshed: the broadcast refreshes it when it starts.
SELECT engage.create_segment('Has email', '{"channel": "email"}') AS has_email \gset
SELECT count(*) AS members_before FROM engage.segment_members WHERE segment_id = :has_email;

SELECT broadcast_id AS promo, status, queued, suppressed, failed FROM engage.send_broadcast(1, ARRAY[:has_email]::bigint[], 'Promo codes') \gset
SELECT :promo AS broadcast, :'status' AS status, :queued AS queued, :suppressed AS suppressed, :failed AS failed;
SELECT locator, language, subject, body, data FROM engage.sends WHERE broadcast_id = :promo ORDER BY contact_id;
-- Why did a contact get it, or not?
SELECT engage.unsubscribe_emails('{"emails": ["petro@example.com"]}');
SELECT broadcast_id AS again FROM engage.send_broadcast(2, ARRAY[:has_email]::bigint[], 'Strict') \gset
SELECT c.external_customer_id, r.outcome, r.send_status, r.reason, r.request_id IS NOT NULL AS has_request_id, r.locator
FROM engage.contacts c, engage.broadcast_recipient(:again, c.contact_id) r ORDER BY c.contact_id;
SELECT outcome, send_status, request_id IS NOT NULL AS has_request_id FROM engage.broadcast_recipient(:promo, 1);
-- A member whose render failed keeps the data object it was rendered with.
SELECT contact_id, status, data FROM engage.sends WHERE broadcast_id = :again AND status = 'FAILED';

-- Pause, resume, cancel.
SELECT status FROM engage.pause_broadcast(:promo);
SELECT status, count(*) FROM engage.sends WHERE broadcast_id = :promo GROUP BY status ORDER BY status;
SELECT count(*) AS claimable FROM engage.claim_sends(10) WHERE request_id IN (SELECT request_id FROM engage.sends WHERE broadcast_id = :promo);
SELECT engage.pause_broadcast(:promo);
\echo :LAST_ERROR_SQLSTATE
SELECT status FROM engage.resume_broadcast(:promo);
SELECT locator FROM engage.claim_sends(1) ORDER BY locator;
SELECT status, cancel_reason FROM engage.cancel_broadcast(:promo, 'wrong codes');
SELECT locator, status, reason FROM engage.sends WHERE broadcast_id = :promo ORDER BY contact_id;
SELECT engage.resume_broadcast(:promo);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cancel_broadcast(424242);
\echo :LAST_ERROR_SQLSTATE

-- Scheduled for later: the broadcast waits as SCHEDULED, with a job that the scheduler runs at
-- that minute (run here with run_due_jobs at that time); the job then switches itself off.
SET client_min_messages = error;
SELECT broadcast_id AS later, status FROM engage.send_broadcast(1, ARRAY[:has_email]::bigint[], 'Later',
    start_at => date_trunc('day', now()) + interval '3 days 09:30') \gset
RESET client_min_messages;
SELECT :'status' AS status;
SELECT name, schedule ~ '^30 9 [0-9]+ [0-9]+ \*$' AS at_09_30, time_zone, kind, arguments, next_run_at = date_trunc('day', now()) + interval '3 days 09:30' AS at_its_minute
FROM engage.jobs WHERE kind = 'broadcast';
SELECT status FROM engage.broadcasts WHERE broadcast_id = :later;
SELECT job_name, status, result FROM engage.run_due_jobs(date_trunc('day', now()) + interval '3 days 09:30');
SELECT status, members FROM engage.broadcasts WHERE broadcast_id = :later;
SELECT name, enabled FROM engage.jobs WHERE kind = 'broadcast';
-- A scheduled broadcast cancelled before it starts never starts.
SET client_min_messages = error;
SELECT broadcast_id AS never FROM engage.send_broadcast(1, ARRAY[:has_email]::bigint[], 'Never',
    start_at => now() + interval '2 days') \gset
RESET client_min_messages;
SELECT status, cancelled_at IS NOT NULL AS cancelled FROM engage.cancel_broadcast(:never);
SELECT count(*) AS sends FROM engage.sends WHERE broadcast_id = :never;
SELECT engage.send_broadcast(1, ARRAY[:has_email]::bigint[], 'Too far', start_at => '2099-01-01');
\echo :LAST_ERROR_SQLSTATE

-- The counters.
SELECT count(*) AS delivered FROM engage.claim_sends(10) c, LATERAL engage.report_delivery(c.request_id, 'DELIVERED') r;
SELECT request_id AS dina_later FROM engage.sends WHERE broadcast_id = :later AND contact_id = 1 \gset
SELECT send_status FROM engage.report_delivery(:'dina_later', 'CLICKED', '{"link": "https://x.example"}');
SELECT name, status, members, queued, sent, delivered, undelivered, opened, clicked, unsubscribed, suppressed, failed
FROM engage.broadcast_stats ORDER BY broadcast_id;

-- A broadcast that has sends cannot be deleted (sends name it by broadcast_id); one without can.
DELETE FROM engage.broadcasts WHERE broadcast_id = :later;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM engage.broadcasts WHERE broadcast_id = :never RETURNING name;
-- Request IDs are time-ordered UUIDs (version 7 layout): a later send's sorts after an earlier one's.
SELECT count(*) FILTER (WHERE substr(request_id::text, 15, 1) <> '7') AS not_version_7,
       (SELECT request_id FROM engage.sends WHERE broadcast_id = :later ORDER BY send_id LIMIT 1)
     > (SELECT request_id FROM engage.sends WHERE broadcast_id <> :later ORDER BY send_id LIMIT 1) AS later_sorts_after
FROM engage.sends;

SELECT engage.drop_connector('local');
DROP TABLE broadcast_codes;
