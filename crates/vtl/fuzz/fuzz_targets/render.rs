//! Any bytes as a template (and, after a NUL, as JSON data): parsing and rendering must never
//! panic, overflow the stack, run away or allocate past their memory limit; errors are fine.
//! The engine counts its memory with its own allocator, as in the database; `run.sh` has
//! libFuzzer report any single allocation far larger than the limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vtl::{Config, Engine, MapLoader};

#[global_allocator]
static ALLOCATOR: vtl::memory::Counting = vtl::memory::Counting::new();

fuzz_target!(|bytes: &[u8]| {
    let (template, data) = match bytes.iter().position(|&b| b == 0) {
        Some(p) => (&bytes[..p], &bytes[p + 1..]),
        None => (bytes, &b""[..]),
    };
    let template = String::from_utf8_lossy(template);
    let json: serde_json::Value = serde_json::from_slice(data).unwrap_or_else(|_| {
        serde_json::json!({"name": "Ana", "n": 3, "d": 2.5, "list": [1, "two", null, [3]], "map": {"a": 1, "b": {"c": "x"}}})
    });
    let config = Config {
        max_output: 1 << 16,
        max_loop_iterations: 10_000,
        max_steps: 200_000,
        max_memory: 1 << 20,
        ..Config::default()
    };
    let engine = Engine::new(config);
    let mut loader = MapLoader::default();
    loader.0.insert("inc".into(), "included $name #parse('inc')".into());
    loader.0.insert("VM_global_library.vm".into(), "#macro(lib $x)[$x]#end".into());
    let vars = engine.harness_vars(&json);
    let _ = engine.render_source("fuzz.vm", &template, vars, &loader);
});
