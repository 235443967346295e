#!/usr/bin/env bash
# Reach a local cluster of this checkout: cluster.sh start|stop|psql|status [NAME] [psql args]
# NAME defaults to "demo" (the main job's cluster); the tests use "regress".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cmd="${1:-status}"
name="${2:-demo}"
case "$cmd" in
    start) cluster_start "$name" ;;
    stop) cluster_stop "$name"; echo "cluster $name stopped" ;;
    psql) shift 2 || shift $#; cluster_psql "$name" -d "${PGDATABASE:-engage_demo}" "$@" ;;
    status) dir="$(cluster_dir "$name")"; as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" status || true ;;
    *) echo "usage: $0 start|stop|psql|status [NAME]" >&2; exit 2 ;;
esac
