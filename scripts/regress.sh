#!/usr/bin/env bash
# Runs the pg_regress suite (tests/pg_regress/sql + expected) against the "regress" cluster with
# the installed extension. Debian's pg_regress is used because `cargo pgrx regress` runs initdb
# as root. Arguments name tests to run (default: all); exits non-zero on any difference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_regress_tool regress/pg_regress pg_regress sql sql engage_regress "$@"
