//! `bloc`: run, check and explore critical-minerals trade-bloc scenarios.
//!
//! Exit codes: 0 success; 1 bad input (the message names the file, line and field);
//! 2 internal failure (solver or I/O). A market that cannot be met is not an error: its
//! shortage shows as unserved demand.
//!
//! Errors travel up as `anyhow` chains and are classified once, in [`main`], by walking the
//! chain for a cause of a known type ([`Class::of`], as ripgrep's `main` looks for a broken
//! pipe): a scenario, `--out`, run-directory or sweep-option error is bad input, a run
//! without an exact equilibrium is an unsolved run, anything else is internal.

mod bench;
mod bench_strategy;
mod beside;
mod calibrate;
mod mps;
mod shipped;
mod sweep;
mod validate;

use anyhow::{Context, Result};
use bloc_model::{RunOptions, SolverChoice};
use bloc_results::RunDirSink;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// mimalloc, not the system allocator: a world run builds and drops a market of a few thousand
/// named routes every round, and glibc's malloc and free took about 30% of a sweep's time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "bloc",
    version,
    about = "Design, run and stress-test a critical-minerals trade bloc"
)]
struct Cli {
    /// Trace the solver's search on stderr (its spans and events at debug level; `RUST_LOG`,
    /// e.g. `RUST_LOG=bloc_market=trace`, chooses more finely).
    #[arg(long, global = true)]
    trace: bool,
    #[command(subcommand)]
    command: Command,
}

/// Sends `tracing` events to stderr: those `RUST_LOG` selects, or with `--trace` every bloc
/// crate's at debug level. Without either, nothing is printed.
fn init_tracing(trace: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::new(v),
        _ if trace => EnvFilter::new("bloc_market=debug,bloc_model=debug,bloc_policy=debug"),
        _ => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}

