#!/usr/bin/env bash
# More than one database in one server: engage.databases names them, and the launcher keeps a
# scheduler and a workflow worker running in each that exists.
#  1. two shops' databases served at once: in each, a job started by hand runs in its
#     scheduler's worker and an event turns into a send through its workflow worker;
#  2. a database named before it exists gets its workers when it is created;
#  3. one dropped WITH (FORCE) is not started again; one taken out of the setting (reload) loses
#     its workers, and can then be dropped plainly;
#  4. a worker that dies (SIGKILL, then crash recovery) is started again;
#  5. the status functions say why a database is not served.
# Run by scripts/test.sh; exits non-zero on the first failed check.
set -euo pipefail
C=databases
DB=engage_shop_a
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
qa() { cluster_psql "$C" -d engage_shop_a -X -q -At -v ON_ERROR_STOP=1 "$@"; }
qb() { cluster_psql "$C" -d engage_shop_b -X -q -At -v ON_ERROR_STOP=1 "$@"; }
admin() { PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# The workers running, as database:type, sorted.
workers() {
    admin -c "SELECT coalesce(string_agg(datname || ':' || backend_type, ',' ORDER BY datname, backend_type), '')
              FROM pg_stat_activity WHERE backend_type IN ('pg_engage scheduler', 'pg_engage workflows')"
}
wait_workers() { # wait_workers EXPECTED: up to 20 s for the workers to be EXPECTED
    for _ in $(seq 200); do [ "$(workers)" = "$1" ] && return 0; sleep 0.1; done
    check "the workers running" "$1" "$(workers)"
}
both() { echo "$1:pg_engage scheduler,$1:pg_engage workflows"; }

cluster_start "$C" >/dev/null
admin -c "DROP DATABASE IF EXISTS engage_shop_a WITH (FORCE)" -c "DROP DATABASE IF EXISTS engage_shop_b WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS engage_shop_c WITH (FORCE)" -c "CREATE DATABASE engage_shop_a" \
    -c "CREATE DATABASE engage_shop_b" \
    -c "ALTER SYSTEM SET engage.databases = 'engage_shop_a, engage_shop_b, engage_shop_c'" \
    -c "ALTER SYSTEM SET max_worker_processes = 16" >/dev/null
cluster_start "$C" >/dev/null # restarted: max_worker_processes counts at start
check "one launcher runs, connected to no database" "1|" \
    "$(admin -c "SELECT count(*), max(datname) FROM pg_stat_activity WHERE backend_type = 'pg_engage launcher'")"

# 1. Both shops are served, each by its own workers.
wait_workers "$(both engage_shop_a),$(both engage_shop_b)"
echo "ok: each existing database has a scheduler and a workflow worker (${SECONDS}s)"
setup='
CREATE EXTENSION pg_engage CASCADE;
SELECT engage.alter_job($$engage retention$$, enabled => false) IS NOT NULL;
CREATE TABLE ticks (shop text, at timestamptz DEFAULT clock_timestamp());
SELECT engage.schedule_job($$tick$$, NULL, $$INSERT INTO ticks (shop) VALUES (current_database())$$);
SELECT count(*) FROM engage.upsert_contacts($${"contacts": [{"externalCustomerId": "c1",
    "channels": [{"type": "email", "value": "c1@example.com"}]}]}$$);
INSERT INTO engage.messages (name, subject, body) VALUES ($$hi$$, $$Hi$$, $$Hello from $contact.externalCustomerId$$);
SELECT engage.create_workflow($$welcome$$, $$[{"id": "s", "type": "send_message", "messageId": 1}]$$);
SELECT engage.link_event($$welcome$$, $$signedUp$$);
SELECT engage.activate_workflow($$welcome$$);'
qa -c "SET client_min_messages = warning" -c "$setup" >/dev/null
qb -c "SET client_min_messages = warning" -c "$setup" >/dev/null
# The job is made due now (rather than waiting for the minute): the database's scheduler runs it.
for shop in qa qb; do
    $shop -c "SELECT engage.alter_job('tick', schedule => '* * * * *') IS NOT NULL" \
        -c "UPDATE engage.scheduled_jobs SET next_run_at = now() WHERE name = 'tick'" >/dev/null
    $shop -c "SELECT engage.generate_event('{\"eventTypeKey\": \"signedUp\", \"keyValue\": \"c1\"}')" >/dev/null
done
wait_for_in() { # wait_for_in PSQL SQL SECONDS: as wait_for, in the database PSQL reaches
    for _ in $(seq $(($3 * 10))); do [ "$($1 -c "$2" 2>/dev/null)" = t ] && return 0; sleep 0.1; done
    return 1
}
for shop in qa qb; do
    wait_for_in $shop "SELECT count(*) = 1 FROM ticks" 15 || true
    wait_for_in $shop "SELECT count(*) = 1 FROM engage.sends" 15 || true
done
check "each shop's job ran once, in its own database" "engage_shop_a|1|engage_shop_b|1" \
    "$(qa -c "SELECT shop, count(*) FROM ticks GROUP BY shop")|$(qb -c "SELECT shop, count(*) FROM ticks GROUP BY shop")"
check "each by its scheduler, in a worker" "schedule|succeeded|t|schedule|succeeded|t" \
    "$(qa -c "SELECT started_by, status, pid IS NOT NULL FROM engage.job_runs WHERE job_name = 'tick'")|$(qb -c "SELECT started_by, status, pid IS NOT NULL FROM engage.job_runs WHERE job_name = 'tick'")"
check "each shop's event became its own send" "c1@example.com|QUEUED|c1@example.com|QUEUED" \
    "$(qa -c "SELECT locator, status FROM engage.sends")|$(qb -c "SELECT locator, status FROM engage.sends")"
check "both schedulers and workflow workers say they run" "t|t|t|t" \
    "$(qa -c "SELECT (SELECT running FROM engage.scheduler_status()), (SELECT running FROM engage.workflow_worker_status())")|$(qb -c "SELECT (SELECT running FROM engage.scheduler_status()), (SELECT running FROM engage.workflow_worker_status())")"

# 2. A database named before it existed is served once it is created.
admin -c "CREATE DATABASE engage_shop_c" >/dev/null
wait_workers "$(both engage_shop_a),$(both engage_shop_b),$(both engage_shop_c)"
echo "ok: a database created later gets its workers (${SECONDS}s)"

# 3. Dropped WITH (FORCE): its workers end and are not started again. Taken out of the setting:
# its workers leave on the reload, and a plain DROP DATABASE then works.
admin -c "DROP DATABASE engage_shop_c WITH (FORCE)" >/dev/null
sleep 6 # past the launcher's next look
wait_workers "$(both engage_shop_a),$(both engage_shop_b)"
echo "ok: a dropped database's workers are not started again (${SECONDS}s)"
admin -c "ALTER SYSTEM SET engage.databases = 'engage_shop_a'" -c "SELECT pg_reload_conf()" >/dev/null
wait_workers "$(both engage_shop_a)"
echo "ok: a database taken out of engage.databases loses its workers on reload (${SECONDS}s)"
check "its status says why" "f|this database is not one pg_engage serves (engage.databases: engage_shop_a); add it and reload" \
    "$(qb -c "SELECT running, problem FROM engage.scheduler_status()")"
admin -c "DROP DATABASE engage_shop_b" >/dev/null
echo "ok: it can then be dropped without FORCE (${SECONDS}s)"

# 4. A worker killed with SIGKILL: after the crash recovery, the launcher starts both again.
pid="$(admin -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_engage workflows'")"
as_root kill -KILL "$pid"
sleep 2
wait_workers "$(both engage_shop_a)"
qa -c "SELECT engage.generate_event('{\"eventTypeKey\": \"signedUp\", \"keyValue\": \"c1\"}')" >/dev/null
wait_for_in qa "SELECT count(*) = 2 FROM engage.sends" 15 || true
check "after a crash the workers serve the database again" 2 "$(qa -c "SELECT count(*) FROM engage.sends")"

admin -c "ALTER SYSTEM RESET engage.databases" -c "ALTER SYSTEM RESET max_worker_processes" >/dev/null
cluster_stop "$C"
echo "databases tests passed"
