-- Every function of pg_engage (the API and its internal steps), called with NULL in each argument (the others given ordinary
-- values), with every argument NULL, and with a NULL element in each array argument, ends in a
-- result or in an error of a specific class: never an internal error (class XX), never a crash.
-- Functions taking or returning `internal` (aggregate support) and trigger functions cannot be
-- called from SQL and are left out. Each call is made twice: its ordinary text values name
-- objects that exist ('x', so that lookups succeed), then new ones ('fresh', so that creating
-- succeeds), so that calls get past their other arguments to the NULL one.
\i include/fresh_extension.sql
\set SHOW_CONTEXT never
SET client_min_messages = error;

BEGIN;
SELECT engage.create_field('x', 'string', field_id => 1);
SELECT engage.create_group('x');
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "x", "channels": [{"type": "email", "value": "x@example.com"}]}]}');
INSERT INTO engage.messages (message_id, name, subject, body) VALUES (1, 'x', 'x', 'x');
SELECT engage.create_workflow('x', '[{"id": "a", "type": "exit"}]');
SELECT engage.create_event_type('x');
SELECT name FROM engage.create_connector('x');
SELECT engage.schedule_job('x', '@daily', 'SELECT 1');
CREATE TEMP TABLE calls (function text, null_argument int, sqlstate text, message text);

DO $$
DECLARE
    f record;
    i int;
    fresh boolean;
    args text[];
    call text;
    state text;
    message text;
    -- An ordinary value of each argument type, and of arguments whose name asks for a certain
    -- value, so that a call gets past its other arguments.
    by_type jsonb := '{"text": "''x''", "integer": "1", "bigint": "1", "smallint": "1", "boolean": "false",
        "jsonb": "''{}''", "json": "''{}''", "timestamp with time zone": "''2026-06-01 12:00+00''",
        "interval": "''1 hour''", "text[]": "''{x}''", "bigint[]": "''{1}''", "integer[]": "''{1}''",
        "oid": "10", "regclass": "''engage.contacts''", "date": "''2026-06-01''", "numeric": "1",
        "uuid": "''00000000-0000-0000-0000-000000000000''", "double precision": "1", "jsonb[]": "''{}''"}';
    by_name jsonb := '{"schedule": "''@daily''", "time_zone": "''UTC''", "day_rule": "''either''", "kind": "''sql''",
        "command": "''SELECT 1''", "field_type": "''string''", "launch": "''each time''", "action": "''start''",
        "keyed_by": "''name''", "contact_key": "''email''", "ssl_mode": "''disable''", "category": "''Other''",
        "key_kind": "''auto''", "channel_type": "''email''", "search_path": "''pg_catalog''",
        "status": "''DELIVERED''", "event_type": "''x''", "rule": "''{\"channel\": \"email\"}''",
        "blocks": "''[{\"id\": \"a\", \"type\": \"exit\"}]''", "value": "''x@example.com''"}';
BEGIN
    FOR f IN
        SELECT p.oid::regproc::text AS name, p.prokind,
               array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) t) AS types,
               coalesce(p.proargnames[1:p.pronargs], array_fill(''::text, ARRAY[p.pronargs])) AS names
        FROM pg_proc p
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        WHERE d.refobjid = (SELECT e.oid FROM pg_extension e WHERE e.extname = 'pg_engage') AND p.prokind IN ('f', 'p')
          AND p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype)
          AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[])
        ORDER BY 1, 3
    LOOP
      FOREACH fresh IN ARRAY ARRAY[false, true] LOOP
        -- Argument i NULL (0: all of them); -i: a NULL element in array argument i.
        FOR i IN -cardinality(f.types) .. cardinality(f.types) LOOP
            CONTINUE WHEN i < 0 AND f.types[-i] NOT LIKE '%[]';
            args := array(
                SELECT CASE WHEN i = 0 OR a.n = i THEN 'NULL'
                            WHEN a.n = -i THEN format('array_append(%s, NULL)', by_type ->> a.t)
                            WHEN fresh AND a.t = 'text' AND NOT by_name ? f.names[a.n] THEN '''fresh'''
                            ELSE coalesce(by_name ->> f.names[a.n], by_type ->> a.t, 'NULL') END || '::' || a.t
                FROM unnest(f.types) WITH ORDINALITY AS a(t, n) ORDER BY a.n);
            call := CASE WHEN f.prokind = 'p' THEN format('CALL %s(%s)', f.name, array_to_string(args, ', '))
                         ELSE format('SELECT count(*) FROM %s(%s)', f.name, array_to_string(args, ', ')) END;
            BEGIN
                EXECUTE call;
                state := '00000';
                message := NULL;
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            END;
            INSERT INTO calls VALUES (f.name || '(' || array_to_string(f.types, ', ') || ')', i, state, message);
            EXIT WHEN cardinality(f.types) = 0;
        END LOOP;
      END LOOP;
    END LOOP;
END
$$;

-- Enough calls to mean something, and none of them an internal error.
SELECT count(*) > 600 AS many_calls, count(DISTINCT function) > 100 AS many_functions,
       count(*) FILTER (WHERE sqlstate = '22004') > 20 AS nulls_refused_by_name FROM calls;
SELECT function, null_argument, sqlstate, message FROM calls WHERE sqlstate LIKE 'XX%' ORDER BY 1, 2;
ROLLBACK;
