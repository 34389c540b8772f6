//! `bloc sweep`: Monte Carlo sweeps over a scenario's `[[uncertain]]` inputs (the work is
//! in `bloc-sweep`; this is the command line, the progress bar and the benchmark).

use crate::{shipped, Failure};
use anyhow::{anyhow, Context};
use bloc_scenario::{Disk, Embedded, FileSource};
use bloc_sweep::{Prepared, Shard, SweepError, SweepOptions};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `bloc sweep`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    action: Option<Action>,
    /// Scenario folder or .toml file declaring `[[uncertain]]` inputs; default: the shipped default scenario.
    scenario: Option<PathBuf>,
    /// Samples in the whole sweep (all shards together).
    #[arg(long, short = 'n', required = true)]
    samples: Option<u64>,
    /// Seed of the draws: sample i draws from a stream fixed by (seed, i).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Sweep directory (created or replaced atomically).
    #[arg(long, short, required = true)]
    out: Option<PathBuf>,
    /// Run only shard I of N (the samples i with i mod N = I), as `--shard 0/4`.
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// No progress bar or summary.
    #[arg(long, short)]
    quiet: bool,
    /// `random` (each sample's inputs drawn independently) or `lhs` (a Latin hypercube over
    /// the whole sweep: each input's range cut into N strata of equal probability, one
    /// sample in each).
    #[arg(long, value_enum, default_value_t = SamplingArg::Random)]
    sampling: SamplingArg,
}

/// `--sampling`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum SamplingArg {
    /// Independent draws.
    Random,
    /// Latin hypercube.
    Lhs,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Join shard directories into the whole sweep (the bytes of the unsharded sweep).
    Merge {
        /// Shard directories, in any order.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Sweep directory to write.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Time sweeps and print samples per second: the shipped default scenario and
    /// synthetic worlds, each with uncertain demand, capacity and transport costs.
    Bench {
        /// Samples of the shipped default scenario.
        #[arg(long, default_value_t = 200)]
        samples: u64,
        /// Samples of each synthetic world.
        #[arg(long, default_value_t = 20)]
        synth_samples: u64,
        /// Also time the design §7 size (20 regions × 30 commodities, 4 periods).
        #[arg(long)]
        medium: bool,
        /// Worker threads (default: one per core).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
    },
}

fn bad(e: SweepError) -> Failure {
    match e {
        SweepError::Io { .. } => Failure::Internal(anyhow::Error::new(e)),
        _ => Failure::BadInput(anyhow::Error::new(e)),
    }
}

fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, Failure> {
    let mut b = rayon::ThreadPoolBuilder::new();
    if let Some(j) = jobs {
        if j == 0 {
            return Err(Failure::BadInput(anyhow!(
                "--jobs 0: give 1 or more threads"
            )));
        }
        b = b.num_threads(j);
    }
    b.build().map_err(|e| Failure::Internal(e.into()))
}

