-- No role gains rights it does not have: every SECURITY DEFINER function fixes its search_path,
-- internal definer steps act only for the role that called the public function, and running
-- jobs ahead of their time is for roles that could run them by hand. (Data sources and
-- connectors: sources.sql.)
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

-- Every definer function of the extension runs with a fixed search_path, so no role can plant a
-- function or operator earlier in the path for the owner to run. (Schema engage also holds the
-- functions of dblink and postgres_fdw when connectors or exports installed them: not ours.)
CREATE TEMP VIEW engage_functions AS
SELECT p.* FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'pg_engage';
SELECT count(*) > 30 AS definer_functions,
       count(*) FILTER (WHERE NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%')) AS without_search_path
FROM engage_functions p WHERE p.prosecdef;
SELECT p.oid::regprocedure AS definer_function_without_search_path
FROM engage_functions p WHERE p.prosecdef
  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%');
-- The scheduler's command runner is the extension owner's alone.
SELECT has_function_privilege('engage_admin', 'engage_internal.execute_as(oid, text, text, jsonb)', 'EXECUTE') AS admin_runs_commands_as_others;

-- A voucher names the role that made it, once. Reading one is the definer steps' alone; a definer
-- step an admin reaches (storing a list sync's key) acts for a real voucher's role (here it then
-- finds no sync 999) and refuses a voucher made up.
SET ROLE regress_engage_admin;
SELECT engage_internal.vouched_role(engage_internal.vouch());
\echo :LAST_ERROR_SQLSTATE
SELECT engage_internal.store_list_sync_key(engage_internal.vouch(), 999, 'key');
\echo :LAST_ERROR_SQLSTATE
SELECT engage_internal.store_list_sync_key(12345, 999, 'key');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Jobs: a superuser's job and an admin's, both due next New Year.
SET client_min_messages = error;
CREATE TABLE job_log (job text, ran_as text);
GRANT INSERT ON job_log TO regress_engage_admin;
SELECT engage.schedule_job('superuser job', '0 0 1 1 *', $$INSERT INTO job_log VALUES ('superuser job', current_user)$$) > 0 AS scheduled;
SET ROLE regress_engage_admin;
SELECT engage.schedule_job('admin job', '0 0 1 1 *', $$INSERT INTO public.job_log VALUES ('admin job', current_user)$$) > 0 AS scheduled;
RESET client_min_messages;
-- Run ahead of time by the admin, only the admin's own job runs; the superuser's keeps its time.
SELECT job_name, status FROM engage.run_due_jobs(now() + interval '2 years');
-- Nor can the admin claim the superuser's run through the internal step, with or without a voucher.
SELECT count(*) FROM engage_internal.claim_due_runs(now() + interval '2 years');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM engage_internal.claim_due_runs(now() + interval '2 years', engage_internal.vouch());
RESET ROLE;
SELECT job, ran_as FROM job_log ORDER BY job;
SELECT name, next_run_at > now() AS waits_for_its_time FROM engage.jobs ORDER BY name;
-- A superuser has every role's rights, so it may run both early.
SELECT job_name, status FROM engage.run_due_jobs(now() + interval '4 years') ORDER BY job_name;
SELECT job, ran_as FROM job_log ORDER BY job, ran_as;
