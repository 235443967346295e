#!/usr/bin/env bash
# Never crash, never hang, never block a queue, on a throwaway cluster (pg_engage preloaded, its
# workflow worker serving the test database):
# - templates that ask for absurd memory (format widths of eleven digits and past the address
#   space, lists and strings that double, lists of large strings) end as errors, and a message
#   that does so, fired by an event, fails its send instead of the worker;
# - a long render is cancelled by statement_timeout, pg_cancel_backend and pg_terminate_backend
#   within a fraction of a second (the latencies are printed);
# - JSON nested 10,000 deep is refused with 54000, not an internal error;
# - seeded hostile JSON bodies for every body-taking function (tests/hostile_inputs.sql) give no
#   internal error;
# - a workflow worker whose step keeps failing backs off (1 s, 2 s, 4 s, ...) with notification
#   rows instead of restarting, and recovers when the cause is gone;
# and at the end the server log has no backend "terminated by signal". Run by scripts/test.sh.
# SEED and ROUNDS choose the hostile inputs (default 42 and 150 per body shape).
set -euo pipefail
C=hardening
DB=engage_hardening
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SEED=${SEED:-0.42}
ROUNDS=${ROUNDS:-150}

# A fresh cluster each time: its log must hold only what this test did.
cluster_stop "$C"
as_postgres rm -rf "$dir"
cluster_start "$C" >/dev/null
cluster_psql "$C" -d postgres -X -q -c "CREATE DATABASE $DB" -c "ALTER SYSTEM SET engage.database = '$DB'"
cluster_start "$C" >/dev/null # restarted: the workflow worker now serves $DB

# The SQLSTATE a statement ends with (00000 for success).
sqlstate() {
    local out state
    out="$(cluster_psql "$C" -d "$DB" -X -q -At -v VERBOSITY=verbose -c "$1" 2>&1 >/dev/null || true)"
    state="$(printf '%s\n' "$out" | sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' | head -1)"
    echo "${state:-00000}"
}
alive() { q -c "SELECT 'up'" 2>/dev/null || echo down; }
now() { date +%s.%N; }
ms() { echo "($2 - $1) * 1000 / 1" | bc; }

say "hostile JSON bodies (seed $SEED, $ROUNDS per body shape)"
q -v seed="$SEED" -v rounds="$ROUNDS" -f "$ROOT/tests/hostile_inputs.sql" >/dev/null
calls=$(q -c "SELECT count(*) FROM hostile.calls")
internal=$(q -c "SELECT count(*) FROM hostile.calls WHERE sqlstate LIKE 'XX%'")
q -c "SELECT shape, sqlstate, count(*) FROM hostile.calls GROUP BY 1, 2 ORDER BY 1, 2" | column -t -s'|' | sed 's/^/    /'
q -c "SELECT shape, sqlstate, message, left(body::text, 300) FROM hostile.calls WHERE sqlstate LIKE 'XX%' LIMIT 5" >&2
echo "hostile inputs: $calls calls, $internal internal errors"
check "hostile inputs gave no internal error" 0 "$internal"
check "the server is up after the hostile inputs" up "$(alive)"

say "templates that ask for absurd memory"
for template in \
    "\$s.format('%099999999999d', 1)" \
    "\$s.format('%.99999999999f', 1.5)" \
    "\$s.format('%0999999999999999999999999d', 1)" \
    "#set(\$l = [1])#foreach(\$i in [1..64])#set(\$ok = \$l.addAll(\$l))#end\$l.size()" \
    "#set(\$l = [1, 2])#foreach(\$i in [1..64])#set(\$m = [])#set(\$ok = \$m.addAll(\$l))#set(\$ok = \$m.addAll(\$l))#set(\$l = \$m)#end\$l.size()" \
    "#set(\$t = 'xxxxxxxxxxxxxxxx')#foreach(\$i in [1..40])#set(\$t = \"\$t\$t\")#end\$t.length()" \
    "#set(\$t = 'x')#foreach(\$i in [1..23])#set(\$t = \"\$t\$t\")#end#set(\$l = [])#foreach(\$i in [1..300])#set(\$ok = \$l.add(\"\$t\$i\"))#end\$l.size()" \
    "\$s.repeat(2147483647)" \
    ; do
    state=$(sqlstate "SET engage.template_max_memory = '64MB'; SELECT length(engage.render(\$tpl\$$template\$tpl\$, '{\"s\": \"x\"}'))")
    case "$state" in
        54000 | 22000) echo "ok: $state from $template" ;;
        *) check "an error of class 54 or 22 from: $template" "54000 or 22000" "$state" ;;
    esac
    check "the server is up after: $template" up "$(alive)"
done

say "a message that asks for absurd memory, fired by an event"
q >/dev/null <<'SQL'
INSERT INTO engage.messages (message_id, name, subject, body) VALUES (7, 'greedy', 'x',
    '#set($l = [1])#foreach($i in [1..64])#set($ok = $l.addAll($l))#end$l.size() $data.s.format(''%099999999999d'', 1)');
