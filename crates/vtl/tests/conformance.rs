//! The Apache Velocity test templates in `../shared/conformance/velocity-engine` (see its
//! README): every case must render byte for byte what Velocity 1.7 rendered. The data lives
//! beside the project, not in it; without it this suite says so and passes nothing.

use std::path::{Path, PathBuf};
use vtl::{Config, DirLoader, Engine};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/velocity-engine");
    dir.join("MANIFEST.tsv").exists().then_some(dir)
}

struct Case {
    id: String,
    template: PathBuf,
    expected: PathBuf,
    context: Option<PathBuf>,
    loader: PathBuf,
    properties: String,
    normalize_eol: bool,
}

fn cases(dir: &Path) -> Vec<Case> {
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    manifest
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Case {
                id: f[0].to_string(),
                template: dir.join(f[1]),
                expected: dir.join(f[2]),
                context: (f[3] != "-").then(|| dir.join(f[3])),
                loader: dir.join(f[4]),
                properties: f[5].to_string(),
                normalize_eol: f[6] == "eol-normalized",
            }
        })
        .collect()
}

fn config(properties: &str) -> Config {
    let mut config = Config::default();
    for p in properties.split(',').filter(|p| *p != "-") {
        match p.split_once('=') {
            Some(("directive.set.null.allowed", "true")) => config.set_null_allowed = true,
            Some(("directive.evaluate.context.class", _)) => config.evaluate_local_context = true,
            other => panic!("unknown property in MANIFEST.tsv: {other:?}"),
        }
    }
    config
}

/// Reads a file as Velocity's harness does (UTF-8).
fn read(path: &Path) -> String {
    String::from_utf8(std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .expect("UTF-8")
}

fn render(case: &Case) -> Result<String, vtl::Error> {
    let engine = Engine::new(config(&case.properties));
    let json: serde_json::Value = match &case.context {
        Some(p) => serde_json::from_str(&read(p)).expect("context JSON"),
        None => serde_json::json!({}),
    };
    let vars = engine.harness_vars(&json);
    let loader = DirLoader(case.loader.clone());
    let name = case.template.file_name().unwrap().to_string_lossy().to_string();
    engine.render_source(&name, &read(&case.template), vars, &loader)
}

#[test]
fn all_velocity_engine_cases_render_as_velocity_does() {
    let Some(dir) = corpus() else {
        eprintln!("\n*** SKIPPED: ../shared/conformance/velocity-engine is not there; the conformance suite did not run ***\n");
        return;
    };
    let all = cases(&dir);
    assert_eq!(all.len(), 49, "MANIFEST.tsv lists 49 cases");
    let mut failures = Vec::new();
    for case in &all {
        let mut expected = read(&case.expected);
        let mut got = match render(case) {
            Ok(out) => out,
            Err(e) => format!("ERROR: {e}"),
        };
        if case.normalize_eol {
            expected = expected.replace("\r\n", "\n");
            got = got.replace("\r\n", "\n");
        }
        if got != expected {
            let at = got
                .bytes()
                .zip(expected.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(got.len().min(expected.len()));
            let from = at.saturating_sub(60);
            failures.push(format!(
                "{}: differs at byte {at}\n  expected: {:?}\n  got:      {:?}",
                case.id,
                expected.get(from..(at + 60).min(expected.len())).unwrap_or(""),
                got.get(from..(at + 60).min(got.len())).unwrap_or("")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
