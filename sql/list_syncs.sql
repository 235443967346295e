-- Audience-list syncs (spec 003, Iterable's list API): a query's rows, or a segment's members,
-- added to or removed from a list, diff-based, by a job of kind 'list_sync'. DESIGN amendment 36
-- explains the shape; the README's "Audience-list sync" section is the user's view.
--
-- A run has three steps, each its own transaction in the run's background worker:
-- 1. planning (engage_internal.run_list_sync, as the sync's owner): the source's rows become
--    subscribers (Rust, engage_internal.list_sync_row) in engage.list_sync_stage, are compared with what
--    earlier runs delivered (engage.list_sync_rows), and the rows to send are marked pending;
-- 2. delivery (the worker, src/list_sync_delivery.rs): batches of at most 1,000 pending rows
--    are posted over HTTP with no transaction open, and each answer is recorded per row
--    (engage_internal.record_list_sync_batch) in a short transaction of its own;
-- 3. the run is finished (engage_internal.finish_list_sync_run), or failed with the API's message.
-- A run interrupted anywhere leaves each row in one state: pending rows are sent by the next run.

CREATE TABLE engage.list_sync_definitions (
    sync_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    -- The source: a query, or a segment's members (with columns of the contacts dataset).
    query         text,
    segment_id    bigint REFERENCES engage.segments,
    -- Segment source: {"<contacts dataset column>": "<output name>"}; NULL: email only.
    columns       jsonb,
    -- Segment source: spec 003's string builder, [{"name", "type": string|timestamp|segment_id|segment_name, "value"}].
    strings       jsonb NOT NULL DEFAULT '[]',
    action        text NOT NULL CHECK (action IN ('add', 'remove')),
    list_id       bigint NOT NULL CHECK (list_id > 0),
    campaign_id   bigint CHECK (campaign_id > 0),
    channel_unsubscribe boolean NOT NULL DEFAULT false,
    skip_invalid_data   boolean NOT NULL DEFAULT false,
    region        text NOT NULL DEFAULT 'us' CHECK (region IN ('us', 'eu')),
    -- Overrides the region's base URL (and the engage.list_api_url setting).
    api_url       text CHECK (api_url ~ '^https?://'),
    -- The job that runs it (named "list sync <name>"): schedule, time zone, delay, failures.
    job_id        bigint NOT NULL UNIQUE REFERENCES engage.scheduled_jobs,
    -- Set by run_list_sync_now(full_resync => true): the next run sends every row again.
    full_resync   boolean NOT NULL DEFAULT false,
    owner         regrole NOT NULL DEFAULT current_user::regrole,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((query IS NULL) <> (segment_id IS NULL))
);
ALTER TABLE engage.list_sync_definitions ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_list_syncs ON engage.list_sync_definitions USING (pg_has_role(owner, 'USAGE'));
COMMENT ON TABLE engage.list_sync_definitions IS 'Audience-list syncs (the list-export connector guide): one row per sync of a query''s rows or a segment''s members to a list, run by its job. Read engage.list_syncs; change through create_list_sync and alter_list_sync.';
COMMENT ON COLUMN engage.list_sync_definitions.sync_id IS 'Identity of the sync.';
COMMENT ON COLUMN engage.list_sync_definitions.name IS 'Unique name of the sync; its job is named "list sync <name>".';
COMMENT ON COLUMN engage.list_sync_definitions.query IS 'The source query (one SELECT, run with the owner''s rights); NULL when the source is a segment.';
COMMENT ON COLUMN engage.list_sync_definitions.segment_id IS 'The segment (engage.segments) whose members are the source; NULL when the source is a query.';
COMMENT ON COLUMN engage.list_sync_definitions.columns IS 'Segment source: {"<contacts dataset column>": "<output name>"}; NULL: the email only.';
COMMENT ON COLUMN engage.list_sync_definitions.strings IS 'Segment source: [{"name", "type", "value"}] added to dataFields; type string, timestamp, segment_id or segment_name.';
COMMENT ON COLUMN engage.list_sync_definitions.action IS 'add (subscribe the rows to the list) or remove (unsubscribe them).';
COMMENT ON COLUMN engage.list_sync_definitions.list_id IS 'ID of the list in the list API (positive).';
COMMENT ON COLUMN engage.list_sync_definitions.campaign_id IS 'Campaign ID sent as campaignId with unsubscribe requests; NULL: none sent.';
COMMENT ON COLUMN engage.list_sync_definitions.channel_unsubscribe IS 'Sent as channelUnsubscribe with unsubscribe requests.';
COMMENT ON COLUMN engage.list_sync_definitions.skip_invalid_data IS 'true: invalid rows are skipped and recorded; false: an invalid row fails the run before anything is sent.';
COMMENT ON COLUMN engage.list_sync_definitions.region IS 'us or eu: the list API''s base URL (api.iterable.com or api.eu.iterable.com), unless overridden.';
COMMENT ON COLUMN engage.list_sync_definitions.api_url IS 'Base URL that overrides the region''s and the engage.list_api_url setting; NULL: no override.';
COMMENT ON COLUMN engage.list_sync_definitions.job_id IS 'The job (engage.scheduled_jobs) that runs the sync: its schedule, time zone, delay and failures.';
COMMENT ON COLUMN engage.list_sync_definitions.full_resync IS 'true: the next run sends every row again (run_list_sync_now(full_resync => true), new strings); that run clears it.';
COMMENT ON COLUMN engage.list_sync_definitions.owner IS 'The role that created the sync; its query runs with this role''s rights.';
COMMENT ON COLUMN engage.list_sync_definitions.created_at IS 'When the sync was created.';

-- The API keys. No user role may read this table (privileges.sql revokes it); only the
-- extension owner's delivery step does. A key is written by engage_internal.store_list_sync_key.
CREATE TABLE engage.list_sync_keys (
    sync_id bigint PRIMARY KEY REFERENCES engage.list_sync_definitions ON DELETE CASCADE,
    api_key text NOT NULL
);
COMMENT ON TABLE engage.list_sync_keys IS 'The API key of each list sync: no user role may read this table, only the delivery step. Written by create_list_sync and alter_list_sync.';
COMMENT ON COLUMN engage.list_sync_keys.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_keys.api_key IS 'The list API key, sent in the Api-Key header; never shown (engage.list_syncs.api_key_set says if one is set).';

-- Whether a sync has an API key stored (the key itself is never shown).
CREATE FUNCTION engage_internal.list_sync_has_key(sync bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT FROM engage.list_sync_keys k WHERE k.sync_id = sync)
$$;

-- Each row a sync has seen, by its key (email:<address> or userId:<id>), with its last outcome:
-- pending (planned by run_id, not yet answered: the next run sends it again), delivered,
-- rejected (with the API's reason; sent again by the next run), forgotten (final), invalid
-- (skipped, with the reason), dropped (left the source; no call was made).
CREATE TABLE engage.list_sync_rows (
    sync_id    bigint NOT NULL REFERENCES engage.list_sync_definitions ON DELETE CASCADE,
    row_key    text NOT NULL,
    operation  text NOT NULL CHECK (operation IN ('subscribe', 'unsubscribe')),
    state      text NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected', 'forgotten', 'invalid', 'dropped')),
    reason     text,
    -- Of the subscriber last planned (the one delivered, when state is delivered).
    hash       bigint,
    -- The subscriber's JSON while pending.
    subscriber text,
    run_id     bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (sync_id, row_key),
    CHECK ((state = 'pending') = (subscriber IS NOT NULL))
);
CREATE INDEX list_sync_rows_pending ON engage.list_sync_rows (sync_id, run_id, operation, row_key) WHERE state = 'pending';
ALTER TABLE engage.list_sync_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_list_sync_rows ON engage.list_sync_rows
USING (EXISTS (SELECT FROM engage.list_sync_definitions d WHERE d.sync_id = list_sync_rows.sync_id));
COMMENT ON TABLE engage.list_sync_rows IS 'Each row a list sync has seen: one per sync and key, with the call last planned for it and its outcome. Each run compares its source with these rows to find what to send.';
COMMENT ON COLUMN engage.list_sync_rows.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_rows.row_key IS 'The row''s key: email:<address> when it has an email, else userId:<id>.';
COMMENT ON COLUMN engage.list_sync_rows.operation IS 'subscribe or unsubscribe: the call last planned for the row.';
COMMENT ON COLUMN engage.list_sync_rows.state IS 'pending (not answered yet), delivered, rejected (sent again), forgotten (final), invalid, dropped (left the source).';
COMMENT ON COLUMN engage.list_sync_rows.reason IS 'The API''s reason (rejected, forgotten, an unsubscribe of a user not in the list) or why the row is invalid; else NULL.';
COMMENT ON COLUMN engage.list_sync_rows.hash IS 'Hash of the subscriber last planned (the one delivered, when delivered), run strings left out.';
COMMENT ON COLUMN engage.list_sync_rows.subscriber IS 'The subscriber''s JSON to send while pending; NULL in every other state.';
COMMENT ON COLUMN engage.list_sync_rows.run_id IS 'The run (engage.job_runs.run_id) that last planned or recorded the row.';
COMMENT ON COLUMN engage.list_sync_rows.updated_at IS 'When the row was last written.';

-- A run's source rows while it plans (and a preview's), deleted before its transaction ends:
-- unlogged, since nothing in it outlives the transaction. change says what the row is to the
-- list: new, changed, retry (pending or rejected before), resync, unchanged, final (forgotten),
-- invalid, or removed (a stored row no longer in the source; operation unsubscribe when it is
-- to leave the list, NULL when no call is needed).
CREATE UNLOGGED TABLE engage.list_sync_stage (
    sync_id    bigint NOT NULL,
    run_id     bigint NOT NULL,
    row_number bigint,
    row_key    text,
    hash       bigint,
    subscriber text,
    problem    text,
    change     text NOT NULL,
    operation  text
);
CREATE INDEX list_sync_stage_key ON engage.list_sync_stage (sync_id, run_id, row_key);
-- A role stages rows only for the syncs it may act on (another owner's run would send them).
ALTER TABLE engage.list_sync_stage ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_list_sync_stage ON engage.list_sync_stage
USING (EXISTS (SELECT FROM engage.list_sync_definitions d WHERE d.sync_id = list_sync_stage.sync_id));
COMMENT ON TABLE engage.list_sync_stage IS 'Scratch rows of a list-sync run (or preview) while it plans: the source''s rows as subscribers, classified against engage.list_sync_rows. Unlogged; emptied before the transaction ends.';
COMMENT ON COLUMN engage.list_sync_stage.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_stage.run_id IS 'The planning run (engage.job_runs.run_id); negative for a preview.';
COMMENT ON COLUMN engage.list_sync_stage.row_number IS 'Position of the row in the source''s result; NULL for a stored row that left the source.';
COMMENT ON COLUMN engage.list_sync_stage.row_key IS 'The row''s key (email:<address> or userId:<id>); NULL for an invalid row without one.';
COMMENT ON COLUMN engage.list_sync_stage.hash IS 'Hash of the subscriber, run strings left out; NULL for invalid and removed rows.';
COMMENT ON COLUMN engage.list_sync_stage.subscriber IS 'The subscriber''s JSON to send; NULL when nothing is sent (unchanged, final, invalid, removed without a call).';
COMMENT ON COLUMN engage.list_sync_stage.problem IS 'Why the row is invalid; NULL for a valid row.';
COMMENT ON COLUMN engage.list_sync_stage.change IS 'new, changed, retry, resync, unchanged, final (forgotten), invalid, or removed (a stored row no longer in the source).';
COMMENT ON COLUMN engage.list_sync_stage.operation IS 'subscribe or unsubscribe; for a removed row, unsubscribe when it is to leave the list, NULL when no call is needed.';

-- What each run planned and what came of it (the run's status is in engage.job_runs).
CREATE TABLE engage.list_sync_run_counts (
    run_id         bigint PRIMARY KEY REFERENCES engage.job_runs ON DELETE CASCADE,
    sync_id        bigint NOT NULL REFERENCES engage.list_sync_definitions ON DELETE CASCADE,
    full_resync    boolean NOT NULL,
    rows_in_result bigint NOT NULL,
    rows_new       bigint NOT NULL,
    rows_changed   bigint NOT NULL,
    rows_removed   bigint NOT NULL,
    rows_invalid   bigint NOT NULL,
    rows_retried   bigint NOT NULL,
    rows_to_send   bigint NOT NULL,
    rows_sent      bigint NOT NULL DEFAULT 0,
    rows_succeeded bigint NOT NULL DEFAULT 0,
    rows_rejected  bigint NOT NULL DEFAULT 0,
    batches_sent   integer NOT NULL DEFAULT 0,
    -- Requests sent again after a 429, a 5xx, a timeout or a dropped connection.
    batch_retries  integer NOT NULL DEFAULT 0,
    planned_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE engage.list_sync_run_counts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_list_sync_runs ON engage.list_sync_run_counts
USING (EXISTS (SELECT FROM engage.list_sync_definitions d WHERE d.sync_id = list_sync_run_counts.sync_id));
COMMENT ON TABLE engage.list_sync_run_counts IS 'What each list-sync run planned and what came of its delivery: one row per run (the run''s status is in engage.job_runs).';
COMMENT ON COLUMN engage.list_sync_run_counts.run_id IS 'The run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.list_sync_run_counts.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_run_counts.full_resync IS 'Whether the run was a full resync (unchanged rows sent again).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_in_result IS 'Rows the source returned.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_new IS 'Rows new to the sync (never seen, dropped before, or planned with the other operation).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_changed IS 'Subscribe rows whose subscriber changed since last planned (another hash).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_removed IS 'Stored rows no longer in the source (unsubscribed when a segment is mirrored, else dropped).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_invalid IS 'Rows that cannot be sent (no key, bad data, a key that appears more than once).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_retried IS 'Rows sent again because they were pending, rejected or invalid before.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_to_send IS 'Rows planned to send: new, changed, retried and resynced, and removed rows to unsubscribe.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_sent IS 'Rows the list API has answered for so far.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_succeeded IS 'Rows answered as delivered.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_rejected IS 'Rows answered but not delivered (rejected or forgotten).';
COMMENT ON COLUMN engage.list_sync_run_counts.batches_sent IS 'Batches whose answer was recorded.';
COMMENT ON COLUMN engage.list_sync_run_counts.batch_retries IS 'Requests sent again after a 429, 408 or 5xx, a timeout or a dropped connection.';
COMMENT ON COLUMN engage.list_sync_run_counts.planned_at IS 'When the run''s plan was recorded.';

-- The rows a run skipped as invalid (skip_invalid_data), with the reason.
CREATE TABLE engage.list_sync_invalid_rows (
    run_id     bigint NOT NULL REFERENCES engage.job_runs ON DELETE CASCADE,
    sync_id    bigint NOT NULL REFERENCES engage.list_sync_definitions ON DELETE CASCADE,
    row_number bigint NOT NULL,
    row_key    text,
    reason     text NOT NULL,
    PRIMARY KEY (run_id, row_number)
);
ALTER TABLE engage.list_sync_invalid_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_list_sync_invalid_rows ON engage.list_sync_invalid_rows
USING (EXISTS (SELECT FROM engage.list_sync_definitions d WHERE d.sync_id = list_sync_invalid_rows.sync_id));
COMMENT ON TABLE engage.list_sync_invalid_rows IS 'The rows a list-sync run skipped as invalid (with skip_invalid_data): one per run and row, with the reason.';
COMMENT ON COLUMN engage.list_sync_invalid_rows.run_id IS 'The run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.list_sync_invalid_rows.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_invalid_rows.row_number IS 'Position of the row in the source''s result.';
COMMENT ON COLUMN engage.list_sync_invalid_rows.row_key IS 'The row''s key (email:<address> or userId:<id>); NULL when it has none.';
COMMENT ON COLUMN engage.list_sync_invalid_rows.reason IS 'Why the row is invalid (no email and no user ID, a bad value, a duplicate key, …).';

-- The syncs the reader may see, with their schedule, last run and next run. state: queued (a
-- run was asked for), running, failing (the last run failed), disabled, idle.
CREATE VIEW engage.list_syncs WITH (security_invoker = true) AS
SELECT d.name, CASE WHEN d.query IS NOT NULL THEN 'query' ELSE 'segment' END AS source,
       d.query, s.name AS segment, d.action, d.list_id, d.campaign_id, d.channel_unsubscribe, d.skip_invalid_data,
       d.region, d.api_url, j.schedule, j.time_zone, j.delay, j.enabled,
       CASE WHEN last.status = 'running' THEN 'running'
            WHEN j.run_requested THEN 'queued'
            WHEN NOT j.enabled THEN 'disabled'
            WHEN last.status = 'failed' THEN 'failing'
            ELSE 'idle' END AS state,
       last.run_id AS last_run_id, last.status AS last_run_status, last.started_at AS last_run_started_at,
       last.finished_at AS last_run_finished_at, last.error AS last_run_error,
       CASE WHEN j.enabled THEN j.next_run_at END AS next_run_at,
       engage_internal.list_sync_has_key(d.sync_id) AS api_key_set, d.owner, j.name AS job_name, d.sync_id, d.created_at
FROM engage.list_sync_definitions d
JOIN engage.scheduled_jobs j ON j.job_id = d.job_id
LEFT JOIN engage.segments s ON s.segment_id = d.segment_id
LEFT JOIN LATERAL (
    SELECT r.run_id, r.status, r.started_at, r.finished_at, r.error FROM engage.job_runs r
    WHERE r.job_id = d.job_id ORDER BY r.run_id DESC LIMIT 1
) last ON true;
COMMENT ON VIEW engage.list_syncs IS 'The list syncs the reader may see, one row each, with their settings, schedule, last run and next run.';
COMMENT ON COLUMN engage.list_syncs.name IS 'Name of the sync.';
COMMENT ON COLUMN engage.list_syncs.source IS 'query or segment: where the rows come from.';
COMMENT ON COLUMN engage.list_syncs.query IS 'The source query; NULL for a segment source.';
COMMENT ON COLUMN engage.list_syncs.segment IS 'Name of the source segment; NULL for a query source.';
COMMENT ON COLUMN engage.list_syncs.action IS 'add (subscribe the rows) or remove (unsubscribe them).';
COMMENT ON COLUMN engage.list_syncs.list_id IS 'ID of the list in the list API.';
COMMENT ON COLUMN engage.list_syncs.campaign_id IS 'Campaign ID sent with unsubscribe requests; NULL: none.';
COMMENT ON COLUMN engage.list_syncs.channel_unsubscribe IS 'Sent as channelUnsubscribe with unsubscribe requests.';
COMMENT ON COLUMN engage.list_syncs.skip_invalid_data IS 'true: invalid rows are skipped and recorded; false: an invalid row fails the run before anything is sent.';
COMMENT ON COLUMN engage.list_syncs.region IS 'us or eu: the list API''s region.';
COMMENT ON COLUMN engage.list_syncs.api_url IS 'Base URL that overrides the region''s; NULL: no override.';
COMMENT ON COLUMN engage.list_syncs.schedule IS 'Cron schedule of the sync''s job; NULL or empty: runs only by hand (engage.run_list_sync_now).';
COMMENT ON COLUMN engage.list_syncs.time_zone IS 'Time zone the schedule is read in.';
COMMENT ON COLUMN engage.list_syncs.delay IS 'How long after each scheduled time the run starts.';
COMMENT ON COLUMN engage.list_syncs.enabled IS 'Whether the job runs on its schedule; false when switched off, or after max_failures failures in a row.';
COMMENT ON COLUMN engage.list_syncs.state IS 'running, queued (a run was asked for), disabled, failing (the last run failed) or idle.';
COMMENT ON COLUMN engage.list_syncs.last_run_id IS 'The last run (engage.job_runs.run_id); NULL: never run.';
COMMENT ON COLUMN engage.list_syncs.last_run_status IS 'Status of the last run: running, succeeded, failed, skipped or interrupted; NULL: never run.';
COMMENT ON COLUMN engage.list_syncs.last_run_started_at IS 'When the last run started; NULL: never run.';
COMMENT ON COLUMN engage.list_syncs.last_run_finished_at IS 'When the last run finished; NULL while it runs or when never run.';
COMMENT ON COLUMN engage.list_syncs.last_run_error IS 'Error of the last run; NULL unless it failed.';
COMMENT ON COLUMN engage.list_syncs.next_run_at IS 'When the next scheduled run is due (scheduled time plus delay); NULL when disabled or unscheduled.';
COMMENT ON COLUMN engage.list_syncs.api_key_set IS 'Whether an API key is stored (the key itself is never shown).';
COMMENT ON COLUMN engage.list_syncs.owner IS 'The role the sync belongs to; its query runs with this role''s rights.';
COMMENT ON COLUMN engage.list_syncs.job_name IS 'Name of the sync''s job ("list sync <name>").';
COMMENT ON COLUMN engage.list_syncs.sync_id IS 'Identity of the sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_syncs.created_at IS 'When the sync was created.';

-- Every run of every sync the reader may see (Census's run history): its status, what it
-- planned and what came of it. A run that failed while planning has no counts.
CREATE VIEW engage.list_sync_runs WITH (security_invoker = true) AS
SELECT d.name AS sync, r.run_id, r.status, r.started_by, c.full_resync, c.rows_in_result, c.rows_new, c.rows_changed,
       c.rows_removed, c.rows_invalid, c.rows_retried, c.rows_to_send, c.rows_sent, c.rows_succeeded,
       c.rows_rejected, c.batches_sent, c.batch_retries, r.started_at, r.finished_at, r.result, r.error
FROM engage.list_sync_definitions d
JOIN engage.job_runs r ON r.job_id = d.job_id
LEFT JOIN engage.list_sync_run_counts c ON c.run_id = r.run_id;
COMMENT ON VIEW engage.list_sync_runs IS 'Every run of every list sync the reader may see: its status, what it planned and what came of it. The counts are NULL until planning commits (a run that failed planning has none).';
COMMENT ON COLUMN engage.list_sync_runs.sync IS 'Name of the sync.';
COMMENT ON COLUMN engage.list_sync_runs.run_id IS 'The run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.list_sync_runs.status IS 'running, succeeded, failed, skipped or interrupted.';
COMMENT ON COLUMN engage.list_sync_runs.started_by IS 'schedule, or manual (engage.run_list_sync_now).';
COMMENT ON COLUMN engage.list_sync_runs.full_resync IS 'Whether the run was a full resync (unchanged rows sent again).';
COMMENT ON COLUMN engage.list_sync_runs.rows_in_result IS 'Rows the source returned.';
COMMENT ON COLUMN engage.list_sync_runs.rows_new IS 'Rows new to the sync (never seen, dropped before, or planned with the other operation).';
COMMENT ON COLUMN engage.list_sync_runs.rows_changed IS 'Subscribe rows whose subscriber changed since last planned.';
COMMENT ON COLUMN engage.list_sync_runs.rows_removed IS 'Stored rows no longer in the source (unsubscribed when a segment is mirrored, else dropped).';
COMMENT ON COLUMN engage.list_sync_runs.rows_invalid IS 'Rows that cannot be sent (no key, bad data, a key that appears more than once).';
COMMENT ON COLUMN engage.list_sync_runs.rows_retried IS 'Rows sent again because they were pending, rejected or invalid before.';
COMMENT ON COLUMN engage.list_sync_runs.rows_to_send IS 'Rows planned to send: new, changed, retried and resynced, and removed rows to unsubscribe.';
COMMENT ON COLUMN engage.list_sync_runs.rows_sent IS 'Rows the list API has answered for so far.';
COMMENT ON COLUMN engage.list_sync_runs.rows_succeeded IS 'Rows answered as delivered.';
COMMENT ON COLUMN engage.list_sync_runs.rows_rejected IS 'Rows answered but not delivered (rejected or forgotten).';
COMMENT ON COLUMN engage.list_sync_runs.batches_sent IS 'Batches whose answer was recorded.';
COMMENT ON COLUMN engage.list_sync_runs.batch_retries IS 'Requests sent again after a 429, 408 or 5xx, a timeout or a dropped connection.';
COMMENT ON COLUMN engage.list_sync_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN engage.list_sync_runs.finished_at IS 'When the run finished; NULL while it runs.';
COMMENT ON COLUMN engage.list_sync_runs.result IS 'The run''s counts in words (set when planning ends, updated when it succeeds); for a skipped run, why.';
COMMENT ON COLUMN engage.list_sync_runs.error IS 'Why the run failed (the list API''s message, for a delivery failure); NULL unless it failed.';

-- The sync of this name the calling role may act on, locked, or an error.
CREATE FUNCTION engage_internal.list_sync_named(sync_name text) RETURNS engage.list_sync_definitions
LANGUAGE plpgsql AS $$
DECLARE
    d engage.list_sync_definitions;
BEGIN
    SELECT * INTO d FROM engage.list_sync_definitions x WHERE x.name = sync_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'list sync "%" does not exist', sync_name USING ERRCODE = 'undefined_object',
            DETAIL = format('name: %s', sync_name), HINT = 'engage.list_syncs lists the syncs you can see.';
    END IF;
    RETURN d;
END
$$;

-- The SQL of a sync's source. A segment's members are read with the columns of the contacts
-- dataset (engage_internal.export_rows_contacts), chosen and renamed by `columns`.
CREATE FUNCTION engage_internal.list_sync_source(d engage.list_sync_definitions) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce(d.query, format(
        'SELECT %s FROM engage_internal.export_rows_contacts(ARRAY(SELECT m.contact_id FROM engage.segment_members m WHERE m.segment_id = %s)) c',
        (SELECT string_agg(format('c.%I AS %I', x.key, x.value), ', ' ORDER BY x.ordinal)
         FROM jsonb_each_text(coalesce(d.columns, '{"email": "email"}')) WITH ORDINALITY AS x(key, value, ordinal)),
        d.segment_id))
$$;

-- The segment source's strings (spec 003's string builder) as one JSON object's text, added to
-- each subscriber's dataFields: a constant, the time of the run (`at`, ISO 8601), the segment's
-- ID or name. NULL when there are none.
CREATE FUNCTION engage_internal.list_sync_strings(d engage.list_sync_definitions, at timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT '{' || string_agg(to_json(s->>'name')::text || ':' || to_json(CASE s->>'type'
               WHEN 'string' THEN s->>'value'
               WHEN 'timestamp' THEN to_json(at)#>>'{}'
               WHEN 'segment_id' THEN d.segment_id::text
               WHEN 'segment_name' THEN (SELECT g.name FROM engage.segments g WHERE g.segment_id = d.segment_id) END)::text,
               ',' ORDER BY o) || '}'
    FROM jsonb_array_elements(d.strings) WITH ORDINALITY AS x(s, o)
    HAVING count(*) > 0
$$;

-- Fills the stage for `run` with the source's rows as subscribers, each classified against what
-- earlier runs delivered, and the stored rows that left the source. Duplicate keys make every
-- row of that key invalid. Returns the number of rows in the source.
CREATE FUNCTION engage_internal.list_sync_stage_rows(d engage.list_sync_definitions, run bigint, full_resync boolean)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    operation text := CASE d.action WHEN 'add' THEN 'subscribe' ELSE 'unsubscribe' END;
    -- A segment synced with 'add' mirrors it: members that leave are unsubscribed.
    mirror boolean := d.segment_id IS NOT NULL AND d.action = 'add';
    in_result bigint;
BEGIN
    EXECUTE format($q$
        INSERT INTO engage.list_sync_stage (sync_id, run_id, row_number, row_key, hash, subscriber, problem, change, operation)
        SELECT $6, $1, c.n, c.row_key, c.hash, CASE WHEN c.change NOT IN ('unchanged', 'final') THEN c.subscriber END,
               c.problem, c.change, $2
        FROM (SELECT s.n, s.row_key, s.hash, s.subscriber, s.problem,
                     CASE WHEN s.problem IS NOT NULL THEN 'invalid'
                          WHEN m.row_key IS NULL OR m.state = 'dropped' THEN 'new'
                          WHEN m.state = 'forgotten' THEN 'final'
                          WHEN m.state IN ('pending', 'rejected', 'invalid') THEN 'retry'
                          WHEN m.operation <> $2 THEN 'new'
                          WHEN $2 = 'subscribe' AND m.hash <> s.hash THEN 'changed'
                          WHEN $5 THEN 'resync'
                          ELSE 'unchanged' END AS change
              FROM (SELECT r.n, (r.s).* FROM (
                        SELECT src.n, engage_internal.list_sync_row(src.j, $3, $4) AS s
                        FROM (SELECT row_number() OVER () AS n, row_to_json(q)::text AS j FROM (%s) AS q) src
                        OFFSET 0) r) s
              LEFT JOIN engage.list_sync_rows m ON m.sync_id = $6 AND m.row_key = s.row_key) c
        $q$, engage_internal.list_sync_source(d))
    USING run, operation, d.action, engage_internal.list_sync_strings(d, now()), full_resync, d.sync_id;
    GET DIAGNOSTICS in_result = ROW_COUNT;

    UPDATE engage.list_sync_stage s SET change = 'invalid',
        problem = coalesce(s.problem || '; ', '') || format('the key appears %s times in the result', dup.n)
    FROM (SELECT x.row_key, count(*) AS n FROM engage.list_sync_stage x
          WHERE x.sync_id = d.sync_id AND x.run_id = run AND x.row_key IS NOT NULL GROUP BY x.row_key HAVING count(*) > 1) dup
    WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.row_key = dup.row_key;

    INSERT INTO engage.list_sync_stage (sync_id, run_id, row_key, subscriber, change, operation)
    SELECT d.sync_id, run, m.row_key, CASE WHEN leaves THEN engage_internal.list_sync_unsubscriber(m.row_key) END, 'removed',
           CASE WHEN leaves THEN 'unsubscribe' END
    FROM engage.list_sync_rows m,
         LATERAL (SELECT mirror AND ((m.operation = 'subscribe' AND m.state <> 'forgotten')
                                     OR (m.operation = 'unsubscribe' AND m.state IN ('pending', 'rejected'))) AS leaves) l
    WHERE m.sync_id = d.sync_id AND m.state <> 'dropped'
      AND NOT (mirror AND m.operation = 'unsubscribe' AND m.state = 'delivered')
      AND NOT EXISTS (SELECT FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.row_key = m.row_key);
    RETURN in_result;
END
$$;

-- The list-sync job (kind 'list_sync'; arguments: {"sync_id"}), run as the sync's owner: plans
-- the run (see the top of this file). Without skip_invalid_data, an invalid row fails the run
-- before anything is sent, naming the first one; with it, invalid rows are recorded and skipped.
-- The run's worker then delivers what was planned.
CREATE FUNCTION engage_internal.run_list_sync(arguments jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d engage.list_sync_definitions;
    run bigint;
    in_result bigint;
    bad record;
    counts engage.list_sync_run_counts;
BEGIN
    SELECT * INTO d FROM engage.list_sync_definitions x WHERE x.sync_id = (arguments->>'sync_id')::bigint FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'list sync % does not exist', arguments->>'sync_id' USING ERRCODE = 'undefined_object',
            DETAIL = format('arguments: %s', arguments), HINT = 'engage.list_syncs lists the syncs you can see.';
    END IF;
    SELECT max(r.run_id) INTO run FROM engage.job_runs r WHERE r.job_id = d.job_id AND r.status = 'running';
    in_result := engage_internal.list_sync_stage_rows(d, run, d.full_resync);

    SELECT s.row_number, s.row_key, s.problem, count(*) OVER () AS total INTO bad
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'invalid' ORDER BY s.row_number LIMIT 1;
    IF FOUND AND NOT d.skip_invalid_data THEN
        RAISE EXCEPTION 'list sync "%": row % is invalid: %', d.name, bad.row_number, bad.problem
            USING ERRCODE = 'data_exception',
                  DETAIL = format('row %s (key %s) of %s; %s invalid in all', bad.row_number,
                                  coalesce(bad.row_key, 'none'), in_result, bad.total),
                  HINT = 'Fix the query, or set skip_invalid_data => true to skip invalid rows (each is recorded with its reason).';
    END IF;
    INSERT INTO engage.list_sync_invalid_rows (run_id, sync_id, row_number, row_key, reason)
    SELECT run, d.sync_id, s.row_number, s.row_key, s.problem
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'invalid';

    INSERT INTO engage.list_sync_rows AS m (sync_id, row_key, operation, state, reason, hash, subscriber, run_id, updated_at)
    SELECT d.sync_id, s.row_key, s.operation, 'pending', NULL, s.hash, s.subscriber, run, clock_timestamp()
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change IN ('new', 'changed', 'retry', 'resync')
    ON CONFLICT (sync_id, row_key) DO UPDATE SET operation = EXCLUDED.operation, state = 'pending', reason = NULL,
        hash = EXCLUDED.hash, subscriber = EXCLUDED.subscriber, run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at;
    INSERT INTO engage.list_sync_rows AS m (sync_id, row_key, operation, state, reason, run_id, updated_at)
    SELECT DISTINCT ON (s.row_key) d.sync_id, s.row_key, s.operation, 'invalid', s.problem, run, clock_timestamp()
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'invalid' AND s.row_key IS NOT NULL
    ORDER BY s.row_key, s.row_number
    ON CONFLICT (sync_id, row_key) DO UPDATE SET state = 'invalid', reason = EXCLUDED.reason, subscriber = NULL,
        run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at
    WHERE m.state <> 'forgotten';
    UPDATE engage.list_sync_rows m SET state = CASE WHEN s.operation IS NULL THEN 'dropped' ELSE 'pending' END,
        operation = coalesce(s.operation, m.operation), subscriber = s.subscriber, reason = NULL, run_id = run,
        updated_at = clock_timestamp()
    FROM engage.list_sync_stage s
    WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'removed' AND m.sync_id = d.sync_id AND m.row_key = s.row_key;

    INSERT INTO engage.list_sync_run_counts AS c (run_id, sync_id, full_resync, rows_in_result, rows_new, rows_changed,
                                                  rows_removed, rows_invalid, rows_retried, rows_to_send)
    SELECT run, d.sync_id, d.full_resync, in_result,
           count(*) FILTER (WHERE s.change = 'new'), count(*) FILTER (WHERE s.change = 'changed'),
           count(*) FILTER (WHERE s.change = 'removed'), count(*) FILTER (WHERE s.change = 'invalid'),
           count(*) FILTER (WHERE s.change = 'retry'),
           count(*) FILTER (WHERE s.change IN ('new', 'changed', 'retry', 'resync') OR s.operation IS NOT NULL AND s.change = 'removed')
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run
    RETURNING * INTO counts;
    DELETE FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run;
    UPDATE engage.list_sync_definitions x SET full_resync = false WHERE x.sync_id = d.sync_id AND x.full_resync;
    RETURN engage_internal.list_sync_summary(counts);
END
$$;
INSERT INTO engage.job_kinds (kind, run_function, description, worker_delivers)
VALUES ('list_sync', 'engage_internal.run_list_sync(jsonb)',
        'Audience-list sync: a query''s rows or a segment''s members added to or removed from a list', true);

-- What a run planned and delivered, in words (engage.job_runs.result).
CREATE FUNCTION engage_internal.list_sync_summary(c engage.list_sync_run_counts) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('%s rows: %s new, %s changed, %s removed, %s invalid, %s retried; %s to send, %s sent, %s succeeded, %s rejected',
                  c.rows_in_result, c.rows_new, c.rows_changed, c.rows_removed, c.rows_invalid, c.rows_retried,
                  c.rows_to_send, c.rows_sent, c.rows_succeeded, c.rows_rejected)
$$;

-- The next batch of a run to deliver: up to 1,000 pending rows of one operation, in the order
-- of operation and key after (after_operation, after_key), the last row of the batch before
-- (so the scan starts past the rows already answered, whose index entries are dead until a
-- vacuum: skipping them made each batch slower than the last), and no more than 4 MB of
-- subscribers (one row of up to 256 KB, the most a row may be, always goes), with where and how
-- to send them; no row when nothing is pending. The worker's step. Internal. Read by index
-- whatever the statistics say (see record_list_sync_batch).
CREATE FUNCTION engage_internal.list_sync_next_batch(run bigint, after_operation text DEFAULT '', after_key text DEFAULT '')
RETURNS TABLE (action text, url text, api_key text, list_id bigint, campaign_id bigint, channel_unsubscribe boolean,
               keys text[], subscribers text[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
    SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off AS $$
    SELECT CASE p.operation WHEN 'subscribe' THEN 'add' ELSE 'remove' END,
           rtrim(coalesce(d.api_url, nullif(current_setting('engage.list_api_url', true), ''),
                          CASE d.region WHEN 'eu' THEN 'https://api.eu.iterable.com' ELSE 'https://api.iterable.com' END), '/')
           || CASE p.operation WHEN 'subscribe' THEN '/api/lists/subscribe' ELSE '/api/lists/unsubscribe' END,
           k.api_key, d.list_id, d.campaign_id, d.channel_unsubscribe, p.keys, p.subscribers
    FROM engage.list_sync_run_counts c
    JOIN engage.list_sync_definitions d ON d.sync_id = c.sync_id
    LEFT JOIN engage.list_sync_keys k ON k.sync_id = d.sync_id
    CROSS JOIN LATERAL (
        SELECT min(x.operation) AS operation, array_agg(x.row_key ORDER BY x.row_key) AS keys,
               array_agg(x.subscriber ORDER BY x.row_key) AS subscribers
        FROM (SELECT y.operation, y.row_key, y.subscriber, first_value(y.operation) OVER w AS first_operation,
                     sum(length(y.subscriber)) OVER w AS size, row_number() OVER w AS n
              FROM (SELECT m.operation, m.row_key, m.subscriber FROM engage.list_sync_rows m
                    WHERE m.sync_id = d.sync_id AND m.run_id = run AND m.state = 'pending'
                      AND (m.operation, m.row_key) > (coalesce(after_operation, ''), coalesce(after_key, ''))
                    ORDER BY m.operation, m.row_key LIMIT 1000) y
              WINDOW w AS (ORDER BY y.operation, y.row_key)) x
        WHERE x.operation = x.first_operation AND (x.n = 1 OR x.size <= 4194304)) p
    WHERE c.run_id = run AND p.operation IS NOT NULL
$$;

-- Records the API's answer to a batch: each row's state and reason (`keys`, `states`,
-- `reasons` side by side), and the run's counts; `retries` is how often the batch was sent
-- again before this answer. The worker's step. Internal.
-- The rows are found by their primary key, whatever the statistics say: they were written after
-- the table was last analyzed, and a hash of every pending row of the run, chosen when the
-- planner thought there were none, cost 0.6 s a batch at a million rows (DESIGN amendment 25);
-- so joins other than a nested loop are off, and a pending row is told by its subscriber (the
-- check constraint makes that the same), which keeps the partial index of pending rows, whose
-- scan per key would read every pending row, out of the plan.
CREATE FUNCTION engage_internal.record_list_sync_batch(run bigint, keys text[], states text[], reasons text[], retries integer)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
    SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off AS $$
DECLARE
    sync bigint := (SELECT c.sync_id FROM engage.list_sync_run_counts c WHERE c.run_id = run);
BEGIN
    WITH answered AS (
        UPDATE engage.list_sync_rows m SET state = o.state, reason = o.reason, subscriber = NULL,
            updated_at = clock_timestamp()
        FROM unnest(keys, states, reasons) AS o(row_key, state, reason)
        WHERE m.sync_id = sync AND m.row_key = o.row_key AND m.run_id = run AND m.subscriber IS NOT NULL
        RETURNING o.state)
    UPDATE engage.list_sync_run_counts c SET rows_sent = c.rows_sent + a.sent,
        rows_succeeded = c.rows_succeeded + a.succeeded, rows_rejected = c.rows_rejected + a.sent - a.succeeded,
        batches_sent = c.batches_sent + 1, batch_retries = c.batch_retries + retries
    FROM (SELECT count(*) AS sent, count(*) FILTER (WHERE x.state = 'delivered') AS succeeded FROM answered x) a
    WHERE c.run_id = run;
END
$$;

-- Counts requests of a run sent again that did not get an answer to record (the run then
-- failed). The worker's step. Internal.
CREATE FUNCTION engage_internal.count_list_sync_retries(run bigint, retries integer) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    UPDATE engage.list_sync_run_counts c SET batch_retries = c.batch_retries + retries WHERE c.run_id = run
$$;

-- Ends a run the worker delivered: succeeded with its summary, or (message given) failed
-- through engage_internal.fail_run, which counts towards the job's max_failures. The worker's step.
-- Internal.
CREATE FUNCTION engage_internal.finish_list_sync_run(run bigint, message text DEFAULT NULL, detail text DEFAULT '',
                                            state text DEFAULT '') RETURNS engage.job_runs
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r engage.job_runs;
BEGIN
    IF message IS NOT NULL THEN
        RETURN engage_internal.fail_run(run, message, detail, state);
    END IF;
    UPDATE engage.job_runs x SET status = 'succeeded', finished_at = clock_timestamp(),
        result = (SELECT engage_internal.list_sync_summary(c) FROM engage.list_sync_run_counts c WHERE c.run_id = run)
    WHERE x.run_id = run AND x.status = 'running' RETURNING * INTO r;
    UPDATE engage.scheduled_jobs j SET consecutive_failures = 0 WHERE j.job_id = r.job_id AND j.consecutive_failures > 0;
    RETURN r;
END
$$;

-- Refuses a definition that cannot run, before anything is written: a bad action, list ID,
-- campaign ID, region or URL; a query the caller cannot run; segment columns that the contacts
-- dataset lacks or output names used twice; strings of an unknown type.
CREATE FUNCTION engage_internal.list_sync_check(d engage.list_sync_definitions) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    bad text;
    message text;
    code text;
BEGIN
    IF d.action IS NULL OR d.action NOT IN ('add', 'remove') THEN
        RAISE EXCEPTION 'action must be add or remove' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('action: %s', coalesce(d.action, 'NULL'));
    END IF;
    IF d.list_id IS NULL OR d.list_id < 1 THEN
        RAISE EXCEPTION 'a list sync needs a list_id (the list''s ID, a positive number)' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('list_id: %s', coalesce(d.list_id::text, 'NULL'));
    END IF;
    IF d.campaign_id < 1 THEN
        RAISE EXCEPTION 'campaign_id must be a positive number' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('campaign_id: %s', d.campaign_id);
    END IF;
    IF d.region IS NULL OR d.region NOT IN ('us', 'eu') THEN
        RAISE EXCEPTION 'region must be us or eu' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('region: %s', coalesce(d.region, 'NULL'));
    END IF;
    IF d.api_url !~ '^https?://[^/]' THEN
        RAISE EXCEPTION 'api_url must be an http:// or https:// URL' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('api_url: %s', d.api_url);
    END IF;
    IF (d.query IS NULL) = (d.segment_id IS NULL) THEN
        RAISE EXCEPTION 'a list sync reads either a query or a segment' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give query => ''SELECT email, … FROM …'', or segment => ''name''.';
    END IF;
    IF d.query IS NULL AND d.columns IS NOT NULL THEN
        IF jsonb_typeof(d.columns) <> 'object' OR EXISTS (SELECT FROM jsonb_each(d.columns) x WHERE jsonb_typeof(x.value) <> 'string') THEN
            RAISE EXCEPTION 'columns must be an object of output names by contacts dataset column'
                USING ERRCODE = 'invalid_parameter_value', DETAIL = format('columns: %s', d.columns),
                      HINT = 'For example {"email": "email", "firstName": "first_name", "externalCustomerId": "user_id"}.';
        END IF;
        SELECT x.key INTO bad FROM jsonb_each_text(d.columns) x
        WHERE x.key NOT IN (SELECT c.name FROM engage_internal.export_columns('contacts') c) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'the contacts dataset has no column "%"', bad USING ERRCODE = 'undefined_column',
                DETAIL = format('columns: %s', d.columns),
                HINT = format('Its columns: %s.', (SELECT string_agg(c.name, ', ' ORDER BY c.ordinal) FROM engage_internal.export_columns('contacts') c));
        END IF;
    END IF;
    IF jsonb_typeof(d.strings) <> 'array' OR EXISTS (
        SELECT FROM jsonb_array_elements(d.strings) s
        WHERE jsonb_typeof(s) <> 'object' OR coalesce(s->>'name', '') = ''
           OR coalesce(s->>'type', '') NOT IN ('string', 'timestamp', 'segment_id', 'segment_name')
           OR (s->>'type' = 'string') <> (jsonb_typeof(s->'value') = 'string'))
    THEN
        RAISE EXCEPTION 'strings must be an array of {"name", "type"} objects' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('strings: %s', d.strings),
            HINT = 'type is string (with a "value"), timestamp, segment_id or segment_name.';
    END IF;
    IF d.query IS NOT NULL AND d.strings <> '[]' THEN
        RAISE EXCEPTION 'strings are for a segment source' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A query adds constant columns itself (SELECT …, ''value'' AS name).';
    END IF;
    SELECT x.name INTO bad FROM (
        SELECT x.value AS name FROM jsonb_each_text(coalesce(d.columns, '{"email": "email"}')) x
        UNION ALL SELECT s->>'name' FROM jsonb_array_elements(d.strings) s) x
    GROUP BY x.name HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the output name "%" is used twice', bad USING ERRCODE = 'duplicate_column',
            DETAIL = format('columns: %s, strings: %s', coalesce(d.columns::text, 'NULL'), d.strings);
    END IF;
    BEGIN
        EXECUTE format('SELECT FROM (%s) AS q LIMIT 0', engage_internal.list_sync_source(d));
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, code = RETURNED_SQLSTATE;
        RAISE EXCEPTION 'the list sync''s query cannot run: %', message USING ERRCODE = code,
            DETAIL = format('query: %s', d.query),
            HINT = 'The query is one SELECT that the sync''s owner (you) may run; it runs with your rights.';
    END;
END
$$;

-- Stores a sync's API key where no user role can read it, for a caller (the voucher's maker)
-- who may act on the sync. Never puts the key in a message. Internal: create_list_sync and
-- alter_list_sync call it.
CREATE FUNCTION engage_internal.store_list_sync_key(voucher bigint, sync bigint, api_key text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    caller oid := engage_internal.vouched_role(voucher);
    owner regrole := (SELECT d.owner FROM engage.list_sync_definitions d WHERE d.sync_id = sync);
BEGIN
    IF owner IS NULL OR NOT pg_has_role(caller, owner, 'USAGE') THEN
        RAISE EXCEPTION 'list sync % does not exist', sync USING ERRCODE = 'undefined_object';
    END IF;
    IF coalesce(btrim(api_key), '') = '' OR api_key ~ '[\s\x00-\x1f]' THEN
        RAISE EXCEPTION 'a list sync needs an API key (no spaces or control characters)'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'api_key: (not shown)';
    END IF;
    INSERT INTO engage.list_sync_keys AS k (sync_id, api_key) VALUES (sync, api_key)
    ON CONFLICT (sync_id) DO UPDATE SET api_key = EXCLUDED.api_key;
END
$$;

-- Creates a sync of a query's rows (`query`) or a segment's members (`segment`, with `columns`
-- and `strings`) to list `list_id`, run by a job of kind 'list_sync' named "list sync <name>"
-- with the schedule given (NULL: only by hand, engage.run_list_sync_now). The sync belongs to
-- the calling role and its query runs with that role's rights.
CREATE FUNCTION engage.create_list_sync(
    name text,
    query text DEFAULT NULL,
    action text DEFAULT 'add',
    list_id bigint DEFAULT NULL,
    api_key text DEFAULT NULL,
    campaign_id bigint DEFAULT NULL,
    channel_unsubscribe boolean DEFAULT false,
    skip_invalid_data boolean DEFAULT false,
    region text DEFAULT 'us',
    schedule text DEFAULT NULL,
    time_zone text DEFAULT NULL,
    delay interval DEFAULT '0',
    max_failures integer DEFAULT 5,
    segment text DEFAULT NULL,
    columns jsonb DEFAULT NULL,
    strings jsonb DEFAULT '[]',
    api_url text DEFAULT NULL
) RETURNS engage.list_syncs
LANGUAGE plpgsql AS $$
DECLARE
    d engage.list_sync_definitions;
    result engage.list_syncs;
BEGIN
    IF coalesce(btrim(name), '') = '' THEN
        RAISE EXCEPTION 'a list sync needs a name' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('name: %s', coalesce(name, 'NULL'));
    END IF;
    IF EXISTS (SELECT FROM engage.list_sync_definitions x WHERE x.name = create_list_sync.name) THEN
        RAISE EXCEPTION 'list sync "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name), HINT = 'Change it with engage.alter_list_sync, or pick another name.';
    END IF;
    d.query := nullif(btrim(query), '');
    d.segment_id := CASE WHEN segment IS NOT NULL THEN (engage_internal.segment_named(segment)).segment_id END;
    d.columns := columns;
    d.strings := coalesce(strings, '[]');
    d.action := lower(action);
    d.list_id := list_id;
    d.campaign_id := campaign_id;
    d.channel_unsubscribe := coalesce(channel_unsubscribe, false);
    d.skip_invalid_data := coalesce(skip_invalid_data, false);
    d.region := lower(region);
    d.api_url := api_url;
    PERFORM engage_internal.list_sync_check(d);
    IF coalesce(btrim(api_key), '') = '' THEN
        RAISE EXCEPTION 'a list sync needs an API key' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'api_key: (not shown)', HINT = 'The list API''s key, with the rights to update lists.';
    END IF;
    d.job_id := engage.schedule_job('list sync ' || name, schedule, time_zone => time_zone, delay => delay,
                                    max_failures => max_failures, kind => 'list_sync');
    INSERT INTO engage.list_sync_definitions AS x (name, query, segment_id, columns, strings, action, list_id,
                                                   campaign_id, channel_unsubscribe, skip_invalid_data, region,
                                                   api_url, job_id)
    VALUES (name, d.query, d.segment_id, d.columns, d.strings, d.action, d.list_id, d.campaign_id,
            d.channel_unsubscribe, d.skip_invalid_data, d.region, d.api_url, d.job_id)
    RETURNING * INTO d;
    PERFORM engage_internal.store_list_sync_key(engage_internal.vouch(), d.sync_id, api_key);
    UPDATE engage.scheduled_jobs j SET arguments = jsonb_build_object('sync_id', d.sync_id) WHERE j.job_id = d.job_id;
    SELECT * INTO result FROM engage.list_syncs x WHERE x.sync_id = d.sync_id;
    RETURN result;
END
$$;
COMMENT ON FUNCTION engage.create_list_sync(text,text,text,bigint,text,bigint,boolean,boolean,text,text,text,interval,integer,text,jsonb,jsonb,text) IS 'Creates a sync of query''s rows or segment''s members (one of them) to list_id with api_key, run by the job "list sync <name>" on schedule (NULL: by hand only). The query runs with the caller''s rights; admins only. Returns the engage.list_syncs row.';

-- Changes what is given; NULL leaves a setting as it is (schedule => '' removes the schedule,
-- campaign_id => 0 and api_url => '' remove theirs). A new source, action or list starts over:
-- what earlier runs delivered is forgotten, so the next run sends every row.
CREATE FUNCTION engage.alter_list_sync(
    name text,
    query text DEFAULT NULL,
    action text DEFAULT NULL,
    list_id bigint DEFAULT NULL,
    api_key text DEFAULT NULL,
    campaign_id bigint DEFAULT NULL,
    channel_unsubscribe boolean DEFAULT NULL,
    skip_invalid_data boolean DEFAULT NULL,
    region text DEFAULT NULL,
    schedule text DEFAULT NULL,
    time_zone text DEFAULT NULL,
    delay interval DEFAULT NULL,
    max_failures integer DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    segment text DEFAULT NULL,
    columns jsonb DEFAULT NULL,
    strings jsonb DEFAULT NULL,
    api_url text DEFAULT NULL
) RETURNS engage.list_syncs
LANGUAGE plpgsql AS $$
DECLARE
    old engage.list_sync_definitions := engage_internal.list_sync_named(name);
    d engage.list_sync_definitions := old;
    result engage.list_syncs;
BEGIN
    IF query IS NOT NULL THEN
        d.query := nullif(btrim(query), '');
        d.segment_id := NULL;
    END IF;
    IF segment IS NOT NULL THEN
        d.segment_id := (engage_internal.segment_named(segment)).segment_id;
        d.query := NULL;
    END IF;
    d.columns := coalesce(columns, d.columns);
    d.strings := coalesce(strings, d.strings);
    d.action := coalesce(lower(action), d.action);
    d.list_id := coalesce(list_id, d.list_id);
    d.campaign_id := CASE WHEN campaign_id = 0 THEN NULL ELSE coalesce(campaign_id, d.campaign_id) END;
    d.channel_unsubscribe := coalesce(channel_unsubscribe, d.channel_unsubscribe);
    d.skip_invalid_data := coalesce(skip_invalid_data, d.skip_invalid_data);
    d.region := coalesce(lower(region), d.region);
    d.api_url := CASE WHEN api_url = '' THEN NULL ELSE coalesce(api_url, d.api_url) END;
    PERFORM engage_internal.list_sync_check(d);
    UPDATE engage.list_sync_definitions x SET query = d.query, segment_id = d.segment_id, columns = d.columns,
        strings = d.strings, action = d.action, list_id = d.list_id, campaign_id = d.campaign_id,
        channel_unsubscribe = d.channel_unsubscribe, skip_invalid_data = d.skip_invalid_data, region = d.region,
        api_url = d.api_url
    WHERE x.sync_id = d.sync_id;
    IF (d.api_url, d.region) IS DISTINCT FROM (old.api_url, old.region) AND api_key IS NULL THEN
        RAISE EXCEPTION 'changing where a list sync posts needs its API key again' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'api_url or region changed', HINT = 'Give api_key => … in the same call: the key goes only where its giver sends it.';
    END IF;
    IF (d.query, d.segment_id, d.action, d.list_id) IS DISTINCT FROM (old.query, old.segment_id, old.action, old.list_id) THEN
        DELETE FROM engage.list_sync_rows m WHERE m.sync_id = d.sync_id;
    ELSIF d.strings IS DISTINCT FROM old.strings THEN
        -- Strings are not part of a row's hash (the time would change it every run): send all.
        UPDATE engage.list_sync_definitions x SET full_resync = true WHERE x.sync_id = d.sync_id;
    END IF;
    IF api_key IS NOT NULL THEN
        PERFORM engage_internal.store_list_sync_key(engage_internal.vouch(), d.sync_id, api_key);
    END IF;
    PERFORM engage.alter_job(j.name, schedule => alter_list_sync.schedule, time_zone => alter_list_sync.time_zone,
                             delay => alter_list_sync.delay, max_failures => alter_list_sync.max_failures,
                             enabled => alter_list_sync.enabled)
    FROM engage.scheduled_jobs j WHERE j.job_id = d.job_id;
    SELECT * INTO result FROM engage.list_syncs x WHERE x.sync_id = d.sync_id;
    RETURN result;
END
$$;
COMMENT ON FUNCTION engage.alter_list_sync(text,text,text,bigint,text,bigint,boolean,boolean,text,text,text,interval,integer,boolean,text,jsonb,jsonb,text) IS 'Changes the settings given; NULL keeps one (schedule => '''', campaign_id => 0, api_url => '''' remove theirs). A new source, action or list forgets what was delivered; a new api_url or region needs api_key too. Returns the engage.list_syncs row.';

-- Drops the sync, its job, its key and its rows' history. The list keeps its members.
CREATE FUNCTION engage.drop_list_sync(name text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    d engage.list_sync_definitions := engage_internal.list_sync_named(name);
BEGIN
    IF EXISTS (SELECT FROM engage.job_runs r WHERE r.job_id = d.job_id AND r.status = 'running') THEN
        RAISE EXCEPTION 'list sync "%" is running', d.name USING ERRCODE = 'object_in_use',
            DETAIL = format('name: %s', d.name), HINT = 'Try again when the run ends (engage.wait_for_list_sync).';
    END IF;
    DELETE FROM engage.list_sync_definitions x WHERE x.sync_id = d.sync_id;
    DELETE FROM engage.scheduled_jobs j WHERE j.job_id = d.job_id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION engage.drop_list_sync(text) IS 'Drops the sync, its job, its API key and its rows'' history; returns true. Refused while a run works. The list keeps its members.';

-- Asks the scheduler to run the sync now (its schedule stays as it is); with full_resync, every
-- row is sent again. The run starts when this transaction commits, in a background worker (the
-- delivery never holds a transaction open); engage.wait_for_list_sync waits for it.
CREATE FUNCTION engage.run_list_sync_now(name text, full_resync boolean DEFAULT false) RETURNS engage.list_syncs
LANGUAGE plpgsql AS $$
DECLARE
    d engage.list_sync_definitions := engage_internal.list_sync_named(name);
    problem text := (SELECT s.problem FROM engage.scheduler_status() s);
    result engage.list_syncs;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'list sync "%" cannot run: no scheduler serves this database', d.name
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = problem,
                  HINT = 'A list sync posts from the scheduler''s background worker; see engage.scheduler_status().';
    END IF;
    IF full_resync THEN
        UPDATE engage.list_sync_definitions x SET full_resync = true WHERE x.sync_id = d.sync_id;
    END IF;
    UPDATE engage.scheduled_jobs j SET run_requested = true WHERE j.job_id = d.job_id;
    SELECT * INTO result FROM engage.list_syncs x WHERE x.sync_id = d.sync_id;
    RETURN result;
END
$$;
COMMENT ON FUNCTION engage.run_list_sync_now(text,boolean) IS 'Asks the scheduler to run the sync now (schedule unchanged); full_resync sends every row again. The run starts in a background worker after this transaction commits; refused when no scheduler serves the database. Returns the engage.list_syncs row.';

-- Waits until the sync has no run asked for or running (at most `timeout`), and returns its
-- last run. Call it after the transaction that asked for the run has committed.
CREATE FUNCTION engage.wait_for_list_sync(name text, timeout interval DEFAULT '5 minutes') RETURNS engage.list_sync_runs
LANGUAGE plpgsql AS $$
DECLARE
    d engage.list_sync_definitions;
    deadline timestamptz := clock_timestamp() + timeout;
    result engage.list_sync_runs;
BEGIN
    SELECT * INTO d FROM engage.list_sync_definitions x WHERE x.name = wait_for_list_sync.name;
    IF NOT FOUND THEN
        PERFORM engage_internal.list_sync_named(name);
    END IF;
    WHILE EXISTS (SELECT FROM engage.scheduled_jobs j WHERE j.job_id = d.job_id AND j.run_requested)
       OR EXISTS (SELECT FROM engage.job_runs r WHERE r.job_id = d.job_id AND r.status = 'running') LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'list sync "%" did not finish within %', d.name, timeout USING ERRCODE = 'query_canceled',
                HINT = 'engage.list_syncs shows its state; a run asked for in this same transaction starts only after it commits.';
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    SELECT * INTO result FROM engage.list_sync_runs r WHERE r.sync = d.name ORDER BY r.run_id DESC LIMIT 1;
    RETURN result;
END
$$;
COMMENT ON FUNCTION engage.wait_for_list_sync(text,interval) IS 'Waits until the sync has no run asked for or running (an error after timeout) and returns its last run, as engage.list_sync_runs shows it. Call it after the transaction that asked for the run has committed.';

-- What the next run of the sync would do, without doing it: each row of the source with its key,
-- its change (new, changed, retry, resync, unchanged, final, invalid; removed for a stored row
-- that left the source), the operation and the subscriber it would send, and why it is invalid.
-- Runs the source with the caller's rights.
CREATE FUNCTION engage.preview_list_sync(name text, full_resync boolean DEFAULT false)
RETURNS TABLE (row_number bigint, row_key text, change text, operation text, subscriber json, problem text)
LANGUAGE plpgsql AS $$
DECLARE
    d engage.list_sync_definitions := engage_internal.list_sync_named(name);
    -- A stage of its own: no run has a negative ID.
    preview bigint := -txid_current();
BEGIN
    PERFORM engage_internal.list_sync_stage_rows(d, preview, full_resync);
    RETURN QUERY
    SELECT s.row_number, s.row_key, s.change, s.operation, s.subscriber::json, s.problem
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = preview
    ORDER BY s.row_number NULLS LAST, s.row_key;
    DELETE FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = preview;
END
$$;
COMMENT ON FUNCTION engage.preview_list_sync(text,boolean) IS 'What the next run of the sync would do, without doing it: each source row (and stored row that left the source) with its key, change, operation, the subscriber it would send, and why it is invalid. Runs the source with the caller''s rights.';
