//! Expected instants were computed independently with Python's `zoneinfo` over the same tzdata.

use crate::{DayRule, Days, Field, Schedule};
use jiff::tz::TimeZone;
use jiff::Timestamp;

fn schedule(text: &str) -> Schedule {
    schedule_with(text, DayRule::MoreOften)
}

fn schedule_with(text: &str, rule: DayRule) -> Schedule {
    Schedule::parse(text, rule).unwrap_or_else(|e| panic!("{text}: {e}")).expect("a schedule")
}

/// The next `n` fire instants after `after`, in `zone`, as UTC text.
fn next(text: &str, after: &str, zone: &str, n: usize) -> Vec<String> {
    next_with(text, DayRule::MoreOften, after, zone, n)
}

fn next_with(text: &str, rule: DayRule, after: &str, zone: &str, n: usize) -> Vec<String> {
    let s = schedule_with(text, rule);
    let tz = TimeZone::get(zone).unwrap();
    let after: Timestamp = after.parse().unwrap();
    s.fires_after(after, &tz).take(n).map(|t| t.strftime("%Y-%m-%dT%H:%M").to_string()).collect()
}

fn refusal(text: &str) -> (Option<Field>, String, String) {
    let e = Schedule::parse(text, DayRule::MoreOften).expect_err(text);
    (e.field, e.element, e.reason)
}

#[test]
fn empty_means_no_schedule() {
    assert_eq!(Schedule::parse("", DayRule::MoreOften), Ok(None));
    assert_eq!(Schedule::parse("   ", DayRule::MoreOften), Ok(None));
}

#[test]
fn grammar() {
    assert_eq!(
        next("*/15 * * * *", "2026-05-04T10:07:30Z", "UTC", 2),
        ["2026-05-04T10:15", "2026-05-04T10:30"]
    );
    // Strictly after.
    assert_eq!(next("*/15 * * * *", "2026-05-04T10:15:00Z", "UTC", 1), ["2026-05-04T10:30"]);
    // Steps count from the range's start: day of month */5 is 1, 6, 11, …
    assert_eq!(
        next("0 0 */10 * *", "2026-01-01T00:00:00Z", "UTC", 4),
        ["2026-01-11T00:00", "2026-01-21T00:00", "2026-01-31T00:00", "2026-02-01T00:00"]
    );
    assert_eq!(
        next("0 0 2,*/5,8-10 * *", "2026-01-01T00:00:00Z", "UTC", 6),
        [
            "2026-01-02T00:00",
            "2026-01-06T00:00",
            "2026-01-08T00:00",
            "2026-01-09T00:00",
            "2026-01-10T00:00",
            "2026-01-11T00:00"
        ]
    );
    assert_eq!(
        next("30 */2 1 * *", "2026-03-01T00:00:00Z", "UTC", 3),
        ["2026-03-01T00:30", "2026-03-01T02:30", "2026-03-01T04:30"]
    );
    // Names in any case, also in ranges; 7 and a closing `sun` are Sunday.
    assert_eq!(schedule("0 9 * JAN-mar Mon-FRI"), schedule("0 9 * 1-3 1-5"));
    assert_eq!(schedule("0 9 * * fri-sun"), schedule("0 9 * * 0,5,6"));
    assert_eq!(schedule("0 9 * * 7"), schedule("0 9 * * 0"));
    assert_eq!(schedule("0 9 * * 5-7"), schedule("0 9 * * 5,6,0"));
    assert_eq!(schedule("  0   9 *\t* *  "), schedule("0 9 * * *"));
}

#[test]
fn macros() {
    for (m, same) in [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@DAILY", "0 0 * * *"),
    ] {
        assert_eq!(schedule(m), schedule(same), "{m}");
    }
    // @daily is midnight in the schedule's zone.
    assert_eq!(next("@daily", "2026-06-01T12:00:00Z", "Europe/Kyiv", 1), ["2026-06-01T21:00"]);
}

