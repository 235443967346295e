//! The schedule grammar: five fields or a macro. Every refusal names the field, the element
//! and the reason.

use crate::{days, DayRule, Days, Schedule};
use std::fmt;

/// The five fields of a schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

const FIELDS: [Field; 5] = [Field::Minute, Field::Hour, Field::DayOfMonth, Field::Month, Field::DayOfWeek];
const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Minute => "minute",
            Field::Hour => "hour",
            Field::DayOfMonth => "day of month",
            Field::Month => "month",
            Field::DayOfWeek => "day of week",
        }
    }

    /// The values a field accepts (day of week also takes 7 for Sunday).
    fn bounds(self) -> (u32, u32) {
        match self {
            Field::Minute => (0, 59),
            Field::Hour => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (0, 7),
        }
    }

    /// How many distinct values the field has: the largest step that still makes sense.
    fn size(self) -> u32 {
        match self {
            Field::DayOfWeek => 7,
            _ => self.bounds().1 - self.bounds().0 + 1,
        }
    }

    /// The value of a name (`jan` is 1, `sun` 0).
    fn named(self, name: &str) -> Option<u32> {
        let names: &[&str] = match self {
            Field::Month => &MONTHS,
            Field::DayOfWeek => &WEEKDAYS,
            _ => return None,
        };
        let offset = if self == Field::Month { 1 } else { 0 };
        names.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|i| i as u32 + offset)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a schedule was refused: the field (none for the schedule as a whole), the offending
/// element as written, and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CronError {
    pub field: Option<Field>,
    pub element: String,
    pub reason: String,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field} field: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for CronError {}

fn error(field: Option<Field>, element: &str, reason: String) -> CronError {
    CronError { field, element: element.to_string(), reason }
}

/// What each macro stands for.
fn expand_macro(text: &str) -> Result<&'static str, CronError> {
    match text.to_ascii_lowercase().as_str() {
        "@hourly" => Ok("0 * * * *"),
        "@daily" | "@midnight" => Ok("0 0 * * *"),
        "@weekly" => Ok("0 0 * * 0"),
        "@monthly" => Ok("0 0 1 * *"),
        "@yearly" | "@annually" => Ok("0 0 1 1 *"),
        "@reboot" => Err(error(
            None,
            text,
            "@reboot is not supported: jobs run on a schedule, not at server start".into(),
        )),
        _ => Err(error(
            None,
            text,
            format!("unknown macro {text} (known: @hourly, @daily, @weekly, @monthly, @yearly, @annually)"),
        )),
    }
}

/// One field's values as a bit set, and whether it starts with `*` / is exactly `*`.
struct Parsed {
    bits: u64,
    star: bool,
    restricted: bool,
}

pub(crate) fn parse(text: &str, rule: DayRule) -> Result<Option<Schedule>, CronError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let text = if text.starts_with('@') { expand_macro(text)? } else { text };
    let parts: Vec<&str> = text.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(error(
            None,
            text,
            format!(
                "a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has {}",
                parts.len()
            ),
        ));
    }
    let mut fields = Vec::with_capacity(5);
    for (field, part) in FIELDS.into_iter().zip(parts) {
        fields.push(parse_field(field, part)?);
    }
    let (minute, hour, month_day, month, weekday) =
        (&fields[0], &fields[1], &fields[2], &fields[3], &fields[4]);
    let mut schedule = Schedule {
        minutes: minute.bits,
        hours: hour.bits as u32,
        month_days: month_day.bits as u32,
        months: month.bits as u16,
        weekdays: weekday.bits as u8,
        days: Days::Every,
        wall_clock: minute.star || hour.star,
        ever: true,
    };
    let (in_month, in_week) = days::matching_days(&schedule);
    schedule.days = match (month_day.restricted, weekday.restricted, rule) {
        (false, false, _) => Days::Every,
        (true, false, _) => Days::OfMonth,
        (false, true, _) => Days::OfWeek,
        (true, true, DayRule::Either) => Days::Either,
        (true, true, DayRule::MoreOften) => match in_month.cmp(&in_week) {
            std::cmp::Ordering::Greater => Days::OfMonth,
            std::cmp::Ordering::Less => Days::OfWeek,
            std::cmp::Ordering::Equal => Days::Either,
        },
    };
    schedule.ever = match schedule.days {
        Days::OfMonth => in_month > 0,
        Days::Every | Days::OfWeek | Days::Either => true,
    };
    Ok(Some(schedule))
}

