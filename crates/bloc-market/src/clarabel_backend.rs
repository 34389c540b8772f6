//! The Clarabel backend (interior point; pure Rust). The default: on the problems of design §7
//! it is two orders of magnitude faster than HiGHS's active-set QP (see `bloc bench`).

use crate::qp::{QpProblem, QpSolution, QpSolver, RowKind, SolveStatus, SolverError};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT,
};
use std::time::{Duration, Instant};

/// Clarabel with tolerances tight enough for exact prices: at 1e-10 a price whose supply
/// block starts within ~1e-3 USD/t of it came out up to 1.2e-6 relative off (measured against
/// HiGHS on 240 random markets); at 1e-12 the worst gap was 2e-8; at 1e-13 Clarabel starts to
/// stop short at "almost solved".
#[derive(Debug, Clone)]
pub struct ClarabelSolver {
    /// Relative gap and feasibility tolerance.
    pub tolerance: f64,
    /// Iteration limit.
    pub max_iter: u32,
}

impl Default for ClarabelSolver {
    fn default() -> Self {
        ClarabelSolver {
            tolerance: 1e-12,
            max_iter: 200,
        }
    }
}

impl QpSolver for ClarabelSolver {
    fn name(&self) -> &'static str {
        "clarabel"
    }

    fn solve(&self, p: &QpProblem) -> Result<QpSolution, SolverError> {
        let started = Instant::now();
        let n = p.cols.len();
        if n == 0 {
            // Clarabel 0.11 panics on an empty problem; with no columns every row reads 0 ≤/= b.
            return Ok(QpSolution::without_columns(p, started.elapsed()));
        }
        let fail = |message: String| SolverError::Backend {
            solver: "clarabel",
            message,
        };
        // Rows of A, in cone order: equalities, then ≤ rows, then bounds.
        let eq_rows: Vec<usize> = (0..p.rows.len())
            .filter(|&i| p.rows[i].kind == RowKind::Eq)
            .collect();
        let le_rows: Vec<usize> = (0..p.rows.len())
            .filter(|&i| p.rows[i].kind == RowKind::Le)
            .collect();
        let mut position = vec![0usize; p.rows.len()];
        for (k, &i) in eq_rows.iter().chain(&le_rows).enumerate() {
            position[i] = k;
        }
        let mut ti = Vec::with_capacity(p.entries.len() + 2 * n);
        let mut tj = Vec::with_capacity(p.entries.len() + 2 * n);
        let mut tv = Vec::with_capacity(p.entries.len() + 2 * n);
        for &(i, j, v) in &p.entries {
            ti.push(position[i]);
            tj.push(j);
            tv.push(v);
        }
        let mut b: Vec<f64> = eq_rows
            .iter()
            .chain(&le_rows)
            .map(|&i| p.rows[i].rhs)
            .collect();
        let mut m = b.len();
        for (j, c) in p.cols.iter().enumerate() {
            // −x ≤ −lo
            if c.lower.is_finite() {
                ti.push(m);
                tj.push(j);
                tv.push(-1.0);
                b.push(-c.lower);
                m += 1;
            }
            if c.upper.is_finite() {
                ti.push(m);
                tj.push(j);
                tv.push(1.0);
                b.push(c.upper);
                m += 1;
            }
        }
        let a = CscMatrix::new_from_triplets(m, n, ti, tj, tv);
        let pmat = CscMatrix::new_from_triplets(
            n,
            n,
            (0..n).filter(|&j| p.cols[j].quad != 0.0).collect(),
            (0..n).filter(|&j| p.cols[j].quad != 0.0).collect(),
            p.cols
                .iter()
                .filter(|c| c.quad != 0.0)
                .map(|c| c.quad)
                .collect(),
        );
        let q: Vec<f64> = p.cols.iter().map(|c| c.cost).collect();
        let mut cones = Vec::new();
        if !eq_rows.is_empty() {
            cones.push(SupportedConeT::ZeroConeT(eq_rows.len()));
        }
        if m > eq_rows.len() {
            cones.push(SupportedConeT::NonnegativeConeT(m - eq_rows.len()));
        }
        let settings = DefaultSettingsBuilder::default()
            .verbose(false)
            .tol_gap_abs(self.tolerance)
            .tol_gap_rel(self.tolerance)
            .tol_feas(self.tolerance)
            .max_iter(self.max_iter)
            .presolve_enable(false)
            .build()
            .map_err(|e| fail(format!("{e:?}")))?;
        let mut solver = DefaultSolver::new(&pmat, &q, &a, &b, &cones, settings)
            .map_err(|e| fail(e.to_string()))?;
        solver.solve();
        let sol = &solver.solution;
        let status = status_of(sol.status);
        let mut row_dual = vec![0.0; p.rows.len()];
        for (i, d) in row_dual.iter_mut().enumerate() {
            // Clarabel's KKT reads P x + q + Aᵀ z = 0, so ∂obj/∂b = −z.
            *d = -sol.z[position[i]];
        }
        let x = sol.x.clone();
        Ok(QpSolution {
            status,
            objective: p.objective(&x),
            x,
            row_dual,
            iterations: sol.iterations,
            time: Duration::max(started.elapsed(), Duration::from_secs_f64(0.0)),
        })
    }
}

