-- Data for the segment benchmark: :contacts contacts (90% with an email, 5% of those inactive),
-- birthdays, plans and scores as additional fields, :events events of three types over the last
-- 90 days, and a loyalty table of :contacts rows (80% matching a contact's email) registered as
-- a data source. Written straight into the tables (it is a benchmark, not an import).
CREATE EXTENSION pg_engage CASCADE;
SELECT setseed(0.42);
SELECT engage.create_field('Birthday', 'date', field_id => 30001);
SELECT engage.create_field('Plan', 'combobox', ARRAY['free', 'pro', 'team'], field_id => 30002);
SELECT engage.create_field('Score', 'number', field_id => 30003);
INSERT INTO engage.contacts (contact_id, external_customer_id, first_name, language_code, time_zone, created_at)
SELECT i, 'C-' || i, 'Name ' || i, (ARRAY['uk', 'en', 'pl'])[1 + i % 3],
       (ARRAY['Europe/Kyiv', 'America/New_York', 'Asia/Kolkata', NULL])[1 + i % 4],
       now() - random() * interval '730 days'
FROM generate_series(1, :contacts) i;
INSERT INTO engage.channels (type, value, contact_id, status)
SELECT 'email', 'u' || i || '@example.com', i, CASE WHEN i % 20 = 0 THEN 'inactive' ELSE 'active' END
FROM generate_series(1, :contacts) i WHERE i % 10 <> 0;
INSERT INTO engage.contact_fields (contact_id, field_id, value, value_date)
SELECT i, 30001, d::text, d FROM (SELECT i, date '1960-01-01' + (random() * 16000)::int AS d
                                  FROM generate_series(1, :contacts) i WHERE i % 5 <> 0) b;
INSERT INTO engage.contact_fields (contact_id, field_id, value)
SELECT i, 30002, (ARRAY['free', 'pro', 'team'])[1 + floor(random() * 3)::int] FROM generate_series(1, :contacts) i WHERE i % 5 < 3;
INSERT INTO engage.contact_fields (contact_id, field_id, value, value_number)
SELECT i, 30003, s::text, s FROM (SELECT i, (random() * 100)::int AS s FROM generate_series(1, :contacts) i WHERE i % 2 = 0) x;
SELECT engage.create_event_type('cartAbandoned', 'Cart abandoned'), engage.create_event_type('viewed', 'Viewed'),
       engage.create_event_type('purchased', 'Purchased');
INSERT INTO engage.events (event_type_id, key_value, contact_id, params, registered_at)
SELECT t.event_type_id, 'u' || c || '@example.com', c, '{}', now() - random() * interval '90 days'
FROM (SELECT 1 + (random() * (:contacts - 1))::bigint AS c, floor(random() * 3)::int AS k FROM generate_series(1, :events)) e
JOIN (SELECT event_type_id, row_number() OVER (ORDER BY event_type_id) - 1 AS k FROM engage.event_types
      WHERE key IN ('cartAbandoned', 'viewed', 'purchased')) t USING (k);
CREATE TABLE loyalty (email text, points int, tier text);
INSERT INTO loyalty
SELECT CASE WHEN i % 5 = 0 THEN 'stranger' || i || '@example.net' ELSE 'u' || i || '@example.com' END,
       (random() * 5000)::int, (ARRAY['bronze', 'silver', 'gold'])[1 + floor(random() * 3)::int]
FROM generate_series(1, :contacts) i;
CREATE INDEX loyalty_email ON loyalty (email);
SELECT engage.create_connector('here');
SELECT engage.create_data_source('loyalty', 'here', 'loyalty', 'email');
VACUUM ANALYZE;
