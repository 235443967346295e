#!/usr/bin/env bash
# Runs the pg_regress suite (tests/pg_regress/sql + expected) against the "regress" cluster with
# the installed extension. Debian's pg_regress is used because `cargo pgrx regress` runs initdb
# as root. Arguments name tests to run (default: all); exits non-zero on any difference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PG_REGRESS=/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress
cd "$ROOT/tests/pg_regress"
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=($(ls sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | sort))
cluster_start regress
dir="$(cluster_dir regress)"
out="$BUILD/regress"
# --use-existing leaves creating the database to us: a fresh one each run.
cluster_psql regress -d postgres -qc "DROP DATABASE IF EXISTS engage_regress" -c "CREATE DATABASE engage_regress"
mkdir -p "$out"
status=0
"$PG_REGRESS" --use-existing --host="$dir" --port="$(cat "$dir/port")" --user=postgres \
    --inputdir=. --outputdir="$out" --dbname=engage_regress "${tests[@]}" || status=$?
if [ $status -ne 0 ] && [ -f "$out/regression.diffs" ]; then
    cat "$out/regression.diffs"
fi
exit $status
