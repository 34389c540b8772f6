//! The bad-input corpus (`tests/bad-input.toml`): every case, made from the base
//! (`tests/data/base/`) by its edits in a temporary folder, fails to load, with an error at
//! the file, line and field the case names and a message holding its phrase. Every edit
//! applies (a replaced text occurs exactly once) and every case changes the base, so that no
//! case can quietly become the base itself. And the base loads, also when saved with a BOM
//! and CRLF line ends.

use bloc_scenario::{load, ScenarioError};
use bloc_testkit::overlay::{Case, Overlay};
use std::path::{Path, PathBuf};

fn tests_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests"))
}

fn corpus() -> Overlay {
    Overlay::read(&tests_dir().join("bad-input.toml"))
}

fn check_case(corpus: &Overlay, c: &Case) -> Result<(), String> {
    let made = corpus.make(c)?;
    let e = &c.error;
    let err = match load(&made.dir) {
        Ok(_) => return Err(format!("{}: loaded, but should have failed", c.name)),
        Err(err) => err,
    };
    let shown = err.to_string();
    // Shown with `--nocapture`, to read the messages side by side.
    println!("{:<32} {shown}", c.name);
    let ScenarioError::Invalid { at, message } = &err else {
        return Err(format!("{}: not an Invalid error: {shown}", c.name));
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
            c.name,
            wrong.join("; ")
        ))
    }
}

#[test]
fn every_bad_input_case_fails_where_expected() {
    let corpus = corpus();
    let cases = &corpus.cases;
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check_case(&corpus, c).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Each edit finds its text exactly once, and each case's scenario differs from the base (a
/// case that broke nothing would fail for a reason of its own, or not at all). Names are
/// unique: `Overlay::read` refuses a name used twice.
#[test]
fn every_edit_applies_once_and_every_case_changes_the_base() {
    let corpus = corpus();
    let base = corpus.base_files();
    assert!(base.contains_key("scenario.toml"), "{:?}", corpus.base);
    let failures: Vec<String> = corpus
        .cases
        .iter()
        .filter_map(|c| c.apply(&base).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases do not apply:\n{}",
        failures.len(),
        corpus.cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_base_of_the_corpus_loads() {
    let base = corpus().base;
    assert_eq!(base, tests_dir().join("data/base"));
    let s = load(&base).unwrap();
    assert_eq!(s.name, "bad-input-base");
    assert_eq!(s.seed, 7);
    assert_eq!(s.regions.len(), 3);
    assert_eq!(s.processes.len(), 5);
    assert_eq!(s.processes[1].inputs.len(), 1);
    assert_eq!(s.bloc.members.len(), 2);
    assert_eq!(s.bloc.members[1].span.to, Some(7));
}

/// The base saved with a UTF-8 BOM and CRLF line ends (written here, from the base) loads
/// to the same scenario; only its hash, of the bytes, differs.
#[test]
fn bom_and_crlf_load_the_same() {
    let corpus = corpus();
    let plain = load(&corpus.base).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bom_dir = tmp.path().join("bom-crlf");
    std::fs::create_dir(&bom_dir).unwrap();
    for (name, bytes) in corpus.base_files() {
        assert!(!bytes.contains(&b'\r'), "{name}: the base has CR already");
        let mut out = b"\xEF\xBB\xBF".to_vec();
        for &b in &bytes {
            if b == b'\n' {
                out.push(b'\r');
            }
            out.push(b);
        }
        std::fs::write(bom_dir.join(name), out).unwrap();
    }
    let bom = load(&bom_dir).unwrap();
    let regions = std::fs::read(bom_dir.join("regions.csv")).unwrap();
    assert!(regions.starts_with(b"\xEF\xBB\xBF") && regions.ends_with(b"\r\n"));
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
