//! Operators, which types have them, and the SQL of a condition on one typed value.

use crate::catalog::FieldType;
use crate::sql::{Cast, Params, TODAY};
use crate::RuleError;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Before,
    After,
    WithinLast,
    WithinNext,
    IsToday,
    AnniversaryIsToday,
    IsTrue,
    IsFalse,
    IsEmpty,
    IsNotEmpty,
}

const ALL: [(&str, Op); 22] = [
    ("equals", Op::Equals),
    ("not_equals", Op::NotEquals),
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("contains", Op::Contains),
    ("not_contains", Op::NotContains),
    ("starts_with", Op::StartsWith),
    ("ends_with", Op::EndsWith),
    ("greater", Op::Greater),
    ("greater_or_equal", Op::GreaterOrEqual),
    ("less", Op::Less),
    ("less_or_equal", Op::LessOrEqual),
    ("before", Op::Before),
    ("after", Op::After),
    ("within_last_days", Op::WithinLast),
    ("within_next_days", Op::WithinNext),
    ("is_today", Op::IsToday),
    ("anniversary_is_today", Op::AnniversaryIsToday),
    ("is_true", Op::IsTrue),
    ("is_false", Op::IsFalse),
    ("is_empty", Op::IsEmpty),
    ("is_not_empty", Op::IsNotEmpty),
];

impl Op {
    pub fn parse(name: &str) -> Option<Op> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
    }

    pub fn name(self) -> &'static str {
        ALL.iter().find(|(_, op)| *op == self).map_or("?", |(n, _)| n)
    }

    /// The operators a type has, in the order the hint lists them.
    pub fn of(kind: FieldType) -> Vec<Op> {
        use Op::*;
        let specific: &[Op] = match kind {
            FieldType::String => &[Equals, NotEquals, In, NotIn, Contains, NotContains, StartsWith, EndsWith],
            FieldType::Combobox => &[Equals, NotEquals, In, NotIn],
            FieldType::Number => &[Equals, NotEquals, In, NotIn, Greater, GreaterOrEqual, Less, LessOrEqual],
            FieldType::Date => &[Equals, Before, After, WithinLast, WithinNext, IsToday, AnniversaryIsToday],
            FieldType::Boolean => &[IsTrue, IsFalse],
        };
        specific.iter().copied().chain([IsEmpty, IsNotEmpty]).collect()
    }

    /// The positive operator a negative one negates (`not_in` is NOT `in`).
    pub fn negated(self) -> Option<Op> {
        match self {
            Op::NotEquals => Some(Op::Equals),
            Op::NotIn => Some(Op::In),
            Op::NotContains => Some(Op::Contains),
            _ => None,
        }
    }
}

fn refuse(path: &str, message: String) -> RuleError {
    RuleError { path: path.to_string(), message, hint: None }
}

/// The operator at `path` for a value of `kind`, or an error listing the ones it has.
pub fn op_for(kind: FieldType, value: Option<&Value>, path: &str) -> Result<Op, RuleError> {
    let ops = Op::of(kind);
    let names = ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ");
    let text = match value {
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(refuse(path, "op must be a string".into())),
        None => {
            return Err(RuleError {
                path: path.to_string(),
                message: "the condition needs an op".into(),
                hint: Some(format!("A {} has: {names}.", kind.as_str())),
            })
        }
    };
    match Op::parse(text) {
        Some(op) if ops.contains(&op) => Ok(op),
        found => Err(RuleError {
            path: path.to_string(),
            message: match found {
                Some(_) => format!("a {} has no operator {text}", kind.as_str()),
                None => format!("unknown operator {text}"),
            },
            hint: Some(format!("A {} has: {names}.", kind.as_str())),
        }),
    }
}