/// Runs `bloc sweep`.
pub fn run(args: SweepArgs) -> Result<(), Failure> {
    match args.action {
        Some(Action::Merge { shards, out }) => {
            let inputs: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
            check_out(&out, &inputs)?;
            let merged = bloc_sweep::merge(&shards).map_err(bad)?;
            bloc_sweep::write_dir(&out, &merged).map_err(bad)?;
            eprintln!(
                "merged {} shards: {} samples ({} failed) in {}",
                shards.len(),
                merged.samples.len(),
                merged.samples.iter().filter(|s| s.error.is_some()).count(),
                out.display()
            );
            Ok(())
        }
        Some(Action::Bench {
            samples,
            synth_samples,
            medium,
            jobs,
        }) => bench(samples, synth_samples, medium, jobs),
        None => {
            let (Some(samples), Some(out)) = (args.samples, args.out) else {
                return Err(Failure::BadInput(anyhow!("give --samples N and --out DIR")));
            };
            let started = Instant::now();
            let prepared = prepare(args.scenario.as_deref())?;
            let inputs: Vec<&Path> = prepared
                .scenario
                .files
                .iter()
                .map(PathBuf::as_path)
                .collect();
            check_out(&out, &inputs)?;
            if prepared.uncertain.is_empty() && !args.quiet {
                eprintln!(
                    "warning: `{}` declares no [[uncertain]] inputs, so every sample is the same run",
                    prepared.scenario.name
                );
            }
            let opts = SweepOptions {
                samples,
                seed: args.seed,
                shard: args.shard,
                sampling: match args.sampling {
                    SamplingArg::Random => bloc_sweep::Sampling::Random,
                    SamplingArg::Lhs => bloc_sweep::Sampling::LatinHypercube,
                },
            };
            let result = timed(&prepared, &opts, args.jobs, args.quiet)?;
            bloc_sweep::write_dir(&out, &result).map_err(bad)?;
            let failed: Vec<_> = result
                .samples
                .iter()
                .filter(|s| s.error.is_some())
                .collect();
            if !args.quiet {
                let shard = args
                    .shard
                    .map(|s| format!(" (shard {s})"))
                    .unwrap_or_default();
                eprintln!(
                    "{}: {} samples{shard} in {:.2} s ({} failed); results in {}",
                    prepared.scenario.name,
                    result.samples.len(),
                    started.elapsed().as_secs_f64(),
                    failed.len(),
                    out.display()
                );
            }
            // Failures are said even with --quiet; a sweep with no sample that ran is no result.
            if let Some(f) = failed.first() {
                eprintln!(
                    "warning: {} of {} samples failed (see samples.csv); first failure, sample {}: {}",
                    failed.len(),
                    result.samples.len(),
                    f.sample,
                    f.error.as_deref().unwrap_or_default()
                );
            }
            if !result.samples.is_empty() && failed.len() == result.samples.len() {
                return Err(Failure::BadInput(anyhow!(
                    "every one of the {} samples failed, so the sweep has no result (the samples are recorded in {}); the first failure, sample {}: {}",
                    failed.len(),
                    out.display(),
                    failed[0].sample,
                    failed[0].error.as_deref().unwrap_or_default()
                )));
            }
            Ok(())
        }
    }
}

/// Refuses, before any sample runs, an `--out` that bloc may not replace (see
/// `bloc_results::out::check_out_dir`).
fn check_out(out: &Path, inputs: &[&Path]) -> Result<(), Failure> {
    bloc_results::out::check_out_dir(out, bloc_results::out::OutKind::Sweep, inputs)
        .map(|_| ())
        .map_err(|e| Failure::BadInput(anyhow::Error::new(e).context("--out")))
}

/// The scenario to sweep: a folder or file on disk, or the shipped default.
fn prepare(path: Option<&Path>) -> Result<Prepared, Failure> {
    match path {
        Some(p) => {
            let p = Disk::scenario_path(p).map_err(|e| Failure::Internal(e.into()))?;
            bloc_sweep::prepare(&Disk, &p).map_err(bad)
        }
        None => bloc_sweep::prepare(&shipped::embedded(), Path::new(shipped::DEFAULT)).map_err(bad),
    }
}

/// Runs the sweep on a pool of `jobs` threads with a progress bar (samples, elapsed, ETA).
fn timed(
    p: &Prepared,
    opts: &SweepOptions,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<bloc_sweep::SweepOutput, Failure> {
    let count = (0..opts.samples)
        .filter(|i| !matches!(opts.shard, Some(s) if !s.has(*i)))
        .count();
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(count as u64), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>12} [{bar:30}] {pos}/{len} samples, {elapsed} (eta {eta}, {per_sec})",
        )
        .context("progress template")?
        .progress_chars("=> "),
    );
    bar.set_message(p.scenario.name.clone());
    let result = pool(jobs)?.install(|| bloc_sweep::sweep(p, opts, &|| bar.inc(1)));
    bar.finish_and_clear();
    Ok(result)
}

