#!/usr/bin/env bash
# Orders benchmark, each measurement against its baseline in the same run on the same cluster:
#   - add_orders: CALLS (default 100) calls of 1,000 orders with 3 items each, new and then
#     changed (delivered, new totals and items), each call its own transaction; vs a hand-written
#     upsert of the same bodies into plain tables with the same columns and keys
#     (bench.plain_add_orders: INSERT … ON CONFLICT, then the items replaced);
#   - RFM: a full recompute_rfm over CONTACTS (default 1,000,000) contacts and RFM_ORDERS
#     (5,000,000) orders into an empty table, vs one hand-written INSERT … SELECT of the same cells
#     (checked equal); then 1% of the contacts order (add_orders) and the incremental recompute
#     is reported relative to the full one;
#   - revenue: attribute_revenue over REVENUE_ORDERS (1,000,000) orders and ACTIVITIES
#     (10,000,000) activities, vs one hand-written INSERT … SELECT of the same rule (checked equal).
# Each measurement is the median of ROUNDS runs (default 3). PARTS picks some of add_orders, rfm
# and revenue (default all three). Release build, own cluster.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
ROUNDS="${ROUNDS:-3}"
CONTACTS="${CONTACTS:-1000000}"
CALLS="${CALLS:-100}"
RFM_ORDERS="${RFM_ORDERS:-5000000}"
REVENUE_ORDERS="${REVENUE_ORDERS:-1000000}"
ACTIVITIES="${ACTIVITIES:-10000000}"
PARTS="${PARTS:-add_orders rfm revenue}"
AT="2027-01-01 00:00Z"
C=bench-orders
DB=engage_bench_orders
bench_cluster "$C" "max_wal_size = 16GB" "checkpoint_timeout = 30min" "shared_buffers = 1GB"
q() { cluster_psql "$C" -d "$DB" -X -q -v ON_ERROR_STOP=1 "$@"; }
PGOPTIONS="-c client_min_messages=warning" cluster_psql "$C" -d postgres -X -q \
    -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
say "loading benchmark data ($CONTACTS contacts, $CALLS bodies of 1,000 orders)"
q -v contacts="$CONTACTS" -v calls="$CALLS" -f "$ROOT/bench/orders_setup.sql" >/dev/null
q -c "VACUUM ANALYZE" >/dev/null
med() { echo "$1" | tr ' ' '\n' | grep . | median; }
elapsed_ms() { local t0; t0="$(date +%s%N)"; "$@" >/dev/null; echo $((($(date +%s%N) - t0) / 1000000)); }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# calls FUNCTION COLUMN: one statement per body, each its own transaction.
calls() {
    for n in $(seq "$CALLS"); do echo "SELECT $1($2) FROM bench.bodies WHERE n = $n;"; done >"$work/$1.$2.sql"
    echo "$work/$1.$2.sql"
}
declare -A T

part() { [[ " $PARTS " == *" $1 "* ]]; }
part add_orders && say "add_orders: $CALLS calls of 1,000 orders with 3 items, new then changed"
for round in $(seq "$ROUNDS"); do
    part add_orders || break
    q -c "SET client_min_messages = warning" \
        -c "TRUNCATE engage.orders, engage.order_items, engage.order_status_history, engage.revenue, engage.rfm_stale,
                     engage.events, engage.event_queue, bench.orders, bench.order_items" \
        -c "VACUUM ANALYZE engage.orders, engage.order_items, bench.orders, bench.order_items" -c CHECKPOINT >/dev/null
    new="$(elapsed_ms q -f "$(calls engage.add_orders body)")"
    changed="$(elapsed_ms q -f "$(calls engage.add_orders changed)")"
    q -c CHECKPOINT >/dev/null
    plain_new="$(elapsed_ms q -f "$(calls bench.plain_add_orders body)")"
    plain_changed="$(elapsed_ms q -f "$(calls bench.plain_add_orders changed)")"
    differ="$(q -At -c "SELECT (SELECT count(*) FROM engage.orders o FULL JOIN bench.orders p USING (external_order_id)
                                WHERE (o.status, o.total_cost, o.contact_id) IS DISTINCT FROM (p.status, p.total_cost, p.contact_id))
                             + (SELECT count(*) FROM engage.order_items i FULL JOIN bench.order_items p
                                  USING (contact_id, order_id, position) WHERE i.cost IS DISTINCT FROM p.cost)")"
    events="$(q -At -c "SELECT count(*) FROM engage.events")"
    [ "$differ" = 0 ] && [ "$events" = $((CALLS * 2000)) ] \
        || { echo "round $round: $differ rows differ, $events events" >&2; exit 1; }
    T[new]+="$new "; T[changed]+="$changed "; T[plain_new]+="$plain_new "; T[plain_changed]+="$plain_changed "
    echo "round $round: add_orders new $new ms, changed $changed ms; plain upsert new $plain_new ms, changed $plain_changed ms"
