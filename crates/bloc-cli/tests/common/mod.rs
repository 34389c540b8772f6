//! Helpers shared by the command line's integration tests.
#![allow(dead_code)] // each test file uses some of them

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// Runs the built `bloc` binary with `args`.
pub fn bloc(args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bloc"))
        .args(args)
        .output()
        .expect("start bloc")
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
