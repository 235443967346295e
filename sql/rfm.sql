-- RFM (spec 002: only DELIVERED orders count). Per contact: recency (whole days since the last
-- delivered order), frequency (how many) and monetary value (their total), each scored 1 to 5 by
-- fixed thresholds (engage.rfm_bands), and the RFM segment the three scores fall in
-- (engage.rfm_segments). Fixed thresholds, not quantiles: a contact's cell changes only when its
-- own orders or the clock move it, never because other contacts ordered. Segment rules target
-- the cells with {"rfm_segment": "Champions"}; engage.create_rfm_segments makes one dynamic
-- segment per RFM segment.

-- The thresholds, four per dimension, ascending. Recency scores 5 below the first number of
-- days, 4 below the second, 3 below the third, 2 below the fourth, else 1. Frequency and
-- monetary score 1 below the first, 2 from the first, 3 from the second, 4 from the third, 5 from
-- the fourth. One row; engage.set_rfm_bands changes it.
CREATE TABLE engage.rfm_bands (
    one           boolean PRIMARY KEY DEFAULT true CHECK (one),
    recency_days  integer[] NOT NULL,
    frequency     integer[] NOT NULL,
    monetary      numeric[] NOT NULL,
    -- Set when bands or segments change: a recompute after it is a full one.
    changed_at    timestamptz NOT NULL DEFAULT now(),
    -- When the last recompute ended (NULL: never).
    recomputed_at timestamptz
);
INSERT INTO engage.rfm_bands (recency_days, frequency, monetary)
VALUES ('{30,90,180,365}', '{2,3,5,10}', '{50,200,500,1000}');
COMMENT ON TABLE engage.rfm_bands IS 'The RFM score thresholds: one row, changed by engage.set_rfm_bands.';
COMMENT ON COLUMN engage.rfm_bands.one IS 'always true: keeps the table to one row';
COMMENT ON COLUMN engage.rfm_bands.recency_days IS 'four ascending day counts: recency scores 5 below the first, 4 below the second, ... 1 from the fourth';
COMMENT ON COLUMN engage.rfm_bands.frequency IS 'four ascending order counts: frequency scores 1 below the first, 2 from the first, ... 5 from the fourth';
COMMENT ON COLUMN engage.rfm_bands.monetary IS 'four ascending totals: monetary scores 1 below the first, 2 from the first, ... 5 from the fourth';
COMMENT ON COLUMN engage.rfm_bands.changed_at IS 'when the bands or the RFM segments last changed; the next recompute after it is a full one';
COMMENT ON COLUMN engage.rfm_bands.recomputed_at IS 'when the last recompute ended; NULL: never';

-- RFM segments: a contact is in the first one (by position) whose ranges hold its scores. The
-- defaults cover every cell.
CREATE TABLE engage.rfm_segments (
    name     text PRIMARY KEY CHECK (btrim(name) <> '' AND length(name) <= 100),
    position integer NOT NULL UNIQUE,
    r_min    integer NOT NULL DEFAULT 1, r_max integer NOT NULL DEFAULT 5,
    f_min    integer NOT NULL DEFAULT 1, f_max integer NOT NULL DEFAULT 5,
    m_min    integer NOT NULL DEFAULT 1, m_max integer NOT NULL DEFAULT 5,
    CHECK (1 <= r_min AND r_min <= r_max AND r_max <= 5),
    CHECK (1 <= f_min AND f_min <= f_max AND f_max <= 5),
    CHECK (1 <= m_min AND m_min <= m_max AND m_max <= 5)
);
INSERT INTO engage.rfm_segments (name, position, r_min, r_max, f_min, f_max, m_min, m_max) VALUES
    ('Champions',         1, 4, 5, 4, 5, 4, 5),
    ('Loyal',             2, 3, 5, 3, 5, 1, 5),
    ('New customers',     3, 4, 5, 1, 1, 1, 5),
    ('Promising',         4, 4, 5, 2, 2, 1, 5),
    ('Need attention',    5, 3, 3, 1, 2, 1, 5),
    ('Can''t lose them',  6, 1, 2, 4, 5, 1, 5),
    ('At risk',           7, 1, 2, 3, 3, 1, 5),
    ('About to sleep',    8, 2, 2, 1, 2, 1, 5),
    ('Lost',              9, 1, 1, 1, 2, 1, 5);