#[test]
fn refusals_name_the_field_and_the_reason() {
    let cases: &[(&str, Option<Field>, &str, &str)] = &[
        ("* * * *", None, "* * * *", "has 4"),
        ("* * * * * *", None, "* * * * * *", "has 6"),
        ("60 * * * *", Some(Field::Minute), "60", "60 is out of range 0-59"),
        ("* 24 * * *", Some(Field::Hour), "24", "out of range 0-23"),
        ("* * 0 * *", Some(Field::DayOfMonth), "0", "out of range 1-31"),
        ("* * 32 * *", Some(Field::DayOfMonth), "32", "out of range 1-31"),
        ("* * * 13 *", Some(Field::Month), "13", "out of range 1-12"),
        ("* * * * 8", Some(Field::DayOfWeek), "8", "out of range 0-7"),
        ("* 5-2 * * *", Some(Field::Hour), "5-2", "reversed"),
        ("*/0 * * * *", Some(Field::Minute), "*/0", "a step of 0"),
        ("*/61 * * * *", Some(Field::Minute), "*/61", "larger than the field (60 values)"),
        ("* * * */13 *", Some(Field::Month), "*/13", "larger than the field (12 values)"),
        ("5/10 * * * *", Some(Field::Minute), "5/10", "a step needs a range"),
        ("1,,2 * * * *", Some(Field::Minute), "1,,2", "empty list item"),
        ("1, * * * *", Some(Field::Minute), "1,", "empty list item"),
        ("* * * foo *", Some(Field::Month), "foo", "unknown name 'foo'"),
        ("* * * * mon-funday", Some(Field::DayOfWeek), "mon-funday", "unknown name 'funday'"),
        ("jan * * * *", Some(Field::Minute), "jan", "this field takes numbers"),
        ("0 0 ? * 1", Some(Field::DayOfMonth), "?", "not supported"),
        ("0 0 L * *", Some(Field::DayOfMonth), "L", "not supported"),
        ("0 0 15W * *", Some(Field::DayOfMonth), "15W", "not supported"),
        ("0 0 * * 5L", Some(Field::DayOfWeek), "5L", "not supported"),
        ("0 0 * * 1#2", Some(Field::DayOfWeek), "1#2", "not supported"),
        ("@reboot", None, "@reboot", "not supported"),
        ("@fortnightly", None, "@fortnightly", "unknown macro"),
        ("*/x * * * *", Some(Field::Minute), "*/x", "not a number"),
        ("1.5 * * * *", Some(Field::Minute), "1.5", "not a number or a name"),
    ];
    for (text, field, element, reason) in cases {
        let (f, e, r) = refusal(text);
        assert_eq!((f, e.as_str()), (*field, *element), "{text}");
        assert!(r.contains(reason), "{text}: {r}");
    }
}

#[test]
fn the_day_field_that_runs_more_often_wins() {
    // Spec 003's example: Mondays (52 a year) beat the 1st (12 a year).
    let s = schedule("0 0 1 * 1");
    assert_eq!(s.days(), Days::OfWeek);
    // 2026-06-01 is a Monday; 2026-07-01 a Wednesday, so it is skipped.
    assert_eq!(
        next("0 0 1 * 1", "2026-06-01T00:00:00Z", "UTC", 5),
        ["2026-06-08T00:00", "2026-06-15T00:00", "2026-06-22T00:00", "2026-06-29T00:00", "2026-07-06T00:00"]
    );
    assert_eq!(schedule("0 0 1-15 * 1").days(), Days::OfMonth);
    assert_eq!(schedule("0 0 13 * 5").days(), Days::OfWeek);
    // In February, days 1-29 and all seven weekdays match the same number of days: both apply.
    assert_eq!(schedule("0 0 1-29 2 0-6").days(), Days::Either);
    assert_eq!(schedule("0 0 1-28 2 0-6").days(), Days::OfWeek);
    // Vixie's rule, on request: either field.
    assert_eq!(schedule_with("0 0 1 * 1", DayRule::Either).days(), Days::Either);
    assert_eq!(
        next_with("0 0 1 * 1", DayRule::Either, "2026-06-22T00:00:00Z", "UTC", 3),
        ["2026-06-29T00:00", "2026-07-01T00:00", "2026-07-06T00:00"]
    );
    // Only one field restricted: that one decides, whatever the rule.
    assert_eq!(schedule_with("0 0 * * 1", DayRule::Either).days(), Days::OfWeek);
    assert_eq!(schedule("0 0 1 * *").days(), Days::OfMonth);
    assert_eq!(schedule("0 0 * * *").days(), Days::Every);
}

#[test]
fn calendar_edges() {
    // Leap days, and 2100 is not a leap year.
    assert_eq!(
        next("0 0 29 2 *", "2026-01-01T00:00:00Z", "UTC", 2),
        ["2028-02-29T00:00", "2032-02-29T00:00"]
    );
    assert_eq!(next("0 0 29 2 *", "2096-03-01T00:00:00Z", "UTC", 1), ["2104-02-29T00:00"]);
    // Month ends: the 31st only in months that have one.
    assert_eq!(
        next("0 12 31 * *", "2026-04-01T00:00:00Z", "UTC", 2),
        ["2026-05-31T12:00", "2026-07-31T12:00"]
    );
    // Year rollover.
    assert_eq!(next("59 23 31 12 *", "2026-12-31T23:59:00Z", "UTC", 1), ["2027-12-31T23:59"]);
    assert_eq!(next("0 0 1 1 *", "2026-12-31T23:59:30Z", "UTC", 1), ["2027-01-01T00:00"]);
    assert_eq!(next("* * * * *", "2026-12-31T23:59:59Z", "UTC", 2), ["2027-01-01T00:00", "2027-01-01T00:01"]);
}

