//! The scenarios shipped in `scenarios/`, embedded in the binary.

use crate::Failure;
use anyhow::{anyhow, Context};
use bloc_scenario::{Embedded, Scenario, ScenarioError};
use std::collections::BTreeSet;
use std::path::Path;

mod files {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The scenario `bloc run` runs when none is named.
pub const DEFAULT: &str = "illustrative";

/// Names of the shipped scenarios: every folder holding a `scenario.toml`.
pub fn names() -> BTreeSet<String> {
    files::FILES
        .iter()
        .filter_map(|(p, _)| p.strip_suffix("/scenario.toml").map(str::to_string))
        .collect()
}

/// Loads the default scenario from the embedded files.
pub fn load_default() -> Result<Scenario, ScenarioError> {
    bloc_scenario::load_from(&Embedded::from_static(files::FILES), Path::new(DEFAULT))
}

/// `bloc example [NAME] [DIR]`.
pub fn example(name: Option<&str>, dir: Option<&Path>) -> Result<(), Failure> {
    let Some(dir) = dir else {
        if let Some(n) = name {
            return Err(Failure::BadInput(anyhow!("give a directory to write `{n}` into: bloc example {n} DIR")));
        }
        println!("shipped scenarios (bloc example NAME DIR writes one out):");
        for n in names() {
            let mark = if n == DEFAULT { "  (default)" } else { "" };
            println!("  {n}{mark}");
        }
        return Ok(());
    };
    let name = name.unwrap_or(DEFAULT);
    if !names().contains(name) {
        let list: Vec<String> = names().into_iter().collect();
        return Err(Failure::BadInput(anyhow!("no shipped scenario `{name}`; there are: {}", list.join(", "))));
    }
    let prefix = format!("{name}/");
    let mut written = 0;
    for (path, bytes) in files::FILES {
        // Files of this scenario and of the folders it extends from (its parents).
        let Some(rel) = path.strip_prefix(&prefix) else { continue };
        let target = dir.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, bytes).with_context(|| format!("writing {}", target.display()))?;
        written += 1;
    }
    println!("wrote {written} files of `{name}` to {}", dir.display());
    Ok(())
}
