-- Data for bench/exports.sh (psql variables: contacts, activities, orders): contacts C1…C:contacts
-- with an email (and every other one an sms number), :activities reported activities of 20
-- messages spread over them, and :orders orders with two items each.
CREATE EXTENSION pg_engage CASCADE;
SELECT engage.unschedule_job('rfm nightly');
INSERT INTO engage.contacts (contact_id, external_customer_id, first_name, last_name, language_code, source, created_at)
SELECT i, 'C' || i, 'First ' || i, 'Last ' || i, 'en', 'IMPORT', timestamptz '2026-01-01' + make_interval(mins => i)
FROM generate_series(1, :contacts) i;
INSERT INTO engage.channels (type, value, contact_id)
SELECT 'email', 'c' || i || '@mail' || (i % 50) || '.example.com', i FROM generate_series(1, :contacts) i;
INSERT INTO engage.channels (type, value, contact_id)
SELECT 'sms', (380500000000 + i)::text, i FROM generate_series(1, :contacts, 2) i;
INSERT INTO engage.messages (name, subject, body, tags)
SELECT 'promo ' || m, 'Sale ' || m, 'Hello', '{sale}' FROM generate_series(1, 20) m;
INSERT INTO engage.contact_activities (activity, activity_at, request_id, message_instance_id, campaign_type,
                                       click_event_link, contact_id, external_customer_id, media_type, message_id,
                                       message_name, message_tags)
SELECT (ARRAY['DELIVERED', 'DELIVERED', 'DELIVERED', 'RECEIVED', 'RECEIVED', 'CLICKED', 'UNDELIVERED', 'SPAM'])[1 + i % 8],
       timestamptz '2026-06-01' + make_interval(secs => i), gen_random_uuid(), i / 3, 'Group',
       CASE WHEN i % 8 = 5 THEN 'https://shop.example.com/sale/' || (i % 97) END,
       1 + (i * 7919) % :contacts, 'C' || (1 + (i * 7919) % :contacts), 'Email', 1 + i % 20, 'promo ' || (1 + i % 20), 'sale'
FROM generate_series(1::bigint, :activities) i;
INSERT INTO engage.orders (contact_id, order_id, external_order_id, external_customer_id, status, order_date, total_cost,
                           currency, email, first_name, last_name, delivery_method, payment_method, delivery_address)
SELECT 1 + (i * 104729) % :contacts, i, 'O' || i, 'C' || (1 + (i * 104729) % :contacts),
       (ARRAY['INITIALIZED', 'IN_PROGRESS', 'DELIVERED', 'DELIVERED', 'CANCELLED'])[1 + i % 5],
       timestamptz '2026-06-01' + make_interval(mins => i::integer), 10 + i % 490, 'USD', 'buyer' || i || '@example.com',
       'Buyer', 'Number ' || i, 'courier', 'card', 'Main st. ' || i
FROM generate_series(1::bigint, :orders) i;
INSERT INTO engage.order_items (contact_id, order_id, position, external_item_id, name, quantity, cost, url, image_url,
                                description)
SELECT o.contact_id, o.order_id, p, 'P' || (o.order_id % 1000 + p), 'Product ' || p, p, 5 * p,
       'https://shop.example.com/p/' || p, 'https://shop.example.com/p/' || p || '.png', 'A fine product'
FROM engage.orders o CROSS JOIN generate_series(1, 2) p;
