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
PGOPTIONS="-c client_min_messages=warning" cluster_psql demo -d postgres -qc "DROP DATABASE IF EXISTS engage_demo" \
    -c "CREATE DATABASE engage_demo"
# Errors the demo shows on purpose go to stderr; merged so they print where they happen.
cluster_psql demo -d engage_demo -X -q -v ON_ERROR_STOP=1 -f "$ROOT/demo/demo.sql" 2>&1

say "done: the cluster keeps running; scripts/cluster.sh psql opens the demo database, scripts/cluster.sh stop stops it"
