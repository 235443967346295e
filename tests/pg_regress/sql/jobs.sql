-- Scheduled jobs: engage.cron_next and engage.cron_count, scheduling, running due jobs at chosen
-- instants (missed times run once, delays, one run at a time), running as the scheduling role
-- and no more, failures that switch a job off, job kinds, and row security.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';
-- The built-in nightly RFM job would run whenever this file moves the clock on; it is not
-- what this file shows.
SELECT engage.unschedule_job('rfm nightly');

-- Spec 003's examples.
SELECT engage.cron_next('0 0 1 * 1', '2026-06-01 00:00Z', count => 3) AS mondays_not_firsts;
SELECT engage.cron_next('0 0 1 * 1', '2026-06-22 00:00Z', count => 3, day_rule => 'either') AS mondays_or_firsts;
SELECT engage.cron_next('30 */2 1 * *', '2026-03-01 00:00Z', count => 3);
SELECT engage.cron_next('0 0 5,*/10,25 * *', '2026-01-01 00:00Z', count => 6);
SELECT engage.cron_next('@daily', '2026-06-01 12:00Z', 'Europe/Kyiv');
-- A fixed time in the hour New York skips runs once, when the gap ends.
SELECT engage.cron_next('30 2 * * *', '2026-03-07 00:00Z', 'America/New_York', 3);
-- No schedule: no times; a schedule that can never fire: none either.
SELECT count(*) FROM engage.cron_next('', now(), count => 5);
SELECT count(*) FROM engage.cron_next(NULL, now());
SELECT count(*) FROM engage.cron_next('0 0 30 2 *', now(), count => 5);
SELECT * FROM engage.cron_count('*/5 * * * *', '2030-01-01 00:00Z', '2030-01-01 01:02Z');

-- Refusals name the field, the element and the reason.
SELECT engage.cron_next('0 0 32 * *', now());
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('5/10 * * * *', now());
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('0 0 * * 1#2', now());
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('0 0 * *', now());
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('@reboot', now());
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('@daily', now(), 'Mars/Olympus_Mons');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('@daily', now(), day_rule => 'both');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('@daily', now(), count => 0);
\echo :LAST_ERROR_SQLSTATE
SELECT engage.cron_next('@daily', 'infinity');
\echo :LAST_ERROR_SQLSTATE

-- In this cluster the scheduler serves another database (engage.database), and says so.
SELECT running, database, problem FROM engage.scheduler_status();

