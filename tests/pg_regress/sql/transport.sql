-- The transport contract: a loop written the obvious way works; transports serve the channels
-- they name; triggered sends are claimed before bulk ones; reports may be retried and may
-- arrive in any order, by documented rules; a hard bounce suppresses the address; marketing
-- messages respect the unsubscribed list even when triggered.
\i include/fresh_extension.sql
SET TimeZone = 'UTC';

SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "C-1", "firstName": "Dina", "channels": [{"type": "email", "value": "dina@example.com"}, {"type": "sms", "value": "380501112233"}]},
  {"externalCustomerId": "C-2", "firstName": "Ivan", "channels": [{"type": "email", "value": "ivan@example.com"}]},
  {"externalCustomerId": "C-3", "firstName": "Olha", "channels": [{"type": "email", "value": "olha@example.com"}]}
]} $$);
INSERT INTO engage.messages (message_id, name, subject, body) VALUES (1, 'news', 'News', 'Hello $!contact.firstName');
INSERT INTO engage.messages (message_id, name, media_type, body) VALUES (2, 'code', 'Sms', 'Your code');
INSERT INTO engage.messages (message_id, name, subject, body, marketing) VALUES (3, 'promo', 'Sale', 'Sale!', true);
SELECT engage.create_group('All') AS everyone \gset
SELECT engage.add_to_group('All', array_agg(contact_id)) FROM engage.contacts;

-- A bulk campaign first, then a triggered email and a triggered SMS.
SELECT queued FROM engage.send_broadcast(1, ARRAY[:everyone]::bigint[], 'Newsletter');
SELECT engage.smartsend(1, '{"recipients": [{"locator": "dina@example.com"}]}') -> 'results' -> 0 ->> 'status' AS confirmation;
SELECT engage.smartsend(2, '{"recipients": [{"locator": "+380501112233"}]}') -> 'results' -> 0 ->> 'status' AS sms;

-- An SMS gateway serves SMS only; an email transport claims triggered mail before the older bulk
-- mail.
SELECT channel, locator, campaign_type FROM engage.claim_sends(5, channels => ARRAY['sms']);
SELECT channel, locator, campaign_type FROM engage.claim_sends(1, channels => ARRAY['email']);
SELECT channel, locator, campaign_type FROM engage.claim_sends(1, channels => ARRAY['email']);
SELECT engage.claim_sends(5, channels => ARRAY['fax']);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.claim_sends(5, channels => ARRAY['email', NULL]);
\echo :LAST_ERROR_SQLSTATE

-- The obvious loop: report what claim_sends returned, as it returned it (a uuid).
SELECT s.locator, r.send_status FROM engage.claim_sends(10) s,
       LATERAL engage.report_delivery(s.request_id, 'DELIVERED') r ORDER BY s.locator;
SELECT status, count(*) FROM engage.sends GROUP BY status ORDER BY status;

-- Retries: the same report again changes nothing and answers with the first one's activity.
SELECT request_id AS dina_news FROM engage.sends WHERE locator = 'dina@example.com' AND campaign_type = 'Group' \gset
SELECT * FROM engage.report_delivery(:'dina_news', 'DELIVERED');
SELECT * FROM engage.report_delivery(:'dina_news', 'RECEIVED');
SELECT * FROM engage.report_delivery(:'dina_news', 'RECEIVED');
SELECT * FROM engage.report_delivery(:'dina_news', 'CLICKED', '{"link": "https://x.example/a", "at": "2026-05-01 10:00Z"}');
SELECT * FROM engage.report_delivery(:'dina_news', 'CLICKED', '{"link": "https://x.example/a", "at": "2026-05-01 10:00Z"}');
SELECT * FROM engage.report_delivery(:'dina_news', 'CLICKED', '{"link": "https://x.example/a", "at": "2026-05-01 10:07Z"}');
SELECT * FROM engage.report_delivery(:'dina_news', 'CLICKED', '{"link": "https://x.example/b", "reportId": "evt-9"}');
SELECT * FROM engage.report_delivery(:'dina_news', 'CLICKED', '{"link": "https://x.example/b", "reportId": "evt-9"}');
SELECT activity, click_event_link, report_id FROM engage.contact_activities
WHERE request_id = :'dina_news' ORDER BY activity_id;

