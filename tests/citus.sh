#!/usr/bin/env bash
# pg_engage beside Citus, the first step of scale-out (issue 21): a coordinator and two workers on
# this machine (Citus built from its vendored source when it is missing), and the whole pg_regress
# suite run on the coordinator, each file installing pg_engage through it (Citus creates it on the
# workers), then pg_engage's background workers, which run on the coordinator only. Nothing is
# distributed yet (DESIGN amendment 45 says what stands in the way): this shows that Citus active
# beside pg_engage changes none of its results. Every query's output must
# equal the single-server expected output; the only lines allowed to differ are the notices Citus
# adds about objects it keeps on the coordinator (views over local tables, objects in a session's
# temporary schema, members added to the extension, databases).
set -euo pipefail
C=citus-coordinator
DB=engage_regress # the database scripts/regress.sh makes
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if ! ensure_citus; then
    echo "*** SKIPPED: Citus is not installed and its source is not vendored beside the repository ***"
    exit 0
fi
# serve SETTING: engage.databases on the coordinator and the first worker (RESET: as before).
serve() {
    for n in "$C" citus-worker-1; do
        cluster_psql "$n" -d postgres -qAt -c "ALTER SYSTEM $1" -c "SELECT pg_reload_conf()" >/dev/null
    done
}
trap 'serve "RESET engage.databases" 2>/dev/null || true; for n in "${CITUS_NODES[@]}"; do cluster_stop "$n"; done' EXIT
citus_cluster_start
REGRESS_CLUSTER="$C" REGRESS_DATABASE_READY=citus_database_ready "$ROOT/scripts/regress.sh" \
    >"$BUILD/citus-regress.log" 2>&1 || true
diffs="$BUILD/pg_regress/regression.diffs"
citus_notice='^\+(WARNING|NOTICE|DETAIL|HINT):  .*(Citus|will be created only locally|has dependency (on unsupported object|to ".*" that is not in Citus. metadata)|Distribute ".*" first|member objects on the workers|manually create a database)'
if ! grep -q "tests passed" "$BUILD/citus-regress.log" && [ ! -f "$diffs" ]; then
    cat "$BUILD/citus-regress.log" >&2
    echo "FAILED: the pg_regress suite did not run on the coordinator" >&2
    exit 1
elif [ -f "$diffs" ]; then
    other="$(grep -E '^[-+]' "$diffs" | grep -Ev '^(\+\+\+|---) ' | grep -Ev "$citus_notice" || true)"
    if [ -n "$other" ]; then
        echo "$other" | head -40 >&2
        echo "FAILED: $(echo "$other" | wc -l) lines of the suite's output differ on the coordinator" >&2
        exit 1
    fi
    echo "ok: every result of the suite as on a single server; Citus added $(grep -Ec "$citus_notice" "$diffs") lines of its notices"
else
    echo "ok: every result of the suite as on a single server"
fi

# The suite ran with Citus active: the workers are registered, and the last file's pg_engage
# reached both of them.
check "two workers registered" 2 "$(q -c "SELECT count(*) FROM pg_dist_node WHERE groupid <> 0 AND isactive")"
check "each worker has pg_engage as the coordinator does" \
    "$(q -c "SELECT extversion || ' ' || extversion FROM pg_extension WHERE extname = 'pg_engage'")" \
    "$(q -c "SELECT string_agg(result, ' ' ORDER BY nodeport) FROM run_command_on_workers(
                 \$\$SELECT extversion FROM pg_extension WHERE extname = 'pg_engage'\$\$)")"

# The background workers run on the coordinator: on a worker node serving the same database they
# wait, each saying so once in the log, and the status functions give the reason.
log="$(cluster_dir citus-worker-1)/server.log"
logged_before="$(stat -c %s "$log")"
waiting() { tail -c +"$((logged_before + 1))" "$log" | grep -c "database \"$DB\" is on a Citus worker node; its workers run on the coordinator" || true; }
serve "SET engage.databases = '$DB'"
for _ in $(seq 100); do
    [ "$(waiting)" -ge 2 ] && break
    sleep 0.1
done
check "the worker node's scheduler and workflow worker wait, each with one log line" 2 "$(waiting)"
check "the worker node's scheduler_status says why" "this is a Citus worker node: the scheduler runs on the coordinator" \
    "$(cluster_psql citus-worker-1 -d "$DB" -XAt -c "SELECT problem FROM engage.scheduler_status()")"
wait_for "SELECT running AND problem IS NULL FROM engage.scheduler_status()" 10 || true
check "the coordinator's scheduler runs" t "$(q -c "SELECT running AND problem IS NULL FROM engage.scheduler_status()")"
