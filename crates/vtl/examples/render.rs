//! Renders one template as the reference harness does: `render TEMPLATE.vm [DATA.json]`.
//! `$data` is the whole JSON and each top-level key a variable; `#parse`/`#include` read from
//! `VELOCITY_LOADER_PATH` (default: the template's directory). Exit 2 for a parse error, 1 for
//! any other error, as the reference's `run.sh`.

use std::path::PathBuf;
use vtl::{Config, DirLoader, Engine, ErrorKind};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(template) = args.first() else {
        eprintln!("usage: render TEMPLATE.vm [DATA.json]");
        std::process::exit(64);
    };
    let path = PathBuf::from(template);
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("{template}: {e}");
        std::process::exit(64);
    });
    let data: serde_json::Value = match args.get(1) {
        Some(p) => serde_json::from_str(&std::fs::read_to_string(p).expect("data file")).expect("JSON data"),
        None => serde_json::json!({}),
    };
    let dir = std::env::var("VELOCITY_LOADER_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|_| path.parent().map(PathBuf::from).unwrap_or_default());
    let engine = Engine::new(Config::default());
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    match engine.render_source(&name, &source, engine.harness_vars(&data), &DirLoader(dir)) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(if e.kind == ErrorKind::Parse { 2 } else { 1 });
        }
    }
}
