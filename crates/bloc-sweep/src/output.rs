//! The sweep directory: writing it atomically, reading it back, and merging shards.
//!
//! One function writes every sweep directory, sharded or not, from rows in sample order;
//! `merge` reads the shards, puts their rows back in sample order and calls it again. So a
//! merged sweep is the unsharded sweep byte for byte, by construction, and the tests check it.

use crate::bands::bands;
use crate::run::Prepared;
use crate::{parquet_io, IndicatorRow, SampleRecord, Shard, SweepError, SweepOptions};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// `sweep.json`: what was swept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Scenario name.
    pub scenario: String,
    /// Scenario hash (SHA-256 of the files as written).
    pub scenario_hash: String,
    /// Engine version.
    pub engine: String,
    /// Seed of the draws.
    pub seed: u64,
    /// Samples in the whole sweep.
    pub samples: u64,
    /// Uncertain inputs, in declaration order (the draw columns of `samples.csv`).
    pub uncertain: Vec<String>,
    /// Samples in this directory that failed.
    pub failed: u64,
    /// `I/N` when this directory holds one shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    /// How the samples were drawn (written only for a Latin hypercube).
    #[serde(default, skip_serializing_if = "is_random")]
    pub sampling: crate::sample::Sampling,
}

fn is_random(s: &crate::sample::Sampling) -> bool {
    *s == crate::sample::Sampling::Random
}

impl Manifest {
    pub(crate) fn new(p: &Prepared, opts: &SweepOptions) -> Self {
        Manifest {
            scenario: p.scenario.name.clone(),
            scenario_hash: p.scenario.hash.clone(),
            engine: env!("CARGO_PKG_VERSION").to_string(),
            seed: opts.seed,
            samples: opts.samples,
            uncertain: p.uncertain.iter().map(|u| u.name.clone()).collect(),
            failed: 0,
            shard: opts.shard.map(|s| s.to_string()),
            sampling: opts.sampling,
        }
    }
}

/// A sweep's results (the whole sweep or one shard).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOutput {
    /// `sweep.json`.
    pub manifest: Manifest,
    /// `samples.csv`, in sample order.
    pub samples: Vec<SampleRecord>,
    /// `indicators.parquet`, in sample order.
    pub rows: Vec<IndicatorRow>,
}

fn io(path: &Path, e: impl std::fmt::Display) -> SweepError {
    SweepError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// Writes `out` (created, or replaced if it holds a sweep) atomically: everything goes into
/// a sibling temporary directory that is renamed into place at the end. `bands.csv` is
/// written for a whole sweep, not for a shard.
pub fn write_dir(out: &Path, result: &SweepOutput) -> Result<(), SweepError> {
    let mut manifest = result.manifest.clone();
    manifest.failed = result.samples.iter().filter(|s| s.error.is_some()).count() as u64;
    // Replaced only when empty or holding an earlier sweep (bloc's marker): never a
    // directory that bloc did not write, the working directory or one of its parents.
    let abs = bloc_results::out::check_out_dir(out, bloc_results::out::OutKind::Sweep, &[])
        .map_err(|e| SweepError::Options(format!("--out {e}")))?;
    let parent = abs
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::create_dir_all(&parent).map_err(|e| io(&parent, e))?;
    let tmp = bloc_results::out::temp_sibling(&abs, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| io(&tmp, e))?;
    let written = (|| {
        parquet_io::write(&tmp.join("indicators.parquet"), &result.rows)?;
        write_samples(
            &tmp.join("samples.csv"),
            &manifest.uncertain,
            &result.samples,
        )?;
        if manifest.shard.is_none() {
            let ran: Vec<u64> = result
                .samples
                .iter()
                .filter(|s| s.error.is_none())
                .map(|s| s.sample)
                .collect();
            write_bands(&tmp.join("bands.csv"), &result.rows, &ran)?;
        }
        let json = serde_json::to_string_pretty(&manifest).map_err(|e| io(&tmp, e))? + "\n";
        std::fs::write(tmp.join("sweep.json"), json).map_err(|e| io(&tmp, e))?;
        let marker = bloc_results::out::MARKER;
        std::fs::write(
            tmp.join(marker),
            bloc_results::out::OutKind::Sweep.marker_text(),
        )
        .map_err(|e| io(&tmp, e))
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if abs.exists() {
        std::fs::remove_dir_all(&abs).map_err(|e| io(out, e))?;
    }
    std::fs::rename(&tmp, &abs).map_err(|e| io(out, e))
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> SweepError + '_ {
    move |e| io(path, e)
}

fn write_samples(
    path: &Path,
    names: &[String],
    samples: &[SampleRecord],
) -> Result<(), SweepError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    let mut header = vec!["sample".to_string(), "status".into(), "error".into()];
    header.extend(names.iter().cloned());
    w.write_record(&header).map_err(csv_err(path))?;
    for s in samples {
        let mut rec = vec![
            s.sample.to_string(),
            if s.error.is_some() { "failed" } else { "ok" }.to_string(),
            s.error.clone().unwrap_or_default(),
        ];
        rec.extend(s.draws.iter().cloned());
        w.write_record(&rec).map_err(csv_err(path))?;
    }
    w.flush().map_err(|e| io(path, e))
}

fn write_bands(path: &Path, rows: &[IndicatorRow], ran: &[u64]) -> Result<(), SweepError> {
    let mut w = csv::Writer::from_path(path).map_err(csv_err(path))?;
    w.write_record(bloc_results::BandRow::HEADER)
        .map_err(csv_err(path))?;
    for b in bands(rows, ran) {
        w.write_record(b.record()).map_err(csv_err(path))?;
    }
    w.flush().map_err(|e| io(path, e))
}

/// Reads a sweep directory (whole or shard).
pub fn read_dir(dir: &Path) -> Result<SweepOutput, SweepError> {
    let mpath = dir.join("sweep.json");
    let text = std::fs::read_to_string(&mpath).map_err(|e| io(&mpath, e))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| io(&mpath, e))?;
    let spath = dir.join("samples.csv");
    let mut r = csv::Reader::from_path(&spath).map_err(csv_err(&spath))?;
    let width = 3 + manifest.uncertain.len();
    let mut samples = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(csv_err(&spath))?;
        let bad = || {
            io(
                &spath,
                format!(
                    "row {:?} is not a sample record",
                    rec.position().map(|p| p.line())
                ),
            )
        };
        if rec.len() != width {
            return Err(bad());
        }
        let sample: u64 = rec[0].parse().map_err(|_| bad())?;
        let error = match &rec[1] {
            "ok" => None,
            "failed" => Some(rec[2].to_string()),
            _ => return Err(bad()),
        };
        samples.push(SampleRecord {
            sample,
            error,
            draws: rec.iter().skip(3).map(str::to_string).collect(),
        });
    }
    let rows = parquet_io::read(&dir.join("indicators.parquet"))?;
    Ok(SweepOutput {
        manifest,
        samples,
        rows,
    })
}

