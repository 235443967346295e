//! Benchmark tool: `next_fires SCHEDULES.txt START ZONE RULE ROUNDS` parses every schedule (one
//! per line) and computes its next fire time after START (RFC 3339) in ZONE, ROUNDS times over;
//! prints each schedule's next fire (UTC, `YYYY-MM-DD HH:MM`, or `none`) from the last round,
//! then the time per schedule on stderr.
use engage_cron::{DayRule, Schedule};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, start, zone, rule, rounds] = args.as_slice() else {
        eprintln!("usage: next_fires SCHEDULES.txt START ZONE more_often|either ROUNDS");
        std::process::exit(64);
    };
    let text = std::fs::read_to_string(file).expect("schedules");
    let lines: Vec<&str> = text.lines().collect();
    let start: jiff::Timestamp = start.parse().expect("start instant");
    let tz = jiff::tz::TimeZone::get(zone).expect("time zone");
    let rule = DayRule::parse(rule).expect("day rule");
    let rounds: usize = rounds.parse().expect("rounds");
    let mut results = Vec::with_capacity(lines.len());
    let began = Instant::now();
    for _ in 0..rounds {
        results.clear();
        for line in &lines {
            let schedule = Schedule::parse(line, rule).expect("valid schedule").expect("not empty");
            results.push(schedule.fires_after(start, &tz).next());
        }
    }
    let elapsed = began.elapsed();
    for r in &results {
        match r {
            Some(t) => println!("{}", t.strftime("%Y-%m-%d %H:%M")),
            None => println!("none"),
        }
    }
    let per = elapsed.as_secs_f64() / (rounds * lines.len()) as f64;
    eprintln!(
        "schedules={} rounds={rounds} seconds={:.3} us_per_schedule={:.3}",
        lines.len(),
        elapsed.as_secs_f64(),
        per * 1e6
    );
}
