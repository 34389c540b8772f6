//! A scenario and the files that sit beside it: the targets of `bloc calibrate`
//! (`calibration/`) and the record of `bloc validate` (`validation.csv`). They are read from
//! disk next to a named scenario file, or, for a shipped scenario, from the embedded files.

use crate::{shipped, Failure};
use anyhow::{anyhow, Context};
use bloc_scenario::{Disk, FileSource, Scenario, SCENARIO_FILE};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// A loaded scenario and where its companion files are read from.
pub(crate) struct Beside {
    pub scenario: Scenario,
    /// The folder holding the scenario file (on disk, or inside the embedded files).
    dir: PathBuf,
    /// The disk, or the embedded files for a shipped scenario.
    source: Box<dyn FileSource>,
    /// How a read names its file: `""` on disk, `"the embedded file "` for a shipped one.
    what: &'static str,
}

impl Beside {
    /// Loads `path` (a folder holding `scenario.toml`, or a `.toml` file), or the shipped
    /// scenario `default` (a path inside `scenarios/`) when no path is given.
    pub fn load(path: Option<&Path>, default: &str) -> Result<Beside, Failure> {
        let (source, at, what): (Box<dyn FileSource>, &Path, _) = match path {
            Some(p) => (Box::new(Disk), p, ""),
            None => (
                Box::new(shipped::embedded()),
                Path::new(default),
                "the embedded file ",
            ),
        };
        let file = if source.is_dir(at) {
            at.join(SCENARIO_FILE)
        } else {
            at.to_path_buf()
        };
        let loaded = bloc_scenario::load_from(source.as_ref(), &file);
        // A scenario the user named is bad input; a shipped one that does not load is a
        // defect of the binary (left unmarked, as `bloc calibrate` always did).
        let scenario = match path {
            Some(_) => loaded.map_err(|e| Failure::BadInput(anyhow::Error::new(e)))?,
            None => loaded.with_context(|| format!("loading the shipped scenario `{default}`"))?,
        };
        Ok(Beside {
            scenario,
            dir: file.parent().map(Path::to_path_buf).unwrap_or_default(),
            source,
            what,
        })
    }

    /// Where a companion file `rel` is read from (for messages).
    pub fn path_of(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// Reads the companion file `rel` (a path relative to the scenario's folder).
    pub fn read(&self, rel: &str) -> Result<Vec<u8>, Failure> {
        let f = self.dir.join(rel);
        self.source
            .read(&f)
            .with_context(|| format!("reading {}{}", self.what, f.display()))
            .map_err(Failure::BadInput)
    }

    /// Reads the CSV file `rel` into rows of `T`; a row that does not parse is a bad-input
    /// error naming the file and line.
    pub fn parse<T: for<'de> Deserialize<'de>>(
        &self,
        rel: &str,
    ) -> Result<Vec<(usize, T)>, Failure> {
        let bytes = self.read(rel)?;
        let name = self.path_of(rel);
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes.as_slice());
        reader
            .deserialize()
            .enumerate()
            .map(|(i, r)| {
                r.map(|row| (i + 2, row))
                    .map_err(|e| Failure::BadInput(anyhow!("{}:{}: {e}", name.display(), i + 2)))
            })
            .collect()
    }
}
