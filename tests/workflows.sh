#!/usr/bin/env bash
# The trigger engine in a real cluster (pg_engage preloaded, engage.database set):
#  1. concurrent sessions (pgbench) fire the same events for the same contacts while others
#     process them: the launch rules hold with zero duplicates (once, once every 1 hour);
#  2. the workflow worker, woken by the commit, turns an event into a send in well under a
#     second;
#  3. the worker killed with SIGKILL in the middle of a backlog: after the crash recovery, every
#     event has exactly one instance and one send.
# Run by scripts/test.sh; exits non-zero on the first failed check.
set -euo pipefail
C=workflows
DB=engage_workflows
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PGBENCH="$PG_BIN/pgbench"
worker() { # worker on|off: switches the workflow worker by reload
    q -c "ALTER SYSTEM SET engage.workflows_enabled = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
}

cluster_start "$C" >/dev/null
cluster_psql "$C" -d postgres -X -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" \
    -c "ALTER SYSTEM SET engage.database = '$DB'" -c "ALTER SYSTEM SET engage.workflows_enabled = off" \
    -c "ALTER SYSTEM SET engage.scheduler_enabled = off"
cluster_start "$C" >/dev/null # restarted: the worker now serves $DB
q >/dev/null <<'SQL'
CREATE EXTENSION pg_engage CASCADE;
SELECT count(*) FROM engage.upsert_contacts((
    SELECT jsonb_build_object('contacts', jsonb_agg(jsonb_build_object(
        'externalCustomerId', 'C' || i, 'channels', jsonb_build_array(jsonb_build_object('type', 'email', 'value', 'c' || i || '@example.com')))))
    FROM generate_series(1, 200) i));
INSERT INTO engage.messages (name, subject, body) VALUES ('ping', 'Ping', 'Hello $!contact.externalCustomerId');
SELECT engage.create_workflow(w, '[{"id": "s", "type": "send_message", "messageId": 1}]')
FROM unnest(ARRAY['once', 'hourly', 'each']) w;
SELECT engage.link_event('once', 'ping', 'start', 'once');
SELECT engage.link_event('hourly', 'ping', 'start', 'once every', '1 hour');
SELECT engage.link_event('each', 'ping', 'start', 'each time');
SELECT engage.activate_workflow(w) FROM unnest(ARRAY['once', 'hourly', 'each']) w;
SQL
check "the workflow worker runs for this database" t "$(q -c "SELECT running FROM engage.workflow_worker_status()")"

# 1. Eight sessions fire 'ping' for 200 contacts (20 events each on average) while four others
#    process events in batches of 50, all at once.
fire="$BUILD/workflows-fire.pgbench"
process="$BUILD/workflows-process.pgbench"
cat >"$fire" <<'SQL'
\set c random(1, 200)
SELECT engage.generate_event(format('{"eventTypeKey": "ping", "keyValue": "C%s"}', :c)::jsonb);
SQL
echo 'SELECT engage.process_events(50);' >"$process"
bench() { as_postgres "$PGBENCH" -h "$dir" -p "$(cat "$dir/port")" -U postgres -n "$@" "$DB" >/dev/null 2>&1; }
bench -c 8 -j 2 -t 500 -f "$fire" &
firing=$!
bench -c 4 -j 2 -T 8 -f "$process" &
processing=$!
wait "$firing" || check "pgbench fired the events" 0 1
wait "$processing" || check "pgbench processed events" 0 1
while [ "$(q -c "SELECT (engage.process_events(1000)).events")" != 0 ]; do :; done
check "4000 events stored" 4000 "$(q -c "SELECT count(*) FROM engage.events")"
check "'each time': one launch per event" 4000 \
    "$(q -c "SELECT count(*) FROM engage.workflow_instances JOIN engage.workflows USING (workflow_id) WHERE name = 'each'")"
for w in once hourly; do
    check "'$w': one launch per contact that sent the event, no duplicates" \
        "$(q -c "SELECT count(DISTINCT contact_id) FROM engage.events")|0" \
        "$(q -c "SELECT count(*), count(*) - count(DISTINCT contact_id) FROM engage.workflow_instances
                 JOIN engage.workflows USING (workflow_id) WHERE name = '$w'")"
done
check "one send per instance" 0 \
    "$(q -c "SELECT count(*) FROM (SELECT i.instance_id FROM engage.workflow_instances i
             LEFT JOIN engage.sends s USING (instance_id) GROUP BY i.instance_id HAVING count(s.send_id) <> 1) x")"

