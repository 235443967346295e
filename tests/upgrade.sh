#!/usr/bin/env bash
# Updating a database from the previous release, as a user would:
#  1. the previous release (its source at its commit, built here) is installed and a database is
#     made with it, holding contacts, field values, a segment, a workflow with its sends, an order,
#     a job, and an event left queued;
#  2. the current library replaces it and the server restarts: the database's workers wait (the
#     queued event stays queued) and say why in the log;
#  3. ALTER EXTENSION pg_engage UPDATE: the data is all there, the workers process the event, the
#     new API works, and the catalog (pg_dump --schema-only --binary-upgrade, which shows every
#     object of the extension) equals a fresh install's of the current version.
# Run by scripts/test.sh after the current build is installed; puts it back however it ends.
set -euo pipefail
C=upgrade
DB=upgraded
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The previous release: its version and the commit it was made from (git tag v0.1.0).
RELEASE=0.1.0
RELEASE_COMMIT=19cace3d6df8adbd75673362d9905c5e018c7079
CURRENT=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
LIBDIR="$("$PG_CONFIG" --pkglibdir)"
admin() { cluster_psql "$C" -d postgres -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# 1. Build the previous release from its commit (dependencies are those of its Cargo.lock).
release_dir="$BUILD/release-$RELEASE"
if [ ! -f "$release_dir/package.done" ]; then
    rm -rf "$release_dir"
    mkdir -p "$release_dir/source"
    git -C "$ROOT" archive "$RELEASE_COMMIT" | tar -x -C "$release_dir/source"
    (cd "$release_dir/source" && CARGO_TARGET_DIR="$BUILD/release-target" \
        cargo pgrx package --pg-config "$PG_CONFIG" --out-dir "$release_dir/package" >"$release_dir/build.log" 2>&1) \
        || { tail -30 "$release_dir/build.log"; exit 1; }
    touch "$release_dir/package.done"
fi
old_library="$(find "$release_dir/package" -name pg_engage.so | head -1)"
cp "$LIBDIR/pg_engage.so" "$BUILD/pg_engage.current.so"
# A library file is replaced by a new file, never overwritten: running servers map the old one.
use_library() { as_root rm -f "$LIBDIR/pg_engage.so"; as_root cp "$1" "$LIBDIR/pg_engage.so"; }
trap 'cluster_stop "$C"; use_library "$BUILD/pg_engage.current.so"' EXIT
use_library "$old_library"
echo "ok: release $RELEASE built from $RELEASE_COMMIT and installed (${SECONDS}s)"

cluster_start "$C" >/dev/null
admin -c "DROP DATABASE IF EXISTS upgraded WITH (FORCE)" -c "DROP DATABASE IF EXISTS fresh WITH (FORCE)" \
    -c "CREATE DATABASE upgraded" -c "ALTER SYSTEM SET engage.databases = 'upgraded'" >/dev/null
cluster_start "$C" >/dev/null
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_engage VERSION '$RELEASE' CASCADE" \
    -c "SELECT engage.alter_job('engage retention', enabled => false) IS NOT NULL" >/dev/null
check "the database has the previous release" "$RELEASE" \
    "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_engage'")"
q >/dev/null <<'SQL'
SELECT engage.create_field('tier', 'string', field_id => 7);
SELECT count(*) FROM engage.upsert_contacts($${"contacts": [
  {"externalCustomerId": "A", "firstName": "Ann", "fields": [{"id": 7, "value": "gold"}],
   "channels": [{"type": "email", "value": "ann@example.com"}]},
  {"externalCustomerId": "B", "firstName": "Bo", "channels": [{"type": "email", "value": "bo@example.com"}]}]}$$);
