#!/usr/bin/env bash
# The data export in a real cluster, to another database reached over TCP through postgres_fdw:
#  1. the scheduler runs the export (job kind 'export'); while it copies 1,000,000 activities,
#     engage.export_progress shows its rows done moving;
#  2. the scheduler's worker is killed with SIGKILL in the middle of that first run: after crash
#     recovery the run is marked interrupted, the target holds nothing of it, and the next run
#     copies everything: the target equals the source;
#  3. the target goes away in the middle of the next scheduled run, an incremental one (its
#     connection is terminated): the run is recorded failed with the reason, and the next run
#     finishes the job: the target equals the source again.
# Waits for two minute boundaries. Run by scripts/test.sh; exits non-zero on the first failed check.
set -euo pipefail
C=exports
DB=engage_exports
REMOTE=engage_exports_dwh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
remote() { cluster_psql "$C" -d "$REMOTE" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cluster_start "$C" >/dev/null
cluster_psql "$C" -d postgres -X -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $REMOTE WITH (FORCE)" -c "CREATE DATABASE $DB" -c "CREATE DATABASE $REMOTE" \
    -c "DROP ROLE IF EXISTS dwh_writer" -c "CREATE ROLE dwh_writer LOGIN PASSWORD 'dwh-secret'" \
    -c "ALTER SYSTEM SET engage.database = '$DB'" -c "ALTER SYSTEM SET engage.scheduler_enabled = on" \
    -c "ALTER SYSTEM SET engage.workflows_enabled = off"
cluster_start "$C" >/dev/null # restarted: the scheduler now serves $DB
remote -c "CREATE SCHEMA dwh AUTHORIZATION dwh_writer"
port="$(cat "$dir/port")"
q >/dev/null <<SQL
SET client_min_messages = error;
CREATE EXTENSION pg_engage CASCADE;
-- The built-in retention job would add runs of its own to what this test counts.
SELECT engage.alter_job('engage retention', enabled => false) IS NOT NULL AS retention_off;
-- 20,000 contacts with an email, 1,000,000 activities, 20,000 orders with two items each.
INSERT INTO engage.contacts (contact_id, external_customer_id, first_name, source)
SELECT i, 'C' || i, 'First ' || i, 'IMPORT' FROM generate_series(1, 20000) i;
INSERT INTO engage.channels (type, value, contact_id) SELECT 'email', 'c' || i || '@example.com', i FROM generate_series(1, 20000) i;
INSERT INTO engage.messages (name, subject, body) VALUES ('promo', 'Sale', 'Hi');
INSERT INTO engage.contact_activities (activity, activity_at, contact_id, external_customer_id, campaign_type, media_type,
                                       message_id, message_name)
SELECT (ARRAY['DELIVERED', 'RECEIVED', 'CLICKED', 'UNDELIVERED'])[1 + i % 4], now() - make_interval(mins => i),
       1 + i % 20000, 'C' || (1 + i % 20000), 'Group', 'Email', 1, 'promo'
FROM generate_series(1, 1000000) i;
INSERT INTO engage.orders (contact_id, external_order_id, external_customer_id, status, order_date, total_cost, currency)
SELECT i, 'O' || i, 'C' || i, 'DELIVERED', now() - make_interval(days => i % 300), 10 + i % 90, 'USD'
FROM generate_series(1, 20000) i;
INSERT INTO engage.order_items (contact_id, order_id, position, external_item_id, name, quantity, cost)
SELECT o.contact_id, o.order_id, p, 'P' || p, 'Item ' || p, 1, 5 FROM engage.orders o, generate_series(1, 2) p;
ANALYZE;
SELECT engage.create_connector('dwh', host => 'localhost', port => $port, database => '$REMOTE',
                               username => 'dwh_writer', password => 'dwh-secret', ssl_mode => 'disable');
SELECT name FROM engage.create_export('nightly', 'dwh', ARRAY['contactActivities', 'contacts', 'orderItems', 'orders'],
                                      schema => 'dwh', schedule => '* * * * *');
SQL
q -f "$ROOT/tests/pg_regress/include/export_differences.sql" >/dev/null
check "the scheduler runs for this database" t "$(q -c "SELECT running FROM engage.scheduler_status()")"

# 1. At the minute the scheduler starts the run; its progress moves while it copies.
wait_for "SELECT EXISTS (SELECT FROM engage.export_progress WHERE dataset = 'contactActivities' AND rows_done > 0)" 75 \
    || check "the scheduled run started copying activities" yes no
first="$(q -c "SELECT rows_done FROM engage.export_progress WHERE dataset = 'contactActivities'")"
wait_for "SELECT EXISTS (SELECT FROM engage.export_progress WHERE dataset = 'contactActivities' AND rows_done > $first)" 30 \
    || check "the progress of the activities moved past $first" yes no
check "progress shows rows done of an estimate" t \
    "$(q -c "SELECT rows_done < rows_estimate AND rows_estimate BETWEEN 900000 AND 1100000 FROM engage.export_progress")"

# 2. The scheduler's worker running it is killed with SIGKILL (its schedule removed first, so
#    that the scheduler does not start it again by itself when the server is back).
q -c "SELECT engage.alter_job('export nightly', schedule => '')" >/dev/null
pid="$(q -c "SELECT pid FROM engage.export_progress")"
done_then="$(q -c "SELECT rows_done FROM engage.export_progress")"
as_root kill -KILL "$pid"
echo "killed the export's worker (pid $pid) at $done_then activities"
sleep 2
wait_for "SELECT true" 60 || check "the server came back" yes no
check "the server went through crash recovery" t "$(grep -q 'terminated by signal 9' "$dir/server.log" && echo t || echo f)"
check "nothing of the killed run reached the target" 0 "$(remote -c "SELECT count(*) FROM dwh.contact_activities")"
q -c "SELECT engage_internal.mark_interrupted_runs()" >/dev/null
check "the killed run is marked interrupted" interrupted \
    "$(q -c "SELECT r.status FROM engage.job_runs r JOIN engage.jobs j USING (job_id) WHERE j.name = 'export nightly' ORDER BY run_id LIMIT 1")"
check "the next run copies everything" succeeded "$(q -c "SELECT status FROM engage.run_export_now('nightly')")"
check "the target equals the source" 0 "$(q -c "SELECT sum(missing + extra) FROM export_differences('nightly')")"

# 3. Changes (200,000 new activities, contacts renamed, orders cancelled); at the next minute the
#    scheduler's run copies them, and the target's connection is terminated while it does.
q >/dev/null <<'SQL'
INSERT INTO engage.contact_activities (activity, activity_at, contact_id, campaign_type, media_type, message_id)
SELECT 'RECEIVED', now(), 1 + i % 20000, 'IM', 'Email', 1 FROM generate_series(1, 200000) i;
UPDATE engage.contacts SET first_name = 'Renamed' WHERE contact_id % 10 = 0;
UPDATE engage.orders SET status = 'CANCELLED' WHERE order_id % 7 = 0;
SELECT engage.alter_export('nightly', schedule => '* * * * *');
SQL
wait_for "SELECT EXISTS (SELECT FROM engage.export_progress WHERE dataset = 'contactActivities')" 75 \
    || check "the scheduled incremental run started" yes no
q -c "SELECT engage.alter_job('export nightly', schedule => '')" >/dev/null
cluster_psql "$C" -d postgres -X -q -At \
    -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$REMOTE'" >/dev/null
wait_for "SELECT last_run_status = 'failed' FROM engage.exports WHERE name = 'nightly'" 30 \
    || check "the run whose target went away was recorded failed" failed \
             "$(q -c "SELECT last_run_status FROM engage.exports WHERE name = 'nightly'")"
echo "its error: $(q -c "SELECT last_run_error FROM engage.exports WHERE name = 'nightly'" | head -1)"
check "the export says it is failing, and why" "failing|t" \
    "$(q -c "SELECT state, last_run_error LIKE '%dataset contactActivities%' FROM engage.exports WHERE name = 'nightly'")"
check "the failure counts towards the job's max_failures" 1 \
    "$(q -c "SELECT consecutive_failures FROM engage.scheduled_jobs WHERE name = 'export nightly'")"
check "the next run finishes the job" succeeded "$(q -c "SELECT status FROM engage.run_export_now('nightly')")"
check "the target equals the source" 0 "$(q -c "SELECT sum(missing + extra) FROM export_differences('nightly')")"
check "the target has every activity once" 1200000 "$(remote -c "SELECT count(*) FROM dwh.contact_activities")"
cluster_psql "$C" -d postgres -X -q -c "ALTER SYSTEM RESET engage.database" -c "ALTER SYSTEM RESET engage.scheduler_enabled" \
    -c "ALTER SYSTEM RESET engage.workflows_enabled"
cluster_stop "$C"
echo "export tests passed"
