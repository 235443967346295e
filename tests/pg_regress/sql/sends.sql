-- The outbox: smartsend, broadcasts with suppression, a transport claiming sends under a lease
-- and reporting deliveries, opens, clicks and unsubscribes as contact activities, and the
-- message status by requestId.
\i include/fresh_extension.sql
SET TimeZone = 'UTC';

SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "C-1", "firstName": "Dina", "channels": [{"type": "email", "value": "dina@example.com"}]},
  {"externalCustomerId": "C-2", "firstName": "Ivan", "channels": [{"type": "email", "value": "ivan@example.com"}]},
  {"externalCustomerId": "C-3", "firstName": "Olha", "channels": [{"type": "sms", "value": "380501112233"}]},
  {"externalCustomerId": "C-4", "firstName": "Petro", "channels": [{"type": "email", "value": "petro@example.com"}]}
]} $$);
-- Petro subscribed and has not confirmed yet.
UPDATE engage.channels SET status = 'inactive' WHERE value = 'petro@example.com';
INSERT INTO engage.messages (name, subject, body, tags) VALUES
  ('offer', 'Hi $!contact.firstName', 'Discount: $!data.get(''discount'')#foreach($i in $!data.get(''items'')) $i#end', '{promo,spring}'),
  ('strict', NULL, '$data.get(''list'').get(5)', '{}');
INSERT INTO engage.messages (name, media_type, body) VALUES ('code', 'Sms', 'Your code is $!data.get(''code'')'),
  ('widget', 'Widget', 'hello');

-- Send prepared message: jsonParam as escaped JSON text (as documented) or as an object; the
-- locator finds the contact when there is one. One result per recipient, in order.
SELECT engage.smartsend(1, $$ {"recipients": [
  {"locator": " Dina@Example.com", "jsonParam": "{\"discount\": \"10%\", \"items\": [\"socks\", \"hat\"]}"},
  {"locator": "stranger@example.com", "jsonParam": {"discount": "5%"}}], "externalRequestId": "batch-7"} $$) AS r \gset
SELECT (:'r'::jsonb) - 'results' AS response;
SELECT x - 'requestId' AS result, x->>'requestId' = s.request_id::text AS its_send
FROM jsonb_array_elements(:'r'::jsonb -> 'results') x LEFT JOIN engage.sends s ON s.locator = x->>'locator';
SELECT locator, contact_id, subject, body, data, status, campaign_type, external_request_id FROM engage.sends ORDER BY send_id;
SELECT engage.smartsend(3, '{"recipients": [{"locator": "+380 50 111 22 33", "jsonParam": "{\"code\": 4711}"}]}') -> 'results' -> 0 ->> 'locator';
SELECT body, contact_id FROM engage.sends WHERE channel = 'sms';

