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
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
if ! ensure_citus; then
    echo "*** SKIPPED: Citus is not installed and its source is not vendored beside the repository ***"
    exit 0
fi
citus_cluster_start
status=0
REGRESS_CLUSTER=citus-coordinator REGRESS_DATABASE_READY=citus_database_ready "$ROOT/scripts/regress.sh" \
    >"$BUILD/citus-regress.log" 2>&1 || true
diffs="$BUILD/pg_regress/regression.diffs"
citus_notice='^\+(WARNING|NOTICE|DETAIL|HINT):  .*(Citus|will be created only locally|has dependency (on unsupported object|to ".*" that is not in Citus. metadata)|Distribute ".*" first|member objects on the workers|manually create a database)'
if ! grep -q "tests passed" "$BUILD/citus-regress.log" && [ ! -f "$diffs" ]; then
    cat "$BUILD/citus-regress.log" >&2
    echo "FAILED: the pg_regress suite did not run on the coordinator" >&2
    status=1
elif [ -f "$diffs" ]; then
    other="$(grep -E '^[-+]' "$diffs" | grep -Ev '^(\+\+\+|---) ' | grep -Evc "$citus_notice" || true)"
    if [ "$other" != 0 ]; then
        grep -E '^[-+]' "$diffs" | grep -Ev '^(\+\+\+|---) ' | grep -Ev "$citus_notice" | head -40 >&2
        echo "FAILED: $other lines of the suite's output differ on the coordinator" >&2
        status=1
    else
        echo "ok: every result of the suite as on a single server; Citus added $(grep -Ec "$citus_notice" "$diffs") lines of its notices"
    fi
else
    echo "ok: every result of the suite as on a single server"
fi
if [ $status -eq 0 ]; then
    # The suite ran with Citus active: the workers are registered, and the last file's
    # pg_engage reached both of them.
    nodes="$(cluster_psql citus-coordinator -d engage_regress -XAt -c \
        "SELECT count(*) FROM pg_dist_node WHERE groupid <> 0 AND isactive")"
    versions="$(cluster_psql citus-coordinator -d engage_regress -XAt -c \
        "SELECT string_agg(result, ' ' ORDER BY nodeport) FROM run_command_on_workers(
             \$\$SELECT extversion FROM pg_extension WHERE extname = 'pg_engage'\$\$)")"
    expected="$(cluster_psql citus-coordinator -d engage_regress -XAt -c \
        "SELECT extversion || ' ' || extversion FROM pg_extension WHERE extname = 'pg_engage'")"
    if [ "$nodes" = 2 ] && [ "$versions" = "$expected" ]; then
        echo "ok: two workers registered, each with pg_engage ${versions%% *}, as on the coordinator"
    else
        echo "FAILED: expected two workers with pg_engage '$expected', got $nodes workers with '$versions'" >&2
        status=1
    fi
fi
if [ $status -eq 0 ]; then
    # The background workers run on the coordinator: on a worker node serving the same database
    # they wait, say so in the log, and the status functions give the reason.
    for n in citus-coordinator citus-worker-1; do
        cluster_psql "$n" -d postgres -qAt -c "ALTER SYSTEM SET engage.databases = 'engage_regress'" \
            -c "SELECT pg_reload_conf()" >/dev/null
    done
    log="$(cluster_dir citus-worker-1)/server.log"
    for _ in $(seq 100); do
        grep -q 'database "engage_regress" is on a Citus worker node; its workers run on the coordinator' "$log" && break
        sleep 0.1
    done
    on_worker="$(cluster_psql citus-worker-1 -d engage_regress -XAt -c "SELECT problem FROM engage.scheduler_status()")"
    on_coordinator=""
    for _ in $(seq 100); do
        on_coordinator="$(cluster_psql citus-coordinator -d engage_regress -XAt -c \
            "SELECT running AND problem IS NULL FROM engage.scheduler_status()")"
        [ "$on_coordinator" = t ] && break
        sleep 0.1
    done
    if grep -q 'is on a Citus worker node' "$log" \
        && [ "$on_worker" = "this is a Citus worker node: the scheduler runs on the coordinator" ] \
        && [ "$on_coordinator" = t ]; then
        echo "ok: the scheduler runs on the coordinator; on a worker node it waits and says why"
    else
        echo "FAILED: expected the worker node's scheduler to wait and the coordinator's to run; got" \
            "'$on_worker' on the worker and '$on_coordinator' on the coordinator" >&2
        status=1
    fi
    for n in citus-coordinator citus-worker-1; do
        cluster_psql "$n" -d postgres -qAt -c "ALTER SYSTEM RESET engage.databases" -c "SELECT pg_reload_conf()" >/dev/null
    done
fi
for n in "${CITUS_NODES[@]}"; do cluster_stop "$n"; done
exit $status
