//! Running a sweep: prepare the scenario once, then draw, overlay, load and run each sample.

use crate::{sample, IndicatorRow, SampleRecord, Shard, SweepError, SweepOutput};
use bloc_market::WarmStart;
use bloc_model::RunOptions;
use bloc_scenario::uncertain::{Draw, Overlay, Uncertain};
use bloc_scenario::{Embedded, FileSource, Scenario, ScenarioError};
use rayon::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A scenario ready to sweep: its files held in memory, its uncertain inputs checked.
#[derive(Debug)]
pub struct Prepared {
    files: Embedded,
    top: PathBuf,
    /// The scenario as written (no draws applied).
    pub scenario: Scenario,
    /// Its `[[uncertain]]` inputs.
    pub uncertain: Vec<Uncertain>,
    /// The top file of its `baseline`, whose files are held too: each sample runs the
    /// baseline under the same draws (the same uncertain world without the policy), as
    /// `bloc run` does, so its comparison indicators (consumer cost, welfare change) exist.
    baseline: Option<PathBuf>,
}

/// Loads the scenario at `path` from `files`, checks its uncertain inputs, and keeps a copy
/// of every file it read, so that samples read memory, not the disk.
pub fn prepare(files: &dyn FileSource, path: &Path) -> Result<Prepared, SweepError> {
    let (scenario, uncertain) = bloc_scenario::load_with_uncertain(files, path)?;
    let mut held = Embedded::new();
    for f in &scenario.files {
        let bytes = files.read(f).map_err(|e| SweepError::Io {
            path: f.clone(),
            reason: e.to_string(),
        })?;
        held.insert(f, bytes);
    }
    let top = scenario
        .files
        .first()
        .cloned()
        .ok_or_else(|| SweepError::Options("the scenario read no file".into()))?;
    // Samples read only the held files, so the baseline's are held as well (before issue 15
    // they were not, and every sample of a scenario with a baseline failed to find it).
    let baseline = match &scenario.baseline {
        None => None,
        Some(b) => {
            let base = bloc_scenario::load_from(files, b)?;
            for f in &base.files {
                let bytes = files.read(f).map_err(|e| SweepError::Io {
                    path: f.clone(),
                    reason: e.to_string(),
                })?;
                held.insert(f, bytes);
            }
            base.files.first().cloned()
        }
    };
    Ok(Prepared {
        files: held,
        top,
        scenario,
        uncertain,
        baseline,
    })
}

/// How to sweep.
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions {
    /// Samples in the whole sweep (all shards together).
    pub samples: u64,
    /// Seed of the draws.
    pub seed: u64,
    /// Run only this shard.
    pub shard: Option<Shard>,
    /// Independent draws, or a Latin hypercube over the whole sweep.
    pub sampling: sample::Sampling,
}

/// Runs the samples of `opts` (those of the shard, if one is given) in parallel on the
/// current rayon pool; `progress` is called once after each sample.
pub fn sweep(p: &Prepared, opts: &SweepOptions, progress: &(dyn Fn() + Sync)) -> SweepOutput {
    let indices: Vec<u64> = (0..opts.samples)
        .filter(|i| !matches!(opts.shard, Some(s) if !s.has(*i)))
        .collect();
    // A Latin hypercube's strata belong to the whole sweep: every shard draws the same.
    let strata = match opts.sampling {
        sample::Sampling::Random => None,
        sample::Sampling::LatinHypercube => {
            Some(sample::strata(p.uncertain.len(), opts.seed, opts.samples))
        }
    };
    let guide = if indices.is_empty() {
        None
    } else {
        nominal_answers(p)
    };
    let results: Vec<(SampleRecord, Vec<IndicatorRow>)> = indices
        .into_par_iter()
        .map(|i| {
            let draws = match &strata {
                None => sample::draws(&p.uncertain, opts.seed, i),
                Some(st) => sample::lhs_draws(&p.uncertain, st, opts.seed, i),
            };
            let r = run_sample(p, i, draws, guide.clone());
            progress();
            r
        })
        .collect();
    let mut samples = Vec::with_capacity(results.len());
    let mut rows = Vec::new();
    for (s, r) in results {
        samples.push(s);
        rows.extend(r);
    }
    SweepOutput {
        manifest: crate::Manifest::new(p, opts),
        samples,
        rows,
    }
}

