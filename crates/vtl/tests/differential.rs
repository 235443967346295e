//! Differential test against the real Velocity 1.7: random templates and data (see
//! `support/generator.rs`) rendered by both engines must give identical bytes, or both fail.
//!
//! Needs the reference renderer in `../shared/tools/velocity-ref` with its packages
//! (`velocity`, `libgoogle-gson-java`, a JDK); without them this test says so and skips.
//! `VTL_DIFF_CASES` (default 1500) and `VTL_DIFF_SEED` (default 1) choose the cases;
//! mismatches are written to `target/vtl-differential/` for replay; `VTL_DIFF_KEEP=1` keeps all
//! cases and both engines' outputs.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::generator::Generator;
use vtl::{Config, Engine, NoLoader};

fn reference() -> Option<PathBuf> {
    let run = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/velocity-ref/run.sh");
    let ready = run.exists()
        && Path::new("/usr/share/java/velocity.jar").exists()
        && Path::new("/usr/share/java/gson.jar").exists()
        && Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success());
    ready.then_some(run)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Java prints arrays, iterators and streams as a class name and an identity hash
/// (`[Ljava.lang.String;@1b6d3586`), which no other engine can reproduce.
fn nondeterministic(output: &str) -> bool {
    let bytes = output.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'@'
            && i > 0
            && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b';' || bytes[i - 1] == b'$')
            && bytes[i + 1..].iter().take_while(|c| c.is_ascii_hexdigit()).count() >= 5
    })
}

#[test]
fn random_templates_render_as_velocity_renders_them() {
    let Some(run) = reference() else {
        eprintln!("\n*** SKIPPED: the Velocity 1.7 reference (../shared/tools/velocity-ref, velocity, gson, java) is not installed; the differential suite did not run ***\n");
        return;
    };
    let cases = env_number("VTL_DIFF_CASES", 1500);
    let seed = env_number("VTL_DIFF_SEED", 1);
    let dir = std::env::temp_dir().join(format!("vtl-differential-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut generated = Vec::new();
    for i in 0..cases {
        let mut g = Generator::new(seed.wrapping_mul(1_000_003).wrapping_add(i));
        let data = g.data();
        let template = g.template();
        let name = format!("case{i:05}");
        std::fs::write(dir.join(format!("{name}.vm")), &template).unwrap();
        std::fs::write(dir.join(format!("{name}.json")), data.to_string()).unwrap();
        generated.push((name, template, data));
    }
    let status = Command::new(&run).arg("--dir").arg(&dir).arg("--out").arg(&dir).output().expect("run.sh");
    assert!(status.status.success(), "reference failed: {}", String::from_utf8_lossy(&status.stderr));

    let report = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/vtl-differential");
    let _ = std::fs::remove_dir_all(&report);
    let (mut same, mut both_failed, mut skipped, mut mismatches) = (0, 0, 0, Vec::new());
    let mut failure_kinds: std::collections::BTreeMap<String, usize> = Default::default();
    for (name, template, data) in &generated {
        let expected = std::fs::read_to_string(dir.join(format!("{name}.out"))).ok();
        let engine = Engine::new(Config::default());
        let ours =
            engine.render_source(&format!("{name}.vm"), template, engine.harness_vars(data), &NoLoader);
        match (&expected, &ours) {
            (Some(e), _) if nondeterministic(e) => skipped += 1,
            (Some(e), Ok(o)) if e == o => same += 1,
            (None, Err(_)) => {
                both_failed += 1;
                let error = std::fs::read_to_string(dir.join(format!("{name}.error"))).unwrap_or_default();
                let kind = error.lines().next().unwrap_or("?").rsplit('.').next().unwrap_or("?").to_string();
                *failure_kinds.entry(kind).or_default() += 1;
            }
            _ => {
                let reference_error =
                    std::fs::read_to_string(dir.join(format!("{name}.error"))).unwrap_or_default();
                std::fs::create_dir_all(&report).unwrap();
                std::fs::write(report.join(format!("{name}.vm")), template).unwrap();
                std::fs::write(report.join(format!("{name}.json")), data.to_string()).unwrap();
                mismatches.push(format!(
                    "--- {name}\ntemplate: {template:?}\nvelocity: {}\nours:     {}",
                    expected
                        .as_deref()
                        .map_or(format!("ERROR {}", reference_error.replace('\n', " | ")), |e| format!(
                            "{e:?}"
                        )),
                    match &ours {
                        Ok(o) => format!("{o:?}"),
                        Err(e) => format!("ERROR {e}"),
                    }
                ));
            }
        }
    }
    if std::env::var_os("VTL_DIFF_KEEP").is_some() {
        eprintln!("cases kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    eprintln!(
        "differential: {cases} cases (seed {seed}): {same} identical, {both_failed} failed in both, {skipped} skipped (identity hashes), {} mismatches",
        mismatches.len()
    );
    eprintln!("  failures in both, by Velocity's exception: {failure_kinds:?}");
    assert!(
        mismatches.is_empty(),
        "{} of {cases} cases differ (copies in target/vtl-differential):\n{}",
        mismatches.len(),
        mismatches.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
}
