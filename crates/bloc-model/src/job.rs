//! The main job, shared by `bloc run` and the Python package: a scenario run against its
//! baseline (when it has one), the comparison indicators added to the run, and the headline
//! answers ([`crate::headline`]); then both runs written as run directories (the baseline in
//! `baseline/` inside the run's) with `summary.md` beside them.

use crate::{headline, run, Run, RunError, RunOptions};
use bloc_results::{Format, ResultsSink, RunDirSink};
use bloc_scenario::Scenario;
use std::path::Path;

/// Which of the job's two runs failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The scenario's own run.
    Run,
    /// The baseline's run.
    Baseline,
}

impl Which {
    /// `the run` or `the baseline run`, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Which::Run => "the run",
            Which::Baseline => "the baseline run",
        }
    }
}

/// A run of the job that failed, and which.
#[derive(Debug, thiserror::Error)]
#[error("{} failed: {error}", which.what())]
pub struct JobError {
    /// Which run.
    pub which: Which,
    /// Why.
    #[source]
    pub error: RunError,
}

/// The job's answer: the run (with the comparison indicators when there is a baseline), the
/// baseline's own run, and the headline answers against it.
#[derive(Debug)]
pub struct JobOutput {
    /// The scenario's run.
    pub run: Run,
    /// The baseline's run, when there is a baseline.
    pub baseline: Option<Run>,
    /// The headline answers (Markdown, `summary.md`), when there is a baseline.
    pub summary: Option<String>,
    /// The same figures as JSON (`summary.json`), when there is a baseline.
    pub summary_json: Option<serde_json::Value>,
}

/// Runs `scenario`, then `baseline` when given, and compares them. `out_label` is how the
/// summary names the run directory in its "next command" lines. `progress` is told each
/// period solved, of the run and then of the baseline.
pub fn run_job(
    scenario: &Scenario,
    baseline: Option<&Scenario>,
    opts: &RunOptions,
    out_label: &str,
    progress: &mut dyn FnMut(Which, usize),
) -> Result<JobOutput, JobError> {
    let mut result =
        run(scenario, opts, &mut |t| progress(Which::Run, t)).map_err(|error| JobError {
            which: Which::Run,
            error,
        })?;
    let Some(base) = baseline else {
        return Ok(JobOutput {
            run: result,
            baseline: None,
            summary: None,
            summary_json: None,
        });
    };
    let b = run(base, opts, &mut |t| progress(Which::Baseline, t)).map_err(|error| JobError {
        which: Which::Baseline,
        error,
    })?;
    result.compare_with(scenario, base, &b);
    let summary = headline::headlines(scenario, base, &result, &b, out_label);
    Ok(JobOutput {
        run: result,
        baseline: Some(b),
        summary: Some(summary.md),
        summary_json: Some(summary.json),
    })
}

impl JobOutput {
    /// Writes the run directory `out` (each table in `format`), the baseline's in
    /// `out/baseline`, and `out/summary.md` and `out/summary.json`. Each directory is written atomically and
    /// replaces only an earlier bloc run (see [`RunDirSink`]).
    pub fn write(&self, out: &Path, format: Format) -> std::io::Result<()> {
        let context = |what: String| {
            move |e: std::io::Error| std::io::Error::new(e.kind(), format!("{what}: {e}"))
        };
        RunDirSink::new(out)
            .format(format)
            .write(&self.run.tables, &self.run.run_json)
            .map_err(context(format!("writing results to {}", out.display())))?;
        if let Some(b) = &self.baseline {
            let dir = out.join("baseline");
            RunDirSink::new(&dir)
                .format(format)
                .write(&b.tables, &b.run_json)
                .map_err(context(format!(
                    "writing the baseline's results to {}",
                    dir.display()
                )))?;
        }
        if let Some(md) = &self.summary {
            let path = out.join("summary.md");
            std::fs::write(&path, md).map_err(context(format!("writing {}", path.display())))?;
        }
        if let Some(js) = &self.summary_json {
            let path = out.join("summary.json");
            let text = serde_json::to_string_pretty(js).map_err(std::io::Error::other)? + "\n";
            std::fs::write(&path, text).map_err(context(format!("writing {}", path.display())))?;
        }
        Ok(())
    }
}