/// Uncertain inputs for the benchmark, on tables every scenario has.
const BENCH_INPUTS: &str = r#"
[[uncertain]]
name = "bench_demand"
table = "demand"
column = "quantity_t_per_yr"
distribution = "lognormal"
median = 1.0
sigma = 0.15

[[uncertain]]
name = "bench_capacity"
table = "processes"
column = "capacity_t_per_yr"
distribution = "triangular"
min = 0.7
mode = 1.0
max = 1.1

[[uncertain]]
name = "bench_elasticity"
table = "demand"
column = "elasticity"
distribution = "uniform"
min = 0.8
max = 1.2
"#;

/// `files` with `BENCH_INPUTS` appended to `top`.
fn with_inputs(files: &Embedded, top: &Path) -> anyhow::Result<Embedded> {
    let mut out = Embedded::new();
    for (p, b) in files.iter() {
        out.insert(p, b.to_vec());
    }
    let mut text = files
        .read(top)
        .with_context(|| format!("reading {}", top.display()))?;
    text.extend_from_slice(BENCH_INPUTS.as_bytes());
    out.insert(top, text);
    Ok(out)
}

fn bench(
    samples: u64,
    synth_samples: u64,
    medium: bool,
    jobs: Option<usize>,
) -> Result<(), Failure> {
    let pool = pool(jobs)?;
    let mut worlds: Vec<(String, Embedded, PathBuf, u64)> = Vec::new();
    let top = Path::new(shipped::DEFAULT).join("scenario.toml");
    worlds.push((
        format!("shipped `{}`", shipped::DEFAULT),
        with_inputs(&shipped::embedded(), &top)?,
        top,
        samples,
    ));
    let mut specs = vec![("synthetic small(1)", bloc_synth::SynthSpec::small(1))];
    if medium {
        specs.push(("synthetic medium", bloc_synth::SynthSpec::bench_medium()));
    }
    let scratch = std::env::temp_dir().join(format!("bloc-sweep-bench-{}", std::process::id()));
    for (label, spec) in specs {
        let dir = scratch.join(&spec.name);
        bloc_synth::write_scenario_folder(&bloc_synth::generate(&spec), &dir)
            .with_context(|| format!("writing {}", dir.display()))?;
        let mut files = Embedded::new();
        for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let e = e.map_err(|e| Failure::Internal(e.into()))?;
            let bytes = std::fs::read(e.path()).map_err(|e| Failure::Internal(e.into()))?;
            files.insert(Path::new(&spec.name).join(e.file_name()), bytes);
        }
        let top = Path::new(&spec.name).join("scenario.toml");
        worlds.push((
            format!(
                "{label} ({} regions × {} commodities, {} periods)",
                spec.regions,
                spec.commodities(),
                spec.periods
            ),
            with_inputs(&files, &top)?,
            top,
            synth_samples,
        ));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    println!(
        "{:<62} {:>8} {:>7} {:>9} {:>10} {:>14}",
        "world", "samples", "failed", "time s", "samples/s", "1000 samples s"
    );
    for (label, files, top, n) in worlds {
        let p = bloc_sweep::prepare(&files, &top)
            .map_err(|e| Failure::Internal(anyhow!("{label}: {e}")))?;
        let started = Instant::now();
        let r = pool.install(|| {
            bloc_sweep::sweep(
                &p,
                &SweepOptions {
                    samples: n,
                    seed: 1,
                    shard: None,
                    sampling: bloc_sweep::Sampling::Random,
                },
                &|| {},
            )
        });
        let secs = started.elapsed().as_secs_f64();
        let failed = r.samples.iter().filter(|s| s.error.is_some()).count();
        let rate = n as f64 / secs;
        println!(
            "{label:<62} {n:>8} {failed:>7} {secs:>9.2} {rate:>10.3} {:>14.1}",
            1000.0 / rate
        );
    }
    println!("threads: {}", pool.current_num_threads());
    Ok(())
}