/// Clarabel's status as a [`SolveStatus`], one variant each (the match has no catch-all, so a
/// status a new Clarabel adds does not compile until it is given its own).
fn status_of(status: SolverStatus) -> SolveStatus {
    match status {
        SolverStatus::Unsolved => SolveStatus::NotRun,
        SolverStatus::Solved => SolveStatus::Optimal,
        SolverStatus::PrimalInfeasible => SolveStatus::Infeasible,
        SolverStatus::DualInfeasible => SolveStatus::Unbounded,
        SolverStatus::AlmostSolved => SolveStatus::AlmostOptimal,
        SolverStatus::AlmostPrimalInfeasible => SolveStatus::AlmostInfeasible,
        SolverStatus::AlmostDualInfeasible => SolveStatus::AlmostUnbounded,
        SolverStatus::MaxIterations => SolveStatus::IterationLimit,
        SolverStatus::MaxTime => SolveStatus::TimeLimit,
        SolverStatus::NumericalError => SolveStatus::NumericalError,
        SolverStatus::InsufficientProgress => SolveStatus::InsufficientProgress,
        SolverStatus::CallbackTerminated => SolveStatus::Interrupted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every Clarabel status, each once.
    const CLARABEL: [SolverStatus; 12] = [
        SolverStatus::Unsolved,
        SolverStatus::Solved,
        SolverStatus::PrimalInfeasible,
        SolverStatus::DualInfeasible,
        SolverStatus::AlmostSolved,
        SolverStatus::AlmostPrimalInfeasible,
        SolverStatus::AlmostDualInfeasible,
        SolverStatus::MaxIterations,
        SolverStatus::MaxTime,
        SolverStatus::NumericalError,
        SolverStatus::InsufficientProgress,
        SolverStatus::CallbackTerminated,
    ];

    #[test]
    fn the_list_holds_every_clarabel_status() {
        // An exhaustive match: a status added to Clarabel stops this compiling until it is
        // listed in CLARABEL (and given its own SolveStatus in `status_of`).
        let position = |s: SolverStatus| match s {
            SolverStatus::Unsolved => 0,
            SolverStatus::Solved => 1,
            SolverStatus::PrimalInfeasible => 2,
            SolverStatus::DualInfeasible => 3,
            SolverStatus::AlmostSolved => 4,
            SolverStatus::AlmostPrimalInfeasible => 5,
            SolverStatus::AlmostDualInfeasible => 6,
            SolverStatus::MaxIterations => 7,
            SolverStatus::MaxTime => 8,
            SolverStatus::NumericalError => 9,
            SolverStatus::InsufficientProgress => 10,
            SolverStatus::CallbackTerminated => 11,
        };
        let positions: Vec<usize> = CLARABEL.iter().map(|&s| position(s)).collect();
        assert_eq!(positions, (0..CLARABEL.len()).collect::<Vec<_>>());
    }

    #[test]
    fn every_clarabel_status_keeps_its_own_variant() {
        let mapped: HashSet<SolveStatus> = CLARABEL.iter().map(|&s| status_of(s)).collect();
        assert_eq!(
            mapped.len(),
            CLARABEL.len(),
            "two statuses merged: {mapped:?}"
        );
    }

    #[test]
    fn only_solved_and_almost_solved_are_solved() {
        for s in CLARABEL {
            let solved = matches!(s, SolverStatus::Solved | SolverStatus::AlmostSolved);
            assert_eq!(status_of(s).is_solved(), solved, "{s:?}");
        }
        assert_eq!(status_of(SolverStatus::Solved), SolveStatus::Optimal);
        assert_eq!(
            status_of(SolverStatus::AlmostSolved),
            SolveStatus::AlmostOptimal
        );
    }

    #[test]
    fn primal_infeasible_statuses_are_infeasible() {
        for s in CLARABEL {
            let infeasible = matches!(
                s,
                SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible
            );
            assert_eq!(status_of(s).is_infeasible(), infeasible, "{s:?}");
        }
    }
}