#[test]
fn schedules_that_never_fire_end_at_once() {
    for text in ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 30,31 2 *"] {
        let s = schedule(text);
        assert!(!s.ever_fires(), "{text}");
        assert_eq!(next(text, "2026-01-01T00:00:00Z", "UTC", 3), Vec::<String>::new());
    }
    // Near the end of the calendar the search stops instead of running past it.
    assert_eq!(next("0 0 29 2 *", "9997-01-01T00:00:00Z", "UTC", 3), Vec::<String>::new());
}

#[test]
fn new_york_daylight_saving() {
    let ny = "America/New_York";
    // 2026-03-08 02:00 EST jumps to 03:00 EDT: a fixed 02:30 runs once, when the gap ends.
    assert_eq!(
        next("30 2 * * *", "2026-03-07T00:00:00Z", ny, 3),
        ["2026-03-07T07:30", "2026-03-08T07:00", "2026-03-09T06:30"]
    );
    // Several fixed times in the gap still run once.
    assert_eq!(next("0,30 2 * * *", "2026-03-08T00:00:00Z", ny, 2), ["2026-03-08T07:00", "2026-03-09T06:00"]);
    // A wildcard job follows the wall clock: nothing in the skipped hour.
    assert_eq!(
        next("*/30 * * * *", "2026-03-08T06:00:00Z", ny, 3),
        ["2026-03-08T06:30", "2026-03-08T07:00", "2026-03-08T07:30"]
    );
    // 2026-11-01 02:00 EDT goes back to 01:00 EST: a fixed 01:30 runs at its first occurrence.
    assert_eq!(next("30 1 * * *", "2026-11-01T00:00:00Z", ny, 2), ["2026-11-01T05:30", "2026-11-02T06:30"]);
    // Asked from inside the repeated hour, the fixed job has already run.
    assert_eq!(next("30 1 * * *", "2026-11-01T06:10:00Z", ny, 1), ["2026-11-02T06:30"]);
    // A wildcard job runs through the repeated hour twice.
    assert_eq!(
        next("*/30 * * * *", "2026-11-01T04:00:00Z", ny, 6),
        [
            "2026-11-01T04:30",
            "2026-11-01T05:00",
            "2026-11-01T05:30",
            "2026-11-01T06:00",
            "2026-11-01T06:30",
            "2026-11-01T07:00"
        ]
    );
    // … also when asked from the first pass through it.
    assert_eq!(next("*/30 * * * *", "2026-11-01T05:40:00Z", ny, 2), ["2026-11-01T06:00", "2026-11-01T06:30"]);
    assert_eq!(
        next("@hourly", "2026-11-01T04:30:00Z", ny, 3),
        ["2026-11-01T05:00", "2026-11-01T06:00", "2026-11-01T07:00"]
    );
}

#[test]
fn kyiv_kolkata_and_lord_howe() {
    let kyiv = "Europe/Kyiv";
    // 2026-03-29 03:00 EET jumps to 04:00 EEST; 2026-10-25 04:00 EEST goes back to 03:00 EET.
    assert_eq!(next("30 3 * * *", "2026-03-28T12:00:00Z", kyiv, 2), ["2026-03-29T01:00", "2026-03-30T00:30"]);
    assert_eq!(next("30 3 * * *", "2026-10-24T12:00:00Z", kyiv, 2), ["2026-10-25T00:30", "2026-10-26T01:30"]);
    // No daylight saving: 09:00 IST is 03:30 UTC every day.
    assert_eq!(
        next("0 9 * * *", "2026-06-01T00:00:00Z", "Asia/Kolkata", 2),
        ["2026-06-01T03:30", "2026-06-02T03:30"]
    );
    // Lord Howe moves by 30 minutes: 2026-10-04 02:00 jumps to 02:30 (+11).
    let lh = "Australia/Lord_Howe";
    assert_eq!(next("15 2 * * *", "2026-10-03T12:00:00Z", lh, 1), ["2026-10-03T15:30"]);
    // 2026-04-05 02:00 (+11) goes back to 01:30 (+10:30).
    assert_eq!(next("45 1 * * *", "2026-04-04T12:00:00Z", lh, 2), ["2026-04-04T14:45", "2026-04-05T15:15"]);
    assert_eq!(
        next("*/15 * * * *", "2026-04-04T14:00:00Z", lh, 6),
        [
            "2026-04-04T14:15",
            "2026-04-04T14:30",
            "2026-04-04T14:45",
            "2026-04-04T15:00",
            "2026-04-04T15:15",
            "2026-04-04T15:30"
        ]
    );
}

