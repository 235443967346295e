-- The pg_engage demo: a small shop's customers, run end to end. scripts/demo.sh runs it in a
-- fresh database; each step prints what it did.
\set ECHO none
\pset footer off
\set SHOW_CONTEXT never

\echo
\echo '== 1. CREATE EXTENSION pg_engage: the engine lives in schema engage'
CREATE EXTENSION pg_engage CASCADE;
SET engage.organisation_name = 'Demo Shop';
SELECT engage.account_info() AS "engage.account_info()";

\echo '== 2. Additional fields: a birthday (date), a gender (combobox) and a loyalty level (number)'
SELECT engage.create_field('Birthday', 'date', field_id => 15867) AS birthday_id,
       engage.create_field('Gender', 'combobox', ARRAY['M', 'F'], field_id => 15868) AS gender_id,
       engage.create_field('Loyalty level', 'number', field_group => 'Loyalty') AS loyalty_id;
SELECT jsonb_pretty(engage.catalogs()) AS "engage.catalogs() (the address book structure)";

\echo '== 3. Import: upsert_contacts with the documented body (set-based; the same call takes 100,000)'
SELECT index, contact_id, created FROM engage.upsert_contacts('{
  "contacts": [
    {"externalCustomerId": "C-1001", "firstName": "Dina", "lastName": "Kozak", "languageCode": "uk", "timeZone": "Europe/Kyiv",
     "channels": [{"type": "email", "value": "Kozak@Example.com"}, {"type": "sms", "value": "+380 50 123 45 67"}],
     "fields": [{"id": 15867, "value": "1990-11-23"}, {"id": 15868, "value": "F"}, {"id": 10001, "value": 3}]},
    {"externalCustomerId": "C-1002", "firstName": "Ivan", "lastName": "Franko",
     "channels": [{"type": "email", "value": "ivan.franko@example.com"}],
     "fields": [{"id": 15867, "value": "1987-02-14"}, {"id": 15868, "value": "M"}]},
    {"externalCustomerId": "C-1003", "firstName": "Lesya", "channels": [{"type": "viber", "value": "+380 67 000 11 22"}]}
  ],
  "customFieldsIDs": [15867, 15868, 10001]}');
SELECT c.contact_id, c.external_customer_id, c.first_name, c.last_name, c.language_code, c.time_zone, c.source,
       string_agg(ch.type || ':' || ch.value, ', ' ORDER BY ch.type) AS channels
FROM engage.contacts c LEFT JOIN engage.channels ch USING (contact_id)
GROUP BY c.contact_id ORDER BY c.contact_id;
SELECT contact_id, field_name, type, value FROM engage.contact_field_values ORDER BY contact_id, field_id;

\echo '== 4. Bad input is refused whole, with the element it points at (and nothing is written)'
\set ON_ERROR_STOP 0
SELECT * FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "C-1004", "channels": [{"type": "email", "value": "new@example.com"}]},
  {"externalCustomerId": "C-1005", "fields": [{"id": 15868, "value": "X"}]}]}');
\set ON_ERROR_STOP 1
SELECT count(*) AS contacts_still FROM engage.contacts;

\echo '== 5. A subscription form: subscribe_contact creates a contact, its groups and the subscribeFromAPI event'
SELECT * FROM engage.subscribe_contact('{
  "contact": {"firstName": "Olena", "channels": [{"type": "email", "value": "olena@example.com"}]},
  "groups": ["Subscribers"]}');
\echo '   ... the address stays inactive until its owner confirms it:'
SELECT contact_id, type, value, status FROM engage.channels WHERE value = 'olena@example.com';
SELECT engage.confirm_channel('email', 'olena@example.com') AS confirmed_contact;
SELECT contact_id, type, value, status FROM engage.channels WHERE value = 'olena@example.com';
\echo '   ... an existing customer subscribing again records subscribeUpdateFromAPI:'
SELECT * FROM engage.subscribe_contact('{
  "contact": {"channels": [{"type": "email", "value": "kozak@example.com"}]},
  "groups": ["Subscribers", "Newsletter"]}');
SELECT s.name AS "group", s.kind, array_agg(m.contact_id ORDER BY m.contact_id) AS members
FROM engage.segments s JOIN engage.segment_members m USING (segment_id) GROUP BY s.name, s.kind ORDER BY s.name;

\echo '== 6. Events (Generate event v2): found contacts by email, phone or external ID; new types go to category Other'
SELECT engage.generate_event('{"eventTypeKey": "abandonedCart", "keyValue": "ivan.franko@example.com",
  "params": [{"name": "cartTotal", "value": "120.50"},
             {"name": "items", "value": {"items": [{"name": "Super Device", "price": 99.0}, {"name": "Cable", "price": 21.5}]}}]}') AS event_id;
