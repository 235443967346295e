//! Conditions on how many rows a contact has, and what they add up to: a contact's log (events,
//! orders, message activities), counted in a window back from the instant, and a data source's
//! `count` and `sum`. One rule holds for all of them: a contact with no such rows has a count of
//! 0 and a total of 0, and is in the segment exactly when 0 passes the test (`"times": {"op":
//! "at_most", "value": 2}`, `"never": true` and `"total": {"op": "at_most", "value": 100}`
//! include it; `"times": {"op": "at_least", "value": 1}` does not). Rows that fail a `where` or
//! fall outside the window are no rows.

use crate::compile::{refuse, Pred};
use crate::sql::{Cast, Params, AT};
use crate::RuleError;
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;

/// A test on a count or total, and whether a contact with no rows (count 0, total 0) passes it.
pub(crate) struct Tally {
    sql: String,
    zero_passes: bool,
}

/// How a count or a total compares with a number: the operators (the rule's name, SQL's
/// symbol), whether the number is a whole number of times, and whether the comparison also names
/// the column it sums (a source's `sum`).
pub(crate) struct Scale {
    ops: &'static [(&'static str, &'static str)],
    whole: bool,
    column: bool,
}

/// The operators of a number, which a data source's count and sum take.
const NUMBER_OPS: &[(&str, &str)] = &[
    ("equals", "="),
    ("not_equals", "<>"),
    ("greater", ">"),
    ("greater_or_equal", ">="),
    ("less", "<"),
    ("less_or_equal", "<="),
];
/// A log's `times`.
pub(crate) const TIMES: Scale =
    Scale { ops: &[("at_least", ">="), ("at_most", "<="), ("exactly", "=")], whole: true, column: false };
/// An order condition's `total`.
pub(crate) const TOTAL: Scale = Scale {
    ops: &[("at_least", ">="), ("at_most", "<="), ("greater", ">"), ("less", "<")],
    whole: false,
    column: false,
};
/// A data source's `count` and `sum`.
pub(crate) const COUNT: Scale = Scale { ops: NUMBER_OPS, whole: false, column: false };
pub(crate) const SUM: Scale = Scale { ops: NUMBER_OPS, whole: false, column: true };

/// Most times a `times` may name, and most days a window may reach back.
const MAX_TIMES: u64 = 1_000_000;
const MAX_DAYS: u64 = 100_000;

/// `{"op": …, "value": n}` at `path` compared with `expression` (an aggregate: `count(*)`, or a
/// sum that is 0 over no rows) on `scale`.
pub(crate) fn compare(
    expression: &str,
    spec: &Value,
    scale: &Scale,
    path: &str,
    params: &mut Params,
) -> Result<Tally, RuleError> {
    let Scale { ops, whole, column } = *scale;
    let names = ops.iter().map(|(name, _)| *name).collect::<Vec<_>>().join("|");
    let name = path.rsplit('.').next().unwrap_or(path);
    let Value::Object(map) = spec else {
        return Err(refuse(path, format!("{name} is {{\"op\": {names}, \"value\": n}}")));
    };
    if let Some(extra) =
        map.keys().find(|k| !(["op", "value"].contains(&k.as_str()) || column && *k == "column"))
    {
        return Err(refuse(&format!("{path}.{extra}"), format!("{name} has no key {extra}")));
    }
    let op = map.get("op").and_then(Value::as_str);
    let Some(&(_, symbol)) = ops.iter().find(|(n, _)| Some(*n) == op) else {
        return Err(refuse(
            &format!("{path}.op"),
            format!("{name}.op is one of {}", names.replace('|', ", ")),
        ));
    };
    let value_path = format!("{path}.value");
    let (value, sign) = if whole {
        let n = map.get("value").and_then(Value::as_u64).filter(|n| *n <= MAX_TIMES).ok_or_else(|| {
            refuse(&value_path, format!("{name}.value is a whole number (0 to {MAX_TIMES})"))
        })?;
        (params.bind(n.to_string(), Cast::Bigint), n.cmp(&0))
    } else {
        let Some(Value::Number(n)) = map.get("value") else {
            return Err(refuse(&value_path, format!("{name}.value is a number")));
        };
        (params.bind(n.to_string(), Cast::Numeric), sign(n))
    };
    // Does 0 pass, that is, how does 0 compare with the value?
    let zero = sign.reverse();
    let zero_passes = match symbol {
        ">=" => zero != Ordering::Less,
        "<=" => zero != Ordering::Greater,
        ">" => zero == Ordering::Greater,
        "<" => zero == Ordering::Less,
        "<>" => zero != Ordering::Equal,
        _ => zero == Ordering::Equal,
    };
    Ok(Tally { sql: format!("{expression} {symbol} {value}"), zero_passes })
}

