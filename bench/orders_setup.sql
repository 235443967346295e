-- Data and baselines for bench/orders.sh (psql variables: contacts, calls, rfm_orders).
-- Contacts C1…C:contacts; :calls add_orders bodies of 1,000 orders with 3 items each (new orders
-- of customers C1…C100000), and the same orders changed (delivered, new totals and items); the
-- baselines: plain tables with the columns and keys of engage.orders and engage.order_items, a
-- hand-written upsert of a body into them, a hand-written RFM statement and a hand-written
-- revenue attribution.
CREATE EXTENSION pg_engage CASCADE;
CREATE SCHEMA bench;
SELECT engage.unschedule_job('rfm nightly');
INSERT INTO engage.contacts (external_customer_id, source)
SELECT 'C' || i, 'IMPORT' FROM generate_series(1, :contacts) i;

-- Bodies: order k of call n is "O<n>-<k>" of customer C<(n*1000+k) % 100000 + 1>; changed, the
-- same order is delivered, costs 10 less, has a discount and more of each item at a lower price.
CREATE FUNCTION bench.body(n integer, changed boolean) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object('orders', jsonb_agg(jsonb_build_object(
        'externalOrderId', 'O' || n || '-' || k, 'externalCustomerId', 'C' || ((n * 1000 + k) % 100000 + 1),
        'totalCost', CASE WHEN changed THEN 90 ELSE 100 END + k,
        'status', CASE WHEN changed THEN 'DELIVERED' ELSE 'INITIALIZED' END,
        'date', '2026-11-20T10:00:00+02:00', 'currency', 'USD',
        'email', 'buyer' || k || '@example.com', 'firstName', 'Buyer', 'shipping', 5,
        'discount', CASE WHEN changed THEN 10 ELSE 0 END,
        'deliveryMethod', 'courier', 'paymentMethod', 'card', 'deliveryAddress', 'Main st. ' || k,
        'items', (SELECT jsonb_agg(jsonb_build_object('externalItemId', 'P' || j, 'name', 'Product ' || j,
                      'category', 'goods', 'quantity', j + changed::integer,
                      'cost', CASE WHEN changed THEN 9 ELSE 10 END * j, 'url', 'https://shop.example.com/p/' || j,
                      'imageUrl', 'https://shop.example.com/p/' || j || '.png', 'description', 'A fine product'))
                  FROM generate_series(1, 3) j)) ORDER BY k))
    FROM generate_series(1, 1000) k
$$;
CREATE TABLE bench.bodies (n integer PRIMARY KEY, body jsonb NOT NULL, changed jsonb NOT NULL);
INSERT INTO bench.bodies SELECT n, bench.body(n, false), bench.body(n, true) FROM generate_series(1, :calls) n;

CREATE TABLE bench.orders (LIKE engage.orders INCLUDING ALL);
CREATE TABLE bench.order_items (LIKE engage.order_items INCLUDING ALL);