SELECT engage.generate_event('{"eventTypeKey": "abandonedCart", "keyValue": "+380 50 123 45 67"}') AS event_id;
SELECT engage.generate_event('{"eventTypeKey": "pageView", "keyValue": "C-1003", "params": [{"name": "url", "value": "/sale"}]}') AS event_id;
SELECT e.event_id, t.key AS event_type, t.category, e.key_value, e.contact_id, e.params
FROM engage.events e JOIN engage.event_types t USING (event_type_id) ORDER BY e.event_id;

\echo '== 7. Unsubscribe: the address (not the contact) stops getting bulk email; other channels stay'
SELECT engage.unsubscribe_emails('{"emails": ["Kozak@example.com"]}') AS addresses_added;
SELECT contact_id, type, value, status, unsubscribed, bulk_allowed
FROM engage.contact_channels WHERE contact_id = 1 ORDER BY type;

\echo '== 8. Templates: Velocity 1.7, rendered in the database'
SELECT engage.render('Hello ${name}! #if($points > 100)You have $points points.#{else}Collect #set($left = 100 - $points)$left more points.#end',
                     '{"name": "Dina", "points": 42}') AS "engage.render(template, context)";
\echo '   ... a template is checked without rendering it:'
SELECT * FROM engage.check_template(E'Hi $name\n#foreach($pc in $codes)$pc');

\echo '== 9. Messages: checked when saved, with a language version, a shared macro library and a footer'
INSERT INTO engage.templates (name, body) VALUES
    ('VM_global_library.vm', '#macro(greeting)#if($contact.firstName)$contact.firstName#{else}friend#end#end'),
    ('footer', E'--\nDemo Shop · you get this because you are our customer ($!contact.email)');
INSERT INTO engage.messages (name, subject, body, sender, language, tags) VALUES ('Birthday promo',
    '#greeting(), a present for you',
    $$Dear #greeting(),

your promo code: $!data.get('promo_codes').get(0).get('promo_code')

All your codes:
#foreach($pc in $!data.get('promo_codes'))
  - $!pc.get('name'): $!pc.get('promo_code') (valid until $!pc.get('valid_until'))
#end
#parse('footer')$$,
    'shop@example.com', 'en', '{promo,birthday}')
RETURNING message_id, name, media_type, language, tags;
INSERT INTO engage.message_translations (message_id, language, subject, body)
SELECT message_id, 'uk', '#greeting(), подарунок для вас',
    $$Вітаємо, #greeting()! Ваш промокод: $!data.get('promo_codes').get(0).get('promo_code')
Усі ваші коди:
#foreach($pc in $!data.get('promo_codes'))
  - $!pc.get('name'): $!pc.get('promo_code')
#end
#parse('footer')$$
FROM engage.messages WHERE name = 'Birthday promo';
\echo '   ... a broken template is refused when saved, and nothing is written:'
\set ON_ERROR_STOP 0
INSERT INTO engage.messages (name, body) VALUES ('Broken', E'Hello\n#foreach($i in $items) $i');
\set ON_ERROR_STOP 1
SELECT count(*) AS messages FROM engage.messages;

\echo '== 10. The promo-code example of spec 000: a promo_codes table as a data source, its rows as each contact''s $data'
CREATE TABLE promo_codes (email text, name text, promo_code text, valid_until date);
INSERT INTO promo_codes VALUES
    ('kozak@example.com', 'Birthday -20%', 'AAAA-BBBB-DDDD', '2026-12-31'),
    ('kozak@example.com', 'Free delivery', 'FREE-SHIP-0042', '2027-01-31'),
    ('ivan.franko@example.com', 'Birthday -20%', 'CCCC-EEEE-FFFF', '2026-12-31');
\echo '   a connector to this database keyed by email, and the table as data source "promo_codes":'
SELECT name, coalesce(host, '(this database)') AS host, contact_key FROM engage.create_connector('shop', contact_key => 'email');
SELECT source_id, name, registered_relation, key_column FROM engage.create_data_source('promo_codes', 'shop', 'promo_codes', 'email');
SELECT ok, message FROM engage.validate_connector('shop');
\echo '   the data object of each contact (by source name, and by source ID as triggered campaigns get it):'
SELECT c.contact_id, engage.contact_data(c.contact_id) AS data FROM engage.contacts c ORDER BY c.contact_id;
SELECT jsonb_pretty(engage.contact_data(1, 'id')) AS data_by_source_id_of_contact_1;
\echo '   the message rendered with it:'
SELECT c.contact_id, r.language, r.subject, r.body
FROM engage.contacts c
CROSS JOIN LATERAL engage.render_message(
    (SELECT message_id FROM engage.messages WHERE name = 'Birthday promo'), c.contact_id,
    engage.contact_data(c.contact_id)) r
ORDER BY c.contact_id;

