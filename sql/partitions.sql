-- Time partitions of the high-volume append tables (events, sends, contact activities), so that
-- retention drops a month of rows at once instead of deleting them row by row.
--
-- Each table is partitioned by range of a key that grows with time: events by registered_at,
-- sends and activities by request_id (a time-ordered UUID whose first 48 bits are milliseconds,
-- so that its uniqueness, which the transport's reports rely on, stays a constraint: a unique
-- key of a partitioned table must contain the partition key). The partitions cover the whole
-- key range with no gap and no default partition: <table>_before (everything older than the
-- first month), one partition per month, <table>_after (everything newer). So any row has a
-- place, and each partition is a range that a query (an export's first copy) can address and
-- the planner prune to. engage_internal.maintain_partitions splits months off _after ahead of time and,
-- for retention, drops whole months past it and widens _before over them. Each table's file
-- partitions it with engage_internal.partition_by_month; retention.sql adds the months ahead.

CREATE TABLE engage.partitioned_tables (
    relation   regclass PRIMARY KEY,
    key_column name NOT NULL,
    -- How a time becomes a value of the key: 'time' (the key is that timestamptz) or 'uuid7'
    -- (the smallest time-ordered UUID of that millisecond).
    key_kind   text NOT NULL CHECK (key_kind IN ('time', 'uuid7'))
);
COMMENT ON TABLE engage.partitioned_tables IS 'One row per table partitioned by month of a key that grows with time (events, sends, contact activities)';
COMMENT ON COLUMN engage.partitioned_tables.relation IS 'the partitioned table';
COMMENT ON COLUMN engage.partitioned_tables.key_column IS 'its partition key column';
COMMENT ON COLUMN engage.partitioned_tables.key_kind IS 'time: the key is a timestamptz; uuid7: a time-ordered UUID, a time being the smallest UUID of its millisecond';

-- Every partition with the times it covers: from (NULL: the beginning of time, the _before
-- partition) to (NULL: no end, the _after partition).
CREATE TABLE engage.time_partitions (
    relation  regclass NOT NULL REFERENCES engage.partitioned_tables ON DELETE CASCADE,
    partition regclass NOT NULL PRIMARY KEY,
    from_time timestamptz,
    to_time   timestamptz,
    UNIQUE (relation, from_time)
);
COMMENT ON TABLE engage.time_partitions IS 'One row per partition of a table in engage.partitioned_tables, with the times it covers';
COMMENT ON COLUMN engage.time_partitions.relation IS 'the partitioned table';
COMMENT ON COLUMN engage.time_partitions.partition IS 'the partition';
COMMENT ON COLUMN engage.time_partitions.from_time IS 'start of the times it holds (inclusive); NULL: the beginning of time (the _before partition)';
COMMENT ON COLUMN engage.time_partitions.to_time IS 'end of the times it holds (exclusive); NULL: no end (the _after partition)';

-- The start of the month after the one `at` is in, in UTC (month arithmetic on timestamptz would
-- follow the session's time zone).
CREATE FUNCTION engage_internal.next_month(at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (date_trunc('month', at AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
$$;

-- The value of a table's key at a time (NULL: the key's lowest or highest value, for an open
-- end): a timestamptz, or a time-ordered UUID with the millisecond and zeros.
CREATE FUNCTION engage_internal.partition_key_value(key_kind text, at timestamptz, high boolean DEFAULT false) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN key_kind = 'time' THEN coalesce(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00'),
                                              CASE WHEN high THEN 'infinity' ELSE '-infinity' END)
        WHEN at IS NULL THEN CASE WHEN high THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff' ELSE '00000000-0000-0000-0000-000000000000' END
        ELSE (lpad(to_hex((extract(epoch FROM at) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid::text
    END
$$;

-- The partitions of a table in time order, with the key range each holds, as literals of the
-- key's type (an open end as the key's lowest or highest value).
CREATE FUNCTION engage_internal.partition_ranges(relation regclass)
RETURNS TABLE (partition regclass, key_type text, key_from text, key_to text, from_time timestamptz, to_time timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT p.partition, CASE t.key_kind WHEN 'time' THEN 'timestamptz' ELSE 'uuid' END,
           engage_internal.partition_key_value(t.key_kind, p.from_time), engage_internal.partition_key_value(t.key_kind, p.to_time, true),
           p.from_time, p.to_time
    FROM engage.time_partitions p JOIN engage.partitioned_tables t USING (relation)
    WHERE p.relation = partition_ranges.relation
    ORDER BY p.from_time NULLS FIRST
$$;

-- The tables that hold a table's rows: its partitions, or the table itself.
CREATE FUNCTION engage_internal.leaf_tables(relation regclass) RETURNS SETOF regclass
LANGUAGE sql STABLE AS $$
    SELECT p.relid FROM pg_partition_tree(relation) p WHERE p.isleaf
    UNION ALL
    SELECT relation WHERE NOT EXISTS (SELECT FROM pg_partitioned_table t WHERE t.partrelid = relation)
$$;

-- A partitioned table's whole key range, as partition_ranges gives a partition's.
CREATE FUNCTION engage_internal.partition_key_span(relation regclass) RETURNS TABLE (key_type text, key_from text, key_to text)
LANGUAGE sql STABLE AS $$
    SELECT CASE t.key_kind WHEN 'time' THEN 'timestamptz' ELSE 'uuid' END, engage_internal.partition_key_value(t.key_kind, NULL),
           engage_internal.partition_key_value(t.key_kind, NULL, true)
    FROM engage.partitioned_tables t WHERE t.relation = partition_key_span.relation
$$;

-- The name of a table's partition for the month starting at month_start (in UTC).
CREATE FUNCTION engage_internal.partition_name(relation regclass, month_start timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s_%s', (SELECT c.relname FROM pg_class c WHERE c.oid = relation),
                  CASE WHEN month_start IS NULL THEN 'before' ELSE to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM') END)
$$;

-- The FOR VALUES clause of a partition from `from_time` to `to_time` (NULL: open).
CREATE FUNCTION engage_internal.partition_bounds(key_kind text, from_time timestamptz, to_time timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format('FOR VALUES FROM (%s) TO (%s)',
                  CASE WHEN from_time IS NULL THEN 'MINVALUE' ELSE quote_literal(engage_internal.partition_key_value(key_kind, from_time)) END,
                  CASE WHEN to_time IS NULL THEN 'MAXVALUE' ELSE quote_literal(engage_internal.partition_key_value(key_kind, to_time)) END)
$$;

-- Partitions a table created PARTITION BY RANGE (key) into _before (up to month_start), the
-- month starting there, and _after. Called once per table when the extension is created.
CREATE FUNCTION engage_internal.partition_by_month(relation regclass, key_column name, key_kind text, month_start timestamptz)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    next_month timestamptz := engage_internal.next_month(month_start);
    base text := (SELECT c.relname FROM pg_class c WHERE c.oid = relation);
BEGIN
    INSERT INTO engage.partitioned_tables VALUES (relation, key_column, key_kind);
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', base || '_before', relation,
                   engage_internal.partition_bounds(key_kind, NULL, month_start));
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', engage_internal.partition_name(relation, month_start), relation,
                   engage_internal.partition_bounds(key_kind, month_start, next_month));
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', base || '_after', relation,
                   engage_internal.partition_bounds(key_kind, next_month, NULL));
    INSERT INTO engage.time_partitions VALUES
        (relation, format('engage.%I', base || '_before')::regclass, NULL, month_start),
        (relation, format('engage.%I', engage_internal.partition_name(relation, month_start))::regclass, month_start, next_month),
        (relation, format('engage.%I', base || '_after')::regclass, next_month, NULL);
END
$$;

-- The columns a copy of rows between partitions writes (not generated ones), quoted.
CREATE FUNCTION engage_internal.copied_columns(relation regclass) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_attribute a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
$$;

-- Gives a table a partition for the month after the last one, split off its _after partition:
-- _after is detached, the month is created, the rows of _after in that month (normally none)
-- move into it, and _after is attached again from the month's end. Detaching holds the table
-- exclusively until the transaction ends, so the caller keeps lock_timeout short.
CREATE FUNCTION engage_internal.split_month_off(relation regclass) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
    t engage.partitioned_tables;
    after engage.time_partitions;
    month_end timestamptz;
    month regclass;
BEGIN
    SELECT * INTO t FROM engage.partitioned_tables x WHERE x.relation = split_month_off.relation;
    SELECT * INTO after FROM engage.time_partitions p WHERE p.relation = t.relation AND p.to_time IS NULL;
    month_end := engage_internal.next_month(after.from_time);
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', t.relation, after.partition);
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', engage_internal.partition_name(t.relation, after.from_time),
                   t.relation, engage_internal.partition_bounds(t.key_kind, after.from_time, month_end));
    month := format('engage.%I', engage_internal.partition_name(t.relation, after.from_time))::regclass;
    -- A member of the extension like the table it is part of (during CREATE EXTENSION it is one
    -- already).
    IF NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = month AND d.deptype = 'e') THEN
        EXECUTE format('ALTER EXTENSION pg_engage ADD TABLE %s', month);
    END IF;
    EXECUTE format('WITH moved AS (DELETE FROM %1$s x WHERE x.%2$I < %3$L RETURNING x.*) '
                   'INSERT INTO %4$s (%5$s) OVERRIDING SYSTEM VALUE SELECT %5$s FROM moved',
                   after.partition, t.key_column, engage_internal.partition_key_value(t.key_kind, month_end), month,
                   engage_internal.copied_columns(t.relation));
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', t.relation, after.partition,
                   engage_internal.partition_bounds(t.key_kind, month_end, NULL));
    UPDATE engage.time_partitions p SET from_time = month_end WHERE p.partition = after.partition;
    INSERT INTO engage.time_partitions VALUES (t.relation, month, after.from_time, month_end);
    RETURN month;
END
$$;

-- Drops a table's oldest month and widens _before over it, so that its times still have a
-- place. Attaching _before again checks its rows against the wider range while the table is
-- held; _before holds only rows written with times older than every month (a backfill), which
-- retention removes as it goes, so the check is short.
CREATE FUNCTION engage_internal.drop_oldest_month(relation regclass) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t engage.partitioned_tables;
    before engage.time_partitions;
    oldest engage.time_partitions;
BEGIN
    SELECT * INTO t FROM engage.partitioned_tables x WHERE x.relation = drop_oldest_month.relation;
    SELECT * INTO before FROM engage.time_partitions p WHERE p.relation = t.relation AND p.from_time IS NULL;
    SELECT * INTO oldest FROM engage.time_partitions p WHERE p.relation = t.relation AND p.from_time = before.to_time;
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', t.relation, before.partition);
    EXECUTE format('ALTER EXTENSION pg_engage DROP TABLE %s', oldest.partition);
    EXECUTE format('DROP TABLE %s', oldest.partition);
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', t.relation, before.partition,
                   engage_internal.partition_bounds(t.key_kind, NULL, oldest.to_time));
    DELETE FROM engage.time_partitions p WHERE p.partition = oldest.partition;
    UPDATE engage.time_partitions p SET to_time = oldest.to_time WHERE p.partition = before.partition;
END
$$;
