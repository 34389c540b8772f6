//! The bad-input corpus (`tests/bad-input/`): every case fails to load, with an error at the
//! file, line and field that `expected.txt` names and a message holding its phrase. And the
//! base the cases were made from, also saved with a BOM and CRLF line ends, loads.

use bloc_scenario::{load, ScenarioError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn tests_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests"))
}

/// One line of `expected.txt`.
#[derive(Debug)]
struct Expected {
    case: String,
    file: String,
    line: usize,
    field: Option<String>,
    phrase: String,
}

fn expected() -> Vec<Expected> {
    let text = std::fs::read_to_string(tests_dir().join("bad-input/expected.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.splitn(5, " | ").collect();
            assert_eq!(parts.len(), 5, "bad line in expected.txt: {l}");
            Expected {
                case: parts[0].trim().to_string(),
                file: parts[1].trim().to_string(),
                line: parts[2].trim().parse().unwrap(),
                field: Some(parts[3].trim().to_string()).filter(|f| f != "-"),
                phrase: parts[4].trim().to_string(),
            }
        })
        .collect()
}

fn check_case(e: &Expected) -> Result<(), String> {
    let dir = tests_dir().join("bad-input").join(&e.case);
    let err = match load(&dir) {
        Ok(_) => return Err(format!("{}: loaded, but should have failed", e.case)),
        Err(err) => err,
    };
    let shown = err.to_string();
    // Shown with `--nocapture`, to read the messages side by side.
    println!("{:<32} {shown}", e.case);
    let ScenarioError::Invalid { at, message } = &err else {
        return Err(format!("{}: not an Invalid error: {shown}", e.case));
    };
    let file = at
        .file
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    let mut wrong = Vec::new();
    if file != e.file {
        wrong.push(format!("file {file} != {}", e.file));
    }
    if at.line != Some(e.line) {
        wrong.push(format!("line {:?} != {}", at.line, e.line));
    }
    if at.field != e.field {
        wrong.push(format!("field {:?} != {:?}", at.field, e.field));
    }
    if !message.contains(&e.phrase) {
        wrong.push(format!("message lacks `{}`", e.phrase));
    }
    // The display form is `file:line: field `x`: message`.
    let prefix = match &e.field {
        Some(f) => format!(":{}: field `{f}`: ", e.line),
        None => format!(":{}: ", e.line),
    };
    if !shown.contains(&prefix) {
        wrong.push(format!("display lacks `{prefix}`"));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n    got: {shown}",
            e.case,
            wrong.join("; ")
        ))
    }
}

#[test]
fn every_bad_input_case_fails_where_expected() {
    let cases = expected();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let failures: Vec<String> = cases.iter().filter_map(|e| check_case(e).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_folder_is_listed_once() {
    let listed: Vec<String> = expected().into_iter().map(|e| e.case).collect();
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "a case is listed twice");
    let folders: BTreeSet<String> = std::fs::read_dir(tests_dir().join("bad-input"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = listed.into_iter().collect();
    assert_eq!(folders, listed);
    for f in &folders {
        assert!(
            tests_dir()
                .join("bad-input")
                .join(f)
                .join("scenario.toml")
                .is_file(),
            "{f} has no scenario.toml"
        );
    }
}

#[test]
fn the_base_of_the_corpus_loads() {
    let s = load(&tests_dir().join("data/base")).unwrap();
    assert_eq!(s.name, "bad-input-base");
    assert_eq!(s.seed, 7);
    assert_eq!(s.regions.len(), 3);
    assert_eq!(s.processes.len(), 5);
    assert_eq!(s.processes[1].inputs.len(), 1);
    assert_eq!(s.bloc.members.len(), 2);
    assert_eq!(s.bloc.members[1].span.to, Some(7));
}

#[test]
fn bom_and_crlf_load_the_same() {
    let plain = load(&tests_dir().join("data/base")).unwrap();
    let bom = load(&tests_dir().join("data/bom-crlf")).unwrap();
    assert!(std::fs::read(tests_dir().join("data/bom-crlf/regions.csv"))
        .unwrap()
        .starts_with(b"\xEF\xBB\xBF"));
    assert_eq!(bom.name, plain.name);
    assert_eq!(bom.regions, plain.regions);
    assert_eq!(bom.commodities, plain.commodities);
    assert_eq!(bom.processes, plain.processes);
    assert_eq!(bom.demand, plain.demand);
    assert_eq!(bom.transport, plain.transport);
    assert_eq!(bom.tariffs, plain.tariffs);
    assert_eq!(bom.bloc, plain.bloc);
    assert_ne!(bom.hash, plain.hash);
}

/// A file named on the command line that does not exist is an I/O error naming it.
#[test]
fn missing_scenario_is_an_io_error() {
    let err = load(Path::new("/no/such/scenario.toml")).unwrap_err();
    assert!(matches!(err, ScenarioError::Io { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("/no/such/scenario.toml: cannot read"),
        "{err}"
    );
}
