//! `bloc._native`: the engine behind the `bloc` Python package (`python/bloc`).
//!
//! Thin on purpose: every function takes a scenario as a path plus its change layers (TOML
//! text, from `Scenario.with_changes`), loads it with the real loader
//! ([`bloc_scenario::load_with_changes`]), and runs what the command line runs
//! ([`bloc_model::run_job`], [`bloc_sweep::sweep`], [`bloc_report::Comparison`]), so results,
//! files and error messages are the CLI's. The engine runs with the GIL released
//! ([`Python::detach`]), so runs in threads proceed together. The Python layer reads the run
//! directories into pandas.

use bloc_model::{RunOptions, SolverChoice};
use bloc_scenario::{Disk, FileSource, Scenario, ScenarioError};
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::path::{Path, PathBuf};

pyo3::create_exception!(
    _native,
    NativeScenarioError,
    PyException,
    "A scenario that does not load: args are (message, file, line, field)."
);
pyo3::create_exception!(
    _native,
    RunError,
    PyException,
    "A run that failed: no exact equilibrium, a solver failure or an I/O error."
);

fn scenario_error(e: ScenarioError) -> PyErr {
    let message = e.to_string();
    match e {
        ScenarioError::Invalid { at, .. } => NativeScenarioError::new_err((
            message,
            Some(at.file.display().to_string()),
            at.line,
            at.field,
        )),
        ScenarioError::Io { path, .. } => NativeScenarioError::new_err((
            message,
            Some(path.display().to_string()),
            None::<usize>,
            None::<String>,
        )),
        _ => NativeScenarioError::new_err((message, None::<String>, None::<usize>, None::<String>)),
    }
}

fn run_error(e: impl std::fmt::Display) -> PyErr {
    RunError::new_err(e.to_string())
}

/// The scenario path as the CLI reads it (`.` names the working directory).
fn resolve(path: &str) -> PyResult<PathBuf> {
    Disk::scenario_path(Path::new(path))
        .map_err(|e| PyValueError::new_err(format!("reading the working directory: {e}")))
}

fn load(path: &str, changes: &[String]) -> PyResult<Scenario> {
    let p = resolve(path)?;
    bloc_scenario::load_with_changes(&Disk, &p, changes)
        .map(|(s, _)| s)
        .map_err(scenario_error)
}

/// How deep changes may nest (a scenario's deepest key is four levels down); deeper, or a
/// dict that contains itself, is refused rather than recursed into.
const MAX_DEPTH: usize = 32;

/// A Python value (dict, list, str, int, float, bool) as a TOML value. A dict key with dots
/// (`"bloc.members"`) is a dotted key: nested tables.
fn to_toml(v: &Bound<'_, PyAny>, at: &str, depth: usize) -> PyResult<toml::Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "`{at}`: the changes nest deeper than {MAX_DEPTH} levels (does a dict contain itself?)"
        )));
    }
    // bool before int: Python's True is an int.
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(toml::Value::Boolean(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        let i: i64 = v.extract().map_err(|_| {
            PyValueError::new_err(format!("`{at}`: the integer does not fit in 64 bits"))
        })?;
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        let x = f.value();
        if !x.is_finite() {
            return Err(PyValueError::new_err(format!(
                "`{at}`: {x} is not a finite number; give a number"
            )));
        }
        return Ok(toml::Value::Float(x));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(toml::Value::String(s.to_str()?.to_string()));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return Ok(toml::Value::Table(to_table(d, at, depth + 1)?));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in v.try_iter()?.enumerate() {
            out.push(to_toml(&item?, &format!("{at}[{i}]"), depth + 1)?);
        }
        return Ok(toml::Value::Array(out));
    }
    if v.is_none() {
        return Err(PyTypeError::new_err(format!(
            "`{at}`: None has no TOML form; leave the key out to keep the scenario's value"
        )));
    }
    Err(PyTypeError::new_err(format!(
        "`{at}`: a {} has no TOML form; give a dict, list, str, int, float or bool",
        v.get_type().name()?
    )))
}

fn to_table(d: &Bound<'_, PyDict>, at: &str, depth: usize) -> PyResult<toml::Table> {
    let mut out = toml::Table::new();
    for (k, v) in d.iter() {
        let key: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("`{at}`: every key must be a str")))?;
        let path: Vec<&str> = key.split('.').collect();
        if path.iter().any(|p| p.is_empty()) {
            return Err(PyValueError::new_err(format!(
                "`{key}` is not a key: give names joined by single dots, as `bloc.members`"
            )));
        }
        let full = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        let value = to_toml(&v, &full, depth)?;
        let mut table = &mut out;
        for p in &path[..path.len() - 1] {
            let entry = table
                .entry(p.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            table = match entry {
                toml::Value::Table(t) => t,
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "`{full}`: `{p}` is given both as a value and as a table"
                    )))
                }
            };
        }
        let last = path[path.len() - 1].to_string();
        match (table.get_mut(&last), value) {
            (Some(toml::Value::Table(old)), toml::Value::Table(new)) => old.extend(new),
            (Some(_), _) => {
                return Err(PyValueError::new_err(format!("`{full}` is given twice")));
            }
            (None, value) => {
                table.insert(last, value);
            }
        }
    }
    Ok(out)
}