#[test]
fn fire_times_always_increase() {
    // Every quarter hour for two years in zones with odd changes: strictly increasing, and as
    // many as the wall clock has (each repeated stretch twice, each skipped one not at all).
    for zone in ["America/New_York", "Australia/Lord_Howe", "Europe/Kyiv", "Asia/Kolkata", "UTC"] {
        let tz = TimeZone::get(zone).unwrap();
        let s = schedule("*/15 * * * *");
        let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let end: Timestamp = "2028-01-01T00:00:00Z".parse().unwrap();
        let mut last = start;
        let mut count = 0;
        for t in s.fires_after(start, &tz).take_while(|t| *t < end) {
            assert!(t > last, "{zone}: {t} after {last}");
            last = t;
            count += 1;
        }
        // Two years of quarter hours, give or take the transitions.
        assert!((70000..70200).contains(&count), "{zone}: {count}");
    }
}

/// A tiny deterministic generator (no dependency needed for a few hundred cases).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(n)) as u32
    }

    /// A field of values in `lo..=hi`: `*`, a value, a range, a step or a list of those.
    fn field(&mut self, lo: u32, hi: u32) -> String {
        let item = |g: &mut Lcg| {
            let a = lo + g.below(hi - lo + 1);
            let b = a + g.below(hi - a + 1);
            match g.below(4) {
                0 => a.to_string(),
                1 => format!("{a}-{b}"),
                2 => format!("*/{}", 1 + g.below(hi - lo + 1)),
                _ => format!("{a}-{b}/{}", 1 + g.below(b - a + 1)),
            }
        };
        if self.below(3) == 0 {
            return "*".into();
        }
        (0..1 + self.below(3)).map(|_| item(self)).collect::<Vec<_>>().join(",")
    }
}

/// The slow, obvious definition: a minute matches when each field allows it, the day decided as
/// the schedule's day rule says.
fn matches(s: &Schedule, t: jiff::civil::DateTime) -> bool {
    let has = |set: u64, v: i64| set >> v & 1 == 1;
    let month_day = has(s.month_days.into(), t.day().into());
    let weekday = has(s.weekdays.into(), t.weekday().to_sunday_zero_offset().into());
    let day = match s.days {
        Days::Every => true,
        Days::OfMonth => month_day,
        Days::OfWeek => weekday,
        Days::Either => month_day || weekday,
    };
    has(s.minutes, t.minute().into())
        && has(s.hours.into(), t.hour().into())
        && has(s.months.into(), t.month().into())
        && day
}

#[test]
fn random_schedules_agree_with_a_minute_by_minute_scan() {
    // In UTC the fire times are exactly the matching minutes: check the first few against a scan
    // of every minute for 40 days, for schedules that fire that often.
    let mut g = Lcg(2026);
    let tz = TimeZone::UTC;
    let start: Timestamp = "2027-02-20T13:37:10Z".parse().unwrap();
    let mut checked = 0;
    for _ in 0..300 {
        let text = format!("{} {} {} * {}", g.field(0, 59), g.field(0, 23), g.field(1, 31), g.field(0, 6));
        for rule in [DayRule::MoreOften, DayRule::Either] {
            let s = schedule_with(&text, rule);
            let ours: Vec<Timestamp> = s.fires_after(start, &tz).take(3).collect();
            let mut scan = Vec::new();
            let mut t = tz.to_datetime(start).with().second(0).subsec_nanosecond(0).build().unwrap();
            for _ in 0..40 * 24 * 60 {
                t = t.checked_add(jiff::Span::new().minutes(1)).unwrap();
                if matches(&s, t) {
                    scan.push(tz.to_timestamp(t).unwrap());
                    if scan.len() == 3 {
                        break;
                    }
                }
            }
            // What the scan found comes first; anything more lies beyond the scanned 40 days.
            assert_eq!(ours[..scan.len().min(ours.len())], scan[..], "{text} ({rule:?})");
            let scanned_to = tz.to_timestamp(t).unwrap();
            assert!(ours[scan.len()..].iter().all(|f| *f > scanned_to), "{text} ({rule:?})");
            checked += usize::from(scan.len() == 3);
        }
    }
    assert!(checked > 400, "{checked}");
}

#[test]
fn no_input_panics() {
    // Random strings over the grammar's alphabet: parsed or refused, never a panic.
    let alphabet: Vec<char> = "0123456789*/,- @LW#?adefhijlmnoprstuwyADFJMNOSTW\t".chars().collect();
    let mut g = Lcg(7);
    for _ in 0..20000 {
        let len = g.below(24);
        let text: String = (0..len).map(|_| alphabet[g.below(alphabet.len() as u32) as usize]).collect();
        let _ = Schedule::parse(&text, DayRule::MoreOften);
    }
}
