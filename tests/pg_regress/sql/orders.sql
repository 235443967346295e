-- Orders (spec 002): engage.add_orders with its errors and skip_invalid, contacts found or
-- created, updates with their status history and order<STATUS> events, the get_order block in
-- spec 004's confirmation workflow, revenue attributed to a click, and RFM.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

-- Spec 002's example body, verbatim: a new contact is created for it (source ORDER) with the
-- order's email and phone, active.
SELECT engage.add_orders($${"orders": [{
  "externalOrderId": "100500", "externalCustomerId": "12345", "totalCost": 1000, "status": "INITIALIZED",
  "date": "2017-03-08T09:30:00+02:00", "email": "john@example.com", "phone": "380942583691",
  "firstName": "John", "lastName": "Smith", "currency": "USD", "shipping": 10, "discount": 0,
  "deliveryMethod": "express", "paymentMethod": "cash", "deliveryAddress": "First str. 1",
  "items": [{"externalItemId": "200600", "name": "Super Device", "category": "devices", "quantity": 1,
             "cost": 990, "url": "http://example.com/item/200600",
             "imageUrl": "http://example.com/item/200600/image.png", "description": "High quality"}]}]}$$);
SELECT contact_id, order_id, external_order_id, external_customer_id, status, order_date, total_cost, currency,
       shipping, discount, email, phone, first_name, last_name, delivery_method, payment_method, delivery_address
FROM engage.orders;
SELECT order_id, position, external_item_id, name, category, quantity, cost, url, image_url, description
FROM engage.order_items;
SELECT c.external_customer_id, c.first_name, c.last_name, c.source, ch.type, ch.value, ch.status
FROM engage.contacts c JOIN engage.channels ch USING (contact_id) ORDER BY ch.type;
-- The order registered its event: key externalOrderId, category Order, params with the IDs.
SELECT t.key, t.category, e.key_value, e.contact_id, e.params
FROM engage.events e JOIN engage.event_types t USING (event_type_id);

-- Sent again: updated, items replaced; its status change (spelled as the specs also spell it) is
-- history and an event. A resend that changes no status registers nothing, and one without
-- "items" keeps the order's items.
SELECT engage.add_orders($${"orders": [{"externalOrderId": "100500", "externalCustomerId": "12345",
  "totalCost": "1200.50", "status": "IN PROGRESS", "date": "2017-03-08T09:30:00+02:00", "currency": "usd",
  "items": [{"externalItemId": "1", "name": "Cable", "quantity": 2, "cost": 5.25},
            {"externalItemId": "2", "name": "Case", "quantity": 1, "cost": 1190}]}]}$$);
SELECT engage.add_orders($${"orders": [{"externalOrderId": "100500", "externalCustomerId": "12345",
  "totalCost": "1200.50", "status": "IN_PROGRESS", "date": "2017-03-08T09:30:00+02:00", "currency": "USD",
  "statusDescription": "packed"}]}$$);
SELECT status, status_description, total_cost, currency FROM engage.orders;
SELECT count(*) AS items_left FROM engage.order_items;
SELECT h.status, t.key AS event FROM engage.order_status_history h
JOIN engage.events e USING (event_id) JOIN engage.event_types t USING (event_type_id) ORDER BY h.event_id;

-- An order finds its contact by external ID, then email, then phone; CANCELED is CANCELLED.
SELECT count(*) FROM engage.upsert_contacts($${"contacts": [
  {"externalCustomerId": "ann", "channels": [{"type": "email", "value": "ann@example.com"}]},
  {"externalCustomerId": "bob", "channels": [{"type": "sms", "value": "380501112233"}]}]}$$);
SELECT engage.add_orders($${"orders": [
  {"externalOrderId": "A-1", "externalCustomerId": "shop-ann", "email": "Ann@Example.com", "totalCost": 20, "status": "CANCELED", "date": "2026-11-01", "currency": "EUR"},
  {"externalOrderId": "B-1", "externalCustomerId": "shop-bob", "phone": "+38 050 111 22 33", "totalCost": 30, "status": "DELIVERED", "date": "2026-11-02T10:00:00Z", "currency": "EUR"},
  {"externalOrderId": "B-2", "externalCustomerId": "bob", "totalCost": 40, "status": "ABANDONED_SHOPPING_CART", "date": "2026-11-03 12:00", "currency": "EUR"}]}$$);
