#!/usr/bin/env bash
# Audience-list syncs in a real cluster, posting to the list API stand-in (tests/list_api) on
# 127.0.0.1 from the scheduler's background workers:
#  1. a first run sends every row in batches of 1,000, exactly as Iterable's API defines them,
#     as a role that is not a superuser, with the API key in the header only;
#  2. a second run sends only what changed; rows that left the query are recorded, not sent;
#  3. rows the API rejects are recorded with the reason and sent again by the next run, except
#     forgotten users (final);
#  4. 429, 500, a slow answer past the timeout and a dropped connection are retried; 400 and 401
#     fail the run with the API's message (never the key), and repeated failures disable the sync;
#  5. invalid rows fail the run before anything is sent, or are skipped and recorded;
#  6. a segment synced with 'add' mirrors it: a member that leaves is unsubscribed; a 'remove'
#     sync sends campaignId and channelUnsubscribe;
#  7. the run's worker is killed with SIGKILL in the middle of a run: every row is in exactly one
#     state afterwards, and the next run sends what was not confirmed;
#  8. a scheduled sync runs at its minute.
# Run by scripts/test.sh; exits non-zero on the first failed check.
set -euo pipefail
C=listsync
DB=engage_listsync
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap stop_list_api EXIT
start_list_api 'k-123'
echo "list API stand-in at $LIST_API_URL"

cluster_start "$C" >/dev/null
cluster_psql "$C" -d postgres -X -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
    -c "CREATE DATABASE $DB" -c "DROP ROLE IF EXISTS marketer" -c "CREATE ROLE marketer LOGIN" \
    -c "ALTER SYSTEM SET engage.database = '$DB'" -c "ALTER SYSTEM SET engage.scheduler_enabled = on" \
    -c "ALTER SYSTEM SET engage.workflows_enabled = off" -c "ALTER SYSTEM SET engage.list_api_url = '$LIST_API_URL'" \
    -c "ALTER SYSTEM SET engage.list_sync_timeout = '1s'" -c "ALTER SYSTEM SET engage.list_sync_retry_delay = '50ms'" \
    -c "ALTER SYSTEM SET engage.list_sync_max_retries = 4"