-- Order: DELIVERED and UNDELIVERED follow the later report by its time; an open or a click
-- proves delivery for good.
SELECT engage.smartsend(1, '{"recipients": [{"locator": "ivan@example.com"}]}') -> 'results' -> 0 ->> 'requestId' AS ivan_note \gset
SELECT count(*) AS claimed FROM engage.claim_sends(10);
SELECT send_status FROM engage.report_delivery(:'ivan_note', 'UNDELIVERED', '{"errorCode": "421 4.7.0 try later", "at": "2026-05-01 12:00Z"}');
SELECT send_status FROM engage.report_delivery(:'ivan_note', 'DELIVERED', '{"at": "2026-05-01 10:00Z"}');
SELECT status, reason, outcome_at FROM engage.sends WHERE request_id = :'ivan_note';
SELECT send_status FROM engage.report_delivery(:'ivan_note', 'DELIVERED', '{"at": "2026-05-01 13:00Z", "reportId": "late"}');
SELECT status, reason, outcome_at FROM engage.sends WHERE request_id = :'ivan_note';
SELECT send_status FROM engage.report_delivery(:'ivan_note', 'RECEIVED', '{"at": "2026-05-01 13:05Z"}');
SELECT send_status FROM engage.report_delivery(:'ivan_note', 'UNDELIVERED', '{"errorCode": "451 4.3.0 later", "at": "2026-05-02 00:00Z"}');
SELECT activity, activity_at, error_code FROM engage.contact_activities WHERE request_id = :'ivan_note' ORDER BY activity_id;
-- The soft bounce did not mark the address.
SELECT value, bounced_at IS NOT NULL AS bounced FROM engage.channels WHERE value = 'ivan@example.com';

-- A hard bounce (SMTP 5.x.x) marks the address: later sends to it, triggered or bulk, are
-- suppressed with the reason, until the channel is confirmed again.
SELECT request_id AS olha_news FROM engage.sends WHERE locator = 'olha@example.com' AND campaign_type = 'Group' \gset
SELECT send_status FROM engage.report_delivery(:'olha_news', 'UNDELIVERED', '{"errorCode": "550 5.1.1 <olha@example.com>: no such user"}');
SELECT value, bounced_at IS NOT NULL AS bounced, bounce_reason, bulk_allowed FROM engage.contact_channels WHERE value = 'olha@example.com';
SELECT engage.smartsend(1, '{"recipients": [{"locator": "olha@example.com"}]}') -> 'results' -> 0 ->> 'status' AS accepted;
SELECT status, reason FROM engage.sends WHERE locator = 'olha@example.com' ORDER BY send_id DESC LIMIT 1;
SELECT engage.confirm_channel('email', 'olha@example.com') > 0 AS confirmed;
SELECT engage.smartsend(1, '{"recipients": [{"locator": "olha@example.com"}]}') IS NOT NULL AS sent_again;
SELECT status FROM engage.sends WHERE locator = 'olha@example.com' ORDER BY send_id DESC LIMIT 1;
-- A provider that knows better says so: "permanent" decides.
SELECT engage_internal.permanent_failure('{"errorCode": "550 5.1.1 no such user"}') AS smtp_5xx,
       engage_internal.permanent_failure('{"errorCode": "421 4.7.0"}') AS smtp_4xx,
       engage_internal.permanent_failure('{"errorCode": "status 5.2.2 mailbox full"}') AS enhanced_code,
       engage_internal.permanent_failure('{"errorCode": "30003 unreachable", "permanent": true}') AS provider_says_so,
       engage_internal.permanent_failure('{"errorCode": "550 greylisted", "permanent": false}') AS provider_says_not;

