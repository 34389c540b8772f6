//! `bloc`: run, check and explore critical-minerals trade-bloc scenarios.
//!
//! Exit codes: 0 success; 1 bad input (the message names the file, line and field);
//! 2 internal failure (solver or I/O). A market that cannot be met is not an error: its
//! shortage shows as unserved demand.

mod bench;
mod shipped;
mod sweep;

use anyhow::{Context, Result};
use bloc_model::{RunOptions, SolverChoice};
use bloc_results::{CsvDirSink, ResultsSink};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "bloc",
    version,
    about = "Design, run and stress-test a critical-minerals trade bloc"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and write its result files.
    Run {
        /// Scenario folder (holding scenario.toml) or .toml file; default: the shipped default scenario.
        scenario: Option<PathBuf>,
        /// Results directory (created or replaced atomically); default: `out/<scenario name>`.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Write each period's QP as an MPS file (QUADOBJ section) into this directory.
        #[arg(long, value_name = "DIR")]
        dump_lp: Option<PathBuf>,
        /// Seed for every random draw (overrides the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// No progress bar or summary (warnings still go to stderr).
        #[arg(long, short)]
        quiet: bool,
        /// QP solver.
        #[arg(long, value_enum, default_value_t = SolverArg::Clarabel)]
        solver: SolverArg,
        /// Start every period from all routes instead of last period's working set.
        #[arg(long)]
        cold: bool,
    },
    /// Validate a scenario without solving it.
    Check {
        /// Scenario folder or .toml file.
        scenario: PathBuf,
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
    },
    /// List the shipped scenarios, or write one out as files to read and edit.
    Example {
        /// Shipped scenario (see the list); default: the default scenario.
        name: Option<String>,
        /// Directory to write it into.
        dir: Option<PathBuf>,
    },
    /// Time the solver on seeded synthetic worlds and print a table.
    Bench(bench::BenchArgs),
    /// Monte Carlo sweep over the scenario's `[[uncertain]]` inputs (and `sweep merge`, `sweep bench`).
    Sweep(sweep::SweepArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SolverArg {
    Clarabel,
    Highs,
}

/// Bad input (exit 1) or an internal failure (exit 2).
#[derive(Debug)]
enum Failure {
    BadInput(anyhow::Error),
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Internal(e.into())
    }
}

fn main() -> ExitCode {
    // A mistyped command line is bad input (exit 1), not an internal failure (clap's 2).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(1),
            };
        }
    };
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("internal error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Run {
            scenario,
            out,
            dump_lp,
            seed,
            quiet,
            solver,
            cold,
        } => {
            let solver = match solver {
                SolverArg::Clarabel => SolverChoice::Clarabel,
                #[cfg(feature = "highs")]
                SolverArg::Highs => SolverChoice::Highs,
                #[cfg(not(feature = "highs"))]
                SolverArg::Highs => {
                    return Err(Failure::BadInput(anyhow::anyhow!(
                        "--solver highs: this bloc was built without HiGHS (cargo feature `highs`); use --solver clarabel"
                    )))
                }
            };
            run(
                scenario.as_deref(),
                out,
                RunOptions {
                    seed,
                    solver,
                    dump_lp,
                    cold,
                },
                quiet,
            )
        }
        Command::Check { scenario, quiet } => {
            let s = load(Some(&scenario))?;
            if !quiet {
                let projects = s.processes.iter().filter(|p| p.project.is_some()).count();
                let n = |k: usize, one: &str, many: &str| {
                    format!("{k} {}", if k == 1 { one } else { many })
                };
                println!(
                    "{}: ok ({}, {}, {}, {}, {}, {})",
                    s.name,
                    n(s.regions.len(), "region", "regions"),
                    n(s.commodities.len(), "commodity", "commodities"),
                    n(s.processes.len() - projects, "process", "processes"),
                    n(projects, "project", "projects"),
                    n(s.demand.len(), "demand row", "demand rows"),
                    n(s.time.periods, "period", "periods"),
                );
            }
            Ok(())
        }
        Command::Example { name, dir } => shipped::example(name.as_deref(), dir.as_deref()),
        Command::Bench(args) => bench::run(&args).map_err(Failure::Internal),
        Command::Sweep(args) => sweep::run(args),
    }
}

/// Loads a scenario from disk, or the shipped default when `path` is `None`.
fn load(path: Option<&Path>) -> Result<bloc_scenario::Scenario, Failure> {
    let loaded = match path {
        // `.` (or `./`) names the working directory; the loader reads paths lexically.
        Some(p)
            if p.components()
                .all(|c| matches!(c, std::path::Component::CurDir)) =>
        {
            let here = std::env::current_dir().map_err(|e| Failure::Internal(e.into()))?;
            bloc_scenario::load(&here)
        }
        Some(p) => bloc_scenario::load(p),
        None => shipped::load_default(),
    };
    loaded.map_err(|e| Failure::BadInput(anyhow::Error::new(e)))
}

fn run(
    path: Option<&Path>,
    out: Option<PathBuf>,
    opts: RunOptions,
    quiet: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let scenario = load(path)?;
    let out = out.unwrap_or_else(|| Path::new("out").join(&scenario.name));
    let bar = ProgressBar::with_draw_target(
        Some(scenario.time.periods as u64),
        ProgressDrawTarget::hidden(),
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {pos}/{len} periods, {elapsed} (eta {eta})",
        )
        .context("progress template")?
        .progress_chars("=> "),
    );
    bar.set_message(scenario.name.clone());
    let mut shown = false;
    let mut progress = |t: usize| {
        bar.set_position(t as u64 + 1);
        if !quiet && !shown && started.elapsed().as_secs_f64() > 1.0 {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            shown = true;
        }
    };
    let mut result = bloc_model::run(&scenario, &opts, &mut progress).context("the run failed")?;
    if let Some(base_path) = &scenario.baseline {
        // The baseline is read from where the scenario was read (the disk, or the
        // embedded default) and run with the same options.
        let baseline = match path {
            Some(_) => bloc_scenario::load(base_path),
            None => shipped::load_embedded(base_path),
        }
        .map_err(|e| Failure::BadInput(anyhow::Error::new(e).context("loading the baseline")))?;
        bar.set_message(format!("{} (baseline)", baseline.name));
        bar.set_length(baseline.time.periods as u64);
        let base_run =
            bloc_model::run(&baseline, &opts, &mut progress).context("the baseline run failed")?;
        result.compare_with(&scenario, &baseline, &base_run);
    }
    bar.finish_and_clear();
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    CsvDirSink::new(&out)
        .write(&result.tables, &result.run_json)
        .with_context(|| format!("writing results to {}", out.display()))?;
    if !quiet {
        let worst = result
            .periods
            .iter()
            .map(|p| p.max_violation_relative)
            .fold(0.0, f64::max);
        eprintln!(
            "{}: {} periods in {:.2} s; largest equilibrium violation {:.1e} (relative); results in {}",
            scenario.name,
            result.periods.len(),
            started.elapsed().as_secs_f64(),
            worst,
            out.display()
        );
    }
    Ok(())
}
