//! The compiler alone: what SQL and parameters a rule gives, and where a bad rule is refused.
//! (That the SQL runs and selects the right contacts is tested in the database, by pg_regress.)

use crate::{compile, Catalog, Column, ContactKey, FieldType, RuleError, Source};
use serde_json::json;

fn catalog() -> Catalog {
    let mut c = Catalog::default();
    c.fields.insert(15868, (FieldType::Combobox, vec!["M".into(), "F".into()]));
    c.fields.insert(100, (FieldType::Date, vec![]));
    c.fields.insert(101, (FieldType::Number, vec![]));
    c.fields.insert(102, (FieldType::String, vec![]));
    c.sources.insert(
        1043,
        Source {
            name: "promo_codes".into(),
            schema: "public".into(),
            table: "promo \"codes\"".into(),
            key_column: "email".into(),
            contact_key: ContactKey::Email,
            columns: vec![
                Column { name: "email".into(), kind: FieldType::String, text_like: true, zoned: false },
                Column { name: "amount".into(), kind: FieldType::Number, text_like: false, zoned: false },
                Column { name: "issued".into(), kind: FieldType::Date, text_like: false, zoned: true },
            ],
        },
    );
    c.event_types.insert("cartAbandoned".into(), 7);
    c.messages.insert(42);
    c.rfm_segments = vec!["Champions".into(), "Can't lose them".into(), "Lost".into()];
    c.segments.insert(1, vec![]);
    c.segments.insert(2, vec![3]);
    c.segments.insert(3, vec![]);
    c.field_names.insert("loyalty points".into(), vec![101]);
    c.source_names.insert("promo_codes".into(), vec![1043]);
    c.message_names.insert("welcome".into(), vec![42]);
    c.message_names.insert("newsletter".into(), vec![40, 41]);
    c.segment_names.insert("vips".into(), vec![3]);
    c
}

fn refusal(rule: serde_json::Value) -> RuleError {
    compile(&rule, &catalog()).expect_err("refused")
}

