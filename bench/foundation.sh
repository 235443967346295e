#!/usr/bin/env bash
# Foundation benchmarks, each against its baseline in the same run on the same cluster:
#   upsert_contacts of 100,000 new, then 100,000 changed contacts vs a plain INSERT … ON CONFLICT
#   of the same rows into an equivalent table (target: within 3x);
#   generate_event of 100,000 events vs a plain INSERT of the same rows (target: within 2x): one
#   statement per event, as an API sends them (pgbench), and the bulk form generate_events with
#   all 100,000 in one call vs one INSERT … SELECT. Also shown, without a target: generate_event
#   called per row inside one statement, which pays executor start-up per event.
# Each measurement is the median of ROUNDS runs (default 3). Prints the times and the ratios.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ROUNDS="${ROUNDS:-3}"
# Checkpoints land on whichever side happens to be running: make them rare and take one before
# each timed statement instead.
bench_cluster bench "max_wal_size = 8GB" "checkpoint_timeout = 30min"
dir="$(cluster_dir bench)"
port="$(cat "$dir/port")"
q() { cluster_psql bench -d engage_bench -X -q -v ON_ERROR_STOP=1 "$@"; }
PGOPTIONS="-c client_min_messages=warning" cluster_psql bench -d postgres -qc "DROP DATABASE IF EXISTS engage_bench" \
    -c "CREATE DATABASE engage_bench"
say "loading benchmark data"
q -f "$ROOT/bench/foundation_setup.sql" >/dev/null

# Milliseconds of each statement (psql's \timing: execution and commit), a checkpoint before each.
timed() {
    local args=(-c '\timing on')
    for stmt in "$@"; do args+=(-c '\timing off' -c CHECKPOINT -c '\timing on' -c "$stmt"); done
    q "${args[@]}" | timing_ms
}

declare -A T
for round in $(seq "$ROUNDS"); do
    q -c "SET client_min_messages = warning" -c "TRUNCATE engage.contacts CASCADE" -c "TRUNCATE bench.plain_contacts" \
        -c "VACUUM ANALYZE"
    mapfile -t t < <(timed \
        "SELECT count(*) FROM engage.upsert_contacts((SELECT body FROM bench.bodies WHERE name = 'new'))" \
        "SELECT bench.plain_upsert('new')" \
        "SELECT count(*) FROM engage.upsert_contacts((SELECT body FROM bench.bodies WHERE name = 'changed'))" \
        "SELECT bench.plain_upsert('changed')")
    T[upsert_new]+="${t[0]} "; T[plain_new]+="${t[1]} "; T[upsert_changed]+="${t[2]} "; T[plain_changed]+="${t[3]} "
    echo "round $round: upsert new ${t[0]} ms (plain ${t[1]}), changed ${t[2]} ms (plain ${t[3]})"
done

for round in $(seq "$ROUNDS"); do
    q -c "TRUNCATE engage.events, bench.plain_events" -c "VACUUM ANALYZE engage.events, bench.plain_events"
    mapfile -t t < <(timed \
        "SELECT count(*) FROM engage.generate_events((SELECT body FROM bench.bodies WHERE name = 'events'))" \
        "INSERT INTO bench.plain_events (event_type_id, key_value, params)
            SELECT 1, b->>'keyValue', jsonb_build_object(b->'params'->0->>'name', b->'params'->0->'value')
            FROM jsonb_array_elements((SELECT body FROM bench.bodies WHERE name = 'events')) b" \
        "SELECT count(engage.generate_event(body)) FROM bench.event_bodies")
    T[events_bulk]+="${t[0]} "; T[plain_set]+="${t[1]} "; T[events_rows]+="${t[2]} "
    echo "round $round: generate_events of 100000 ${t[0]} ms (plain INSERT … SELECT ${t[1]}), generate_event per row ${t[2]} ms"
done

# One statement per event, as clients send them: 100,000 pgbench transactions, one client.
pgbench_ms() {
    "$PG_BIN/pgbench" -h "$dir" -p "$port" -U postgres -n -M prepared -c 1 -t 100000 -f "$1" engage_bench \
        | awk '/^latency average/ {print $4 * 100000}'
}
for round in $(seq "$ROUNDS"); do
    q -c "TRUNCATE engage.events, bench.plain_events" -c "VACUUM ANALYZE engage.events, bench.plain_events" -c CHECKPOINT
    e="$(pgbench_ms "$ROOT/bench/events_engage.pgbench")"
    p="$(pgbench_ms "$ROOT/bench/events_plain.pgbench")"
    T[events_calls]+="$e "; T[plain_calls]+="$p "
    echo "round $round: 100000 generate_event calls $e ms (plain INSERT statements $p)"
done

say "results (median of $ROUNDS rounds)"
row() {
    local ours base
    ours="$(echo ${T[$2]} | tr ' ' '\n' | median)"
    base="$(echo ${T[$3]} | tr ' ' '\n' | median)"
    awk -v n="$1" -v o="$ours" -v b="$base" -v tgt="$4" \
        'BEGIN {r = o / b; printf "%-48s %9.0f ms  baseline %9.0f ms  ratio %5.2fx  %s\n", n, o, b, r,
                (tgt == "-" ? "(no target)" : sprintf("(target <= %sx: %s)", tgt, (r <= tgt ? "met" : "MISSED")))}'
}
row "upsert_contacts, 100,000 new contacts" upsert_new plain_new 3
row "upsert_contacts, the same 100,000 changed" upsert_changed plain_changed 3
row "generate_event, 100,000 single calls (pgbench)" events_calls plain_calls 2
row "generate_events, 100,000 in one call" events_bulk plain_set 2
row "generate_event per row in one statement" events_rows plain_set -
