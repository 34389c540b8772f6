//! Helpers shared by the command line's integration tests.
#![allow(dead_code)] // each test file uses some of them

pub use bloc_testkit::repo;
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// The built `bloc` binary. Cargo sets `CARGO_BIN_EXE_bloc` only for this crate's tests, so
/// this is the one place that names it (the rest of the shared support is `bloc-testkit`).
pub const BLOC: &str = env!("CARGO_BIN_EXE_bloc");

/// A command for the built `bloc` binary.
pub fn bloc_command() -> Command {
    Command::new(BLOC)
}

/// Runs the built `bloc` binary with `args`.
pub fn bloc(args: &[&OsStr]) -> Output {
    bloc_command().args(args).output().expect("start bloc")
}

/// Runs `bloc` with `args` and insists on exit 0, showing its stderr otherwise.
pub fn bloc_ok(args: &[&OsStr]) -> Output {
    let o = bloc(args);
    assert!(
        o.status.success(),
        "bloc {args:?} failed ({}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `bloc run SCENARIO --out OUT --quiet`, whatever its exit.
pub fn run_quiet(scenario: &Path, out: &Path) -> Output {
    bloc(&[
        "run".as_ref(),
        scenario.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ])
}

/// Runs the shipped scenario `name` (its path under `scenarios/`) into `dir/name`, insists
/// on exit 0 and returns the run directory.
pub fn run_example(dir: &Path, name: &str) -> std::path::PathBuf {
    let out = dir.join(name);
    let o = run_quiet(&repo().join("scenarios").join(name), &out);
    assert!(
        o.status.success(),
        "bloc run {name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Folders below `dir` for which `keep` holds, at any depth, as `/`-separated paths
/// relative to `dir`.
pub fn folders(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.map(|e| e.expect("a directory entry")) {
            let p = e.path();
            if p.is_dir() {
                if keep(&p) {
                    let rel = p.strip_prefix(root).expect("below the root");
                    let parts: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    out.insert(parts.join("/"));
                }
                walk(root, &p, keep, out);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, keep, &mut out);
    out
}

/// Every shipped scenario: each folder under `scenarios/` holding a `scenario.toml`, as its
/// path under `scenarios/` (`examples/floor-fixed`), the name `bloc example` lists.
pub fn shipped() -> BTreeSet<String> {
    folders(&repo().join("scenarios"), &|p| {
        p.join("scenario.toml").is_file()
    })
}