# 2. With the worker on, an event becomes a send in well under a second.
q -c "SELECT engage.deactivate_workflow(w) FROM unnest(ARRAY['once', 'hourly']) w" >/dev/null
worker on
listener="$BUILD/workflows-listen.out"
{ echo "LISTEN engage_events;"; for _ in $(seq 8); do echo "SELECT pg_sleep(0.5);"; done; } | q >"$listener" 2>&1 &
listener_pid=$!
sleep 0.5
latencies=()
for i in $(seq 5); do
    start=$(date +%s%N)
    event="$(q -c "SELECT engage.generate_event('{\"eventTypeKey\": \"ping\", \"keyValue\": \"C$i\"}')")"
    wait_for "SELECT EXISTS (SELECT FROM engage.sends s JOIN engage.workflow_instances i USING (instance_id)
                             WHERE i.event_id = $event)" 5 \
        || check "the worker made the send of event $event" yes no
    latencies+=($((($(date +%s%N) - start) / 1000000)))
done
echo "event to send, as seen by a polling client (ms): ${latencies[*]}"
wait "$listener_pid" || true
check "a listener heard NOTIFY engage_events for each event" t \
    "$([ "$(grep -c 'notification "engage_events"' "$listener")" -ge 5 ] && echo t || echo f)"
check "the worker turns each event into a send within 500 ms of the event" t \
    "$(q -c "SELECT bool_and(s.created_at - e.registered_at < interval '500 ms') FROM engage.sends s
             JOIN engage.workflow_instances i USING (instance_id) JOIN engage.events e ON e.event_id = i.event_id
             WHERE e.event_id > 4000")"

# Transports hear NOTIFY engage_sends once per transaction that queues sends, not once a send.
worker off
listener="$BUILD/workflows-listen-sends.out"
{ echo "LISTEN engage_sends;"; for _ in $(seq 4); do echo "SELECT pg_sleep(0.5);"; done; } | q >"$listener" 2>&1 &
listener_pid=$!
sleep 0.5
q -c "SELECT engage.smartsend(m.message_id, jsonb_build_object('recipients',
          (SELECT jsonb_agg(jsonb_build_object('locator', format('r%s@example.com', i))) FROM generate_series(1, 100) i)))
      FROM engage.messages m WHERE m.media_type = 'Email' ORDER BY m.message_id LIMIT 1" >/dev/null
wait "$listener_pid" || true
check "one NOTIFY engage_sends for a smartsend of 100 recipients" 1 "$(grep -c 'notification "engage_sends"' "$listener")"

# 3. A backlog of 30,000 events, the worker killed with SIGKILL while it works through it.
worker off
q -c "INSERT INTO engage.events (event_type_id, key_value, contact_id)
      SELECT t.event_type_id, 'C' || (i % 200 + 1), i % 200 + 1 FROM engage.event_types t, generate_series(1, 30000) i
      WHERE t.key = 'ping'" >/dev/null
q -c "ALTER SYSTEM SET engage.event_batch_size = 2000" >/dev/null
worker on
wait_for "SELECT EXISTS (SELECT FROM engage.workflow_instances WHERE event_id > 4005)" 60 \
    || check "the worker started on the backlog" yes no
pid="$(q -c "SELECT pid FROM engage.workflow_worker_status()")"
left="$(q -c "SELECT count(*) FROM engage.event_queue")"
as_root kill -KILL "$pid"
echo "killed the worker (pid $pid) with $left events still queued"
sleep 2
wait_for "SELECT NOT EXISTS (SELECT FROM engage.event_queue) AND (SELECT running FROM engage.workflow_worker_status())" 120 \
    || check "after the crash the worker drained the queue" 0 "$(q -c "SELECT count(*) FROM engage.event_queue")"
check "the server went through crash recovery" t \
    "$(grep -q 'terminated by signal 9' "$dir/server.log" && echo t || echo f)"
check "every event has exactly one 'each time' instance" "0|0" \
    "$(q -c "SELECT count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1) FROM (
             SELECT e.event_id, count(i.instance_id) AS n FROM engage.events e
             LEFT JOIN (engage.workflow_instances i JOIN engage.workflows w ON w.workflow_id = i.workflow_id AND w.name = 'each')
                 ON i.event_id = e.event_id
             GROUP BY e.event_id) x")"
check "every instance has exactly one send" 0 \
    "$(q -c "SELECT count(*) FROM (SELECT i.instance_id FROM engage.workflow_instances i
             LEFT JOIN engage.sends s USING (instance_id) GROUP BY i.instance_id HAVING count(s.send_id) <> 1) x")"
q -c "ALTER SYSTEM RESET engage.event_batch_size" -c "ALTER SYSTEM RESET engage.workflows_enabled" >/dev/null
cluster_stop "$C"
echo "workflow tests passed"
