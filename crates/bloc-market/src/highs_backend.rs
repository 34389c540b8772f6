//! The HiGHS backend (feature `highs`): HiGHS's active-set QP solver through the raw
//! `highs-sys` C API. Kept for cross-checking and benchmarks; design §7 measured it far too
//! slow for the world market, so [`crate::ClarabelSolver`] is the default.
//!
//! This is the only module of the crate with `unsafe` code: every call into HiGHS goes
//! through `Highs`, which owns one HiGHS instance and frees it on drop.
#![allow(unsafe_code)]

use crate::qp::{QpProblem, QpSolution, QpSolver, RowKind, SolveStatus, SolverError};
use highs_sys::HighsInt;
use std::ffi::{c_void, CStr, CString};
use std::path::Path;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

const NAME: &str = "highs";

/// HiGHS's `kHighsHessianFormatTriangular` (lower triangle, column-wise).
const HESSIAN_FORMAT_TRIANGULAR: HighsInt = 1;

/// HiGHS (active-set QP for quadratic problems, simplex for linear ones).
///
/// Tolerances are HiGHS's primal and dual feasibility tolerances; the defaults are tighter
/// than HiGHS's own (1e-7). HiGHS's QP solver adds `qp_regularization_value` (default 1e-7)
/// to every nonzero Hessian diagonal entry, which moves a price by 1e-7 × quantity; this
/// backend sets it to [`HighsSolver::regularization`], 0 by default, so that it solves the
/// problem as stated.
#[derive(Debug, Clone)]
pub struct HighsSolver {
    /// HiGHS's `primal_feasibility_tolerance` and `dual_feasibility_tolerance`.
    pub tolerance: f64,
    /// HiGHS's `qp_regularization_value`, added to each nonzero h_j.
    pub regularization: f64,
    /// Wall-time limit in seconds (`None`: no limit).
    pub time_limit: Option<f64>,
    /// Iteration limit of the QP solver (`None`: HiGHS's default, effectively none).
    pub iteration_limit: Option<u32>,
}

impl Default for HighsSolver {
    fn default() -> Self {
        HighsSolver {
            tolerance: 1e-9,
            regularization: 0.0,
            time_limit: None,
            iteration_limit: None,
        }
    }
}

fn fail(message: impl Into<String>) -> SolverError {
    SolverError::Backend {
        solver: NAME,
        message: message.into(),
    }
}

fn to_int(n: usize, what: &str) -> Result<HighsInt, SolverError> {
    HighsInt::try_from(n).map_err(|_| fail(format!("too many {what} for HiGHS: {n}")))
}

/// One HiGHS instance, freed on drop.
struct Highs(NonNull<c_void>);

