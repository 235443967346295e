#!/usr/bin/env bash
# Data export benchmark: CONTACTS (default 1,000,000) contacts, ACTIVITIES (10,000,000) activities
# and ORDERS (1,000,000) orders with two items each; the datasets contacts, contactActivities,
# orders and orderItems. Each measurement against its baseline in the same run on the same
# cluster:
#   - the first export into a schema of this database (engage.run_export_now: tables created,
#     activities copied in batches with progress, watermarks written) vs one INSERT … SELECT per
#     dataset of the same rows (the dataset's row function, which the planner inlines into a
#     plain SELECT over the engage tables) into tables made with the same definitions;
#   - incremental runs, each after another 1% of the contacts and of the orders changed (a new
#     name, a new status), against the first export (median of ROUNDS);
#   - the first export into another database of the cluster through postgres_fdw over TCP vs the
#     same INSERT … SELECTs through foreign tables with batch_size 1000 (what the export uses).
# The first local export and the incremental run are medians of ROUNDS (default 3), the remote
# export one run (the data takes minutes to load; LOAD=0 keeps the last run's). Release build,
# own cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
CONTACTS="${CONTACTS:-1000000}"
ACTIVITIES="${ACTIVITIES:-10000000}"
ORDERS="${ORDERS:-1000000}"
ROUNDS="${ROUNDS:-3}"
C=bench-exports
DB=engage_bench_exports
REMOTE=engage_bench_exports_dwh
DATASETS="ARRAY['contactActivities', 'contacts', 'orderItems', 'orders']"
bench_cluster "$C" "max_wal_size = 16GB" "checkpoint_timeout = 30min" "shared_buffers = 1GB"
q() { cluster_psql "$C" -d "$DB" -X -q -v ON_ERROR_STOP=1 "$@"; }
remote() { cluster_psql "$C" -d "$REMOTE" -X -q -v ON_ERROR_STOP=1 "$@"; }
port="$(cat "$(cluster_dir "$C")/port")"
PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q \
    -c "DROP DATABASE IF EXISTS $REMOTE WITH (FORCE)" -c "CREATE DATABASE $REMOTE" \
    -c "DROP ROLE IF EXISTS bench_dwh" -c "CREATE ROLE bench_dwh LOGIN PASSWORD 'bench-dwh'"
remote -c "CREATE SCHEMA dwh AUTHORIZATION bench_dwh" -c "CREATE SCHEMA plain AUTHORIZATION bench_dwh"
if [ "${LOAD:-1}" = 0 ]; then
    # LOAD=0: the data of the last run is kept; its exports and targets go.
    q -c "SET client_min_messages = warning" -c "SELECT engage.drop_export(name) FROM engage.data_exports" \
      -c "SELECT engage.drop_connector(name) FROM engage.connectors" \
      -c "DROP SCHEMA IF EXISTS plain, warehouse, plain_remote CASCADE" >/dev/null
else
    PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q \
        -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
    say "loading $CONTACTS contacts, $ACTIVITIES activities, $ORDERS orders with 2 items"
    started=$SECONDS
    q -v contacts="$CONTACTS" -v activities="$ACTIVITIES" -v orders="$ORDERS" -f "$ROOT/bench/exports_setup.sql" >/dev/null
    q -c "VACUUM ANALYZE" >/dev/null
    echo "loaded in $((SECONDS - started)) s"
fi
ms() { timing_ms | awk '{s += $1} END {printf "%d\n", s}'; }
# plain_copy TARGET_SCHEMA: one INSERT … SELECT per dataset, timed, into empty tables there.
plain_copy() {
    q -At -c "SELECT format('INSERT INTO %I.%I SELECT * FROM engage.%I(%s);', '$1', d.table_name,
                            'export_rows_' || d.table_name,
                            CASE WHEN d.key_column IS NULL
                                 THEN (SELECT format('NULL, NULL, NULL, NULL, %1\$L::%2\$s, %3\$L::%2\$s', k.key_from, k.key_type, k.key_to)
                                       FROM engage_internal.partition_key_span(d.source) k)
                                 ELSE 'NULL' END)
              FROM engage.export_datasets d WHERE d.dataset = ANY ($DATASETS)" >"$BUILD/exports-plain.sql"
    q -c '\timing on' -f "$BUILD/exports-plain.sql" | ms
}
# Tables made with the datasets' definitions (engage_internal.export_table_ddl) in schema $1, run by $2.
make_tables() {
    q -At -c "SELECT engage_internal.export_table_ddl('$1', d) || ';' FROM unnest($DATASETS) d" | $2 >/dev/null
}