#[test]
fn values_are_parameters_and_names_are_quoted() {
    let hostile = "x'); DROP TABLE engage.contacts; --";
    let c = compile(
        &json!({"and": [
            {"field": 102, "op": "equals", "value": hostile},
            {"source": 1043, "where": [{"column": "email", "op": "starts_with", "value": hostile}]}
        ]}),
        &catalog(),
    )
    .unwrap();
    assert!(!c.sql.contains("DROP TABLE"), "{}", c.sql);
    assert_eq!(c.params, ["102", hostile, hostile]);
    assert!(c.sql.contains(r#""public"."promo ""codes""""#), "{}", c.sql);
    assert!(c.sql.starts_with("SELECT c.contact_id FROM engage.contacts c WHERE ("));
}

#[test]
fn operators_fit_the_field_type() {
    let sql = |rule| compile(&rule, &catalog()).unwrap().sql;
    assert!(sql(json!({"field": 101, "op": "greater", "value": 10}))
        .contains("f.value_number > (($3::text[])[2])::numeric"));
    assert!(
        sql(json!({"field": 100, "op": "anniversary_is_today"})).contains("to_char(f.value_date, 'MM-DD')")
    );
    assert!(sql(json!({"field": 100, "op": "within_last_days", "value": 30})).contains("BETWEEN"));
    assert!(
        sql(json!({"field": 15868, "op": "in", "value": ["M", "F"]})).contains("jsonb_array_elements_text")
    );
    // Negations include contacts without a value; is_empty means no value.
    assert!(sql(json!({"field": 102, "op": "not_equals", "value": "a"}))
        .starts_with("SELECT c.contact_id FROM engage.contacts c WHERE NOT c.contact_id IN"));
    assert!(sql(json!({"field": 102, "op": "is_empty"})).contains("WHERE NOT c.contact_id IN"));
    // `not` takes an unknown test (a value the contact does not have) as not matching.
    assert!(sql(json!({"not": {"attribute": "last_name", "op": "equals", "value": "Kozak"}}))
        .contains("WHERE NOT coalesce(c.last_name"));
    let e = refusal(json!({"and": [{"channel": "email"}, {"field": 101, "op": "contains", "value": "1"}]}));
    assert_eq!(e.path, "rule.and[1].op");
    assert_eq!(e.message, "a number has no operator contains");
    assert!(e.hint.unwrap().starts_with("A number has: equals, not_equals, in"));
    assert_eq!(refusal(json!({"field": 15868, "op": "equals", "value": "X"})).path, "rule.value");
    assert_eq!(
        refusal(json!({"field": 100, "op": "before", "value": "2026-02-30"})).message,
        "a date must be written YYYY-MM-DD"
    );
    assert_eq!(refusal(json!({"field": 101, "op": "in", "value": [1, "2"]})).path, "rule.value[1]");
}

#[test]
fn unknown_names_are_refused_where_they_are() {
    assert_eq!(
        refusal(json!({"or": [{"channel": "email"}, {"field": 999, "op": "is_empty"}]})).path,
        "rule.or[1].field"
    );
    assert_eq!(
        refusal(json!({"not": {"source": 5, "count": {"op": "greater", "value": 1}}})).path,
        "rule.not.source"
    );
    let e = refusal(json!({"source": 1043, "where": [{"column": "nope", "op": "is_empty"}]}));
    assert_eq!(
        (e.path.as_str(), e.hint.as_deref()),
        ("rule.where[0].column", Some("Its columns: email, amount, issued."))
    );
    assert_eq!(refusal(json!({"event": "nothing"})).path, "rule.event");
    assert_eq!(refusal(json!({"attribute": "shoe_size", "op": "equals", "value": 1})).path, "rule.attribute");
    assert_eq!(refusal(json!({"channel": "pigeon"})).path, "rule.channel");
    assert_eq!(refusal(json!({"segment": 99})).path, "rule.segment");
    assert_eq!(refusal(json!({"field": 101, "op": "equals", "value": 1, "extra": 1})).path, "rule.extra");
    assert_eq!(refusal(json!({"and": []})).path, "rule.and");
    assert_eq!(refusal(json!({"and": [{"channel": "email"}], "or": []})).path, "rule.or");
    assert_eq!(refusal(json!({"colour": "red"})).message, "unknown condition (key colour)");
    assert_eq!(refusal(json!([1])).message, "a rule is a JSON object");
}

#[test]
fn a_rule_of_one_condition_on_rows_selects_them_directly() {
    let sql = |rule| compile(&rule, &catalog()).unwrap().sql;
    assert!(sql(json!({"field": 101, "op": "greater", "value": 1}))
        .starts_with("SELECT contact_id FROM (SELECT f.contact_id FROM engage.contact_fields f WHERE"));
    assert!(sql(json!({"source": 1043}))
        .starts_with("SELECT contact_id FROM (SELECT k.contact_id FROM engage.channels k"));
    // Not when combined, negated, or needing the contact's time zone.
    for rule in [
        json!({"and": [{"field": 101, "op": "greater", "value": 1}]}),
        json!({"not": {"field": 101, "op": "greater", "value": 1}}),
        json!({"field": 100, "op": "is_today"}),
        json!({"channel": "email"}),
    ] {
        assert!(sql(rule.clone()).starts_with("SELECT c.contact_id FROM engage.contacts c WHERE"), "{rule}");
    }
}

#[test]
fn sets_or_ed_together_become_one_set() {
    let sql = compile(
        &json!({"and": [{"or": [{"field": 101, "op": "greater", "value": 1}, {"source": 1043}]}, {"channel": "email"}]}),
        &catalog(),
    )
    .unwrap()
    .sql;
    assert!(sql.contains(" UNION SELECT k.contact_id FROM engage.channels k"), "{sql}");
    assert_eq!(sql.matches(" OR ").count(), 0, "{sql}");
    // With a test on the contact row among them, OR stays OR.
    let mixed = compile(
        &json!({"or": [{"source": 1043}, {"attribute": "language", "op": "equals", "value": "uk"}]}),
        &catalog(),
    )
    .unwrap()
    .sql;
    assert!(mixed.contains(" OR c.language_code"), "{mixed}");
}

#[test]
fn counts_sums_and_events() {
    let sql = |rule| compile(&rule, &catalog()).unwrap().sql;
    let s = sql(json!({"source": 1043, "sum": {"column": "amount", "op": "greater_or_equal", "value": 100}}));
    assert!(
        s.contains(
            r#"GROUP BY k.contact_id HAVING coalesce(sum(r."amount"), 0) >= (($3::text[])[1])::numeric"#
        ),
        "{s}"
    );
    let e =
        sql(json!({"event": "cartAbandoned", "times": {"op": "at_least", "value": 3}, "within_days": 30}));
    assert!(
        e.contains("HAVING count(*) >= (($3::text[])[3])::bigint")
            && e.contains("- (($3::text[])[2])::integer * interval '24 hours'"),
        "{e}"
    );
    // At most, and never, include contacts without any such event.
    assert!(sql(json!({"event": "cartAbandoned", "times": {"op": "at_most", "value": 1}}))
        .contains("NOT c.contact_id IN"));
    assert!(sql(json!({"event": "cartAbandoned", "never": true})).contains("WHERE NOT c.contact_id IN"));
    assert!(sql(json!({"event": "cartAbandoned", "params": {"sku": "A1"}}))
        .contains("e.params @> (($3::text[])[2])::jsonb"));
    assert_eq!(
        refusal(json!({"source": 1043, "sum": {"column": "email", "op": "greater", "value": 1}})).path,
        "rule.sum.column"
    );
    assert_eq!(
        refusal(json!({"event": "cartAbandoned", "times": {"op": "often", "value": 1}})).path,
        "rule.times.op"
    );
}

#[test]
fn segments_in_a_cycle_are_refused() {
    let mut c = catalog();
    c.defining = Some(3);
    // 3 would use 2, which uses 3.
    let e = compile(&json!({"segment": 2}), &c).unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        ("rule.segment", "segments would use each other in a cycle: 3 → 2 → 3")
    );
    assert_eq!(
        compile(&json!({"segment": 3}), &c).unwrap_err().message,
        "segments would use each other in a cycle: 3 → 3"
    );
    let ok = compile(&json!({"segment": 1}), &c).unwrap();
    assert_eq!(ok.segments, [1]);
}

#[test]
fn limits() {
    let mut deep = json!({"channel": "email"});
    for _ in 0..40 {
        deep = json!({"not": deep});
    }
    assert!(refusal(deep).message.contains("nests deeper"));
    let wide = json!({"or": vec![json!({"channel": "email"}); 501]});
    assert!(refusal(wide).message.contains("at most 500 conditions"));
}

#[test]
fn orders() {
    let compiled = |rule| compile(&rule, &catalog()).unwrap();
    // At least one delivered order, up to the instant. The status is one of the compiler's own
    // words, written as a literal so that the index of delivered orders (WHERE status =
    // 'DELIVERED') can serve; nothing of the rule's text reaches the SQL.
    let c = compiled(json!({"order": "DELIVERED"}));
    assert_eq!(
        c.sql,
        "SELECT c.contact_id FROM engage.contacts c WHERE c.contact_id IN (SELECT o.contact_id FROM engage.orders o \
         WHERE o.status = 'DELIVERED' AND o.order_date <= $1::timestamptz)"
    );
    assert!(c.params.is_empty());
    // Any status: no test on it.
    assert!(!compiled(json!({"order": "any"})).sql.contains("o.status"));
    // "No order in the last 90 days": the contacts without one, those who never ordered included.
    let c = compiled(json!({"order": "DELIVERED", "within_days": 90, "never": true}));
    assert!(
        c.sql.starts_with(
            "SELECT c.contact_id FROM engage.contacts c WHERE NOT c.contact_id IN (SELECT o.contact_id"
        ) && c
            .sql
            .ends_with("o.order_date > $1::timestamptz - (($3::text[])[1])::integer * interval '24 hours')"),
        "{}",
        c.sql
    );
    assert_eq!(c.params, ["90"]);
    // Count and total together; 0 fails them, so the grouped orders (one row per contact, and
    // deleted with their contact) stand as the whole statement.
    let c = compiled(
        json!({"order": "any", "times": {"op": "at_least", "value": 2}, "total": {"op": "greater", "value": 99.5}}),
    );
    assert_eq!(
        c.sql,
        "SELECT contact_id FROM (SELECT o.contact_id FROM engage.orders o WHERE o.order_date <= $1::timestamptz \
         GROUP BY o.contact_id HAVING count(*) >= (($3::text[])[1])::bigint AND coalesce(sum(o.total_cost), 0) > \
         (($3::text[])[2])::numeric) matched(contact_id)"
    );
    assert_eq!(c.params, ["2", "99.5"]);
    // A contact with no orders has a total of 0: "spent at most 100" includes it (all but those
    // whose orders add up to more).
    let c = compiled(json!({"order": "DELIVERED", "total": {"op": "at_most", "value": 100}}));
    assert!(
        c.sql.contains("WHERE NOT c.contact_id IN (SELECT o.contact_id FROM engage.orders o")
            && c.sql.ends_with("HAVING NOT (coalesce(sum(o.total_cost), 0) <= (($3::text[])[1])::numeric))"),
        "{}",
        c.sql
    );
    // 0 passes at_most, less than a positive number, greater than a negative one, exactly 0; it
    // must pass every test for a contact without orders to pass.
    for (rule, zero_passes) in [
        (json!({"order": "any", "times": {"op": "at_most", "value": 0}}), true),
        (json!({"order": "any", "times": {"op": "exactly", "value": 0}}), true),
        (json!({"order": "any", "times": {"op": "exactly", "value": 1}}), false),
        (json!({"order": "any", "times": {"op": "at_least", "value": 0}}), true),
        (json!({"order": "any", "total": {"op": "less", "value": 0.01}}), true),
        (json!({"order": "any", "total": {"op": "less", "value": 0}}), false),
        (json!({"order": "any", "total": {"op": "less", "value": -0.0}}), false),
        (json!({"order": "any", "total": {"op": "greater", "value": -5}}), true),
        (json!({"order": "any", "total": {"op": "at_least", "value": 0}}), true),
        (
            json!({"order": "any", "times": {"op": "at_most", "value": 3}, "total": {"op": "at_least", "value": 50}}),
            false,
        ),
        (
            json!({"order": "any", "times": {"op": "at_most", "value": 3}, "total": {"op": "at_most", "value": 50}}),
            true,
        ),
    ] {
        assert_eq!(compiled(rule.clone()).sql.contains("WHERE NOT c.contact_id IN"), zero_passes, "{rule}");
    }
    // Negated: NOT over the IN set, which is never unknown.
    assert!(compiled(json!({"not": {"order": "CANCELLED"}})).sql.contains("WHERE NOT c.contact_id IN"));
    assert!(compiled(json!({"not": {"order": "DELIVERED", "never": true}}))
        .sql
        .contains("WHERE NOT coalesce(NOT c.contact_id IN (SELECT o.contact_id"));
}

#[test]
fn activities_and_rfm_segments() {
    let compiled = |rule| compile(&rule, &catalog()).unwrap();
    // Activities without a contact are left out; the activity and the message are parameters.
    let c = compiled(json!({"activity": "CLICKED", "message": 42, "within_days": 7}));
    assert_eq!(
        c.sql,
        "SELECT c.contact_id FROM engage.contacts c WHERE c.contact_id IN (SELECT a.contact_id FROM \
         engage.contact_activities a WHERE a.contact_id IS NOT NULL AND a.activity = (($3::text[])[1])::text AND \
         a.message_id = (($3::text[])[2])::integer AND a.activity_at <= $1::timestamptz AND a.activity_at > \
         $1::timestamptz - (($3::text[])[3])::integer * interval '24 hours')"
    );
    assert_eq!(c.params, ["CLICKED", "42", "7"]);
    // Opened (RECEIVED) at most once: contacts with no opens included. Activities outlive their
    // contacts, so the grouped rows go through the contacts table even when 0 fails.
    assert!(compiled(json!({"activity": "RECEIVED", "times": {"op": "at_most", "value": 1}}))
        .sql
        .contains("WHERE NOT c.contact_id IN (SELECT a.contact_id"));
    assert!(compiled(json!({"activity": "DELIVERED", "times": {"op": "at_least", "value": 2}}))
        .sql
        .starts_with(
            "SELECT c.contact_id FROM engage.contacts c WHERE c.contact_id IN (SELECT a.contact_id"
        ));
    assert!(compiled(json!({"activity": "SPAM", "never": true})).sql.contains("WHERE NOT c.contact_id IN"));
    // An RFM segment: contact_rfm has one row per contact, so it stands alone.
    let c = compiled(json!({"rfm_segment": "Can't lose them"}));
    assert_eq!(
        c.sql,
        "SELECT contact_id FROM (SELECT r.contact_id FROM engage.contact_rfm r WHERE r.segment = \
         (($3::text[])[1])::text) matched(contact_id)"
    );
    assert_eq!(c.params, ["Can't lose them"]);
    assert!(compiled(json!({"not": {"rfm_segment": "Lost"}})).sql.contains("WHERE NOT c.contact_id IN"));
}

#[test]
fn new_conditions_are_refused_where_they_are() {
    let e = refusal(json!({"and": [{"channel": "email"}, {"order": "SHIPPED"}]}));
    assert_eq!(
        (e.path.as_str(), e.message.as_str(), e.hint.as_deref()),
        (
            "rule.and[1].order",
            "unknown order status \"SHIPPED\"",
            Some(
                "Statuses: INITIALIZED, IN_PROGRESS, DELIVERED, CANCELLED, ABANDONED_SHOPPING_CART, or any."
            )
        )
    );
    // Statuses and activities are written as the platform writes them.
    assert_eq!(refusal(json!({"order": "delivered"})).path, "rule.order");
    let e = refusal(json!({"or": [{"activity": "OPENED"}]}));
    assert_eq!((e.path.as_str(), e.message.as_str()), ("rule.or[0].activity", "unknown activity \"OPENED\""));
    assert!(e.hint.unwrap().contains("RECEIVED is an open"));
    let e = refusal(json!({"activity": "CLICKED", "message": 7}));
    assert_eq!((e.path.as_str(), e.message.as_str()), ("rule.message", "message 7 does not exist"));
    assert_eq!(refusal(json!({"activity": "CLICKED", "message": "42"})).path, "rule.message");
    let e = refusal(json!({"not": {"rfm_segment": "Champion"}}));
    assert_eq!(
        (e.path.as_str(), e.message.as_str(), e.hint.as_deref()),
        (
            "rule.not.rfm_segment",
            "unknown RFM segment \"Champion\"",
            Some("RFM segments: Champions, Can't lose them, Lost.")
        )
    );
    let mut no_rfm = catalog();
    no_rfm.rfm_segments.clear();
    assert_eq!(
        compile(&json!({"rfm_segment": "Champions"}), &no_rfm).unwrap_err().hint.as_deref(),
        Some("engage.rfm_segments has none.")
    );
    let e = refusal(json!({"order": "any", "never": true, "total": {"op": "less", "value": 1}}));
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        ("rule.never", "an order condition has never or total, not both")
    );
    assert_eq!(
        refusal(json!({"activity": "CLICKED", "times": {"op": "at_least", "value": 1}, "never": false}))
            .message,
        "an activity condition has never or times, not both"
    );
    assert_eq!(refusal(json!({"order": "any", "never": "yes"})).message, "never is true or false");
    let e = refusal(json!({"order": "any", "total": {"op": "exactly", "value": 1}}));
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        ("rule.total.op", "total.op is one of at_least, at_most, greater, less")
    );
    assert_eq!(
        refusal(json!({"order": "any", "total": {"op": "less", "value": "1"}})).path,
        "rule.total.value"
    );
    assert_eq!(
        refusal(json!({"order": "any", "times": {"op": "at_least", "value": 1.5}})).path,
        "rule.times.value"
    );
    assert_eq!(
        refusal(json!({"order": "any", "times": {"op": "at_least", "value": 1, "x": 1}})).path,
        "rule.times.x"
    );
    assert_eq!(refusal(json!({"order": "any", "within_days": -1})).path, "rule.within_days");
    // A total is of orders only; an RFM segment condition has no other keys.
    let e = refusal(json!({"activity": "CLICKED", "total": {"op": "less", "value": 1}}));
    assert_eq!(
        (e.path.as_str(), e.message.as_str()),
        ("rule.total", "an activity condition has no key total")
    );
    assert_eq!(refusal(json!({"rfm_segment": "Lost", "within_days": 3})).path, "rule.within_days");
    // The hint for an unknown condition names the new kinds.
    assert!(refusal(json!({"colour": "red"}))
        .hint
        .unwrap()
        .contains("event, order, activity, rfm_segment, segment"));
}

