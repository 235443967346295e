#!/usr/bin/env bash
# Template benchmarks, each against its baseline in the same run on the same machine:
#   1. renders per second of three realistic templates (bench/templates/*.vm with their data) by
#      our engine (crates/vtl) and by Apache Velocity 1.7 on the JVM (../shared/tools/velocity-ref,
#      JIT warmed up), after checking that both render the same bytes (target: at least 5x);
#   2. SELECT engage.render(t, d) over 1,000,000 rows against SELECT format(…) producing the same
#      text from the same jsonb, on a local cluster: per-row cost and ratio.
# BENCH_SECONDS (default 10) and WARMUP (default 5) set the measuring and warm-up time of part 1;
# ROWS (default 1000000) and ROUNDS (default 3, median) part 2.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
SECONDS_RUN="${BENCH_SECONDS:-10}"
WARMUP="${WARMUP:-5}"
ROWS="${ROWS:-1000000}"
ROUNDS="${ROUNDS:-3}"
REF="$ROOT/../shared/tools/velocity-ref/run.sh"
mkdir -p "$BUILD"
ensure_deps
ensure_velocity

say "building the engine's benchmark tools (release)"
cargo build -q --release -p vtl --example bench --example render
bin="$ROOT/target/release/examples"

say "1. renders per second, ours vs Velocity 1.7 (${SECONDS_RUN}s each after ${WARMUP}s warm-up)"
printf '%-12s %14s %14s %8s %8s\n' template ours/s velocity/s ratio chars
for vm in "$ROOT"/bench/templates/*.vm; do
    name="$(basename "$vm" .vm)"
    json="${vm%.vm}.json"
    if ! cmp -s <("$bin/render" "$vm" "$json") <("$REF" "$vm" "$json"); then
        echo "$name: our output differs from Velocity's" >&2
        exit 1
    fi
    ours="$("$bin/bench" "$SECONDS_RUN" "$WARMUP" "$vm" "$json")"
    theirs="$("$REF" --bench "$SECONDS_RUN" --warmup "$WARMUP" "$vm" "$json")"
    o="$(sed -n 's/.*renders_per_sec=\([0-9.]*\).*/\1/p' <<<"$ours")"
    v="$(sed -n 's/.*renders_per_sec=\([0-9.]*\).*/\1/p' <<<"$theirs")"
    chars="$(sed -n 's/.*chars_per_render=\([0-9]*\).*/\1/p' <<<"$ours")"
    printf '%-12s %14.0f %14.0f %7.2fx %8s\n' "$name" "$o" "$v" "$(echo "$o / $v" | bc -l)" "$chars"
done

say "2. SELECT engage.render(t, d) over $ROWS rows vs SELECT format(…) of the same text"
install_extension --release
cluster_start bench
q() { cluster_psql bench -d engage_bench -X -q -v ON_ERROR_STOP=1 "$@"; }
PGOPTIONS="-c client_min_messages=warning" cluster_psql bench -d postgres -qc "DROP DATABASE IF EXISTS engage_bench" \
    -c "CREATE DATABASE engage_bench"
q -v rows="$ROWS" -f "$ROOT/bench/templates_setup.sql"
# The template and the format() call that make the same text from the same row.
tpl=$'Hello $data.name!\n#foreach($pc in $data.promo_codes)\n* $pc.name: $pc.promo_code\n#end\n'
rendered="engage.render(:'tpl', d)"
formatted="format(E'Hello %s!\\n* %s: %s\\n* %s: %s\\n', d#>>'{data,name}',
    d#>>'{data,promo_codes,0,name}', d#>>'{data,promo_codes,0,promo_code}',
    d#>>'{data,promo_codes,1,name}', d#>>'{data,promo_codes,1,promo_code}')"
render_sql="SELECT sum(length($rendered)) FROM render_rows"
format_sql="SELECT sum(length($formatted)) FROM render_rows"
same="$(q -At -v tpl="$tpl" <<<"SELECT count(*) FROM render_rows WHERE $rendered IS DISTINCT FROM $formatted")"
[ "$same" = 0 ] || { echo "engage.render and format() differ on $same rows" >&2; exit 1; }
# psql interpolates :'tpl' only in what it reads, not in -c.
timed() { printf '\\timing on\n%s;\n' "$1" | q -v tpl="$tpl" | timing_ms; }
r=(); f=()
for _ in $(seq "$ROUNDS"); do
    r+=("$(timed "$render_sql")")
    f+=("$(timed "$format_sql")")
done
rm="$(printf '%s\n' "${r[@]}" | median)"
fm="$(printf '%s\n' "${f[@]}" | median)"
printf '%-22s %10s ms %8.3f us/row\n' "engage.render" "$rm" "$(echo "$rm * 1000 / $ROWS" | bc -l)"
printf '%-22s %10s ms %8.3f us/row\n' "format()" "$fm" "$(echo "$fm * 1000 / $ROWS" | bc -l)"
printf 'ratio render/format: %.2fx (medians of %s rounds)\n' "$(echo "$rm / $fm" | bc -l)" "$ROUNDS"
