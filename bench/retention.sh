#!/usr/bin/env bash
# Retention benchmark: removing EVENTS (default 10,000,000) old events both ways, each through
# engage.apply_retention on the same data loaded afresh, in the same run and cluster:
#   - by partition: the events fill one month, which ends before the retention, so the run drops
#     the month (engage_internal.maintain_partitions: detach _before, drop the month, attach _before);
#   - by DELETE: the same month holds one queued event, so it cannot be dropped and the run
#     deletes the old rows in batches (BATCH, default 100,000 rows a call: what the hourly job does
#     per run) until none is left; then the VACUUM that makes their space reusable.
# Also what each leaves behind (the events table's size) and, for reference, one plain
# DELETE … WHERE registered_at < … of the same rows. Release build, own cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
EVENTS="${EVENTS:-10000000}"
BATCH="${BATCH:-100000}"
C=bench-retention
DB=engage_bench_retention
bench_cluster "$C" "max_wal_size = 16GB" "checkpoint_timeout = 30min" "shared_buffers = 1GB"
q() { cluster_psql "$C" -d "$DB" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
ms() { timing_ms | awk '{s += $1} END {printf "%d\n", s}'; }

# load [queued]: a fresh database whose events, all registered in this month, are EVENTS rows
# (with "queued", one of them still waits in the workflow worker's queue). Prints the load time.
load() {
    PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q \
        -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    q -c "CREATE EXTENSION pg_engage CASCADE" -c "SELECT engage_internal.register_event_types(ARRAY['viewedProduct'])" >/dev/null
    local started=$SECONDS
    q -c "INSERT INTO engage.events (event_type_id, key_value, contact_id, params, registered_at)
          SELECT (SELECT event_type_id FROM engage.event_types WHERE key = 'viewedProduct'), 'c' || (i % 100000),
                 i % 100000, jsonb_build_object('product', i % 5000),
                 date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + (i % 86400) * interval '1 second'
          FROM generate_series(1, $EVENTS) i"
    if [ "${1:-}" = queued ]; then
        q -c "INSERT INTO engage.event_queue SELECT event_id, registered_at FROM engage.events ORDER BY event_id LIMIT 1"
    fi
    q -c "VACUUM ANALYZE engage.events" -c CHECKPOINT
    echo "loaded $EVENTS events in $((SECONDS - started)) s" >&2
}
size() { q -c "SELECT pg_size_pretty(sum(pg_total_relation_size(l))) FROM engage_internal.leaf_tables('engage.events') l"; }
count() { q -c "SELECT count(*) FROM engage.events"; }
# Retention of 30 days, applied as if two months had passed: this month ended before it.
AT="now() + interval '2 months'"
q_retention() { q -c "SELECT engage.set_retention('events', '30 days')" >/dev/null; }

say "1. by partition: one month of $EVENTS events dropped"
load
q_retention
before_size="$(size)"
drop_ms="$(q -c '\timing on' -c "SELECT * FROM engage.apply_retention($AT, $BATCH)" | ms)"
echo "engage.apply_retention: $drop_ms ms; $(count) events left; events table $before_size -> $(size)"

say "2. by DELETE: the same events, the month held by one queued event, deleted $BATCH at a time"
load queued
q_retention
calls=0
delete_ms=0
while :; do
    calls=$((calls + 1))
    out="$(q -c '\timing on' -c "SELECT removed, more FROM engage.apply_retention($AT, $BATCH) WHERE kind = 'events'")"
    delete_ms=$((delete_ms + $(ms <<<"$out")))
    grep -q '|t$' <<<"$out" || break
done
vacuum_ms="$(q -c '\timing on' -c "VACUUM engage.events" | ms)"
echo "engage.apply_retention: $calls calls, $delete_ms ms; VACUUM $vacuum_ms ms; $(count) events left; events table $before_size -> $(size)"

say "3. reference: one DELETE statement of the same events"
load
plain_ms="$(q -c '\timing on' -c "DELETE FROM engage.events WHERE registered_at < $AT - interval '30 days'" | ms)"
echo "DELETE: $plain_ms ms; $(count) events left"

printf '\n%-58s %12s\n' "removing $EVENTS old events" "ms"
printf '%-58s %12d\n' "drop the month (engage.apply_retention)" "$drop_ms" \
    "DELETE in batches of $BATCH (engage.apply_retention, $calls calls)" "$delete_ms" \
    "  + VACUUM to make the space reusable" "$vacuum_ms" \
    "one DELETE statement" "$plain_ms"
printf 'ratio DELETE in batches (with VACUUM) / drop: %.0fx\n' "$(echo "($delete_ms + $vacuum_ms) / ($drop_ms + 0.001)" | bc -l)"
