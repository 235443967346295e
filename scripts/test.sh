#!/usr/bin/env bash
# The test command (README): installs what is missing, then runs the unit tests of the pure
# crates, the #[pg_test] tests in a Postgres started by pgrx, and the pg_regress suite against a
# local cluster. Exits non-zero on the first failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
mkdir -p "$BUILD"
ensure_deps
# The reference Velocity 1.7 for the template engine's differential suite (about a minute to
# install on a fresh machine).
ensure_velocity

say "unit tests of the pure crates (with the template engine's conformance and differential suites)"
cargo test --workspace --exclude pg_engage

say "the SQL files load in an order with no cycle"
python3 "$ROOT/tests/sql_order.py" "$ROOT"

say "#[pg_test] tests (cargo pgrx test)"
unlink_installed_library
cargo pgrx test pg15 --runas postgres --pgdata "$(cluster_dir pgrx-test)"


# pgrx test installed a build with the test schema; the regression suite needs the plain one.
install_extension
say "pg_regress suite"
status=0
"$ROOT/scripts/regress.sh" || status=$?
if [ $status -eq 0 ]; then
    say "isolation specs (concurrent sessions step by step)"
    "$ROOT/scripts/isolation.sh" || status=$?
fi
cluster_stop regress
if [ $status -eq 0 ]; then
    say "scheduler in a real cluster (waits for minute boundaries)"
    "$ROOT/tests/scheduler.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "workflows in a real cluster (concurrent launches, the worker, a SIGKILL mid-batch)"
    "$ROOT/tests/workflows.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "exports in a real cluster (to another database over TCP; a SIGKILL and a lost target mid-run)"
    "$ROOT/tests/exports.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "list syncs in a real cluster (to a local list API: batches, retries, failures, a SIGKILL mid-run)"
    "$ROOT/tests/list_sync.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "several databases served by one server (the launcher starts and stops their workers)"
    "$ROOT/tests/databases.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "the reference in docs/ against the catalog"
    "$ROOT/tests/docs.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "updating from the previous release (built from its commit) with ALTER EXTENSION pg_engage UPDATE"
    "$ROOT/tests/upgrade.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "hardening on a throwaway cluster (hostile inputs, absurd templates, cancels, a failing worker)"
    "$ROOT/tests/hardening.sh" || status=$?
fi
if [ $status -eq 0 ]; then
    say "pg_engage beside Citus (a coordinator and two workers; the whole pg_regress suite on the coordinator)"
    "$ROOT/tests/citus.sh" || status=$?
fi
[ $status -eq 0 ] && say "all tests passed"
exit $status
