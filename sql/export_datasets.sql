-- The nine datasets of the data export (spec 001, "Set up Data Export"): for each, a function
-- that returns its rows in the spec's columns (names in its camelCase spelling, the order of the
-- target table) and, for datasets whose rows change, a function that lists the keys of rows
-- that changed since an earlier snapshot. sql/exports.sql creates the target tables from the
-- row functions' declared columns and runs the exports.
--
-- How a run finds what changed since the last one (DESIGN amendment 33): each run records the
-- transaction snapshot it exported (txid_current_snapshot()). A row was written since then when
-- the transaction that wrote it was not visible in that snapshot:
-- * rows that are only ever added (events, contact activities) carry that transaction
--   (written_xid, BRIN-indexed), so new rows are a range scan;
-- * rows that are updated in place are found by their xmin (engage_internal.written_since): a scan with a
--   cheap test, but no column or trigger on the tables the engine writes most;
-- * rows that are deleted leave a tombstone (engage.export_tombstones, sql/export_tombstones.sql)
--   with the dataset and key; a TRUNCATE leaves one without a key, which makes the next run of the
--   dataset a full one.

-- The datasets, in spec 001's spelling, with their target table and how a run updates it:
-- append-only datasets get the rows added since the last run; the others have their rows
-- replaced by key (delete the key's rows, insert what the source has now for it: a key may have
-- several rows, as an order has items), which updates, inserts and deletes alike.
CREATE TABLE engage.export_datasets (
    dataset    text PRIMARY KEY,
    table_name name NOT NULL UNIQUE,
    -- The column rows are replaced by; NULL for append-only datasets.
    key_column text,
    -- Whether the key names one row (the target table's primary key) or a group of rows.
    key_unique boolean,
    -- The table the rows come from (its size estimates the rows to do; an append-only dataset's
    -- first copy goes through it in batches of pages).
    source     regclass NOT NULL
);
COMMENT ON TABLE engage.export_datasets IS 'The nine datasets of the data export (the data-source guide): one row per dataset, with its target table and how a run updates it (by key, or append-only).';
COMMENT ON COLUMN engage.export_datasets.dataset IS 'The dataset''s name in the data-source guide''s spelling (contactActivities, orderItems, …).';
COMMENT ON COLUMN engage.export_datasets.table_name IS 'Name of the dataset''s table in an export''s target schema.';
COMMENT ON COLUMN engage.export_datasets.key_column IS 'Target column by which a run replaces rows (deletes and inserts them anew); NULL: append-only, new rows added.';
COMMENT ON COLUMN engage.export_datasets.key_unique IS 'true: the key names one row (the table''s primary key); false: a group of rows (indexed); NULL: append-only.';
COMMENT ON COLUMN engage.export_datasets.source IS 'The table the rows come from; its size estimates a full copy''s rows.';
INSERT INTO engage.export_datasets (dataset, table_name, key_column, key_unique, source) VALUES
    ('broadcasts', 'broadcasts', 'id', false, 'engage.broadcasts'),
    ('contactActivities', 'contact_activities', NULL, NULL, 'engage.contact_activities'),
    ('contacts', 'contacts', 'contactId', true, 'engage.contacts'),
    ('devices', 'devices', 'deviceId', true, 'engage.devices'),
    ('events', 'events', NULL, NULL, 'engage.events'),
    ('messages', 'messages', 'messageId', true, 'engage.messages'),
    ('orderItems', 'order_items', 'orderId', false, 'engage.order_items'),
    ('orders', 'orders', 'orderId', true, 'engage.orders'),
    ('revenue', 'revenue', 'externalOrderId', true, 'engage.revenue');

-- The rows of heap pages first_page to last_page - 1 (NULL: no bound), as a condition on ctid that
-- the planner turns into a TID range scan: a first copy reads an append-only table in batches
-- as one sequential scan would, without an index.
-- (STABLE, as format() is: an IMMUTABLE function whose body is not would not be inlined, and the
-- scan would test every row of the table in every batch.)
CREATE FUNCTION engage_internal.in_pages(row_ctid tid, first_page bigint, last_page bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (first_page IS NULL OR row_ctid >= format('(%s,0)', first_page)::tid)
           AND (last_page IS NULL OR row_ctid < format('(%s,0)', last_page)::tid)
$$;

-- Whether a row whose xmin is row_xmin was written since the snapshot `since`. `stable` is the
-- 64-bit form of the transaction age() counts from (engage_internal.export_stable_xid()): the row's
-- transaction is stable - age(row_xmin). A frozen row's age is the largest there is, so it reads
-- as older than any snapshot.
CREATE FUNCTION engage_internal.written_since(row_xmin xid, since txid_snapshot, stable bigint) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT age(row_xmin) <= stable - txid_snapshot_xmin(since)
           AND NOT txid_visible_in_snapshot(stable - age(row_xmin), since)
$$;

-- The transaction age() counts from in this transaction, with its epoch. age() counts from the
-- current transaction's ID once it has one (this assigns it) or else from the next ID, fixed at
-- its first use in the transaction; adding age() of our own ID covers both.
CREATE FUNCTION engage_internal.export_stable_xid() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    SELECT x + age((x % 4294967296)::text::xid) FROM txid_current() x
$$;

-- Whether a row of an append-only table written by `written` belongs to a run that exports up
-- to snapshot `upto` (NULL: whatever is visible) after one that exported `since` (NULL: none).
CREATE FUNCTION engage_internal.appended_between(written bigint, since txid_snapshot, upto txid_snapshot) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (since IS NULL OR (written >= txid_snapshot_xmin(since) AND NOT txid_visible_in_snapshot(written, since)))
           AND (upto IS NULL OR (written < txid_snapshot_xmax(upto) AND txid_visible_in_snapshot(written, upto)))
$$;

-- Deleted rows of a dataset leave tombstones: the keys, read from the statement's deleted rows.
-- A truncate leaves one without a key.
CREATE FUNCTION engage_internal.export_tombstone() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO engage.export_tombstones (dataset, key)
        SELECT d, NULL FROM unnest(TG_ARGV) d;
    ELSIF TG_TABLE_NAME = 'contacts' THEN
        INSERT INTO engage.export_tombstones (dataset, key) SELECT 'contacts', g.contact_id::text FROM gone g;
    ELSIF TG_TABLE_NAME = 'channels' THEN
        INSERT INTO engage.export_tombstones (dataset, key)
        SELECT DISTINCT 'contacts', g.contact_id::text FROM gone g WHERE g.type IN ('email', 'sms');
    ELSIF TG_TABLE_NAME = 'unsubscribed_emails' THEN
        INSERT INTO engage.export_tombstones (dataset, key)
        SELECT DISTINCT 'contacts', ch.contact_id::text FROM gone g
        JOIN engage.channels ch ON ch.type = 'email' AND ch.value = g.email;
    ELSIF TG_TABLE_NAME = 'devices' THEN
        INSERT INTO engage.export_tombstones (dataset, key) SELECT 'devices', g.device_id FROM gone g;
    ELSIF TG_TABLE_NAME = 'orders' THEN
        INSERT INTO engage.export_tombstones (dataset, key)
        SELECT d.dataset, CASE d.dataset WHEN 'revenue' THEN g.external_order_id ELSE g.order_id::text END
        FROM gone g CROSS JOIN (VALUES ('orders'), ('orderItems'), ('revenue')) d(dataset);
    ELSIF TG_TABLE_NAME = 'revenue' THEN
        INSERT INTO engage.export_tombstones (dataset, key) SELECT 'revenue', g.external_order_id FROM gone g;
    ELSIF TG_TABLE_NAME = 'broadcasts' THEN
        INSERT INTO engage.export_tombstones (dataset, key) SELECT 'broadcasts', g.broadcast_id::text FROM gone g;
    ELSE -- messages, message_translations
        INSERT INTO engage.export_tombstones (dataset, key) SELECT DISTINCT 'messages', g.message_id::text FROM gone g;
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('contacts', '''contacts'', ''devices'', ''orders'', ''orderItems'', ''revenue'''),
        ('channels', '''contacts'''), ('unsubscribed_emails', '''contacts'''), ('devices', '''devices'''),
        ('orders', '''orders'', ''orderItems'', ''revenue'''), ('broadcasts', '''broadcasts'''),
        ('messages', '''messages'''), ('message_translations', '''messages''')) AS x(relation, datasets)
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON engage.%I REFERENCING OLD TABLE AS gone
                        FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.export_tombstone()',
                       t.relation || '_export_tombstones', t.relation);
        EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON engage.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.export_tombstone(%s)',
                       t.relation || '_export_truncated', t.relation, t.datasets);
    END LOOP;
