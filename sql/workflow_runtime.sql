-- Running workflows: engage.process_events claims queued events and launches and runs instances,
-- engage.run_due_waits resumes the waiting ones. Both run each batch set-based: every statement
-- moves all the batch's instances standing at blocks of one type, so a thousand launches of a
-- one-block workflow are one render-and-insert statement (into the outbox, sql/sends.sql).

-- What the foreign keys of a batch's new instances would check, once for the batch: their
-- contacts and workflows exist, and are held (FOR KEY SHARE) until the transaction ends, so that
-- a delete of one waits for it and its cascade then sees the instances. One that is gone fails
-- the batch with 23503, as the key would (engage.process_events then sets its event aside).
CREATE FUNCTION engage_internal.hold_instance_parents(contact_ids bigint[], workflow_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    held integer;
    missing bigint;
BEGIN
    -- The IDs are distinct: as many rows held as IDs means none is gone.
    SELECT count(*) INTO held FROM (SELECT FROM engage.contacts c WHERE c.contact_id = ANY (contact_ids)
                                    ORDER BY c.contact_id FOR KEY SHARE) x;
    IF held < cardinality(contact_ids) THEN
        SELECT min(id) INTO missing FROM unnest(contact_ids) id
        WHERE NOT EXISTS (SELECT FROM engage.contacts c WHERE c.contact_id = id);
        RAISE EXCEPTION 'contact % does not exist', missing USING ERRCODE = 'foreign_key_violation',
            DETAIL = 'It was deleted after its event was stored: no workflow can be launched for it.';
    END IF;
    SELECT count(*) INTO held FROM (SELECT FROM engage.workflows w WHERE w.workflow_id = ANY (workflow_ids)
                                    ORDER BY w.workflow_id FOR KEY SHARE) x;
    IF held < cardinality(workflow_ids) THEN
        SELECT min(id) INTO missing FROM unnest(workflow_ids) id
        WHERE NOT EXISTS (SELECT FROM engage.workflows w WHERE w.workflow_id = id);
        RAISE EXCEPTION 'workflow % does not exist', missing USING ERRCODE = 'foreign_key_violation';
    END IF;
END
$$;

-- New events of types that start an active workflow or stop one are queued for processing,
-- and the workflow worker is woken when the transaction commits (listeners outside the
-- database hear NOTIFY engage_events).
CREATE FUNCTION engage_internal.queue_events() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO engage.event_queue (event_id, registered_at)
    SELECT f.event_id, f.registered_at FROM fresh f
    WHERE f.event_type_id IN (
        SELECT t.event_type_id FROM engage.workflow_triggers t JOIN engage.workflows w USING (workflow_id)
        WHERE w.status = 'active' OR t.action = 'stop');
    IF FOUND THEN
        PERFORM engage_internal.wake_workflow_worker();
        PERFORM pg_notify('engage_events', '');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_queued AFTER INSERT ON engage.events
    REFERENCING NEW TABLE AS fresh FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.queue_events();

-- contactImported for each new contact of an import (engage.upsert_contacts), keyed by the
-- contact's email, else its external ID or internal ID. Recorded only while a workflow links the
-- event type, so that imports nothing listens to stay as fast as they were.
CREATE FUNCTION engage_internal.record_imported(contact_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO engage.events (event_type_id, key_value, contact_id, params)
    SELECT t.event_type_id, coalesce(em.value, c.external_customer_id, c.contact_id::text), c.contact_id,
           jsonb_strip_nulls(jsonb_build_object('ContactId', c.contact_id::text,
               'ExternalCustomerId', c.external_customer_id, 'EmailAddress', em.value, 'Phone', sms.value,
               'source', c.source))
    FROM engage.event_types t
    CROSS JOIN unnest(contact_ids) AS n(id)
    JOIN engage.contacts c ON c.contact_id = n.id
    LEFT JOIN engage.channels em ON em.contact_id = c.contact_id AND em.type = 'email'
    LEFT JOIN engage.channels sms ON sms.contact_id = c.contact_id AND sms.type = 'sms'
    WHERE t.key = 'contactImported'
      AND EXISTS (SELECT FROM engage.workflow_triggers w WHERE w.event_type_id = t.event_type_id)
    ORDER BY n.id
$$;

-- Whether an event param passes a condition's test: compared as text, or as numbers for
-- greater/less (a param that is no number passes neither).
CREATE FUNCTION engage_internal.param_test(v jsonb, op text, expected text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT coalesce(CASE op
    WHEN 'exists' THEN v IS NOT NULL AND v <> 'null'
    WHEN 'not_exists' THEN v IS NULL OR v = 'null'
    WHEN 'equals' THEN v #>> '{}' = expected
    WHEN 'not_equals' THEN v #>> '{}' IS DISTINCT FROM expected
    WHEN 'contains' THEN strpos(v #>> '{}', expected) > 0
    WHEN 'starts_with' THEN starts_with(v #>> '{}', expected)
    WHEN 'greater' THEN CASE WHEN v #>> '{}' ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (v #>> '{}')::numeric > expected::numeric END
    WHEN 'less' THEN CASE WHEN v #>> '{}' ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (v #>> '{}')::numeric < expected::numeric END
END, false)
$$;

-- The next time a clock in time zone tz shows time_of_day, after at.
CREATE FUNCTION engage_internal.next_time_of_day(at timestamptz, time_of_day time, tz text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
SELECT CASE WHEN today > at THEN today ELSE ((date_trunc('day', at AT TIME ZONE tz) + interval '1 day' + time_of_day) AT TIME ZONE tz) END
FROM (SELECT (date_trunc('day', at AT TIME ZONE tz) + time_of_day) AT TIME ZONE tz AS today) d
$$;

-- An instance standing at a block: what engage_internal.send_blocks takes.
CREATE TYPE engage.workflow_step AS (instance_id bigint, workflow_id bigint, version integer, contact_id bigint, block_id text,
                                     params jsonb);

-- Runs send-message blocks: renders each step's message for its contact (with the start event's
-- params as $data, or the block's JSON source among them) and queues the send in the outbox, or
-- records it with why it was not sent (engage_internal.send_statement). Returns for each instance
-- whether its template failed (with the error) and how many sends it made (a push message goes
-- to every device of the contact); the callers move it on from its block (they hold its
-- version). Workflow sends are made here: for instances moving through a graph
-- (engage_internal.advance_instances) and for launches that start with a send
-- (engage_internal.run_events), which are written once, already past it.
CREATE FUNCTION engage_internal.send_blocks(steps engage.workflow_step[], at timestamptz)
RETURNS TABLE (instance_id bigint, failed boolean, error text, sends integer)
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE engage_internal.send_statement(
        $sql$SELECT d.instance_id, b.message_id, d.contact_id, NULL::text, b.channel, NULL::json, d.params, b.json_source, 'IM',
                    NULL::bigint, d.workflow_id, d.instance_id, d.block_id, NULL::text, $2
             FROM unnest($1) d
             JOIN engage.workflow_blocks b ON b.workflow_id = d.workflow_id AND b.version = d.version
                                          AND b.block_id = d.block_id$sql$,
        $sql$ARRAY(SELECT DISTINCT b.message_id FROM unnest($1) d
                   JOIN engage.workflow_blocks b ON b.workflow_id = d.workflow_id AND b.version = d.version
                                                AND b.block_id = d.block_id)$sql$,
        -- One row per instance (a push send is one per device; a template fails for all of them).
        $sql$SELECT q.instance_id, bool_or(q.status = 'FAILED'), min(q.reason) FILTER (WHERE q.status = 'FAILED'),
                    count(*)::integer
             FROM queued q GROUP BY q.instance_id$sql$)
    USING steps, at;
END
$$;

-- Runs every instance this transaction has running, block by block, until each waits or ends.
-- Each round moves all of them standing at blocks of one type with one statement per type; the
-- graph check (no cycle without a wait) bounds the rounds. Returns what happened to them.
CREATE FUNCTION engage_internal.advance_instances(at timestamptz,
    OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    f integer;
    c integer;
    rounds integer := 0;
BEGIN
    sends := 0; waiting := 0; completed := 0; failed := 0;
    LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM engage.workflow_instances WHERE status = 'running');
        rounds := rounds + 1;
        IF rounds > 1002 THEN
            RAISE EXCEPTION 'workflow instances ran % rounds without waiting', rounds - 1 USING ERRCODE = 'internal_error';
        END IF;

        -- Send message: rendered and queued (engage_internal.send_blocks); an instance whose path ends with
        -- the send completes here, not in another update.
        WITH moved AS (
            UPDATE engage.workflow_instances i
            SET block_id = CASE WHEN NOT x.failed THEN b.next END,
                status = CASE WHEN x.failed THEN 'failed' WHEN b.next IS NULL THEN 'completed' ELSE 'running' END,
                error = x.error, ended_at = CASE WHEN x.failed OR b.next IS NULL THEN at END, steps = i.steps + 1,
                updated_at = at
            FROM engage_internal.send_blocks(ARRAY(
                     SELECT ROW(r.instance_id, r.workflow_id, r.version, r.contact_id, r.block_id, r.params)::engage.workflow_step
                     FROM engage.workflow_instances r
                     JOIN engage.workflow_blocks b ON b.workflow_id = r.workflow_id AND b.version = r.version AND b.block_id = r.block_id
                     WHERE r.status = 'running' AND b.type = 'send_message'), at) x,
                 engage.workflow_blocks b
            WHERE i.instance_id = x.instance_id
              AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
            RETURNING i.status, x.sends
        )
        SELECT coalesce(sum(moved.sends), 0), count(*) FILTER (WHERE status = 'failed'),
               count(*) FILTER (WHERE status = 'completed')
        INTO n, f, c FROM moved;
        sends := sends + n;
        failed := failed + f;
        completed := completed + c;

        -- Condition: yes or no.
        UPDATE engage.workflow_instances i
        SET block_id = CASE WHEN CASE WHEN b.segment_id IS NOT NULL
                                      THEN EXISTS (SELECT FROM engage.segment_members sm
                                                   WHERE sm.segment_id = b.segment_id AND sm.contact_id = i.contact_id)
                                      ELSE engage_internal.param_test(i.params -> b.param, b.op, b.value) END
                            THEN b.yes ELSE b.no END,
            steps = i.steps + 1, updated_at = at
        FROM engage.workflow_blocks b
        WHERE i.status = 'running' AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id AND b.type = 'condition';

        -- Get order: the contact's order that the start event names (by the block's param,
        -- externalOrderId by default) with its items, into $data as "order"; an instance whose
        -- contact has no such order fails, so that nothing is sent about an order it cannot show.
        WITH due AS (
            SELECT i.instance_id, b.next, b.param, i.params ->> b.param AS key,
                   engage_internal.order_object(i.contact_id, i.params ->> b.param) AS found
            FROM engage.workflow_instances i
            JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
            WHERE i.status = 'running' AND b.type = 'get_order'
        ), got AS (
            UPDATE engage.workflow_instances i
            SET params = CASE WHEN d.found IS NULL THEN i.params ELSE i.params || jsonb_build_object('order', d.found) END,
                block_id = CASE WHEN d.found IS NULL THEN i.block_id ELSE d.next END,
                status = CASE WHEN d.found IS NULL THEN 'failed' ELSE i.status END,
                error = CASE WHEN d.found IS NULL THEN format('the contact has no order %s (param %s)',
                                                              coalesce(quote_literal(d.key), 'NULL'), d.param) END,
                ended_at = CASE WHEN d.found IS NULL THEN at END,
                steps = i.steps + 1, updated_at = at
            FROM due d
            WHERE i.instance_id = d.instance_id
            RETURNING i.status)
        SELECT count(*) INTO f FROM got WHERE status = 'failed';
        failed := failed + f;

        -- Add to / remove from a static segment.
        INSERT INTO engage.segment_members (segment_id, contact_id, added_at)
        SELECT b.segment_id, i.contact_id, at
        FROM engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        WHERE i.status = 'running' AND b.type = 'add_to_segment'
        ON CONFLICT DO NOTHING;
        DELETE FROM engage.segment_members sm
        USING engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        WHERE i.status = 'running' AND b.type = 'remove_from_segment'
          AND sm.segment_id = b.segment_id AND sm.contact_id = i.contact_id;

        -- Generate event: for the instance's contact, processed by a later batch.
        PERFORM engage_internal.register_event_types(array_agg(b.event_type_key))
        FROM engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        WHERE i.status = 'running' AND b.type = 'generate_event';
        INSERT INTO engage.events (event_type_id, key_value, contact_id, params, registered_at)
        SELECT t.event_type_id, i.contact_id::text, i.contact_id, coalesce(b.event_params, '{}'), at
        FROM engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        JOIN engage.event_types t ON t.key = b.event_type_key
        WHERE i.status = 'running' AND b.type = 'generate_event'
        ORDER BY i.instance_id;

        UPDATE engage.workflow_instances i SET block_id = b.next, steps = i.steps + 1, updated_at = at
        FROM engage.workflow_blocks b
        WHERE i.status = 'running' AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
          AND b.type IN ('add_to_segment', 'remove_from_segment', 'generate_event');

        -- Wait: for a duration, or until a time of day in the contact's time zone.
        UPDATE engage.workflow_instances i
        SET status = 'waiting', block_id = b.next, steps = i.steps + 1, updated_at = at,
            resume_at = CASE WHEN b.wait_seconds IS NOT NULL THEN at + make_interval(secs => b.wait_seconds)
                             ELSE engage_internal.next_time_of_day(at, b.wait_until, coalesce(c.time_zone, engage_internal.default_time_zone())) END
        FROM engage.workflow_blocks b, engage.contacts c
        WHERE i.status = 'running' AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id AND b.type = 'wait'
          AND c.contact_id = i.contact_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        waiting := waiting + n;

        -- Exit, or the end of a path.
        UPDATE engage.workflow_instances i
        SET status = 'completed', block_id = NULL, ended_at = at, updated_at = at,
            steps = i.steps + CASE WHEN i.block_id IS NULL THEN 0 ELSE 1 END
        WHERE i.status = 'running'
          AND (i.block_id IS NULL OR EXISTS (SELECT FROM engage.workflow_blocks b
               WHERE b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id AND b.type = 'exit'));
        GET DIAGNOSTICS n = ROW_COUNT;
        completed := completed + n;
    END LOOP;
END
$$;

-- Whether an error is the kind that goes away by itself (a conflict with another session, no
-- memory or disk, an operator or a lost connection): such an error fails the whole call, whose
-- work is then done again later, rather than setting an event or instance aside.
CREATE FUNCTION engage_internal.transient_error(sqlstate text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT left(sqlstate, 2) IN ('08', '40', '53', '57', '58') OR sqlstate = '55P03'
$$;

-- Launches the workflows the claimed events start, under each link's launch rule, runs the new
-- instances until they wait or end, then ends the instances their stop events stop. The events
-- were registered between earliest and latest. Internal: engage.process_events calls it for a
-- batch, and for one event at a time when the batch fails.
CREATE FUNCTION engage_internal.run_events(claimed bigint[], at timestamptz, earliest timestamptz, latest timestamptz,
    OUT launched integer, OUT not_launched integer, OUT no_contact integer,
    OUT stopped integer, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
LANGUAGE plpgsql AS $$
DECLARE
    candidates integer;
    contact_ids bigint[];
    workflow_ids bigint[];
    r record;
BEGIN
    -- The workflows the events start are held first, in a statement of their own, so that the
    -- launch below reads a version that engage.alter_workflow (which waits for this hold, or makes
    -- this wait for its commit) has finished writing, and that no prune removes while it runs.
    PERFORM FROM (SELECT FROM engage.workflows w
                  WHERE w.workflow_id IN (SELECT t.workflow_id FROM engage.events e
                                          JOIN engage.workflow_triggers t ON t.event_type_id = e.event_type_id
                                          WHERE e.event_id = ANY (claimed) AND t.action = 'start'
                                            AND e.registered_at BETWEEN earliest AND latest)
                  ORDER BY w.workflow_id FOR KEY SHARE) x;
    -- The start links the events hit; launched in event order, so that of two events within a
    -- period the earlier launches. A launch under 'each time' (which no other can hold back) whose
    -- first block sends is written once, past the send; the others start at their first block.
    WITH hit AS (
        SELECT t.workflow_id, w.version, e.contact_id, e.event_id, e.registered_at, e.params, t.launch, t.every
        FROM engage.events e
        JOIN engage.workflow_triggers t ON t.event_type_id = e.event_type_id AND t.action = 'start'
        JOIN engage.workflows w ON w.workflow_id = t.workflow_id AND w.status = 'active'
        WHERE e.event_id = ANY (claimed) AND e.registered_at BETWEEN earliest AND latest
    ), fresh AS MATERIALIZED (
        SELECT nextval('engage.workflow_instances_instance_id_seq') AS instance_id,
               h.workflow_id, h.version, h.contact_id, h.event_id, h.params, b.block_id, b.next,
               CASE h.launch WHEN 'once' THEN tstzrange(h.registered_at, 'infinity')
                             WHEN 'once every' THEN tstzrange(h.registered_at, h.registered_at + h.every) END AS period,
               h.launch = 'each time' AND b.type = 'send_message' AS sends_now
        FROM hit h
        JOIN engage.workflow_blocks b ON b.workflow_id = h.workflow_id AND b.version = h.version AND b.position = 0
        WHERE h.contact_id IS NOT NULL
        ORDER BY h.event_id, h.workflow_id
    ), sent AS MATERIALIZED (
        SELECT * FROM engage_internal.send_blocks(ARRAY(
            SELECT ROW(f.instance_id, f.workflow_id, f.version, f.contact_id, f.block_id, f.params)::engage.workflow_step
            FROM fresh f WHERE f.sends_now), at)
    ), inserted AS (
        INSERT INTO engage.workflow_instances (instance_id, workflow_id, version, contact_id, event_id, launch_period,
                                              status, block_id, params, error, steps, started_at, updated_at, ended_at)
        SELECT f.instance_id, f.workflow_id, f.version, f.contact_id, f.event_id, f.period,
               CASE WHEN x.failed THEN 'failed' WHEN x.instance_id IS NOT NULL AND f.next IS NULL THEN 'completed'
                    ELSE 'running' END,
               CASE WHEN x.instance_id IS NULL THEN f.block_id WHEN NOT x.failed THEN f.next END, f.params, x.error,
               CASE WHEN x.instance_id IS NULL THEN 0 ELSE 1 END, at, at,
               CASE WHEN x.failed OR (x.instance_id IS NOT NULL AND f.next IS NULL) THEN at END
        FROM fresh f LEFT JOIN sent x ON x.instance_id = f.instance_id
        ORDER BY f.event_id, f.workflow_id
        ON CONFLICT DO NOTHING
        RETURNING workflow_instances.status, workflow_instances.contact_id, workflow_instances.workflow_id
    )
    -- Every launch that sent is inserted: under 'each time' nothing holds one back.
    SELECT (SELECT count(*) FROM inserted), count(*) FILTER (WHERE h.contact_id IS NOT NULL),
           count(DISTINCT h.event_id) FILTER (WHERE h.contact_id IS NULL),
           (SELECT coalesce(sum(x.sends), 0) FROM sent x),
           (SELECT count(*) FROM inserted i WHERE i.status = 'completed'),
           (SELECT count(*) FROM inserted i WHERE i.status = 'failed'),
           ARRAY(SELECT DISTINCT i.contact_id FROM inserted i), ARRAY(SELECT DISTINCT i.workflow_id FROM inserted i)
    INTO launched, candidates, no_contact, sends, completed, failed, contact_ids, workflow_ids
    FROM hit h;
    not_launched := candidates - launched;
    PERFORM engage_internal.hold_instance_parents(contact_ids, workflow_ids);

    SELECT * INTO r FROM engage_internal.advance_instances(at);
    sends := sends + r.sends; waiting := r.waiting; completed := completed + r.completed; failed := failed + r.failed;

    -- A stop event ends the instances of its contact that an earlier event started.
    UPDATE engage.workflow_instances i
    SET status = 'stopped', block_id = NULL, resume_at = NULL, ended_at = at, updated_at = at
    FROM engage.events e
    JOIN engage.workflow_triggers t ON t.event_type_id = e.event_type_id AND t.action = 'stop'
    WHERE e.event_id = ANY (claimed) AND e.registered_at BETWEEN earliest AND latest
      AND i.workflow_id = t.workflow_id AND i.contact_id = e.contact_id
      AND i.status = 'waiting' AND i.event_id < e.event_id;
    GET DIAGNOSTICS stopped = ROW_COUNT;
END
$$;

-- Claims up to max_events queued events (in order; events other sessions hold are skipped) and
-- runs them (engage_internal.run_events) as one batch. When the batch fails, each event runs alone, and
-- one that fails alone is set aside in engage.dead_letters: the others go on. One transaction:
-- if it dies, the events are claimed again and nothing they caused stays.
CREATE FUNCTION engage.process_events(max_events integer DEFAULT 1000,
    OUT events integer, OUT launched integer, OUT not_launched integer, OUT no_contact integer,
    OUT stopped integer, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer,
    OUT dead_letters integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    claimed bigint[];
    times timestamptz[];
    at timestamptz := now();
    n integer;
    r record;
    state text;
    message text;
BEGIN
    PERFORM engage_internal.require_at_least_one('max_events', max_events);
    WITH c AS (
        DELETE FROM engage.event_queue q
        WHERE q.event_id IN (SELECT x.event_id FROM engage.event_queue x ORDER BY x.event_id
                             LIMIT max_events FOR UPDATE SKIP LOCKED)
        RETURNING q.event_id, q.registered_at)
    SELECT coalesce(array_agg(c.event_id ORDER BY c.event_id), '{}'), coalesce(array_agg(c.registered_at ORDER BY c.event_id), '{}')
    INTO claimed, times FROM c;
    events := cardinality(claimed);
    launched := 0; not_launched := 0; no_contact := 0; stopped := 0; sends := 0; waiting := 0; completed := 0;
    failed := 0; dead_letters := 0;
    BEGIN
        SELECT * INTO launched, not_launched, no_contact, stopped, sends, waiting, completed, failed
        FROM engage_internal.run_events(claimed, at, (SELECT min(t) FROM unnest(times) t), (SELECT max(t) FROM unnest(times) t));
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        IF engage_internal.transient_error(SQLSTATE) THEN
            RAISE;
        END IF;
    END;
    FOR n IN 1 .. cardinality(claimed) LOOP
        BEGIN
            SELECT * INTO r FROM engage_internal.run_events(ARRAY[claimed[n]], at, times[n], times[n]);
            launched := launched + r.launched; not_launched := not_launched + r.not_launched;
            no_contact := no_contact + r.no_contact; stopped := stopped + r.stopped; sends := sends + r.sends;
            waiting := waiting + r.waiting; completed := completed + r.completed; failed := failed + r.failed;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            IF engage_internal.transient_error(state) THEN
                RAISE;
            END IF;
            INSERT INTO engage.dead_letters (event_id, sqlstate, error) VALUES (claimed[n], state, message)
            ON CONFLICT (event_id) DO UPDATE SET failed_at = EXCLUDED.failed_at, sqlstate = EXCLUDED.sqlstate,
                                                 error = EXCLUDED.error;
            dead_letters := dead_letters + 1;
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION engage.process_events(integer) IS 'Claims up to max_events queued events and runs them as one batch: launches, runs and stops instances. If the batch fails, each event runs alone and one that fails is set aside in engage.dead_letters. Returns counts.';

-- Queues events set aside again (all of them, or those listed), for the next process_events;
-- returns how many.
CREATE FUNCTION engage.retry_dead_letters(event_ids bigint[] DEFAULT NULL) RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH retried AS (
        DELETE FROM engage.dead_letters d WHERE event_ids IS NULL OR d.event_id = ANY (event_ids)
        RETURNING d.event_id),
    queued AS (
        INSERT INTO engage.event_queue (event_id, registered_at)
        SELECT e.event_id, e.registered_at FROM engage.events e WHERE e.event_id IN (SELECT r.event_id FROM retried r)
        ON CONFLICT DO NOTHING RETURNING 1)
    SELECT count(*)::integer FROM queued
$$;
COMMENT ON FUNCTION engage.retry_dead_letters(bigint[]) IS 'Queues events set aside in engage.dead_letters again, for the next engage.process_events: those listed, or all when event_ids is NULL. Returns how many were queued.';

-- Moves the instances to resume (claimed by run_due_waits) on from where they wait. Internal.
CREATE FUNCTION engage_internal.resume_instances(instances bigint[], at timestamptz,
    OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE engage.workflow_instances i SET status = 'running', resume_at = NULL, updated_at = at
    WHERE i.instance_id = ANY (instances);
    SELECT * INTO sends, waiting, completed, failed FROM engage_internal.advance_instances(at);
END
$$;

-- Resumes up to max_instances instances whose wait has ended by at, and runs them on. When the
-- batch fails, each runs alone, and one that fails alone ends as failed, with the error.
CREATE FUNCTION engage.run_due_waits(at timestamptz DEFAULT now(), max_instances integer DEFAULT 1000,
    OUT resumed integer, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    due bigint[];
    instance bigint;
    r record;
    state text;
    message text;
BEGIN
    PERFORM engage_internal.require_at_least_one('max_instances', max_instances);
    PERFORM engage_internal.require_value('at', at);
    SELECT coalesce(array_agg(x.instance_id), '{}') INTO due
    FROM (SELECT x.instance_id FROM engage.workflow_instances x
          WHERE x.status = 'waiting' AND x.resume_at <= at
          ORDER BY x.resume_at LIMIT max_instances FOR UPDATE SKIP LOCKED) x;
    resumed := cardinality(due);
    sends := 0; waiting := 0; completed := 0; failed := 0;
    BEGIN
        SELECT * INTO sends, waiting, completed, failed FROM engage_internal.resume_instances(due, at);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        IF engage_internal.transient_error(SQLSTATE) THEN
            RAISE;
        END IF;
    END;
    FOREACH instance IN ARRAY due LOOP
        BEGIN
            SELECT * INTO r FROM engage_internal.resume_instances(ARRAY[instance], at);
            sends := sends + r.sends; waiting := waiting + r.waiting; completed := completed + r.completed;
            failed := failed + r.failed;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            IF engage_internal.transient_error(state) THEN
                RAISE;
            END IF;
            UPDATE engage.workflow_instances i
            SET status = 'failed', resume_at = NULL, ended_at = at, updated_at = at,
                error = format('set aside: %s (SQLSTATE %s)', message, state)
            WHERE i.instance_id = instance;
            failed := failed + 1;
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION engage.run_due_waits(timestamp with time zone,integer) IS 'Resumes up to max_instances waiting instances whose resume_at is at or before at, and runs them on until they wait or end. If the batch fails, each runs alone and one that fails ends as failed. Returns counts.';

-- The event history (spec 004): events of a type (key or name; NULL for all) registered in
-- [from, to), whose key contains key_search, newest first, with the workflows linked to the
-- type, the contact found, the params, the instances the event launched and, for an event set
-- aside, why.
CREATE FUNCTION engage.event_history(event_type text DEFAULT NULL, "from" timestamptz DEFAULT NULL,
    "to" timestamptz DEFAULT NULL, key_search text DEFAULT NULL, max_rows integer DEFAULT 100)
RETURNS TABLE (event_id bigint, event_type_key text, key_value text, linked_workflows text[], contact_id bigint,
               registered_at timestamptz, params jsonb, instances bigint[], dead_letter text)
LANGUAGE sql STABLE AS $$
    SELECT e.event_id, t.key, e.key_value,
           (SELECT coalesce(array_agg(w.name ORDER BY w.name), '{}') FROM engage.workflow_triggers l
              JOIN engage.workflows w USING (workflow_id) WHERE l.event_type_id = t.event_type_id),
           e.contact_id, e.registered_at, e.params,
           (SELECT coalesce(array_agg(i.instance_id ORDER BY i.instance_id), '{}')
              FROM engage.workflow_instances i WHERE i.event_id = e.event_id),
           (SELECT format('%s (SQLSTATE %s)', d.error, d.sqlstate) FROM engage.dead_letters d WHERE d.event_id = e.event_id)
    FROM engage.events e
    JOIN engage.event_types t ON t.event_type_id = e.event_type_id
    WHERE (event_type IS NULL OR t.key = event_type OR t.name = event_type)
      AND ("from" IS NULL OR e.registered_at >= "from")
      AND ("to" IS NULL OR e.registered_at < "to")
      AND (key_search IS NULL OR strpos(lower(e.key_value), lower(key_search)) > 0)
    ORDER BY e.registered_at DESC, e.event_id DESC
    LIMIT max_rows
$$;
COMMENT ON FUNCTION engage.event_history(text,timestamp with time zone,timestamp with time zone,text,integer) IS 'Events of a type (key or name; NULL: all) registered in [from, to) whose key contains key_search, newest first, at most max_rows; each with linked workflows, contact, params, launched instances and, if set aside, the error.';