fn parse_field(field: Field, text: &str) -> Result<Parsed, CronError> {
    let mut bits = 0u64;
    for item in text.split(',') {
        if item.is_empty() {
            return Err(error(Some(field), text, format!("'{text}' has an empty list item")));
        }
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(parse_step(field, item, step)?)),
            None => (item, None),
        };
        let (low, high) = match base.split_once('-') {
            _ if base == "*" => field.bounds(),
            Some((low, high)) => {
                let low = value(field, item, low, false)?;
                let high = value(field, item, high, true)?;
                if low > high {
                    return Err(error(
                        Some(field),
                        item,
                        format!("the range '{item}' is reversed (write the smaller value first)"),
                    ));
                }
                (low, high)
            }
            None if step.is_some() => {
                return Err(error(
                    Some(field),
                    item,
                    format!(
                        "a step needs a range: '{item}' (write '*/{0}' or '{base}-{1}/{0}')",
                        step.unwrap_or(1),
                        field.bounds().1
                    ),
                ))
            }
            None => {
                let v = value(field, item, base, false)?;
                (v, v)
            }
        };
        for v in (low..=high).step_by(step.unwrap_or(1) as usize) {
            // Day of week 7 is Sunday.
            bits |= 1 << if field == Field::DayOfWeek { v % 7 } else { v };
        }
    }
    Ok(Parsed { bits, star: text.starts_with('*'), restricted: text != "*" })
}

fn parse_step(field: Field, item: &str, step: &str) -> Result<u32, CronError> {
    let size = field.size();
    match step.parse::<u32>() {
        _ if !step.bytes().all(|b| b.is_ascii_digit()) || step.is_empty() => {
            Err(error(Some(field), item, format!("the step in '{item}' is not a number")))
        }
        Ok(0) => Err(error(Some(field), item, format!("a step of 0 in '{item}'"))),
        Ok(s) if s <= size => Ok(s),
        _ => Err(error(
            Some(field),
            item,
            format!("the step in '{item}' is larger than the field ({size} values)"),
        )),
    }
}

/// A number or a name within the field's bounds; `range_end` lets `sun` close a range as 7.
fn value(field: Field, item: &str, text: &str, range_end: bool) -> Result<u32, CronError> {
    let (min, max) = field.bounds();
    // Quartz and cronie extensions: `?`, `L` (last), `W` (weekday), `#` (nth weekday).
    let extension = text.contains(['?', '#'])
        || matches!(text.to_ascii_uppercase().as_str(), "L" | "W" | "LW")
        || (text.contains(['L', 'W', 'l', 'w']) && text.bytes().any(|b| b.is_ascii_digit()));
    if extension {
        return Err(error(
            Some(field),
            item,
            format!("'{text}' is not supported (only numbers, names, *, ranges, steps and lists; no ?, L, W or #)"),
        ));
    }
    let v = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        match text.parse::<u32>() {
            Ok(v) if (min..=max).contains(&v) => v,
            _ => {
                return Err(error(Some(field), item, format!("{text} is out of range {min}-{max}")));
            }
        }
    } else if text.bytes().all(|b| b.is_ascii_alphabetic()) && !text.is_empty() {
        match field.named(text) {
            Some(0) if range_end => 7,
            Some(v) => v,
            None => {
                let known = match field {
                    Field::Month => "jan-dec",
                    Field::DayOfWeek => "sun-sat",
                    _ => "none: this field takes numbers",
                };
                return Err(error(Some(field), item, format!("unknown name '{text}' (names: {known})")));
            }
        }
    } else {
        return Err(error(Some(field), item, format!("'{text}' is not a number or a name")));
    };
    Ok(v)
}