SELECT engage.create_segment('gold', '{"field": 7, "op": "equals", "value": "gold"}');
SELECT engage.refresh_segment('gold');
INSERT INTO engage.messages (name, subject, body) VALUES ('hello', 'Hello', 'Hello $!contact.firstName');
SELECT engage.create_workflow('welcome', '[{"id": "s", "type": "send_message", "messageId": 1}]');
SELECT engage.link_event('welcome', 'signedUp');
SELECT engage.activate_workflow('welcome');
SELECT engage.generate_event('{"eventTypeKey": "signedUp", "keyValue": "A"}');
SELECT engage.process_events();
SELECT engage.add_orders('{"orders": [{"externalOrderId": "o-1", "externalCustomerId": "A", "totalCost": 30,
    "status": "DELIVERED", "date": "2026-11-30T10:00:00Z", "currency": "EUR"}]}');
SELECT engage.schedule_job('nightly', '0 2 * * *', 'SELECT 1');
-- Where 0.1.0 installed them when a connector needed them.
CREATE EXTENSION dblink SCHEMA engage;
CREATE EXTENSION postgres_fdw SCHEMA engage;
SQL
# The last event waits in the queue: the release's workflow worker is kept off for it.
admin -c "ALTER SYSTEM SET engage.workflows_enabled = off" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
q -c "SELECT engage.generate_event('{\"eventTypeKey\": \"signedUp\", \"keyValue\": \"B\"}')" >/dev/null
counts="SELECT concat_ws(' ', (SELECT count(*) FROM engage.contacts), (SELECT count(*) FROM engage.contact_fields),
    (SELECT count(*) FROM engage.segment_members), (SELECT count(*) FROM engage.workflow_instances),
    (SELECT count(*) FROM engage.sends), (SELECT count(*) FROM engage.orders), (SELECT count(*) FROM engage.events),
    (SELECT count(*) FROM engage.scheduled_jobs))"
before="$(q -c "$counts")"
check "the release holds the data (contacts, values, members, instances, sends, orders, events, jobs)" \
    "2 1 1 1 1 1 3 3" "$before"
check "one event is queued" "1" "$(q -c "SELECT count(*) FROM engage.event_queue")"

# 2. The current library, the server restarted: the workers wait for the update.
cluster_stop "$C"
use_library "$BUILD/pg_engage.current.so"
cluster_start "$C" >/dev/null
admin -c "ALTER SYSTEM RESET engage.workflows_enabled" -c "SELECT pg_reload_conf()" >/dev/null
wait_for "SELECT pg_read_file('$dir/server.log') LIKE '%database \"upgraded\" has pg_engage $RELEASE and the library is $CURRENT%'" 20 \
    || check "the workers say they wait for ALTER EXTENSION pg_engage UPDATE" "a log line" "none"
echo "ok: the workers wait for ALTER EXTENSION pg_engage UPDATE, and say so (${SECONDS}s)"
sleep 2
check "the queued event waits meanwhile" "1" "$(q -c "SELECT count(*) FROM engage.event_queue")"
check "the status functions say why (the old schema calls the new library's code)" \
    "this database has pg_engage $RELEASE and the library is $CURRENT: the workflow worker waits for ALTER EXTENSION pg_engage UPDATE" \
    "$(q -c "SELECT problem FROM engage.workflow_worker_status()")"

# 3. The update.
q -c "ALTER EXTENSION pg_engage UPDATE"
check "the database has the current version" "$CURRENT" \
    "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_engage'")"
check "the status functions see no problem" "true|" "$(q -c "SELECT running || '|' || coalesce(problem, '') FROM engage.workflow_worker_status()")"
wait_for "SELECT count(*) = 0 FROM engage.event_queue" 10 || true
check "the workflow worker processed the waiting event: Bo got the message" "bo@example.com|Hello Bo" \
    "$(q -c "SELECT locator || '|' || body FROM engage.sends ORDER BY send_id DESC LIMIT 1")"
check "the data is all there (with the waiting event's instance and send)" "2 1 1 2 2 1 3 3" "$(q -c "$counts")"
q -c "SELECT engage.create_segment('everyone', '{\"channel\": \"email\"}')" >/dev/null
check "the current API works on the updated data (a broadcast by names)" "RUNNING|2" \
    "$(q -c "SELECT status || '|' || queued FROM engage.send_broadcast('hello', ARRAY['everyone'], 'All')")"