/// The SQL of a positive operator (not `is_empty`, `is_not_empty` or a negation) on `column`,
/// a value of `kind`; `value` is at `path`. `allowed` lists a combobox's values.
pub fn predicate(
    kind: FieldType,
    op: Op,
    column: &str,
    value: Option<&Value>,
    allowed: &[String],
    path: &str,
    params: &mut Params,
) -> Result<String, RuleError> {
    let one = |params: &mut Params| -> Result<String, RuleError> {
        let v = value.ok_or_else(|| refuse(path, format!("{} needs a value", op.name())))?;
        scalar(kind, v, allowed, path).map(|(text, cast)| params.bind(text, cast))
    };
    Ok(match op {
        Op::Equals => format!("{column} = {}", one(params)?),
        Op::In => {
            let Some(Value::Array(items)) = value else {
                return Err(refuse(path, "in needs a list of values".into()));
            };
            if items.is_empty() {
                return Err(refuse(path, "in needs at least one value".into()));
            }
            let mut texts = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                texts.push(Value::String(scalar(kind, item, allowed, &format!("{path}[{i}]"))?.0));
            }
            let list = params.bind(Value::Array(texts).to_string(), Cast::Jsonb);
            let cast = if kind == FieldType::Number { "::numeric" } else { "" };
            format!("{column} IN (SELECT x{cast} FROM jsonb_array_elements_text({list}) x)")
        }
        Op::Contains => format!("strpos({column}, {}) > 0", one(params)?),
        Op::StartsWith => format!("starts_with({column}, {})", one(params)?),
        Op::EndsWith => {
            let p = one(params)?;
            format!("right({column}, length({p})) = {p}")
        }
        Op::Greater => format!("{column} > {}", one(params)?),
        Op::GreaterOrEqual => format!("{column} >= {}", one(params)?),
        Op::Less => format!("{column} < {}", one(params)?),
        Op::LessOrEqual => format!("{column} <= {}", one(params)?),
        Op::Before => format!("{column} < {}", one(params)?),
        Op::After => format!("{column} > {}", one(params)?),
        Op::WithinLast | Op::WithinNext => {
            let days = match value.and_then(Value::as_u64) {
                Some(d) if d <= 100_000 => params.bind(d.to_string(), Cast::Integer),
                _ => return Err(refuse(path, format!("{} needs a whole number of days (0 to 100000)", op.name()))),
            };
            match op {
                Op::WithinLast => format!("{column} BETWEEN {TODAY} - {days} AND {TODAY}"),
                _ => format!("{column} BETWEEN {TODAY} AND {TODAY} + {days}"),
            }
        }
        Op::IsToday => format!("{column} = {TODAY}"),
        // Only a date of an earlier year has an anniversary (a signup today is not its own, a
        // date to come has none yet). A 29 February birthday is celebrated on the 28th in years
        // without a 29th.
        Op::AnniversaryIsToday => format!(
            "(extract(year FROM {column}) < extract(year FROM {TODAY}) AND (to_char({column}, 'MM-DD') = to_char({TODAY}, 'MM-DD') \
             OR (to_char({column}, 'MM-DD') = '02-29' AND to_char({TODAY}, 'MM-DD') = '02-28' \
             AND extract(doy FROM date_trunc('year', {TODAY}) + interval '1 year' - interval '1 day') = 365)))"
        ),
        Op::IsTrue => format!("{column} IS TRUE"),
        Op::IsFalse => format!("{column} IS FALSE"),
        Op::IsEmpty => format!("{column} IS NULL"),
        Op::IsNotEmpty => format!("{column} IS NOT NULL"),
        Op::NotEquals | Op::NotIn | Op::NotContains => {
            return Err(refuse(path, format!("{} is compiled as the negation of its positive", op.name())))
        }
    })
}

/// One value of a type, checked, as the text its parameter is bound with.
fn scalar(kind: FieldType, v: &Value, allowed: &[String], path: &str) -> Result<(String, Cast), RuleError> {
    match (kind, v) {
        (FieldType::String, Value::String(s)) => Ok((s.clone(), Cast::Text)),
        (FieldType::Combobox, Value::String(s)) if allowed.is_empty() || allowed.contains(s) => {
            Ok((s.clone(), Cast::Text))
        }
        (FieldType::Combobox, Value::String(s)) => Err(RuleError {
            path: path.to_string(),
            message: format!("\"{s}\" is not one of the field's values"),
            hint: Some(format!("Its values: {}.", allowed.join(", "))),
        }),
        (FieldType::Number, Value::Number(n)) => Ok((n.to_string(), Cast::Numeric)),
        (FieldType::Date, Value::String(s)) if is_date(s) => Ok((s.clone(), Cast::Date)),
        (FieldType::Date, _) => Err(refuse(path, "a date must be written YYYY-MM-DD".into())),
        (kind, _) => Err(refuse(path, format!("expected a {} value", kind.as_str()))),
    }
}

/// `YYYY-MM-DD` naming a real day.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| {
        s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit())).and_then(|t| t.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1 && (1..=days).contains(&d)
}