\echo '== 11. Scheduled jobs: cron schedules in a time zone, run by the background worker'
\echo '   spec 003: in 0 0 1 * 1 the day field that runs more often (Mondays) wins over the 1st:'
SELECT to_char(t AT TIME ZONE 'Europe/Kyiv', 'Dy YYYY-MM-DD HH24:MI') AS kyiv
FROM engage.cron_next('0 0 1 * 1', '2026-06-01', 'Europe/Kyiv', 3) t;
\echo '   a job that counts contacts every minute, run once by hand now:'
CREATE TABLE contact_counts (at timestamptz, contacts bigint);
SELECT engage.schedule_job('count-contacts', '* * * * *',
    $$INSERT INTO contact_counts SELECT now(), count(*) FROM engage.contacts$$, time_zone => 'Europe/Kyiv') > 0 AS scheduled;
SELECT job_name, started_by, status, result FROM engage.run_job_now('count-contacts');
SELECT contacts FROM contact_counts;
SELECT name, schedule, time_zone, next_run_at > now() AS next_run_is_coming, last_status FROM engage.jobs;
SELECT running, database, problem FROM engage.scheduler_status();

\echo '== 12. A birthday segment (spec 000): whose birthday it is in their own time zone, and their data objects'
\echo '   (refreshed as of 23 November 2026, 12:00 UTC, Dina''s birthday; a job could refresh it every morning)'
SELECT engage.create_segment('Birthday today', '{"field": 15867, "op": "anniversary_is_today"}') AS segment_id;
SELECT * FROM engage.refresh_segment('Birthday today', '2026-11-23 12:00Z');
SELECT m.contact_id, c.first_name, engage.contact_data(m.contact_id) AS data
FROM engage.segment_contacts('Birthday today') m JOIN engage.contacts c USING (contact_id);
SELECT contact_id, change, changed_at FROM engage.segment_changes ORDER BY change_id;
\echo '   a rule with a mistake is refused with the place it is at:'
\set ON_ERROR_STOP 0
SELECT engage.preview_segment('{"and": [{"channel": "email"}, {"field": 15867, "op": "greater", "value": 3}]}');
\set ON_ERROR_STOP 1

\echo '== 13. Triggered campaigns (spec 000/004): the birthday promo, started by a regular trigger on the segment'
INSERT INTO engage.messages (name, subject, body) VALUES ('Birthday code', 'A gift for you',
    format('Your birthday code: $!data.get(''%s'').get(0).get(''promo_code'')', (SELECT source_id FROM engage.data_sources WHERE name = 'promo_codes')));
SELECT engage.create_workflow('Birthday promo', format($$[{"id": "send", "type": "send_message", "messageId": %s, "jsonSource": "${jsonParam}"}]$$,
    (SELECT message_id FROM engage.messages WHERE name = 'Birthday code'))::jsonb, ARRAY['birthday']) AS workflow_id;
SELECT engage.create_regular_trigger('Birthday today', 'Birthday promo') AS trigger_id \gset
SELECT engage.activate_workflow('Birthday promo');
\echo '   the trigger (a daily job could run it) generates regularEventType-<segment> for each member:'
SELECT * FROM engage.run_regular_trigger(:trigger_id, '2026-11-23 12:00Z');
\echo '   run again the same day (a manual run beside the scheduled one): each member at most once per period:'
SELECT * FROM engage.run_regular_trigger(:trigger_id, '2026-11-23 18:00Z');
SELECT t.key AS event_type, e.key_value, e.params FROM engage.events e JOIN engage.event_types t USING (event_type_id)
WHERE t.key LIKE 'regularEventType-%';
\ir wait_for_worker.sql
SELECT running AS workflow_worker_running FROM engage.workflow_worker_status();
CALL pg_temp.wait_for_worker();
\echo '   the workflow worker picked the events up at once and rendered the send from ${jsonParam}:'
SELECT s.locator, s.subject, s.body, s.status FROM engage.sends s JOIN engage.workflows w USING (workflow_id)
WHERE w.name = 'Birthday promo';

\echo '== 14. Abandoned cart, "once in every 1 hour" (spec 004): three carts within the hour give one launch'
INSERT INTO engage.messages (name, subject, body) VALUES ('Cart reminder', 'You left something, $!contact.firstName',
'$!data.get(''items'') is waiting in your cart.');
SELECT engage.create_workflow('Abandoned cart', format($$[
    {"id": "remind", "type": "send_message", "messageId": %1$s, "next": "wait"},
    {"id": "wait", "type": "wait", "duration": "1 hour", "next": "paid?"},
    {"id": "paid?", "type": "condition", "param": "paid", "op": "exists", "yes": "end", "no": "again"},
    {"id": "again", "type": "send_message", "messageId": %1$s},
    {"id": "end", "type": "exit"}]$$, (SELECT message_id FROM engage.messages WHERE name = 'Cart reminder'))::jsonb) AS workflow_id;