done

# load_orders PREFIX COUNT DAYS EVERY: COUNT orders of the contacts, in place of those there are,
# dated over the DAYS before AT, every EVERYth one cancelled and the others delivered.
load_orders() {
    q -c "SET client_min_messages = warning" \
        -c "TRUNCATE engage.orders, engage.order_items, engage.order_status_history, engage.revenue, engage.rfm_stale,
                     engage.contact_rfm" \
        -c "INSERT INTO engage.orders (contact_id, external_order_id, external_customer_id, status, order_date, total_cost, currency)
            SELECT 1 + (i * 7919) % $CONTACTS, '$1' || i, 'C' || (1 + (i * 7919) % $CONTACTS),
                   CASE WHEN i % $4 = 0 THEN 'CANCELLED' ELSE 'DELIVERED' END,
                   timestamptz '$AT' - make_interval(mins => ((i * 104729) % ($3 * 1440))::integer), 5 + (i * 31) % 500, 'USD'
            FROM generate_series(1::bigint, $2) i" >/dev/null
}

if part rfm; then
    say "RFM: loading $RFM_ORDERS orders of $CONTACTS contacts"
    load_orders R "$RFM_ORDERS" 730 5
    q -c "VACUUM ANALYZE" >/dev/null
fi
for round in $(seq "$ROUNDS"); do
    part rfm || break
    q -c "TRUNCATE engage.contact_rfm, engage.rfm_stale, bench.rfm" -c "UPDATE engage.rfm_bands SET recomputed_at = NULL" \
        -c "DELETE FROM engage.orders WHERE external_order_id LIKE 'I%'" -c "VACUUM ANALYZE engage.contact_rfm, bench.rfm" \
        -c CHECKPOINT >/dev/null
    full="$(q -c '\timing on' -c "SELECT * FROM engage.recompute_rfm('$AT', true)" | timing_ms)"
    q -c CHECKPOINT >/dev/null
    plain="$(q -c '\timing on' -c "CALL bench.plain_rfm('$AT')" | timing_ms)"
    differ="$(q -At -c "SELECT count(*) FROM engage.contact_rfm x FULL JOIN bench.rfm y USING (contact_id)
                        WHERE (x.frequency, x.monetary, x.r, x.f, x.m, x.segment) IS DISTINCT FROM (y.frequency, y.monetary, y.r, y.f, y.m, y.segment)")"
    [ "$differ" = 0 ] || { echo "round $round: $differ RFM cells differ" >&2; exit 1; }
    again="$(q -c '\timing on' -c "SELECT * FROM engage.recompute_rfm('$AT', true)" | timing_ms)"
    # 1% of the contacts order (1,000 a call), then the incremental recompute.
    for k in $(seq 0 $((CONTACTS / 100 / 1000 - 1))); do
        echo "SELECT engage.add_orders(jsonb_build_object('orders', jsonb_agg(jsonb_build_object(
                'externalOrderId', 'I$round-' || i, 'externalCustomerId', 'C' || (i * 100), 'totalCost', 250,
                'status', 'DELIVERED', 'date', '2026-12-30T12:00:00Z', 'currency', 'USD'))))
              FROM generate_series($((k * 1000 + 1)), $(((k + 1) * 1000))) i;"
    done >"$work/one_percent.sql"
    q -f "$work/one_percent.sql" >/dev/null
    incremental="$(q -c '\timing on' -c "SELECT * FROM engage.recompute_rfm('$AT')" | timing_ms)"
    T[rfm]+="$full "; T[rfm_plain]+="$plain "; T[rfm_again]+="$again "; T[rfm_incremental]+="$incremental "
    echo "round $round: recompute_rfm full $full ms (again, nothing changed: $again ms), incremental after 1% ordered $incremental ms; hand-written $plain ms"
