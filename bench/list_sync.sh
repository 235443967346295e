#!/usr/bin/env bash
# List-sync benchmark, on ROWS (default 1,000,000) rows of a customers table with seven columns:
#   - payloads: the subscribe bodies of every row (batches of 1,000, in email order) built the
#     way a run builds them (row_to_json, engage_internal.list_sync_row, the bodies joined), vs one
#     jsonb_agg statement producing the same JSON (checked equal, parsed, batch by batch);
#     target: within 1.5x;
#   - planning: a first run's planning (every row new: staged, compared, written pending), and an
#     incremental one after 1% of the rows changed, relative to the first;
#   - end to end: a first run from run_list_sync_now to its end, planning and delivery into the
#     local list API stand-in (tests/list_api), in rows per second.
# Each of the first two is the median of ROUNDS runs (default 3). Release build, own cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ROUNDS="${ROUNDS:-3}"
ROWS="${ROWS:-1000000}"
C=bench-listsync
DB=engage_bench_listsync
bench_cluster "$C" "max_wal_size = 16GB" "checkpoint_timeout = 30min" "shared_buffers = 1GB" \
    "engage.database = '$DB'" "engage.workflows_enabled = off"
q() { cluster_psql "$C" -d "$DB" -X -q -v ON_ERROR_STOP=1 "$@"; }
PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
cluster_start "$C" >/dev/null # the scheduler serves the new database from its start
trap stop_list_api EXIT
start_list_api bench-key
say "loading $ROWS customers"
q -v rows="$ROWS" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_engage CASCADE;
CREATE SCHEMA bench;
CREATE TABLE bench.customers (email text, first_name text, last_name text, city text, visits int, vip boolean,
                              signed_up timestamptz);
INSERT INTO bench.customers
SELECT format('customer%s@example.com', i), 'First ' || i, 'Last ' || (i % 1000), (ARRAY['Kyiv', 'Lviv', 'Odesa'])[1 + i % 3],
       i % 50, i % 10 = 0, timestamptz '2026-01-01 00:00Z' + make_interval(mins => i)
FROM generate_series(1, :rows) i;
VACUUM ANALYZE bench.customers;
-- The bodies both ways, batch by batch.
CREATE VIEW bench.engine_bodies AS
SELECT c.batch, '{"listId":42,"subscribers":[' || string_agg(s.subscriber, ',' ORDER BY c.email)
                || '],"updateExistingUsersOnly":false}' AS body
FROM (SELECT (row_number() OVER (ORDER BY r.email) - 1) / 1000 AS batch, r.email, row_to_json(r)::text AS j
      FROM (SELECT email, first_name, last_name, city, visits, vip, signed_up FROM bench.customers) r) c,
     LATERAL engage_internal.list_sync_row(c.j, 'add', NULL) s
GROUP BY c.batch;
CREATE VIEW bench.jsonb_agg_bodies AS
SELECT c.batch, jsonb_build_object('listId', 42, 'subscribers', jsonb_agg(jsonb_build_object('email', c.email,
           'dataFields', jsonb_build_object('first_name', c.first_name, 'last_name', c.last_name, 'city', c.city,
                                            'visits', c.visits, 'vip', c.vip, 'signed_up', c.signed_up)) ORDER BY c.email),
           'updateExistingUsersOnly', false) AS body
FROM (SELECT (row_number() OVER (ORDER BY email) - 1) / 1000 AS batch, * FROM bench.customers) c
GROUP BY c.batch;
SQL
check_equal="$(q -At -c "SELECT count(*) FROM bench.engine_bodies e FULL JOIN bench.jsonb_agg_bodies b USING (batch)
                         WHERE e.body::jsonb IS DISTINCT FROM b.body")"
[ "$check_equal" = 0 ] || { echo "the two ways build different bodies in $check_equal batches" >&2; exit 1; }
echo "the bodies are equal, batch by batch"

