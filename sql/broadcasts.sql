-- Bulk campaigns (spec 000's "bulk campaign to a segment", spec 001's broadcast statuses): one
-- send of a message to each member of some segments, rendered with $contact and the member's
-- data object, started now or by the scheduler at a set time, paused, resumed or cancelled.

-- The member of several segments once each, after refreshing the dynamic ones (as of now: a
-- broadcast never sends to last week's members).
CREATE FUNCTION engage_internal.broadcast_members(segment_ids bigint[]) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    s engage.segments;
BEGIN
    FOR s IN SELECT * FROM engage.segments x WHERE x.segment_id = ANY (segment_ids) AND x.kind = 'dynamic'
             ORDER BY x.segment_id LOOP
        PERFORM engage.refresh_segment(s.segment_id::text);
    END LOOP;
    RETURN ARRAY(SELECT DISTINCT m.contact_id FROM engage.segment_members m WHERE m.segment_id = ANY (segment_ids)
                 ORDER BY 1);
END
$$;

-- Starts a broadcast: one send per member (engage_internal.send_statement), rendered with $contact
-- and $data (the member's data object, by source name, as engage.contact_data has it, its rows'
-- keys in column order), in one statement. A member without an address on the message's
-- channel, with a bounced, unconfirmed or unsubscribed one, or whose render fails gets a send row
-- too (SUPPRESSED or FAILED, with the reason), so that every member has an answer
-- (engage.broadcast_recipient). A push broadcast goes to every device of the contact. Internal:
-- send_broadcast and the job kind call it.
CREATE FUNCTION engage_internal.start_broadcast(broadcast_id bigint, OUT queued integer, OUT suppressed integer,
    OUT failed integer)
LANGUAGE plpgsql SET work_mem = '256MB' AS $$
DECLARE
    b engage.broadcasts;
    ids bigint[];
BEGIN
    SELECT * INTO b FROM engage.broadcasts x WHERE x.broadcast_id = start_broadcast.broadcast_id FOR UPDATE;
    ids := engage_internal.broadcast_members(b.segment_ids);
    EXECUTE engage_internal.send_statement(
        -- In any order: sorting a million rendered sends would cost more than it gives.
        format($sql$SELECT NULL::bigint, $2, x.id, NULL::text, NULL::text, coalesce(d.data, '{}'), NULL::jsonb,
                           NULL::text, 'Group', $3, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz
                    FROM unnest($1) x(id) LEFT JOIN (%s) d ON d.contact_id = x.id$sql$, engage_internal.data_sql('name')),
        'ARRAY[$2]',
        $sql$SELECT count(*) FILTER (WHERE q.status = 'QUEUED'), count(*) FILTER (WHERE q.status = 'SUPPRESSED'),
                    count(*) FILTER (WHERE q.status = 'FAILED')
             FROM queued q$sql$)
    INTO queued, suppressed, failed
    USING ids, b.message_id, b.broadcast_id;
    UPDATE engage.broadcasts x
    SET status = CASE WHEN queued > 0 THEN 'RUNNING' ELSE 'IDLE' END, started_at = now(),
        members = cardinality(ids), updated_at = now()
    WHERE x.broadcast_id = b.broadcast_id;
END
$$;

-- A bulk campaign: the message to every member of the segments (a contact in several once),
-- now, or at start_at (within a year), when the scheduler starts it (job "broadcast <id>", run at
-- that minute). Returns the broadcast and, when it started, how many sends were queued,
-- suppressed and failed.
CREATE FUNCTION engage.send_broadcast(message_id integer, segment_ids bigint[], name text,
    start_at timestamptz DEFAULT NULL,
    OUT broadcast_id bigint, OUT status text, OUT queued integer, OUT suppressed integer, OUT failed integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m engage.messages;
    missing bigint;
    starts timestamptz := date_trunc('minute', start_at + interval '59.999999 seconds');
BEGIN
    SELECT * INTO m FROM engage.messages x WHERE x.message_id = send_broadcast.message_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', message_id USING ERRCODE = 'undefined_object', DETAIL = 'argument message_id';
    END IF;
    IF engage_internal.media_channel(m.media_type) IS NULL THEN
        RAISE EXCEPTION 'message % is a % message, which goes to no contact channel', message_id, m.media_type
            USING ERRCODE = 'feature_not_supported', DETAIL = 'argument message_id';
    END IF;
    IF cardinality(segment_ids) IS NULL OR cardinality(segment_ids) = 0 THEN
        RAISE EXCEPTION 'a broadcast needs at least one segment' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument segment_ids';
    END IF;
    SELECT x.id INTO missing FROM unnest(segment_ids) x(id) LEFT JOIN engage.segments s ON s.segment_id = x.id
    WHERE s.segment_id IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'segment % does not exist', coalesce(missing::text, 'NULL') USING ERRCODE = 'undefined_object',
            DETAIL = 'argument segment_ids';
    END IF;
    IF name IS NULL OR btrim(name) = '' THEN
        RAISE EXCEPTION 'a broadcast needs a name' USING ERRCODE = 'invalid_parameter_value', DETAIL = 'argument name';
    END IF;
    IF start_at > now() + interval '1 year' OR start_at = 'infinity' THEN
        RAISE EXCEPTION 'a broadcast can be scheduled at most a year ahead' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument start_at: %s', start_at);
    END IF;
    IF start_at > now() THEN
        INSERT INTO engage.broadcasts (name, message_id, segment_ids, media_type, status, scheduled_at)
        VALUES (btrim(name), m.message_id, segment_ids, m.media_type, 'SCHEDULED', starts)
        RETURNING broadcasts.broadcast_id INTO broadcast_id;
        PERFORM engage.schedule_job(format('broadcast %s', broadcast_id),
            to_char(starts AT TIME ZONE 'UTC', 'FMMI FMHH24 FMDD FMMM *'), time_zone => 'UTC', kind => 'broadcast',
            arguments => jsonb_build_object('broadcast', broadcast_id));
        status := 'SCHEDULED';
        RETURN;
    END IF;
    INSERT INTO engage.broadcasts (name, message_id, segment_ids, media_type, status)
    VALUES (btrim(name), m.message_id, segment_ids, m.media_type, 'RUNNING')
    RETURNING broadcasts.broadcast_id INTO broadcast_id;
    SELECT * INTO queued, suppressed, failed FROM engage_internal.start_broadcast(broadcast_id);
    SELECT b.status INTO status FROM engage.broadcasts b WHERE b.broadcast_id = send_broadcast.broadcast_id;
END
$$;
COMMENT ON FUNCTION engage.send_broadcast(integer,bigint[],text,timestamp with time zone) IS 'Sends a message to every member of the segments (a contact once), now or at start_at (at most a year ahead; the scheduler starts it). Returns the broadcast ID, its status and, when it started now, the sends queued, suppressed and failed.';

-- The same, naming the message and the segments by name or ID (text), as the other functions
-- take them: a message name several messages share is refused.
CREATE FUNCTION engage.send_broadcast(message text, segments text[], name text, start_at timestamptz DEFAULT NULL,
    OUT broadcast_id bigint, OUT status text, OUT queued integer, OUT suppressed integer, OUT failed integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    message_id integer := engage_internal.message_named(message, true, 'argument message');
    segment text;
    segment_ids bigint[] := '{}';
BEGIN
    FOREACH segment IN ARRAY coalesce(segments, '{}') LOOP
        segment_ids := segment_ids || (engage_internal.segment_named(segment)).segment_id;
    END LOOP;
    SELECT * INTO broadcast_id, status, queued, suppressed, failed
    FROM engage.send_broadcast(message_id, segment_ids, name, start_at);
END
$$;
COMMENT ON FUNCTION engage.send_broadcast(text,text[],text,timestamp with time zone) IS 'engage.send_broadcast with the message and the segments named by name or ID: the same broadcast, checks and result. 42704 for a name nothing has; 22023 for a message name several messages share.';

-- The job kind that starts a scheduled broadcast (arguments {"broadcast": ID}), then switches its
-- job off: it has done its one run.
CREATE FUNCTION engage_internal.run_broadcast_job(arguments jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    id bigint := (arguments ->> 'broadcast')::bigint;
    r record;
BEGIN
    UPDATE engage.scheduled_jobs j SET enabled = false
    WHERE j.kind = 'broadcast' AND j.arguments = run_broadcast_job.arguments;
    UPDATE engage.broadcasts b SET status = 'RUNNING', updated_at = now()
    WHERE b.broadcast_id = id AND b.status = 'SCHEDULED';
    IF NOT FOUND THEN
        RETURN format('broadcast %s was not waiting to start', id);
    END IF;
    SELECT * INTO r FROM engage_internal.start_broadcast(id);
    RETURN format('broadcast %s started: %s queued, %s suppressed, %s failed', id, r.queued, r.suppressed, r.failed);
END
$$;
INSERT INTO engage.job_kinds (kind, run_function, description)
VALUES ('broadcast', 'engage_internal.run_broadcast_job(jsonb)', 'starts a scheduled broadcast: arguments {"broadcast": ID}');

-- A broadcast by ID, locked, or an error.
CREATE FUNCTION engage_internal.broadcast_numbered(id bigint) RETURNS engage.broadcasts
LANGUAGE plpgsql AS $$
DECLARE
    b engage.broadcasts;
BEGIN
    SELECT * INTO b FROM engage.broadcasts x WHERE x.broadcast_id = id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'broadcast % does not exist', coalesce(id::text, 'NULL') USING ERRCODE = 'undefined_object',
            DETAIL = 'argument broadcast_id', HINT = 'engage.broadcasts lists them.';
    END IF;
    RETURN b;
END
$$;

-- Refuses a change a broadcast in status `b.status` cannot take.
CREATE FUNCTION engage_internal.require_broadcast_status(b engage.broadcasts, allowed text[], doing text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT b.status = ANY (allowed) THEN
        RAISE EXCEPTION 'broadcast % is %: only a % broadcast can be %', b.broadcast_id, b.status,
            array_to_string(allowed, ' or '), doing USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('broadcast_id: %s', b.broadcast_id);
    END IF;
END
$$;

-- Pauses a running broadcast: its sends still queued (or held by a policy) are not claimed until
-- it resumes (those a transport holds already go on).
CREATE FUNCTION engage.pause_broadcast(broadcast_id bigint) RETURNS engage.broadcasts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b engage.broadcasts := engage_internal.broadcast_numbered(broadcast_id);
BEGIN
    PERFORM engage_internal.require_broadcast_status(b, ARRAY['RUNNING'], 'paused');
    UPDATE engage.sends s SET status = 'PAUSED', not_before = NULL, hold_reason = NULL, updated_at = now()
    WHERE s.broadcast_id = b.broadcast_id AND s.status IN ('QUEUED', 'HELD');
    UPDATE engage.broadcasts x SET status = 'PAUSED', updated_at = now() WHERE x.broadcast_id = b.broadcast_id
    RETURNING * INTO b;
    RETURN b;
END
$$;
COMMENT ON FUNCTION engage.pause_broadcast(bigint) IS 'Pauses a RUNNING broadcast: its queued and held sends become PAUSED and are not claimed until it resumes (those a transport holds go on). Returns the broadcast.';

-- Resumes a paused broadcast: its paused sends are queued again, in their order.
CREATE FUNCTION engage.resume_broadcast(broadcast_id bigint) RETURNS engage.broadcasts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b engage.broadcasts := engage_internal.broadcast_numbered(broadcast_id);
BEGIN
    PERFORM engage_internal.require_broadcast_status(b, ARRAY['PAUSED'], 'resumed');
    UPDATE engage.sends s SET status = 'QUEUED', updated_at = now()
    WHERE s.broadcast_id = b.broadcast_id AND s.status = 'PAUSED';
    UPDATE engage.broadcasts x
    SET status = CASE WHEN engage_internal.broadcast_pending(b.broadcast_id) THEN 'RUNNING' ELSE 'IDLE' END,
        updated_at = now()
    WHERE x.broadcast_id = b.broadcast_id RETURNING * INTO b;
    PERFORM pg_notify('engage_sends', '');
    RETURN b;
END
$$;
COMMENT ON FUNCTION engage.resume_broadcast(bigint) IS 'Resumes a PAUSED broadcast: its paused sends are queued again, in their order, and it is RUNNING again (IDLE if none of its sends waits). Returns the broadcast.';

-- Cancels a broadcast: a scheduled one never starts; a running or paused one sends nothing more
-- (its queued and paused sends are suppressed with the reason; those a transport holds go on).
-- It ends IDLE, with cancelled_at.
CREATE FUNCTION engage.cancel_broadcast(broadcast_id bigint, reason text DEFAULT NULL) RETURNS engage.broadcasts
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b engage.broadcasts := engage_internal.broadcast_numbered(broadcast_id);
    why text := 'the broadcast was cancelled' || coalesce(': ' || nullif(btrim(reason), ''), '');
BEGIN
    PERFORM engage_internal.require_broadcast_status(b, ARRAY['SCHEDULED', 'RUNNING', 'PAUSED'], 'cancelled');
    UPDATE engage.scheduled_jobs j SET enabled = false
    WHERE j.kind = 'broadcast' AND j.arguments = jsonb_build_object('broadcast', b.broadcast_id);
    UPDATE engage.sends s SET status = 'SUPPRESSED', reason = why, not_before = NULL, hold_reason = NULL, updated_at = now()
    WHERE s.broadcast_id = b.broadcast_id AND s.status IN ('QUEUED', 'HELD', 'PAUSED');
    UPDATE engage.broadcasts x SET status = 'IDLE', cancelled_at = now(), cancel_reason = nullif(btrim(reason), ''),
        updated_at = now()
    WHERE x.broadcast_id = b.broadcast_id RETURNING * INTO b;
    RETURN b;
END
$$;
COMMENT ON FUNCTION engage.cancel_broadcast(bigint,text) IS 'Cancels a SCHEDULED, RUNNING or PAUSED broadcast: it never starts, or sends nothing more (waiting sends are suppressed with the reason; those a transport holds go on). It ends IDLE with cancelled_at. Returns the broadcast.';

-- Why a contact did or did not get a broadcast: not a member when it started (or it has not
-- started), suppressed or failed and why, or sent (queued, paused, with the transport, delivered,
-- undelivered) with its request ID.
CREATE FUNCTION engage.broadcast_recipient(broadcast_id bigint, contact_id bigint,
    OUT outcome text, OUT send_status text, OUT reason text, OUT request_id uuid, OUT locator text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    b engage.broadcasts;
    s engage.sends;
BEGIN
    SELECT * INTO b FROM engage.broadcasts x WHERE x.broadcast_id = broadcast_recipient.broadcast_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'broadcast % does not exist', coalesce(broadcast_id::text, 'NULL') USING ERRCODE = 'undefined_object',
            DETAIL = 'argument broadcast_id';
    END IF;
    SELECT * INTO s FROM engage.sends x
    WHERE x.contact_id = broadcast_recipient.contact_id AND x.broadcast_id = b.broadcast_id;
    IF NOT FOUND THEN
        outcome := CASE WHEN b.started_at IS NULL THEN 'the broadcast has not started'
                        ELSE 'not a member of its segments when it started' END;
        RETURN;
    END IF;
    outcome := CASE s.status WHEN 'SUPPRESSED' THEN 'suppressed' WHEN 'FAILED' THEN 'failed' ELSE 'sent' END;
    send_status := s.status;
    reason := s.reason;
    request_id := s.request_id;
    locator := s.locator;
END
$$;
COMMENT ON FUNCTION engage.broadcast_recipient(bigint,bigint) IS 'Why a contact did or did not get a broadcast: outcome (not started, not a member when it started, suppressed, failed or sent), with its send''s status, reason, request ID and locator.';

-- Per broadcast: its members and sends by what became of them (spec 001's broadcast counters).
CREATE VIEW engage.broadcast_stats AS
SELECT b.broadcast_id, b.name, b.status, b.scheduled_at, b.started_at, b.cancelled_at, b.members,
       count(s.send_id) FILTER (WHERE s.status IN ('QUEUED', 'HELD', 'PAUSED')) AS queued,
       count(s.send_id) FILTER (WHERE s.sent_at IS NOT NULL) AS sent,
       count(s.send_id) FILTER (WHERE s.status = 'DELIVERED') AS delivered,
       count(s.send_id) FILTER (WHERE s.status = 'UNDELIVERED') AS undelivered,
       count(s.send_id) FILTER (WHERE a.opened) AS opened,
       count(s.send_id) FILTER (WHERE a.clicked) AS clicked,
       count(s.send_id) FILTER (WHERE a.unsubscribed) AS unsubscribed,
       count(s.send_id) FILTER (WHERE s.status = 'SUPPRESSED') AS suppressed,
       count(s.send_id) FILTER (WHERE s.status = 'FAILED') AS failed
FROM engage.broadcasts b
LEFT JOIN engage.sends s ON s.broadcast_id = b.broadcast_id
LEFT JOIN LATERAL (
    SELECT bool_or(x.activity = 'RECEIVED') AS opened, bool_or(x.activity = 'CLICKED') AS clicked,
           bool_or(x.activity IN ('UNSUBSCRIBED', 'SPAM')) AS unsubscribed
    FROM engage.contact_activities x WHERE x.request_id = s.request_id) a ON s.sent_at IS NOT NULL
GROUP BY b.broadcast_id;
COMMENT ON VIEW engage.broadcast_stats IS 'Per broadcast: its members and its sends by what became of them (the data-source guide''s broadcast counters). One row per broadcast.';
COMMENT ON COLUMN engage.broadcast_stats.broadcast_id IS 'The broadcast';
COMMENT ON COLUMN engage.broadcast_stats.name IS 'Its name';
COMMENT ON COLUMN engage.broadcast_stats.status IS 'Its status (see engage.broadcasts.status)';
COMMENT ON COLUMN engage.broadcast_stats.scheduled_at IS 'When it was scheduled to start; NULL if it started at once';
COMMENT ON COLUMN engage.broadcast_stats.started_at IS 'When it started; NULL until it starts';
COMMENT ON COLUMN engage.broadcast_stats.cancelled_at IS 'When it was cancelled; NULL if it was not';
COMMENT ON COLUMN engage.broadcast_stats.members IS 'How many contacts its segments had when it started; NULL until it starts';
COMMENT ON COLUMN engage.broadcast_stats.queued IS 'Sends waiting for a transport: QUEUED, HELD or PAUSED';
COMMENT ON COLUMN engage.broadcast_stats.sent IS 'Sends a transport has claimed';
COMMENT ON COLUMN engage.broadcast_stats.delivered IS 'Sends now DELIVERED';
COMMENT ON COLUMN engage.broadcast_stats.undelivered IS 'Sends now UNDELIVERED';
COMMENT ON COLUMN engage.broadcast_stats.opened IS 'Sent sends with an open (RECEIVED) report';
COMMENT ON COLUMN engage.broadcast_stats.clicked IS 'Sent sends with a click report';
COMMENT ON COLUMN engage.broadcast_stats.unsubscribed IS 'Sent sends with an unsubscribe or spam report';
COMMENT ON COLUMN engage.broadcast_stats.suppressed IS 'Sends SUPPRESSED: never sent (no usable address, unsubscribed, or the broadcast was cancelled)';
COMMENT ON COLUMN engage.broadcast_stats.failed IS 'Sends FAILED: the template failed for the member';
