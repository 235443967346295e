//! Fire instants: matching wall-clock minutes found in civil time, then placed on the time line
//! of the zone as cron(8) does across daylight-saving changes. A job whose minute or hour field
//! starts with `*` follows the wall clock (nothing in a skipped hour, twice through a repeated
//! one); a job at fixed times runs once at the end of a gap for the times it skipped, and only
//! at the first occurrence of a repeated time.

use crate::Schedule;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{Timestamp, ToSpan};
use std::collections::VecDeque;

/// The iterator [`Schedule::fires_after`] returns: strictly increasing instants. It ends when
/// the schedule never fires, or past the year 9999.
pub struct Fires<'a> {
    schedule: &'a Schedule,
    tz: &'a TimeZone,
    /// The last wall-clock minute looked at; `None` once there are no more.
    cursor: Option<DateTime>,
    /// Instants must come strictly after this.
    last: Timestamp,
    /// Instants found, in order, not yet returned.
    pending: VecDeque<Timestamp>,
}

/// How far before the wall-clock time of `after` to start looking: a time earlier on the
/// wall clock can still come later on the time line when clocks go back (by 2 hours at most).
const LOOK_BEHIND_HOURS: i64 = 3;

impl<'a> Fires<'a> {
    pub(crate) fn new(schedule: &'a Schedule, after: Timestamp, tz: &'a TimeZone) -> Self {
        let start = tz.to_datetime(after).checked_sub(LOOK_BEHIND_HOURS.hours()).ok();
        let start = start.and_then(|s| s.with().second(0).subsec_nanosecond(0).build().ok());
        Fires {
            schedule,
            tz,
            cursor: start.filter(|_| schedule.ever_fires()),
            last: after,
            pending: VecDeque::new(),
        }
    }

    /// Places the wall-clock minute `c` on the time line.
    fn enqueue(&mut self, c: DateTime) {
        let at = |offset: Offset| offset.to_timestamp(c).ok();
        match self.tz.to_ambiguous_timestamp(c).offset() {
            AmbiguousOffset::Unambiguous { offset } => self.pending.extend(at(offset)),
            // Skipped by a clock change: a fixed-time job runs when the gap ends.
            AmbiguousOffset::Gap { after, .. } if !self.schedule.wall_clock => {
                let gap_end = at(after).and_then(|t| self.tz.following(t).next()).map(|t| t.timestamp());
                self.pending.extend(gap_end);
            }
            AmbiguousOffset::Gap { .. } => {}
            AmbiguousOffset::Fold { before, .. } if !self.schedule.wall_clock => {
                self.pending.extend(at(before))
            }
            // Repeated: every matching time of the repeated stretch runs in both occurrences,
            // all the first ones before all the second ones.
            AmbiguousOffset::Fold { before, after } => {
                let fold_end = at(before)
                    .and_then(|t| self.tz.following(t).next())
                    .map(|t| before.to_datetime(t.timestamp()));
                let mut times = vec![c];
                while let Some(next) = self.schedule.next_civil(*times.last().expect("not empty")) {
                    if fold_end.is_none_or(|end| next >= end) {
                        break;
                    }
                    times.push(next);
                }
                self.cursor = times.last().copied();
                self.pending.extend(times.iter().filter_map(|&t| before.to_timestamp(t).ok()));
                self.pending.extend(times.iter().filter_map(|&t| after.to_timestamp(t).ok()));
            }
        }
    }
}

impl Iterator for Fires<'_> {
    type Item = Timestamp;

    fn next(&mut self) -> Option<Timestamp> {
        loop {
            if let Some(t) = self.pending.pop_front() {
                if t > self.last {
                    self.last = t;
                    return Some(t);
                }
                continue;
            }
            let found = self.schedule.next_civil(self.cursor?);
            self.cursor = found;
            self.enqueue(found?);
        }
    }
}

/// The first set bit at `from` or above.
fn next_bit(set: u64, from: u32) -> Option<u32> {
    let rest = set.checked_shr(from)?;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

/// A matching day exists within any 400 years (the Gregorian cycle); search one more.
const SEARCH_YEARS: i16 = 401;

impl Schedule {
    /// The first matching wall-clock minute strictly after `after` (its seconds ignored).
    pub(crate) fn next_civil(&self, after: DateTime) -> Option<DateTime> {
        let mut date = after.date();
        let limit = date.year().saturating_add(SEARCH_YEARS);
        let mut from = Some((after.hour() as u32, after.minute() as u32));
        while date.year() <= limit {
            if !self.month_allowed(date) {
                date = date.last_of_month().tomorrow().ok()?;
                from = None;
                continue;
            }
            if self.day_allowed(date) {
                if let Some((h, m)) = self.time_after(from) {
                    return Some(date.at(h as i8, m as i8, 0, 0));
                }
            }
            date = date.tomorrow().ok()?;
            from = None;
        }
        None
    }

    /// The first matching time of a day, or the first after `from` (hour, minute).
    fn time_after(&self, from: Option<(u32, u32)>) -> Option<(u32, u32)> {
        let first_minute = self.minutes.trailing_zeros();
        let Some((hour, minute)) = from else {
            return Some((self.hours.trailing_zeros(), first_minute));
        };
        if next_bit(self.hours.into(), hour) == Some(hour) {
            if let Some(m) = next_bit(self.minutes, minute + 1) {
                return Some((hour, m));
            }
        }
        next_bit(self.hours.into(), hour + 1).map(|h| (h, first_minute))
    }
}
