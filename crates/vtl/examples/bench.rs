//! Throughput of a parsed-once template, measured as the reference's `run.sh --bench` measures
//! Velocity: JSON converted once, a fresh context per render, warm-up first.
//! `bench SECONDS WARMUP TEMPLATE.vm DATA.json` prints `renders_per_sec=N chars_per_render=N`.

use std::time::{Duration, Instant};
use vtl::{Config, Engine, NoLoader};

// Renders pay for counting their memory, as they do in the database.
#[global_allocator]
static ALLOCATOR: vtl::memory::Counting = vtl::memory::Counting::new();

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 {
        eprintln!("usage: bench SECONDS WARMUP TEMPLATE.vm DATA.json");
        std::process::exit(64);
    }
    let seconds: f64 = args[0].parse().expect("seconds");
    let warmup: f64 = args[1].parse().expect("warm-up seconds");
    let source = std::fs::read_to_string(&args[2]).expect("template");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&args[3]).expect("data")).expect("JSON");
    let engine = Engine::new(Config::default());
    let prepared = engine.prepare("bench.vm", &source, &NoLoader).expect("template compiles");
    let vars = engine.harness_vars(&json);
    let mut last = String::new();
    for (phase, limit) in [("warmup", warmup), ("measure", seconds)] {
        let start = Instant::now();
        let mut renders = 0u64;
        while start.elapsed() < Duration::from_secs_f64(limit) {
            for _ in 0..64 {
                // A fresh context each render, as the Velocity benchmark makes one.
                let fresh = vars.clone();
                let out = engine.render(&prepared, fresh, &NoLoader).expect("renders");
                last = out;
            }
            renders += 64;
        }
        if phase == "measure" {
            let elapsed = start.elapsed().as_secs_f64();
            println!(
                "renders_per_sec={:.0} chars_per_render={} renders={renders} seconds={elapsed:.3}",
                renders as f64 / elapsed,
                last.chars().count()
            );
        }
    }
}