-- Refused calls send nothing and name the element.
SELECT engage.smartsend(1, '{"recipients": [{"locator": "a@example.com"}, {"locator": "not-an-address"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.smartsend(1, '{"recipients": [{"locator": "a@example.com", "jsonParam": "{broken"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.smartsend(1, jsonb_build_object('recipients', (SELECT jsonb_agg(jsonb_build_object('locator', 'u' || i || '@example.com')) FROM generate_series(1, 1001) i)));
\echo :LAST_ERROR_SQLSTATE
SELECT engage.smartsend(2, '{"recipients": [{"locator": "a@example.com"}, {"locator": "b@example.com", "jsonParam": {"list": [1]}}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.smartsend(99, '{"recipients": [{"locator": "a@example.com"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.smartsend(4, '{"recipients": [{"locator": "a@example.com"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS sends FROM engage.sends;

-- A transport claims sends under a lease; a lease that expires returns the send to the queue.
SELECT locator, channel, subject, attempts FROM engage.claim_sends(2, '10 milliseconds') ORDER BY locator;
SELECT pg_sleep(0.05);
SELECT locator, attempts FROM engage.claim_sends(10, '5 minutes') ORDER BY locator;
SELECT count(*) AS nothing_left FROM engage.claim_sends(10);
SELECT engage.claim_sends(0);
\echo :LAST_ERROR_SQLSTATE

-- Reports: each one an activity; opens and clicks prove delivery; a repeated DELIVERED is the
-- same report (its activity again, nothing new). The rules in full: transport.sql.
SELECT request_id AS dina FROM engage.sends WHERE locator = 'dina@example.com' \gset
SELECT request_id AS stranger FROM engage.sends WHERE locator = 'stranger@example.com' \gset
SELECT request_id AS olha FROM engage.sends WHERE locator = '380501112233' \gset
SELECT * FROM engage.report_delivery(:'dina', 'delivered');
SELECT * FROM engage.report_delivery(:'dina', 'DELIVERED');
SELECT * FROM engage.report_delivery(:'dina', 'RECEIVED', '{"at": "2026-03-01 10:05:00+00"}');
SELECT * FROM engage.report_delivery(:'dina', 'CLICKED', '{"link": "https://shop.example.com/spring", "utmCampaign": "spring"}');
SELECT * FROM engage.report_delivery(:'stranger', 'UNDELIVERED', '{"errorCode": "550 5.1.1 no such user"}');
SELECT * FROM engage.report_delivery(:'olha', 'CLICKED', '{"link": "https://shop.example.com/code"}');
SELECT * FROM engage.report_delivery(:'dina', 'UNSUBSCRIBED');
-- Bad reports.
SELECT * FROM engage.report_delivery(:'olha', 'BOUNCED');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.report_delivery(:'olha', 'UNDELIVERED');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.report_delivery(:'olha', 'CLICKED', '{"url": "x"}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.report_delivery('00000000-0000-0000-0000-000000000000', 'DELIVERED');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.report_delivery('12', 'DELIVERED');
\echo :LAST_ERROR_SQLSTATE
SELECT activity, activity_at = '2026-03-01 10:05:00+00' AS reported_time, message_instance_id, campaign_type, click_event_link,
       contact_id, external_customer_id, error_code, media_type, message_id, message_language_code, message_name,
       message_tags, utm_campaign
FROM engage.contact_activities ORDER BY activity_id;
-- An unsubscribe puts the address on the unsubscribed list.
SELECT email FROM engage.unsubscribed_emails;

-- Get single message status: comma-separated requestIds, one result each, in order.
SELECT x - 'requestId' AS result,
       x->>'requestId' = (ARRAY[:'dina', :'stranger', :'olha', '00000000-0000-0000-0000-000000000000'])[n] AS in_order
FROM jsonb_array_elements(engage.message_status(format('%s, %s,%s, 00000000-0000-0000-0000-000000000000', :'dina', :'stranger', :'olha'))
                          -> 'results') WITH ORDINALITY r(x, n);
SELECT (engage.message_status(:'dina') -> 'results' -> 0 ->> 'requestId') = :'dina' AS same_id;
SELECT engage.message_status('3ff28330-f8ef-4636-92ac-86345c16995e,oops');
\echo :LAST_ERROR_SQLSTATE

-- A broadcast to segments: each member once; an unsubscribed address and an unconfirmed channel
-- get no bulk email, a contact without email has nothing to send to; all are recorded.
INSERT INTO engage.segments (name, kind) VALUES ('Spring', 'static'), ('Everyone', 'static');
INSERT INTO engage.segment_members (segment_id, contact_id) VALUES (1, 1), (1, 2), (2, 2), (2, 3), (2, 4);
SELECT * FROM engage.send_broadcast(1, ARRAY[1, 2], 'Spring sale');
SELECT b.name, b.status, b.segment_ids, b.media_type, s.locator, s.status AS send_status, s.reason, s.campaign_type
FROM engage.broadcasts b JOIN engage.sends s USING (broadcast_id) ORDER BY s.contact_id;
SELECT * FROM engage.send_broadcast(1, ARRAY[1, 77], 'Broken');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.send_broadcast(4, ARRAY[1], 'Widget');
\echo :LAST_ERROR_SQLSTATE
-- The broadcast is IDLE once the transport has reported its one queued send.
SELECT engage.report_delivery(request_id, 'DELIVERED') IS NOT NULL AS reported
FROM engage.claim_sends(10) WHERE locator = 'ivan@example.com';
SELECT name, status FROM engage.broadcasts;

-- One statement makes every send (engage_internal.send_statement): the same message to the same
-- contact comes out alike from smartsend, a broadcast and a workflow: the contact's language
-- version with $contact, the address and the status; each with its own $data.
UPDATE engage.contacts SET language_code = 'UK' WHERE external_customer_id = 'C-2';
INSERT INTO engage.message_translations (message_id, language, subject, body)
VALUES (1, 'uk', 'Привіт, $!contact.firstName', 'Знижка: $!data.get(''discount'')');
SELECT engage.smartsend(1, '{"recipients": [{"locator": "ivan@example.com", "jsonParam": "{\"discount\": \"7%\"}"}]}') IS NOT NULL AS sent;
SELECT queued FROM engage.send_broadcast('offer', ARRAY['Everyone'], 'Alike');
SELECT engage.create_workflow('alike', '[{"id": "s", "type": "send_message", "message": "offer", "jsonSource": "${jsonParam}"}]') AS alike \gset
SELECT engage.link_event('alike', 'alike');
SELECT engage.activate_workflow('alike');
SELECT engage.generate_event('{"eventTypeKey": "alike", "keyValue": "C-2", "params": [{"name": "jsonParam", "value": "{\"discount\": \"9%\"}"}]}') > 0 AS stored;
SELECT sends FROM engage.process_events();
SELECT campaign_type, broadcast_id IS NOT NULL AS broadcast, workflow_id IS NOT NULL AS workflow, language, locator, subject,
       body, data, status
FROM engage.sends WHERE contact_id = 2 AND language = 'uk' ORDER BY send_id;
-- A send asked for a contact that is gone (deleted after a broadcast listed its members) is not made.
SELECT count(*) AS made FROM engage_internal.send_blocks(ARRAY[ROW(0, :alike, 1, 424242, 's', '{}')::engage.workflow_step], now());