COMMENT ON TABLE engage.rfm_segments IS 'One RFM segment: a contact is in the first segment by position whose score ranges hold its r, f and m. A change makes the next recompute a full one.';
COMMENT ON COLUMN engage.rfm_segments.name IS 'the RFM segment''s name, as segment rules name it ({"rfm_segment": name})';
COMMENT ON COLUMN engage.rfm_segments.position IS 'precedence: a contact is in the matching segment with the lowest position';
COMMENT ON COLUMN engage.rfm_segments.r_min IS 'lowest recency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.r_max IS 'highest recency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.f_min IS 'lowest frequency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.f_max IS 'highest frequency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.m_min IS 'lowest monetary score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.m_max IS 'highest monetary score (1 to 5) in the segment';

-- Changing the segments makes the next recompute a full one.
CREATE FUNCTION engage_internal.rfm_definitions_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE engage.rfm_bands SET changed_at = clock_timestamp();
    RETURN NULL;
END
$$;
CREATE TRIGGER rfm_segments_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON engage.rfm_segments
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.rfm_definitions_changed();

-- Each contact with a delivered order: its values, scores and segment, as of computed_at.
CREATE TABLE engage.contact_rfm (
    contact_id    bigint PRIMARY KEY,
    last_order_at timestamptz NOT NULL,
    frequency     integer NOT NULL,
    monetary      numeric NOT NULL,
    r             smallint NOT NULL,
    f             smallint NOT NULL,
    m             smallint NOT NULL,
    segment       text,
    -- When the contact entered its segment.
    segment_since timestamptz NOT NULL,
    computed_at   timestamptz NOT NULL
);
CREATE INDEX contact_rfm_segment ON engage.contact_rfm (segment);
COMMENT ON TABLE engage.contact_rfm IS 'Each contact with a DELIVERED order: its RFM values, scores and RFM segment, as engage.recompute_rfm last wrote them.';
COMMENT ON COLUMN engage.contact_rfm.contact_id IS 'the contact';
COMMENT ON COLUMN engage.contact_rfm.last_order_at IS 'date of its last DELIVERED order';
COMMENT ON COLUMN engage.contact_rfm.frequency IS 'how many DELIVERED orders it has';
COMMENT ON COLUMN engage.contact_rfm.monetary IS 'total_cost of its DELIVERED orders added up, whatever their currency';
COMMENT ON COLUMN engage.contact_rfm.r IS 'recency score, 1 to 5 (5: ordered most recently)';
COMMENT ON COLUMN engage.contact_rfm.f IS 'frequency score, 1 to 5 (5: most orders)';
COMMENT ON COLUMN engage.contact_rfm.m IS 'monetary score, 1 to 5 (5: largest total)';
COMMENT ON COLUMN engage.contact_rfm.segment IS 'its RFM segment (engage.rfm_segments.name); NULL when no segment covers its scores';
COMMENT ON COLUMN engage.contact_rfm.segment_since IS 'when it entered that segment (the at of the recompute that put it there)';
COMMENT ON COLUMN engage.contact_rfm.computed_at IS 'the at of the recompute that last changed the row (unchanged rows are not rewritten)';

-- What a foreign key to contacts would do (engage_internal.delete_dependents).
CREATE TRIGGER contacts_deleted_rfm AFTER DELETE ON engage.contacts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'contact_rfm');
CREATE TRIGGER contacts_truncated_rfm AFTER TRUNCATE ON engage.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'contact_rfm');

