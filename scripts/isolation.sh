#!/usr/bin/env bash
# Runs the isolation specs in tests/isolation (concurrent sessions, step by step, with Debian's
# pg_isolation_regress) against the local "regress" cluster with the installed extension.
# Arguments name specs to run (default: all); exits non-zero on any difference.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_regress_tool isolation/pg_isolation_regress isolation specs spec engage_isolation "$@"
