-- Seeded hostile inputs for every function that takes a JSON body (run by tests/hardening.sh):
-- valid bodies of each documented shape, mutated at random places into what an attacker or a
-- buggy client sends (nulls, wrong types, huge strings and numbers, thousands of keys, nesting
-- thousands deep, unknown keys, missing keys), each call in its own subtransaction. Every call
-- must end in a result or an error of a specific class: the table hostile.calls records each
-- call's SQLSTATE, and the script fails on any of class XX (or on the server going away).
-- psql variables: seed (for setseed), rounds (calls per body shape).
\set ON_ERROR_STOP 1
SET client_min_messages = error;
CREATE EXTENSION pg_engage CASCADE;
CREATE SCHEMA hostile;
CREATE TABLE hostile.calls (shape text, body jsonb, sqlstate text, message text);

-- What the bodies name exists: a field, contacts, a message, an event type, a group.
SELECT engage.create_field('Plan', 'combobox', ARRAY['free', 'pro'], field_id => 20001);
SELECT engage.create_field('Birthday', 'date', field_id => 20002);
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "H-1", "channels": [{"type": "email", "value": "a@example.com"}, {"type": "sms", "value": "+380501234567"}]}]}');
INSERT INTO engage.messages (message_id, name, subject, body)
VALUES (1, 'hostile', 'Hi $!contact.firstName', '#foreach($i in $!data.items)$!i.name $!i.price #end $!data.code');
SELECT engage.create_group('Hostile');

-- A hostile JSON value.
CREATE FUNCTION hostile.value(depth int DEFAULT 0) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    n int;
BEGIN
    CASE floor(random() * 20)::int
        WHEN 0 THEN RETURN 'null';
        WHEN 1 THEN RETURN 'true';
        WHEN 2 THEN RETURN '-0';
        WHEN 3 THEN RETURN ('1' || repeat('0', 400))::jsonb;
        WHEN 4 THEN RETURN to_jsonb(repeat('x', (random() * 200000)::int));
        WHEN 5 THEN RETURN to_jsonb(E'\u2603 \u00fc\u00df \u0627 \U0001F600 ''q" \\ <b>%s%n</b> $x #set('::text);
        WHEN 6 THEN n := (random() * 400)::int; RETURN (repeat('[', n) || repeat(']', n))::jsonb;
        WHEN 7 THEN n := 5000 + (random() * 5000)::int; RETURN (repeat('{"a":', n) || '1' || repeat('}', n))::jsonb;
        WHEN 8 THEN RETURN (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 5000) i);
        WHEN 9 THEN RETURN (SELECT jsonb_agg(i) FROM generate_series(1, 20000) i);
        WHEN 10 THEN RETURN '""';
        WHEN 11 THEN RETURN '[]';
        WHEN 12 THEN RETURN '{}';
        WHEN 13 THEN RETURN '-9223372036854775809';
        WHEN 14 THEN RETURN '123456789012345678901234567890.123456789';
        WHEN 15 THEN RETURN '"2026-02-30"';
        WHEN 16 THEN RETURN '"   "';
        WHEN 17 THEN RETURN '1e-300';
        WHEN 18 THEN RETURN '"not-an-email@"';
        ELSE
            IF depth > 2 THEN RETURN '0'; END IF;
            RETURN jsonb_build_object('unknownKey', hostile.value(depth + 1), 'x', jsonb_build_array(hostile.value(depth + 1)));
    END CASE;
END
$$;

-- `doc` with one random place (the whole, an object member or an array element) replaced by a
-- hostile value, removed, or given an unknown sibling.
CREATE FUNCTION hostile.mutate(doc jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    place text[];
BEGIN
    WITH RECURSIVE p(path, v) AS (
        SELECT '{}'::text[], doc
        UNION ALL
        SELECT p.path || c.k, c.v FROM p CROSS JOIN LATERAL (
            SELECT e.key AS k, e.value AS v
            FROM jsonb_each(CASE WHEN jsonb_typeof(p.v) = 'object' THEN p.v ELSE '{}' END) e
            UNION ALL
            SELECT (a.i - 1)::text, a.v
            FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.v) = 'array' THEN p.v ELSE '[]' END) WITH ORDINALITY a(v, i)) c
        WHERE cardinality(p.path) < 6)
    SELECT path INTO place FROM p ORDER BY random() LIMIT 1;
    IF cardinality(place) = 0 THEN
        RETURN hostile.value();
    END IF;
    CASE floor(random() * 4)::int
        WHEN 0 THEN RETURN doc #- place;
        WHEN 1 THEN
            IF jsonb_typeof(doc #> place[1:cardinality(place) - 1]) = 'object' THEN
                RETURN jsonb_set(doc, place[1:cardinality(place) - 1] || ARRAY['unexpectedKey'], hostile.value(), true);
            END IF;
            RETURN jsonb_set(doc, place, hostile.value());
        ELSE RETURN jsonb_set(doc, place, hostile.value());
    END CASE;
END
$$;

-- Calls `call` (with $1 the body) on mutations of `seed`, `rounds` times, recording each outcome.
CREATE FUNCTION hostile.run(shape text, seed jsonb, call text, rounds int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    body jsonb;
    state text;
    message text;
BEGIN
    FOR i IN 1 .. rounds LOOP
        body := seed;
        BEGIN
            FOR m IN 1 .. 1 + floor(random() * 3)::int LOOP
                body := hostile.mutate(body);
            END LOOP;
            EXECUTE call USING body;
            state := '00000';
            message := NULL;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
        END;
        INSERT INTO hostile.calls VALUES (shape, CASE WHEN length(body::text) < 2000 THEN body END, state, message);
    END LOOP;
END
$$;

SELECT setseed(:seed);
SELECT hostile.run('upsert_contacts', '{"contacts": [{"externalCustomerId": "H-2", "firstName": "Ann", "lastName": "Lee",
    "languageCode": "uk", "timeZone": "Europe/Kyiv", "channels": [{"type": "email", "value": "b@example.com"}],
    "fields": [{"id": 20001, "value": "pro"}, {"id": 20002, "value": "1990-01-31"}]}], "customFieldsIDs": [20001]}',
    'SELECT count(*) FROM engage.upsert_contacts($1)', :rounds);
