//! Monte Carlo sweeps over a scenario's uncertain inputs (`[[uncertain]]`).
//!
//! A sweep draws `N` samples of the uncertain inputs from a seeded generator, applies each as
//! an overlay on the scenario's files (so the ordinary loader validates every sampled
//! scenario), runs the engine on each in parallel (rayon), and keeps each sample's
//! `indicators.csv` rows. It writes a sweep directory:
//!
//! | file | content |
//! | --- | --- |
//! | `indicators.parquet` | sample, period, indicator, scope, value: one row per sample × period × indicator × scope |
//! | `samples.csv` | sample, status (`ok`/`failed`), error, then one column per uncertain input with its draw |
//! | `bands.csv` | period, indicator, scope, p5, p50, p95 over the samples that ran |
//! | `sweep.json` | scenario name and hash, engine version, seed, samples, inputs, failures; `shard` for a shard |
//!
//! A sample whose draws make the scenario invalid, or whose run fails (or panics), is
//! recorded in `samples.csv` with its error; the sweep goes on.
//!
//! **Shards.** Sample `i` draws from a stream that depends on `(seed, i)` alone
//! ([`sample::draws`]), so `--shard I/N` (the samples with `i mod N = I`) can run anywhere,
//! and [`merge`] joins the shard directories into exactly the bytes of the unsharded sweep.
#![deny(missing_docs)]

pub mod bands;
mod output;
pub mod parquet_io;
mod run;
pub mod sample;

pub use output::{merge, read_dir, write_dir, Manifest, SweepOutput};
pub use run::{prepare, sweep, Prepared, SweepOptions};
pub use sample::Sampling;

use std::path::PathBuf;

/// One row of `indicators.parquet`: a sample's `indicators.csv` row.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorRow {
    /// Sample index (0-based).
    pub sample: u64,
    /// Period label.
    pub period: String,
    /// Indicator name.
    pub indicator: String,
    /// Scope.
    pub scope: String,
    /// Value (the number in `indicators.csv`).
    pub value: f64,
}

/// One row of `samples.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleRecord {
    /// Sample index.
    pub sample: u64,
    /// Why the sample failed; `None` when it ran.
    pub error: Option<String>,
    /// The drawn values, as written into the scenario, one per uncertain input.
    pub draws: Vec<String>,
}

/// Which share of the samples to run: those with `index mod count = shard`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard (0-based).
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// Whether sample `i` belongs to this shard.
    pub fn has(&self, i: u64) -> bool {
        i % self.count == self.index
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a shard; write I/N with 0 <= I < N, as `0/4`");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u64, u64) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What can stop a sweep as a whole (a failing *sample* never does).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The scenario or its `[[uncertain]]` inputs are invalid as written.
    #[error(transparent)]
    Scenario(#[from] bloc_scenario::ScenarioError),
    /// A file could not be read or written.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Shard directories that do not make one sweep.
    #[error("cannot merge: {0}")]
    Merge(String),
    /// Bad options.
    #[error("{0}")]
    Options(String),
}