impl Drop for Highs {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Highs_create`, is non-null, and is destroyed exactly
        // once here (the wrapper is neither `Clone` nor `Copy`).
        unsafe { highs_sys::Highs_destroy(self.0.as_ptr()) }
    }
}

impl Highs {
    /// A fresh, silent instance.
    fn new() -> Result<Self, SolverError> {
        // SAFETY: `Highs_create` takes no arguments and returns an owned instance or null.
        let raw = unsafe { highs_sys::Highs_create() };
        let h = Highs(NonNull::new(raw).ok_or_else(|| fail("Highs_create returned null"))?);
        h.set_bool(c"output_flag", false)?;
        Ok(h)
    }

    fn ptr(&self) -> *mut c_void {
        self.0.as_ptr()
    }

    fn check(&self, status: HighsInt, call: &str) -> Result<(), SolverError> {
        if status == highs_sys::STATUS_ERROR {
            Err(fail(format!("{call} returned an error")))
        } else {
            Ok(())
        }
    }

    fn set_bool(&self, option: &CStr, value: bool) -> Result<(), SolverError> {
        // SAFETY: the instance is live and `option` is a NUL-terminated string that outlives
        // the call.
        let s = unsafe {
            highs_sys::Highs_setBoolOptionValue(self.ptr(), option.as_ptr(), HighsInt::from(value))
        };
        self.check(s, "Highs_setBoolOptionValue")
    }

    fn set_int(&self, option: &CStr, value: HighsInt) -> Result<(), SolverError> {
        // SAFETY: as in `set_bool`.
        let s = unsafe { highs_sys::Highs_setIntOptionValue(self.ptr(), option.as_ptr(), value) };
        self.check(s, "Highs_setIntOptionValue")
    }

    fn set_double(&self, option: &CStr, value: f64) -> Result<(), SolverError> {
        // SAFETY: as in `set_bool`.
        let s =
            unsafe { highs_sys::Highs_setDoubleOptionValue(self.ptr(), option.as_ptr(), value) };
        self.check(s, "Highs_setDoubleOptionValue")
    }

    fn int_info(&self, info: &CStr) -> Option<HighsInt> {
        let mut v: HighsInt = 0;
        // SAFETY: the instance is live, `info` is NUL-terminated, and `v` is a valid place for
        // one `HighsInt` for the duration of the call.
        let s = unsafe { highs_sys::Highs_getIntInfoValue(self.ptr(), info.as_ptr(), &mut v) };
        (s == highs_sys::STATUS_OK).then_some(v)
    }

    /// Runs the solver and maps how it ended to a [`SolveStatus`]; `Err` only if HiGHS
    /// rejected the model.
    fn run(&self) -> Result<SolveStatus, SolverError> {
        // SAFETY: the instance is live and holds a model.
        let s = unsafe { highs_sys::Highs_run(self.ptr()) };
        let status = self.solve_status()?;
        // An error from the run itself overrides a model status that claims success.
        Ok(match status {
            solved if solved.is_solved() && s == highs_sys::STATUS_ERROR => {
                SolveStatus::NumericalError
            }
            other => other,
        })
    }

    fn model_status(&self) -> HighsInt {
        // SAFETY: the instance is live.
        unsafe { highs_sys::Highs_getModelStatus(self.ptr()) }
    }

    fn objective_value(&self) -> f64 {
        // SAFETY: the instance is live.
        unsafe { highs_sys::Highs_getObjectiveValue(self.ptr()) }
    }

    /// Iterations of whichever solvers ran (QP, simplex, IPM).
    fn iterations(&self) -> u32 {
        [
            c"qp_iteration_count",
            c"simplex_iteration_count",
            c"ipm_iteration_count",
        ]
        .iter()
        .filter_map(|name| self.int_info(name))
        .map(|v| u32::try_from(v).unwrap_or(0))
        .sum()
    }

    /// Maps the model status after `Highs_run` to a [`SolveStatus`].
    fn solve_status(&self) -> Result<SolveStatus, SolverError> {
        let model_status = self.model_status();
        status_of(model_status, || {
            let feasible =
                |which: &CStr| self.int_info(which) == Some(highs_sys::SOLUTION_STATUS_FEASIBLE);
            feasible(c"primal_solution_status") && feasible(c"dual_solution_status")
        })
        .ok_or_else(|| {
            fail(format!(
                "HiGHS rejected the model (model status {model_status})"
            ))
        })
    }
}

/// HiGHS's model status as a [`SolveStatus`]; `None` where HiGHS rejected the model (a load
/// or model error, which is a failure of the backend, not a status of the market).
/// `feasible_solution` says whether HiGHS holds a primal and dual feasible solution; it is
/// asked only for an `Unknown` status. Statuses keep their own variants but for the two
/// ways to an optimum (`Optimal`, an empty model) and the two interrupts.
fn status_of(
    model_status: HighsInt,
    feasible_solution: impl FnOnce() -> bool,
) -> Option<SolveStatus> {
    use highs_sys::*;
    Some(match model_status {
        MODEL_STATUS_OPTIMAL | MODEL_STATUS_MODEL_EMPTY => SolveStatus::Optimal,
        MODEL_STATUS_INFEASIBLE => SolveStatus::Infeasible,
        MODEL_STATUS_UNBOUNDED_OR_INFEASIBLE => SolveStatus::InfeasibleOrUnbounded,
        MODEL_STATUS_UNBOUNDED => SolveStatus::Unbounded,
        MODEL_STATUS_OBJECTIVE_BOUND => SolveStatus::ObjectiveBound,
        MODEL_STATUS_OBJECTIVE_TARGET => SolveStatus::ObjectiveTarget,
        MODEL_STATUS_REACHED_TIME_LIMIT => SolveStatus::TimeLimit,
        MODEL_STATUS_REACHED_ITERATION_LIMIT => SolveStatus::IterationLimit,
        MODEL_STATUS_REACHED_SOLUTION_LIMIT => SolveStatus::SolutionLimit,
        MODEL_STATUS_REACHED_MEMORY_LIMIT => SolveStatus::MemoryLimit,
        MODEL_STATUS_REACHED_INTERRUPT | MODEL_STATUS_HIGHS_INTERRUPT => SolveStatus::Interrupted,
        MODEL_STATUS_PRESOLVE_ERROR => SolveStatus::PresolveError,
        MODEL_STATUS_SOLVE_ERROR => SolveStatus::NumericalError,
        MODEL_STATUS_POSTSOLVE_ERROR => SolveStatus::PostsolveError,
        MODEL_STATUS_NOTSET => SolveStatus::NotRun,
        // HiGHS says "unknown" when it stops with a solution it cannot certify; if that
        // solution is primal and dual feasible it is close to optimal.
        MODEL_STATUS_UNKNOWN if feasible_solution() => SolveStatus::AlmostOptimal,
        MODEL_STATUS_LOAD_ERROR | MODEL_STATUS_MODEL_ERROR => return None,
        _ => SolveStatus::Unknown,
    })
}

impl HighsSolver {
    fn apply_options(&self, h: &Highs) -> Result<(), SolverError> {
        h.set_double(c"primal_feasibility_tolerance", self.tolerance)?;
        h.set_double(c"dual_feasibility_tolerance", self.tolerance)?;
        h.set_double(c"qp_regularization_value", self.regularization)?;
        if let Some(t) = self.time_limit {
            h.set_double(c"time_limit", t)?;
        }
        if let Some(n) = self.iteration_limit {
            let n = HighsInt::try_from(n).unwrap_or(HighsInt::MAX);
            h.set_int(c"qp_iteration_limit", n)?;
            h.set_int(c"simplex_iteration_limit", n)?;
        }
        Ok(())
    }
}

impl QpSolver for HighsSolver {
    fn name(&self) -> &'static str {
        NAME
    }

    fn solve(&self, p: &QpProblem) -> Result<QpSolution, SolverError> {
        let started = Instant::now();
        let n = p.cols.len();
        let m = p.rows.len();
        if n == 0 {
            // HiGHS calls a model without columns "empty" and gives no solution to read.
            return Ok(QpSolution::without_columns(p, started.elapsed()));
        }
        let arrays = ModelArrays::of(p)?;
        let h = Highs::new()?;
        self.apply_options(&h)?;
        arrays.pass(&h, p)?;
        let status = h.run()?;
        let (x, row_dual) = read_solution(&h, n, m, status)?;
        // HiGHS's row duals for a minimisation satisfy c + Qx − Aᵀy = col_dual, i.e. y is
        // already ∂objective*/∂b (checked by the tests: min x s.t. x = b gives +1).
        let iterations = h.iterations();
        Ok(QpSolution {
            status,
            objective: p.objective(&x),
            x,
            row_dual,
            iterations,
            time: started.elapsed(),
        })
    }
}

/// The model in the arrays `Highs_passModel` reads: the constraint matrix and the diagonal
/// Hessian in CSC form, costs, column bounds and row bounds.
struct ModelArrays {
    a_start: Vec<HighsInt>,
    a_index: Vec<HighsInt>,
    a_value: Vec<f64>,
    q_start: Vec<HighsInt>,
    q_index: Vec<HighsInt>,
    q_value: Vec<f64>,
    cost: Vec<f64>,
    col_lower: Vec<f64>,
    col_upper: Vec<f64>,
    row_lower: Vec<f64>,
    row_upper: Vec<f64>,
}

impl ModelArrays {
    fn of(p: &QpProblem) -> Result<Self, SolverError> {
        let n = p.cols.len();
        let (starts, index, values) = p.csc();
        let a_start = starts[..n]
            .iter()
            .map(|&s| to_int(s, "matrix entries"))
            .collect::<Result<Vec<_>, _>>()?;
        let a_index = index
            .iter()
            .map(|&i| to_int(i, "rows"))
            .collect::<Result<Vec<_>, _>>()?;
        // The diagonal Hessian as a lower triangle in CSC form: column j holds (j, h_j).
        let mut q_start = Vec::with_capacity(n);
        let mut q_index = Vec::new();
        let mut q_value = Vec::new();
        for (j, c) in p.cols.iter().enumerate() {
            q_start.push(to_int(q_index.len(), "Hessian entries")?);
            if c.quad != 0.0 {
                q_index.push(to_int(j, "columns")?);
                q_value.push(c.quad);
            }
        }
        let row_lower: Vec<f64> = p
            .rows
            .iter()
            .map(|r| match r.kind {
                RowKind::Eq => r.rhs,
                RowKind::Le => f64::NEG_INFINITY,
            })
            .collect();
        Ok(ModelArrays {
            a_start,
            a_index,
            a_value: values,
            q_start,
            q_index,
            q_value,
            cost: p.cols.iter().map(|c| c.cost).collect(),
            col_lower: p.cols.iter().map(|c| c.lower).collect(),
            col_upper: p.cols.iter().map(|c| c.upper).collect(),
            row_lower,
            row_upper: p.rows.iter().map(|r| r.rhs).collect(),
        })
    }

    /// Passes the model to the instance.
    fn pass(&self, h: &Highs, p: &QpProblem) -> Result<(), SolverError> {
        let q_nz = self.q_value.len();
        // HiGHS reads the Hessian only if q_num_nz > 0; pass null pointers for an LP.
        let (qs, qi, qv) = if q_nz > 0 {
            (
                self.q_start.as_ptr(),
                self.q_index.as_ptr(),
                self.q_value.as_ptr(),
            )
        } else {
            (std::ptr::null(), std::ptr::null(), std::ptr::null())
        };
        // SAFETY: the instance is live; every array has the length HiGHS expects for
        // num_col = n, num_row = m, num_nz = a_value.len(), q_num_nz = q_nz (a_start and
        // q_start n, a_index/a_value num_nz, q_index/q_value q_nz, costs and column bounds n,
        // row bounds m) and outlives the call, which copies them; integrality may be null.
        let status = unsafe {
            highs_sys::Highs_passModel(
                h.ptr(),
                to_int(p.cols.len(), "columns")?,
                to_int(p.rows.len(), "rows")?,
                to_int(self.a_value.len(), "matrix entries")?,
                to_int(q_nz, "Hessian entries")?,
                highs_sys::MATRIX_FORMAT_COLUMN_WISE,
                HESSIAN_FORMAT_TRIANGULAR,
                highs_sys::OBJECTIVE_SENSE_MINIMIZE,
                p.offset,
                self.cost.as_ptr(),
                self.col_lower.as_ptr(),
                self.col_upper.as_ptr(),
                self.row_lower.as_ptr(),
                self.row_upper.as_ptr(),
                self.a_start.as_ptr(),
                self.a_index.as_ptr(),
                self.a_value.as_ptr(),
                qs,
                qi,
                qv,
                std::ptr::null(),
            )
        };
        h.check(status, "Highs_passModel")
    }
}

/// The solved instance's columns and row duals (n and m of them); zeros where HiGHS has no
/// solution to give (an infeasible model, say), which is an error after a solve.
fn read_solution(
    h: &Highs,
    n: usize,
    m: usize,
    status: SolveStatus,
) -> Result<(Vec<f64>, Vec<f64>), SolverError> {
    let mut x = vec![0.0; n];
    let mut col_dual = vec![0.0; n];
    let mut row_value = vec![0.0; m];
    let mut row_dual = vec![0.0; m];
    // SAFETY: the instance is live and holds a model with n columns and m rows; each
    // buffer has exactly that length.
    let s = unsafe {
        highs_sys::Highs_getSolution(
            h.ptr(),
            x.as_mut_ptr(),
            col_dual.as_mut_ptr(),
            row_value.as_mut_ptr(),
            row_dual.as_mut_ptr(),
        )
    };
    if s == highs_sys::STATUS_ERROR {
        // No solution to read (an infeasible model, say): report zeros with the status.
        if status.is_solved() {
            return Err(fail("Highs_getSolution returned an error after a solve"));
        }
        x.fill(0.0);
        row_dual.fill(0.0);
    }
    Ok((x, row_dual))
}

/// Reads a model file (MPS, LP) with `Highs_readModel`, solves it with the options of
/// `HighsSolver::default()` and returns the status, HiGHS's objective value (meaningful only
/// if optimal) and the wall time of reading plus solving.
pub(crate) fn solve_model_file(path: &Path) -> Result<(SolveStatus, f64, Duration), SolverError> {
    let name = path
        .to_str()
        .ok_or_else(|| fail(format!("path is not UTF-8: {}", path.display())))?;
    let name = CString::new(name).map_err(|_| fail("path holds a NUL byte"))?;
    let h = Highs::new()?;
    HighsSolver::default().apply_options(&h)?;
    let started = Instant::now();
    // SAFETY: the instance is live and `name` is a NUL-terminated string outliving the call.
    let s = unsafe { highs_sys::Highs_readModel(h.ptr(), name.as_ptr()) };
    h.check(s, "Highs_readModel")
        .map_err(|_| fail(format!("HiGHS could not read {}", path.display())))?;
    let status = h.run()?;
    let time = started.elapsed();
    Ok((status, h.objective_value(), time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_highs_model_status_keeps_its_own_variant_but_for_documented_pairs() {
        use highs_sys::*;
        let mut seen: HashSet<SolveStatus> = HashSet::new();
        for ms in MODEL_STATUS_MIN..=MODEL_STATUS_MAX {
            let status = status_of(ms, || false);
            match ms {
                MODEL_STATUS_LOAD_ERROR | MODEL_STATUS_MODEL_ERROR => {
                    assert_eq!(status, None, "model status {ms}");
                }
                // The second of a documented pair: the same variant as the first.
                MODEL_STATUS_MODEL_EMPTY => assert_eq!(status, Some(SolveStatus::Optimal)),
                MODEL_STATUS_HIGHS_INTERRUPT => {
                    assert_eq!(status, Some(SolveStatus::Interrupted));
                }
                _ => {
                    let status = status.expect("a status");
                    assert!(seen.insert(status), "model status {ms}: {status} twice");
                }
            }
        }
        assert_eq!(
            status_of(MODEL_STATUS_UNKNOWN, || false),
            Some(SolveStatus::Unknown)
        );
        assert_eq!(
            status_of(MODEL_STATUS_UNKNOWN, || true),
            Some(SolveStatus::AlmostOptimal)
        );
        assert_eq!(
            status_of(MODEL_STATUS_MAX + 1, || true),
            Some(SolveStatus::Unknown)
        );
    }

    #[test]
    fn only_optimal_and_a_feasible_unknown_are_solved() {
        use highs_sys::*;
        for ms in MODEL_STATUS_MIN..=MODEL_STATUS_MAX {
            for feasible in [false, true] {
                let solved = matches!(ms, MODEL_STATUS_OPTIMAL | MODEL_STATUS_MODEL_EMPTY)
                    || ms == MODEL_STATUS_UNKNOWN && feasible;
                let status = status_of(ms, || feasible);
                assert_eq!(
                    status.is_some_and(SolveStatus::is_solved),
                    solved,
                    "model status {ms}, feasible {feasible}: {status:?}"
                );
            }
        }
    }
}
