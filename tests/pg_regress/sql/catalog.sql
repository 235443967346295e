-- The catalog keeps the rules of rights (issue 20's catalog checks, the first of them): every
-- SECURITY DEFINER function of pg_engage has a fixed search_path (pg_catalog, then pg_temp last,
-- so no role can plant an object it would find first); none can be called by PUBLIC; readers
-- write no table. Each query lists what breaks a rule: all must be empty.
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
DROP VIEW engage_functions;