med() { echo "$1" | tr ' ' '\n' | grep . | median; }
elapsed_ms() { local t0; t0="$(date +%s%N)"; "$@" >/dev/null; echo $((($(date +%s%N) - t0) / 1000000)); }
# plan: runs the planning step of a run of the sync by hand (what the run's worker does first).
plan() {
    q -c "INSERT INTO engage.job_runs (job_id, job_name, owner, started_by, status)
          SELECT job_id, name, owner, 'manual', 'running' FROM engage.scheduled_jobs WHERE name = 'list sync bench'
          RETURNING run_id" -At -c "SELECT status FROM engage_internal.execute_run(currval('engage.job_runs_run_id_seq'))" \
          -c "UPDATE engage.job_runs SET status = 'succeeded', finished_at = now() WHERE status = 'running'"
}
declare -A T
say "payloads: $ROWS rows into bodies of 1,000, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
    T[engine]+=" $(elapsed_ms q -c "SELECT count(*), sum(length(body)) FROM bench.engine_bodies")"
    T[jsonb_agg]+=" $(elapsed_ms q -c "SELECT count(*), sum(length(body::text)) FROM bench.jsonb_agg_bodies")"
done
q -c "SELECT FROM engage.create_list_sync('bench', 'SELECT email, first_name, last_name, city, visits, vip, signed_up
                                                   FROM bench.customers', 'add', 42, api_key => 'bench-key')" >/dev/null
say "planning: a first run of $ROWS new rows, then 1% changed, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
    q -c "DELETE FROM engage.list_sync_rows" -c "VACUUM ANALYZE engage.list_sync_rows" -c CHECKPOINT >/dev/null
    T[first]+=" $(elapsed_ms plan)"
    q -c "UPDATE engage.list_sync_rows SET state = 'delivered', subscriber = NULL" \
        -c "UPDATE bench.customers SET visits = visits + 1 WHERE random() < 0.01" -c "VACUUM ANALYZE" >/dev/null
    T[incremental]+=" $(elapsed_ms plan)"
done

say "end to end: a first run of $ROWS rows into the local list API"
q -c "DELETE FROM engage.list_sync_rows" -c "VACUUM ANALYZE engage.list_sync_rows" \
    -c "SELECT FROM engage.alter_list_sync('bench', api_url => '$LIST_API_URL')" >/dev/null
# The stand-in keeps every request and member in memory; for a million rows that is gigabytes,
# so it is told to forget them every second while the run works.
(while sleep 1; do list_api POST /control/reset >/dev/null 2>&1 || true; done) &
forget=$!
t0="$(date +%s%N)"
q -c "SELECT FROM engage.run_list_sync_now('bench')" >/dev/null
outcome="$(q -At -c "SELECT concat_ws('|', status, rows_sent, rows_succeeded) FROM engage.wait_for_list_sync('bench', '30 minutes')")"
end_to_end=$((($(date +%s%N) - t0) / 1000000))
kill "$forget"
[ "$outcome" = "succeeded|$ROWS|$ROWS" ] || { echo "the run ended $outcome" >&2; exit 1; }
planned_ms="$(q -At -c "SELECT round(extract(epoch FROM planned_at - r.started_at) * 1000) FROM engage.list_sync_run_counts c
                        JOIN engage.job_runs r USING (run_id) ORDER BY run_id DESC LIMIT 1")"

engine="$(med "${T[engine]}")"; base="$(med "${T[jsonb_agg]}")"
first="$(med "${T[first]}")"; incremental="$(med "${T[incremental]}")"
say "results ($ROWS rows, median of $ROUNDS)"
printf '%-52s %9s %9s %7s\n' measurement ms baseline ratio
printf '%-52s %9s %9s %7s\n' "payloads (list_sync_row) vs one jsonb_agg statement" "$engine" "$base" \
    "$(awk -v a="$engine" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
printf '%-52s %9s %9s %7s\n' "planning, first run (every row new)" "$first" "" ""
printf '%-52s %9s %9s %7s\n' "planning, 1% changed, vs the first run" "$incremental" "$first" \
    "$(awk -v a="$incremental" -v b="$first" 'BEGIN { printf "%.3f", a / b }')"
printf '%-52s %9s %9s %7s\n' "end to end: planning $planned_ms ms, rows per second" "$end_to_end" "" \
    "$(awk -v r="$ROWS" -v ms="$end_to_end" 'BEGIN { printf "%.0f", r * 1000 / ms }')"