-- The add_orders baseline: the body's orders upserted by externalOrderId (the contact found by
-- external ID), then their items replaced.
CREATE FUNCTION bench.plain_add_orders(body jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    contacts bigint[];
    ids bigint[];
BEGIN
    WITH o AS (
        SELECT x.*, (SELECT c.contact_id FROM engage.contacts c WHERE c.external_customer_id = x."externalCustomerId") AS contact_id
        FROM jsonb_to_recordset(body -> 'orders') AS x("externalOrderId" text, "externalCustomerId" text,
            "totalCost" numeric, status text, date timestamptz, currency text, email text, phone text,
            "firstName" text, "lastName" text, shipping numeric, discount numeric, "deliveryMethod" text,
            "paymentMethod" text, "deliveryAddress" text)
    ), up AS (
        INSERT INTO bench.orders AS t (contact_id, external_order_id, external_customer_id, status, order_date,
            total_cost, currency, email, phone, first_name, last_name, shipping, discount, delivery_method,
            payment_method, delivery_address)
        SELECT o.contact_id, o."externalOrderId", o."externalCustomerId", o.status, o.date, o."totalCost",
               o.currency, o.email, o.phone, o."firstName", o."lastName", o.shipping, o.discount,
               o."deliveryMethod", o."paymentMethod", o."deliveryAddress"
        FROM o
        ON CONFLICT (external_order_id) DO UPDATE SET
            contact_id = EXCLUDED.contact_id, external_customer_id = EXCLUDED.external_customer_id,
            status = EXCLUDED.status, order_date = EXCLUDED.order_date, total_cost = EXCLUDED.total_cost,
            currency = EXCLUDED.currency, email = EXCLUDED.email, phone = EXCLUDED.phone,
            first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, shipping = EXCLUDED.shipping,
            discount = EXCLUDED.discount, delivery_method = EXCLUDED.delivery_method,
            payment_method = EXCLUDED.payment_method, delivery_address = EXCLUDED.delivery_address,
            updated_at = now()
        RETURNING t.contact_id, t.order_id
    )
    SELECT array_agg(up.contact_id), array_agg(up.order_id) INTO contacts, ids FROM up;
    DELETE FROM bench.order_items i USING (SELECT unnest(contacts) AS contact_id, unnest(ids) AS order_id) k
    WHERE i.contact_id = k.contact_id AND i.order_id = k.order_id;
    INSERT INTO bench.order_items (contact_id, order_id, position, external_item_id, name, category, quantity, cost,
                                   url, image_url, description)
    SELECT t.contact_id, t.order_id, it.position, it.item ->> 'externalItemId', it.item ->> 'name',
           it.item ->> 'category', (it.item ->> 'quantity')::integer, (it.item ->> 'cost')::numeric,
           it.item ->> 'url', it.item ->> 'imageUrl', it.item ->> 'description'
    FROM jsonb_array_elements(body -> 'orders') ord
    JOIN bench.orders t ON t.external_order_id = ord ->> 'externalOrderId'
    CROSS JOIN LATERAL jsonb_array_elements(ord -> 'items') WITH ORDINALITY it(item, position);
END
$$;

-- The RFM baseline: the same cells in one statement, scores by CASE over the default bands.
CREATE TABLE bench.rfm (LIKE engage.contact_rfm INCLUDING ALL);
CREATE TABLE bench.cells AS SELECT * FROM engage_internal.rfm_cells();
CREATE PROCEDURE bench.plain_rfm(at timestamptz)
LANGUAGE sql AS $$
    INSERT INTO bench.rfm (contact_id, last_order_at, frequency, monetary, r, f, m, segment, segment_since, computed_at)
    SELECT c.contact_id, c.last_order_at, c.frequency, c.monetary, cell.r, cell.f, cell.m, cell.segment, at, at
    FROM (SELECT o.contact_id, max(o.order_date) AS last_order_at, count(*)::integer AS frequency,
                 sum(o.total_cost) AS monetary
          FROM engage.orders o WHERE o.status = 'DELIVERED' GROUP BY o.contact_id) c
    JOIN bench.cells cell
      ON cell.r = CASE WHEN at - c.last_order_at < interval '30 days' THEN 5 WHEN at - c.last_order_at < interval '90 days' THEN 4
                       WHEN at - c.last_order_at < interval '180 days' THEN 3 WHEN at - c.last_order_at < interval '365 days' THEN 2 ELSE 1 END
     AND cell.f = CASE WHEN c.frequency >= 10 THEN 5 WHEN c.frequency >= 5 THEN 4 WHEN c.frequency >= 3 THEN 3
                       WHEN c.frequency >= 2 THEN 2 ELSE 1 END
     AND cell.m = CASE WHEN c.monetary >= 1000 THEN 5 WHEN c.monetary >= 500 THEN 4 WHEN c.monetary >= 200 THEN 3
                       WHEN c.monetary >= 50 THEN 2 ELSE 1 END
$$;

-- The revenue baseline: the same rule (last click, else last open, within 7 days before the
-- order) for every counting order, in one statement.
CREATE TABLE bench.revenue (LIKE engage.revenue INCLUDING ALL);
CREATE PROCEDURE bench.plain_revenue()
LANGUAGE sql AS $$
    INSERT INTO bench.revenue (contact_id, order_id, external_order_id, external_customer_id, order_date, total_cost,
        currency, activity_id, activity, activity_at, request_id, message_instance_id, campaign_type, click_event_link,
        media_type, message_id, message_name, message_tags, message_url, sender_name, utm_campaign)
    SELECT o.contact_id, o.order_id, o.external_order_id, o.external_customer_id, o.order_date, o.total_cost, o.currency,
           a.activity_id, a.activity, a.activity_at, a.request_id, a.message_instance_id, a.campaign_type,
           a.click_event_link, a.media_type, a.message_id, a.message_name, a.message_tags, a.message_url,
           a.sender_name, a.utm_campaign
    FROM engage.orders o
    CROSS JOIN LATERAL (
        SELECT * FROM engage.contact_activities a
        WHERE a.contact_id = o.contact_id AND a.activity_at <= o.order_date
          AND a.activity_at > o.order_date - interval '7 days' AND a.activity IN ('CLICKED', 'RECEIVED')
        ORDER BY a.activity = 'CLICKED' DESC, a.activity_at DESC, a.activity_id DESC
        LIMIT 1) a
    WHERE o.status NOT IN ('CANCELLED', 'ABANDONED_SHOPPING_CART')
$$;