/// The changes `{...}` as the TOML text of one change layer.
#[pyfunction]
fn changes_to_toml(changes: &Bound<'_, PyDict>) -> PyResult<String> {
    let table = to_table(changes, "", 0)?;
    toml::to_string(&table).map_err(|e| PyValueError::new_err(format!("changes: {e}")))
}

/// What Python shows of a loaded scenario.
fn info<'py>(py: Python<'py>, s: &Scenario) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", &s.name)?;
    d.set_item("description", &s.description)?;
    d.set_item("base_year", s.base_year)?;
    d.set_item("seed", s.seed)?;
    d.set_item(
        "periods",
        (0..s.time.periods)
            .map(|t| s.time.label(t))
            .collect::<Vec<_>>(),
    )?;
    d.set_item(
        "regions",
        s.regions
            .iter()
            .map(|r| r.id.as_str().to_string())
            .collect::<Vec<_>>(),
    )?;
    d.set_item(
        "commodities",
        s.commodities
            .iter()
            .map(|c| c.id.as_str().to_string())
            .collect::<Vec<_>>(),
    )?;
    let members = PyList::empty(py);
    for m in &s.bloc.members {
        let e = PyDict::new(py);
        e.set_item("region", m.region.as_str())?;
        e.set_item("from", s.time.label(m.span.from))?;
        if let Some(to) = m.span.to {
            e.set_item("to", s.time.label(to))?;
        }
        members.append(e)?;
    }
    d.set_item("members", members)?;
    d.set_item(
        "baseline",
        s.baseline.as_ref().map(|b| b.display().to_string()),
    )?;
    d.set_item(
        "files",
        s.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>(),
    )?;
    d.set_item("hash", &s.hash)?;
    d.set_item("warnings", &s.warnings)?;
    Ok(d)
}

/// Loads and validates the scenario at `path` with `changes` laid over it; returns what it
/// holds (name, periods, regions, commodities, members, baseline, files, hash).
#[pyfunction]
#[pyo3(signature = (path, changes = Vec::new()))]
fn load_scenario<'py>(
    py: Python<'py>,
    path: &str,
    changes: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = py.detach(|| load(path, &changes))?;
    info(py, &s)
}

/// How to run ([`run`]'s `options`, a dict from Python).
#[derive(Debug, FromPyObject)]
#[pyo3(from_item_all)]
struct RunArgs {
    /// The baseline as (path, changes); None: the one the scenario names, if
    /// `declared_baseline`.
    baseline: Option<(String, Vec<String>)>,
    declared_baseline: bool,
    seed: Option<u64>,
    format: String,
    solver: String,
}

/// Runs the scenario (and its baseline: `options["baseline"]` as (path, changes), or the one
/// the scenario names when `options["declared_baseline"]`), writes the run directory `out`
/// (the baseline in `out/baseline`, the headlines in `out/summary.md`) and returns {summary,
/// warnings, max_violation_relative}.
#[pyfunction]
fn run<'py>(
    py: Python<'py>,
    path: &str,
    changes: Vec<String>,
    out: &str,
    options: RunArgs,
) -> PyResult<Bound<'py, PyDict>> {
    let RunArgs {
        baseline,
        declared_baseline,
        seed,
        format,
        solver,
    } = options;
    let solver = match solver.as_str() {
        "clarabel" => SolverChoice::Clarabel,
        "highs" => SolverChoice::Highs,
        other => {
            return Err(PyValueError::new_err(format!(
                "solver `{other}`: give \"clarabel\" or \"highs\""
            )))
        }
    };
    let format = match format.as_str() {
        "csv" => bloc_results::Format::Csv,
        "parquet" => bloc_results::Format::Parquet,
        other => {
            return Err(PyValueError::new_err(format!(
                "format `{other}`: give \"csv\" or \"parquet\""
            )))
        }
    };
    let out = PathBuf::from(out);
    let done = py.detach(|| -> PyResult<bloc_model::JobOutput> {
        let scenario = load(path, &changes)?;
        let base = match (&baseline, &scenario.baseline) {
            (Some((p, c)), _) => Some(load(p, c)?),
            (None, Some(b)) if declared_baseline => {
                Some(bloc_scenario::load(b).map_err(scenario_error)?)
            }
            _ => None,
        };
        let inputs: Vec<&Path> = scenario.files.iter().map(PathBuf::as_path).collect();
        bloc_results::out::check_out_dir(&out, bloc_results::out::OutKind::Run, &inputs)
            .map_err(|e| PyValueError::new_err(format!("out: {e}")))?;
        let opts = RunOptions {
            seed,
            solver,
            dump_lp: None,
            cold: false,
            guide: None,
            indicators_only: false,
        };
        let label = out.display().to_string();
        let job = bloc_model::run_job(&scenario, base.as_ref(), &opts, &label, &mut |_, _| {})
            .map_err(|e| {
                if let bloc_model::RunError::Unsolved { run_json, .. } = &e.error {
                    let _ = bloc_results::RunDirSink::new(&out).write_failed(run_json);
                }
                run_error(&e)
            })?;
        job.write(&out, format).map_err(run_error)?;
        Ok(job)
    })?;
    let d = PyDict::new(py);
    d.set_item("summary", &done.summary)?;
    d.set_item("warnings", &done.run.warnings)?;
    d.set_item(
        "max_violation_relative",
        done.run
            .periods
            .iter()
            .map(|p| p.max_violation_relative)
            .fold(0.0, f64::max),
    )?;
    Ok(d)
}

