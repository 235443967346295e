-- Retention: how long each kind of data pg_engage writes by itself is kept. A built-in job
-- (engage retention, hourly) removes what is older, a bounded number of rows per kind and run,
-- so no run holds long locks or a long transaction and nothing is rewritten; a backlog goes
-- over the following runs. Data that is a record a user expects to keep (events, sends,
-- activities) is kept forever by default; the engine's own traces are not. Job runs keep their
-- own setting, engage.job_run_retention.

CREATE TABLE engage.retention (
    kind        text PRIMARY KEY,
    -- The table the kind's rows are in.
    relation    regclass NOT NULL,
    -- NULL: kept forever.
    keep        interval CHECK (keep >= interval '1 hour'),
    description text NOT NULL,
    last_run_at timestamptz,
    last_removed bigint
);
INSERT INTO engage.retention (kind, relation, keep, description) VALUES
    ('events', 'engage.events', NULL, 'events registered longer ago (never one still queued for the workflow worker)'),
    ('sends', 'engage.sends', NULL, 'sends created longer ago with their rendered bodies, once delivered, undelivered, '
                    'suppressed or failed (never one still queued, held, paused or sending)'),
    ('activities', 'engage.contact_activities', NULL, 'contact activities (deliveries, opens, clicks, …) that happened longer ago'),
    ('workflow_instances', 'engage.workflow_instances', '90 days', 'workflow instances that ended longer ago, except those whose once or '
                                      'once every period still holds (they are the launch rule)'),
    ('segment_changes', 'engage.segment_changes', '90 days', 'segment entries and exits recorded longer ago'),
    ('notifications', 'engage.notifications', '30 days', 'notifications created longer ago'),
    ('dead_letters', 'engage.dead_letters', '90 days', 'events set aside longer ago (retry them with engage.retry_dead_letters before)');
COMMENT ON TABLE engage.retention IS 'One row per kind of data pg_engage removes once older than its retention (engage.set_retention; the hourly job applies it)';
COMMENT ON COLUMN engage.retention.kind IS 'events, sends, activities, workflow_instances, segment_changes, notifications or dead_letters';
COMMENT ON COLUMN engage.retention.relation IS 'the table the kind''s rows are in';
COMMENT ON COLUMN engage.retention.keep IS 'how long rows are kept, at least an hour; NULL: forever';
COMMENT ON COLUMN engage.retention.description IS 'what is removed';
COMMENT ON COLUMN engage.retention.last_run_at IS 'the time (argument at) of the last engage.apply_retention run over this kind; NULL: never';
COMMENT ON COLUMN engage.retention.last_removed IS 'rows that run deleted one by one (months dropped whole not counted); NULL: never run';

-- Block ranges of the times retention compares: rows arrive in about time order, so the old rows
-- are the first pages, and the indexes cost next to nothing on the insert paths.
CREATE INDEX events_registered ON engage.events USING brin (registered_at);
CREATE INDEX sends_created ON engage.sends USING brin (created_at);
CREATE INDEX contact_activities_time ON engage.contact_activities USING brin (activity_at);
CREATE INDEX workflow_instances_started ON engage.workflow_instances USING brin (started_at);