-- A writer schedules jobs; they run as the writer.
CREATE TABLE regress_job_log (job text, who text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT, SELECT ON regress_job_log TO regress_engage_writer;
CREATE TABLE regress_secret (x int);
SET ROLE regress_engage_writer;
SELECT engage.schedule_job('log', '*/5 * * * *', $$INSERT INTO regress_job_log (job, who) VALUES ('log', current_user)$$) > 0 AS scheduled;
SELECT name, schedule, time_zone, day_rule, kind, delay, enabled, owner, max_failures, consecutive_failures,
       next_run_at > now() AS next_run_in_future, last_status
FROM engage.jobs;
-- Refused: a name taken, a bad schedule or time zone, an unknown kind, SQL without a command.
SELECT engage.schedule_job('log', '@daily', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.schedule_job('bad', '61 * * * *', 'SELECT 1');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.schedule_job('bad', '@daily', 'SELECT 1', time_zone => 'Nowhere/Land');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.schedule_job('bad', '@daily', kind => 'teleport');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.schedule_job('bad', '@daily');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.schedule_job('bad', '@daily', 'SELECT 1', delay => '-1 minute');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS jobs FROM engage.jobs;
-- Writers cannot run the scheduler's steps or touch the bookkeeping.
SELECT engage.run_due_jobs();
\echo :LAST_ERROR_SQLSTATE
UPDATE engage.scheduled_jobs SET consecutive_failures = 0;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Put the job at a known time (as if scheduled long ago), then run what is due at chosen instants.
UPDATE engage.scheduled_jobs SET next_scheduled_at = '2030-01-01 00:00Z', next_run_at = '2030-01-01 00:00Z';
SELECT count(*) AS runs FROM engage.run_due_jobs('2029-12-31 23:59:59Z');
SELECT job_name, started_by, scheduled_at, missed_runs, status, result, error FROM engage.run_due_jobs('2030-01-01 00:00Z');
SELECT job, who FROM regress_job_log;
SELECT name, next_run_at FROM engage.jobs;
-- After downtime, one run for the missed times (00:05 … 01:00), which the history counts.
SELECT job_name, scheduled_at, missed_runs, status FROM engage.run_due_jobs('2030-01-01 01:02Z');
SELECT name, next_run_at FROM engage.jobs;
SELECT count(*) AS rows_logged FROM regress_job_log;

-- Delay execution: due two minutes after the scheduled time.
UPDATE engage.scheduled_jobs SET delay = '2 minutes';
UPDATE engage.scheduled_jobs SET next_scheduled_at = '2030-01-01 02:00Z', next_run_at = '2030-01-01 02:02Z';
SELECT count(*) AS runs FROM engage.run_due_jobs('2030-01-01 02:01Z');
SELECT scheduled_at, status FROM engage.run_due_jobs('2030-01-01 02:02Z');
SELECT name, next_run_at FROM engage.jobs;

-- At most one run at a time: while one is running, a due run is recorded as skipped.
INSERT INTO engage.job_runs (job_id, job_name, owner, started_by, status, pid)
SELECT job_id, name, owner, 'manual', 'running', pg_backend_pid() FROM engage.scheduled_jobs;
SELECT count(*) AS executed FROM engage.run_due_jobs('2030-01-01 02:07Z');
SELECT scheduled_at, status, result FROM engage.job_runs ORDER BY run_id DESC LIMIT 1;
-- A run whose process is alive is not interrupted; one whose process is gone is.
SELECT engage_internal.mark_interrupted_runs() AS interrupted;
UPDATE engage.job_runs SET pid = -1 WHERE status = 'running';
SELECT engage_internal.mark_interrupted_runs() AS interrupted;
SELECT status, error FROM engage.job_runs WHERE status = 'interrupted';

-- Finished runs older than engage.job_run_retention go when due runs are next claimed.
SET engage.job_run_retention = '10min';
UPDATE engage.job_runs SET finished_at = now() - interval '11 minutes'
WHERE run_id = (SELECT min(run_id) FROM engage.job_runs);
SELECT count(*) AS runs_before FROM engage.job_runs;
SELECT count(*) FROM engage_internal.claim_due_runs(now());
SELECT count(*) AS runs_after FROM engage.job_runs;
RESET engage.job_run_retention;

-- A command cannot climb back to the role of whoever runs the scheduler, nor reach what the
-- owner cannot.
SET ROLE regress_engage_writer;
SELECT engage.schedule_job('climb', NULL, $$RESET ROLE; INSERT INTO regress_secret VALUES (1)$$, max_failures => 2);
SELECT engage.schedule_job('peek', NULL, 'SELECT * FROM regress_secret');
SELECT job_name, started_by, status, error FROM engage.run_job_now('climb');
SELECT job_name, status, error FROM engage.run_job_now('peek');
-- The session is as it was: same role, same search_path.
SELECT current_user, current_setting('search_path') AS search_path;
-- The second failure in a row switches 'climb' off (max_failures 2), with notifications.
SELECT job_name, status FROM engage.run_job_now('climb');
SELECT name, enabled, consecutive_failures FROM engage.jobs WHERE name = 'climb';
SELECT kind, message FROM engage.notifications ORDER BY notification_id;
-- Turning it back on resets the count; a success resets it too.
SELECT name, enabled, consecutive_failures FROM engage.alter_job('climb', enabled => true);
SELECT name, consecutive_failures FROM engage.alter_job('peek', command => 'SELECT count(*) FROM regress_job_log');
SELECT job_name, status, result FROM engage.run_job_now('peek');
SELECT name, consecutive_failures FROM engage.jobs WHERE name = 'peek';
-- A job with no schedule has no next run; changing it works by name.
SELECT name, schedule, next_run_at > now() AS has_next_run FROM engage.alter_job('peek', schedule => '@hourly', new_name => 'count');
SELECT name, schedule, next_run_at FROM engage.alter_job('count', schedule => '');
SELECT engage.alter_job('nothing', enabled => false);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT count(*) AS secret_rows FROM regress_secret;

-- Other roles see none of these jobs and cannot run them.
SET ROLE regress_engage_reader;
SELECT count(*) AS jobs_seen, (SELECT count(*) FROM engage.job_runs) AS runs_seen FROM engage.jobs;
RESET ROLE;
SET ROLE regress_engage_admin;
SELECT engage.run_job_now('count');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- A job kind is one row and one function taking the job's arguments.
CREATE FUNCTION regress_greet(arguments jsonb) RETURNS text LANGUAGE sql
AS $$ SELECT 'hello ' || (arguments->>'who') || ' from ' || current_user $$;
GRANT EXECUTE ON FUNCTION regress_greet(jsonb) TO regress_engage_writer;
INSERT INTO engage.job_kinds (kind, run_function, description) VALUES ('greet', 'regress_greet(jsonb)', 'says hello');
SET ROLE regress_engage_writer;
SELECT engage.schedule_job('greeter', '@weekly', kind => 'greet', arguments => '{"who": "Ana"}') > 0 AS scheduled;
SELECT job_name, status, result FROM engage.run_job_now('greeter');
SELECT engage.schedule_job('greeter2', '@weekly', 'SELECT 1', kind => 'greet');
\echo :LAST_ERROR_SQLSTATE
-- Unscheduling removes the job and its history, whichever job it is among several.
SET client_min_messages = error;
SELECT engage.schedule_job('later ' || i, '@monthly', 'SELECT 1') > 0 AS scheduled FROM generate_series(1, 3) i;
RESET client_min_messages;
SELECT engage.unschedule_job('greeter');
SELECT count(*) FROM engage.job_runs WHERE job_name = 'greeter';
SELECT engage.unschedule_job('later 2'), engage.unschedule_job('later 1');
SELECT name FROM engage.jobs WHERE name LIKE 'later%';
RESET ROLE;
