//! Cron schedules as spec 003 describes them: five fields `minute hour day-of-month month
//! day-of-week` with names, ranges, steps and lists, the `@hourly`…`@yearly` macros, and its rule
//! for a schedule that restricts both day fields (the one that runs more often wins). Fire times
//! are computed in an IANA time zone, across daylight-saving changes as cron(8) handles them.
//!
//! ```
//! use engage_cron::{DayRule, Schedule};
//! let s = Schedule::parse("0 0 1 * mon", DayRule::MoreOften).unwrap().unwrap();
//! let tz = jiff::tz::TimeZone::get("Europe/Kyiv").unwrap();
//! let after: jiff::Timestamp = "2026-06-01T12:00:00Z".parse().unwrap();
//! // Mondays win over the 1st: more Mondays than 1sts in a year.
//! let next = s.fires_after(after, &tz).next().unwrap();
//! assert_eq!(next.to_string(), "2026-06-07T21:00:00Z");
//! ```

mod days;
mod fires;
mod parse;

pub use fires::Fires;
pub use parse::{CronError, Field};

/// Which day fields decide when both day-of-month and day-of-week are restricted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayRule {
    /// Spec 003: the field that matches more days is followed and the other ignored; on a tie
    /// both apply (a day matching either runs).
    MoreOften,
    /// Vixie cron and pg_cron: a day matching either field runs.
    Either,
}

impl DayRule {
    /// `more_often` or `either`, as SQL callers name them.
    pub fn parse(text: &str) -> Option<DayRule> {
        match text {
            "more_often" => Some(DayRule::MoreOften),
            "either" => Some(DayRule::Either),
            _ => None,
        }
    }
}

/// How the days a schedule runs on were decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Days {
    /// Neither day field is restricted: every day of the allowed months.
    Every,
    /// Only day-of-month decides (day-of-week is `*`, or was outvoted).
    OfMonth,
    /// Only day-of-week decides.
    OfWeek,
    /// A day matching either field runs.
    Either,
}

/// A parsed schedule: the allowed values of each field as bit sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u32,
    /// Bits 1–31.
    month_days: u32,
    /// Bits 1–12.
    months: u16,
    /// Bits 0–6, Sunday 0.
    weekdays: u8,
    days: Days,
    /// The minute or hour field starts with `*`: the job follows the wall clock through
    /// daylight-saving changes instead of running once at a fixed time (cron(8)).
    wall_clock: bool,
    /// Whether any day of the 400-year Gregorian cycle matches (`0 0 30 2 *` never does).
    ever: bool,
}

impl Schedule {
    /// Parses a schedule; an empty (or all-blank) one is `None`: a job with no scheduled time.
    pub fn parse(text: &str, rule: DayRule) -> Result<Option<Schedule>, CronError> {
        parse::parse(text, rule)
    }

    /// Which day field decides.
    pub fn days(&self) -> Days {
        self.days
    }

    /// Whether the schedule ever fires.
    pub fn ever_fires(&self) -> bool {
        self.ever
    }

    /// The fire instants strictly after `after`, in order, in time zone `tz`.
    pub fn fires_after<'a>(&'a self, after: jiff::Timestamp, tz: &'a jiff::tz::TimeZone) -> Fires<'a> {
        Fires::new(self, after, tz)
    }
}

#[cfg(test)]
mod tests;
