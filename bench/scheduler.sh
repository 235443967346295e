#!/usr/bin/env bash
# Scheduler benchmarks:
#   1. next fire time of 10,000 varied schedules (bench/cron/schedules.py, parse included) by
#      engage-cron and by croniter (Debian's python3-croniter) on the same schedules, after
#      checking that both give the same times (rule 'either', UTC; see compare.py);
#   2. the scheduler's overhead with 10,000 scheduled jobs in a local cluster: finding the next
#      due time (what the launcher sleeps on) and claiming due runs when none and when 100 are due.
# SCHEDULES (default 10000) and ROUNDS (default 5; medians) change the sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
N="${SCHEDULES:-10000}"
ROUNDS="${ROUNDS:-5}"
START=2026-05-17T10:23:00Z
mkdir -p "$BUILD/bench-cron"
out="$BUILD/bench-cron"
ensure_deps
ensure_packages python3-croniter
py=/usr/bin/python3 # Debian's, which has croniter

say "1. next fire time of $N schedules: engage-cron vs croniter"
"$py" "$ROOT/bench/cron/schedules.py" "$N" >"$out/schedules.txt"
cargo build -q --release -p engage-cron --example next_fires
ours() { "$ROOT/target/release/examples/next_fires" "$out/schedules.txt" "$START" "$1" "$2" "$ROUNDS" 2>&1 >"$out/$3"; }
us() { sed -n 's/.*us_per_schedule=\([0-9.]*\).*/\1/p' <<<"$1"; }
either="$(us "$(ours UTC either ours.txt)")"
kyiv="$(us "$(ours Europe/Kyiv more_often ours-kyiv.txt)")"
theirs="$(us "$("$py" "$ROOT/bench/cron/croniter_next.py" "$out/schedules.txt" "$START" 1 2>&1 >"$out/croniter.txt")")"
"$py" "$ROOT/bench/cron/compare.py" "$out/schedules.txt" "$out/ours.txt" "$out/croniter.txt"
printf '%-40s %10s us/schedule\n' "engage-cron (either, UTC)" "$either" "engage-cron (more_often, Europe/Kyiv)" "$kyiv" \
    "croniter 1.3.5 (UTC)" "$theirs"
printf 'ratio croniter/engage-cron: %.0fx\n' "$(echo "$theirs / $either" | bc -l)"

say "2. scheduler overhead with $N scheduled jobs"
install_extension --release
cluster_start bench
q() { cluster_psql bench -d engage_bench_jobs -X -q -At -v ON_ERROR_STOP=1 "$@"; }
PGOPTIONS="-c client_min_messages=warning" cluster_psql bench -d postgres -qc \
    "DROP DATABASE IF EXISTS engage_bench_jobs" -c "CREATE DATABASE engage_bench_jobs"
q -c "CREATE EXTENSION pg_engage CASCADE" -c "CREATE TABLE schedules (n serial, s text)"
q -c "\\copy schedules (s) FROM '$out/schedules.txt'"
scheduled="$(printf '\\timing on\nSET client_min_messages = error;\nSELECT count(engage.schedule_job(%s)) FROM schedules;\n' \
    "'job' || n, s, 'SELECT 1'" | q | timing_ms | tail -1)"
timed() { # timed SQL: median of ROUNDS timings (ms) of SQL in a transaction rolled back
    for _ in $(seq "$ROUNDS"); do
        printf 'BEGIN;\n\\timing on\n%s;\n\\timing off\nROLLBACK;\n' "$1" | q | timing_ms
    done | median
}
next_due="$(timed "SELECT min(next_run_at) FROM engage.scheduled_jobs WHERE enabled")"
none_due="$(timed "SELECT count(*) FROM engage_internal.claim_due_runs(now() - interval '1 day')")"
q -c "UPDATE engage.scheduled_jobs SET next_scheduled_at = now() - interval '1 minute',
          next_run_at = now() - interval '1 minute' WHERE job_id % ($N / 100) = 0"
hundred_due="$(timed "SELECT count(*) FROM engage_internal.claim_due_runs(now())")"
printf '%-46s %10s ms\n' "schedule_job x $N (one statement)" "$scheduled" \
    "next due time (the launcher's sleep)" "$next_due" \
    "claim_due_runs, nothing due" "$none_due" \
    "claim_due_runs, 100 due (runs inserted)" "$hundred_due"