cluster_start "$C" >/dev/null # restarted: the scheduler now serves $DB
# psql as the marketer (an engage_admin, not a superuser).
m() { cluster_psql "$C" -d "$DB" -U marketer -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# sync NAME: asks for a run, waits for it, prints "status|sent|succeeded|rejected".
sync() {
    m -c "SELECT FROM engage.run_list_sync_now('$1')" >/dev/null
    m -c "SELECT concat_ws('|', status, rows_sent, rows_succeeded, rows_rejected) FROM engage.wait_for_list_sync('$1', '2 minutes')"
}
# over PATH SQL: SQL over the JSON the stand-in's control API answers at PATH (as json v), read
# through COPY since it can be larger than a command line.
over() {
    { echo "CREATE TEMP TABLE answer (v text); COPY answer FROM STDIN;"
      list_api GET "$1" | tr -d '\n' | sed 's/\\/\\\\/g'
      printf '\n\\.\n'
      echo "SELECT $2 FROM (SELECT v::json AS v FROM answer) a;"; } | q
}
# requests EXPR [CONDITION]: EXPR over the requests the stand-in received since its last reset
# (json r, its number n) that meet CONDITION.
requests() {
    over /control/requests "(SELECT $1 FROM json_array_elements(a.v) WITH ORDINALITY AS x(r, n) WHERE ${2:-true})"
}
# members LIST SQL: SQL over the members of a list at the stand-in (json m).
members() { over "/control/lists/$1" "(SELECT $2 FROM json_array_elements(a.v->'members') AS x(m))"; }

q >/dev/null <<SQL
SET client_min_messages = error;
CREATE EXTENSION pg_engage CASCADE;
-- The built-in retention job would add runs of its own to what this test counts.
SELECT engage.alter_job('engage retention', enabled => false) IS NOT NULL AS retention_off;
GRANT engage_admin TO marketer;
CREATE SCHEMA shop AUTHORIZATION marketer;
SQL
m >/dev/null <<SQL
CREATE TABLE shop.customers (email text, first_name text, visits int, plan text);
INSERT INTO shop.customers SELECT format('c%s@example.com', lpad(i::text, 4, '0')), 'First ' || i, i % 7, 'basic'
FROM generate_series(1, 2500) i;
SELECT FROM engage.create_list_sync('customers', 'SELECT email, first_name, visits FROM shop.customers', 'add', 42,
                                    api_key => 'k-123');
SQL

# 1. The first run.
check "the first run sends and delivers every row" "succeeded|2500|2500|0" "$(sync customers)"
check "three requests of 1,000, 1,000 and 500 subscribers, in key order" \
    "/api/lists/subscribe|1000|c0001@example.com,/api/lists/subscribe|1000|c1001@example.com,/api/lists/subscribe|500|c2001@example.com" \
    "$(requests "string_agg(concat_ws('|', r->>'path', json_array_length(r->'body'->'subscribers'), r->'body'->'subscribers'->0->>'email'), ',' ORDER BY n)")"
check "the exact body: listId, subscribers, updateExistingUsersOnly; the key in Api-Key only" \
    '{"listId":42,"subscribers":[{"email":"c0001@example.com","dataFields":{"first_name":"First 1","visits":1}}|false|k-123|application/json' \
    "$(requests "concat_ws('|', left(r->>'body', 106), r->'body'->>'updateExistingUsersOnly', r->>'apiKey', r->>'contentType')" "n = 1")"
check "the list holds 2,500 members" 2500 "$(members 42 "count(*)")"
check "the run's counts" "2500|2500|0|0|0|3|0" \
    "$(m -c "SELECT concat_ws('|', rows_in_result, rows_new, rows_changed, rows_removed, rows_invalid, batches_sent, batch_retries) FROM engage.list_sync_runs")"

# 2. Only the difference: 3 changed, 2 new, 1 gone (recorded as removed, not sent).
list_api POST /control/reset >/dev/null
m -c "UPDATE shop.customers SET visits = 100 WHERE email IN ('c0010@example.com', 'c0020@example.com', 'c0030@example.com');
      INSERT INTO shop.customers VALUES ('new1@example.com', 'New', 1, 'basic'), ('new2@example.com', 'New', 2, 'basic');
      DELETE FROM shop.customers WHERE email = 'c0040@example.com'"
check "the second run sends the 5 new or changed rows" "succeeded|5|5|0" "$(sync customers)"
check "in one request" "1|c0010@example.com,c0020@example.com,c0030@example.com,new1@example.com,new2@example.com" \
    "$(requests "count(*)")|$(requests "(SELECT string_agg(s->>'email', ',' ORDER BY s->>'email') FROM json_array_elements(r->'body'->'subscribers') s)")"
check "counts: 2,501 rows, 2 new, 3 changed, 1 removed" "2501|2|3|1" \
    "$(m -c "SELECT concat_ws('|', rows_in_result, rows_new, rows_changed, rows_removed) FROM engage.list_sync_runs ORDER BY run_id DESC LIMIT 1")"
check "the row that left is dropped, the others delivered" "delivered:2501,dropped:1" \
    "$(m -c "SELECT string_agg(state || ':' || n, ',' ORDER BY state) FROM (SELECT state, count(*) n FROM engage.list_sync_rows GROUP BY state) s")"
check "a run with nothing changed sends nothing" "succeeded|0|0|0" "$(sync customers)"

# 3. Rejections: recorded with the reason, sent again by the next run; forgotten users are final.
list_api POST /control/reset >/dev/null
list_api POST /control/reject '{"invalidDataEmails": ["C0010@example.com"], "forgottenEmails": ["c0020@example.com"], "conflictEmails": ["c0030@example.com"]}' >/dev/null
m -c "UPDATE shop.customers SET visits = 200 WHERE email IN ('c0010@example.com', 'c0020@example.com', 'c0030@example.com', 'c0050@example.com')"
check "the API rejects three of four" "succeeded|4|1|3" "$(sync customers)"
check "each row's outcome and reason" \
    "email:c0010@example.com|rejected|invalid data in dataFields,email:c0020@example.com|forgotten|forgotten (GDPR): the list API will not update this user,email:c0030@example.com|rejected|conflict: the email or user ID belongs to another user,email:c0050@example.com|delivered|" \
    "$(m -c "SELECT string_agg(concat_ws('|', row_key, state, coalesce(reason, '')), ',' ORDER BY row_key) FROM engage.list_sync_rows
             WHERE row_key IN ('email:c0010@example.com', 'email:c0020@example.com', 'email:c0030@example.com', 'email:c0050@example.com')")"
list_api POST /control/reject '{}' >/dev/null
check "the next run sends the two rejected rows again, not the forgotten one" "succeeded|2|2|0" "$(sync customers)"
check "counted as retried" 2 "$(m -c "SELECT rows_retried FROM engage.list_sync_runs ORDER BY run_id DESC LIMIT 1")"

# 4. Transient failures are retried; 400 and 401 fail the run with the API's message.
list_api POST /control/reset >/dev/null
list_api POST /control/responses '[{"status": 429}, {"status": 500}, {"delay_ms": 2500}, {"drop": true}]' >/dev/null
m -c "UPDATE shop.customers SET plan = 'pro', visits = 300 WHERE email = 'c0060@example.com'"
check "429, 500, a slow answer and a dropped connection are retried" "succeeded|1|1|0" "$(sync customers)"
check "four retries, five identical requests" "4|5|1" \
    "$(q -c "SELECT batch_retries FROM engage.list_sync_runs ORDER BY run_id DESC LIMIT 1")|$(requests "count(*) || '|' || count(DISTINCT r->>'body')")"
list_api POST /control/responses '[{"status": 500}, {"status": 500}, {"status": 500}, {"status": 500}, {"status": 500}]' >/dev/null
m -c "UPDATE shop.customers SET visits = 301 WHERE email = 'c0060@example.com'"
check "retries are bounded: the run fails" "failed|0|0|0" "$(sync customers)"
check "with the last error" "the list API answered 500: Internal Server Error (GenericError) (after 4 retries)" \
    "$(m -c "SELECT split_part(error, E'\n', 1) FROM engage.list_sync_runs ORDER BY run_id DESC LIMIT 1")"
check "the unsent row stays pending for the next run" "pending" \
    "$(m -c "SELECT state FROM engage.list_sync_rows WHERE row_key = 'email:c0060@example.com'")"
list_api POST /control/responses '[{"status": 400, "msg": "Invalid listId"}]' >/dev/null
check "a 400 fails the run" "failed|0|0|0" "$(sync customers)"
check "with the API's message" "the list API answered 400: Invalid listId (BadParams) (SQLSTATE 22023)" \
    "$(m -c "SELECT split_part(error, E'\n', 1) || ' ' || substring(error from '\(SQLSTATE .*\)') FROM engage.list_sync_runs ORDER BY run_id DESC LIMIT 1")"
check "the row is sent by the next run" "succeeded|1|1|0" "$(sync customers)"
m -c "SELECT FROM engage.alter_list_sync('customers', api_key => 'wrong-key-456', max_failures => 2)"
m -c "UPDATE shop.customers SET visits = 302 WHERE email = 'c0060@example.com'"
check "a bad key (401) fails the run" "failed|0|0|0" "$(sync customers)"
check "with the API's message, not the key" "the list API answered 401: Invalid API key (BadApiKey)|false" \
    "$(m -c "SELECT split_part(error, E'\n', 1) || '|' || (error LIKE '%wrong-key%') FROM engage.list_sync_runs ORDER BY run_id DESC LIMIT 1")"
check "the second failure in a row disables the sync, with a notification" "failed|disabled|t" \
    "$(sync customers | cut -d'|' -f1)|$(m -c "SELECT state FROM engage.list_syncs")|$(m -c "SELECT EXISTS (SELECT FROM engage.notifications WHERE kind = 'job_disabled' AND message LIKE '%list sync customers%')")"
check "the key appears in no notification, run, log line or view" "0|0|0" \
    "$(q -c "SELECT count(*) FROM engage.notifications WHERE message || details::text LIKE '%wrong-key%'")|$(q -c "SELECT count(*) FROM engage.job_runs WHERE concat(result, error) LIKE '%wrong-key%'")|$(grep -c 'wrong-key' "$dir/server.log" || true)"
m -c "SELECT FROM engage.alter_list_sync('customers', api_key => 'k-123', enabled => true)"
check "with the right key again the pending row goes" "succeeded|1|1|0" "$(sync customers)"

# 5. Invalid rows: the run fails before anything is sent, naming the first; or they are skipped.
list_api POST /control/reset >/dev/null
m >/dev/null <<SQL
CREATE TABLE shop.leads (n int, email text, user_id text, prefer_user_id text);
INSERT INTO shop.leads VALUES (1, 'ok1@example.com', NULL, NULL), (2, 'not-an-address', NULL, NULL),
    (3, NULL, 'u3', 'yes'), (4, NULL, NULL, NULL), (5, NULL, 'u5', NULL);
SELECT FROM engage.create_list_sync('leads', 'SELECT email, user_id, prefer_user_id FROM shop.leads ORDER BY n', 'add', 44,
                                    api_key => 'k-123');
SQL
check "invalid rows fail the run" "failed" "$(sync leads)"
check "naming the first, before anything is sent" \
    'list sync "leads": row 2 is invalid: email "not-an-address" is not an address: it has no @|0' \
    "$(m -c "SELECT split_part(error, E'\n', 1) FROM engage.list_sync_runs WHERE sync = 'leads'")|$(requests "count(*)")"
m -c "SELECT FROM engage.alter_list_sync('leads', skip_invalid_data => true)"
check "with skip_invalid_data the valid rows go" "succeeded|2|2|0" "$(sync leads)"
check "and the invalid ones are recorded with their reason" \
    "2||email \"not-an-address\" is not an address: it has no @;3|userId:u3|prefer_user_id must be a boolean, not a string;4||the row has no email and no user_id" \
    "$(m -c "SELECT string_agg(concat_ws('|', row_number, coalesce(row_key, ''), reason), ';' ORDER BY row_number) FROM engage.list_sync_invalid_rows")"

# 6. A segment mirrored into a list, with renamed columns and the string builder; a remove sync.
list_api POST /control/reset >/dev/null
q >/dev/null <<SQL
INSERT INTO engage.contacts (contact_id, external_customer_id, first_name, source)
SELECT i, 'V' || i, 'Vip ' || i, 'IMPORT' FROM generate_series(1, 3) i;
INSERT INTO engage.channels (type, value, contact_id) SELECT 'email', 'v' || i || '@example.com', i FROM generate_series(1, 3) i;
SELECT engage.create_group('vips');
SELECT engage.add_to_group('vips', ARRAY[1, 2, 3]::bigint[]);
SQL
m >/dev/null <<SQL
SELECT FROM engage.create_list_sync('vips', segment => 'vips', list_id => 43, api_key => 'k-123',
    columns => '{"email": "email", "firstName": "first_name", "externalCustomerId": "user_id"}',
    strings => '[{"name": "source", "type": "string", "value": "pg_engage"}, {"name": "segment", "type": "segment_name"},
                 {"name": "exportedAt", "type": "timestamp"}]');
SQL
check "the segment's members are subscribed" "succeeded|3|3|0" "$(sync vips)"
check "each with its columns renamed and the strings added" \
    '{"email":"v1@example.com","userId":"V1","dataFields":{"first_name":"Vip 1","source":"pg_engage","segment":"vips","exportedAt":"20' \
    "$(requests "left(r->'body'->'subscribers'->>0, 129)")"
check "a run with the same members sends nothing (the time string is not a change)" "succeeded|0|0|0" "$(sync vips)"
q -c "SELECT engage.remove_from_group('vips', ARRAY[2]::bigint[])" >/dev/null
mark="$(requests "count(*)")"
check "a member that left is unsubscribed" "succeeded|1|1|0" "$(sync vips)"
check "with the unsubscribe body" '/api/lists/unsubscribe|{"listId":43,"subscribers":[{"email":"v2@example.com"}],"channelUnsubscribe":false}' \
    "$(requests "concat_ws('|', r->>'path', r->>'body')" "n > $mark")"
check "the list holds the two that stay" "email:v1@example.com,email:v3@example.com" \
    "$(members 43 "string_agg('email:' || (m->>'key'), ',' ORDER BY m->>'key')")"
mark="$(requests "count(*)")"
m >/dev/null <<SQL
UPDATE shop.customers SET plan = 'pro' WHERE email = 'c0070@example.com';
INSERT INTO shop.customers VALUES ('stranger@example.com', 'Stranger', 0, 'pro');
SELECT FROM engage.create_list_sync('suppress', \$\$SELECT email FROM shop.customers WHERE plan = 'pro' ORDER BY email\$\$,
                                    'remove', 42, api_key => 'k-123', campaign_id => 7, channel_unsubscribe => true);
SQL
check "a remove sync unsubscribes the rows" "succeeded|3|3|0" "$(sync suppress)"
check "with campaignId and channelUnsubscribe" \
    '{"listId":42,"subscribers":[{"email":"c0060@example.com"},{"email":"c0070@example.com"},{"email":"stranger@example.com"}],"campaignId":7,"channelUnsubscribe":true}' \
    "$(requests "r->>'body'" "n > $mark")"
check "a user not in the list counts as done" "delivered|not in the list" \
    "$(m -c "SELECT state || '|' || reason FROM engage.list_sync_rows WHERE row_key = 'email:stranger@example.com'")"
check "the list no longer has them" 0 "$(members 42 "count(*) FILTER (WHERE m->>'key' IN ('c0060@example.com', 'c0070@example.com'))")"
check "a second run sends nothing" "succeeded|0|0|0" "$(sync suppress)"

# 7. SIGKILL of the run's worker in the middle of a run: rows stay in exactly one state.
q -c "ALTER SYSTEM SET engage.list_sync_timeout = '20s'" -c "SELECT pg_reload_conf()" >/dev/null
m -c "INSERT INTO shop.customers SELECT format('k%s@example.com', lpad(i::text, 4, '0')), 'K', 1, 'basic' FROM generate_series(1, 5000) i"
mark="$(requests "count(*)")"
list_api POST /control/responses '[{"delay_ms": 0}, {"delay_ms": 0}, {"delay_ms": 15000}]' >/dev/null
m -c "SELECT FROM engage.run_list_sync_now('customers')" >/dev/null
for _ in $(seq 200); do
    [ "$(requests "count(*)" "n > $mark")" -ge 3 ] && break
    sleep 0.1
done
run="$(q -c "SELECT run_id FROM engage.job_runs WHERE job_name = 'list sync customers' AND status = 'running'")"
pid="$(q -c "SELECT pid FROM engage.job_runs WHERE run_id = $run")"
check "the run's worker is waiting for its third batch" "3|2000" \
    "$(requests "count(*)" "n > $mark")|$(q -c "SELECT rows_sent FROM engage.list_sync_run_counts WHERE run_id = $run")"
m -c "SELECT FROM engage.run_list_sync_now('customers')" >/dev/null
wait_for "SELECT EXISTS (SELECT FROM engage.job_runs WHERE job_name = 'list sync customers' AND run_id > $run)" 10 || true
check "a run asked for while one works is recorded skipped" "skipped|manual|the previous run was still running" \
    "$(q -c "SELECT concat_ws('|', status, started_by, result) FROM engage.job_runs WHERE job_name = 'list sync customers' AND run_id > $run")"
as_root kill -9 "$pid"
wait_for "SELECT status = 'interrupted' FROM engage.job_runs WHERE run_id = $run" 60 \
    || check "the killed run is marked interrupted after crash recovery" interrupted "$(q -c "SELECT status FROM engage.job_runs WHERE run_id = $run" 2>&1)"
echo "ok: the killed run is marked interrupted after crash recovery (${SECONDS}s)"
check "every new row is in exactly one state: 2,000 delivered, 3,000 pending" "5000|delivered:2000,pending:3000" \
    "$(q -c "SELECT count(DISTINCT row_key) FROM engage.list_sync_rows WHERE row_key LIKE 'email:k%'")|$(q -c "SELECT string_agg(state || ':' || n, ',' ORDER BY state) FROM (SELECT state, count(*) n FROM engage.list_sync_rows WHERE row_key LIKE 'email:k%' GROUP BY state) s")"
q -c "ALTER SYSTEM SET engage.list_sync_timeout = '1s'" -c "SELECT pg_reload_conf()" >/dev/null
check "the next run sends the 3,000 that were not confirmed (with the stranger of step 6)" "succeeded|3001|3001|0" "$(sync customers)"
check "as retries (the stranger was pending too)" 3001 "$(m -c "SELECT rows_retried FROM engage.list_sync_runs WHERE sync = 'customers' ORDER BY run_id DESC LIMIT 1")"
check "the list has all 5,000" 5000 "$(members 42 "count(*) FILTER (WHERE m->>'key' LIKE 'k%')")"

# 8. A scheduled sync runs at its minute, from the scheduler.
m -c "SELECT FROM engage.create_list_sync('scheduled', \$\$SELECT 'sched@example.com' AS email\$\$, 'add', 45, api_key => 'k-123', schedule => '* * * * *')" >/dev/null
wait_for "SELECT EXISTS (SELECT FROM engage.list_sync_runs WHERE sync = 'scheduled' AND status = 'succeeded')" 75 \
    || check "the scheduled sync ran" succeeded "$(m -c "SELECT status || ' ' || coalesce(error, '') FROM engage.list_sync_runs WHERE sync = 'scheduled'")"
check "the scheduled sync ran at its minute" "schedule|1" \
    "$(m -c "SELECT started_by || '|' || rows_succeeded FROM engage.list_sync_runs WHERE sync = 'scheduled' AND status = 'succeeded' LIMIT 1")"
check "no run of this test was left running" 0 "$(q -c "SELECT count(*) FROM engage.job_runs WHERE status = 'running' AND job_name <> 'list sync scheduled'")"
cluster_stop "$C"