say "first export into this database ($ROUNDS rounds)"
q -c "SELECT engage.create_connector('here')" >/dev/null
plain_times=""
ours_times=""
for round in $(seq "$ROUNDS"); do
    q -c "SET client_min_messages = warning" -c "SELECT engage.drop_export(name) FROM engage.data_exports" \
      -c "DROP SCHEMA IF EXISTS plain, warehouse CASCADE" -c "CREATE SCHEMA plain" -c "CREATE SCHEMA warehouse" >/dev/null
    make_tables plain q
    q -c "CHECKPOINT" >/dev/null
    plain_local="$(plain_copy plain)"
    q -c "SELECT engage.create_export('local', 'here', $DATASETS, schema => 'warehouse')" -c CHECKPOINT >/dev/null
    ours_local="$(q -c '\timing on' -c "SELECT status FROM engage.run_export_now('local')" | ms)"
    echo "round $round: export $ours_local ms; INSERT … SELECT $plain_local ms"
    plain_times+="$plain_local "
    ours_times+="$ours_local "
done
med() { echo "$1" | tr ' ' '\n' | grep . | median; }
plain_local="$(med "$plain_times")"
ours_local="$(med "$ours_times")"
q -At -c "SELECT dataset || ': ' || rows_inserted || ' rows in ' || round(extract(epoch FROM finished_at - started_at) * 1000)
          || ' ms' FROM engage.export_dataset_runs ORDER BY dataset"

say "incremental runs, each after another 1% of the contacts and orders changed ($ROUNDS rounds)"
incremental_times=""
for round in $(seq "$ROUNDS"); do
    q -c "UPDATE engage.contacts SET first_name = 'Changed $round' WHERE contact_id % 100 = $round" \
      -c "UPDATE engage.orders SET status = 'DELIVERED', updated_at = now() WHERE order_id % 100 = $round" -c CHECKPOINT >/dev/null
    ours_incremental="$(q -c '\timing on' -c "SELECT status FROM engage.run_export_now('local')" | ms)"
    echo "round $round: $ours_incremental ms ($(q -At -c "SELECT string_agg(dataset || ' ' || rows_updated || ' updated in '
        || round(extract(epoch FROM finished_at - started_at) * 1000) || ' ms', ', ' ORDER BY dataset)
        FROM engage.export_dataset_runs WHERE run_id = (SELECT max(run_id) FROM engage.export_dataset_runs)"))"
    incremental_times+="$ours_incremental "
done
ours_incremental="$(med "$incremental_times")"
q -c "SET client_min_messages = warning" -c "DROP SCHEMA plain, warehouse CASCADE" >/dev/null

say "first export into another database through postgres_fdw"
q >/dev/null <<SQL
SET client_min_messages = error;
SELECT engage.create_connector('dwh', host => 'localhost', port => $port, database => '$REMOTE',
                               username => 'bench_dwh', password => 'bench-dwh', ssl_mode => 'disable');
SELECT engage.create_export('remote', 'dwh', $DATASETS, schema => 'dwh');
CREATE SCHEMA plain_remote;
SQL
make_tables plain remote
remote -c "GRANT ALL ON ALL TABLES IN SCHEMA plain TO bench_dwh" >/dev/null
q -c "IMPORT FOREIGN SCHEMA plain FROM SERVER $(q -At -c "SELECT server_name FROM engage.connectors WHERE name = 'dwh'") INTO plain_remote" >/dev/null
for t in $(q -At -c "SELECT table_name FROM engage.export_datasets WHERE dataset = ANY ($DATASETS)"); do
    q -c "ALTER FOREIGN TABLE plain_remote.$t OPTIONS (ADD batch_size '1000')" >/dev/null
done
q -c CHECKPOINT >/dev/null
remote -c CHECKPOINT >/dev/null
plain_remote="$(plain_copy plain_remote)"
q -c CHECKPOINT >/dev/null
remote -c CHECKPOINT >/dev/null
ours_remote="$(q -c '\timing on' -c "SELECT status FROM engage.run_export_now('remote')" | ms)"
echo "export: $ours_remote ms; INSERT … SELECT through foreign tables: $plain_remote ms"

say "results"
ratio() { echo "scale=3; $1 / $2" | bc -l; }
printf '| measurement | pg_engage | baseline | ratio | target |\n| --- | --- | --- | --- | --- |\n'
printf '| first export, local schema (median of %s) | %s ms | %s ms (INSERT … SELECT) | %s | ≤ 1.3 |\n' "$ROUNDS" \
    "$ours_local" "$plain_local" "$(ratio "$ours_local" "$plain_local")"
printf '| incremental after 1%% changed (median of %s) | %s ms | %s ms (first export) | %s | < 0.05 |\n' "$ROUNDS" \
    "$ours_incremental" "$ours_local" "$(ratio "$ours_incremental" "$ours_local")"
printf '| first export, remote (postgres_fdw) | %s ms | %s ms (INSERT … SELECT, batch_size 1000) | %s | ≤ 1.5 |\n' \
    "$ours_remote" "$plain_remote" "$(ratio "$ours_remote" "$plain_remote")"