done

if part revenue; then
    say "revenue: loading $REVENUE_ORDERS orders and $ACTIVITIES activities"
    load_orders V "$REVENUE_ORDERS" 30 10
    q -c "INSERT INTO engage.contact_activities (activity, activity_at, contact_id, message_id, message_name, campaign_type,
                                                 media_type, click_event_link)
          SELECT (ARRAY['DELIVERED', 'DELIVERED', 'DELIVERED', 'DELIVERED', 'RECEIVED', 'RECEIVED', 'RECEIVED', 'CLICKED',
                        'UNSUBSCRIBED', 'SPAM'])[1 + i % 10],
                 timestamptz '$AT' - make_interval(mins => ((i * 7727) % (60 * 1440))::integer), 1 + (i * 104723) % $CONTACTS,
                 1 + i % 20, 'promo ' || (1 + i % 20), 'Group', 'Email',
                 CASE WHEN i % 10 = 7 THEN 'https://shop.example.com/sale' END
          FROM generate_series(1::bigint, $ACTIVITIES) i" -c "VACUUM ANALYZE" >/dev/null
fi
for round in $(seq "$ROUNDS"); do
    part revenue || break
    q -c "TRUNCATE engage.revenue, bench.revenue" -c CHECKPOINT >/dev/null
    ours="$(q -c '\timing on' -c "SELECT engage.attribute_revenue()" | timing_ms)"
    q -c CHECKPOINT >/dev/null
    plain="$(q -c '\timing on' -c "CALL bench.plain_revenue()" | timing_ms)"
    differ="$(q -At -c "SELECT count(*) FROM engage.revenue x FULL JOIN bench.revenue y USING (contact_id, order_id)
                        WHERE x.activity_id IS DISTINCT FROM y.activity_id")"
    attributed="$(q -At -c "SELECT count(*) FROM engage.revenue")"
    [ "$differ" = 0 ] || { echo "round $round: $differ revenue rows differ" >&2; exit 1; }
    T[revenue]+="$ours "; T[revenue_plain]+="$plain "
    echo "round $round: attribute_revenue $ours ms ($attributed orders attributed); hand-written $plain ms"
done

say "results (median of $ROUNDS rounds)"
ratio() { echo "$1 / $2" | bc -l; }
printf '| measurement | pg_engage | baseline | ratio |\n| --- | --- | --- | --- |\n'
if part add_orders; then
    n="$(med "${T[new]}")"; c="$(med "${T[changed]}")"; pn="$(med "${T[plain_new]}")"; pc="$(med "${T[plain_changed]}")"
    printf '| add_orders, %s × 1,000 new orders (3 items) | %s ms | %s ms (plain upsert) | %.2f× |\n' "$CALLS" "$n" "$pn" "$(ratio "$n" "$pn")"
    printf '| add_orders, the same orders changed | %s ms | %s ms (plain upsert) | %.2f× |\n' "$c" "$pc" "$(ratio "$c" "$pc")"
fi
if part rfm; then
    r="$(med "${T[rfm]}")"; rp="$(med "${T[rfm_plain]}")"; ra="$(med "${T[rfm_again]}")"; ri="$(med "${T[rfm_incremental]}")"
    printf '| recompute_rfm full, %s contacts, %s orders | %.0f ms | %.0f ms (hand-written) | %.2f× |\n' "$CONTACTS" "$RFM_ORDERS" "$r" "$rp" "$(ratio "$r" "$rp")"
    printf '| recompute_rfm full again, nothing changed | %.0f ms | %.0f ms (full) | %.2f× of full |\n' "$ra" "$r" "$(ratio "$ra" "$r")"
    printf '| recompute_rfm incremental after 1%% ordered | %.0f ms | %.0f ms (full) | %.3f× of full |\n' "$ri" "$r" "$(ratio "$ri" "$r")"
fi
if part revenue; then
    v="$(med "${T[revenue]}")"; vp="$(med "${T[revenue_plain]}")"
    printf '| attribute_revenue, %s orders, %s activities | %.0f ms | %.0f ms (hand-written) | %.2f× |\n' "$REVENUE_ORDERS" "$ACTIVITIES" "$v" "$vp" "$(ratio "$v" "$vp")"
fi