/// Each period's answer of the scenario as written, which every sample starts from where its
/// own last period's answer does not give the exact one: samples differ from it by their
/// draws, so its active sets are close, and a period where the market changes shape (a
/// shock, a plant coming online) needs no cold solve. It only chooses where each solve
/// starts: every sample's answer is checked optimal on its own market. `None` (each sample
/// then starts on its own) when that run fails; every shard computes the same answers, so
/// merged shards still equal the unsharded sweep.
fn nominal_answers(p: &Prepared) -> Option<Arc<[WarmStart]>> {
    catch_unwind(AssertUnwindSafe(|| {
        let opts = RunOptions {
            indicators_only: true,
            ..RunOptions::default()
        };
        bloc_model::run(&p.scenario, &opts, &mut |_| {})
    }))
    .ok()?
    .ok()
    .map(|run| Arc::from(run.answers))
}

/// Sample `i`: its draws, and its indicator rows or its error.
pub(crate) fn run_sample(
    p: &Prepared,
    i: u64,
    draws: Vec<Draw>,
    guide: Option<Arc<[WarmStart]>>,
) -> (SampleRecord, Vec<IndicatorRow>) {
    let written: Vec<String> = draws
        .iter()
        .map(|d| match d {
            Draw::Number(v) if *v == 0.0 => "0".to_string(),
            d => d.to_string(),
        })
        .collect();
    let outcome =
        catch_unwind(AssertUnwindSafe(|| run_draws(p, &draws, guide))).unwrap_or_else(|e| {
            let what = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("internal error (panic): {what}"))
        });
    match outcome {
        Ok(rows) => (
            SampleRecord {
                sample: i,
                error: None,
                draws: written,
            },
            rows.into_iter()
                .map(|(period, indicator, scope, value)| IndicatorRow {
                    sample: i,
                    period,
                    indicator,
                    scope,
                    value,
                })
                .collect(),
        ),
        Err(e) => (
            SampleRecord {
                sample: i,
                error: Some(e),
                draws: written,
            },
            Vec::new(),
        ),
    }
}

type Row = (String, String, String, f64);

/// A sample's error as text, with its file named relative to the scenario's folder, so that
/// the same sweep started with another path to the scenario (a shard on another machine)
/// records the same bytes.
fn message(p: &Prepared, e: ScenarioError) -> String {
    let dir = p.top.parent().unwrap_or(Path::new(""));
    let strip = |f: &mut PathBuf| {
        if let Ok(rel) = f.strip_prefix(dir) {
            *f = rel.to_path_buf();
        }
    };
    match e {
        ScenarioError::Invalid { mut at, message } => {
            strip(&mut at.file);
            ScenarioError::Invalid { at, message }.to_string()
        }
        ScenarioError::Io { mut path, reason } => {
            strip(&mut path);
            ScenarioError::Io { path, reason }.to_string()
        }
        other => other.to_string(),
    }
}

fn run_draws(
    p: &Prepared,
    draws: &[Draw],
    guide: Option<Arc<[WarmStart]>>,
) -> Result<Vec<Row>, String> {
    let overlay = Overlay::new(&p.files, &p.uncertain, draws).map_err(|e| message(p, e))?;
    let scenario = bloc_scenario::load_sample(&overlay, &p.top).map_err(|e| message(p, e))?;
    let opts = RunOptions {
        guide,
        indicators_only: true,
        ..RunOptions::default()
    };
    let mut run = bloc_model::run(&scenario, &opts, &mut |_| {})
        .map_err(|e| format!("the run failed: {e}"))?;
    if let Some(top) = &p.baseline {
        let baseline = bloc_scenario::load_sample(&overlay, top).map_err(|e| message(p, e))?;
        let base_opts = RunOptions {
            indicators_only: true,
            ..RunOptions::default()
        };
        let base_run = bloc_model::run(&baseline, &base_opts, &mut |_| {})
            .map_err(|e| format!("the baseline run failed: {e}"))?;
        run.compare_with(&scenario, &baseline, &base_run);
    }
    run.tables
        .indicators
        .rows
        .into_iter()
        .map(|r| {
            // The contract's four columns; the scope's split columns after them are not kept.
            let mut cells = r.into_iter();
            match (cells.next(), cells.next(), cells.next(), cells.next()) {
                (Some(period), Some(indicator), Some(scope), Some(value)) => {
                    let v = value
                        .parse::<f64>()
                        .map_err(|_| format!("indicator value `{value}` is not a number"))?;
                    Ok((period, indicator, scope, v))
                }
                _ => Err("an indicators row has fewer than 4 cells".to_string()),
            }
        })
        .collect()
}
