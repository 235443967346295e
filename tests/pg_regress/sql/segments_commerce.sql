-- Segment conditions on commerce: orders (a status, how many, the total spent, none in a
-- window), message activities (of a message, in a window, how often) and RFM segments, with
-- negation and refusals; and the decisions the rule language leaves open (a–f), each shown on
-- data. All rules are evaluated at the instant :at, 2026-06-01 12:00 UTC.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';
\set at '2026-06-01 12:00Z'

SELECT engage.create_field('Birthday', 'date') AS birthday_field \gset
SELECT count(*) FROM engage.upsert_contacts(format($$ {"contacts": [
  {"externalCustomerId": "C-1", "firstName": "Dina", "timeZone": "Europe/Kyiv",
   "channels": [{"type": "email", "value": "dina@example.com"}], "fields": [{"id": %1$s, "value": "1990-06-01"}]},
  {"externalCustomerId": "C-2", "firstName": "Ivan", "timeZone": "America/New_York",
   "channels": [{"type": "email", "value": "ivan@example.com"}], "fields": [{"id": %1$s, "value": "2026-06-01"}]},
  {"externalCustomerId": "C-3", "firstName": "Lesya",
   "channels": [{"type": "email", "value": "lesya@example.com"}], "fields": [{"id": %1$s, "value": "2030-06-01"}]},
  {"externalCustomerId": "C-4", "firstName": "Taras",
   "channels": [{"type": "email", "value": "taras@example.com"}]},
  {"externalCustomerId": "C-5", "firstName": "Olena",
   "channels": [{"type": "sms", "value": "+380501234567"}], "fields": [{"id": %1$s, "value": "2000-02-29"}]}]} $$,
  :birthday_field)::jsonb);
SELECT contact_id, external_customer_id, first_name, time_zone FROM engage.contacts ORDER BY contact_id;

-- Orders, written directly. Dina: two delivered (40 + 80) this month. Ivan: one delivered in
-- January (500) and a cancelled one. Lesya: one delivered yesterday (30) and one dated after the
-- instant (1000). Taras: none. Olena: one just created.
INSERT INTO engage.orders (contact_id, external_order_id, external_customer_id, status, order_date, total_cost, currency)
SELECT c.contact_id, o.id, o.customer, o.status, o.order_date, o.total_cost, 'UAH'
FROM (VALUES ('O-1', 'C-1', 'DELIVERED', '2026-05-20 10:00Z'::timestamptz, 40),
             ('O-2', 'C-1', 'DELIVERED', '2026-05-25 10:00Z', 80),
             ('O-3', 'C-2', 'DELIVERED', '2026-01-10 10:00Z', 500),
             ('O-4', 'C-2', 'CANCELLED', '2026-05-30 10:00Z', 70),
             ('O-5', 'C-3', 'DELIVERED', '2026-05-31 09:00Z', 30),
             ('O-6', 'C-3', 'DELIVERED', '2026-06-05 10:00Z', 1000),
             ('O-7', 'C-5', 'INITIALIZED', '2026-05-31 10:00Z', 10)) o(id, customer, status, order_date, total_cost)
JOIN engage.contacts c ON c.external_customer_id = o.customer;

-- An order with a status, up to the instant: Lesya's order dated after it does not count, and
-- before her first one she had none.
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED"}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED"}', '2026-05-31 08:00Z');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "CANCELLED"}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "ABANDONED_SHOPPING_CART"}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "any", "within_days": 7}', :'at');
-- Ordered in the last 30 days; no delivered order in the last 90 days (those who never ordered
-- included); and ordered, but not in the last 90 days (the last order is older).
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED", "within_days": 30}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED", "within_days": 90, "never": true}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"and": [{"order": "DELIVERED"},
    {"order": "DELIVERED", "within_days": 90, "never": true}]}', :'at');
-- How many: at least two orders of any status (Lesya's second is in the future); exactly 0
-- delivered is never.
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "any", "times": {"op": "at_least", "value": 2}}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED", "times": {"op": "exactly", "value": 0}}', :'at');
-- Total spent on delivered orders. A contact without any has spent 0: "at most 100" includes
-- Taras and Olena, "greater than 100" does not.
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED", "total": {"op": "greater", "value": 100}}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED", "total": {"op": "at_most", "value": 100}}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED", "total": {"op": "at_most", "value": 100}, "within_days": 30}', :'at');
-- Count and total together: both must pass.
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "DELIVERED", "times": {"op": "at_least", "value": 2},
    "total": {"op": "at_least", "value": 100}}', :'at');