-- The event a contact moving from one RFM segment to another registers (spec 004's "migration
-- of subscribers from active to passive"), so that a win-back is a workflow linked to it.
INSERT INTO engage.event_types (key, name, category)
VALUES ('rfmSegmentChanged', 'Contact moved to another RFM segment', 'RFM');

-- Changes the thresholds (NULL keeps a dimension's); the next recompute is a full one.
CREATE FUNCTION engage.set_rfm_bands(recency_days integer[] DEFAULT NULL, frequency integer[] DEFAULT NULL,
    monetary numeric[] DEFAULT NULL) RETURNS engage.rfm_bands
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d record;
    b engage.rfm_bands;
BEGIN
    FOR d IN SELECT * FROM (VALUES ('recency_days', recency_days::numeric[]), ('frequency', frequency::numeric[]),
                                   ('monetary', monetary)) v(name, bands)
             WHERE v.bands IS NOT NULL
    LOOP
        IF cardinality(d.bands) <> 4 OR array_position(d.bands, NULL) IS NOT NULL OR d.bands[1] <= 0
           OR NOT (d.bands[1] < d.bands[2] AND d.bands[2] < d.bands[3] AND d.bands[3] < d.bands[4]) THEN
            RAISE EXCEPTION 'RFM bands are four positive thresholds in ascending order'
                USING ERRCODE = 'invalid_parameter_value', DETAIL = format('argument %s: %s', d.name, d.bands),
                      HINT = 'For example recency_days => ''{30,90,180,365}''.';
        END IF;
    END LOOP;
    UPDATE engage.rfm_bands x
    SET recency_days = coalesce(set_rfm_bands.recency_days, x.recency_days),
        frequency = coalesce(set_rfm_bands.frequency, x.frequency),
        monetary = coalesce(set_rfm_bands.monetary, x.monetary), changed_at = clock_timestamp()
    RETURNING * INTO b;
    RETURN b;
END
$$;
COMMENT ON FUNCTION engage.set_rfm_bands(integer[],integer[],numeric[]) IS 'Sets the RFM thresholds: four positive ascending numbers per dimension (NULL keeps a dimension''s). The next recompute is a full one. Returns the new engage.rfm_bands row. Admins only.';

-- The segment of each of the 125 cells (r, f, m).
CREATE FUNCTION engage_internal.rfm_cells() RETURNS TABLE (r smallint, f smallint, m smallint, segment text)
LANGUAGE sql STABLE AS $$
    SELECT r, f, m, (SELECT s.name FROM engage.rfm_segments s
                     WHERE r BETWEEN s.r_min AND s.r_max AND f BETWEEN s.f_min AND s.f_max AND m BETWEEN s.m_min AND s.m_max
                     ORDER BY s.position LIMIT 1)
    FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
$$;

-- Recomputes RFM as of at. Incremental by default: the contacts whose delivered orders changed
-- (engage.rfm_stale) and those whose recency score the clock moved; full (every contact) when
-- asked, or when bands or segments changed since the last one. A contact whose values did not
-- change is not written; one that moved from one segment to another registers rfmSegmentChanged
-- (entering RFM with a first delivered order is not a move). Returns how many contacts were
-- looked at, how many rows changed, and how many moved.
CREATE FUNCTION engage.recompute_rfm(at timestamptz DEFAULT now(), full_recompute boolean DEFAULT false,
    OUT computed bigint, OUT changed bigint, OUT moved bigint, OUT was_full boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b engage.rfm_bands;
    targets bigint[];
    -- The scores as CASE expressions over the bands ($2–$5 days as intervals, $6–$9 orders,
    -- $10–$13 amounts), so that each row compares plain values.
    recency CONSTANT text := 'CASE WHEN $1 - %1$s < $2 THEN 5 WHEN $1 - %1$s < $3 THEN 4 WHEN $1 - %1$s < $4 THEN 3
                                   WHEN $1 - %1$s < $5 THEN 2 ELSE 1 END';
    scores CONSTANT text := format(recency, 'c.last_order_at') || ' AS r,
        CASE WHEN c.frequency >= $9 THEN 5 WHEN c.frequency >= $8 THEN 4 WHEN c.frequency >= $7 THEN 3
             WHEN c.frequency >= $6 THEN 2 ELSE 1 END AS f,
        CASE WHEN c.monetary >= $13 THEN 5 WHEN c.monetary >= $12 THEN 4 WHEN c.monetary >= $11 THEN 3
             WHEN c.monetary >= $10 THEN 2 ELSE 1 END AS m';
BEGIN
    PERFORM engage_internal.require_value('at', at);
    -- One recompute at a time: the lock ends with the transaction.
    SELECT * INTO b FROM engage.rfm_bands FOR UPDATE;
    was_full := coalesce(full_recompute, false) OR b.recomputed_at IS NULL OR b.changed_at > b.recomputed_at;
    IF was_full THEN
        DELETE FROM engage.rfm_stale;
    ELSE
        -- The contacts whose delivered orders changed, and those whose recency score the clock
        -- moved (no orders read for these).
        EXECUTE format($sql$
            WITH stale AS (DELETE FROM engage.rfm_stale RETURNING contact_id)
            SELECT coalesce(array_agg(DISTINCT t.contact_id), '{}')
            FROM (SELECT s.contact_id FROM stale s
                  UNION ALL
                  SELECT x.contact_id FROM engage.contact_rfm x WHERE x.r <> %s) t$sql$,
            format(recency, 'x.last_order_at'))
        INTO targets
        USING at, make_interval(days => b.recency_days[1]), make_interval(days => b.recency_days[2]),
              make_interval(days => b.recency_days[3]), make_interval(days => b.recency_days[4]);
    END IF;

    -- Each contact's values and cell; those that differ from the stored row are written (new
    -- rows inserted, changed ones updated: one recompute runs at a time and nothing else writes
    -- these rows), contacts looked at without a delivered order leave, and a move between two
    -- segments is an event.
    EXECUTE format($sql$
        WITH cells AS MATERIALIZED (SELECT * FROM engage_internal.rfm_cells()),
        computed AS (
            SELECT o.contact_id, max(o.order_date) AS last_order_at, count(*)::integer AS frequency,
                   sum(o.total_cost) AS monetary
            FROM engage.orders o
            WHERE o.status = 'DELIVERED' %s
            GROUP BY o.contact_id
        ), scored AS (
            SELECT c.contact_id, c.last_order_at, c.frequency, c.monetary, c.r, c.f, c.m, cell.segment
            FROM (SELECT c.*, %s FROM computed c) c
            JOIN cells cell ON cell.r = c.r AND cell.f = c.f AND cell.m = c.m
        ), diff AS MATERIALIZED (
            SELECT s.*, old.segment AS previous_segment, old.contact_id IS NULL AS entered,
                   old.contact_id IS NULL
                   OR (old.last_order_at, old.frequency, old.monetary, old.r, old.f, old.m, old.segment)
                      IS DISTINCT FROM (s.last_order_at, s.frequency, s.monetary, s.r, s.f, s.m, s.segment) AS differs
            FROM scored s LEFT JOIN engage.contact_rfm old ON old.contact_id = s.contact_id
        ), inserted AS (
            INSERT INTO engage.contact_rfm (contact_id, last_order_at, frequency, monetary, r, f, m, segment,
                                            segment_since, computed_at)
            SELECT d.contact_id, d.last_order_at, d.frequency, d.monetary, d.r, d.f, d.m, d.segment, $1, $1
            FROM diff d WHERE d.entered
        ), updated AS (
            UPDATE engage.contact_rfm x
            SET last_order_at = d.last_order_at, frequency = d.frequency, monetary = d.monetary, r = d.r, f = d.f,
                m = d.m, segment = d.segment, computed_at = $1,
                segment_since = CASE WHEN x.segment IS DISTINCT FROM d.segment THEN $1 ELSE x.segment_since END
            FROM diff d
            WHERE d.differs AND NOT d.entered AND x.contact_id = d.contact_id
        ), gone AS (
            DELETE FROM engage.contact_rfm x
            WHERE %s NOT EXISTS (SELECT FROM diff d WHERE d.contact_id = x.contact_id)
        ), announced AS (
            INSERT INTO engage.events (event_type_id, key_value, contact_id, params, registered_at)
            SELECT t.event_type_id, d.contact_id::text, d.contact_id,
                   jsonb_build_object('ContactId', d.contact_id::text, 'previousSegment', d.previous_segment,
                                      'segment', d.segment, 'recency', d.r::text, 'frequency', d.f::text,
                                      'monetary', d.m::text),
                   $1
            FROM diff d JOIN engage.event_types t ON t.key = 'rfmSegmentChanged'
            WHERE NOT d.entered AND d.previous_segment IS DISTINCT FROM d.segment
            ORDER BY d.contact_id
            RETURNING 1
        )
        SELECT count(*), count(*) FILTER (WHERE d.differs), (SELECT count(*) FROM announced) FROM diff d$sql$,
        CASE WHEN NOT was_full THEN 'AND o.contact_id = ANY ($14)' ELSE '' END, scores,
        CASE WHEN NOT was_full THEN 'x.contact_id = ANY ($14) AND' ELSE '' END)
    INTO computed, changed, moved
    USING at, make_interval(days => b.recency_days[1]), make_interval(days => b.recency_days[2]),
          make_interval(days => b.recency_days[3]), make_interval(days => b.recency_days[4]),
          b.frequency[1], b.frequency[2], b.frequency[3], b.frequency[4],
          b.monetary[1], b.monetary[2], b.monetary[3], b.monetary[4], targets;
    UPDATE engage.rfm_bands SET recomputed_at = clock_timestamp();
END
$$;
COMMENT ON FUNCTION engage.recompute_rfm(timestamp with time zone,boolean) IS 'Recomputes RFM as of at: only stale contacts and those the clock moved, unless full_recompute or the bands or segments changed. A move between segments registers rfmSegmentChanged. Returns computed, changed, moved, was_full.';

-- RFM as a job kind (arguments {"full": true} for a full recompute). Installing pg_engage
-- schedules it nightly ("rfm nightly", 03:00 in engage.time_zone, owned by engage_admin:
-- privileges.sql, once the roles exist).
-- The job also refreshes the dynamic segments whose rule reads RFM cells ({"rfm_segment": …}
-- anywhere in it), so that they follow the recompute.
CREATE FUNCTION engage_internal.recompute_rfm_job(arguments jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    refreshed integer;
BEGIN
    SELECT * INTO r FROM engage.recompute_rfm(now(), coalesce((arguments ->> 'full')::boolean, false));
    SELECT count(*) INTO refreshed
    FROM (SELECT engage.refresh_segment(s.segment_id::text)
          FROM engage.segments s
          WHERE s.kind = 'dynamic' AND jsonb_path_exists(s.rule, 'strict $.** ? (exists (@.rfm_segment))')
          ORDER BY s.segment_id) x;
    RETURN format('%s contacts looked at (%s), %s changed, %s moved to another RFM segment; %s segments refreshed',
                  r.computed, CASE WHEN r.was_full THEN 'full' ELSE 'incremental' END, r.changed, r.moved,
                  refreshed);
END
$$;
INSERT INTO engage.job_kinds (kind, run_function, description)
VALUES ('rfm', 'engage_internal.recompute_rfm_job(jsonb)',
        'recomputes RFM cells (incremental; arguments {"full": true} for every contact)');

-- One dynamic segment per RFM segment ("RFM: Champions", …), ruled {"rfm_segment": name};
-- those that exist are left as they are. Returns the segments' IDs.
CREATE FUNCTION engage.create_rfm_segments() RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT x.name FROM engage.rfm_segments x ORDER BY x.position LOOP
        IF NOT EXISTS (SELECT FROM engage.segments g WHERE g.name = 'RFM: ' || s.name) THEN
            RETURN NEXT engage.create_segment('RFM: ' || s.name, jsonb_build_object('rfm_segment', s.name));
        ELSE
            RETURN NEXT (SELECT g.segment_id FROM engage.segments g WHERE g.name = 'RFM: ' || s.name);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION engage.create_rfm_segments() IS 'Creates one dynamic segment per RFM segment, named ''RFM: <name>'' with the rule {"rfm_segment": name}; those that exist are left as they are. Returns the segments'' IDs, in position order. Admins only.';