/// Decisions the rule language leaves open, as the SQL shows them (pg_regress's
/// segments_commerce.sql shows them on data).
#[test]
fn decisions() {
    let sql = |rule| compile(&rule, &catalog()).unwrap().sql;
    // a. A source's count and sum: a contact whose rows all fail the `where` (or who has none, or
    //    no key) has a count of 0 and a sum of 0, so "count equals 0" selects it; the sum of no
    //    values (or only NULLs) is 0.
    let s = sql(json!({"source": 1043, "where": [{"column": "amount", "op": "greater", "value": 5}],
                       "count": {"op": "equals", "value": 0}}));
    assert!(
        s.starts_with(
            "SELECT c.contact_id FROM engage.contacts c WHERE NOT c.contact_id IN (SELECT k.contact_id"
        ) && s.ends_with("GROUP BY k.contact_id HAVING NOT (count(*) = (($3::text[])[2])::numeric))"),
        "{s}"
    );
    let s = sql(json!({"source": 1043, "sum": {"column": "amount", "op": "less", "value": 10}}));
    assert!(s.contains(r#"HAVING NOT (coalesce(sum(r."amount"), 0) < "#), "{s}");
    assert_eq!(
        refusal(json!({"source": 1043, "count": {"op": "in", "value": [1]}})).message,
        "count.op is one of equals, not_equals, greater, greater_or_equal, less, less_or_equal"
    );
    // b. Only a date of an earlier year has an anniversary today.
    assert!(sql(json!({"field": 100, "op": "anniversary_is_today"}))
        .contains("(extract(year FROM f.value_date) < extract(year FROM (($1::timestamptz) AT TIME ZONE"));
    // c. created_at's "today" is the contact's, in its time zone or else $2 (engage.time_zone).
    assert!(sql(json!({"attribute": "created_at", "op": "is_today"})).contains(
        "(c.created_at AT TIME ZONE coalesce(c.time_zone, $2::text))::date = \
         (($1::timestamptz) AT TIME ZONE coalesce(c.time_zone, $2::text))::date"
    ));
    // d. A NULL column in a source row: a negative operator in `where` takes it as different (the
    //    row matches), and `not` around the source is "no such row" (never unknown).
    assert!(sql(json!({"source": 1043, "where": [{"column": "amount", "op": "not_equals", "value": 10}]}))
        .contains(r#"AND NOT coalesce(r."amount" = (($3::text[])[1])::numeric, false))"#));
    assert!(sql(
        json!({"not": {"source": 1043, "where": [{"column": "amount", "op": "equals", "value": 10}]}})
    )
    .starts_with(
        "SELECT c.contact_id FROM engage.contacts c WHERE NOT c.contact_id IN (SELECT k.contact_id"
    ));
    // e. A timestamptz column's date is taken in the contact's time zone, else $2.
    assert!(sql(json!({"source": 1043, "where": [{"column": "issued", "op": "is_today"}]}))
        .contains(r#"(r."issued" AT TIME ZONE coalesce(c.time_zone, $2::text))::date"#));
    // f. within_days is a rolling window of n × 24 hours back from the instant, not calendar days.
    let e = sql(json!({"event": "cartAbandoned", "within_days": 1}));
    assert!(
        e.contains(
            "e.registered_at <= $1::timestamptz AND e.registered_at > $1::timestamptz - \
             (($3::text[])[2])::integer * interval '24 hours'"
        ),
        "{e}"
    );
}

#[test]
fn fields_sources_messages_and_segments_by_name_compile_as_by_id() {
    let same = |by_name: serde_json::Value, by_id: serde_json::Value| {
        let (a, b) = (compile(&by_name, &catalog()).unwrap(), compile(&by_id, &catalog()).unwrap());
        assert_eq!((a.sql, a.params, a.segments), (b.sql, b.params, b.segments));
    };
    same(
        json!({"field": "loyalty points", "op": "greater", "value": 5}),
        json!({"field": 101, "op": "greater", "value": 5}),
    );
    same(json!({"source": "promo_codes"}), json!({"source": 1043}));
    same(json!({"activity": "CLICKED", "message": "welcome"}), json!({"activity": "CLICKED", "message": 42}));
    same(json!({"segment": "vips"}), json!({"segment": 3}));
    let unknown = refusal(json!({"segment": "nobody"}));
    assert_eq!(
        (unknown.path.as_str(), unknown.message.as_str()),
        ("rule.segment", "segment \"nobody\" does not exist")
    );
    assert_eq!(unknown.hint.as_deref(), Some("engage.segments lists them."));
    assert_eq!(
        refusal(json!({"field": true, "op": "is_empty"})).message,
        "field takes a field's numeric ID or its name"
    );
}
