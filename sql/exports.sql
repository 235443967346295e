-- Data export (spec 001, "Set up Data Export"): datasets copied into tables of a target schema,
-- in this database (a connector without a host) or in another PostgreSQL (through the
-- connector's postgres_fdw server), created at the first run and kept up to date by each run of
-- the export's job (kind 'export'). The datasets and how changes are found are in
-- sql/export_datasets.sql; DESIGN amendment 33 explains the choices.
--
-- A run is one transaction: it finds or creates the target tables, reads from the target what
-- the last committed run of each dataset exported up to (the table engage_export_state beside
-- the datasets' tables, written in the same transaction as their rows, so the watermark is in
-- the target exactly when the rows are), and sends what changed since. A run that fails or is
-- killed leaves the target as the last committed run left it, and the next run does its work.

CREATE TABLE engage.data_exports (
    export_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    connector_id integer NOT NULL REFERENCES engage.connectors,
    -- Spec 001's names (contactActivities, …), sorted.
    datasets     text[] NOT NULL CHECK (cardinality(datasets) > 0),
    target_schema name NOT NULL,
    -- The job that runs it (named "export <name>"): its schedule, time zone, delay and failures.
    job_id       bigint NOT NULL UNIQUE REFERENCES engage.scheduled_jobs,
    -- Set by run_export_now(full_resync => true): the next run copies every dataset again.
    full_resync  boolean NOT NULL DEFAULT false,
    owner        regrole NOT NULL DEFAULT current_user::regrole,
    created_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE engage.data_exports ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_exports ON engage.data_exports USING (pg_has_role(owner, 'USAGE'));
COMMENT ON TABLE engage.data_exports IS 'Data exports (the data-source guide): one row per export of datasets into tables of a target schema, run by its job. Read engage.exports; change through create_export and alter_export.';
COMMENT ON COLUMN engage.data_exports.export_id IS 'Identity of the export.';
COMMENT ON COLUMN engage.data_exports.name IS 'Unique name of the export; its job is named "export <name>".';
COMMENT ON COLUMN engage.data_exports.connector_id IS 'Connector (engage.connectors) whose database holds the target: this database when it has no host.';
COMMENT ON COLUMN engage.data_exports.datasets IS 'The datasets exported, in the data-source guide''s spelling (contactActivities, …), sorted; at least one.';
COMMENT ON COLUMN engage.data_exports.target_schema IS 'Schema of the target database that holds the datasets'' tables.';
COMMENT ON COLUMN engage.data_exports.job_id IS 'The job (engage.scheduled_jobs) that runs the export: its schedule, time zone, delay and failures.';
COMMENT ON COLUMN engage.data_exports.full_resync IS 'true: the next run copies every dataset whole again (run_export_now(full_resync => true)); that run clears it.';
COMMENT ON COLUMN engage.data_exports.owner IS 'The role that created the export; its runs act with this role''s rights.';
COMMENT ON COLUMN engage.data_exports.created_at IS 'When the export was created.';

-- What a foreign key from exports to their connector would do: a connector with exports cannot be
-- dropped (engage.drop_connector), with the exports named.
CREATE FUNCTION engage_internal.connector_has_exports() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    exports text := (SELECT string_agg(e.name, ', ' ORDER BY e.name) FROM engage.data_exports e
                     WHERE e.connector_id = OLD.connector_id);
BEGIN
    IF exports IS NOT NULL THEN
        RAISE EXCEPTION 'connector "%" has exports', OLD.name USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('exports: %s', exports), HINT = 'Drop them first (engage.drop_export).';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER connectors_exported BEFORE DELETE ON engage.connectors
    FOR EACH ROW EXECUTE FUNCTION engage_internal.connector_has_exports();

-- What each successful run did to each dataset. A failed run leaves no rows here (it rolled
-- back); engage.job_runs has its error, which names the dataset.
CREATE TABLE engage.export_dataset_runs (
    export_id     bigint NOT NULL REFERENCES engage.data_exports ON DELETE CASCADE,
    dataset       text NOT NULL,
    run_id        bigint NOT NULL,
    -- full: the table was created, emptied and filled; incremental: what changed since the last run.
    mode          text NOT NULL CHECK (mode IN ('full', 'incremental')),
    -- By the dataset's key for keyed datasets (an order's items count once), by row otherwise.
    rows_inserted bigint NOT NULL,
    rows_updated  bigint NOT NULL,
    rows_deleted  bigint NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    -- The snapshot exported up to (the target's engage_export_state holds the one that counts).
    snapshot      txid_snapshot NOT NULL,
    PRIMARY KEY (export_id, dataset, run_id)
);
ALTER TABLE engage.export_dataset_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_export_runs ON engage.export_dataset_runs
USING (EXISTS (SELECT FROM engage.data_exports e WHERE e.export_id = export_dataset_runs.export_id));
COMMENT ON TABLE engage.export_dataset_runs IS 'What a successful export run did to one dataset: one row per export, dataset and run. A failed run leaves no rows (it rolled back; engage.job_runs has its error).';
COMMENT ON COLUMN engage.export_dataset_runs.export_id IS 'The export (engage.data_exports).';
COMMENT ON COLUMN engage.export_dataset_runs.dataset IS 'The dataset, in the data-source guide''s spelling.';
COMMENT ON COLUMN engage.export_dataset_runs.run_id IS 'The job run (engage.job_runs.run_id) that exported it; 0 when the export ran outside a job run.';
COMMENT ON COLUMN engage.export_dataset_runs.mode IS 'full: the table was created or emptied, then filled; incremental: only what changed since the last run was sent.';
COMMENT ON COLUMN engage.export_dataset_runs.rows_inserted IS 'Rows inserted; an incremental run of a keyed dataset counts keys (an order''s items count once).';
COMMENT ON COLUMN engage.export_dataset_runs.rows_updated IS 'Keys whose rows were replaced by an incremental run of a keyed dataset; 0 otherwise.';
COMMENT ON COLUMN engage.export_dataset_runs.rows_deleted IS 'Rows a full copy emptied, keys gone (keyed incremental run), or rows of erased people (append-only).';
COMMENT ON COLUMN engage.export_dataset_runs.started_at IS 'When the run started this dataset.';
COMMENT ON COLUMN engage.export_dataset_runs.finished_at IS 'When the run finished this dataset.';
COMMENT ON COLUMN engage.export_dataset_runs.snapshot IS 'Transaction snapshot the dataset was exported up to (the target''s engage_export_state holds the one that counts).';

-- The exports the reader may see, with their schedule, last run and next run. state: running,
-- failing (the last run failed), disabled (its job was switched off), idle.
CREATE VIEW engage.exports WITH (security_invoker = true) AS
SELECT e.name, c.name AS connector, e.target_schema, e.datasets, j.schedule, j.time_zone, j.delay, j.enabled,
       CASE WHEN last.status = 'running' THEN 'running'
            WHEN NOT j.enabled THEN 'disabled'
            WHEN last.status = 'failed' THEN 'failing'
            ELSE 'idle' END AS state,
       last.status AS last_run_status, last.started_at AS last_run_started_at,
       last.finished_at AS last_run_finished_at, last.error AS last_run_error,
       (SELECT max(r.finished_at) FROM engage.export_dataset_runs r WHERE r.export_id = e.export_id) AS last_success_at,
       CASE WHEN j.enabled THEN j.next_run_at END AS next_run_at,
       e.owner, j.name AS job_name, e.export_id, e.created_at
FROM engage.data_exports e
JOIN engage.connectors c ON c.connector_id = e.connector_id
JOIN engage.scheduled_jobs j ON j.job_id = e.job_id
LEFT JOIN LATERAL (
    SELECT r.status, r.started_at, r.finished_at, r.error FROM engage.job_runs r
    WHERE r.job_id = e.job_id ORDER BY r.run_id DESC LIMIT 1
) last ON true;
COMMENT ON VIEW engage.exports IS 'The exports the reader may see, one row each, with their schedule, last run and next run.';
COMMENT ON COLUMN engage.exports.name IS 'Name of the export.';
COMMENT ON COLUMN engage.exports.connector IS 'Name of the connector whose database holds the target.';
COMMENT ON COLUMN engage.exports.target_schema IS 'Schema the datasets'' tables are written to.';
COMMENT ON COLUMN engage.exports.datasets IS 'The datasets exported, in the data-source guide''s spelling, sorted.';
COMMENT ON COLUMN engage.exports.schedule IS 'Cron schedule of the export''s job; NULL or empty: runs only by hand (engage.run_export_now).';
COMMENT ON COLUMN engage.exports.time_zone IS 'Time zone the schedule is read in.';
COMMENT ON COLUMN engage.exports.delay IS 'How long after each scheduled time the run starts.';
COMMENT ON COLUMN engage.exports.enabled IS 'Whether the job runs on its schedule; false when switched off, or after max_failures failures in a row.';
COMMENT ON COLUMN engage.exports.state IS 'running, disabled (its job is switched off), failing (the last run failed) or idle.';
COMMENT ON COLUMN engage.exports.last_run_status IS 'Status of the last run: running, succeeded, failed, skipped or interrupted; NULL: never run.';
COMMENT ON COLUMN engage.exports.last_run_started_at IS 'When the last run started; NULL: never run.';
COMMENT ON COLUMN engage.exports.last_run_finished_at IS 'When the last run finished; NULL while it runs or when never run.';
COMMENT ON COLUMN engage.exports.last_run_error IS 'Error of the last run; NULL unless it failed.';
COMMENT ON COLUMN engage.exports.last_success_at IS 'When a successful run last finished a dataset; NULL: none yet.';
COMMENT ON COLUMN engage.exports.next_run_at IS 'When the next scheduled run is due (scheduled time plus delay); NULL when disabled or unscheduled.';
COMMENT ON COLUMN engage.exports.owner IS 'The role the export belongs to; its runs act with this role''s rights.';
COMMENT ON COLUMN engage.exports.job_name IS 'Name of the export''s job ("export <name>").';
COMMENT ON COLUMN engage.exports.export_id IS 'Identity of the export (engage.data_exports).';
COMMENT ON COLUMN engage.exports.created_at IS 'When the export was created.';

-- Every run of every export the reader may see, one row per dataset it exported (a failed run:
-- one row, with its error and no dataset).
CREATE VIEW engage.export_runs WITH (security_invoker = true) AS
SELECT e.name AS export, r.run_id, r.status, d.dataset, d.mode, d.rows_inserted, d.rows_updated, d.rows_deleted,
       d.finished_at - d.started_at AS duration, r.started_at, r.finished_at, r.error
FROM engage.data_exports e
JOIN engage.job_runs r ON r.job_id = e.job_id
LEFT JOIN engage.export_dataset_runs d ON d.export_id = e.export_id AND d.run_id = r.run_id;
COMMENT ON VIEW engage.export_runs IS 'Every run of every export the reader may see: one row per run and dataset exported; a run with no dataset rows (failed, or still running) is one row with dataset NULL.';
COMMENT ON COLUMN engage.export_runs.export IS 'Name of the export.';
COMMENT ON COLUMN engage.export_runs.run_id IS 'The job run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.export_runs.status IS 'running, succeeded, failed, skipped or interrupted.';
COMMENT ON COLUMN engage.export_runs.dataset IS 'The dataset, in the data-source guide''s spelling; NULL for a run that exported none (failed, or still running).';
COMMENT ON COLUMN engage.export_runs.mode IS 'full (table created or emptied, then filled) or incremental (what changed since the last run); NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.rows_inserted IS 'Rows inserted (keys, for an incremental run of a keyed dataset); NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.rows_updated IS 'Keys whose rows were replaced (incremental runs of keyed datasets; else 0); NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.rows_deleted IS 'Rows a full copy emptied, keys gone, or rows of erased people; NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.duration IS 'How long the run took for this dataset; NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN engage.export_runs.finished_at IS 'When the run finished; NULL while it runs.';
COMMENT ON COLUMN engage.export_runs.error IS 'Why the run failed (a dataset''s failure names the dataset); NULL unless it failed.';

-- The datasets named (spec 001's spelling or the table name, any case), checked and sorted;
-- NULL: all nine.
CREATE FUNCTION engage_internal.export_dataset_names(datasets text[]) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    known text[] := ARRAY(SELECT d.dataset FROM engage.export_datasets d ORDER BY d.dataset);
    unknown text;
BEGIN
    IF datasets IS NULL THEN
        RETURN known;
    END IF;
    IF cardinality(datasets) = 0 THEN
        RAISE EXCEPTION 'an export needs at least one dataset' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'datasets: {}', HINT = format('Leave datasets out for all nine: %s.', array_to_string(known, ', '));
    END IF;
    SELECT x INTO unknown FROM unnest(datasets) x
    WHERE x IS NULL OR NOT EXISTS (SELECT FROM engage.export_datasets d
                                   WHERE lower(d.dataset) = lower(x) OR d.table_name = lower(x))
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown dataset "%"', coalesce(unknown, 'NULL') USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('datasets: %s', datasets), HINT = format('The datasets are %s.', array_to_string(known, ', '));
    END IF;
    RETURN ARRAY(SELECT DISTINCT d.dataset FROM unnest(datasets) x
                 JOIN engage.export_datasets d ON lower(d.dataset) = lower(x) OR d.table_name = lower(x)
                 ORDER BY d.dataset);
END
$$;

-- The columns of a dataset's table: those the dataset's row function returns, in order.
CREATE FUNCTION engage_internal.export_columns(dataset text) RETURNS TABLE (ordinal bigint, name text, type text)
LANGUAGE sql STABLE AS $$
    SELECT a.n, a.name, format_type(a.type, NULL)
    FROM engage.export_datasets d
    JOIN pg_proc p ON p.oid = format('engage_internal.export_rows_%s', d.table_name)::regproc
    CROSS JOIN LATERAL unnest(p.proargnames, p.proallargtypes, p.proargmodes) WITH ORDINALITY a(name, type, mode, n)
    WHERE d.dataset = export_columns.dataset AND a.mode = 't'
    ORDER BY a.n
$$;

-- The column list of a dataset's table, quoted, for INSERT and CREATE TABLE.
CREATE FUNCTION engage_internal.export_column_list(dataset text, with_types boolean DEFAULT false) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(format('%I', c.name) || CASE WHEN with_types THEN ' ' || c.type ELSE '' END, ', '
                      ORDER BY c.ordinal)
    FROM engage_internal.export_columns(dataset) c
$$;

-- The statements that create a dataset's table in `schema` (and its key's index), or the
-- export's state table (dataset NULL).
CREATE FUNCTION engage_internal.export_table_ddl(schema name, dataset text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN dataset IS NULL THEN
            format('CREATE TABLE %I.engage_export_state (export_key text, dataset text, snapshot text NOT NULL, '
                   'exported_at timestamptz NOT NULL, PRIMARY KEY (export_key, dataset))', schema)
        WHEN d.key_unique THEN
            format('CREATE TABLE %I.%I (%s, PRIMARY KEY (%I))', schema, d.table_name,
                   engage_internal.export_column_list(d.dataset, true), d.key_column)
        WHEN d.key_column IS NOT NULL THEN
            format('CREATE TABLE %I.%I (%s); CREATE INDEX ON %I.%I (%I)', schema, d.table_name,
                   engage_internal.export_column_list(d.dataset, true), schema, d.table_name, d.key_column)
        ELSE format('CREATE TABLE %I.%I (%s)', schema, d.table_name, engage_internal.export_column_list(d.dataset, true))
    END
    FROM (SELECT) one LEFT JOIN engage.export_datasets d ON d.dataset = export_table_ddl.dataset
$$;

-- A query, to run where the target is, that describes `schema` for the tables named, as one
-- jsonb text: whether the schema exists and the connecting role may create tables in it, and for
-- each of the tables that exists, its columns and types and whether the role may read, insert
-- and delete its rows.
CREATE FUNCTION engage_internal.export_target_query(schema name, tables name[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT format($q$
        SELECT jsonb_build_object(
            'schema_exists', n.oid IS NOT NULL,
            'may_create', n.oid IS NOT NULL AND has_schema_privilege(n.oid, 'CREATE'),
            'tables', coalesce((
                SELECT jsonb_object_agg(c.relname, jsonb_build_object(
                    'writable', has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT')
                                AND has_table_privilege(c.oid, 'DELETE'),
                    'columns', (SELECT jsonb_object_agg(a.attname, format_type(a.atttypid, NULL))
                                FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)))
                FROM pg_class c
                WHERE c.relnamespace = n.oid AND c.relname = ANY (%2$L::name[]) AND c.relkind IN ('r', 'p')), '{}'))::text
        FROM (SELECT) one LEFT JOIN pg_namespace n ON n.nspname = %1$L
    $q$, schema, tables)
$$;

-- The tables of an export's target: its datasets' and the state table.
CREATE FUNCTION engage_internal.export_tables(datasets text[]) RETURNS name[]
LANGUAGE sql STABLE AS $$
    SELECT array_append(ARRAY(SELECT d.table_name FROM engage.export_datasets d WHERE d.dataset = ANY (datasets)
                              ORDER BY d.dataset), 'engage_export_state'::name)
$$;

-- Checks a target as export_target_query described it (`target`, `place` says where it is, for
-- messages) for the datasets: refuses a missing schema, a table with other columns than its
-- dataset's, a table the role may not write, and a missing table the role may not create.
-- Returns the datasets whose tables are missing, and whether the state table is.
CREATE FUNCTION engage_internal.export_check_target(schema name, datasets text[], target jsonb, place text,
                                           OUT missing text[], OUT state_missing boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d engage.export_datasets;
    t jsonb;
    col record;
    problem text;
BEGIN
    IF NOT (target->>'schema_exists')::boolean THEN
        RAISE EXCEPTION 'schema "%" does not exist %', schema, place USING ERRCODE = 'invalid_schema_name',
            DETAIL = format('schema: %s', schema),
            HINT = 'Create it first (an export creates tables, not schemas), or export into another schema.';
    END IF;
    missing := '{}';
    FOR d IN SELECT * FROM engage.export_datasets x WHERE x.dataset = ANY (datasets) ORDER BY x.dataset LOOP
        t := target->'tables'->d.table_name;
        IF t IS NULL THEN
            missing := missing || d.dataset;
            CONTINUE;
        END IF;
        SELECT CASE WHEN t->'columns'->>c.name IS NULL THEN format('column "%s" (%s) is missing', c.name, c.type)
                    ELSE format('column "%s" is %s, the dataset needs %s', c.name, t->'columns'->>c.name, c.type) END
        INTO problem
        FROM engage_internal.export_columns(d.dataset) c
        WHERE (t->'columns'->>c.name) IS DISTINCT FROM c.type
        ORDER BY c.ordinal LIMIT 1;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION 'table %.% % has other columns than the % dataset', schema, d.table_name, place, d.dataset
                USING ERRCODE = 'duplicate_table', DETAIL = problem,
                      HINT = 'Rename or drop that table (the export creates it), or export into another schema.';
        END IF;
        IF NOT (t->>'writable')::boolean THEN
            RAISE EXCEPTION 'the export''s role may not read, insert and delete the rows of %.% %', schema, d.table_name, place
                USING ERRCODE = 'insufficient_privilege', DETAIL = format('dataset: %s', d.dataset),
                      HINT = format('GRANT SELECT, INSERT, DELETE ON %I.%I to the role.', schema, d.table_name);
        END IF;
    END LOOP;
    state_missing := target->'tables'->'engage_export_state' IS NULL;
    IF (cardinality(missing) > 0 OR state_missing) AND NOT (target->>'may_create')::boolean THEN
        RAISE EXCEPTION 'the export''s role may not create tables in schema % %', schema, place
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('tables to create: %s', array_to_string(
                      ARRAY(SELECT x.table_name FROM engage.export_datasets x WHERE x.dataset = ANY (missing)
                            ORDER BY x.dataset) || CASE WHEN state_missing THEN ARRAY['engage_export_state'::name] END, ', ')),
                  HINT = format('GRANT CREATE ON SCHEMA %I to the role%s.', schema,
                                CASE WHEN place LIKE 'on %' THEN ' there' ELSE '' END);
    END IF;
END
$$;

-- Describes the export's target (see export_target_query): here, or on the connector's server
-- through dblink, as the calling role (the export's owner, who owns the connector and its user
-- mapping). A connection that fails is an error that says why.
CREATE FUNCTION engage_internal.export_describe_target(c engage.connectors, schema name, datasets text[]) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    query text := engage_internal.export_target_query(schema, engage_internal.export_tables(datasets));
    described text;
    message text;
    problem record;
BEGIN
    IF c.server_name IS NULL THEN
        EXECUTE query INTO described;
        RETURN described::jsonb;
    END IF;
    BEGIN
        EXECUTE format('SELECT t.j FROM %I.dblink($1, $2) AS t(j text)', engage_internal.require_dblink())
        USING c.server_name, query INTO described;
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
        problem := engage_internal.connection_problem(c, message);
        RAISE EXCEPTION 'cannot reach the target of connector "%": %', c.name, problem.message
            USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection', DETAIL = message, HINT = problem.hint;
    END;
    RETURN described::jsonb;
END
$$;

-- Where the rows of an export's table go: schema.table for a local target; for a remote one,
-- the foreign table in the connector's schema (export_<id>_<table>) that reaches it.
CREATE FUNCTION engage_internal.export_relation(e engage.data_exports, c engage.connectors, table_name name) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN c.server_name IS NULL THEN format('%I.%I', e.target_schema, table_name)
                ELSE format('%I.%I', engage_internal.connector_schema(c), format('export_%s_%s', e.export_id, table_name)) END
$$;

-- Makes the target ready for a run: checks it, creates the tables that are missing (remotely
-- through dblink, which commits them at once: an empty table is harmless) and, for a remote
-- target, the foreign tables that reach them. Returns the datasets whose tables it created.
CREATE FUNCTION engage_internal.export_prepare_target(e engage.data_exports, c engage.connectors) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    place text := CASE WHEN c.server_name IS NULL THEN 'in this database'
                       ELSE format('on the server of connector "%s"', c.name) END;
    target record := engage_internal.export_check_target(e.target_schema, e.datasets,
                                                engage_internal.export_describe_target(c, e.target_schema, e.datasets), place);
    ddl text;
    d text;
    table_name name;
BEGIN
    FOREACH d IN ARRAY target.missing || CASE WHEN target.state_missing THEN ARRAY[NULL::text] ELSE '{}' END LOOP
        ddl := engage_internal.export_table_ddl(e.target_schema, d);
        IF c.server_name IS NULL THEN
            EXECUTE ddl;
        ELSE
            EXECUTE format('SELECT %I.dblink_exec($1, $2)', engage_internal.require_dblink()) USING c.server_name, ddl;
        END IF;
    END LOOP;
    IF c.server_name IS NOT NULL THEN
        FOREACH d IN ARRAY e.datasets || ARRAY[NULL::text] LOOP
            table_name := coalesce((SELECT x.table_name FROM engage.export_datasets x WHERE x.dataset = d),
                                   'engage_export_state');
            CONTINUE WHEN to_regclass(engage_internal.export_relation(e, c, table_name)) IS NOT NULL;
            EXECUTE format('CREATE FOREIGN TABLE %s (%s) SERVER %I '
                           'OPTIONS (schema_name %L, table_name %L, batch_size ''1000'')',
                           engage_internal.export_relation(e, c, table_name),
                           CASE WHEN d IS NULL THEN 'export_key text, dataset text, snapshot text, exported_at timestamptz'
                                ELSE engage_internal.export_column_list(d, true) END,
                           c.server_name, e.target_schema, table_name);
        END LOOP;
    END IF;
    RETURN target.missing;
END
$$;

-- How many rows a table (all its partitions) has, as the planner estimates them (NULL before it
-- was ever analyzed), scaled to its size now.
CREATE FUNCTION engage_internal.export_estimate(relation regclass) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN bool_and(r.reltuples < 0) THEN NULL
                ELSE sum(CASE WHEN r.reltuples < 0 THEN 0
                              WHEN r.relpages = 0 THEN r.reltuples
                              ELSE r.reltuples / r.relpages * (pg_relation_size(r.oid) / current_setting('block_size')::bigint)
                         END)::bigint
           END
    FROM engage_internal.leaf_tables(relation) p(relid) JOIN pg_class r ON r.oid = p.relid
$$;

-- Sends one dataset to the target, from the snapshot `since` (NULL: everything, replacing what
-- the table holds) up to this run (`upto`; `stable`: see engage_internal.written_since), and says what it
-- did. Append-only datasets get the rows added since (a first run copies them in batches of the
-- batch column, reporting progress after each); keyed datasets have the rows of every changed
-- key deleted and inserted again as the source has them now (a deleted key's rows just go).
CREATE FUNCTION engage_internal.export_dataset(e engage.data_exports, c engage.connectors, d engage.export_datasets,
    since txid_snapshot, upto txid_snapshot, stable bigint, created boolean,
    OUT mode text, OUT rows_inserted bigint, OUT rows_updated bigint, OUT rows_deleted bigint)
-- JIT compiling saves nothing measurable on a full copy and costs each small statement of an
-- incremental run milliseconds.
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    target text := engage_internal.export_relation(e, c, d.table_name);
    columns text := engage_internal.export_column_list(d.dataset);
    rows_function text := format('engage_internal.%I', 'export_rows_' || d.table_name);
    key_type text := (SELECT x.type FROM engage_internal.export_columns(d.dataset) x WHERE x.name = d.key_column);
    keys text[];
    old_keys text[];
    new_keys text[];
    pages bigint;
    part record;
    whole record;
    -- 16 MB of an 8 kB-page table a batch: tens of thousands of rows.
    batch_pages constant bigint := 2048;
    page_cost constant text := current_setting('random_page_cost');
    n bigint;
BEGIN
    rows_inserted := 0;
    rows_updated := 0;
    rows_deleted := 0;
    IF since IS NOT NULL AND d.key_column IS NOT NULL THEN
        EXECUTE format('SELECT array_agg(DISTINCT k) FROM engage_internal.%I($1, $2) k', 'export_changes_' || d.table_name)
        USING since, stable INTO keys;
        keys := coalesce(keys, '{}');
        IF array_position(keys, NULL) IS NOT NULL THEN
            since := NULL;  -- a truncate: every row
        END IF;
    END IF;

    IF since IS NULL THEN
        mode := 'full';
        IF NOT created THEN
            EXECUTE format('DELETE FROM %s', target);
            GET DIAGNOSTICS rows_deleted = ROW_COUNT;
        END IF;
        IF d.key_column IS NULL THEN
            PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, engage_internal.export_estimate(d.source));
            -- Partition by partition (the append-only tables are partitioned by month), each in
            -- batches of its pages. Every row visible in `upto` was written before the
            -- partition's size was read here.
            -- Held first, so that no month is dropped between listing the partitions and reading them.
            EXECUTE format('LOCK TABLE %s IN ACCESS SHARE MODE', d.source);
            FOR part IN SELECT * FROM engage_internal.partition_ranges(d.source) LOOP
                pages := pg_relation_size(part.partition) / current_setting('block_size')::bigint;
                FOR first_page IN 0..pages - 1 BY batch_pages LOOP
                    EXECUTE format('INSERT INTO %s (%s) SELECT * FROM %s(NULL, $1, $2, $3, $4::%s, $5::%s)', target, columns,
                                   rows_function, part.key_type, part.key_type)
                    USING upto, first_page, first_page + batch_pages, part.key_from, part.key_to;
                    GET DIAGNOSTICS n = ROW_COUNT;
                    rows_inserted := rows_inserted + n;
                    PERFORM engage_internal.export_progress_add(n);
                END LOOP;
            END LOOP;
        ELSE
            PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, engage_internal.export_estimate(d.source));
            EXECUTE format('INSERT INTO %s (%s) SELECT * FROM %s(NULL)', target, columns, rows_function);
            GET DIAGNOSTICS rows_inserted = ROW_COUNT;
            PERFORM engage_internal.export_progress_add(rows_inserted);
        END IF;
        -- A table just filled has no statistics until autovacuum comes by: without them the next
        -- run's delete by key would scan it. Only its owner may analyze it; a remote table is left
        -- to the other server's autovacuum (ANALYZE over another connection would not see the rows
        -- before this transaction commits).
        IF c.server_name IS NULL AND pg_has_role((SELECT r.relowner FROM pg_class r WHERE r.oid = target::regclass), 'USAGE') THEN
            EXECUTE format('ANALYZE %s', target);
        END IF;
    ELSIF d.key_column IS NULL THEN
        mode := 'incremental';
        -- People erased since (engage.erase_contact left 'contactId:<id>' and 'key:<identifier>'
        -- tombstones): the rows that name them go from the history too.
        keys := ARRAY(SELECT k FROM engage_internal.export_tombstoned(d.dataset, since) k WHERE k IS NOT NULL);
        IF cardinality(keys) > 0 THEN
            EXECUTE format('DELETE FROM %s WHERE ''contactId:'' || "contactId" = ANY ($1)'
                           ' OR ("contactId" IS NULL AND ''key:'' || %I = ANY ($1))',
                           target, CASE d.dataset WHEN 'events' THEN 'keyValue' ELSE 'externalCustomerId' END)
            USING keys;
            GET DIAGNOSTICS rows_deleted = ROW_COUNT;
        END IF;
        PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, NULL);
        SELECT * INTO whole FROM engage_internal.partition_key_span(d.source);
        EXECUTE format('INSERT INTO %s (%s) SELECT * FROM %s($1, $2, $3, $4, $5::%s, $6::%s)', target, columns,
                       rows_function, whole.key_type, whole.key_type)
        USING since, upto, NULL::bigint, NULL::bigint, whole.key_from, whole.key_to;
        GET DIAGNOSTICS rows_inserted = ROW_COUNT;
        PERFORM engage_internal.export_progress_add(rows_inserted);
    ELSE
        mode := 'incremental';
        PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, cardinality(keys));
        IF cardinality(keys) > 0 THEN
            -- The keys are a small part of the tables: reach their rows by index. At the default
            -- random_page_cost, hashing a whole table (a million contacts' channels) and looking
            -- up ten thousand rows by index cost the planner the same; measured, the lookups take
            -- a fraction of the time (the pages are cached: the usual advice of 1.1). Set back
            -- below: a setting made in a function outlives it.
            PERFORM set_config('random_page_cost', '1.1', true);
            EXECUTE format('WITH gone AS (DELETE FROM %1$s WHERE %2$I = ANY ($1::%3$s[]) RETURNING %2$I) '
                           'SELECT array_agg(DISTINCT %2$I::text) FROM gone', target, d.key_column, key_type)
            USING keys INTO old_keys;
            EXECUTE format('WITH source AS (SELECT * FROM %1$s($1::%2$s[])), written AS (INSERT INTO %3$s (%4$s) SELECT * FROM source) '
                           'SELECT array_agg(DISTINCT %5$I::text) FROM source', rows_function, key_type, target, columns,
                           d.key_column)
            USING keys INTO new_keys;
            SELECT count(*) FILTER (WHERE o.k IS NULL), count(*) FILTER (WHERE o.k IS NOT NULL AND w.k IS NOT NULL),
                   count(*) FILTER (WHERE w.k IS NULL)
            INTO rows_inserted, rows_updated, rows_deleted
            FROM unnest(old_keys) o(k) FULL JOIN unnest(new_keys) w(k) ON w.k = o.k;
            PERFORM set_config('random_page_cost', page_cost, true);
            PERFORM engage_internal.export_progress_add(cardinality(keys));
        END IF;
    END IF;
END
$$;

-- The export job (kind 'export'; arguments: {"export_id"}), run as the export's owner: prepares
-- the target, reads what the last committed run of each dataset exported up to, and sends each
-- dataset from there, in one transaction with the new watermarks. Returns what it did.
CREATE FUNCTION engage_internal.run_export(arguments jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    stable bigint := engage_internal.export_stable_xid();
    upto txid_snapshot := txid_current_snapshot();
    export_key text;
    e engage.data_exports;
    c engage.connectors;
    d engage.export_datasets;
    run bigint;
    created text[];
    states jsonb;
    state_table text;
    since txid_snapshot;
    started timestamptz;
    outcome record;
    summary text[] := '{}';
    message text;
    detail text;
    hint text;
    code text;
BEGIN
    SELECT * INTO e FROM engage.data_exports x WHERE x.export_id = (arguments->>'export_id')::bigint FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'export % does not exist', arguments->>'export_id' USING ERRCODE = 'undefined_object',
            DETAIL = format('arguments: %s', arguments), HINT = 'engage.exports lists the exports you can see.';
    END IF;
    SELECT * INTO c FROM engage.connectors x WHERE x.connector_id = e.connector_id;
    SELECT max(r.run_id) INTO run FROM engage.job_runs r WHERE r.job_id = e.job_id AND r.status = 'running';
    export_key := format('%s/%s', current_database(), e.export_id);
    created := engage_internal.export_prepare_target(e, c);
    state_table := engage_internal.export_relation(e, c, 'engage_export_state');
    EXECUTE format('SELECT jsonb_object_agg(s.dataset, s.snapshot) FROM %s s WHERE s.export_key = $1', state_table)
    USING export_key INTO states;

    FOR d IN SELECT * FROM engage.export_datasets x WHERE x.dataset = ANY (e.datasets) ORDER BY x.dataset LOOP
        started := clock_timestamp();
        since := CASE WHEN NOT e.full_resync AND d.dataset <> ALL (created) THEN (states->>d.dataset)::txid_snapshot END;
        BEGIN
            SELECT * INTO outcome FROM engage_internal.export_dataset(e, c, d, since, upto, stable, d.dataset = ANY (created));
            EXECUTE format('DELETE FROM %s WHERE export_key = $1 AND dataset = $2', state_table) USING export_key, d.dataset;
            EXECUTE format('INSERT INTO %s (export_key, dataset, snapshot, exported_at) VALUES ($1, $2, $3, now())',
                           state_table)
            USING export_key, d.dataset, upto::text;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                                    code = RETURNED_SQLSTATE;
            detail := concat_ws(E'\n', nullif(detail, ''), format('dataset: %s', d.dataset));
            IF hint = '' THEN
                RAISE EXCEPTION 'export "%", dataset %: %', e.name, d.dataset, message USING ERRCODE = code, DETAIL = detail;
            END IF;
            RAISE EXCEPTION 'export "%", dataset %: %', e.name, d.dataset, message
                USING ERRCODE = code, DETAIL = detail, HINT = hint;
        END;
        INSERT INTO engage.export_dataset_runs (export_id, dataset, run_id, mode, rows_inserted, rows_updated,
                                                rows_deleted, started_at, finished_at, snapshot)
        VALUES (e.export_id, d.dataset, coalesce(run, 0), outcome.mode, outcome.rows_inserted, outcome.rows_updated,
                outcome.rows_deleted, started, clock_timestamp(), upto);
        summary := summary || format('%s %s: %s inserted, %s updated, %s deleted', d.dataset, outcome.mode,
                                     outcome.rows_inserted, outcome.rows_updated, outcome.rows_deleted);
    END LOOP;
    UPDATE engage.data_exports x SET full_resync = false WHERE x.export_id = e.export_id AND x.full_resync;
    PERFORM engage_internal.forget_exported_tombstones();
    RETURN array_to_string(summary, '; ');
END
$$;
-- Deletes the tombstones every export that copies their dataset has seen: those written by a
-- transaction visible in the snapshot of the export's last run of the dataset (so a deleted
-- row's key, a device's ID among them, is kept no longer than the exports need it).
CREATE FUNCTION engage_internal.forget_exported_tombstones() RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    DELETE FROM engage.export_tombstones t
    WHERE NOT EXISTS (
        SELECT FROM engage.data_exports e
        WHERE t.dataset = ANY (e.datasets)
          AND NOT coalesce(txid_visible_in_snapshot(t.written_xid,
                  (SELECT r.snapshot FROM engage.export_dataset_runs r
                   WHERE r.export_id = e.export_id AND r.dataset = t.dataset ORDER BY r.run_id DESC LIMIT 1)), false))
$$;

INSERT INTO engage.job_kinds (kind, run_function, description)
VALUES ('export', 'engage_internal.run_export(jsonb)', 'Data export: datasets copied into the tables of a target schema');

-- The export of this name the calling role may act on, locked, or an error.
CREATE FUNCTION engage_internal.export_named(export_name text) RETURNS engage.data_exports
LANGUAGE plpgsql AS $$
DECLARE
    e engage.data_exports;
BEGIN
    SELECT * INTO e FROM engage.data_exports x WHERE x.name = export_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'export "%" does not exist', export_name USING ERRCODE = 'undefined_object',
            DETAIL = format('name: %s', export_name), HINT = 'engage.exports lists the exports you can see.';
    END IF;
    RETURN e;
END
$$;

-- Refuses what would make an export unable to run: another export writing one of its tables,
-- a remote connector the caller does not own, and (for a target in this database, checked now)
-- a missing schema, tables with other columns, or tables the caller may neither write nor create.
CREATE FUNCTION engage_internal.export_check_definition(export_name text, c engage.connectors, schema name, datasets text[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    clash record;
BEGIN
    IF c.server_name IS NOT NULL AND c.owner <> current_user::regrole THEN
        RAISE EXCEPTION 'exports through connector "%" are made by its owner, role %', c.name, c.owner::regrole
            USING ERRCODE = 'insufficient_privilege', DETAIL = format('connector: %s', c.name),
                  HINT = 'Its user mapping (the password) is that role''s: create the export as that role.';
    END IF;
    SELECT x.name, ARRAY(SELECT unnest(x.datasets) INTERSECT SELECT unnest(export_check_definition.datasets) ORDER BY 1) AS shared INTO clash
    FROM engage.data_exports x
    WHERE x.connector_id = c.connector_id AND x.target_schema = schema AND x.datasets && export_check_definition.datasets
      AND x.name <> export_name
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'export "%" already writes % into schema % of connector "%"', clash.name,
            array_to_string(clash.shared, ', '), schema, c.name
            USING ERRCODE = 'duplicate_object', DETAIL = format('datasets: %s', clash.shared),
                  HINT = format('A table has one export: add datasets to "%s" (engage.alter_export) or choose another schema.',
                                clash.name);
    END IF;
    IF c.server_name IS NULL THEN
        PERFORM engage_internal.export_check_target(schema, datasets, engage_internal.export_describe_target(c, schema, datasets),
                                           'in this database');
    END IF;
END
$$;

-- Creates an export of `datasets` (NULL: all nine) into `schema` of the connector's database,
-- run by a job of kind 'export' named "export <name>" with the schedule given (NULL: only by
-- hand, engage.run_export_now). The export belongs to the calling role and runs with its rights.
CREATE FUNCTION engage.create_export(
    name text,
    connector text,
    datasets text[] DEFAULT NULL,
    schema text DEFAULT 'public',
    schedule text DEFAULT NULL,
    time_zone text DEFAULT NULL,
    delay interval DEFAULT '0',
    max_failures integer DEFAULT 5
) RETURNS engage.exports
LANGUAGE plpgsql AS $$
DECLARE
    c engage.connectors := engage_internal.connector_named(connector);
    names text[] := engage_internal.export_dataset_names(datasets);
    e engage.data_exports;
    job bigint;
    result engage.exports;
BEGIN
    IF coalesce(btrim(name), '') = '' THEN
        RAISE EXCEPTION 'an export needs a name' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('name: %s', coalesce(name, 'NULL'));
    END IF;
    IF coalesce(schema, '') = '' THEN
        RAISE EXCEPTION 'an export needs a target schema' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('schema: %s', coalesce(schema, 'NULL')), HINT = 'Leave it out for public.';
    END IF;
    IF EXISTS (SELECT FROM engage.data_exports x WHERE x.name = create_export.name) THEN
        RAISE EXCEPTION 'export "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name), HINT = 'Change it with engage.alter_export, or pick another name.';
    END IF;
    PERFORM engage_internal.export_check_definition(name, c, schema, names);
    job := engage.schedule_job('export ' || name, schedule, time_zone => time_zone, delay => delay,
                               max_failures => max_failures, kind => 'export');
    INSERT INTO engage.data_exports AS x (name, connector_id, datasets, target_schema, job_id)
    VALUES (name, c.connector_id, names, schema, job)
    RETURNING * INTO e;
    UPDATE engage.scheduled_jobs j SET arguments = jsonb_build_object('export_id', e.export_id) WHERE j.job_id = job;
    SELECT * INTO result FROM engage.exports x WHERE x.export_id = e.export_id;
    RETURN result;
END
$$;
COMMENT ON FUNCTION engage.create_export(text,text,text[],text,text,text,interval,integer) IS 'Creates an export of datasets (NULL: all nine) into schema of the connector''s database, run by the job "export <name>" on schedule (NULL: by hand only). Belongs to and runs as the caller; admins only. Returns the engage.exports row.';

-- Changes what is given; NULL leaves a setting as it is (schedule => '' removes the schedule). A
-- dataset added starts with a full copy at the next run; one removed keeps its table as it is.
CREATE FUNCTION engage.alter_export(
    name text,
    datasets text[] DEFAULT NULL,
    schedule text DEFAULT NULL,
    time_zone text DEFAULT NULL,
    delay interval DEFAULT NULL,
    max_failures integer DEFAULT NULL,
    enabled boolean DEFAULT NULL
) RETURNS engage.exports
LANGUAGE plpgsql AS $$
DECLARE
    e engage.data_exports := engage_internal.export_named(name);
    c engage.connectors;
    names text[];
    result engage.exports;
BEGIN
    IF datasets IS NOT NULL THEN
        names := engage_internal.export_dataset_names(datasets);
        SELECT * INTO c FROM engage.connectors x WHERE x.connector_id = e.connector_id;
        PERFORM engage_internal.export_check_definition(e.name, c, e.target_schema, names);
        UPDATE engage.data_exports x SET datasets = names WHERE x.export_id = e.export_id;
    END IF;
    PERFORM engage.alter_job(j.name, schedule => alter_export.schedule, time_zone => alter_export.time_zone,
                             delay => alter_export.delay, max_failures => alter_export.max_failures,
                             enabled => alter_export.enabled)
    FROM engage.scheduled_jobs j WHERE j.job_id = e.job_id;
    SELECT * INTO result FROM engage.exports x WHERE x.export_id = e.export_id;
    RETURN result;
END
$$;
COMMENT ON FUNCTION engage.alter_export(text,text[],text,text,interval,integer,boolean) IS 'Changes the settings given; NULL keeps a setting (schedule => '''' removes the schedule). A dataset added is copied whole at the next run; one removed keeps its table as it is. Returns the engage.exports row.';

-- Drops the export and its job. The tables it wrote stay, with their rows (drop them yourself);
-- for a remote target, the foreign tables that reached them go.
CREATE FUNCTION engage.drop_export(name text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    e engage.data_exports := engage_internal.export_named(name);
    c engage.connectors;
    t name;
BEGIN
    SELECT * INTO c FROM engage.connectors x WHERE x.connector_id = e.connector_id;
    DELETE FROM engage.data_exports x WHERE x.export_id = e.export_id;
    DELETE FROM engage.scheduled_jobs j WHERE j.job_id = e.job_id;
    IF c.server_name IS NOT NULL THEN
        FOREACH t IN ARRAY engage_internal.export_tables(e.datasets) LOOP
            IF to_regclass(engage_internal.export_relation(e, c, t)) IS NOT NULL THEN
                EXECUTE format('DROP FOREIGN TABLE %s', engage_internal.export_relation(e, c, t));
            END IF;
        END LOOP;
    END IF;
    RETURN true;
END
$$;
COMMENT ON FUNCTION engage.drop_export(text) IS 'Drops the export and its job; returns true. The tables it wrote stay, with their rows; for a remote target, the foreign tables that reached them are dropped.';

-- Runs the export now, in this session (its schedule stays as it is); with full_resync, every
-- dataset is copied again (its table emptied first), as at the first run.
CREATE FUNCTION engage.run_export_now(name text, full_resync boolean DEFAULT false) RETURNS engage.job_runs
LANGUAGE plpgsql AS $$
DECLARE
    e engage.data_exports := engage_internal.export_named(name);
BEGIN
    IF full_resync THEN
        UPDATE engage.data_exports x SET full_resync = true WHERE x.export_id = e.export_id;
    END IF;
    RETURN engage.run_job_now((SELECT j.name FROM engage.scheduled_jobs j WHERE j.job_id = e.job_id));
END
$$;
COMMENT ON FUNCTION engage.run_export_now(text,boolean) IS 'Runs the export now, in this session (its schedule stays as it is), and returns the job run. full_resync => true empties each table and copies every dataset again.';

-- What running exports are doing now: the dataset each is at, rows done of an estimate (the
-- source table's size for a full copy, the changed keys for an incremental one; NULL when
-- unknown). Reported from shared memory, so it moves while the run's transaction is open.
CREATE VIEW engage.export_progress WITH (security_invoker = true) AS
SELECT e.name AS export, p.dataset, p.rows_done, p.rows_estimate, p.dataset_started_at, p.pid
FROM engage_internal.export_progress_slots() p
JOIN engage.data_exports e ON e.export_id = p.export_id;
COMMENT ON VIEW engage.export_progress IS 'What running exports (those the reader may see) are doing now: one row per run, from shared memory, so it moves while the run''s transaction is open. Empty unless pg_engage is preloaded; at most 16 runs show.';
COMMENT ON COLUMN engage.export_progress.export IS 'Name of the export.';
COMMENT ON COLUMN engage.export_progress.dataset IS 'The dataset the run is at, in the data-source guide''s spelling.';
COMMENT ON COLUMN engage.export_progress.rows_done IS 'Rows done so far in this dataset (keys, for an incremental run of a keyed dataset).';
COMMENT ON COLUMN engage.export_progress.rows_estimate IS 'Rows expected: the source''s estimated size for a full copy, the changed keys for an incremental one; NULL: unknown.';
COMMENT ON COLUMN engage.export_progress.dataset_started_at IS 'When the run started this dataset.';
COMMENT ON COLUMN engage.export_progress.pid IS 'Process ID of the backend running the export.';
