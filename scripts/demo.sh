#!/usr/bin/env bash
# The main job (README): installs what is missing, builds and installs pg_engage into the system
# PostgreSQL 15, starts the local "demo" cluster with the extension preloaded, loads a small demo
# data set into a fresh database and runs the demo end to end, printing each step.
# Run it again at any time: it rebuilds, restarts the cluster and starts from a fresh database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
mkdir -p "$BUILD"
ensure_deps
install_extension --release
cluster_start demo
# pg_engage serves the demo database and a second shop's (engage.databases, read on reload).
if [ "$(cluster_psql demo -d postgres -XAtc "SHOW engage.databases")" != "engage_demo, engage_demo_branch" ]; then
    cluster_psql demo -d postgres -Xq -c "ALTER SYSTEM SET engage.databases = 'engage_demo, engage_demo_branch'" \
        -c "SELECT pg_reload_conf()"
fi
PGOPTIONS="-c client_min_messages=warning" cluster_psql demo -d postgres -qc \
    "DROP DATABASE IF EXISTS engage_demo WITH (FORCE)" -c "CREATE DATABASE engage_demo" \
    -c "DROP DATABASE IF EXISTS engage_demo_branch WITH (FORCE)" -c "CREATE DATABASE engage_demo_branch"
cluster_psql demo -d engage_demo_branch -Xqc "CREATE EXTENSION pg_engage CASCADE"
# Dropping the databases stopped their schedulers and workflow workers; the launcher starts them
# again within seconds.
for _ in $(seq 30); do
    [ "$(cluster_psql demo -d postgres -XAtc "SELECT count(*) FROM pg_stat_activity
        WHERE backend_type IN ('pg_engage scheduler', 'pg_engage workflows')
          AND datname IN ('engage_demo', 'engage_demo_branch')")" = 4 ] && break
    sleep 0.5
done
# The list API the demo's list sync posts to: a local stand-in for Iterable's (tests/list_api),
# told to reject one address as invalid data.
trap stop_list_api EXIT
start_list_api demo-api-key
list_api POST /control/reject '{"invalidDataEmails": ["olena@example.com"]}' >/dev/null
# Errors the demo shows on purpose go to stderr; merged so they print where they happen.
cluster_psql demo -d engage_demo -X -q -v ON_ERROR_STOP=1 -v list_api_url="$LIST_API_URL" -f "$ROOT/demo/demo.sql" 2>&1

say "done: the cluster keeps running; scripts/cluster.sh psql opens the demo database, scripts/cluster.sh stop stops it"
