//! `bloc --trace` (issue 16, item 2): the solver's search is traced through `tracing` spans
//! and events on stderr, not `BLOC_TRACE` and `eprintln!`; without `--trace` or `RUST_LOG`
//! nothing is printed, and tracing changes no result byte.

use std::process::Command;

fn run(trace: bool, out: &std::path::Path) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bloc"));
    c.env_remove("RUST_LOG");
    if trace {
        c.arg("--trace");
    }
    let scenario = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/examples/floor-fixed"
    );
    c.args(["run", scenario, "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn trace_prints_the_search_and_changes_no_result() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("plain"), tmp.path().join("traced"));
    let plain = run(false, &a);
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    assert!(
        plain.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let traced = run(true, &b);
    assert!(traced.status.success());
    let err = String::from_utf8_lossy(&traced.stderr);
    assert!(err.contains("solve_market"), "{err}");
    assert!(err.contains("period{label=2026}"), "{err}");
    assert!(err.contains("round"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour codes in a piped trace: {err}"
    );
    for f in ["prices.csv", "flows.csv", "indicators.csv"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}