SELECT engage.create_workflow('greedy', '[{"id": "send", "type": "send_message", "messageId": 7, "channel": "email"}]');
SELECT engage.link_event('greedy', 'greedyEvent');
SELECT engage.activate_workflow('greedy');
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "G-1", "channels": [{"type": "email", "value": "g@example.com"}]}]}');
SELECT engage.generate_event('{"eventTypeKey": "greedyEvent", "keyValue": "G-1", "params": [{"name": "s", "value": "x"}]}');
SQL
wait_for "SELECT EXISTS (SELECT FROM engage.sends WHERE message_id = 7)" 10 || true
check "the worker failed the send, not itself" "FAILED|t" \
    "$(q -c "SELECT status, reason LIKE '%memory%' FROM engage.sends WHERE message_id = 7")"

say "JSON nested 10,000 deep"
deep="SELECT (repeat('[', 10000) || '1' || repeat(']', 10000))::jsonb"
check "an event with params 10,000 deep is refused with 54000" 54000 \
    "$(sqlstate "SELECT engage.generate_event(jsonb_build_object('eventTypeKey', 'deep', 'keyValue', 'G-1', 'params', jsonb_build_array(jsonb_build_object('name', 'p', 'value', ($deep)))))")"
check "a render context 10,000 deep is refused with 54000" 54000 \
    "$(sqlstate "SELECT engage.render('x', jsonb_build_object('d', ($deep)))")"
check "a workflow 10,000 deep is refused with 54000" 54000 "$(sqlstate "SELECT engage.create_workflow('deep', ($deep))")"

say "cancelling a long render"
long="SELECT length(engage.render('#set(\$l = [1..150000])\$l.containsAll(\$l)', '{}'))"
start=$(now)
state=$(sqlstate "SET statement_timeout = '1s'; $long")
timeout_ms=$(( $(ms "$start" "$(now)") - 1000 ))
check "statement_timeout cancels the render" 57014 "$state"
echo "statement_timeout: the render stopped ${timeout_ms} ms after the timeout"
for how in cancel terminate; do
    done_at="$BUILD/hardening-$how.done"
    rm -f "$done_at"
    ( cluster_psql "$C" -d "$DB" -X -q -c "SET application_name = 'long_render'" -c "$long" >/dev/null 2>&1 || true
      now >"$done_at" ) &
    wait_for "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'long_render' AND state = 'active')" 10
    sleep 0.5
    asked=$(now)
    q -c "SELECT pg_${how}_backend(pid) FROM pg_stat_activity WHERE application_name = 'long_render'" >/dev/null
    wait
    latency=$(ms "$asked" "$(cat "$done_at")")
    echo "pg_${how}_backend: the render stopped after ${latency} ms"
    check "pg_${how}_backend stops the render within 500 ms" t "$([ "$latency" -lt 500 ] && echo t || echo f)"
done
check "statement_timeout stops the render within 500 ms" t "$([ "$timeout_ms" -lt 500 ] && echo t || echo f)"

say "a workflow worker whose step keeps failing backs off"
worker_pid=$(q -c "SELECT pid FROM engage.workflow_worker_status()")
q -c "ALTER TABLE engage.event_queue RENAME TO event_queue_away" >/dev/null
# Each commit that queues events would wake the worker; here the queue is gone, so it fails on its
# own schedule: at 1, 2, 4 and 8 seconds.
q -c "SELECT engage_internal.wake_workflow_worker()" >/dev/null
wait_for "SELECT count(*) >= 4 FROM engage.notifications WHERE kind = 'worker_failing'" 25 || true
check "four failures were recorded, each waiting twice as long" "1,2,4,8" \
    "$(q -c "SELECT string_agg(details->>'retry_in_seconds', ',' ORDER BY notification_id) FROM
             (SELECT * FROM engage.notifications WHERE kind = 'worker_failing' ORDER BY notification_id LIMIT 4) n")"
check "the worker did not restart" "$worker_pid" "$(q -c "SELECT pid FROM engage.workflow_worker_status()")"
q -c "ALTER TABLE engage.event_queue_away RENAME TO event_queue" >/dev/null
q -c "SELECT engage.generate_event('{\"eventTypeKey\": \"greedyEvent\", \"keyValue\": \"G-1\", \"params\": [{\"name\": \"s\", \"value\": \"x\"}]}')" >/dev/null
wait_for "SELECT count(*) = 2 FROM engage.sends WHERE message_id = 7" 40 || true
check "the worker recovered once the queue was back" 2 "$(q -c "SELECT count(*) FROM engage.sends WHERE message_id = 7")"

say "the server log"
check "no backend was terminated by a signal" 0 "$(grep -c 'terminated by signal' "$dir/server.log" || true)"
check "the server is up" up "$(alive)"
cluster_stop "$C"