/// The sign of a JSON number, from its exact digits (`-0.0` and `0e5` are zero).
fn sign(n: &Number) -> Ordering {
    let text = n.to_string();
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    if !mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
        Ordering::Equal
    } else if text.starts_with('-') {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// A sum over a contact's rows that is 0 when none has a value.
pub(crate) fn total(column: &str) -> String {
    format!("coalesce(sum({column}), 0)")
}

/// The contacts whose rows (`rows`, a query of `contact`, not yet grouped) pass every tally. When
/// 0 passes them all, a contact with no rows passes too: the set is then every contact but those
/// whose rows fail. `existing`: `rows` names only existing contacts, so that the grouped query
/// can stand as the whole statement.
pub(crate) fn tallied(rows: &str, contact: &str, tallies: &[Tally], existing: bool) -> Pred {
    let test = tallies.iter().map(|t| t.sql.as_str()).collect::<Vec<_>>().join(" AND ");
    if tallies.iter().all(|t| t.zero_passes) {
        let failing =
            Pred::In { query: format!("{rows} GROUP BY {contact} HAVING NOT ({test})"), rows: false };
        Pred::Test(format!("NOT {}", failing.sql()))
    } else {
        Pred::In { query: format!("{rows} GROUP BY {contact} HAVING {test}"), rows: existing }
    }
}

/// A contact's log: a table of rows that each happened at a time.
pub(crate) struct Log<'a> {
    /// What errors call the condition (`an order condition`).
    pub what: &'a str,
    /// The table and its alias (`engage.orders o`), the contact and time columns (`o.contact_id`,
    /// `o.order_date`).
    pub from: &'a str,
    pub contact: &'a str,
    pub time: &'a str,
    /// The tests that pick the rows the condition counts (bound already).
    pub filters: Vec<String>,
    /// The column `total` sums, for a log that has one.
    pub amount: Option<&'a str>,
    /// Deleting a contact deletes its rows here: the log names existing contacts only.
    pub existing: bool,
}

/// The condition on a log's rows up to the instant `$1` (`within_days`: of the last n days):
/// at least one, none (`never`), or as many as `times` says and adding up to what `total` says.
pub(crate) fn counted(
    log: Log,
    map: &Map<String, Value>,
    path: &str,
    params: &mut Params,
) -> Result<Pred, RuleError> {
    let Log { what, from, contact, time, mut filters, amount, existing } = log;
    // Rows after the instant have not happened yet.
    filters.push(format!("{time} <= {AT}"));
    if let Some(days) = map.get("within_days") {
        // A rolling window of n times 24 hours back from the instant: the same for every contact
        // and every session (not calendar days, whose length the session's time zone decides).
        let days = days.as_u64().filter(|d| *d <= MAX_DAYS).ok_or_else(|| {
            refuse(
                &format!("{path}.within_days"),
                format!("within_days is a whole number of days (0 to {MAX_DAYS})"),
            )
        })?;
        let days = params.bind(days.to_string(), Cast::Integer);
        filters.push(format!("{time} > {AT} - {days} * interval '24 hours'"));
    }
    let rows = format!("SELECT {contact} FROM {from} WHERE {}", filters.join(" AND "));
    let mut tallies = Vec::new();
    for (key, expression, scale) in
        [("times", Some("count(*)".to_string()), TIMES), ("total", amount.map(total), TOTAL)]
    {
        let (Some(spec), Some(expression)) = (map.get(key), expression) else { continue };
        if map.contains_key("never") {
            return Err(refuse(&format!("{path}.never"), format!("{what} has never or {key}, not both")));
        }
        tallies.push(compare(&expression, spec, &scale, &format!("{path}.{key}"), params)?);
    }
    let once = Pred::In { query: rows.clone(), rows: false };
    Ok(match map.get("never") {
        _ if !tallies.is_empty() => tallied(&rows, contact, &tallies, existing),
        None | Some(Value::Bool(false)) => once,
        Some(Value::Bool(true)) => Pred::Test(format!("NOT {}", once.sql())),
        Some(_) => return Err(refuse(&format!("{path}.never"), "never is true or false")),
    })
}
