#!/usr/bin/env bash
# Segment benchmark: CONTACTS contacts (default 1,000,000), EVENTS events (default 10,000,000) and a
# CONTACTS-row data source (bench/segments_setup.sql), then for five segments
#   - a hand-written statement computing the same set (the baseline: SELECT count(*) of it),
#   - the first refresh_segment (every member written, with its 'entered' change),
#   - a refresh with nothing changed (compute and compare),
#   - a refresh after 1% of contacts changed,
# each the median of ROUNDS (default 3). Checks first that each segment has exactly the
# baseline's members.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
CONTACTS="${CONTACTS:-1000000}"
EVENTS="${EVENTS:-10000000}"
ROUNDS="${ROUNDS:-3}"
mkdir -p "$BUILD"
ensure_deps
install_extension --release
cluster_start bench
db=engage_bench_segments
q() { cluster_psql bench -d "$db" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# REUSE=1 keeps the data of the last run (its segments are dropped); the extension's library is
# updated, its SQL objects are not.
if [ "${REUSE:-0}" = 1 ] && cluster_psql bench -d "$db" -XAtc "SELECT 1" >/dev/null 2>&1; then
    say "reusing the data of the last run"
    q -c "DELETE FROM engage.segments WHERE kind = 'dynamic'" >/dev/null
else
    PGOPTIONS="-c client_min_messages=warning" cluster_psql bench -d postgres -qc "DROP DATABASE IF EXISTS $db" \
        -c "CREATE DATABASE $db"
    say "generating $CONTACTS contacts, $EVENTS events, a $CONTACTS-row data source"
    start=$(date +%s)
    q -v contacts="$CONTACTS" -v events="$EVENTS" -f "$ROOT/bench/segments_setup.sql" >/dev/null
    echo "generated in $(( $(date +%s) - start )) s"
fi
source_id="$(q -c "SELECT source_id FROM engage.data_sources WHERE name = 'loyalty'")"
cart="$(q -c "SELECT event_type_id FROM engage.event_types WHERE key = 'cartAbandoned'")"
# The instant every segment and baseline is evaluated at.
at="$(q -c "SELECT now()")"

names=(birthday plan_email cart_3x_30d loyalty_gold nested)
rules=(
    '{"field": 30001, "op": "anniversary_is_today"}'
    '{"and": [{"field": 30002, "op": "equals", "value": "pro"}, {"channel": "email"}]}'
    '{"event": "cartAbandoned", "times": {"op": "at_least", "value": 3}, "within_days": 30}'
    "{\"source\": $source_id, \"where\": [{\"column\": \"tier\", \"op\": \"equals\", \"value\": \"gold\"}]}"
    "{\"and\": [{\"or\": [{\"field\": 30002, \"op\": \"equals\", \"value\": \"pro\"}, {\"source\": $source_id, \"where\": [{\"column\": \"tier\", \"op\": \"equals\", \"value\": \"gold\"}]}]}, {\"not\": {\"event\": \"cartAbandoned\", \"times\": {\"op\": \"at_least\", \"value\": 3}, \"within_days\": 30}}, {\"channel\": \"email\"}]}"
)
today="(('$at'::timestamptz) AT TIME ZONE coalesce(c.time_zone, 'UTC'))::date"
birthday="SELECT f.contact_id FROM engage.contact_fields f JOIN engage.contacts c USING (contact_id)
    WHERE f.field_id = 30001 AND (to_char(f.value_date, 'MM-DD') = to_char($today, 'MM-DD')
      OR (to_char(f.value_date, 'MM-DD') = '02-29' AND to_char($today, 'MM-DD') = '02-28'
          AND extract(doy FROM date_trunc('year', $today) + interval '1 year' - interval '1 day') = 365))"
pro="SELECT contact_id FROM engage.contact_fields WHERE field_id = 30002 AND value = 'pro'"
email="SELECT contact_id FROM engage.channels WHERE type = 'email' AND status = 'active'"
cart3="SELECT contact_id FROM engage.events WHERE event_type_id = $cart AND contact_id IS NOT NULL
    AND registered_at > '$at'::timestamptz - interval '30 days' AND registered_at <= '$at'
    GROUP BY contact_id HAVING count(*) >= 3"
gold="SELECT ch.contact_id FROM engage.channels ch WHERE ch.type = 'email'
    AND EXISTS (SELECT FROM loyalty l WHERE l.email = ch.value AND l.tier = 'gold')"
baselines=(
    "$birthday"
    "$pro INTERSECT $email"
    "$cart3"
    "$gold"
    "(($pro UNION $gold) EXCEPT $cart3) INTERSECT SELECT contact_id FROM engage.channels WHERE type = 'email' AND status = 'active'"
)
timed() { printf '\\timing on\n%s;\n' "$1" | q | timing_ms | tail -1; }
med() { for _ in $(seq "$ROUNDS"); do timed "$1"; done | median; }

say "results (median of $ROUNDS; ms)"
printf '%-14s %9s %9s %13s %9s %9s %9s %12s\n' segment members baseline first_refresh unchanged ratio 1%_change 1%/first
for i in "${!names[@]}"; do
    name="${names[$i]}"
    q -c "SELECT engage.create_segment('$name', '${rules[$i]}')" >/dev/null
    members="$(q -c "SELECT count(*) FROM (${baselines[$i]}) s")"
    first="$(timed "SELECT * FROM engage.refresh_segment('$name', '$at')")"
    same="$(q -c "SELECT count(*) FROM ((${baselines[$i]}) EXCEPT SELECT contact_id FROM engage.segment_contacts('$name')) d")/$(q -c "SELECT count(*) FROM engage.segment_contacts('$name')")"
    [ "$same" = "0/$members" ] || { echo "$name: the segment differs from its baseline ($same vs $members)" >&2; exit 1; }
    base="$(med "SELECT count(*) FROM (${baselines[$i]}) s")"
    unchanged="$(med "SELECT * FROM engage.refresh_segment('$name', '$at')")"
    # 1% of contacts change their plan and lose or gain an active email.
    q -c "UPDATE engage.contact_fields SET value = CASE value WHEN 'pro' THEN 'free' ELSE 'pro' END
          WHERE field_id = 30002 AND contact_id % 100 = $i" \
      -c "UPDATE engage.channels SET status = CASE status WHEN 'active' THEN 'inactive' ELSE 'active' END
          WHERE type = 'email' AND contact_id % 100 = $i" >/dev/null
    changed="$(timed "SELECT * FROM engage.refresh_segment('$name', '$at')")"
    printf '%-14s %9s %9.0f %13.0f %9.0f %8.2fx %9.0f %11.2fx\n' "$name" "$members" "$base" "$first" "$unchanged" \
        "$(echo "$unchanged / $base" | bc -l)" "$changed" "$(echo "$changed / $first" | bc -l)"
done
