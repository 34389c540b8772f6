//! Test support shared by the integration tests of several `bloc` crates, so that each idea
//! has one home: where the repository is, how a browser test finds, starts and watches
//! headless Chromium and when it may skip, how a test reads a CSV file, and how a scenario
//! variant is made from a base by an overlay of edits.
//!
//! A dev-dependency only (`publish = false`). What needs a crate's own build stays in that
//! crate's tests: the `bloc` binary is `env!("CARGO_BIN_EXE_bloc")`, which Cargo sets only
//! for `bloc-cli`'s tests, so its lookup lives in `crates/bloc-cli/tests/common`.
#![deny(missing_docs)]

pub mod chromium;
pub mod overlay;
mod table;

pub use table::Table;

use std::path::{Path, PathBuf};

/// The repository root (the workspace's folder): two levels above the manifest of the crate
/// under test, as cargo sets `CARGO_MANIFEST_DIR` when it runs a test. Read at run time, not
/// with `env!`: cargo reuses this crate's build across clones that share a target directory
/// (as CI's fresh clone does), and a path baked in at compile time then names another clone.
pub fn repo() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// Copies the files directly in `from` (not its subfolders) into `to`, which must exist.
pub fn copy_files(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let e = e.expect("a directory entry");
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name()))
                .unwrap_or_else(|err| panic!("copy {}: {err}", e.path().display()));
        }
    }
}
