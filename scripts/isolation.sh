#!/usr/bin/env bash
# Runs the isolation specs in tests/isolation (concurrent sessions, step by step, with Debian's
# pg_isolation_regress) against the local "regress" cluster with the installed extension.
# Arguments name specs to run (default: all); exits non-zero on any difference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PG_ISOLATION_REGRESS=/usr/lib/postgresql/15/lib/pgxs/src/test/isolation/pg_isolation_regress
cd "$ROOT/tests/isolation"
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=($(ls specs/*.spec | xargs -n1 basename | sed 's/\.spec$//' | sort))
cluster_start regress
dir="$(cluster_dir regress)"
out="$BUILD/isolation"
cluster_psql regress -d postgres -qc "DROP DATABASE IF EXISTS engage_isolation" -c "CREATE DATABASE engage_isolation"
mkdir -p "$out"
status=0
"$PG_ISOLATION_REGRESS" --use-existing --host="$dir" --port="$(cat "$dir/port")" --user=postgres \
    --inputdir=. --outputdir="$out" --dbname=engage_isolation "${specs[@]}" || status=$?
if [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
    cat "$out/regression.diffs"
fi
exit $status