SELECT engage.link_event('Abandoned cart', 'cartAbandoned', 'start', 'once every', '1 hour');
SELECT engage.link_event('Abandoned cart', 'orderCreated', 'stop');
SELECT engage.activate_workflow('Abandoned cart');
SELECT event_type_key, starts, stops FROM engage.event_type_dependencies WHERE starts <> '{}' OR stops <> '{}';
SELECT engage.generate_event(format('{"eventTypeKey": "cartAbandoned", "keyValue": "kozak@example.com", "params": [{"name": "items", "value": "%s"}]}', items)::jsonb) > 0 AS stored
FROM unnest(ARRAY['Red scarf', 'Red scarf and gloves', 'Gloves']) items;
CALL pg_temp.wait_for_worker();
SELECT w.name AS workflow, i.contact_id, i.status, i.block_id AS next_block, i.params
FROM engage.workflow_instances i JOIN engage.workflows w USING (workflow_id) WHERE w.name = 'Abandoned cart';
SELECT event_type_key, key_value, contact_id, params, instances FROM engage.event_history('cartAbandoned');
\echo '   an hour later the wait ends and the reminder goes out (run_due_waits, as the worker would):'
SELECT resumed, sends, completed FROM engage.run_due_waits(now() + interval '61 minutes');

\echo '== 15. Send prepared message (smartsend, spec 002): jsonParam per recipient'
SELECT jsonb_pretty(engage.smartsend((SELECT message_id FROM engage.messages WHERE name = 'Cart reminder'),
    '{"recipients": [{"locator": "olena@example.com", "jsonParam": "{\"items\": \"A blue hat\"}"}], "externalRequestId": "demo-1"}')) AS response;

\echo '== 16. Bulk campaigns (spec 000): the promo-code broadcast to a segment, each member with their own $data'
SELECT engage.create_segment('Has email', '{"channel": "email"}') AS has_email \gset
SELECT * FROM engage.send_broadcast((SELECT message_id FROM engage.messages WHERE name = 'Birthday promo'),
                                    ARRAY[:has_email]::bigint[], 'Promo codes') \gset promo_
\echo '   (the dynamic segment was refreshed as the broadcast started) one send per member, rendered with its codes:'
SELECT s.locator, s.language, s.subject, replace(left(s.body, 60), E'\n', ' ') AS body_starts, s.status, s.reason
FROM engage.sends s WHERE s.broadcast_id = :promo_broadcast_id ORDER BY s.contact_id;
\echo '   why did a contact get it, or not:'
SELECT c.first_name, r.outcome, r.send_status, r.reason FROM engage.contacts c,
       engage.broadcast_recipient(:promo_broadcast_id, c.contact_id) r ORDER BY c.contact_id;
\echo '   paused: its sends wait, no transport gets them; resumed: they are queued again:'
SELECT status FROM engage.pause_broadcast(:promo_broadcast_id);
SELECT status, count(*) FROM engage.sends WHERE broadcast_id = :promo_broadcast_id GROUP BY status ORDER BY status;
SELECT status FROM engage.resume_broadcast(:promo_broadcast_id);
\echo '   scheduled for tomorrow 09:00: a job of kind broadcast starts it at that minute:'
SELECT broadcast_id, status FROM engage.send_broadcast((SELECT message_id FROM engage.messages WHERE name = 'Birthday promo'),
    ARRAY[:has_email]::bigint[], 'Tomorrow morning', start_at => date_trunc('day', now()) + interval '1 day 9 hours');
SELECT name, schedule, kind, arguments FROM engage.jobs WHERE kind = 'broadcast';
SELECT name, status, scheduled_at > now() AS later, members, queued, suppressed FROM engage.broadcast_stats ORDER BY broadcast_id;

\echo '== 17. A transport, written the obvious way: claim what is queued (triggered first), report what became of it'
SELECT count(*) AS delivered FROM engage.claim_sends(100, '1 minute') c,
     LATERAL engage.report_delivery(c.request_id, 'DELIVERED') r;
SELECT r.send_status AS clicked FROM engage.sends s,
     LATERAL engage.report_delivery(s.request_id, 'CLICKED', '{"link": "https://shop.example.com/cart"}') r
WHERE s.locator = 'kozak@example.com' AND s.subject LIKE 'You left%' ORDER BY s.send_id LIMIT 1;
SELECT s.locator, s.subject, x->>'status' AS status, x->>'delivered' AS delivered, x->>'failed' AS failed
FROM engage.sends s, jsonb_array_elements(engage.message_status(s.request_id::text) -> 'results') x ORDER BY s.send_id;
SELECT activity, contact_id, campaign_type, message_name, event_type_key, workflow_block_id, click_event_link
FROM engage.contact_activities ORDER BY activity_id;
\echo '   a hard bounce: the address is marked, and later sends to it are suppressed with the reason:'
SELECT r.send_status FROM engage.sends s,
     LATERAL engage.report_delivery(s.request_id, 'UNDELIVERED', '{"errorCode": "550 5.1.1 no such user"}') r
WHERE s.locator = 'ivan.franko@example.com' AND s.broadcast_id = :promo_broadcast_id;
SELECT value, bounced_at IS NOT NULL AS bounced, bounce_reason FROM engage.contact_channels WHERE bounced_at IS NOT NULL;

\echo '== 18. What happens to a message starts workflows (spec 004): a click on "Learn more" adds the contact'
\echo '   to the segment Opened and sends a follow-up'
INSERT INTO engage.messages (name, subject, body) VALUES ('Offer details', 'More about the offer, $!contact.firstName',
    'Here is everything about the offer you looked at.');
