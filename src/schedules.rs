//! Cron schedules in SQL: parsing with errors that name the field, time zones by IANA name,
//! and `engage.cron_next`, the function users check a schedule with before trusting it.

use crate::error::{required, EngageError, OrRaise, Result};
use engage_cron::{CronError, DayRule, Schedule};
use jiff::tz::TimeZone;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode::*;

const GRAMMAR_HINT: &str = "A schedule is five fields, minute (0-59) hour (0-23) day-of-month (1-31) \
    month (1-12 or jan-dec) day-of-week (0-7 or sun-sat; Sunday is 0 or 7), each *, a value, a range a-b, \
    a step */s or a-b/s, or a list of these; or one of @hourly @daily @weekly @monthly @yearly. \
    An empty schedule means no scheduled time.";

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A schedule, or `None` for an empty one (a job run only by hand).
pub fn parse_schedule(text: Option<&str>, day_rule: &str) -> Result<Option<Schedule>> {
    let rule = parse_day_rule(day_rule)?;
    Schedule::parse(text.unwrap_or(""), rule).map_err(|e| schedule_error(text.unwrap_or(""), e))
}

fn schedule_error(text: &str, e: CronError) -> EngageError {
    let place = match e.field {
        Some(field) => format!("field: {field}, element: {}", e.element),
        None => format!("element: {}", e.element),
    };
    EngageError::new(ERRCODE_INVALID_PARAMETER_VALUE, format!("invalid schedule \"{text}\": {e}"))
        .with_detail(place)
        .with_hint(GRAMMAR_HINT)
}

pub fn parse_day_rule(text: &str) -> Result<DayRule> {
    DayRule::parse(text).ok_or_else(|| {
        EngageError::new(ERRCODE_INVALID_PARAMETER_VALUE, format!("unknown day rule \"{text}\""))
            .with_detail(format!("day_rule: {text}"))
            .with_hint(
                "Use 'more_often' (the day field that matches more days decides, as spec 003 says) or \
                 'either' (a day matching either field runs, as in cron and pg_cron).",
            )
    })
}

/// A time zone by its IANA name, from the system's time zone database (PostgreSQL's too).
pub fn time_zone(name: &str) -> Result<TimeZone> {
    TimeZone::get(name).map_err(|_| {
        EngageError::new(ERRCODE_INVALID_PARAMETER_VALUE, format!("time zone \"{name}\" is not known"))
            .with_detail(format!("time_zone: {name}"))
            .with_hint("Use an IANA name such as Europe/Kyiv or America/New_York (see pg_timezone_names).")
    })
}

pub fn to_instant(t: TimestampWithTimeZone, argument: &str) -> Result<jiff::Timestamp> {
    let micros = t.into_inner().checked_add(PG_EPOCH_MICROS);
    micros.and_then(|m| jiff::Timestamp::from_microsecond(m).ok()).filter(|_| t.is_finite()).ok_or_else(
        || {
            EngageError::new(ERRCODE_DATETIME_FIELD_OVERFLOW, format!("{argument} is out of range"))
                .with_detail(format!("{argument}: {t}"))
                .with_hint("Schedules are computed for finite times between the years -9999 and 9999.")
        },
    )
}

pub fn to_timestamptz(t: jiff::Timestamp) -> TimestampWithTimeZone {
    let micros = t.as_microsecond() - PG_EPOCH_MICROS;
    TimestampWithTimeZone::try_from(micros).unwrap_or_else(|_| TimestampWithTimeZone::positive_infinity())
}

/// Most instants one call of `cron_next` returns.
const MAX_COUNT: i32 = 100_000;

/// The next `count` fire instants of a schedule strictly after `after`, in a time zone: how a
/// schedule is checked before a job trusts it. An empty or NULL schedule has none.
#[pg_extern(stable, parallel_safe)]
fn cron_next(
    schedule: Option<&str>,
    after: Option<TimestampWithTimeZone>,
    time_zone: default!(Option<&str>, "'UTC'"),
    count: default!(Option<i32>, 1),
    day_rule: default!(Option<&str>, "'more_often'"),
) -> SetOfIterator<'static, TimestampWithTimeZone> {
    let (time_zone, count) = (required(time_zone, "time_zone"), required(count, "count"));
    let day_rule = required(day_rule, "day_rule");
    if !(1..=MAX_COUNT).contains(&count) {
        EngageError::new(ERRCODE_INVALID_PARAMETER_VALUE, format!("count must be between 1 and {MAX_COUNT}"))
            .with_detail(format!("count: {count}"))
            .raise();
    }
    let parsed = parse_schedule(schedule, day_rule).or_raise();
    let tz = self::time_zone(time_zone).or_raise();
    let (Some(parsed), Some(after)) = (parsed, after) else {
        return SetOfIterator::new(Vec::new());
    };
    let after = to_instant(after, "after").or_raise();
    let fires: Vec<_> = parsed.fires_after(after, &tz).take(count as usize).map(to_timestamptz).collect();
    SetOfIterator::new(fires)
}
extension_sql!(
    "COMMENT ON FUNCTION engage.cron_next(text,timestamp with time zone,text,integer,text) IS 'The next count (1 to 100,000) fire instants of a cron schedule strictly after after, in time_zone, by day_rule (more_often or either). A NULL or empty schedule, or a NULL after, gives none; a bad schedule or time zone is refused (22023).';",
    name = "comment_cron_next",
    requires = [cron_next]
);

/// How many fire instants a schedule has in `(after, until]`, the last of them, and the first
/// after `until`: what the scheduler uses to run a job once for all the times it missed, say how
/// many, and know when it is due next.
#[pg_extern(stable, parallel_safe)]
fn cron_count(
    schedule: Option<&str>,
    after: Option<TimestampWithTimeZone>,
    until: Option<TimestampWithTimeZone>,
    time_zone: default!(Option<&str>, "'UTC'"),
    day_rule: default!(Option<&str>, "'more_often'"),
) -> TableIterator<
    'static,
    (
        name!(fires, i64),
        name!(last_fire, Option<TimestampWithTimeZone>),
        name!(next_fire, Option<TimestampWithTimeZone>),
    ),
> {
    let (after, until) = (required(after, "after"), required(until, "until"));
    let (time_zone, day_rule) = (required(time_zone, "time_zone"), required(day_rule, "day_rule"));
    let parsed = parse_schedule(schedule, day_rule).or_raise();
    let tz = self::time_zone(time_zone).or_raise();
    let (after, until) = (to_instant(after, "after").or_raise(), to_instant(until, "until").or_raise());
    let (mut fires, mut last, mut next) = (0i64, None, None);
    for t in parsed.iter().flat_map(|p| p.fires_after(after, &tz)) {
        if t > until {
            next = Some(t);
            break;
        }
        fires += 1;
        last = Some(t);
        if fires % 4096 == 0 {
            pgrx::check_for_interrupts!();
        }
    }
    TableIterator::once((fires, last.map(to_timestamptz), next.map(to_timestamptz)))
}
extension_sql!(
    "COMMENT ON FUNCTION engage.cron_count(text,timestamp with time zone,timestamp with time zone,text,text) IS 'Counts the fire instants of a cron schedule in (after, until] in time_zone: how many (fires), the last of them and the first after until (NULL when none). The scheduler runs missed times once with it.';",
    name = "comment_cron_count",
    requires = [cron_count]
);
