//! The scenarios shipped in `scenarios/`, embedded in the binary.
//!
//! `bloc example NAME DIR` loads the named scenario from the embedded files exactly as
//! `bloc run` would, then writes out every file that load read (its `scenario.toml`, the
//! files it `extends`, and every table they name), each under DIR at its path relative to
//! `scenarios/`. So an example that extends a base in another folder
//! (`examples/floor-fixed` → `examples/base`) arrives whole and runs from the copy.

use crate::Failure;
use anyhow::{anyhow, Context};
use bloc_scenario::{Embedded, FileSource, Scenario, ScenarioError};
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

mod files {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The scenario `bloc run` runs when none is named.
pub const DEFAULT: &str = "world";

/// Names of the shipped scenarios: every folder holding a `scenario.toml`.
pub fn names() -> BTreeSet<String> {
    files::FILES
        .iter()
        .filter_map(|(p, _)| p.strip_suffix("/scenario.toml").map(str::to_string))
        .collect()
}

/// Every shipped file, as a file source.
pub(crate) fn embedded() -> Embedded {
    Embedded::from_static(files::FILES)
}

/// Loads the default scenario from the embedded files.
/// Loads a scenario that a shipped scenario names (its `baseline`), from the embedded files.
pub fn load_embedded(path: &Path) -> Result<Scenario, ScenarioError> {
    bloc_scenario::load_from(&embedded(), path)
}

/// What `bloc run` runs without a scenario: the bloc as announced, against its baseline (the
/// world without it), so that the first command answers the main question.
pub const RUN_DEFAULT: &str = "world/bloc-feb-2026";

/// The scenario `bloc run` runs without one named ([`RUN_DEFAULT`]).
pub fn load_run_default() -> Result<Scenario, ScenarioError> {
    bloc_scenario::load_from(&embedded(), Path::new(RUN_DEFAULT))
}

pub fn load_default() -> Result<Scenario, ScenarioError> {
    bloc_scenario::load_from(&embedded(), Path::new(DEFAULT))
}

/// One line on a shipped scenario: its own `description`, or, where it inherits one with
/// `extends`, the first line of its opening comment (an example says there what it shows).
fn about(name: &str) -> String {
    let path = format!("{name}/scenario.toml");
    let own = files::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .unwrap_or_default();
    let declares = own
        .lines()
        .any(|l| l.trim_start().starts_with("description"));
    if declares || !own.contains("extends") {
        if let Ok(s) = load_embedded(Path::new(name)) {
            return s.description;
        }
    }
    // The first sentence of the opening comment, which may run over several lines.
    let comment: Vec<&str> = own
        .lines()
        .map_while(|l| l.strip_prefix('#'))
        .map(str::trim)
        .take_while(|l| !l.is_empty())
        .collect();
    let joined = comment.join(" ");
    match joined.find(". ").or_else(|| joined.find(": ")) {
        Some(i) => joined[..=i].trim_end().to_string(),
        None => joined,
    }
}

/// `bloc example [NAME] [DIR]`.
pub fn example(name: Option<&str>, dir: Option<&Path>) -> Result<(), Failure> {
    let Some(dir) = dir else {
        if let Some(n) = name {
            return Err(Failure::BadInput(anyhow!(
                "give a directory to write `{n}` into: bloc example {n} DIR"
            )));
        }
        let all = names();
        let width = all.iter().map(|n| n.len()).max().unwrap_or(0);
        let mut text = String::from("shipped scenarios (bloc example NAME DIR writes one out):\n");
        for n in all {
            let mark = if n == DEFAULT { " (default)" } else { "" };
            text.push_str(&format!("  {n:width$}  {}{mark}\n", about(&n)));
        }
        // A closed pipe (`bloc example | head`) is not a failure.
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
        return Ok(());
    };
    let name = resolve(name.unwrap_or(DEFAULT))?;
    let name = name.as_str();
    // A shipped scenario that does not load is a defect of the binary, not bad input.
    let files = embedded();
    let scenario = bloc_scenario::load_from(&files, Path::new(name))
        .with_context(|| format!("loading the shipped scenario `{name}`"))?;
    // Every file it reads, and every file its baseline reads (the baseline runs with it).
    let mut to_write = scenario.files.clone();
    if let Some(base) = &scenario.baseline {
        let baseline = bloc_scenario::load_from(&files, base)
            .with_context(|| format!("loading the baseline of the shipped scenario `{name}`"))?;
        for f in baseline.files {
            if !to_write.contains(&f) {
                to_write.push(f);
            }
        }
    }
    for rel in &to_write {
        let target = dir.join(safe_relative(rel)?);
        let bytes = files
            .read(rel)
            .with_context(|| format!("reading the embedded file {}", rel.display()))?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, bytes).with_context(|| format!("writing {}", target.display()))?;
    }
    println!(
        "wrote {} files of `{name}` to {}; run it with:\n  bloc run {}",
        to_write.len(),
        dir.display(),
        dir.join(name).display()
    );
    Ok(())
}

/// A shipped scenario's name: as listed (`examples/floor-fixed`), or its last part alone
/// (`floor-fixed`) where that names one scenario.
fn resolve(name: &str) -> Result<String, Failure> {
    let all = names();
    if all.contains(name) {
        return Ok(name.to_string());
    }
    let suffix = format!("/{name}");
    let matching: Vec<&String> = all.iter().filter(|n| n.ends_with(&suffix)).collect();
    if let [one] = matching[..] {
        return Ok(one.clone());
    }
    let list: Vec<&str> = all.iter().map(String::as_str).collect();
    Err(Failure::BadInput(anyhow!(
        "no shipped scenario `{name}`; there are: {}",
        list.join(", ")
    )))
}

/// An embedded path, checked to stay inside the directory it is written under.
fn safe_relative(rel: &Path) -> anyhow::Result<PathBuf> {
    if rel.components().all(|c| matches!(c, Component::Normal(_))) {
        Ok(rel.to_path_buf())
    } else {
        Err(anyhow!(
            "the shipped file `{}` lies outside `scenarios/`",
            rel.display()
        ))
    }
}