-- Negated: the complement, contacts without orders included.
SELECT contacts, sample_ids FROM engage.preview_segment('{"not": {"order": "DELIVERED", "within_days": 30}}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"not": {"order": "DELIVERED", "total": {"op": "at_most", "value": 100}}}', :'at');
-- Saved and refreshed; the statement names the status as a literal (the index of delivered
-- orders has it in its predicate) and binds the number of days.
SELECT engage.create_segment('No order in 90 days', '{"order": "DELIVERED", "within_days": 90, "never": true}') > 0 AS created;
SELECT * FROM engage.refresh_segment('No order in 90 days', :'at');
SELECT engage.segment_sql('No order in 90 days');

-- Activities, written directly, on two messages.
INSERT INTO engage.messages (name, subject, body) VALUES ('Spring sale', 'Sale', 'Hi') RETURNING message_id AS sale \gset
INSERT INTO engage.messages (name, subject, body) VALUES ('Newsletter', 'News', 'Hi') RETURNING message_id AS news \gset
INSERT INTO engage.contact_activities (activity, activity_at, contact_id, message_id)
SELECT a.activity, a.activity_at, c.contact_id, a.message_id
FROM (VALUES ('DELIVERED', '2026-05-29 09:00Z'::timestamptz, 'C-1', :sale),
             ('RECEIVED', '2026-05-29 10:00Z', 'C-1', :sale),
             ('CLICKED', '2026-05-30 10:00Z', 'C-1', :sale),
             ('DELIVERED', '2026-05-01 09:00Z', 'C-2', :news),
             ('CLICKED', '2026-05-01 12:00Z', 'C-2', :news),
             ('DELIVERED', '2026-05-02 09:00Z', 'C-2', :sale),
             ('UNSUBSCRIBED', '2026-05-03 09:00Z', 'C-2', :news),
             ('DELIVERED', '2026-05-01 09:00Z', 'C-3', :news),
             ('RECEIVED', '2026-05-01 10:00Z', 'C-3', :news),
             ('CLICKED', '2026-06-02 10:00Z', 'C-5', :sale),
             -- An activity of nobody we know: never counted.
             ('CLICKED', '2026-05-31 10:00Z', NULL, :sale)) a(activity, activity_at, customer, message_id)
LEFT JOIN engage.contacts c ON c.external_customer_id = a.customer;

-- Clicked (Olena's click is after the instant); clicked the sale; opened (RECEIVED) in the
-- last 30 days (Lesya's open is 31 days old); no open in 30 days.
SELECT contacts, sample_ids FROM engage.preview_segment('{"activity": "CLICKED"}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"activity": "CLICKED", "message": %s}', :sale)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"activity": "RECEIVED", "within_days": 30}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"activity": "RECEIVED", "within_days": 30, "never": true}', :'at');
-- Delivered at least twice; at most once (no deliveries included).
SELECT contacts, sample_ids FROM engage.preview_segment('{"activity": "DELIVERED", "times": {"op": "at_least", "value": 2}}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"activity": "DELIVERED", "times": {"op": "at_most", "value": 1}}', :'at');
-- Got the sale but did not open it; did not unsubscribe.
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"and": [{"activity": "DELIVERED", "message": %1$s},
    {"activity": "RECEIVED", "message": %1$s, "never": true}]} $$, :sale)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"not": {"activity": "UNSUBSCRIBED"}}', :'at');

-- RFM cells, written directly: Dina a champion, Ivan one we cannot lose, Lesya new.
INSERT INTO engage.contact_rfm (contact_id, last_order_at, frequency, monetary, r, f, m, segment, segment_since, computed_at)
SELECT c.contact_id, x.last_order_at, x.frequency, x.monetary, x.r, x.f, x.m, x.segment, :'at', :'at'
FROM (VALUES ('C-1', '2026-05-25 10:00Z'::timestamptz, 2, 120, 5, 4, 4, 'Champions'),
             ('C-2', '2026-01-10 10:00Z', 1, 500, 1, 4, 5, 'Can''t lose them'),
             ('C-3', '2026-05-31 09:00Z', 1, 30, 5, 1, 1, 'New customers')) x(customer, last_order_at, frequency, monetary, r, f, m, segment)