SELECT hostile.run('subscribe_contact', '{"contact": {"firstName": "Bo", "channels": [{"type": "email", "value": "c@example.com"}]},
    "groups": ["Subscribers"]}', 'SELECT count(*) FROM engage.subscribe_contact($1)', :rounds);
SELECT hostile.run('generate_event', '{"eventTypeKey": "hostileEvent", "keyValue": "a@example.com",
    "params": [{"name": "cartTotal", "value": "120.50"}, {"name": "items", "value": {"items": [{"name": "X", "price": 9.5}]}}]}',
    'SELECT engage.generate_event($1)', :rounds);
SELECT hostile.run('generate_events', '[{"eventTypeKey": "hostileEvent", "keyValue": "H-1", "params": [{"name": "a", "value": 1}]},
    {"eventTypeKey": "other", "keyValue": "+380501234567"}]', 'SELECT count(*) FROM engage.generate_events($1)', :rounds);
SELECT hostile.run('unsubscribe_emails', '{"emails": ["a@example.com", "d@example.com"]}',
    'SELECT engage.unsubscribe_emails($1) + engage.remove_unsubscribed_emails($1)', :rounds);
SELECT hostile.run('smartsend', '{"recipients": [{"locator": "a@example.com", "jsonParam": "{\"code\": \"X-1\", \"items\": [{\"name\": \"n\", \"price\": 1}]}"},
    {"locator": "e@example.com", "jsonParam": {"code": 7}}], "externalRequestId": "r-1"}',
    'SELECT engage.smartsend(1, $1)', :rounds);
SELECT hostile.run('create_workflow', '[{"id": "send", "type": "send_message", "messageId": 1, "next": "wait"},
    {"id": "wait", "type": "wait", "duration": "1 hour", "next": "test"},
    {"id": "test", "type": "condition", "param": "cartTotal", "op": "greater", "value": 100, "yes": "end", "no": "send"},
    {"id": "end", "type": "exit"}]', 'SELECT engage.create_workflow(''w'' || random(), $1)', :rounds);
SELECT hostile.run('preview_segment', '{"and": [{"field": 20001, "op": "in", "value": ["pro"]}, {"channel": "email"},
    {"not": {"event": "hostileEvent", "within_days": 30, "times": {"op": "at_least", "value": 2}}},
    {"attribute": "first_name", "op": "starts_with", "value": "A"}]}',
    'SELECT contacts FROM engage.preview_segment($1, ''2026-06-01 12:00Z'')', :rounds);
SELECT hostile.run('render', '{"data": {"items": [{"name": "A", "price": 1.5}], "code": "X"}, "n": 3}',
    'SELECT engage.render(''#foreach($i in $!data.items)$!i.name: $!i.price.toString()#end $!data.code.length() $!n'', $1)', :rounds);
SELECT hostile.run('render_message', '{"items": [{"name": "A", "price": 1.5}], "code": "X"}',
    'SELECT body FROM engage.render_message(1, (SELECT contact_id FROM engage.contacts LIMIT 1), $1)', :rounds);
SELECT hostile.run('report_delivery', '{"errorCode": "550 5.1.1", "link": "https://x.example", "at": "2026-06-01T00:00:00Z"}',
    'SELECT engage.report_delivery(''3ff28330-f8ef-4636-92ac-86345c16995e'', ''UNDELIVERED'', $1)', :rounds);
SELECT hostile.run('add_orders', '{"orders": [{"externalOrderId": "O-1", "externalCustomerId": "H-1", "totalCost": 1000,
    "status": "IN PROGRESS", "date": "2017-03-08T09:30:00+02:00", "email": "a@example.com", "phone": "380942583691",
    "currency": "usd", "shipping": 10, "discount": "0.50", "additionalInfo": {"gift": true},
    "items": [{"externalItemId": "P-1", "name": "Device", "quantity": 2, "cost": 990, "url": "https://x.example/p"}]}]}',
    'SELECT engage.add_orders($1, skip_invalid => random() < 0.5)', :rounds);
SELECT hostile.run('register_devices', '{"devices": [{"deviceId": "dev-1", "pushToken": "tok-1", "category": "MOBILE_PUSH",
    "osType": "ANDROID", "applicationId": 7, "timeZone": "Europe/Kyiv", "externalCustomerId": "H-1", "email": "a@example.com"}]}',
    'SELECT count(*) FROM engage.register_devices($1)', :rounds);
SELECT hostile.run('commerce_rule', '{"and": [{"order": "DELIVERED", "within_days": 90, "total": {"op": "at_least", "value": 100.5}},
    {"activity": "CLICKED", "message": 1, "times": {"op": "at_most", "value": 3}}, {"not": {"rfm_segment": "Champions"}}]}',
    'SELECT contacts FROM engage.preview_segment($1, ''2026-06-01 12:00Z'')', :rounds);
SELECT hostile.run('catalog_rule', '{"or": [{"field": 20002, "op": "anniversary_is_today"}, {"unsubscribed": true}]}',
    'SELECT engage.create_segment(''s'' || random(), $1)', :rounds);