/// Joins shard directories (in any order) into the whole sweep. The shards must come from
/// one sweep (same scenario hash, seed, samples, inputs, engine) and be all present, once.
pub fn merge(shards: &[PathBuf]) -> Result<SweepOutput, SweepError> {
    let parts: Vec<(PathBuf, SweepOutput)> = shards
        .iter()
        .map(|d| read_dir(d).map(|o| (d.clone(), o)))
        .collect::<Result<_, _>>()?;
    let Some((first_dir, first)) = parts.first() else {
        return Err(SweepError::Merge("no shard directories given".into()));
    };
    let mut seen: Vec<Option<&Path>> = Vec::new();
    for (dir, p) in &parts {
        let shard: Shard = p
            .manifest
            .shard
            .as_deref()
            .ok_or_else(|| {
                SweepError::Merge(format!("`{}` is a whole sweep, not a shard", dir.display()))
            })?
            .parse()
            .map_err(|e| SweepError::Merge(format!("`{}`: {e}", dir.display())))?;
        let same = |m: &Manifest| Manifest {
            shard: None,
            failed: 0,
            ..m.clone()
        };
        if same(&p.manifest) != same(&first.manifest) {
            return Err(SweepError::Merge(format!(
                "`{}` and `{}` are not shards of one sweep (scenario, hash, seed, samples, sampling, inputs or engine differ)",
                first_dir.display(),
                dir.display()
            )));
        }
        if seen.is_empty() {
            seen = vec![None; shard.count as usize];
        }
        if seen.len() as u64 != shard.count {
            return Err(SweepError::Merge(format!(
                "`{}` is shard {shard} but another is one of {} shards",
                dir.display(),
                seen.len()
            )));
        }
        if let Some(other) = seen[shard.index as usize] {
            return Err(SweepError::Merge(format!(
                "shard {shard} is given twice: `{}` and `{}`",
                other.display(),
                dir.display()
            )));
        }
        seen[shard.index as usize] = Some(dir);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{i}/{}", seen.len()))
        .collect();
    if !missing.is_empty() {
        return Err(SweepError::Merge(format!(
            "shards missing: {}",
            missing.join(", ")
        )));
    }
    let mut samples: Vec<SampleRecord> = Vec::new();
    let mut rows: Vec<IndicatorRow> = Vec::new();
    for (_, p) in &parts {
        samples.extend(p.samples.iter().cloned());
        rows.extend(p.rows.iter().cloned());
    }
    samples.sort_by_key(|s| s.sample);
    // Stable: a sample's rows keep their order (that of its indicators.csv).
    rows.sort_by_key(|r| r.sample);
    let total = first.manifest.samples;
    if samples.len() as u64 != total
        || samples
            .iter()
            .enumerate()
            .any(|(i, s)| s.sample != i as u64)
    {
        return Err(SweepError::Merge(format!(
            "the shards hold {} sample records, not samples 0 to {} once each",
            samples.len(),
            total.saturating_sub(1)
        )));
    }
    Ok(SweepOutput {
        manifest: Manifest {
            shard: None,
            ..first.manifest.clone()
        },
        samples,
        rows,
    })
}
