//! Bad input through the command line: every case of the loader's bad-input corpus
//! (`crates/bloc-scenario/tests/bad-input.toml`, each case made from its base by
//! `bloc_testkit::overlay` in a temporary folder) makes `bloc run` and `bloc check` exit 1
//! with a message that names the file, the line and the field, and `bloc run` leaves no
//! results directory behind, not even a partial one.

mod common;

use bloc_testkit::overlay::{Case, Overlay};
use common::{bloc, repo};

fn corpus() -> Overlay {
    Overlay::read(&repo().join("crates/bloc-scenario/tests/bad-input.toml"))
}

/// What is wrong with how the CLI handled one case (empty: all right).
fn check_case(corpus: &Overlay, case: &Case) -> Vec<String> {
    let made = match corpus.make(case) {
        Ok(m) => m,
        Err(e) => return vec![e],
    };
    let (dir, c) = (&made.dir, &case.error);
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let out = tmp.path().join("out");
    let o = bloc(&[
        "run".as_ref(),
        dir.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let mut wrong = Vec::new();
    if o.status.code() != Some(1) {
        wrong.push(format!("`bloc run` exited with {} instead of 1", o.status));
    }
    let at = format!("{}:{}", c.file, c.line);
    if !stderr.contains(&at) {
        wrong.push(format!("stderr does not name `{at}`"));
    }
    if let Some(f) = &c.field {
        if !stderr.contains(&format!("field `{f}`")) {
            wrong.push(format!("stderr does not name the field `{f}`"));
        }
    }
    if !stderr.contains(&c.phrase) {
        wrong.push(format!("stderr does not say `{}`", c.phrase));
    }
    if out.exists() {
        wrong.push("the results directory was created".to_string());
    }
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("read the temporary directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    if !left.is_empty() {
        wrong.push(format!(
            "files were left beside the results directory: {left:?}"
        ));
    }
    let check = bloc(&["check".as_ref(), dir.as_os_str()]);
    if check.status.code() != Some(1) {
        wrong.push(format!(
            "`bloc check` exited with {} instead of 1",
            check.status
        ));
    }
    if !String::from_utf8_lossy(&check.stderr).contains(&at) {
        wrong.push(format!("`bloc check` does not name `{at}`"));
    }
    if !wrong.is_empty() {
        wrong.push(format!("stderr of `bloc run`: {}", stderr.trim()));
    }
    wrong
}

#[test]
fn every_bad_input_case_exits_1_naming_file_line_and_field_and_leaves_no_results() {
    let corpus = corpus();
    let cases = &corpus.cases;
    assert!(
        cases.len() >= 30,
        "only {} cases in bad-input.toml",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let wrong = check_case(&corpus, c);
            (!wrong.is_empty()).then(|| format!("{}:\n    {}", c.name, wrong.join("\n    ")))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad-input cases mishandled by the CLI:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_scenario_that_does_not_exist_is_bad_input_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-scenario");
    let out = tmp.path().join("out");
    for args in [
        vec![
            "run".as_ref(),
            missing.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--quiet".as_ref(),
        ],
        vec!["check".as_ref(), missing.as_os_str()],
    ] {
        let o = bloc(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("no-such-scenario") && stderr.contains("cannot read"),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!out.exists());
}

#[test]
fn a_good_scenario_exits_0_and_writes_its_results() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let base = repo().join("scenarios/examples/base");
    let o = bloc(&[
        "run".as_ref(),
        base.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.stderr.is_empty(),
        "warnings: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    for f in [
        "prices.csv",
        "flows.csv",
        "production.csv",
        "consumption.csv",
        "policy.csv",
        "stockpile.csv",
        "indicators.csv",
        "run.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let check = bloc(&["check".as_ref(), base.as_os_str()]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
