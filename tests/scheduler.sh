#!/usr/bin/env bash
# The scheduler in a real cluster (pg_engage preloaded, engage.database set): a job scheduled
# '* * * * *' runs on its own at the minute; a slow job started at the same minute does not delay
# it; a job that fails its max_failures-th time is switched off with a NOTIFY; a run cut short by
# a crash is marked interrupted when the server is back; switching the scheduler off by reload
# (SIGHUP) stops runs; SIGTERM ends the launcher cleanly. Takes one to two minutes (it waits for
# minute boundaries). Run by scripts/test.sh; exits non-zero on the first failed check.
set -euo pipefail
C=scheduler
DB=engage_scheduler
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cluster_start "$C" >/dev/null
cluster_psql "$C" -d postgres -X -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" \
    -c "ALTER SYSTEM SET engage.database = '$DB'" -c "ALTER SYSTEM SET engage.scheduler_enabled = on"
cluster_start "$C" >/dev/null # restarted: the launcher now serves $DB
q >/dev/null <<'SQL'
CREATE EXTENSION pg_engage CASCADE;
-- The built-in retention job would add runs of its own to what this test counts.
SELECT engage.alter_job('engage retention', enabled => false) IS NOT NULL AS retention_off;
CREATE TABLE ticks (job text, at timestamptz DEFAULT clock_timestamp());
-- The slow job is scheduled first, so it is claimed first at the minute.
SELECT engage.schedule_job('slow', '* * * * *', $$SELECT pg_sleep(30); INSERT INTO ticks (job) VALUES ('slow')$$);
SELECT engage.schedule_job('tick', '* * * * *', $$INSERT INTO ticks (job) VALUES ('tick')$$);
SELECT engage.schedule_job('broken', '* * * * *', 'SELECT 1/0', max_failures => 1);
SQL
check "the scheduler runs for this database" t "$(q -c "SELECT running FROM engage.scheduler_status()")"
# A reader cannot see the worker's row in pg_stat_activity, but is told the truth all the same.
q -c "DROP ROLE IF EXISTS status_reader" -c "CREATE ROLE status_reader IN ROLE engage_reader" >/dev/null
check "a reader is told the scheduler runs" "t|f" \
    "$(q -c "SET ROLE status_reader" -c "SELECT s.running, exists (SELECT FROM pg_stat_activity a
                                                               WHERE a.backend_type = 'pg_engage scheduler'
                                                                 AND a.datname = current_database())
                                       FROM engage.scheduler_status() s")"
check "a reader is told the workflow worker runs" t \
    "$(q -c "SET ROLE status_reader" -c "SELECT running FROM engage.workflow_worker_status()")"

# The launcher had no jobs, so it slept for minutes; the commit above woke it to read them.
# Listen for the disabled job while the minute comes.
listener="$BUILD/scheduler-listen.out"
{ echo "LISTEN engage_job_disabled;"; for _ in $(seq 90); do echo "SELECT pg_sleep(1);"; done; } \
    | q >"$listener" 2>&1 &
listener_pid=$!

wait_for "SELECT EXISTS (SELECT FROM ticks WHERE job = 'tick')" 75 || check "tick ran within 75 s" yes no
check "tick ran on its own" t "$(q -c "SELECT count(*) = 1 FROM ticks WHERE job = 'tick'")"
check "tick ran within 3 s of its minute" t \
    "$(q -c "SELECT at - date_trunc('minute', at) < interval '3 seconds' FROM ticks WHERE job = 'tick'")"
check "the slow job, started first, is still running" t \
    "$(q -c "SELECT status = 'running' AND pid IS NOT NULL FROM engage.job_runs WHERE job_name = 'slow'")"
check "tick and slow ran for the same scheduled time" t \
    "$(q -c "SELECT count(DISTINCT scheduled_at) = 1 AND count(*) = 2 FROM engage.job_runs WHERE job_name IN ('tick', 'slow')")"
check "each ran in its own background worker" t \
    "$(q -c "SELECT count(DISTINCT pid) = 3 FROM engage.job_runs")"
wait_for "SELECT NOT enabled FROM engage.jobs WHERE name = 'broken'" 10 || true
check "the broken job was switched off after its one allowed failure" "f|1" \
    "$(q -c "SELECT enabled, consecutive_failures FROM engage.jobs WHERE name = 'broken'")"
for _ in $(seq 15); do grep -q engage_job_disabled "$listener" && break; sleep 1; done
kill "$listener_pid" 2>/dev/null || true
check "a listener heard NOTIFY engage_job_disabled" 1 "$(grep -c 'notification "engage_job_disabled" with payload' "$listener")"

# A crash while the slow job runs: when the server is back, its run is marked interrupted.
as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -w -m immediate stop >/dev/null
cluster_start "$C" >/dev/null
wait_for "SELECT status = 'interrupted' FROM engage.job_runs WHERE job_name = 'slow' ORDER BY run_id LIMIT 1" 15 \
    || check "the slow run was marked interrupted after the crash" interrupted \
        "$(q -c "SELECT status FROM engage.job_runs WHERE job_name = 'slow' ORDER BY run_id LIMIT 1")"
echo "ok: the slow run was marked interrupted after the crash"

# Switched off by a reload (SIGHUP): past the next minute, nothing new ran.
q -c "ALTER SYSTEM SET engage.scheduler_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
before="$(q -c "SELECT count(*) FROM engage.job_runs")"
sleep $((62 - $(date +%-S)))
check "no runs while the scheduler is switched off" "$before" "$(q -c "SELECT count(*) FROM engage.job_runs")"
q -c "ALTER SYSTEM RESET engage.scheduler_enabled" -c "SELECT pg_reload_conf()" >/dev/null

# SIGTERM (a fast shutdown) ends the launcher cleanly.
lines="$(as_postgres wc -l <"$dir/server.log")"
cluster_stop "$C"
check "the launcher stopped cleanly on SIGTERM" 1 "$(tail -n +"$((lines + 1))" "$dir/server.log" | grep -c 'pg_engage scheduler stopped')"
echo "scheduler tests passed"