SELECT engage.create_group('Opened') AS opened \gset
SELECT engage.create_workflow('Learn more', format($$[
    {"id": "learn more?", "type": "condition", "param": "link", "op": "contains", "value": "learn-more", "yes": "opened"},
    {"id": "opened", "type": "add_to_segment", "segmentId": %s, "next": "details"},
    {"id": "details", "type": "send_message", "messageId": %s}]$$, :opened,
    (SELECT message_id FROM engage.messages WHERE name = 'Offer details'))::jsonb) AS workflow_id;
SELECT engage.link_event('Learn more', 'messageClicked');
SELECT engage.activate_workflow('Learn more');
SELECT r.send_status FROM engage.sends s,
     LATERAL engage.report_delivery(s.request_id, 'CLICKED', '{"link": "https://shop.example.com/offer?learn-more"}') r
WHERE s.locator = 'olena@example.com' AND s.broadcast_id = :promo_broadcast_id;
CALL pg_temp.wait_for_worker();
SELECT t.key AS event, e.key_value, e.params ->> 'link' AS link FROM engage.events e JOIN engage.event_types t USING (event_type_id)
WHERE t.key = 'messageClicked';
SELECT c.first_name AS in_segment_opened FROM engage.segment_members m JOIN engage.contacts c USING (contact_id) WHERE m.segment_id = :opened;
SELECT locator, subject, status FROM engage.sends WHERE subject LIKE 'More about the offer%';

