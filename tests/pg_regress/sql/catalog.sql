-- The catalog keeps the rules of the public surface and of rights:
-- - schema engage is the API, and every function, table, view and column in it has a comment
--   (so \df+ and \d+ document it); the engine's steps are in engage_internal;
-- - every SECURITY DEFINER function of pg_engage has a fixed search_path (pg_catalog, then
--   pg_temp last, so no role can plant an object it would find first); none can be called by
--   PUBLIC; readers write no table; no user role reads a secret;
-- - the internal steps a user role may execute are listed: those a public function, trigger or
--   job runs with the caller's own rights (PostgreSQL checks EXECUTE as the current user). A
--   change to that list shows here.
-- Each query lists what breaks a rule: all must be empty, except the list of internal grants.
\i include/fresh_extension.sql
CREATE TEMP VIEW engage_functions AS
SELECT p.oid, p.oid::regprocedure AS function, p.prosecdef, p.proconfig
FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
WHERE d.refobjid = (SELECT e.oid FROM pg_extension e WHERE e.extname = 'pg_engage');

SELECT count(*) > 50 AS definer_functions FROM engage_functions WHERE prosecdef;
SELECT function AS definer_without_fixed_search_path FROM engage_functions
WHERE prosecdef AND coalesce(NOT 'search_path=pg_catalog, pg_temp' = ANY (proconfig), true)
ORDER BY 1;
SELECT function AS callable_by_public FROM engage_functions WHERE has_function_privilege('public', oid, 'EXECUTE')
ORDER BY 1;
SELECT c.oid::regclass AS written_by_readers FROM pg_class c
WHERE c.relnamespace = 'engage'::regnamespace AND c.relkind IN ('r', 'p', 'v')
  AND (has_table_privilege('engage_reader', c.oid, 'INSERT') OR has_table_privilege('engage_reader', c.oid, 'UPDATE')
       OR has_table_privilege('engage_reader', c.oid, 'DELETE') OR has_table_privilege('engage_reader', c.oid, 'TRUNCATE'))
ORDER BY 1;
SELECT c.oid::regclass AS readable_secret FROM pg_class c
WHERE c.oid = 'engage.list_sync_keys'::regclass
  AND (has_table_privilege('engage_reader', c.oid, 'SELECT') OR has_table_privilege('engage_admin', c.oid, 'SELECT'));

-- Every view reads for every user role (a view that calls an internal step the role may not
-- execute would not).
CREATE TEMP TABLE unreadable (view_name text, role_name text, error text);
DO $$
DECLARE
    v regclass;
    r text;
    message text;
BEGIN
    FOR v, r IN SELECT c.oid::regclass, x.role FROM pg_class c,
                       unnest(ARRAY['engage_reader', 'engage_writer', 'engage_admin']) x(role)
                WHERE c.relnamespace = 'engage'::regnamespace AND c.relkind = 'v' ORDER BY 1, 2 LOOP
        BEGIN
            EXECUTE format('SET LOCAL ROLE %I', r);
            EXECUTE format('SELECT count(*) FROM (SELECT * FROM %s LIMIT 1) x', v);
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
            RESET ROLE;
            INSERT INTO unreadable VALUES (v::text, r, message);
        END;
        RESET ROLE;
    END LOOP;
END
$$;
SELECT count(*) > 10 AS views_read FROM pg_class c WHERE c.relnamespace = 'engage'::regnamespace AND c.relkind = 'v';
SELECT * FROM unreadable ORDER BY 1, 2;

-- The API, documented.
SELECT count(*) AS api_functions FROM engage_functions WHERE function::text LIKE 'engage.%';
SELECT function AS api_function_without_comment FROM engage_functions
WHERE function::text LIKE 'engage.%' AND obj_description(oid, 'pg_proc') IS NULL ORDER BY 1;
SELECT c.oid::regclass AS relation_without_comment FROM pg_class c
WHERE c.relnamespace = 'engage'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
  AND obj_description(c.oid, 'pg_class') IS NULL ORDER BY 1;
SELECT c.oid::regclass AS relation, a.attname AS column_without_comment FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'engage'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
  AND col_description(c.oid, a.attnum) IS NULL ORDER BY 1, 2;
SELECT function AS api_function_internal_to_no_one FROM engage_functions
WHERE function::text LIKE 'engage.%' AND NOT has_function_privilege('engage_admin', oid, 'EXECUTE') ORDER BY 1;

-- The internal steps user roles may execute: each one readers and writers may (beyond readers'),
-- how many more admins may, and the definer steps among them (each checks who called: a voucher
-- from engage_internal.vouch, the caller's rights, or the worker's).
SELECT r.role, f.function::text AS internal_function FROM engage_functions f
CROSS JOIN (VALUES ('engage_reader', NULL), ('engage_writer', 'engage_reader')) r(role, below)
WHERE f.function::text LIKE 'engage_internal.%' AND has_function_privilege(r.role, f.oid, 'EXECUTE')
  AND (r.below IS NULL OR NOT has_function_privilege(r.below, f.oid, 'EXECUTE'))
ORDER BY 1, 2;
SELECT count(*) AS more_internal_functions_for_admins FROM engage_functions f
WHERE f.function::text LIKE 'engage_internal.%' AND has_function_privilege('engage_admin', f.oid, 'EXECUTE')
  AND NOT has_function_privilege('engage_writer', f.oid, 'EXECUTE');
SELECT function::text AS internal_definer_steps_users_reach FROM engage_functions
WHERE function::text LIKE 'engage_internal.%' AND prosecdef AND has_function_privilege('engage_admin', oid, 'EXECUTE')
ORDER BY 1;
DROP VIEW engage_functions;
