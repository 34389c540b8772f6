//! `bloc bench`: times the engine on seeded synthetic worlds (`bloc-synth`) and checks the
//! solver choice of design §7 on the engine's own problems.
//!
//! For each size it generates the world, runs it through the engine exactly as `bloc run`
//! does (Clarabel, warm working sets, `--dump-lp` into a scratch folder), then takes the last
//! period's dumped QP and solves that file cold twice: with Clarabel (the file read back
//! here) and with HiGHS (`Highs_readModel` on the same file). HiGHS runs in a child process
//! (`bloc bench --solve-mps FILE`, hidden) so that `--highs-timeout-s` can stop it; a stopped
//! solve shows as `>limit`. It also times the engine's cold path on the whole market (every
//! route in the first solve), the path design §7 measured. One table is printed at the end.

use anyhow::{bail, Context, Result};
use bloc_market::{solve_market, ClarabelSolver, QpSolver, RouteStart, SolveOptions};
use bloc_model::{RunOptions, World};
use bloc_synth::SynthSpec;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A preset world.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// `SynthSpec::small(seed)`: a few regions, for a quick look.
    Small,
    /// 20 regions × 30 commodities (design §7's size).
    Medium,
    /// 40 regions × 60 commodities.
    Large,
    /// The shipped world's scenarios (`scenarios/world/`), each over its whole horizon:
    /// time per run with origin classes as each declares them.
    World,
    /// A strategy (design §10) of 1 to 4 instruments on the shipped world: market solves and
    /// time of one decision.
    Strategy,
}

/// Options of `bloc bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// World sizes, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "medium,large"
    )]
    pub sizes: Vec<Size>,
    /// Periods to run per world.
    #[arg(long, default_value_t = 4)]
    pub periods: usize,
    /// Stop HiGHS after this many seconds (shown as `>limit`).
    #[arg(long, default_value_t = 600.0)]
    pub highs_timeout_s: f64,
    /// Seed of the worlds (default: each preset's own).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write each world as a scenario folder `DIR/<size>` (for `bloc run`) instead of timing it.
    #[arg(long, value_name = "DIR")]
    pub write_scenarios: Option<PathBuf>,
    /// Internal: solve this MPS file with HiGHS and print the result (the bench runs HiGHS
    /// in a child process this way, so it can stop it).
    #[arg(long, hide = true, value_name = "FILE")]
    pub solve_mps: Option<PathBuf>,
}

/// One row of the table.
#[derive(Debug, Default)]
struct Measured {
    size: String,
    regions: usize,
    commodities: usize,
    routes: usize,
    in_set: usize,
    cols: usize,
    rows: usize,
    warm_ms: f64,
    first_ms: f64,
    engine_cold_ms: f64,
    clarabel_ms: Option<f64>,
    highs: HighsCell,
    objective: f64,
    clarabel_obj: Option<f64>,
    notes: Vec<String>,
}

#[derive(Debug, Default)]
enum HighsCell {
    #[default]
    NotRun,
    Solved {
        ms: f64,
        objective: f64,
        status: String,
    },
    Limit,
    Failed(String),
}

