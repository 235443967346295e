#!/usr/bin/env bash
# Send path benchmark, each measurement against its baseline in the same run on the same cluster:
#   - send_broadcast to N members (default 1,000,000) of a static group: spec 000's promo-code
#     message rendered with each member's $contact and $data (a data source of 1.5 N rows),
#     suppression applied; vs one INSERT … SELECT that renders the same message per contact with
#     engage.render into an outbox table with the same columns and keys (the bodies are checked
#     equal);
#   - claim_sends of 10 sends (one transaction) then report_delivery of each (another) by 4
#     concurrent transports (pgbench clients), vs pgmq's read of 10 messages (SKIP LOCKED, made
#     invisible) then delete (another transaction) on a queue table like pgmq's.
# Each measurement is the median of ROUNDS runs (default 3). Release build, own cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ROUNDS="${ROUNDS:-3}"
N="${N:-1000000}"
CLAIMS="${CLAIMS:-5000}" # transactions per transport
C=bench-sends
DB=engage_bench_sends
bench_cluster "$C" "max_wal_size = 16GB" "checkpoint_timeout = 30min" "shared_buffers = 1GB"
dir="$(cluster_dir "$C")"
port="$(cat "$dir/port")"
q() { cluster_psql "$C" -d "$DB" -X -q -v ON_ERROR_STOP=1 "$@"; }
PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
say "loading benchmark data ($N contacts)"
q -v n="$N" -f "$ROOT/bench/sends_setup.sql" >/dev/null
q -c "VACUUM ANALYZE" >/dev/null

declare -A T
for round in $(seq "$ROUNDS"); do
    q -c "SET client_min_messages = warning" -c "TRUNCATE engage.sends, engage.broadcasts, bench.outbox" \
        -c "VACUUM ANALYZE engage.sends" -c CHECKPOINT >/dev/null
    ours="$(q -c '\timing on' -c "SELECT queued FROM engage.send_broadcast(1, ARRAY[(SELECT segment_id FROM engage.segments WHERE name = 'Everyone')], 'bench')" | timing_ms)"
    q -c CHECKPOINT >/dev/null
    plain="$(q -c '\timing on' -c "CALL bench.plain_broadcast()" | timing_ms)"
    differ="$(q -At -c "SELECT count(*) FROM engage.sends s JOIN bench.outbox o USING (contact_id)
                        WHERE s.body IS DISTINCT FROM o.body OR s.subject IS DISTINCT FROM o.subject")"
    queued="$(q -At -c "SELECT count(*) FROM engage.sends WHERE status = 'QUEUED'")"
    [ "$differ" = 0 ] && [ "$queued" = "$N" ] || { echo "round $round: $queued queued, $differ bodies differ" >&2; exit 1; }
    T[broadcast]+="$ours "; T[plain]+="$plain "
    echo "round $round: send_broadcast $ours ms; INSERT … SELECT with engage.render $plain ms"
done

say "transports: claim 10 sends, then report them, 4 transports at once"
pgbench_tps() { # pgbench_tps SCRIPT: loops (claim and report) per second, 4 clients
    "$PG_BIN/pgbench" -h "$dir" -p "$port" -U postgres -n -M prepared -c 4 -j 2 -t "$CLAIMS" -f "$1" "$DB" \
        | awk '/^tps/ {print int($3)}'
}
for round in $(seq "$ROUNDS"); do
    q -c "UPDATE engage.sends SET status = 'QUEUED', lease_until = NULL WHERE status <> 'QUEUED'" \
        -c "TRUNCATE engage.contact_activities" -c "TRUNCATE bench.queue" \
        -c "INSERT INTO bench.queue (message) SELECT jsonb_build_object('to', locator, 'subject', subject, 'body', body)
            FROM engage.sends ORDER BY send_id LIMIT 4 * 10 * $CLAIMS" -c "VACUUM ANALYZE" -c CHECKPOINT >/dev/null
    ours="$(pgbench_tps "$ROOT/bench/sends_transport.pgbench")"
    plain="$(pgbench_tps "$ROOT/bench/sends_queue.pgbench")"
    T[transport]+="$((ours * 10)) "; T[queue]+="$((plain * 10)) "
    echo "round $round: claim_sends then report_delivery $((ours * 10)) sends/s; pgmq-like read then delete $((plain * 10)) messages/s"
done

med() { echo "$1" | tr ' ' '\n' | grep . | median; }
b="$(med "${T[broadcast]}")"; p="$(med "${T[plain]}")"; t="$(med "${T[transport]}")"; u="$(med "${T[queue]}")"
say "results (median of $ROUNDS rounds)"
printf '| measurement | pg_engage | baseline | ratio |\n| --- | --- | --- | --- |\n'
printf '| send_broadcast, %s members ($data from a source) | %.0f ms (%.0f sends/s) | %.0f ms | %.2f× |\n' \
    "$N" "$b" "$(echo "$N * 1000 / $b" | bc -l)" "$p" "$(echo "$b / $p" | bc -l)"
printf '| claim 10 then report them, 4 transports | %s sends/s | %s messages/s (pgmq-like) | %.2f× slower |\n' \
    "$t" "$u" "$(echo "$u / $t" | bc -l)"