JOIN engage.contacts c ON c.external_customer_id = x.customer;
SELECT contacts, sample_ids FROM engage.preview_segment('{"rfm_segment": "Champions"}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment($${"rfm_segment": "Can't lose them"}$$, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"or": [{"rfm_segment": "Champions"}, {"rfm_segment": "New customers"}]}', :'at');
-- Not a champion: contacts without an RFM cell included.
SELECT contacts, sample_ids FROM engage.preview_segment('{"not": {"rfm_segment": "Champions"}}', :'at');
-- One dynamic segment per RFM segment, each refreshed like any other.
SELECT count(*) AS rfm_segments FROM engage.create_rfm_segments();
SELECT * FROM engage.refresh_segment('RFM: Champions', :'at');
-- A new RFM segment can be named at once (it has no contacts until RFM is recomputed).
INSERT INTO engage.rfm_segments (name, position, m_min) VALUES ('Big spenders', 10, 5);
SELECT contacts, sample_ids FROM engage.preview_segment('{"rfm_segment": "Big spenders"}', :'at');
-- Readers preview these conditions too.
SET ROLE regress_engage_reader;
SELECT contacts FROM engage.preview_segment(format($$ {"and": [{"order": "DELIVERED"}, {"activity": "CLICKED", "message": %s},
    {"rfm_segment": "Champions"}]} $$, :sale)::jsonb, :'at');
RESET ROLE;

-- Refusals point into the rule, with a hint listing what there is.
SELECT engage.preview_segment('{"and": [{"channel": "email"}, {"order": "SHIPPED"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"order": "delivered"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"order": "DELIVERED", "never": true, "times": {"op": "at_least", "value": 1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"order": "DELIVERED", "total": {"op": "exactly", "value": 100}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"order": "DELIVERED", "total": {"op": "at_least", "value": "100"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"order": "DELIVERED", "times": {"op": "at_least", "value": 1.5}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"order": "DELIVERED", "within_days": -1}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"or": [{"activity": "OPENED"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"activity": "CLICKED", "message": 99999}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"activity": "CLICKED", "total": {"op": "at_least", "value": 1}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"not": {"rfm_segment": "champions"}}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.preview_segment('{"purchase": "DELIVERED"}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_segment('Shipped', '{"order": "SHIPPED"}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS segments_named_shipped FROM engage.segments WHERE name = 'Shipped';

-- Decisions the rule language leaves open.
-- A data source of purchases by email: Dina's are delivered, Ivan's only cancelled, Lesya's one
-- row has no amount and no status, Taras has none, Olena has no email (no key).
CREATE TABLE purchases_ext (email text, amount numeric, status text, placed timestamptz);
INSERT INTO purchases_ext VALUES ('dina@example.com', 40, 'DELIVERED', '2026-05-01 10:00Z'),
    ('dina@example.com', 80, 'DELIVERED', '2026-05-31 22:30Z'), ('ivan@example.com', 500, 'CANCELLED', '2026-06-01 02:00Z'),
    ('lesya@example.com', NULL, NULL, '2026-06-01 23:30Z'), ('stranger@example.com', 1000, 'DELIVERED', '2026-05-22 10:00Z');
SELECT name FROM engage.create_connector('here', contact_key => 'email');
SELECT source_id AS purchases FROM engage.create_data_source('purchases', 'here', 'purchases_ext', 'email') \gset

-- a. count and sum: a contact whose rows all fail the where is a contact with no rows, and a
--    contact with no rows (or no key) has a count of 0 and a sum of 0. Ivan (cancelled only),
--    Lesya (no status), Taras (no rows) and Olena (no email) have no delivered purchases: each
--    has a count of 0 and a sum of 0 (as orders' times and total, and events' times, have).
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s,
    "where": [{"column": "status", "op": "equals", "value": "DELIVERED"}], "count": {"op": "equals", "value": 0}} $$, :purchases)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s,
    "where": [{"column": "status", "op": "equals", "value": "DELIVERED"}], "count": {"op": "greater_or_equal", "value": 1}} $$, :purchases)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s,
    "where": [{"column": "status", "op": "equals", "value": "DELIVERED"}], "sum": {"column": "amount", "op": "equals", "value": 0}} $$, :purchases)::jsonb, :'at');
--    A sum adds the values there are: Lesya's only amount is NULL, so her sum is 0.
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s, "sum": {"column": "amount", "op": "less", "value": 100}} $$, :purchases)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s, "sum": {"column": "amount", "op": "greater", "value": 100}} $$, :purchases)::jsonb, :'at');

-- b. anniversary_is_today: only a date of an earlier year has an anniversary. Dina's birthday
--    (1990-06-01) is today in Kyiv; Ivan's date is today itself (2026-06-01): not an
--    anniversary; Lesya's (2030-06-01) is still to come. In 2031 all three have one.
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "anniversary_is_today"}', :birthday_field)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "anniversary_is_today"}', :birthday_field)::jsonb, '2031-06-01 12:00Z');
--    Olena's 29 February: on 28 February in years without a 29th, on the 29th in leap years.
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "anniversary_is_today"}', :birthday_field)::jsonb, '2027-02-28 12:00Z');
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "anniversary_is_today"}', :birthday_field)::jsonb, '2028-02-28 12:00Z');
SELECT contacts, sample_ids FROM engage.preview_segment(format('{"field": %s, "op": "anniversary_is_today"}', :birthday_field)::jsonb, '2028-02-29 12:00Z');
--    A contact created today is not its own anniversary; one created a year ago today is.
UPDATE engage.contacts c SET created_at = x.created_at
FROM (VALUES ('C-1', '2026-05-31 22:30Z'::timestamptz), ('C-2', '2026-06-01 02:00Z'), ('C-3', '2026-05-31 22:30Z'),
             ('C-4', '2026-06-01 01:00Z'), ('C-5', '2025-06-01 10:00Z')) x(customer, created_at)
