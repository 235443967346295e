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
    c.segments.insert(1, vec![]);
    c.segments.insert(2, vec![3]);
    c.segments.insert(3, vec![]);
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
        s.contains(r#"GROUP BY k.contact_id HAVING sum(r."amount") >= (($3::text[])[1])::numeric"#),
        "{s}"
    );
    let e =
        sql(json!({"event": "cartAbandoned", "times": {"op": "at_least", "value": 3}, "within_days": 30}));
    assert!(
        e.contains("HAVING count(*) >= (($3::text[])[3])::bigint")
            && e.contains("make_interval(days => (($3::text[])[2])::integer)"),
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
