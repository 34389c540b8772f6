//! `bloc example`: with no arguments it lists the shipped scenarios; `bloc example NAME DIR`
//! writes one out with every file it needs (including the base it `extends` from another
//! folder), and the written copy runs.

mod common;

use common::{bloc, shipped};
use std::collections::BTreeSet;

#[test]
fn with_no_arguments_it_lists_every_shipped_scenario() {
    let o = bloc(&["example".as_ref()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listed: BTreeSet<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(listed, shipped());
    // Each line says what the scenario is: its `description`.
    let text = String::from_utf8_lossy(&o.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("world/bloc-vs-controls-leaky"))
        .expect("the leaky variant is listed");
    assert!(line.contains("last shipper"), "{line}");
}

#[test]
fn every_shipped_scenario_written_out_loads_and_runs_from_the_copy() {
    let names = shipped();
    assert!(
        names.contains("examples/floor-fixed") && names.contains("illustrative"),
        "{names:?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for name in &names {
        let dir = tmp.path().join(name.replace('/', "__"));
        let o = bloc(&["example".as_ref(), name.as_ref(), dir.as_os_str()]);
        if !o.status.success() {
            failures.push(format!(
                "bloc example {name}: {}",
                String::from_utf8_lossy(&o.stderr)
            ));
            continue;
        }
        let copy = dir.join(name);
        let stdout = String::from_utf8_lossy(&o.stdout);
        if !stdout.contains(&format!("bloc run {}", copy.display())) {
            failures.push(format!(
                "bloc example {name} does not say how to run the copy: {stdout}"
            ));
        }
        // Every copy must load: `check` reads every file the scenario names.
        let check = bloc(&["check".as_ref(), copy.as_os_str(), "--quiet".as_ref()]);
        if !check.status.success() {
            failures.push(format!(
                "bloc check {} ({}): {}",
                copy.display(),
                check.status,
                String::from_utf8_lossy(&check.stderr)
            ));
            continue;
        }
        // The small worked examples also run from the copy (a baseline is read only then);
        // the 40-quarter world scenarios take tens of seconds each and run in golden.rs.
        if name.starts_with("world") {
            continue;
        }
        let out = tmp.path().join(format!("out-{}", name.replace('/', "__")));
        let run = bloc(&[
            "run".as_ref(),
            copy.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--quiet".as_ref(),
        ]);
        if !run.status.success() || !run.stderr.is_empty() {
            failures.push(format!(
                "bloc run {} ({}): {}",
                copy.display(),
                run.status,
                String::from_utf8_lossy(&run.stderr)
            ));
        } else if !out.join("prices.csv").is_file() {
            failures.push(format!("bloc run {} wrote no prices.csv", copy.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_example_that_extends_another_folder_brings_its_base() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bloc(&[
        "example".as_ref(),
        "examples/floor-fixed".as_ref(),
        tmp.path().as_os_str(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in [
        "examples/floor-fixed/scenario.toml",
        "examples/base/scenario.toml",
        "examples/base/regions.csv",
        "examples/base/demand.csv",
    ] {
        assert!(tmp.path().join(f).is_file(), "{f} not written");
    }
    // Only what the scenario reads: no other example comes along.
    assert!(!tmp.path().join("examples/floor-lagged").exists());
}

#[test]
fn a_short_name_that_names_one_scenario_is_enough() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bloc(&[
        "example".as_ref(),
        "floor-fixed".as_ref(),
        tmp.path().as_os_str(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(tmp
        .path()
        .join("examples/floor-fixed/scenario.toml")
        .is_file());
    let copy = tmp.path().join("examples/floor-fixed");
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("bloc run {}", copy.display())));
}

#[test]
fn an_unknown_name_or_a_missing_directory_is_bad_input() {
    let o = bloc(&[
        "example".as_ref(),
        "no-such-example".as_ref(),
        "somewhere".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("examples/floor-fixed"),
        "the message lists the names"
    );
    let o = bloc(&["example".as_ref(), "examples/floor-fixed".as_ref()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give a directory"));
}