/// `bloc run --format`.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    /// One CSV file per table.
    Csv,
    /// One Parquet file per table.
    Parquet,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and write its result files.
    Run {
        /// Scenario folder (holding scenario.toml) or .toml file; default: the shipped bloc as announced (`world/bloc-feb-2026`) against its baseline, the world without it.
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
        /// Format of the result tables: `csv` (what `bloc report` and `bloc compare` read) or
        /// `parquet` (typed columns, for pandas and Arrow).
        #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
        format: FormatArg,
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
    /// Run a base-year scenario and print its production shares and prices beside the
    /// sourced targets in `calibration/` next to it (default: the shipped world, 2024).
    Calibrate {
        /// Base-year scenario folder or .toml file; default: `world/calibration-2024.toml`.
        scenario: Option<PathBuf>,
    },
    /// Run a validation scenario and print the change of each price beside the change on
    /// record in `validation.csv` next to it, with the hit rate (default: the shipped world,
    /// 2024-2025 with the 2025 events).
    Validate {
        /// Validation scenario folder or .toml file; default: `world/validation-2025`.
        scenario: Option<PathBuf>,
    },
    /// Write a self-contained offline HTML report (SVG charts) of a run or sweep directory.
    Report {
        /// Run directory (written by `bloc run --out`), or a sweep directory holding bands.csv.
        run: PathBuf,
        /// A run to compare against (e.g. the no-bloc world): charts show the run minus it;
        /// consumer cost against it. Default: RUN/baseline, when `bloc run` wrote one there.
        #[arg(long, value_name = "RUN_DIR")]
        baseline: Option<PathBuf>,
        /// P5/P50/P95 bands to draw (columns period, indicator, scope, p5, p50, p95).
        #[arg(long, value_name = "FILE")]
        bands: Option<PathBuf>,
        /// The HTML file to write.
        #[arg(long, short, default_value = "report.html")]
        out: PathBuf,
    },
    /// Compare the headline indicators of two runs (B − A), in the terminal, as CSV or HTML.
    Compare {
        /// Run A (e.g. the baseline).
        run_a: PathBuf,
        /// Run B.
        run_b: PathBuf,
        /// Also write the table as CSV to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Also write the table as a self-contained HTML page to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Monte Carlo sweep over the scenario's `[[uncertain]]` inputs (and `sweep merge`, `sweep bench`).
    Sweep(sweep::SweepArgs),
    /// Run the secretariat service (reports, reference prices, schedule, duty, ledger, dashboard).
    Serve {
        /// Scenario folder or .toml file configuring the bloc; `--demo` for the shipped demo.
        #[arg(required_unless_present = "demo")]
        scenario: Option<PathBuf>,
        /// Use the shipped demo configuration, print fresh demo tokens and seed demo data.
        ///
        /// The demo data, written through the API's own rules: the demo reporters' price
        /// reports of 2026Q1-2026Q4, the reference prices of those periods and their levy
        /// schedules, so that the dashboard opens populated. A second start adds nothing:
        /// reports are stored once per idempotency key (`demo/...`), and a period whose
        /// reference prices or schedule are already published keeps them. Nothing is deleted.
        #[arg(long, conflicts_with = "scenario")]
        demo: bool,
        /// SQLite database file (created if absent).
        #[arg(long, default_value = "bloc-serve.sqlite")]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
    },
    /// Administration of the service's database.
    Admin {
        #[command(subcommand)]
        what: AdminCommand,
    },
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// API tokens.
    Token {
        #[command(subcommand)]
        what: TokenCommand,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        /// `reporter` (of one member) or `secretariat`.
        #[arg(long)]
        role: String,
        /// The member a reporter reports for (e.g. JPN).
        #[arg(long)]
        member: Option<String>,
        /// The reporting entity (default: the member, or `secretariat`).
        #[arg(long)]
        entity: Option<String>,
        /// SQLite database file of the service.
        #[arg(long, default_value = "bloc-serve.sqlite")]
        db: PathBuf,
        /// Check the member against this scenario's members.
        #[arg(long)]
        scenario: Option<PathBuf>,
        /// Expire after this long: `90d`, `12h`, `30m` or `45s` (default: until revoked).
        #[arg(long, value_name = "LIFETIME")]
        expires_in: Option<String>,
    },
    /// Revoke a token (by the id `list` shows, or the token itself): 401 from the next request.
    Revoke {
        /// Token id or token.
        token: String,
        /// SQLite database file of the service.
        #[arg(long, default_value = "bloc-serve.sqlite")]
        db: PathBuf,
    },
    /// List the tokens (id, status, role, member, entity, fingerprint, dates; never the token).
    List {
        /// SQLite database file of the service.
        #[arg(long, default_value = "bloc-serve.sqlite")]
        db: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum SolverArg {
    Clarabel,
    Highs,
}

/// An error on its way to [`main`], which classifies it. Most errors are [`Failure::Error`]
/// (what `?` makes of any error) and their chain says what they are. A call site marks one
/// only where no type in the chain tells: a message about the command line built with
/// `anyhow!` is [`Failure::BadInput`]; a scenario shipped inside the binary that does not
/// load is [`Failure::Internal`] (its `ScenarioError` would read as bad input).
#[derive(Debug)]
enum Failure {
    /// Classified by its chain ([`Class::of`]).
    Error(anyhow::Error),
    /// Bad input, whatever its chain holds.
    BadInput(anyhow::Error),
    /// Internal, whatever its chain holds.
    Internal(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.into())
    }
}

impl Failure {
    /// How the failure ends the process, and its error.
    fn classify(self) -> (Class, anyhow::Error) {
        match self {
            Failure::Error(e) => (Class::of(&e), e),
            Failure::BadInput(e) => (Class::BadInput, e),
            Failure::Internal(e) => (Class::Internal, e),
        }
    }

    /// The failure with an unmarked error marked internal. For the commands (`example`,
    /// `calibrate`) that load the shipped scenarios with `?` and rely on that: a shipped
    /// scenario that does not load is a defect of the binary, not bad input.
    fn unmarked_internal(self) -> Failure {
        match self {
            Failure::Error(e) => Failure::Internal(e),
            marked => marked,
        }
    }
}

/// What a failure is, which decides its exit code and how its message starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A scenario or table that does not load, a bad argument, an `--out` that may not be
    /// written, a run directory that cannot be read: exit 1.
    BadInput,
    /// A run with a period whose answer is not an exact equilibrium
    /// (`RunError::Unsolved`): exit 2. Its `run.json` (status `failed`) is already written.
    Unsolved,
    /// The solver or the file system failed, or a defect: exit 2.
    Internal,
}

impl Class {
    /// Walks `e`'s chain from the outermost context in; the first cause of a known type
    /// decides. An error with none is internal.
    fn of(e: &anyhow::Error) -> Class {
        e.chain()
            .find_map(Class::of_cause)
            .unwrap_or(Class::Internal)
    }

    /// The class of one cause, if its type says.
    fn of_cause(cause: &(dyn std::error::Error + 'static)) -> Option<Class> {
        if let Some(e) = cause.downcast_ref::<bloc_model::RunError>() {
            return Some(match e {
                bloc_model::RunError::Unsolved { .. } => Class::Unsolved,
                _ => Class::Internal,
            });
        }
        if let Some(e) = cause.downcast_ref::<bloc_sweep::SweepError>() {
            return Some(match e {
                bloc_sweep::SweepError::Io { .. } => Class::Internal,
                _ => Class::BadInput,
            });
        }
        let bad = cause.is::<bloc_scenario::ScenarioError>()
            || cause.is::<bloc_results::out::OutError>()
            || cause.is::<bloc_report::ReportError>()
            || cause.is::<clap::Error>();
        bad.then_some(Class::BadInput)
    }

    fn exit_code(self) -> u8 {
        match self {
            Class::BadInput => 1,
            Class::Unsolved | Class::Internal => 2,
        }
    }

    /// How the message starts.
    fn prefix(self) -> &'static str {
        match self {
            Class::BadInput => "error",
            Class::Unsolved | Class::Internal => "internal error",
        }
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
    // Output into a closed pipe (`bloc bench | head`) ends a command quietly, as for any
    // command-line tool, instead of a panic in `println!` (Rust ignores SIGPIPE by default).
    // Not for the service, which must outlive whatever reads its output.
    if !matches!(cli.command, Command::Serve { .. }) {
        sigpipe::reset();
    }
    init_tracing(cli.trace);
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (class, e) = failure.classify();
            eprintln!("{}: {e:#}", class.prefix());
            ExitCode::from(class.exit_code())
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
            format,
        } => Ok(run(
            scenario.as_deref(),
            out,
            RunOptions {
                seed,
                solver: solver_choice(solver)?,
                dump_lp,
                cold,
                guide: None,
                indicators_only: false,
            },
            match format {
                FormatArg::Csv => bloc_results::Format::Csv,
                FormatArg::Parquet => bloc_results::Format::Parquet,
            },
            quiet,
        )?),
        Command::Check { scenario, quiet } => check(&scenario, quiet),
        Command::Example { name, dir } => {
            shipped::example(name.as_deref(), dir.as_deref()).map_err(Failure::unmarked_internal)
        }
        Command::Bench(args) => Ok(bench::run(&args)?),
        Command::Calibrate { scenario } => {
            calibrate::run(scenario.as_deref()).map_err(Failure::unmarked_internal)
        }
        Command::Validate { scenario } => {
            validate::run(scenario.as_deref()).map_err(Failure::unmarked_internal)
        }
        Command::Serve {
            scenario,
            demo,
            db,
            addr,
        } => {
            let s = if demo {
                // The demo is shipped inside the binary: if it does not load, that is a defect.
                bloc_serve::cli::demo_scenario()
                    .map_err(|e| Failure::Internal(anyhow::Error::new(e)))?
            } else {
                load(scenario.as_deref())?
            };
            Ok(bloc_serve::cli::run(
                s,
                bloc_serve::ServeConfig { db, addr },
                demo,
            )?)
        }
        Command::Admin {
            what: AdminCommand::Token { what },
        } => token(what),
        Command::Report {
            run,
            baseline,
            bands,
            out,
        } => Ok(report(&run, baseline.as_deref(), bands.as_deref(), &out)?),
        Command::Compare {
            run_a,
            run_b,
            csv,
            html,
        } => Ok(compare(&run_a, &run_b, csv.as_deref(), html.as_deref())?),
        Command::Sweep(args) => sweep::run(args),
    }
}