\echo '== 19. Orders (spec 002): add_orders stores them, finds or creates their contacts, and registers order<STATUS> events'
INSERT INTO engage.messages (name, subject, body) VALUES ('Order confirmation',
    'Order $data.get(''order'').get(''externalOrderId'') confirmed, $!contact.firstName',
'#foreach($item in $data.get(''order'').get(''items''))- $item.get(''name'') x $item.get(''quantity''): $item.get(''cost'') $data.get(''order'').get(''currency'')
#end
Total: $data.get(''order'').get(''totalCost'') $data.get(''order'').get(''currency''), delivery: $data.get(''order'').get(''deliveryMethod'')');
\echo '   spec 004''s confirmation: a workflow on orderINITIALIZED whose get_order block loads the order and its items'
SELECT engage.create_workflow('Order confirmation', format($$[
    {"id": "load", "type": "get_order", "next": "confirm"},
    {"id": "confirm", "type": "send_message", "messageId": %s}]$$,
    (SELECT message_id FROM engage.messages WHERE name = 'Order confirmation'))::jsonb) AS workflow_id;
SELECT engage.link_event('Order confirmation', 'orderINITIALIZED');
SELECT engage.activate_workflow('Order confirmation');
\echo '   Dina orders (found by her external ID) a minute after her click; a new customer is created; one bad order is set aside:'
SELECT to_char(now() + interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS order_time,
       to_char(now() - interval '40 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS earlier \gset
SELECT jsonb_pretty(engage.add_orders(format($${"orders": [
  {"externalOrderId": "A-5001", "externalCustomerId": "C-1001", "totalCost": 1250, "status": "INITIALIZED",
   "date": "%s", "currency": "UAH", "deliveryMethod": "courier",
   "items": [{"externalItemId": "RS-1", "name": "Red scarf", "quantity": 1, "cost": 450},
             {"externalItemId": "GL-2", "name": "Gloves", "quantity": 2, "cost": 400}]},
  {"externalOrderId": "A-5002", "externalCustomerId": "web-77", "email": "Taras@Example.com", "firstName": "Taras",
   "totalCost": 300, "status": "DELIVERED", "date": "%s", "currency": "UAH"},
  {"externalOrderId": "A-5003", "externalCustomerId": "web-78", "totalCost": 10, "status": "SHIPPED",
   "date": "2026-06-01", "currency": "UAH"}]}$$, :'order_time', :'earlier')::jsonb,
  skip_invalid => true)) AS response;
SELECT c.external_customer_id, c.first_name, c.source, o.external_order_id, o.status, o.total_cost, o.currency
FROM engage.orders o JOIN engage.contacts c USING (contact_id) ORDER BY o.order_id;
CALL pg_temp.wait_for_worker();
\echo '   the confirmation, rendered from $data.get(''order''):'
SELECT s.locator, s.subject, s.body FROM engage.sends s JOIN engage.workflows w USING (workflow_id)
WHERE w.name = 'Order confirmation';
\echo '   delivered: the status change is history and an orderDELIVERED event:'
SELECT engage.add_orders(format($${"orders": [{"externalOrderId": "A-5001", "externalCustomerId": "C-1001", "totalCost": 1250,
  "status": "DELIVERED", "date": "%s", "currency": "UAH"}]}$$, :'order_time')::jsonb) ->> 'events' AS events;
SELECT o.external_order_id, h.status, t.key AS event FROM engage.order_status_history h
JOIN engage.orders o USING (contact_id, order_id) JOIN engage.events e USING (event_id)
JOIN engage.event_types t USING (event_type_id) ORDER BY h.event_id;

\echo '== 20. Revenue (spec 001): each order tied to the message that earned it (last click, else last open, within 7 days)'
SELECT external_order_id, total_cost, currency, activity, message_name, click_event_link FROM engage.revenue;

\echo '== 21. RFM (spec 002, delivered orders only): scores by fixed bands, RFM segments, and moves between them as events'
SELECT * FROM engage.recompute_rfm();
SELECT c.first_name, r.frequency, r.monetary, r.r, r.f, r.m, r.segment FROM engage.contact_rfm r JOIN engage.contacts c USING (contact_id)
ORDER BY c.contact_id;
\echo '   ordinary dynamic segments of them (RFM: Champions, ...), to target and combine:'
SELECT count(*) AS rfm_segments FROM engage.create_rfm_segments();
SELECT * FROM engage.refresh_segment('RFM: New customers');
\echo '   a win-back workflow on rfmSegmentChanged; a recompute 200 days on moves both customers:'
INSERT INTO engage.messages (name, subject, body) VALUES ('Win-back', 'We miss you, $!contact.firstName',
    'You were one of our $data.get(''previousSegment'').toLowerCase(); here is 10% off.');
SELECT engage.create_workflow('Win-back', format('[{"id": "send", "type": "send_message", "messageId": %s}]',
    (SELECT message_id FROM engage.messages WHERE name = 'Win-back'))::jsonb) AS workflow_id;
SELECT engage.link_event('Win-back', 'rfmSegmentChanged');
SELECT engage.activate_workflow('Win-back');
SELECT * FROM engage.recompute_rfm(now() + interval '200 days');
CALL pg_temp.wait_for_worker();
SELECT e.key_value AS contact, e.params ->> 'previousSegment' AS from_segment, e.params ->> 'segment' AS to_segment
FROM engage.events e JOIN engage.event_types t USING (event_type_id) WHERE t.key = 'rfmSegmentChanged';
SELECT locator, subject, body FROM engage.sends WHERE subject LIKE 'We miss you%';

\echo '== 22. Devices (spec 001): what a push SDK registers; a push message goes to every device of the contact'
SELECT * FROM engage.register_devices('{"devices": [
  {"deviceId": "dina-phone", "pushToken": "fcm-token-1", "category": "MOBILE_PUSH", "osType": "ANDROID", "externalCustomerId": "C-1001"},
  {"deviceId": "dina-tablet", "pushToken": "fcm-token-2", "category": "MOBILE_PUSH", "osType": "ANDROID", "email": "kozak@example.com"}]}');
INSERT INTO engage.messages (name, subject, body, media_type) VALUES ('Order shipped (push)',
    'On its way, $!contact.firstName', 'Your order has shipped.', 'MobilePush');
SELECT engage.create_workflow('Shipped push', format('[{"id": "push", "type": "send_message", "messageId": %s}]',
    (SELECT message_id FROM engage.messages WHERE name = 'Order shipped (push)'))::jsonb) AS workflow_id;
SELECT engage.link_event('Shipped push', 'orderIN_PROGRESS');
SELECT engage.activate_workflow('Shipped push');
SELECT engage.add_orders(format($${"orders": [{"externalOrderId": "A-5004", "externalCustomerId": "C-1001", "totalCost": 90,
  "status": "IN_PROGRESS", "date": "%s", "currency": "UAH"}]}$$, :'order_time')::jsonb) ->> 'events' AS events;
CALL pg_temp.wait_for_worker();
SELECT locator, subject, status FROM engage.sends WHERE channel = 'mobilepush' ORDER BY locator;

\echo '== 23. Data export (spec 001): the nine datasets in another database, created there and kept up to date'
\echo '   the warehouse: another database of this server, reached over TCP as its own login role:'
SET client_min_messages = warning;
DROP DATABASE IF EXISTS engage_demo_warehouse WITH (FORCE);
DROP ROLE IF EXISTS demo_warehouse;
RESET client_min_messages;
CREATE ROLE demo_warehouse LOGIN PASSWORD 'demo-warehouse-password';
CREATE DATABASE engage_demo_warehouse OWNER demo_warehouse;
\c engage_demo_warehouse
CREATE SCHEMA analytics AUTHORIZATION demo_warehouse;
\c engage_demo
SET client_min_messages = error;
SELECT name, host, database, username FROM engage.create_connector('warehouse', host => 'localhost',
    port => current_setting('port')::int, database => 'engage_demo_warehouse', username => 'demo_warehouse',
    password => 'demo-warehouse-password', ssl_mode => 'disable');
RESET client_min_messages;
\echo '   an export of all nine datasets, nightly at 03:00 (and now, by hand):'
SELECT name, connector, target_schema, datasets, schedule, state FROM engage.create_export('warehouse', 'warehouse',
    schema => 'analytics', schedule => '0 3 * * *');
SELECT status, replace(result, '; ', E'\n') AS first_run FROM engage.run_export_now('warehouse');
\c engage_demo_warehouse
\echo '   there: the tables the first run created, with the columns spec 001 lists:'
SELECT table_name, string_agg(column_name, ', ' ORDER BY ordinal_position) AS columns
FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name <> 'engage_export_state'
GROUP BY table_name ORDER BY table_name;
SELECT "contactId", "firstName", email, "emailStatus", "totalSent", "totalViewed", "totalClicked"
FROM analytics.contacts ORDER BY "contactId" LIMIT 4;
SELECT "externalOrderId", status, "totalCost", "orderDate"::date FROM analytics.orders ORDER BY 1;
\c engage_demo
\echo '   a change: Taras''s order is cancelled and he is renamed; the next run sends only that:'
SELECT engage.add_orders(format($${"orders": [{"externalOrderId": "A-5002", "externalCustomerId": "web-77", "totalCost": 300,
  "status": "CANCELLED", "date": "%s", "currency": "UAH"}]}$$, to_char(now() - interval '40 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))::jsonb)
  ->> 'updated' AS orders_updated;
SELECT count(*) AS contacts_updated FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "web-77", "firstName": "Taras B."}]}');
SELECT status, replace(result, '; ', E'\n') AS incremental_run FROM engage.run_export_now('warehouse');
\c engage_demo_warehouse
SELECT "externalOrderId", status FROM analytics.orders ORDER BY 1;
SELECT "firstName", email FROM analytics.contacts WHERE "externalCustomerId" = 'web-77';
\c engage_demo
\echo '   the export, its runs and its next scheduled run:'
SELECT name, state, last_run_status, next_run_at IS NOT NULL AS scheduled FROM engage.exports;
SELECT run_id, dataset, mode, rows_inserted, rows_updated, rows_deleted FROM engage.export_runs
WHERE rows_inserted + rows_updated + rows_deleted > 0 ORDER BY run_id, dataset;

\echo '== 24. Audience-list sync (spec 003): the segment "Has email" mirrored into list 769207 of the list API'
\echo '   (a local stand-in for Iterable''s API that rejects olena@example.com as invalid data) at' :list_api_url
SELECT name, source, segment, action, list_id, state, api_key_set FROM engage.create_list_sync('newsletter',
    segment => 'Has email', list_id => 769207, api_key => 'demo-api-key', api_url => :'list_api_url',
    columns => '{"email": "email", "firstName": "first_name", "externalCustomerId": "user_id", "totalClicked": "clicks"}',
    strings => '[{"name": "source", "type": "string", "value": "pg_engage demo"}, {"name": "segment", "type": "segment_name"}]');
\echo '   what the first run will send:'
SELECT row_key, change, operation, subscriber FROM engage.preview_list_sync('newsletter');
\echo '   the run, started by the scheduler in a background worker when the request commits:'
SELECT name, state FROM engage.run_list_sync_now('newsletter');
SELECT status, rows_in_result, rows_new, rows_sent, rows_succeeded, rows_rejected, batches_sent
FROM engage.wait_for_list_sync('newsletter');
SELECT row_key, state, reason FROM engage.list_sync_rows ORDER BY row_key;
\echo '   a change: a new contact with an email, and Ivan renamed. After the segment''s refresh the second run'
\echo '   sends only what changed: the members that entered (Marta, and Taras, whose email came after the'
\echo '   segment''s last refresh), Ivan''s new name, and the rejected row again (the API still refuses it):'
SELECT count(*) AS contacts_written FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "C-2001", "firstName": "Marta", "channels": [{"type": "email", "value": "marta@example.com"}]},
  {"externalCustomerId": "C-1002", "firstName": "Ivan Ya."}]}');