/// `bloc bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if let Some(path) = &args.solve_mps {
        return solve_mps_child(path);
    }
    if args.periods == 0 {
        bail!("--periods must be at least 1");
    }
    if let Some(dir) = &args.write_scenarios {
        if args
            .sizes
            .iter()
            .any(|s| matches!(s, Size::World | Size::Strategy))
        {
            bail!("--write-scenarios writes synthetic worlds; the shipped world is already a scenario folder (`bloc example world DIR`)");
        }
        for &size in &args.sizes {
            let folder = dir.join(format!("{size:?}").to_lowercase());
            let scenario = bloc_synth::generate(&spec_for(size, args));
            bloc_synth::write_scenario_folder(&scenario, &folder)
                .with_context(|| format!("writing {}", folder.display()))?;
            println!("wrote {} to {}", scenario.name, folder.display());
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    for &size in args
        .sizes
        .iter()
        .filter(|&&s| !matches!(s, Size::World | Size::Strategy))
    {
        rows.push(bench_one(size, args)?);
    }
    if !rows.is_empty() {
        print_table(&rows, args);
    }
    if args.sizes.contains(&Size::World) {
        bench_world()?;
    }
    if args.sizes.contains(&Size::Strategy) {
        crate::bench_strategy::bench_strategy()?;
    }
    Ok(())
}

/// `--sizes world`: every shipped world scenario, run whole on one thread, with its origin
/// rule, the commodities followed by origin, the market's size and the time.
fn bench_world() -> Result<()> {
    let names: Vec<String> = crate::shipped::names()
        .into_iter()
        .filter(|n| n == "world" || n.starts_with("world/"))
        .collect();
    println!(
        "| scenario | origin rule | followed | nodes | routes | periods | run s | s/period | worst self-check |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for name in names {
        let s = crate::shipped::load_embedded(Path::new(&name))
            .with_context(|| format!("loading {name}"))?;
        let plan = bloc_policy::OriginPlan::new(&s);
        let (m, _) = World::new(&s, s.seed).market(0);
        eprintln!("world: running {name}");
        let started = Instant::now();
        let run = bloc_model::run(&s, &RunOptions::default(), &mut |_| {})
            .with_context(|| format!("running {name}"))?;
        let secs = started.elapsed().as_secs_f64();
        let worst = run
            .periods
            .iter()
            .map(|p| p.max_violation_relative)
            .fold(0.0, f64::max);
        let followed = plan.split.iter().filter(|&&b| b).count();
        println!(
            "| {name} | {} | {followed} of {} | {} | {} | {} | {secs:.2} | {:.3} | {worst:.1e} |",
            s.origin.rule.as_str(),
            s.commodities.len(),
            m.nodes.len(),
            m.routes.len(),
            run.periods.len(),
            secs / run.periods.len().max(1) as f64,
        );
    }
    Ok(())
}

fn spec_for(size: Size, args: &BenchArgs) -> SynthSpec {
    let mut spec = match size {
        Size::Small => SynthSpec::small(args.seed.unwrap_or(0)),
        Size::Medium => SynthSpec::bench_medium(),
        Size::Large => SynthSpec::bench_large(),
        // `world` and `strategy` run the shipped world (`bench_world`, `bench_strategy`), never generated.
        Size::World | Size::Strategy => SynthSpec::small(args.seed.unwrap_or(0)),
    };
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    spec.periods = args.periods;
    spec
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn bench_one(size: Size, args: &BenchArgs) -> Result<Measured> {
    let spec = spec_for(size, args);
    let name = format!("{size:?}").to_lowercase();
    eprintln!(
        "{name}: generating {} regions × {} commodities (seed {})",
        spec.regions,
        spec.commodities(),
        spec.seed
    );
    let scenario = bloc_synth::generate(&spec);
    let scratch = std::env::temp_dir().join(format!("bloc-bench-{}-{name}", std::process::id()));
    let _cleanup = RemoveOnDrop(scratch.clone());
    let dump = scratch.join("lp");

    eprintln!(
        "{name}: running {} periods (Clarabel, warm working sets)",
        spec.periods
    );
    let opts = RunOptions {
        dump_lp: Some(dump.clone()),
        ..RunOptions::default()
    };
    let run = bloc_model::run(&scenario, &opts, &mut |_| {}).context("the engine run failed")?;
    let periods = &run.periods;
    let first = periods.first().context("no period ran")?;
    let last = periods.last().context("no period ran")?;
    let warm: Vec<f64> = periods.iter().skip(1).map(|p| ms(p.total_time)).collect();
    let mut m = Measured {
        size: name.clone(),
        regions: scenario.regions.len(),
        commodities: scenario.commodities.len(),
        in_set: last.routes_in_set,
        first_ms: ms(first.total_time),
        warm_ms: if warm.is_empty() {
            ms(first.total_time)
        } else {
            warm.iter().sum::<f64>() / warm.len() as f64
        },
        objective: last.objective,
        ..Measured::default()
    };
    let worst = periods
        .iter()
        .map(|p| p.max_violation_relative)
        .fold(0.0, f64::max);
    let solves: usize = periods.iter().map(|p| p.solves).sum();
    m.notes.push(format!(
        "{solves} QP solves in {} periods; largest self-check violation {worst:.1e} (relative); {} warnings",
        periods.len(),
        run.warnings.len()
    ));
    for w in run.warnings.iter().take(3) {
        m.notes.push(format!("warning: {w}"));
    }

    // The engine's cold path on the last period's whole market.
    let t = spec.periods - 1;
    let world = World::new(&scenario, scenario.seed);
    let (market, _) = world.market(t);
    m.routes = market.routes.len();
    eprintln!(
        "{name}: engine cold path on the last period ({} routes)",
        m.routes
    );
    let cold_opts = SolveOptions {
        start: RouteStart::All,
        ..SolveOptions::default()
    };
    let cold = solve_market(&market, &ClarabelSolver::default(), &cold_opts)
        .context("the cold solve failed")?;
    m.engine_cold_ms = ms(cold.total_time);
    if !cold.converged || cold.check.max_violation_relative > 1e-6 {
        m.notes.push(format!(
            "engine cold path: converged {}, self-check violation {:.1e} at {}",
            cold.converged, cold.check.max_violation_relative, cold.check.worst_condition
        ));
    }

    // The dumped QP of the last period, read back and solved cold by Clarabel.
    let file = dump.join(format!("{}.mps", scenario.time.label(t)));
    let qp =
        crate::mps::read_mps(&file).with_context(|| format!("reading back {}", file.display()))?;
    m.cols = qp.cols.len();
    m.rows = qp.rows.len();
    eprintln!(
        "{name}: Clarabel cold on the dumped QP ({} columns, {} rows)",
        m.cols, m.rows
    );
    match ClarabelSolver::default().solve(&qp) {
        Ok(sol) => {
            m.clarabel_ms = Some(ms(sol.time));
            m.clarabel_obj = Some(sol.objective);
            m.notes.push(format!(
                "Clarabel on the dump: {:?} in {} iterations",
                sol.status, sol.iterations
            ));
        }
        Err(e) => m.notes.push(format!("Clarabel on the dump failed: {e}")),
    }

    // HiGHS on the same file, in a child process it can be stopped in.
    eprintln!(
        "{name}: HiGHS cold on the dumped file (limit {} s)",
        args.highs_timeout_s
    );
    m.highs = highs_in_child(&file, args.highs_timeout_s);
    Ok(m)
}

/// Removes a scratch folder when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The child's side: solve the file, print `status objective seconds`.
fn solve_mps_child(path: &Path) -> Result<()> {
    #[cfg(feature = "highs")]
    {
        let (status, objective, time) = bloc_market::highs_solve_mps_file(path)?;
        println!("{status:?} {objective:e} {}", time.as_secs_f64());
        Ok(())
    }
    #[cfg(not(feature = "highs"))]
    {
        let _ = path;
        bail!("this build has no HiGHS (feature `highs`)")
    }
}

fn highs_in_child(file: &Path, limit_s: f64) -> HighsCell {
    if !cfg!(feature = "highs") {
        return HighsCell::Failed("no HiGHS in this build".to_string());
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => return HighsCell::Failed(format!("cannot find this program: {e}")),
    };
    let mut child = match Command::new(exe)
        .arg("bench")
        .arg("--solve-mps")
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return HighsCell::Failed(format!("cannot start HiGHS: {e}")),
    };
    let started = Instant::now();
    let limit = Duration::from_secs_f64(limit_s.max(0.0));
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return HighsCell::Limit;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return HighsCell::Failed(format!("waiting for HiGHS: {e}")),
        }
    }
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => return HighsCell::Failed(format!("reading HiGHS's answer: {e}")),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let parts: Vec<&str> = text.split_whitespace().collect();
    match (out.status.success(), parts.as_slice()) {
        (true, [status, obj, secs]) => match (obj.parse::<f64>(), secs.parse::<f64>()) {
            (Ok(objective), Ok(s)) => HighsCell::Solved {
                ms: s * 1e3,
                objective,
                status: status.to_string(),
            },
            _ => HighsCell::Failed(format!("unexpected answer `{}`", text.trim())),
        },
        _ => HighsCell::Failed(format!(
            "HiGHS failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

fn ratio_text(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.2}×")
    } else {
        format!("{r:.0}×")
    }
}

fn rel_diff(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

fn print_table(rows: &[Measured], args: &BenchArgs) {
    let header = [
        "size",
        "regions",
        "commod.",
        "routes",
        "in set",
        "QP cols",
        "QP rows",
        "warm ms/period",
        "1st period ms",
        "engine cold ms",
        "Clarabel dump ms",
        "HiGHS dump ms",
        "HiGHS/warm",
        "objective rel diff",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    table.extend(rows.iter().map(|m| table_row(m, args)));
    print_aligned(&table);
    println!();
    println!(
        "warm: mean time of periods 2..{} (engine, Clarabel, working set from the period before); engine cold: the last period's market with every route in the first solve; dump: the last period's final QP (--dump-lp), solved cold from the file; objective rel diff: largest of HiGHS and Clarabel on the dump against the engine's objective.",
        args.periods
    );
    for m in rows {
        for n in &m.notes {
            println!("{}: {n}", m.size);
        }
        if let HighsCell::Failed(e) = &m.highs {
            println!("{}: HiGHS: {e}", m.size);
        }
    }
}

/// The HiGHS cells of one size: its time, its ratio to the engine's warm period, and its
/// objective when it solved.
fn highs_cells(m: &Measured, args: &BenchArgs) -> (String, String, Option<f64>) {
    match &m.highs {
        HighsCell::Solved {
            ms,
            objective,
            status,
        } => {
            let mark = if status == "Optimal" {
                String::new()
            } else {
                format!(" ({status})")
            };
            (
                format!("{ms:.1}{mark}"),
                ratio_text(ms / m.warm_ms),
                Some(*objective),
            )
        }
        HighsCell::Limit => (
            ">limit".to_string(),
            format!(">{}", ratio_text(args.highs_timeout_s * 1e3 / m.warm_ms)),
            None,
        ),
        HighsCell::NotRun => ("-".to_string(), "-".to_string(), None),
        HighsCell::Failed(_) => ("failed".to_string(), "-".to_string(), None),
    }
}

fn table_row(m: &Measured, args: &BenchArgs) -> Vec<String> {
    let (highs, ratio, highs_obj) = highs_cells(m, args);
    let diffs: Vec<f64> = [highs_obj, m.clarabel_obj]
        .into_iter()
        .flatten()
        .map(|o| rel_diff(o, m.objective))
        .collect();
    let agree = if diffs.is_empty() {
        "-".to_string()
    } else {
        let d = diffs.iter().fold(0.0f64, |a, &b| a.max(b));
        format!("{d:.1e} {}", if d <= 1e-6 { "agree" } else { "DIFFER" })
    };
    vec![
        m.size.clone(),
        m.regions.to_string(),
        m.commodities.to_string(),
        m.routes.to_string(),
        m.in_set.to_string(),
        m.cols.to_string(),
        m.rows.to_string(),
        format!("{:.1}", m.warm_ms),
        format!("{:.1}", m.first_ms),
        format!("{:.1}", m.engine_cold_ms),
        m.clarabel_ms
            .map_or("failed".to_string(), |v| format!("{v:.1}")),
        highs,
        ratio,
        agree,
    ]
}

/// Prints `table` (its first row the header) in columns: the first left-aligned, the rest
/// right-aligned, a rule under the header.
fn print_aligned(table: &[Vec<String>]) {
    let columns = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, r) in table.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (s, w))| {
                if c == 0 {
                    format!("{s:<w$}")
                } else {
                    format!("{s:>w$}")
                }
            })
            .collect();
        println!("{}", cells.join("  "));
        if i == 0 {
            println!(
                "{}",
                widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  ")
            );
        }
    }
}