-- Whether a month of a table can go whole at cutoff (its retention's start): it ended before
-- the cutoff and holds nothing the engine still has to act on (a queued event, a send not yet
-- delivered or given up) or a row newer than the cutoff (a send made, an activity that happened,
-- later than its request ID's month: activities go by their send's month).
CREATE FUNCTION engage_internal.month_can_go(relation regclass, partition regclass, cutoff timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    kept boolean;
BEGIN
    IF NOT EXISTS (SELECT FROM engage.time_partitions p WHERE p.partition = month_can_go.partition
                   AND p.from_time IS NOT NULL AND p.to_time <= cutoff) THEN
        RETURN false;
    END IF;
    EXECUTE CASE relation
        WHEN 'engage.events'::regclass THEN
            format('SELECT EXISTS (SELECT FROM engage.event_queue q JOIN %s e ON e.event_id = q.event_id)', partition)
        WHEN 'engage.sends'::regclass THEN
            format('SELECT EXISTS (SELECT FROM %s s WHERE s.status IN (''QUEUED'', ''HELD'', ''PAUSED'', ''SENDING'') '
                   'OR s.created_at >= $1)', partition)
        ELSE format('SELECT EXISTS (SELECT FROM %s a WHERE a.activity_at >= $1)', partition) END
    INTO kept USING cutoff;
    RETURN NOT kept;
END
$$;

-- How long a partitioned table's rows are kept (engage.retention; NULL: forever).
CREATE FUNCTION engage_internal.partition_keep(relation regclass) RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT r.keep FROM engage.retention r WHERE r.relation = partition_keep.relation
$$;

-- Keeps each partitioned table's months ahead of time (the current month and `ahead` more, at
-- most 24 new ones a call) and, where its kind has a retention, drops the months that can go
-- (engage_internal.month_can_go, checked once the table is held). Each table's changes run in a
-- subtransaction with a short lock_timeout: a table busy past it (or locked in a circle with
-- another session) is left for the next run, said in the result. The changes hold the tables
-- exclusively until the caller's transaction ends: call it last.
CREATE FUNCTION engage_internal.maintain_partitions(at timestamptz DEFAULT now(), ahead integer DEFAULT 2)
RETURNS TABLE (relation regclass, action text, partition text)
LANGUAGE plpgsql SET lock_timeout = '2s' AS $$
DECLARE
    t engage.partitioned_tables;
    horizon timestamptz := (date_trunc('month', at AT TIME ZONE 'UTC') + make_interval(months => ahead + 1)) AT TIME ZONE 'UTC';
    keep interval;
    oldest engage.time_partitions;
    actions text[];
    partitions text[];
BEGIN
    FOR t IN SELECT * FROM engage.partitioned_tables x ORDER BY x.relation::text LOOP
        relation := t.relation;
        keep := engage_internal.partition_keep(t.relation);
        actions := '{}';
        partitions := '{}';
        -- The table is held only when there may be something to do: a month to make, or an
        -- oldest month that ended before the retention.
        CONTINUE WHEN (SELECT p.from_time FROM engage.time_partitions p WHERE p.relation = t.relation AND p.to_time IS NULL) >= horizon
                  AND NOT EXISTS (SELECT FROM engage.time_partitions p
                                  WHERE p.relation = t.relation AND p.from_time IS NOT NULL AND p.to_time <= at - keep);
        BEGIN
            -- Held before anything is looked at, so that nothing is queued into a month while it
            -- is found done with and dropped.
            EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', t.relation);
            WHILE (SELECT p.from_time FROM engage.time_partitions p WHERE p.relation = t.relation AND p.to_time IS NULL) < horizon
                  AND cardinality(actions) < 24 LOOP
                actions := actions || 'created'::text;
                partitions := partitions || engage_internal.split_month_off(t.relation)::text;
            END LOOP;
            LOOP
                SELECT p.* INTO oldest FROM engage.time_partitions p
                WHERE p.relation = t.relation AND p.from_time IS NOT NULL AND p.to_time IS NOT NULL
                ORDER BY p.from_time LIMIT 1;
                EXIT WHEN keep IS NULL OR oldest.partition IS NULL
                          OR NOT engage_internal.month_can_go(t.relation, oldest.partition, at - keep);
                actions := actions || 'dropped'::text;
                partitions := partitions || oldest.partition::text;
                PERFORM engage_internal.drop_oldest_month(t.relation);
            END LOOP;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            -- What the block did was undone with it.
            actions := ARRAY['busy: left for the next run'];
            partitions := ARRAY[NULL];
        END;
        FOR i IN 1 .. cardinality(actions) LOOP
            action := actions[i];
            partition := partitions[i];
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;

-- Sets how long a kind of data is kept (NULL: forever); returns the setting.
CREATE FUNCTION engage.set_retention(kind text, keep interval) RETURNS engage.retention
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r engage.retention;
BEGIN
    IF keep < interval '1 hour' THEN
        RAISE EXCEPTION 'a retention must be at least an hour' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument keep: %s', keep), HINT = 'NULL keeps the data forever.';
    END IF;
    UPDATE engage.retention x SET keep = set_retention.keep WHERE x.kind = set_retention.kind RETURNING * INTO r;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown kind of data "%"', kind USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument kind',
            HINT = format('The kinds are %s.', (SELECT string_agg(x.kind, ', ' ORDER BY x.kind) FROM engage.retention x));
    END IF;
    RETURN r;
END
$$;
COMMENT ON FUNCTION engage.set_retention(text,interval) IS 'Sets how long a kind of data in engage.retention is kept and returns the row; NULL keeps it forever, less than an hour or an unknown kind is refused. For engage_admin.';

-- Applies the retentions: for each kind with a retention, up to max_rows rows older than at minus
-- the retention are deleted (each partition's old rows read through the time's block-range index
-- and deleted by row address); then the partitioned tables (engage_internal.maintain_partitions) get their
-- months ahead and drop whole months past their retention. Returns per kind the months it
-- dropped, the rows it deleted, and whether older rows remain. at is for trials and tests: a
-- time far ahead would drop every month.
CREATE FUNCTION engage.apply_retention(at timestamptz DEFAULT now(), max_rows integer DEFAULT 100000)
RETURNS TABLE (kind text, months_dropped integer, removed bigint, more boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    leaf regclass;
    n bigint;
    -- What each kind's deletes did (reported once the months dropped are known too).
    kinds text[] := '{}';
    relations regclass[] := '{}';
    removals bigint[] := '{}';
    dropped jsonb := '{}';
    i integer;
BEGIN
    PERFORM engage_internal.require_at_least_one('max_rows', max_rows);
    PERFORM engage_internal.require_value('at', at);
    IF NOT isfinite(at) OR at > now() + interval '10 years' THEN
        RAISE EXCEPTION 'at must be a time before ten years from now' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument at: %s', at);
    END IF;
    FOR r IN
        SELECT x.kind, x.keep, x.relation, t.old_rows
        FROM engage.retention x
        JOIN (VALUES
            ('events', 'x.registered_at < $1 AND NOT EXISTS (SELECT FROM engage.event_queue q WHERE q.event_id = x.event_id)'),
            ('sends', 'x.created_at < $1 AND x.status NOT IN (''QUEUED'', ''HELD'', ''PAUSED'', ''SENDING'')'),
            ('activities', 'x.activity_at < $1'),
            ('workflow_instances',
             'x.started_at < $1 AND x.ended_at < $1 AND x.status IN (''completed'', ''stopped'', ''failed'') '
             'AND (x.launch_period IS NULL OR upper(x.launch_period) <= $2)'),
            ('segment_changes', 'x.changed_at < $1'),
            ('notifications', 'x.created_at < $1'),
            ('dead_letters', 'x.failed_at < $1')
        ) AS t(kind, old_rows) ON t.kind = x.kind
        WHERE x.keep IS NOT NULL
        ORDER BY x.kind
    LOOP
        n := 0;
        -- Row addresses are a partition's own: each partition is deleted from by itself.
        FOR leaf IN SELECT l FROM engage_internal.leaf_tables(r.relation) l ORDER BY l LOOP
            EXIT WHEN n >= max_rows;
            -- A month that goes whole below is not deleted from row by row first.
            CONTINUE WHEN engage_internal.month_can_go(r.relation, leaf, at - r.keep);
            EXECUTE format('WITH gone AS (DELETE FROM %1$s t WHERE t.ctid = ANY (ARRAY('
                           'SELECT x.ctid FROM %1$s x WHERE %2$s LIMIT $3)) RETURNING 1) '
                           'SELECT $4 + count(*) FROM gone', leaf, r.old_rows)
            INTO n USING at - r.keep, at, max_rows - n, n;
        END LOOP;
        kinds := kinds || r.kind;
        relations := relations || r.relation;
        removals := removals || n;
    END LOOP;
    -- The partitions last: changing them holds their tables exclusively until this transaction
    -- ends, which then comes at once, and this transaction holds nothing that a session waiting
    -- for those tables could be waiting for in turn.
    SELECT coalesce(jsonb_object_agg(m.relation::text, m.months), '{}') INTO dropped
    FROM (SELECT m.relation, count(*) AS months FROM engage_internal.maintain_partitions(at) m
          WHERE m.action = 'dropped' GROUP BY m.relation) m;
    FOR i IN 1 .. cardinality(kinds) LOOP
        kind := kinds[i];
        months_dropped := coalesce((dropped ->> relations[i]::text)::integer, 0);
        removed := removals[i];
        more := removals[i] >= max_rows;
        UPDATE engage.retention x SET last_run_at = at, last_removed = removals[i] WHERE x.kind = kinds[i];
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION engage.apply_retention(timestamp with time zone,integer) IS 'Removes data older than its retention (up to max_rows rows a kind), drops whole months past it and adds months ahead. Returns per kind months dropped, rows removed, whether more remain. at is for tests. For engage_admin.';

-- Retention as a job kind: arguments {"max_rows": N} (default 100,000 a kind).
CREATE FUNCTION engage_internal.run_retention_job(arguments jsonb) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(format('%s %s%s%s', r.kind, r.removed, CASE WHEN r.more THEN '+' ELSE '' END,
                                      CASE WHEN r.months_dropped > 0 THEN format(' (%s months dropped)', r.months_dropped) END),
                               ', '),
                    'no retention set')
    FROM engage.apply_retention(now(), coalesce((arguments ->> 'max_rows')::integer, 100000)) r
$$;
INSERT INTO engage.job_kinds (kind, run_function, description)
VALUES ('retention', 'engage_internal.run_retention_job(jsonb)',
        'removes data older than its retention (engage.retention): arguments {"max_rows": N} a kind and run');
-- The job itself, 'engage retention', is scheduled by privileges.sql, owned by engage_admin.
-- The months ahead of the partitioned tables (engage.apply_retention keeps them coming).
SELECT count(*) FROM engage_internal.maintain_partitions();