WHERE c.external_customer_id = x.customer;
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "created_at", "op": "anniversary_is_today"}', :'at');

-- c. created_at's "today" is the contact's date in its own time zone, else in engage.time_zone;
--    neither UTC as such nor the session's TimeZone. Created "today" (1 June): Dina at 01:30 in
--    Kyiv, Taras at 01:00 in engage.time_zone (UTC); not Ivan (31 May, 22:00 in New York),
--    though it was 1 June in UTC.
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "created_at", "op": "is_today"}', :'at');
--    With engage.time_zone in Los Angeles, Taras was created on 31 May (18:00); Dina keeps her
--    own zone.
SET engage.time_zone = 'America/Los_Angeles';
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "created_at", "op": "is_today"}', :'at');
RESET engage.time_zone;
--    The session's TimeZone changes nothing.
SET TimeZone = 'Pacific/Auckland';
SELECT contacts, sample_ids FROM engage.preview_segment('{"attribute": "created_at", "op": "is_today"}', :'at');
SET TimeZone = 'UTC';

-- d. A NULL column in a data-source row: a negative operator in where takes it as different
--    (Lesya's row, with no status, is "not DELIVERED", as negations of fields include contacts
--    without a value). `not` around a source condition is "no such row", never unknown: Lesya
--    has no DELIVERED row, so she is in it.
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s,
    "where": [{"column": "status", "op": "not_equals", "value": "DELIVERED"}]} $$, :purchases)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"not": {"source": %s,
    "where": [{"column": "status", "op": "equals", "value": "DELIVERED"}]}} $$, :purchases)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"not": {"source": %s,
    "where": [{"column": "status", "op": "not_equals", "value": "DELIVERED"}]}} $$, :purchases)::jsonb, :'at');
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s,
    "where": [{"column": "status", "op": "is_empty"}]} $$, :purchases)::jsonb, :'at');

-- e. A timestamptz column's date is taken in the contact's time zone, and for a contact without
--    one in engage.time_zone. Placed "today": Dina's row of 31 May 22:30 UTC (1 June in Kyiv),
--    Lesya's of 1 June 23:30 UTC (in UTC, the default); not Ivan's of 1 June 02:00 UTC (31 May
--    in New York).
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s,
    "where": [{"column": "placed", "op": "is_today"}]} $$, :purchases)::jsonb, :'at');
--    With engage.time_zone in Tokyo, Lesya's row was placed on 2 June, and it is 1 June there.
SET engage.time_zone = 'Asia/Tokyo';
SELECT contacts, sample_ids FROM engage.preview_segment(format($$ {"source": %s,
    "where": [{"column": "placed", "op": "is_today"}]} $$, :purchases)::jsonb, :'at');
RESET engage.time_zone;

-- f. within_days (events, orders, activities) is a rolling window: n × 24 hours back from the
--    instant, not calendar days. Dina's event 23 hours ago is within 1 day; Ivan's 25 hours ago
--    is not (though it was "yesterday"); Lesya's after the instant has not happened yet.
SELECT engage.create_event_type('cartAbandoned', 'Cart abandoned') AS cart \gset
INSERT INTO engage.events (event_type_id, key_value, contact_id, registered_at)
SELECT :cart, c.external_customer_id, c.contact_id, e.registered_at
FROM (VALUES ('C-1', '2026-05-31 13:00Z'::timestamptz), ('C-2', '2026-05-31 11:00Z'), ('C-3', '2026-06-01 12:30Z'),
             ('C-4', '2026-03-28 12:30Z')) e(customer, registered_at)
JOIN engage.contacts c ON c.external_customer_id = e.customer;
SELECT contacts, sample_ids FROM engage.preview_segment('{"event": "cartAbandoned", "within_days": 1}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"event": "cartAbandoned", "within_days": 2}', :'at');
--    24 hours whatever the session's TimeZone: the night clocks moved forward in Kyiv
--    (29 March 2026), Taras's event 23½ hours before noon UTC is still within 1 day.
SET TimeZone = 'Europe/Kyiv';
SELECT contacts, sample_ids FROM engage.preview_segment('{"event": "cartAbandoned", "within_days": 1}', '2026-03-29 12:00Z');
SET TimeZone = 'UTC';
--    The same window for orders: Lesya's and Olena's orders of 31 May 09:00 and 10:00 are 27 and
--    26 hours old, not within 1 day, within 2.
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "any", "within_days": 1}', :'at');
SELECT contacts, sample_ids FROM engage.preview_segment('{"order": "any", "within_days": 2}', :'at');