/// How to sweep ([`sweep`]'s `options`, a dict from Python).
#[derive(Debug, FromPyObject)]
#[pyo3(from_item_all)]
struct SweepArgs {
    samples: u64,
    seed: u64,
    sampling: String,
    jobs: Option<usize>,
}

/// Runs a Monte Carlo sweep of the scenario's `[[uncertain]]` inputs on `options["jobs"]`
/// threads (all cores when None), writes the sweep directory `out` and returns its indicator
/// rows as columns {sample, period, indicator, scope, value}.
#[pyfunction]
fn sweep<'py>(
    py: Python<'py>,
    path: &str,
    changes: Vec<String>,
    out: &str,
    options: SweepArgs,
) -> PyResult<Bound<'py, PyDict>> {
    let SweepArgs {
        samples,
        seed,
        sampling,
        jobs,
    } = options;
    let sampling = match sampling.as_str() {
        "random" => bloc_sweep::Sampling::Random,
        "lhs" => bloc_sweep::Sampling::LatinHypercube,
        other => {
            return Err(PyValueError::new_err(format!(
                "sampling `{other}`: give \"random\" or \"lhs\""
            )))
        }
    };
    if samples == 0 {
        return Err(PyValueError::new_err("samples: give 1 or more"));
    }
    if jobs == Some(0) {
        return Err(PyValueError::new_err("jobs: give 1 or more threads"));
    }
    let out = PathBuf::from(out);
    let result = py.detach(|| -> PyResult<bloc_sweep::SweepOutput> {
        let p = resolve(path)?;
        let (files, top) = bloc_scenario::with_changes(&Disk as &dyn FileSource, &p, &changes)
            .map_err(scenario_error)?;
        let prepared = bloc_sweep::prepare(&files, &top).map_err(|e| match e {
            bloc_sweep::SweepError::Scenario(s) => scenario_error(s),
            other => PyValueError::new_err(other.to_string()),
        })?;
        let opts = bloc_sweep::SweepOptions {
            samples,
            seed,
            shard: None,
            sampling,
        };
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(j) = jobs {
            pool = pool.num_threads(j);
        }
        let pool = pool.build().map_err(run_error)?;
        let result = pool.install(|| bloc_sweep::sweep(&prepared, &opts, &|| {}));
        bloc_sweep::write_dir(&out, &result).map_err(run_error)?;
        Ok(result)
    })?;
    let d = PyDict::new(py);
    let rows = &result.rows;
    d.set_item("sample", rows.iter().map(|r| r.sample).collect::<Vec<_>>())?;
    d.set_item(
        "period",
        rows.iter().map(|r| r.period.as_str()).collect::<Vec<_>>(),
    )?;
    d.set_item(
        "indicator",
        rows.iter()
            .map(|r| r.indicator.as_str())
            .collect::<Vec<_>>(),
    )?;
    d.set_item(
        "scope",
        rows.iter().map(|r| r.scope.as_str()).collect::<Vec<_>>(),
    )?;
    d.set_item("value", rows.iter().map(|r| r.value).collect::<Vec<_>>())?;
    Ok(d)
}

/// `bloc compare A B` as CSV text: each headline indicator of run B against run A.
#[pyfunction]
fn compare(py: Python<'_>, run_a: &str, run_b: &str) -> PyResult<String> {
    py.detach(|| {
        let load = |d: &str| {
            bloc_report::Run::load(Path::new(d)).map_err(|e| PyValueError::new_err(e.to_string()))
        };
        let c = bloc_report::Comparison::new(&load(run_a)?, &load(run_b)?);
        Ok(c.to_csv())
    })
}

/// The engine's version (the workspace's).
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add(
        "NativeScenarioError",
        m.py().get_type::<NativeScenarioError>(),
    )?;
    m.add("RunError", m.py().get_type::<RunError>())?;
    m.add_function(wrap_pyfunction!(load_scenario, m)?)?;
    m.add_function(wrap_pyfunction!(changes_to_toml, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    Ok(())
}