SELECT o.external_order_id, o.status, c.external_customer_id AS contact
FROM engage.orders o JOIN engage.contacts c USING (contact_id) ORDER BY o.external_order_id;
-- Two orders of one new customer make one contact.
SELECT engage.add_orders($${"orders": [
  {"externalOrderId": "N-1", "externalCustomerId": "new", "email": "new@example.com", "totalCost": 1, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"},
  {"externalOrderId": "N-2", "externalCustomerId": "new", "email": "new@example.com", "totalCost": 2, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"}]}$$)
  ->> 'contactsCreated' AS contacts_created;

-- Errors name the element; nothing of a refused call is stored.
CREATE TEMP TABLE before AS SELECT count(*) AS orders FROM engage.orders;
SELECT engage.add_orders($${"orders": [
  {"externalOrderId": "E-1", "externalCustomerId": "x", "totalCost": 1, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"},
  {"externalOrderId": "E-2", "externalCustomerId": "x", "totalCost": 1, "status": "SHIPPED", "date": "2026-11-05", "currency": "USD"}]}$$);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.add_orders($${"orders": [{"externalOrderId": "E-1", "totalCost": 1, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"}]}$$);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.add_orders($${"orders": [{"externalOrderId": "E-1", "externalCustomerId": "x", "totalCost": 1, "status": "INITIALIZED",
  "date": "2026-11-05", "currency": "USD", "items": [{"externalItemId": "1", "name": "Pen", "quantity": 1, "cost": 1, "colour": "red"}]}]}$$);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.add_orders(jsonb_build_object('orders', (SELECT jsonb_agg(jsonb_build_object('externalOrderId', 'M-' || i,
  'externalCustomerId', 'x', 'totalCost', 1, 'status', 'INITIALIZED', 'date', '2026-11-05', 'currency', 'USD'))
  FROM generate_series(1, 1001) i)));
\echo :LAST_ERROR_SQLSTATE
SELECT engage.add_orders($${"orders": [
  {"externalOrderId": "E-1", "externalCustomerId": "x", "totalCost": 1, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"},
  {"externalOrderId": "E-1", "externalCustomerId": "y", "totalCost": 2, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"}]}$$);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.add_orders($${"orders": [{"externalOrderId": "E-1", "externalCustomerId": "x", "totalCost": -5, "status": "INITIALIZED", "date": "2026-13-05", "currency": "USD"}]}$$);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.add_orders($${"orders": [{"externalOrderId": "E-1", "externalCustomerId": "x", "totalCost": 1, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD", "email": "ann at example"}]}$$);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.add_orders(NULL) IS NULL AS strict;
SELECT (SELECT count(*) FROM engage.orders) = orders AS nothing_stored FROM before;

-- skip_invalid: the valid orders are stored, the others listed with their reasons.
SELECT jsonb_pretty(engage.add_orders($${"orders": [
  {"externalOrderId": "S-1", "externalCustomerId": "new", "totalCost": 5, "status": "DELIVERED", "date": "2026-11-06", "currency": "USD"},
  {"externalOrderId": "S-2", "externalCustomerId": "new", "totalCost": 5, "status": "LOST", "date": "2026-11-06", "currency": "USD"},
  {"externalCustomerId": "new", "totalCost": 5, "status": "DELIVERED", "date": "2026-11-06", "currency": "USD"}]}$$,
  skip_invalid => true));
SELECT external_order_id FROM engage.orders WHERE external_order_id LIKE 'S-%';

-- Readers cannot add orders; writers can.
SET ROLE regress_engage_reader;
SELECT engage.add_orders($${"orders": [{"externalOrderId": "R-1", "externalCustomerId": "x", "totalCost": 1, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"}]}$$);
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_engage_writer;
SELECT engage.add_orders($${"orders": [{"externalOrderId": "W-1", "externalCustomerId": "writer-customer", "totalCost": 1, "status": "INITIALIZED", "date": "2026-11-05", "currency": "USD"}]}$$) ->> 'created' AS created;
INSERT INTO engage.orders (contact_id, external_order_id, external_customer_id, status, order_date, total_cost, currency)
VALUES (1, 'direct', 'x', 'INITIALIZED', now(), 1, 'USD');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Spec 004's order confirmation: a workflow linked to orderINITIALIZED whose get_order block
-- loads the order with its items for the send to render. An event naming an order of another
-- contact fails its instance: nothing is sent about an order the contact does not have.
INSERT INTO engage.messages (name, subject, body, media_type) VALUES ('order confirmation',
  'Order $data.get(''order'').get(''externalOrderId'') confirmed',
  '#foreach($item in $data.get(''order'').get(''items''))$item.get(''name'') x $item.get(''quantity''): $item.get(''cost'') $data.get(''order'').get(''currency'')
#end
Total: $data.get(''order'').get(''totalCost'')', 'Email');
SELECT engage.create_workflow('order confirmation', $$[{"id": "load", "type": "get_order", "next": "send"},
  {"id": "send", "type": "send_message", "messageId": 1}]$$);
SELECT engage.link_event('order confirmation', 'orderINITIALIZED');
SELECT engage.activate_workflow('order confirmation');
SELECT engage.add_orders($${"orders": [{"externalOrderId": "C-1", "externalCustomerId": "ann", "totalCost": 15.5,
  "status": "INITIALIZED", "date": "2026-11-10T08:00:00Z", "currency": "UAH",
  "items": [{"externalItemId": "p1", "name": "Tea", "quantity": 2, "cost": 5.25}, {"externalItemId": "p2", "name": "Cup", "quantity": 1, "cost": 5}]}]}$$)
  ->> 'events' AS events;
SELECT engage.generate_event('{"eventTypeKey": "orderINITIALIZED", "keyValue": "ann@example.com", "params": [{"name": "externalOrderId", "value": "100500"}]}') > 0 AS foreign_order_event;
SELECT events, launched, sends, failed FROM engage.process_events();
SELECT locator, subject, body FROM engage.sends;
SELECT i.status, i.error FROM engage.workflow_instances i ORDER BY i.instance_id;

-- Revenue: an order is attributed to the contact's last click on a message within
-- engage_internal.revenue_attribution_window (default 7 days) before it, else the last open.
INSERT INTO engage.messages (name, subject, body, media_type) VALUES ('promo', 'Sale', 'Hi', 'Email');
SELECT engage.smartsend(2, '{"recipients": [{"locator": "ann@example.com"}]}') -> 'results' -> 0 ->> 'requestId' AS promo \gset
SELECT count(*) FROM engage.claim_sends(10);
SELECT send_status FROM engage.report_delivery(:'promo', 'RECEIVED', '{"at": "2026-11-11T09:00:00Z"}');
SELECT send_status FROM engage.report_delivery(:'promo', 'CLICKED', '{"at": "2026-11-11T09:05:00Z", "link": "https://shop.example.com/sale"}');
SELECT send_status FROM engage.report_delivery(:'promo', 'RECEIVED', '{"at": "2026-11-11T10:00:00Z"}');
SELECT engage.add_orders($${"orders": [
  {"externalOrderId": "R-1", "externalCustomerId": "ann", "totalCost": 99, "status": "DELIVERED", "date": "2026-11-12T08:00:00Z", "currency": "UAH"},
  {"externalOrderId": "R-2", "externalCustomerId": "ann", "totalCost": 10, "status": "DELIVERED", "date": "2026-11-25T08:00:00Z", "currency": "UAH"},
  {"externalOrderId": "R-3", "externalCustomerId": "ann", "totalCost": 10, "status": "DELIVERED", "date": "2026-11-11T09:02:00Z", "currency": "UAH"}]}$$) ->> 'created' AS created;
-- R-1 to the click, R-3 (before the click) to the open, R-2 (14 days later) to nothing.
SELECT external_order_id, total_cost, activity, click_event_link, message_name, campaign_type, media_type
FROM engage.revenue ORDER BY external_order_id;
-- A changed total updates the row; a cancelled order has none; a wider window reaches R-2.
SELECT engage.add_orders($${"orders": [
  {"externalOrderId": "R-1", "externalCustomerId": "ann", "totalCost": 89, "status": "DELIVERED", "date": "2026-11-12T08:00:00Z", "currency": "UAH"},
  {"externalOrderId": "R-3", "externalCustomerId": "ann", "totalCost": 10, "status": "CANCELLED", "date": "2026-11-11T09:02:00Z", "currency": "UAH"}]}$$) ->> 'updated' AS updated;
SET engage.revenue_attribution_window = '30d';
SELECT engage.attribute_revenue() AS attributed;
RESET engage.revenue_attribution_window;
SELECT external_order_id, total_cost, activity FROM engage.revenue ORDER BY external_order_id;
SELECT engage.attribute_revenue('{1}', '{1,2}');
\echo :LAST_ERROR_SQLSTATE

-- RFM over delivered orders as of a chosen instant: default bands, the segment of each cell.
SELECT recency_days, frequency, monetary, recomputed_at FROM engage.rfm_bands;
SELECT computed, changed, moved, was_full FROM engage.recompute_rfm('2026-12-01');
SELECT c.external_customer_id, r.last_order_at, r.frequency, r.monetary, r.r, r.f, r.m, r.segment
FROM engage.contact_rfm r JOIN engage.contacts c USING (contact_id) ORDER BY 1;
-- Nothing changed, nothing written; the clock alone moves recency (and the segment: a move is an
-- rfmSegmentChanged event a win-back workflow can start on).
SELECT computed, changed, moved, was_full FROM engage.recompute_rfm('2026-12-02');
SELECT computed, changed, moved, was_full FROM engage.recompute_rfm('2027-03-01');
SELECT c.external_customer_id, r.r, r.f, r.m, r.segment
FROM engage.contact_rfm r JOIN engage.contacts c USING (contact_id) ORDER BY 1;
SELECT e.key_value, e.params FROM engage.events e JOIN engage.event_types t USING (event_type_id)
WHERE t.key = 'rfmSegmentChanged' AND t.category = 'RFM' ORDER BY e.event_id;
-- A new delivered order makes its contact stale: only it is looked at next time.
SELECT engage.add_orders($${"orders": [{"externalOrderId": "R-4", "externalCustomerId": "bob", "totalCost": 600,
  "status": "DELIVERED", "date": "2027-02-27", "currency": "EUR"}]}$$) ->> 'created' AS created;
SELECT contact_id IS NOT NULL AS stale FROM engage.rfm_stale;
SELECT computed, changed, moved, was_full FROM engage.recompute_rfm('2027-03-01');
-- Bands are four ascending thresholds; changing them makes the next recompute a full one.
SELECT engage.set_rfm_bands(frequency => '{1,2,3}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.set_rfm_bands(monetary => '{100,50,500,1000}');
\echo :LAST_ERROR_SQLSTATE
SELECT (engage.set_rfm_bands(monetary => '{10,20,30,40}')).monetary;
SELECT computed, changed, moved, was_full FROM engage.recompute_rfm('2027-03-01');
SELECT c.external_customer_id, r.m, r.segment FROM engage.contact_rfm r JOIN engage.contacts c USING (contact_id) ORDER BY 1;
-- The RFM segments as ordinary dynamic segments: one per RFM segment, refreshed like any other,
-- and the condition combines with the rest of the rule language.
SELECT count(*) AS created FROM engage.create_rfm_segments();
SELECT count(*) AS returned_again FROM engage.create_rfm_segments();
SELECT count(*) AS rfm_segments FROM engage.segments WHERE name LIKE 'RFM: %';
SELECT * FROM engage.refresh_segment('RFM: Need attention');
SELECT c.external_customer_id FROM engage.segment_contacts('RFM: Need attention') x JOIN engage.contacts c USING (contact_id) ORDER BY 1;
SELECT contacts FROM engage.preview_segment('{"and": [{"rfm_segment": "Promising"}, {"channel": "sms"}]}');
SELECT engage.recompute_rfm(NULL);
\echo :LAST_ERROR_SQLSTATE
-- The job kind, and the nightly job installed with the extension.
SELECT name, schedule, kind FROM engage.jobs WHERE kind = 'rfm';
SELECT engage_internal.recompute_rfm_job('{"full": true}');
-- The job refreshed the RFM segments: each contact is in the one its cell says.
SELECT s.name, array_agg(c.external_customer_id ORDER BY c.external_customer_id) AS members
FROM engage.segments s JOIN engage.segment_members m USING (segment_id) JOIN engage.contacts c USING (contact_id)
WHERE s.name LIKE 'RFM: %' GROUP BY s.name ORDER BY s.name;
SELECT c.external_customer_id, r.segment FROM engage.contact_rfm r JOIN engage.contacts c USING (contact_id) ORDER BY 1;

-- Incremental equals full: random orders of 40 customers, changed at random (statuses, totals,
-- customers), recomputed incrementally as the clock moves, give exactly the cells a full
-- recompute gives at the same instant.
SELECT setseed(0.16);
CREATE TEMP TABLE random_orders AS
SELECT 'Q-' || i AS id, 'rq-' || (1 + floor(random() * 40))::int AS customer,
       (ARRAY['DELIVERED', 'DELIVERED', 'DELIVERED', 'CANCELLED', 'INITIALIZED'])[1 + floor(random() * 5)::int] AS status,
       timestamptz '2026-01-01' + random() * interval '300 days' AS placed, round((random() * 400)::numeric, 2) AS total
FROM generate_series(1, 300) i;
CREATE FUNCTION pg_temp.send_orders(pick text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT engage.add_orders(jsonb_build_object('orders', jsonb_agg(jsonb_build_object('externalOrderId', id,
        'externalCustomerId', customer, 'totalCost', total, 'status', status,
        'date', to_char(placed AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'currency', 'USD'))))
    FROM random_orders WHERE id LIKE pick
$$;
SELECT pg_temp.send_orders('%') ->> 'created' AS created;
SELECT was_full FROM engage.recompute_rfm('2026-11-01');
UPDATE random_orders SET status = CASE WHEN status = 'DELIVERED' THEN 'CANCELLED' ELSE 'DELIVERED' END,
    total = total + 100, customer = CASE WHEN random() < 0.3 THEN 'rq-' || (1 + floor(random() * 40))::int ELSE customer END
WHERE random() < 0.25;
SELECT pg_temp.send_orders('%') ->> 'updated' AS updated;
SELECT was_full FROM engage.recompute_rfm('2026-12-20');
CREATE TEMP TABLE incremental AS SELECT contact_id, last_order_at, frequency, monetary, r, f, m, segment FROM engage.contact_rfm;
SELECT was_full FROM engage.recompute_rfm('2026-12-20', full_recompute => true);
SELECT count(*) AS cells, count(*) FILTER (WHERE i.contact_id IS NULL OR x.contact_id IS NULL
           OR (i.last_order_at, i.frequency, i.monetary, i.r, i.f, i.m, i.segment)
              IS DISTINCT FROM (x.last_order_at, x.frequency, x.monetary, x.r, x.f, x.m, x.segment)) AS different
FROM incremental i FULL JOIN engage.contact_rfm x USING (contact_id);

-- Deleting a contact deletes its orders, items, history, revenue and RFM row.
DELETE FROM engage.contacts WHERE external_customer_id = 'ann';
SELECT (SELECT count(*) FROM engage.orders o WHERE NOT EXISTS (SELECT FROM engage.contacts c WHERE c.contact_id = o.contact_id))
     + (SELECT count(*) FROM engage.revenue r WHERE NOT EXISTS (SELECT FROM engage.contacts c WHERE c.contact_id = r.contact_id))
     + (SELECT count(*) FROM engage.contact_rfm r WHERE NOT EXISTS (SELECT FROM engage.contacts c WHERE c.contact_id = r.contact_id))
     + (SELECT count(*) FROM engage.order_items r WHERE NOT EXISTS (SELECT FROM engage.contacts c WHERE c.contact_id = r.contact_id))
  AS orphans;