/// `--solver`: HiGHS only where this build has it.
fn solver_choice(solver: SolverArg) -> Result<SolverChoice, Failure> {
    match solver {
        SolverArg::Clarabel => Ok(SolverChoice::Clarabel),
        #[cfg(feature = "highs")]
        SolverArg::Highs => Ok(SolverChoice::Highs),
        #[cfg(not(feature = "highs"))]
        SolverArg::Highs => Err(Failure::BadInput(anyhow::anyhow!(
            "--solver highs: this bloc was built without HiGHS (cargo feature `highs`); use --solver clarabel"
        ))),
    }
}

/// `bloc check`: loads the scenario and its baseline and says what it holds.
fn check(scenario: &Path, quiet: bool) -> Result<(), Failure> {
    let s = load(Some(scenario))?;
    load_baseline(Some(scenario), &s)?;
    // Said even with --quiet: a policy dropped by `extends` is what check is for.
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    if !quiet {
        let projects = s.processes.iter().filter(|p| p.project.is_some()).count();
        let n =
            |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
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

/// `bloc admin token ...`: the service's tokens, in its database.
fn token(what: TokenCommand) -> Result<(), Failure> {
    match what {
        TokenCommand::Revoke { token, db } => {
            let t = bloc_serve::cli::token_revoke(&db, &token).map_err(Failure::BadInput)?;
            println!("revoked token {} ({} {})", t.id, t.role, t.entity);
        }
        TokenCommand::List { db } => {
            let v = bloc_serve::cli::token_list(&db).map_err(Failure::BadInput)?;
            print!("{}", bloc_serve::cli::format_tokens(&v));
        }
        TokenCommand::Create {
            role,
            member,
            entity,
            db,
            scenario,
            expires_in,
        } => {
            let s = match scenario {
                Some(p) => Some(load(Some(&p))?),
                None => None,
            };
            let token = bloc_serve::cli::token_create_expiring(
                &db,
                &role,
                member.as_deref(),
                entity.as_deref(),
                s.as_ref(),
                expires_in.as_deref(),
            )
            .map_err(Failure::BadInput)?;
            println!("{token}");
            eprintln!("(shown once: only its hash is stored in {})", db.display());
        }
    }
    Ok(())
}

/// Reads a run directory; a missing or malformed one is bad input (a `ReportError`).
fn load_run(dir: &Path) -> Result<bloc_report::Run> {
    Ok(bloc_report::Run::load(dir)?)
}

/// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half
/// a file. An existing `path` is replaced only if it begins as `text` does (its first line:
/// the file bloc writes there), so a file bloc did not write is never overwritten.
fn write_atomic(path: &Path, what: &str, text: &str) -> Result<()> {
    // An HTML page of bloc's says so in its head; a CSV file starts with bloc's header line.
    let sign = if text.starts_with("<!DOCTYPE") {
        r#"<meta name="generator" content="bloc">"#.to_string()
    } else {
        format!("{}\n", text.lines().next().unwrap_or_default())
    };
    let html = text.starts_with("<!DOCTYPE");
    let ours = move |head: &[u8]| {
        let head = String::from_utf8_lossy(head);
        if html {
            head.starts_with("<!DOCTYPE") && head.contains(&sign)
        } else {
            head.starts_with(&sign)
        }
    };
    // A refusal is an `OutError`: bad input.
    bloc_results::out::check_out_file(path, what, &ours)?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn report(run: &Path, baseline: Option<&Path>, bands: Option<&Path>, out: &Path) -> Result<()> {
    let mut r = load_run(run)?;
    if let Some(b) = bands {
        r.set_bands_from(b)?;
    }
    // `bloc run` writes the baseline's run inside the run directory, and its summary tells
    // the reader that `bloc report RUN_DIR` draws the run against it: so that is the default.
    let inside = run.join("baseline");
    let baseline = baseline.or_else(|| {
        inside
            .join("indicators.csv")
            .is_file()
            .then_some(inside.as_path())
    });
    let base = baseline.map(load_run).transpose()?;
    let html = bloc_report::render(
        &r,
        &bloc_report::ReportOptions {
            baseline: base.as_ref(),
        },
    );
    write_atomic(out, "report", &html)?;
    eprintln!("report written to {}", out.display());
    Ok(())
}

fn compare(a: &Path, b: &Path, csv: Option<&Path>, html: Option<&Path>) -> Result<()> {
    let c = bloc_report::Comparison::new(&load_run(a)?, &load_run(b)?);
    print!("{}", c.to_text());
    if let Some(p) = csv {
        write_atomic(p, "comparison", &c.to_csv())?;
    }
    if let Some(p) = html {
        write_atomic(p, "comparison", &c.to_html())?;
    }
    Ok(())
}

/// Loads a scenario from disk, or the shipped default when `path` is `None`; one that does
/// not load is bad input (a `ScenarioError`).
fn load(path: Option<&Path>) -> Result<bloc_scenario::Scenario> {
    let loaded = match path {
        // `.` (or `./`) names the working directory.
        Some(p) => bloc_scenario::load(
            &bloc_scenario::Disk::scenario_path(p).context("reading the working directory")?,
        ),
        None => shipped::load_default(),
    };
    Ok(loaded?)
}

/// A run that failed (exit 2: [`Class::Unsolved`] or [`Class::Internal`], by its
/// `RunError`). One without an exact equilibrium leaves `out` holding only its `run.json`,
/// whose `status` is `failed` with the period and the reason, so the record of what was
/// solved is kept and nothing looks like a result.
fn failed_run(e: bloc_model::RunError, out: &Path, what: &str) -> anyhow::Error {
    if let bloc_model::RunError::Unsolved { run_json, .. } = &e {
        if let Err(w) = RunDirSink::new(out).write_failed(run_json) {
            return anyhow::Error::new(e).context(format!(
                "{what} failed (and its run.json could not be written: {w})"
            ));
        }
        return anyhow::Error::new(e).context(format!(
            "{what} failed; {} holds its run.json (status `failed`)",
            out.display()
        ));
    }
    anyhow::Error::new(e).context(format!("{what} failed"))
}

/// The scenario's `baseline`, read from where the scenario was read (the disk, or the
/// embedded default); `None` when it names none. `bloc check` and `bloc run` both call this,
/// so a broken baseline is the same error in both.
fn load_baseline(
    path: Option<&Path>,
    scenario: &bloc_scenario::Scenario,
) -> Result<Option<bloc_scenario::Scenario>> {
    let Some(base_path) = &scenario.baseline else {
        return Ok(None);
    };
    match path {
        Some(_) => bloc_scenario::load(base_path),
        None => shipped::load_embedded(base_path),
    }
    .map(Some)
    .context("loading the baseline")
}

fn run(
    path: Option<&Path>,
    out: Option<PathBuf>,
    opts: RunOptions,
    format: bloc_results::Format,
    quiet: bool,
) -> Result<()> {
    let started = Instant::now();
    let scenario = match path {
        None => shipped::load_run_default()?,
        Some(_) => load(path)?,
    };
    let out = out.unwrap_or_else(|| Path::new("out").join(&scenario.name));
    // Refused before the run, so a long run does not end in a directory it may not replace.
    let inputs: Vec<&Path> = scenario.files.iter().map(PathBuf::as_path).collect();
    bloc_results::out::check_out_dir(&out, bloc_results::out::OutKind::Run, &inputs)
        .context("--out")?;
    let baseline = load_baseline(path, &scenario)?;
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
    for w in baseline.iter().flat_map(|b| &b.warnings) {
        eprintln!("warning: baseline: {w}");
    }
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
    let label = out.display().to_string();
    let job = bloc_model::run_job(
        &scenario,
        baseline.as_ref(),
        &opts,
        &label,
        &mut |which, t| {
            if which == bloc_model::Which::Baseline && t == 0 {
                if let Some(b) = &baseline {
                    bar.set_message(format!("{} (baseline)", b.name));
                    bar.set_length(b.time.periods as u64);
                }
            }
            progress(t)
        },
    )
    .map_err(|e| failed_run(e.error, &out, e.which.what()))?;
    bar.finish_and_clear();
    let result = &job.run;
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    job.write(&out, format)?;
    let summary = &job.summary;
    if !quiet {
        if let Some(md) = &summary {
            println!("{md}");
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use bloc_model::RunError;
    use bloc_sweep::SweepError;

    fn scenario_error() -> bloc_scenario::ScenarioError {
        bloc_scenario::ScenarioError::invalid(
            "demand.csv",
            Some(3),
            Some("elasticity"),
            "`0` is out of range",
        )
    }

    fn unsolved() -> RunError {
        RunError::Unsolved {
            period: "2030".into(),
            reason: "self-check above tolerance".into(),
            run_json: Box::new(serde_json::json!({ "status": "failed" })),
        }
    }

    /// An error of another type whose source is `inner`: the walk goes through `source()`.
    #[derive(Debug)]
    struct Wrapped<E>(E);
    impl<E: std::error::Error> std::fmt::Display for Wrapped<E> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "wrapped")
        }
    }
    impl<E: std::error::Error + 'static> std::error::Error for Wrapped<E> {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    fn class(e: impl Into<anyhow::Error>) -> Class {
        Failure::from(e).classify().0
    }

    #[test]
    fn load_out_and_run_directory_errors_are_bad_input_under_any_context() {
        let e = anyhow::Error::new(scenario_error())
            .context("loading the baseline")
            .context("outer");
        assert_eq!(class(e), Class::BadInput);
        assert_eq!(class(Wrapped(scenario_error())), Class::BadInput);
        let refused = bloc_results::out::OutError {
            path: ".".into(),
            reason: "the working directory".into(),
        };
        assert_eq!(
            class(anyhow::Error::new(refused).context("--out")),
            Class::BadInput
        );
        let not_a_run = bloc_report::ReportError::NotARun { dir: "x".into() };
        assert_eq!(class(not_a_run), Class::BadInput);
        let parse = Cli::try_parse_from(["bloc", "no-such-command"]).expect_err("a bad command");
        assert_eq!(class(parse), Class::BadInput);
        assert_eq!(
            class(SweepError::Options("--jobs 0".into())),
            Class::BadInput
        );
    }

    #[test]
    fn an_unsolved_run_is_its_own_class_and_other_run_errors_are_internal() {
        let e = anyhow::Error::new(unsolved()).context("the run failed");
        assert_eq!(class(e), Class::Unsolved);
        let e = anyhow::Error::new(Wrapped(unsolved())).context("the baseline run failed");
        assert_eq!(class(e), Class::Unsolved);
        let dump = RunError::Dump {
            path: "lp/2030.mps".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(
            class(anyhow::Error::new(dump).context("the run failed")),
            Class::Internal
        );
        assert_eq!(Class::Unsolved.exit_code(), 2);
        assert_eq!(Class::Unsolved.prefix(), "internal error");
    }

    #[test]
    fn io_errors_and_bare_messages_are_internal() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        assert_eq!(
            class(anyhow::Error::new(io).context("writing results")),
            Class::Internal
        );
        assert_eq!(
            class(anyhow::anyhow!("the run produced nothing")),
            Class::Internal
        );
        let sweep_io = SweepError::Io {
            path: "bands.csv".into(),
            reason: "disk full".into(),
        };
        assert_eq!(class(sweep_io), Class::Internal);
        assert_eq!(Class::Internal.exit_code(), 2);
        assert_eq!(Class::BadInput.exit_code(), 1);
        assert_eq!(Class::BadInput.prefix(), "error");
    }

    #[test]
    fn a_mark_overrides_the_chain_and_unmarked_internal_keeps_marks() {
        let (c, e) = Failure::Internal(anyhow::Error::new(scenario_error())).classify();
        assert_eq!(c, Class::Internal);
        assert!(e.to_string().contains("demand.csv"), "{e}");
        let (c, _) = Failure::BadInput(anyhow::anyhow!("give --samples N")).classify();
        assert_eq!(c, Class::BadInput);
        let shipped = Failure::from(scenario_error()).unmarked_internal();
        assert_eq!(shipped.classify().0, Class::Internal);
        let marked = Failure::BadInput(anyhow::anyhow!("no shipped scenario `x`"));
        assert_eq!(marked.unmarked_internal().classify().0, Class::BadInput);
    }

    #[test]
    fn an_unsolved_run_writes_its_run_json_and_classifies_as_unsolved() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let out = tmp.path().join("out");
        let e = failed_run(unsolved(), &out, "the run");
        assert_eq!(Class::of(&e), Class::Unsolved);
        let text = std::fs::read_to_string(out.join("run.json")).expect("run.json written");
        assert!(text.contains("\"failed\""), "{text}");
        let message = format!("{e:#}");
        assert!(
            message.starts_with("the run failed; ")
                && message.contains("holds its run.json (status `failed`)")
                && message
                    .ends_with("period 2030: no exact equilibrium: self-check above tolerance"),
            "{message}"
        );
    }
}
