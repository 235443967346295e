-- Data and baselines for bench/sends.sh: :n contacts with an email address and a first name, a
-- data source of promo codes keyed by email (one or two codes each), a static group of everyone,
-- spec 000's promo-code message; and what a user would write without pg_engage: an outbox table
-- with the same columns and keys as engage.sends, and a pgmq-like queue table.
CREATE EXTENSION pg_engage CASCADE;
CREATE SCHEMA bench;
INSERT INTO engage.contacts (contact_id, external_customer_id, first_name, source)
SELECT i, 'C' || i, 'First' || i, 'IMPORT' FROM generate_series(1, :n) i;
INSERT INTO engage.channels (type, value, contact_id) SELECT 'email', 'user' || i || '@example.com', i FROM generate_series(1, :n) i;
SELECT setval(pg_get_serial_sequence('engage.contacts', 'contact_id'), :n);
CREATE TABLE bench.promo_codes (email text, name text, promo_code text);
INSERT INTO bench.promo_codes SELECT 'user' || i || '@example.com', 'First' || i, 'CODE-' || i || '-' || k
FROM generate_series(1, :n) i, generate_series(1, 1 + i % 2) k;
CREATE INDEX ON bench.promo_codes (email);
SELECT name FROM engage.create_connector('local');
SELECT name FROM engage.create_data_source('promo_codes', 'local', 'bench.promo_codes', 'email');
SELECT engage.create_group('Everyone') AS everyone \gset
INSERT INTO engage.segment_members (segment_id, contact_id) SELECT :everyone, i FROM generate_series(1, :n) i;
INSERT INTO engage.messages (message_id, name, subject, body) VALUES (1, 'promo', '$!contact.firstName, your codes',
$$#foreach($pc in $!data.get('promo_codes'))$!pc.get('name'): $!pc.get('promo_code')
#end$$);

-- The baseline outbox: the columns and indexes of engage.sends.
CREATE TABLE bench.outbox (LIKE engage.sends INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY);
ALTER TABLE bench.outbox ADD PRIMARY KEY (send_id), ADD UNIQUE (request_id);
CREATE INDEX ON bench.outbox (channel, priority, send_id) WHERE status = 'QUEUED';
CREATE INDEX ON bench.outbox (lease_until) WHERE status = 'SENDING';
CREATE INDEX ON bench.outbox (instance_id) WHERE instance_id IS NOT NULL;
CREATE INDEX ON bench.outbox (broadcast_id) WHERE status IN ('QUEUED', 'PAUSED', 'SENDING');
CREATE INDEX ON bench.outbox (contact_id);

-- The baseline broadcast: the same message rendered per contact with engage.render, with the same
-- $contact fields and $data the template reads, in one INSERT … SELECT.
CREATE PROCEDURE bench.plain_broadcast()
LANGUAGE sql AS $$
    INSERT INTO bench.outbox (message_id, channel, locator, contact_id, subject, body, data, campaign_type, broadcast_id)
    SELECT 1, 'email', ch.value, c.contact_id,
           engage.render(m.subject, jsonb_build_object('contact', jsonb_build_object('firstName', c.first_name), 'data', d.data)),
           engage.render(m.body, jsonb_build_object('contact', jsonb_build_object('firstName', c.first_name), 'data', d.data)),
           d.data, 'Group', 1
    FROM engage.contacts c
    JOIN engage.channels ch ON ch.contact_id = c.contact_id AND ch.type = 'email'
    LEFT JOIN (SELECT p.email, jsonb_build_object('promo_codes', jsonb_agg(to_jsonb(p) ORDER BY to_jsonb(p)::text)) AS data
               FROM bench.promo_codes p GROUP BY p.email) d ON d.email = ch.value
    CROSS JOIN engage.messages m
    WHERE m.message_id = 1
    ORDER BY c.contact_id
$$;

-- The pgmq-like queue for the transport baseline: pgmq's table (a message invisible until vt,
-- read_ct reads) and its index on vt.
CREATE TABLE bench.queue (msg_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, read_ct integer NOT NULL DEFAULT 0,
                          enqueued_at timestamptz NOT NULL DEFAULT now(), vt timestamptz NOT NULL DEFAULT now(),
                          message jsonb NOT NULL);
CREATE INDEX ON bench.queue (vt);
