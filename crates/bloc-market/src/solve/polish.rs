//! Polishing: from an interior-point answer, a hair off its bounds, to the exact answer on its
//! active set ([`polish`]), checked optimal for the whole problem; and [`basic_x`], which first
//! gathers flow spread over tied routes onto a forest so that the active set's system is not
//! singular.

use super::active_set::{exact_on_active_set, optimal};
use super::Tolerances;
use crate::build::Built;
use crate::problem::MarketProblem;
use crate::qp::{QpProblem, QpSolver, SolveStatus, SolverError};
use std::time::Duration;

/// The QP's answer with its route columns rewritten as a basic flow ([`crate::basic`]).
pub(super) fn basic_x(p: &MarketProblem, b: &Built, x: &[f64]) -> Vec<f64> {
    let mut flow: Vec<f64> = b
        .route_col
        .iter()
        .map(|j| j.map_or(0.0, |j| x[j].max(0.0)))
        .collect();
    crate::basic::to_forest(p, &mut flow);
    let mut out = x.to_vec();
    for (r, j) in b.route_col.iter().enumerate() {
        if let Some(j) = *j {
            if x[j] > 0.0 {
                out[j] = flow[r];
            }
        }
    }
    out
}

/// Polishing: an interior-point answer leaves every column that belongs on a bound a hair off
/// it. Columns within [`Tolerances::snap_delta`] of a bound that their reduced cost pushes onto are fixed
/// there and the rest is solved again, so that those columns are exactly on their bounds and
/// every balance still holds. The polished answer is kept only when it is optimal for the
/// whole problem (every fixed column's reduced cost still pushes it onto its bound, every
/// free one within its bounds); otherwise `None` and the unpolished answer stands.
#[allow(clippy::type_complexity)]
pub(super) fn polish(
    qp: &QpProblem,
    x: &[f64],
    y: &[f64],
    solver: &dyn QpSolver,
    tol: &Tolerances,
) -> Result<Option<(Vec<f64>, Vec<f64>, Duration)>, SolverError> {
    // Fixing fewer columns (only those whose reduced cost is clearly away from zero) is
    // tried when fixing all of them proves inconsistent.
    for eps in [tol.snap_eps, tol.snap_eps * 100.0, tol.snap_eps * 10_000.0] {
        if let Some(answer) = polish_with(qp, x, y, solver, eps, tol)? {
            return Ok(Some(answer));
        }
    }
    Ok(None)
}

#[allow(clippy::type_complexity)]
fn polish_with(
    qp: &QpProblem,
    x: &[f64],
    y: &[f64],
    solver: &dyn QpSolver,
    eps: f64,
    tol: &Tolerances,
) -> Result<Option<(Vec<f64>, Vec<f64>, Duration)>, SolverError> {
    let fixed = qp.snap_to_bounds(x, y, tol.snap_delta, eps);
    if fixed.iter().all(Option::is_none) {
        return Ok(None);
    }
    let trace = tracing::enabled!(tracing::Level::TRACE);
    // First straight from the interior-point answer to the active set's exact solution,
    // correcting the active set a few times: a free column the exact solution leaves a hair
    // from a bound that its reduced cost pushes onto goes on the bound; a fixed column whose
    // reduced cost pulls it off is freed.
    if let Some((xe, ye)) =
        exact_on_active_set(qp, fixed.clone(), x, y, tol.active_set_rounds, trace, tol)
    {
        return Ok(Some((xe, ye, Duration::ZERO)));
    }
    // Else re-solve the problem with those columns fixed, and from that answer try again.
    let (reduced, keep) = qp.fix_columns(&fixed);
    let sol = solver.solve(&reduced)?;
    if sol.status != SolveStatus::Optimal {
        tracing::trace!(status = %sol.status, "polish: re-solve not optimal");
        return Ok(None);
    }
    let mut full: Vec<f64> = fixed.iter().map(|f| f.unwrap_or(0.0)).collect();
    for (k, &j) in keep.iter().enumerate() {
        full[j] = sol.x[k];
    }
    // A row that no free column touches gets no dual from the reduced solve (any value
    // would do there): it keeps the interior-point dual, which is one of the valid ones.
    let mut row_free = vec![false; qp.rows.len()];
    for &(i, j, _) in &qp.entries {
        if fixed[j].is_none() {
            row_free[i] = true;
        }
    }
    let dual: Vec<f64> = (0..qp.rows.len())
        .map(|i| if row_free[i] { sol.row_dual[i] } else { y[i] })
        .collect();
    if let Some((xe, ye)) = crate::kkt::solve_active_set(qp, &fixed, &full, &dual, tol.snap_delta) {
        if optimal(qp, &xe, &ye, &fixed, false, tol) {
            return Ok(Some((xe, ye, sol.time)));
        }
    }
    if !optimal(qp, &full, &dual, &fixed, trace, tol) {
        return Ok(None);
    }
    Ok(Some((full, dual, sol.time)))
}
