#!/usr/bin/env bash
# Trigger engine benchmark, against its baseline in the same run on the same cluster:
#   100,000 events through generate_event (one pgbench transaction each) and process_events
#   (batches of 1,000) for an each-time workflow of one send block, rendering included, vs
#   100,000 plain INSERT statements of the same send rows (already rendered) into an outbox
#   table with the same keys; process_events alone vs one INSERT … SELECT that renders the same
#   send rows from the events with engage.render; and the latency from an event's commit to its send row with the
#   workflow worker running (p50 and p99 of 200 events, polled every 0.5 ms).
# Each throughput measurement is the median of ROUNDS runs (default 3).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ROUNDS="${ROUNDS:-3}"
C=bench-workflows
DB=engage_bench_workflows
bench_cluster "$C" "max_wal_size = 8GB" "checkpoint_timeout = 30min"
dir="$(cluster_dir "$C")"
port="$(cat "$dir/port")"
q() { cluster_psql "$C" -d "$DB" -X -q -v ON_ERROR_STOP=1 "$@"; }
PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" \
    -c "ALTER SYSTEM SET engage.database = '$DB'" -c "ALTER SYSTEM SET engage.workflows_enabled = off" \
    -c "ALTER SYSTEM SET engage.scheduler_enabled = off"
cluster_start "$C" >/dev/null
say "loading benchmark data"
q -f "$ROOT/bench/workflows_setup.sql" >/dev/null

pgbench_ms() { # pgbench_ms SCRIPT: milliseconds for 100,000 transactions, two clients
    "$PG_BIN/pgbench" -h "$dir" -p "$port" -U postgres -n -M prepared -c 2 -j 2 -t 50000 -f "$1" "$DB" \
        | awk '/^latency average/ {print $4 * 50000}'
}
declare -A T
for round in $(seq "$ROUNDS"); do
    q -c "SET client_min_messages = warning" -c "TRUNCATE engage.events, engage.event_queue, engage.workflow_instances, engage.sends, bench.plain_sends" \
        -c "VACUUM ANALYZE" -c CHECKPOINT
    e="$(pgbench_ms "$ROOT/bench/workflows_event.pgbench")"
    p="$(q -c CHECKPOINT -c '\timing on' -c "DO \$\$ BEGIN LOOP EXIT WHEN (engage.process_events(1000)).events = 0; COMMIT; END LOOP; END \$\$" \
        | timing_ms)"
    sends="$(q -At -c "SELECT count(*) FROM engage.sends")"
    [ "$sends" = 100000 ] || { echo "expected 100000 sends, found $sends" >&2; exit 1; }
    q -c CHECKPOINT
    s="$(q -c '\timing on' -c "CALL bench.set_based_sends()" | timing_ms)"
    differ="$(q -At -c "SELECT count(*) FROM engage.sends s JOIN engage.workflow_instances i USING (instance_id)
                        JOIN bench.plain_sends p ON p.event_id = i.event_id
                        WHERE s.body IS DISTINCT FROM p.body OR s.subject IS DISTINCT FROM p.subject")"
    [ "$differ" = 0 ] || { echo "$differ set-based sends differ" >&2; exit 1; }
    q -c "TRUNCATE bench.plain_sends" -c CHECKPOINT >/dev/null
    b="$(pgbench_ms "$ROOT/bench/workflows_plain.pgbench")"
    T[events]+="$e "; T[process]+="$p "; T[both]+="$(echo "$e + $p" | bc) "; T[plain]+="$b "; T[set]+="$s "
    echo "round $round: generate_event ×100000 $e ms, process_events $p ms; INSERT … SELECT of the rendered sends $s ms; plain INSERT ×100000 $b ms"
done

say "latency from an event's commit to its send, with the worker running"
q -c "ALTER SYSTEM SET engage.workflows_enabled = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
q -c "CALL bench.measure_latency(200)"
latency="$(q -At -c "SELECT format('p50 %s ms, p99 %s ms, max %s ms', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
                     round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1), round(max(ms)::numeric, 1)) FROM bench.latency")"
q -c "ALTER SYSTEM SET engage.workflows_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null

say "results (median of $ROUNDS rounds)"
med() { echo ${T[$1]} | tr ' ' '\n' | median; }
awk -v e="$(med events)" -v p="$(med process)" -v o="$(med both)" -v b="$(med plain)" -v s="$(med set)" 'BEGIN {
    printf "%-58s %8.0f ms (%.1f µs/event)\n", "generate_event, 100,000 single calls (pgbench, 2 clients)", e, e / 100
    printf "%-58s %8.0f ms (%.1f µs/event)\n", "process_events, batches of 1,000 (launch, render, send)", p, p / 100
    printf "%-58s %8.0f ms (%.1f µs/event)  ratio %5.2fx (target 3x)\n", "baseline: one INSERT … SELECT of the same rendered sends", s, s / 100, p / s
    printf "%-58s %8.0f ms  baseline %8.0f ms  ratio %5.2fx (no target)\n", "events to sends, total", o, b, o / b
}'
echo "event commit to send row: $latency"
cluster_stop "$C"