SELECT entered, "left", members FROM engage.refresh_segment('Has email');
SELECT row_key, change FROM engage.preview_list_sync('newsletter') WHERE change <> 'unchanged';
SELECT name, state FROM engage.run_list_sync_now('newsletter');
SELECT status, rows_in_result, rows_new, rows_changed, rows_retried, rows_sent, rows_succeeded, rows_rejected
FROM engage.wait_for_list_sync('newsletter');
\echo '   the syncs and their runs:'
SELECT name, state, last_run_status, api_key_set FROM engage.list_syncs;
SELECT run_id, status, result FROM engage.list_sync_runs ORDER BY run_id;

\echo '== 25. Operating pg_engage: change a live workflow, keep tables bounded, erase a person, see the backlog'
\echo '   the abandoned-cart reminder gets a new text while Ivan''s cart waits: his instance finishes on'
\echo '   version 1, a cart after the change runs version 2:'
-- (The session was opened again above, so the helper that waits for the worker is made again.)
\ir wait_for_worker.sql
SELECT engage.generate_event('{"eventTypeKey": "cartAbandoned", "keyValue": "ivan.franko@example.com", "params": [{"name": "items", "value": "Blue hat"}]}') > 0 AS stored;
CALL pg_temp.wait_for_worker();
INSERT INTO engage.messages (name, subject, body) VALUES ('Cart reminder v2', 'Still thinking, $!contact.firstName?',
'$!data.get(''items'') is waiting, and shipping is free today.');
SELECT * FROM engage.alter_workflow('Abandoned cart', format($$[
    {"id": "remind", "type": "send_message", "messageId": %1$s, "next": "wait"},
    {"id": "wait", "type": "wait", "duration": "1 hour", "next": "paid?"},
    {"id": "paid?", "type": "condition", "param": "paid", "op": "exists", "yes": "end", "no": "again"},
    {"id": "again", "type": "send_message", "messageId": %1$s},
    {"id": "end", "type": "exit"}]$$, (SELECT message_id FROM engage.messages WHERE name = 'Cart reminder v2'))::jsonb);
