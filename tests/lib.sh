# Shared by the tests that run a real cluster (tests/scheduler.sh, tests/workflows.sh,
# tests/exports.sh). Set C (the cluster's name) and DB (the database) before sourcing this file.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
dir="$(cluster_dir "$C")"
# psql on the test database: unaligned, tuples only, stopping at the first error.
q() { cluster_psql "$C" -d "$DB" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
check() { # check DESCRIPTION EXPECTED ACTUAL: prints ok with the seconds so far, or fails the test
    if [ "$2" != "$3" ]; then
        echo "FAILED: $1: expected '$2', got '$3'" >&2
        tail -20 "$dir/server.log" >&2
        exit 1
    fi
    echo "ok: $1 (${SECONDS}s)"
}
wait_for() { # wait_for SQL SECONDS: polls a boolean ten times a second; errors count as false
    local sql="$1" tenths=$(($2 * 10))
    for _ in $(seq "$tenths"); do
        [ "$(q -c "$sql" 2>/dev/null)" = t ] && return 0
        sleep 0.1
    done
    return 1
}