-- Reports that cannot be: never-sent sends, engagement before the send was claimed, bad detail.
SELECT engage.smartsend(1, '{"recipients": [{"locator": "nobody-yet@example.com"}]}') -> 'results' -> 0 ->> 'requestId' AS queued \gset
SELECT * FROM engage.report_delivery(:'queued', 'CLICKED', '{"link": "https://x.example"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.report_delivery(:'queued', 'DELIVERED', '{"permanent": "yes"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.report_delivery(:'queued', 'DELIVERED', '{"reportId": 7}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.report_delivery(NULL::uuid, 'DELIVERED');
\echo :LAST_ERROR_SQLSTATE

-- Marketing messages respect the unsubscribed list even when triggered; transactional ones
-- (the default) follow the spec's rule for triggered messages and go out.
SELECT engage.unsubscribe_emails('{"emails": ["ivan@example.com"]}');
SELECT engage.smartsend(3, '{"recipients": [{"locator": "ivan@example.com"}]}') -> 'results' -> 0 ->> 'status' AS accepted;
SELECT engage.smartsend(1, '{"recipients": [{"locator": "ivan@example.com"}]}') -> 'results' -> 0 ->> 'status' AS accepted;
SELECT m.name, m.marketing, s.status, s.reason FROM engage.sends s JOIN engage.messages m USING (message_id)
WHERE s.locator = 'ivan@example.com' AND s.campaign_type = 'IM' ORDER BY s.send_id;

-- What happens to a message starts workflows (spec 004's example): a click on "Learn more" adds
-- the contact to the segment Opened and sends a follow-up.
SELECT engage.create_group('Opened') AS opened \gset
INSERT INTO engage.messages (message_id, name, subject, body) VALUES (4, 'details', 'More about the offer', 'Details for $!contact.firstName');
SELECT engage.create_workflow('learn more', format('[
  {"id": "clicked?", "type": "condition", "param": "link", "op": "contains", "value": "learn-more", "yes": "segment"},
  {"id": "segment", "type": "add_to_segment", "segmentId": %s, "next": "follow up"},
  {"id": "follow up", "type": "send_message", "messageId": 4}]', :opened)::jsonb) > 0 AS created;
SELECT engage.link_event('learn more', 'messageClicked');
SELECT engage.activate_workflow('learn more');
SELECT request_id AS dina_code FROM engage.sends WHERE channel = 'sms' \gset
SELECT send_status FROM engage.report_delivery(:'dina_code', 'CLICKED', '{"link": "https://shop.example.com/learn-more"}');
SELECT send_status FROM engage.report_delivery(:'dina_code', 'CLICKED', '{"link": "https://shop.example.com/learn-more"}');
SELECT t.key, t.category, e.key_value, e.params - 'requestId' AS params FROM engage.events e JOIN engage.event_types t USING (event_type_id)
WHERE t.key = 'messageClicked' ORDER BY e.event_id DESC LIMIT 1;
SELECT events, launched, sends FROM engage.process_events();
SELECT c.first_name FROM engage.segment_members m JOIN engage.contacts c USING (contact_id) WHERE m.segment_id = :opened;
SELECT locator, subject FROM engage.sends WHERE message_id = 4;
-- Opens, unsubscribes (reported or by the API) and imports of new contacts are events too.
SELECT send_status FROM engage.report_delivery(:'dina_news', 'UNSUBSCRIBED');
SELECT engage.unsubscribe_emails('{"emails": ["olha@example.com", "nobody@example.com"]}');
SELECT engage.link_event('learn more', 'contactImported');
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "C-9", "channels": [{"type": "email", "value": "new@example.com"}]},
                                                          {"externalCustomerId": "C-1"}]}');
SELECT t.key, t.category, e.key_value, e.contact_id IS NOT NULL AS has_contact, e.params ->> 'activity' AS activity, e.params ->> 'source' AS source
FROM engage.events e JOIN engage.event_types t USING (event_type_id)
WHERE t.key IN ('messageOpened', 'unsubscribed', 'contactImported') ORDER BY e.event_id;