SELECT engage.generate_event('{"eventTypeKey": "cartAbandoned", "keyValue": "marta@example.com", "params": [{"name": "items", "value": "Green scarf"}]}') > 0 AS stored;
CALL pg_temp.wait_for_worker();
\echo '   an hour later both waits end: Ivan gets version 1''s second reminder, Marta version 2''s:'
SELECT resumed, sends FROM engage.run_due_waits(now() + interval '61 minutes');
SELECT c.first_name, i.version, i.status, s.block_id, s.subject
FROM engage.workflow_instances i JOIN engage.workflows w USING (workflow_id) JOIN engage.contacts c USING (contact_id)
JOIN engage.sends s ON s.instance_id = i.instance_id
WHERE w.name = 'Abandoned cart' AND c.first_name IN ('Ivan Ya.', 'Marta') ORDER BY s.send_id;
SELECT v.version, v.moved, v.created_by FROM engage.workflow_versions v JOIN engage.workflows w USING (workflow_id)
WHERE w.name = 'Abandoned cart' ORDER BY v.version;
\echo '   retention: what is kept how long (events, sends, activities forever unless set), the built-in job,'
\echo '   and the monthly partitions of the append tables that retention drops whole:'
SELECT kind, keep FROM engage.retention ORDER BY kind;
SELECT (engage.set_retention('events', '400 days')).keep AS events_kept;
SELECT name, schedule, kind, next_run_at IS NOT NULL AS scheduled FROM engage.jobs WHERE kind = 'retention';
SELECT relation, string_agg(partition::text, ', ' ORDER BY from_time NULLS FIRST) AS partitions
FROM engage.time_partitions GROUP BY relation ORDER BY relation::text;
SELECT kind, months_dropped, removed FROM engage.apply_retention();
\echo '   one server, two shops: engage.databases names them, and the launcher keeps a scheduler and a workflow'
\echo '   worker running in each (a database created or added later gets its own within seconds):'
SHOW engage.databases;
SELECT coalesce(datname, '(none)') AS database, backend_type FROM pg_stat_activity
WHERE backend_type LIKE 'pg_engage %' AND backend_type <> 'pg_engage job run' ORDER BY 1, 2;
\echo '   Marta asks to be forgotten: erase_contact removes everything that names her, table by table'
\echo '   (the warehouse export deletes her rows at its next run):'
SELECT table_name, rows_removed FROM engage.erase_contact(email => 'marta@example.com') WHERE rows_removed > 0;
SELECT count(*) AS contacts_named_marta FROM engage.contacts WHERE first_name = 'Marta';
\echo '   the backlog, as a monitoring system would scrape it:'
SELECT metric, labels, value FROM engage.metrics()
WHERE metric IN ('events_queued', 'instances_waiting', 'sends', 'scheduler_running', 'workflow_worker_running', 'dead_letters')
ORDER BY metric, labels::text;

\echo
\echo '== 26. The public surface: schema engage is the API, each function, table and column commented (\\df+, \\d+);'
\echo '   the engine''s steps are in engage_internal. Names where IDs were a burden. The installed version.'
SELECT count(*) FILTER (WHERE n.nspname = 'engage') AS api_functions,
       count(*) FILTER (WHERE n.nspname = 'engage' AND obj_description(p.oid, 'pg_proc') IS NOT NULL) AS commented,
       count(*) FILTER (WHERE n.nspname = 'engage_internal') AS internal_steps
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE EXISTS (SELECT FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
              WHERE d.objid = p.oid AND d.deptype = 'e' AND e.extname = 'pg_engage');
SELECT obj_description('engage.generate_event(jsonb)'::regprocedure, 'pg_proc') AS generate_event_comment;
\echo '   a broadcast of a message to a segment, both by name, and a rule that names a message:'
SELECT status, queued, suppressed FROM engage.send_broadcast('Offer details', ARRAY['Has email'], 'Offer, by names');
SELECT contacts AS clicked_the_cart_reminder FROM engage.preview_segment('{"activity": "CLICKED", "message": "Cart reminder"}');
SELECT extversion AS installed_version FROM pg_extension WHERE extname = 'pg_engage';

\echo
\echo '== Demo finished.'