check "internal steps moved out of the API" "0" \
    "$(q -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'engage'::regnamespace AND proname = 'store_workflow'")"
check "dblink and postgres_fdw moved with them" "dblink:engage_internal postgres_fdw:engage_internal" \
    "$(q -c "SELECT string_agg(extname || ':' || extnamespace::regnamespace, ' ' ORDER BY extname) FROM pg_extension
             WHERE extname IN ('dblink', 'postgres_fdw')")"
check "a job runs after the update" "succeeded" "$(q -c "SELECT status FROM engage.run_job_now('nightly')")"

# The catalog equals a fresh install's. pg_dump in binary-upgrade form writes out every object of
# the extension; what differs between any two databases (OIDs, frozen XIDs, sequences' positions,
# dump keys) is left out.
admin -c "CREATE DATABASE fresh" >/dev/null
cluster_psql "$C" -d fresh -X -q -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_engage CASCADE" \
    -c "CREATE EXTENSION dblink SCHEMA engage_internal" -c "CREATE EXTENSION postgres_fdw SCHEMA engage_internal"
catalog() {
    "$PG_BIN/pg_dump" -h "$dir" -p "$(cat "$dir/port")" -U postgres --schema-only --binary-upgrade "$1" \
        | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' -e 'binary_upgrade_set_' -e '^SET relfrozenxid' \
                  -e '^WHERE oid = ' -e '^UPDATE pg_catalog.pg_class$' -e '^SELECT pg_catalog.setval(' -e '^$'
}
catalog upgraded >"$BUILD/upgrade.upgraded.sql"
catalog fresh >"$BUILD/upgrade.fresh.sql"
diff -u "$BUILD/upgrade.fresh.sql" "$BUILD/upgrade.upgraded.sql" >"$BUILD/upgrade.diff" || head -60 "$BUILD/upgrade.diff" >&2
check "the updated catalog equals a fresh install's ($(wc -l <"$BUILD/upgrade.fresh.sql") lines of pg_dump)" \
    "0 lines differ" "$(grep -c '^[-+][^-+]' "$BUILD/upgrade.diff") lines differ"
# The rows the install script writes (pg_dump leaves out an extension's rows) are the same too.
seeded="SELECT concat_ws(' | ', (SELECT string_agg(k::text, ',' ORDER BY kind) FROM engage.job_kinds k),
    (SELECT string_agg(d::text, ',' ORDER BY dataset) FROM engage.export_datasets d),
    (SELECT string_agg(format('%s %s %s', kind, relation, keep), ',' ORDER BY kind) FROM engage.retention),
    (SELECT string_agg(format('%s %s %s', b.recency_days, b.frequency, b.monetary), ',') FROM engage.rfm_bands b),
    (SELECT string_agg(s::text, ',' ORDER BY position) FROM engage.rfm_segments s),
    (SELECT string_agg(format('%s %s %s %s', name, schedule, kind, owner::regrole), ',' ORDER BY name)
     FROM engage.scheduled_jobs WHERE name IN ('rfm nightly', 'engage retention')))"
check "the rows the install script writes equal a fresh install's" \
    "$(cluster_psql "$C" -d fresh -X -q -At -c "$seeded")" "$(q -c "$seeded")"

# The previous release's install script loads against the current library (every symbol it names
# is still there), and a pristine one updates too.
admin -c "DROP DATABASE IF EXISTS pristine" -c "CREATE DATABASE pristine" >/dev/null
check "the previous release's install script loads against the current library, and updates" "$RELEASE $CURRENT" \
    "$(cluster_psql "$C" -d pristine -X -q -At -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
        -c "CREATE EXTENSION pg_engage VERSION '$RELEASE' CASCADE" \
        -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_engage'" -c "ALTER EXTENSION pg_engage UPDATE" \
        -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_engage'" | paste -sd' ')"
echo "upgrade from $RELEASE to $CURRENT: all checks passed"