END
$$;

-- Keys of the dataset's rows deleted since `since` (all of them: a NULL among them).
CREATE FUNCTION engage_internal.export_tombstoned(dataset text, since txid_snapshot) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT t.key FROM engage.export_tombstones t
    WHERE t.dataset = export_tombstoned.dataset AND engage_internal.appended_between(t.written_xid, since, NULL)
$$;

-- Order statuses as spec 001 spells them (pg_engage stores IN_PROGRESS and CANCELLED).
CREATE FUNCTION engage_internal.export_order_status(status text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE status WHEN 'IN_PROGRESS' THEN 'IN PROGRESS' WHEN 'CANCELLED' THEN 'CANCELED' ELSE status END
$$;

-- Rows of the datasets. Keyed datasets take the keys to return (NULL: all); append-only ones the
-- snapshots of the last run and this one (NULL: none), a range of heap pages (NULL: no bound) and
-- a range of their partition key (page numbers are a partition's own, so a first copy names
-- the partition by its range, which the planner prunes to). Inlined into the statement that
-- calls them, with NULLs folded away.

CREATE FUNCTION engage_internal.export_rows_broadcasts(keys bigint[])
RETURNS TABLE ("createdDate" timestamptz, "groupId" bigint, id bigint, "mediaType" text, "messageId" integer,
               name text, "startedDate" timestamptz, status text, "updatedDate" timestamptz)
LANGUAGE sql STABLE AS $$
    -- One row per segment of the broadcast (the spec's groupId is one segment ID).
    SELECT b.created_at, g.segment_id, b.broadcast_id, b.media_type, b.message_id, b.name, b.started_at, b.status,
           b.updated_at
    FROM engage.broadcasts b CROSS JOIN LATERAL unnest(b.segment_ids) g(segment_id)
    WHERE keys IS NULL OR b.broadcast_id = ANY (keys)
$$;

CREATE FUNCTION engage_internal.export_rows_contact_activities(since txid_snapshot, upto txid_snapshot, first_page bigint,
                                                      last_page bigint, key_from uuid, key_to uuid)
RETURNS TABLE (activity text, "activityStatus" text, "workflowInstanceId" text, "broadcastId" bigint,
               "campaignType" text, "clickEventLink" text, "contactId" bigint, "errorCode" text,
               "statusDescription" text, "eventKey" text, "eventTypeKey" text, "externalCustomerId" text,
               "mediaType" text, "messageInstanceId" bigint, "messageLanguageCode" text, "messageName" text,
               "messageId" integer, "messageTags" text, "messageURL" text, "senderName" text,
               started timestamptz, "activityDateTime" timestamptz, "utmCampaign" text, "workflowId" bigint,
               "workflowBlockId" text)
LANGUAGE sql STABLE AS $$
    SELECT a.activity, a.activity, a.workflow_instance_id::text, a.broadcast_id, a.campaign_type, a.click_event_link,
           a.contact_id, a.error_code, a.error_code, a.event_key, a.event_type_key, a.external_customer_id,
           a.media_type, a.message_instance_id, a.message_language_code, a.message_name, a.message_id,
           a.message_tags, a.message_url, a.sender_name, a.activity_at, a.activity_at, a.utm_campaign,
           a.workflow_id, a.workflow_block_id
    FROM engage.contact_activities a
    WHERE a.request_id >= key_from AND a.request_id < key_to
      AND engage_internal.in_pages(a.ctid, first_page, last_page) AND engage_internal.appended_between(a.written_xid, since, upto)
$$;

-- Sent: reported DELIVERED or UNDELIVERED by the transport; received: DELIVERED (spec 001: "the
-- last delivery"); viewed: RECEIVED (an open); clicked: CLICKED.
CREATE FUNCTION engage_internal.export_rows_contacts(keys bigint[])
RETURNS TABLE ("contactId" bigint, "contactSource" text, "createdDate" timestamptz, email text, "emailDomain" text,
               "emailStatus" text, "externalCustomerId" text, "firstName" text, "languageCode" text,
               "lastClickedDate" timestamptz, "lastName" text, "lastReceivedDate" timestamptz,
               "lastSentDate" timestamptz, "lastViewedDate" timestamptz, sms text, "totalClicked" integer,
               "totalReceived" integer, "totalSent" integer, "totalViewed" integer)
LANGUAGE sql STABLE AS $$
    SELECT c.contact_id, c.source, c.created_at, e.value, split_part(e.value, '@', 2),
           CASE WHEN e.value IS NULL THEN NULL
                WHEN u.email IS NOT NULL THEN 'UNSUBSCRIBED'
                WHEN e.bounced_at IS NOT NULL THEN 'BOUNCED'
                WHEN e.status = 'inactive' THEN 'INACTIVE'
                ELSE 'ACTIVE' END,
           c.external_customer_id, c.first_name, c.language_code, s.last_clicked, c.last_name, s.last_received,
           s.last_sent, s.last_viewed, p.value, coalesce(s.clicked, 0), coalesce(s.received, 0),
           coalesce(s.sent, 0), coalesce(s.viewed, 0)
    FROM engage.contacts c
    LEFT JOIN engage.channels e ON e.contact_id = c.contact_id AND e.type = 'email'
    LEFT JOIN engage.unsubscribed_emails u ON u.email = e.value
    LEFT JOIN engage.channels p ON p.contact_id = c.contact_id AND p.type = 'sms'
    LEFT JOIN (
        SELECT a.contact_id,
               count(*) FILTER (WHERE a.activity IN ('DELIVERED', 'UNDELIVERED'))::integer AS sent,
               max(a.activity_at) FILTER (WHERE a.activity IN ('DELIVERED', 'UNDELIVERED')) AS last_sent,
               count(*) FILTER (WHERE a.activity = 'DELIVERED')::integer AS received,
               max(a.activity_at) FILTER (WHERE a.activity = 'DELIVERED') AS last_received,
               count(*) FILTER (WHERE a.activity = 'RECEIVED')::integer AS viewed,
               max(a.activity_at) FILTER (WHERE a.activity = 'RECEIVED') AS last_viewed,
               count(*) FILTER (WHERE a.activity = 'CLICKED')::integer AS clicked,
               max(a.activity_at) FILTER (WHERE a.activity = 'CLICKED') AS last_clicked
        FROM engage.contact_activities a
        WHERE a.activity IN ('DELIVERED', 'UNDELIVERED', 'RECEIVED', 'CLICKED')
          AND (keys IS NULL OR a.contact_id = ANY (keys))
        GROUP BY a.contact_id
    ) s ON s.contact_id = c.contact_id
    WHERE keys IS NULL OR c.contact_id = ANY (keys)
$$;

CREATE FUNCTION engage_internal.export_rows_devices(keys text[])
RETURNS TABLE ("appVersion" text, "applicationId" bigint, category text, "contactId" bigint, "deviceId" text,
               "deviceModel" text, "externalCustomerId" text, "languageCode" text, "osType" text,
               "osVersion" text, "pushToken" text, "timeZone" text)
LANGUAGE sql STABLE AS $$
    SELECT d.app_version, d.application_id, d.category, d.contact_id, d.device_id, d.device_model,
           coalesce(c.external_customer_id, d.external_customer_id), d.language_code, d.os_type, d.os_version,
           d.push_token, d.time_zone
    FROM engage.devices d
    LEFT JOIN engage.contacts c ON c.contact_id = d.contact_id
    WHERE keys IS NULL OR d.device_id = ANY (keys)
$$;

-- paramsJson: the first 50 params (in jsonb's key order: shorter names first) as
-- [{"name", "value"}], each value as text cut to 300 characters.
CREATE FUNCTION engage_internal.export_event_params(params jsonb) RETURNS json
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(json_agg(jsonb_build_object('name', p.key, 'value', left(p.value, 300))), '[]')
    FROM (SELECT * FROM jsonb_each_text(params) LIMIT 50) p
$$;

CREATE FUNCTION engage_internal.export_rows_events(since txid_snapshot, upto txid_snapshot, first_page bigint, last_page bigint,
                                          key_from timestamptz, key_to timestamptz)
RETURNS TABLE ("contactId" bigint, "eventId" bigint, "eventTypeKey" text, "keyValue" text, occured timestamptz,
               "paramsJson" json)
LANGUAGE sql STABLE AS $$
    SELECT e.contact_id, e.event_id, t.key, e.key_value, e.registered_at, engage_internal.export_event_params(e.params)
    FROM engage.events e
    JOIN engage.event_types t ON t.event_type_id = e.event_type_id
    WHERE e.registered_at >= key_from AND e.registered_at < key_to
      AND engage_internal.in_pages(e.ctid, first_page, last_page) AND engage_internal.appended_between(e.written_xid, since, upto)
$$;

-- translations: the languages of the message's other versions, comma-separated.
CREATE FUNCTION engage_internal.export_rows_messages(keys integer[])
RETURNS TABLE ("annoyanceLevel" integer, language text, "mediaType" text, "messageId" integer, name text,
               "replyTo" text, sender text, subject text, tags text, translations text, "updateDate" timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT m.annoyance_level, m.language, m.media_type, m.message_id, m.name, m.reply_to, m.sender, m.subject,
           array_to_string(m.tags, ','), t.languages, greatest(m.updated_at, t.updated_at)
    FROM engage.messages m
    LEFT JOIN LATERAL (
        SELECT string_agg(x.language, ',' ORDER BY x.language) AS languages, max(x.updated_at) AS updated_at
        FROM engage.message_translations x WHERE x.message_id = m.message_id
    ) t ON true
    WHERE keys IS NULL OR m.message_id = ANY (keys)
$$;

CREATE FUNCTION engage_internal.export_rows_order_items(keys bigint[])
RETURNS TABLE (cost numeric, description text, "externalProductId" text, "imageUrl" text, name text,
               "orderDate" timestamptz, "orderId" bigint, quantity integer, url text)
LANGUAGE sql STABLE AS $$
    SELECT i.cost, i.description, i.external_item_id, i.image_url, i.name, o.order_date, i.order_id, i.quantity, i.url
    FROM engage.order_items i
    JOIN engage.orders o ON o.contact_id = i.contact_id AND o.order_id = i.order_id
    WHERE keys IS NULL OR o.order_id = ANY (keys)
$$;

CREATE FUNCTION engage_internal.export_rows_orders(keys bigint[])
RETURNS TABLE ("contactId" bigint, "deliveryAddress" text, "deliveryMethod" text, discount numeric, email text,
               "externalOrderId" text, "firstName" text, "lastName" text, "orderCreatedDate" timestamptz,
               "orderDate" timestamptz, "orderId" bigint, "paymentMethod" text, phone text, status text,
               "totalCost" numeric)
LANGUAGE sql STABLE AS $$
    SELECT o.contact_id, o.delivery_address, o.delivery_method, o.discount, o.email, o.external_order_id, o.first_name,
           o.last_name, o.created_at, o.order_date, o.order_id, o.payment_method, o.phone,
           engage_internal.export_order_status(o.status), o.total_cost
    FROM engage.orders o
    WHERE keys IS NULL OR o.order_id = ANY (keys)
$$;

CREATE FUNCTION engage_internal.export_rows_revenue(keys text[])
RETURNS TABLE (activity text, "activityStatus" text, "campaignType" text, "clickEventLink" text, "contactId" bigint,
               currency text, "externalCustomerId" text, "externalOrderId" text, "mediaType" text,
               "messageInstanceId" bigint, "messageName" text, "messageTags" text, "messageUrl" text,
               "orderDate" timestamptz, "senderName" text, started timestamptz, "activityDateTime" timestamptz,
               "totalCost" numeric, "utmCampaign" text)
LANGUAGE sql STABLE AS $$
    SELECT r.activity, r.activity, r.campaign_type, r.click_event_link, r.contact_id, r.currency,
           r.external_customer_id, r.external_order_id, r.media_type, r.message_instance_id, r.message_name,
           r.message_tags, r.message_url, r.order_date, r.sender_name, r.activity_at, r.activity_at, r.total_cost,
           r.utm_campaign
    FROM engage.revenue r
    WHERE keys IS NULL OR r.external_order_id = ANY (keys)
$$;

-- Keys of the keyed datasets whose rows changed since `since` (stable: see written_since),
-- deleted ones included; a NULL among them means every row.

CREATE FUNCTION engage_internal.export_changes_broadcasts(since txid_snapshot, stable bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT b.broadcast_id::text FROM engage.broadcasts b WHERE engage_internal.written_since(b.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('broadcasts', since)
$$;

-- A contact's row changes with the contact, its email and sms channels, the unsubscribed list
-- (emailStatus) and every reported activity (the totals).
CREATE FUNCTION engage_internal.export_changes_contacts(since txid_snapshot, stable bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT c.contact_id::text FROM engage.contacts c WHERE engage_internal.written_since(c.xmin, since, stable)
    UNION ALL
    SELECT ch.contact_id::text FROM engage.channels ch
    WHERE ch.type IN ('email', 'sms') AND engage_internal.written_since(ch.xmin, since, stable)
    UNION ALL
    SELECT ch.contact_id::text FROM engage.unsubscribed_emails u
    JOIN engage.channels ch ON ch.type = 'email' AND ch.value = u.email
    WHERE engage_internal.written_since(u.xmin, since, stable)
    UNION ALL
    SELECT a.contact_id::text FROM engage.contact_activities a
    WHERE engage_internal.appended_between(a.written_xid, since, NULL) AND a.contact_id IS NOT NULL
      AND a.activity IN ('DELIVERED', 'UNDELIVERED', 'RECEIVED', 'CLICKED')
    UNION ALL SELECT engage_internal.export_tombstoned('contacts', since)
$$;

-- A device's row shows its contact's external ID.
CREATE FUNCTION engage_internal.export_changes_devices(since txid_snapshot, stable bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT d.device_id FROM engage.devices d WHERE engage_internal.written_since(d.xmin, since, stable)
    UNION ALL
    SELECT d.device_id FROM engage.contacts c JOIN engage.devices d ON d.contact_id = c.contact_id
    WHERE engage_internal.written_since(c.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('devices', since)
$$;

CREATE FUNCTION engage_internal.export_changes_messages(since txid_snapshot, stable bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT m.message_id::text FROM engage.messages m WHERE engage_internal.written_since(m.xmin, since, stable)
    UNION ALL
    SELECT t.message_id::text FROM engage.message_translations t WHERE engage_internal.written_since(t.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('messages', since)
$$;

-- An order's items are written when they change and when their order moves to another contact or
-- date (add_orders: the rows show the order's date), not when only its status or totals do, so
-- an order whose status changed does not have its items sent again.
CREATE FUNCTION engage_internal.export_changes_order_items(since txid_snapshot, stable bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT i.order_id::text FROM engage.order_items i WHERE engage_internal.written_since(i.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('orderItems', since)
$$;

CREATE FUNCTION engage_internal.export_changes_orders(since txid_snapshot, stable bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT o.order_id::text FROM engage.orders o WHERE engage_internal.written_since(o.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('orders', since)
$$;

-- A revenue row is attributed again whenever its order is written.
CREATE FUNCTION engage_internal.export_changes_revenue(since txid_snapshot, stable bigint) RETURNS SETOF text
LANGUAGE sql STABLE AS $$
    SELECT r.external_order_id FROM engage.revenue r WHERE engage_internal.written_since(r.xmin, since, stable)
    UNION ALL
    SELECT o.external_order_id FROM engage.orders o WHERE engage_internal.written_since(o.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('revenue', since)
$$;
