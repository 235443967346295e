//! Which days a schedule runs on, and how often each day field would run it: counted exactly
//! over the 400-year Gregorian cycle (146,097 days), which repeats forever.

use crate::{Days, Schedule};
use jiff::civil::Date;
use std::sync::OnceLock;

/// Days in the cycle per (month, day of month) and per (month, weekday).
struct Cycle {
    by_month_day: [[u32; 32]; 13],
    by_weekday: [[u32; 7]; 13],
}

fn cycle() -> &'static Cycle {
    static CYCLE: OnceLock<Cycle> = OnceLock::new();
    CYCLE.get_or_init(|| {
        let mut c = Cycle { by_month_day: [[0; 32]; 13], by_weekday: [[0; 7]; 13] };
        for year in 2000..2400 {
            for month in 1..=12i8 {
                let first = Date::new(year, month, 1).expect("a valid date");
                let weekday = first.weekday().to_sunday_zero_offset() as usize;
                for day in 1..=first.days_in_month() as usize {
                    c.by_month_day[month as usize][day] += 1;
                    c.by_weekday[month as usize][(weekday + day - 1) % 7] += 1;
                }
            }
        }
        c
    })
}

fn bit(set: u64, i: usize) -> bool {
    set >> i & 1 == 1
}

/// How many days of the cycle, within the allowed months, each day field alone would match.
pub(crate) fn matching_days(s: &Schedule) -> (u32, u32) {
    let c = cycle();
    let (mut in_month, mut in_week) = (0, 0);
    for month in (1..=12).filter(|&m| bit(s.months.into(), m)) {
        in_month +=
            (1..=31).filter(|&d| bit(s.month_days.into(), d)).map(|d| c.by_month_day[month][d]).sum::<u32>();
        in_week += (0..7).filter(|&w| bit(s.weekdays.into(), w)).map(|w| c.by_weekday[month][w]).sum::<u32>();
    }
    (in_month, in_week)
}

impl Schedule {
    pub(crate) fn month_allowed(&self, date: Date) -> bool {
        bit(self.months.into(), date.month() as usize)
    }

    /// Whether the schedule runs on this day (its month allowed).
    pub(crate) fn day_allowed(&self, date: Date) -> bool {
        let of_month = || bit(self.month_days.into(), date.day() as usize);
        let of_week = || bit(self.weekdays.into(), date.weekday().to_sunday_zero_offset() as usize);
        match self.days {
            Days::Every => true,
            Days::OfMonth => of_month(),
            Days::OfWeek => of_week(),
            Days::Either => of_month() || of_week(),
        }
    }
}
