-- Data and baseline for bench/workflows.sh: 100,000 contacts with an email address, a message
-- that renders their name and the event's items, an each-time workflow of one send block
-- started by 'cart', and the baseline: a plain outbox table with the same columns and keys.
CREATE EXTENSION pg_engage CASCADE;
CREATE SCHEMA bench;
SELECT count(*) FROM engage.upsert_contacts((
    SELECT jsonb_build_object('contacts', jsonb_agg(jsonb_build_object(
        'externalCustomerId', 'C' || i, 'firstName', 'First' || i,
        'channels', jsonb_build_array(jsonb_build_object('type', 'email', 'value', 'user' || i || '@example.com')))))
    FROM generate_series(1, 100000) i));
INSERT INTO engage.messages (name, subject, body) VALUES ('cart', 'Your cart, $!contact.firstName',
$$Hello $!contact.firstName,
you left #if($data.get('total') > 100)quite a lot#else something#end in your cart:
#foreach($item in $data.get('items'))
- $item.get('name') × $item.get('qty')
#end
Total: $data.get('total')$$);
SELECT engage.create_workflow('cart', '[{"id": "send", "type": "send_message", "messageId": 1}]');
SELECT engage.link_event('cart', 'cart');
SELECT engage.activate_workflow('cart');

CREATE TABLE bench.plain_sends (
    send_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    bigint,
    request_id  uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    message_id  integer NOT NULL,
    channel     text NOT NULL,
    locator     text,
    contact_id  bigint,
    subject     text,
    body        text,
    data        jsonb,
    status      text NOT NULL DEFAULT 'QUEUED',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plain_sends_queue ON bench.plain_sends (send_id) WHERE status IN ('QUEUED', 'SENDING');

-- The set-based baseline: the sends of every event, rendered with engage.render (the same
-- message, $contact.firstName and the event's params as $data), in one INSERT … SELECT.
CREATE PROCEDURE bench.set_based_sends()
LANGUAGE sql AS $$
    INSERT INTO bench.plain_sends (event_id, message_id, channel, locator, contact_id, subject, body, data)
    SELECT e.event_id, 1, 'email', ch.value, c.contact_id,
           engage.render(m.subject, jsonb_build_object('contact', jsonb_build_object('firstName', c.first_name), 'data', e.params)),
           engage.render(m.body, jsonb_build_object('contact', jsonb_build_object('firstName', c.first_name), 'data', e.params)),
           e.params
    FROM engage.events e
    JOIN engage.contacts c ON c.contact_id = e.contact_id
    JOIN engage.channels ch ON ch.contact_id = c.contact_id AND ch.type = 'email'
    CROSS JOIN engage.messages m
    WHERE m.message_id = 1
    ORDER BY e.event_id
$$;

-- Event to send latency with the worker running: each event committed on its own, then polled
-- for every half millisecond until its send is there. Returns the latencies in milliseconds.
CREATE TABLE bench.latency (event_id bigint, ms float8);
CREATE PROCEDURE bench.measure_latency(n integer)
LANGUAGE plpgsql AS $$
DECLARE
    id bigint;
    committed timestamptz;
BEGIN
    FOR i IN 1..n LOOP
        id := engage.generate_event(jsonb_build_object('eventTypeKey', 'cart', 'keyValue', 'user' || i || '@example.com',
              'params', jsonb_build_array(jsonb_build_object('name', 'total', 'value', i))));
        COMMIT;
        committed := clock_timestamp();
        -- Found by contact (sends_contact), then instance.
        WHILE NOT EXISTS (SELECT FROM engage.events e
                          JOIN engage.workflow_instances w ON w.event_id = e.event_id
                          JOIN engage.sends s ON s.contact_id = e.contact_id AND s.instance_id = w.instance_id
                          WHERE e.event_id = id) LOOP
            PERFORM pg_sleep(0.0005);
            IF clock_timestamp() - committed > interval '10 seconds' THEN
                RAISE EXCEPTION 'event % was not sent within 10 seconds', id;
            END IF;
        END LOOP;
        INSERT INTO bench.latency VALUES (id, extract(epoch FROM clock_timestamp() - committed) * 1000);
        COMMIT;
    END LOOP;
END
$$;
