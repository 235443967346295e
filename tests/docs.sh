#!/usr/bin/env bash
# The reference in docs/ matches the code:
#  1. every function of the API (schema engage) has its signature in docs/, as \df prints it
#     (`engage.name(arguments) RETURNS result`), and docs/ documents no function that is not there;
#  2. no page (README.md, DESIGN.md, docs/) refers to files outside the repository;
#  3. every link between the pages leads to a file that exists;
#  4. the README's quickstart runs as written, in a fresh database, to a delivered send.
# Run by scripts/test.sh after the current build is installed.
set -euo pipefail
C=docs
DB=docs_check
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'cluster_stop "$C"' EXIT
cluster_start "$C" >/dev/null
cluster_psql "$C" -d postgres -X -q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_engage CASCADE"

q -c "SELECT 'engage.' || p.proname || '(' || pg_get_function_arguments(p.oid) || ') RETURNS '
             || pg_get_function_result(p.oid)
      FROM pg_proc p WHERE p.pronamespace = 'engage'::regnamespace" | LC_ALL=C sort -u >"$BUILD/docs.catalog"
grep -h '^engage\.[a-z_]*(.*) RETURNS ' "$ROOT"/docs/*.md | LC_ALL=C sort -u >"$BUILD/docs.documented"
missing="$(LC_ALL=C comm -23 "$BUILD/docs.catalog" "$BUILD/docs.documented")"
extra="$(LC_ALL=C comm -13 "$BUILD/docs.catalog" "$BUILD/docs.documented")"
[ -z "$missing" ] || printf 'in the catalog, not in docs/:\n%s\n' "$missing" >&2
[ -z "$extra" ] || printf 'in docs/, not in the catalog:\n%s\n' "$extra" >&2
check "every API function is in docs/ with its signature, and nothing else is ($(wc -l <"$BUILD/docs.catalog") functions)" \
    "0 0" "$(printf '%s' "$missing" | grep -c . || true) $(printf '%s' "$extra" | grep -c . || true)"

outside="$(grep -n -E '\.\./shared|/work/|spec/00[0-9]|_[0-9a-f]{16}\.txt' "$ROOT"/README.md "$ROOT"/DESIGN.md "$ROOT"/docs/*.md || true)"
[ -z "$outside" ] || printf '%s\n' "$outside" >&2
check "no page refers to files outside the repository" "0" "$(printf '%s' "$outside" | grep -c . || true)"

broken=""
for page in "$ROOT"/README.md "$ROOT"/docs/*.md; do
    for target in $(grep -o '](\([^)#]*\.md\)[)#]' "$page" | sed 's/^](\(.*\)[)#]$/\1/' | sort -u); do
        [ -f "$(dirname "$page")/$target" ] || broken+="$(basename "$page") -> $target"$'\n'
    done
done
[ -z "$broken" ] || printf '%s' "$broken" >&2
check "every link between the pages leads to a page" "0" "$(printf '%s' "$broken" | grep -c . || true)"

# The quickstart's SQL blocks, run in order as a reader would paste them into psql.
awk '/^## Quickstart/ {on = 1; next} on && /^## / {on = 0} on && /^```sql$/ {sql = 1; next}
     sql && /^```$/ {sql = 0; next} sql' "$ROOT/README.md" >"$BUILD/quickstart.sql"
cluster_psql "$C" -d postgres -X -q -c "DROP DATABASE IF EXISTS shop"
out="$(cd "$BUILD" && cluster_psql "$C" -d postgres -X -v ON_ERROR_STOP=1 -f quickstart.sql 2>&1)" \
    || { printf '%s\n' "$out" | tail -20 >&2; check "the quickstart runs" "no error" "an error"; }
check "the quickstart ends with Ann's message delivered" "2" \
    "$(printf '%s\n' "$out" | grep -c -e 'ann@example.com | Welcome to Pro, Ann | Hi Ann, thanks for choosing Pro.' -e '^ DELIVERED$')"
