//! A separable convex QP in the solver-neutral form every backend reads:
//!
//! ```text
//! minimise   ½ Σ_j h_j x_j² + Σ_j c_j x_j + offset
//! subject to Σ_j a_ij x_j = b_i      (rows of kind Eq)
//!            Σ_j a_ij x_j ≤ b_i      (rows of kind Le)
//!            lo_j ≤ x_j ≤ hi_j       (hi may be +∞)
//! ```
//!
//! The Hessian is diagonal (h_j ≥ 0) because every curve in the market is separable.
//! Duals follow one convention for every backend: `row_dual[i] = ∂ objective* / ∂ b_i`, so
//! the dual of a balance row "supply − use = 0" is the price of that market.

use std::time::Duration;

/// Relative distance to a bound within which a column touches it (see
/// [`QpProblem::snap_to_bounds`]).
pub const TOUCH: f64 = 1e-9;

/// Kind of a constraint row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// `a·x = b`.
    Eq,
    /// `a·x ≤ b`.
    Le,
}

/// One constraint row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Name (for MPS dumps and messages); unique, no spaces.
    pub name: String,
    /// Equality or upper bound.
    pub kind: RowKind,
    /// Right-hand side.
    pub rhs: f64,
}

/// One column (variable).
#[derive(Debug, Clone, PartialEq)]
pub struct Col {
    /// Name (for MPS dumps and messages); unique, no spaces.
    pub name: String,
    /// Linear cost c_j.
    pub cost: f64,
    /// Diagonal Hessian entry h_j ≥ 0.
    pub quad: f64,
    /// Lower bound (may be `f64::NEG_INFINITY`).
    pub lower: f64,
    /// Upper bound (may be `f64::INFINITY`).
    pub upper: f64,
}

/// The problem. Build it with [`QpProblem::add_col`], [`QpProblem::add_row`] and
/// [`QpProblem::set_coef`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QpProblem {
    /// Columns.
    pub cols: Vec<Col>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Constraint matrix entries `(row, col, value)`; at most one entry per (row, col).
    pub entries: Vec<(usize, usize, f64)>,
    /// Constant added to the objective.
    pub offset: f64,
}

impl QpProblem {
    /// Adds a column and returns its index.
    pub fn add_col(&mut self, col: Col) -> usize {
        self.cols.push(col);
        self.cols.len() - 1
    }
    /// Adds a row and returns its index.
    pub fn add_row(&mut self, row: Row) -> usize {
        self.rows.push(row);
        self.rows.len() - 1
    }
    /// Sets a matrix entry.
    pub fn set_coef(&mut self, row: usize, col: usize, value: f64) {
        if value != 0.0 {
            self.entries.push((row, col, value));
        }
    }
    /// Objective value at `x`.
    pub fn objective(&self, x: &[f64]) -> f64 {
        self.offset
            + self
                .cols
                .iter()
                .zip(x)
                .map(|(c, &v)| c.cost * v + 0.5 * c.quad * v * v)
                .sum::<f64>()
    }
    /// Row activities `A x`.
    pub fn activities(&self, x: &[f64]) -> Vec<f64> {
        let mut a = vec![0.0; self.rows.len()];
        for &(i, j, v) in &self.entries {
            a[i] += v * x[j];
        }
        a
    }
    /// Reduced costs `c_j + h_j x_j − Σ_i a_ij y_i` (with `y = ∂objective/∂b`): positive
    /// where the column would rather be lower, negative where higher.
    pub fn reduced_costs(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut rc: Vec<f64> = self
            .cols
            .iter()
            .zip(x)
            .map(|(c, &v)| c.cost + c.quad * v)
            .collect();
        for &(i, j, v) in &self.entries {
            rc[j] -= v * y[i];
        }
        rc
    }

    /// The bound of every column that lies within `delta` of it while its reduced cost (beyond
    /// `eps`) pushes it there (`None` for the others): an interior-point answer leaves such
    /// columns a hair off their bounds, and that hair would read as a tiny flow. A column that
    /// touches a bound (within [`TOUCH`] relative) is put on it too unless its reduced cost
    /// pulls it off by more than `eps`: a degenerate column may have almost no reduced cost.
    pub fn snap_to_bounds(&self, x: &[f64], y: &[f64], delta: f64, eps: f64) -> Vec<Option<f64>> {
        let rc = self.reduced_costs(x, y);
        self.cols
            .iter()
            .enumerate()
            .map(|(j, c)| {
                // On a bound to rounding (and not pulled off it): on it, whatever the size of
                // its reduced cost (a degenerate column may have almost none).
                let touching = |b: f64| (x[j] - b).abs() <= TOUCH * (1.0 + b.abs());
                if x[j] - c.lower <= delta && (rc[j] > eps || touching(c.lower) && rc[j] >= -eps) {
                    Some(c.lower)
                } else if c.upper.is_finite()
                    && c.upper - x[j] <= delta
                    && (rc[j] < -eps || touching(c.upper) && rc[j] <= eps)
                {
                    Some(c.upper)
                } else {
                    None
                }
            })
            .collect()
    }

    /// The problem with some columns fixed at a value (`Some(v)`): they leave the problem and
    /// their contribution moves to the right-hand sides and the offset. Rows keep their
    /// indices, so duals map back one to one. Returns the reduced problem and, per column
    /// of it, the index of the original column.
    pub fn fix_columns(&self, fixed: &[Option<f64>]) -> (QpProblem, Vec<usize>) {
        let mut keep = Vec::new();
        let mut new_index = vec![usize::MAX; self.cols.len()];
        let mut out = QpProblem {
            rows: self.rows.clone(),
            offset: self.offset,
            ..QpProblem::default()
        };
        for (j, c) in self.cols.iter().enumerate() {
            match fixed[j] {
                Some(v) => out.offset += c.cost * v + 0.5 * c.quad * v * v,
                None => {
                    new_index[j] = keep.len();
                    keep.push(j);
                    out.cols.push(c.clone());
                }
            }
        }
        for &(i, j, v) in &self.entries {
            match fixed[j] {
                Some(val) => out.rows[i].rhs -= v * val,
                None => out.entries.push((i, new_index[j], v)),
            }
        }
        (out, keep)
    }

    /// The matrix in compressed sparse column form: `(col_starts, row_indices, values)`,
    /// row indices sorted within each column, duplicates summed.
    pub fn csc(&self) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
        let mut e = self.entries.clone();
        e.sort_by_key(|&(i, j, _)| (j, i));
        let mut starts = vec![0usize; self.cols.len() + 1];
        let mut rows = Vec::with_capacity(e.len());
        let mut vals: Vec<f64> = Vec::with_capacity(e.len());
        let mut last: Option<(usize, usize)> = None;
        for (i, j, v) in e {
            if last == Some((i, j)) {
                *vals.last_mut().expect("a previous entry") += v;
                continue;
            }
            starts[j + 1] += 1;
            rows.push(i);
            vals.push(v);
            last = Some((i, j));
        }
        for j in 0..self.cols.len() {
            starts[j + 1] += starts[j];
        }
        (starts, rows, vals)
    }
}

/// How a solve ended. An infeasible market is a status, never an `Err`.
///
/// Every status a backend reports keeps its own variant (the statuses are never merged), so
/// `run.json` says how each period's solve ended. Only [`SolveStatus::is_solved`] statuses
/// carry an answer. [`SolveStatus::name`] is the stable snake_case name written to `run.json`
/// (and used by `Display` and serde).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SolveStatus {
    /// Optimal to the solver's tolerances (Clarabel `Solved`; HiGHS `Optimal`, or an empty
    /// model).
    Optimal,
    /// Close to optimal but not to full tolerance (Clarabel `AlmostSolved`; HiGHS `Unknown`
    /// with a primal and dual feasible solution).
    AlmostOptimal,
    /// The constraints cannot all hold (Clarabel `PrimalInfeasible`; HiGHS `Infeasible`).
    Infeasible,
    /// Infeasible to reduced accuracy (Clarabel `AlmostPrimalInfeasible`).
    AlmostInfeasible,
    /// The objective has no lower bound (Clarabel `DualInfeasible`; HiGHS `Unbounded`).
    Unbounded,
    /// Unbounded to reduced accuracy (Clarabel `AlmostDualInfeasible`).
    AlmostUnbounded,
    /// Infeasible or unbounded, the solver cannot tell which (HiGHS `UnboundedOrInfeasible`).
    /// A market has a sloped curve on every balance and cannot be unbounded, so in practice
    /// it is infeasible.
    InfeasibleOrUnbounded,
    /// The iteration limit was reached first (Clarabel `MaxIterations`; HiGHS
    /// `ReachedIterationLimit`).
    IterationLimit,
    /// The time limit was reached first (Clarabel `MaxTime`; HiGHS `ReachedTimeLimit`).
    TimeLimit,
    /// The memory limit was reached first (HiGHS `ReachedMemoryLimit`).
    MemoryLimit,
    /// A limit on the number of solutions was reached (HiGHS `ReachedSolutionLimit`).
    SolutionLimit,
    /// The objective reached the bound set for it (HiGHS `ObjectiveBound`).
    ObjectiveBound,
    /// The objective reached the target set for it (HiGHS `ObjectiveTarget`).
    ObjectiveTarget,
    /// Stopped by a callback or an interrupt (Clarabel `CallbackTerminated`; HiGHS
    /// `ReachedInterrupt`, `HighsInterrupt`).
    Interrupted,
    /// The solver stopped for a numerical reason (Clarabel `NumericalError`; HiGHS
    /// `SolveError`, or a run that returned an error with a model status claiming success).
    NumericalError,
    /// The solver stopped for lack of progress (Clarabel `InsufficientProgress`).
    InsufficientProgress,
    /// HiGHS's presolve failed (`PresolveError`).
    PresolveError,
    /// HiGHS's postsolve failed (`PostsolveError`).
    PostsolveError,
    /// The solver did not run (Clarabel `Unsolved`; HiGHS `Notset`).
    NotRun,
    /// The solver stopped without saying why, or with a status this backend does not know
    /// (HiGHS `Unknown` without a feasible solution).
    Unknown,
}

impl SolveStatus {
    /// Every status, in declaration order.
    pub const ALL: [SolveStatus; 20] = [
        SolveStatus::Optimal,
        SolveStatus::AlmostOptimal,
        SolveStatus::Infeasible,
        SolveStatus::AlmostInfeasible,
        SolveStatus::Unbounded,
        SolveStatus::AlmostUnbounded,
        SolveStatus::InfeasibleOrUnbounded,
        SolveStatus::IterationLimit,
        SolveStatus::TimeLimit,
        SolveStatus::MemoryLimit,
        SolveStatus::SolutionLimit,
        SolveStatus::ObjectiveBound,
        SolveStatus::ObjectiveTarget,
        SolveStatus::Interrupted,
        SolveStatus::NumericalError,
        SolveStatus::InsufficientProgress,
        SolveStatus::PresolveError,
        SolveStatus::PostsolveError,
        SolveStatus::NotRun,
        SolveStatus::Unknown,
    ];

    /// The solve produced an answer to use: [`SolveStatus::Optimal`] or
    /// [`SolveStatus::AlmostOptimal`] (whose answer the equilibrium self-check then judges).
    pub fn is_solved(self) -> bool {
        matches!(self, SolveStatus::Optimal | SolveStatus::AlmostOptimal)
    }

    /// The solver found (or, for [`SolveStatus::InfeasibleOrUnbounded`], could not rule out)
    /// that the constraints cannot all hold.
    pub fn is_infeasible(self) -> bool {
        matches!(
            self,
            SolveStatus::Infeasible
                | SolveStatus::AlmostInfeasible
                | SolveStatus::InfeasibleOrUnbounded
        )
    }

    /// The stable snake_case name written to `run.json` (`optimal`, `almost_optimal`,
    /// `iteration_limit`, …). Names are never reused or renamed.
    pub fn name(self) -> &'static str {
        match self {
            SolveStatus::Optimal => "optimal",
            SolveStatus::AlmostOptimal => "almost_optimal",
            SolveStatus::Infeasible => "infeasible",
            SolveStatus::AlmostInfeasible => "almost_infeasible",
            SolveStatus::Unbounded => "unbounded",
            SolveStatus::AlmostUnbounded => "almost_unbounded",
            SolveStatus::InfeasibleOrUnbounded => "infeasible_or_unbounded",
            SolveStatus::IterationLimit => "iteration_limit",
            SolveStatus::TimeLimit => "time_limit",
            SolveStatus::MemoryLimit => "memory_limit",
            SolveStatus::SolutionLimit => "solution_limit",
            SolveStatus::ObjectiveBound => "objective_bound",
            SolveStatus::ObjectiveTarget => "objective_target",
            SolveStatus::Interrupted => "interrupted",
            SolveStatus::NumericalError => "numerical_error",
            SolveStatus::InsufficientProgress => "insufficient_progress",
            SolveStatus::PresolveError => "presolve_error",
            SolveStatus::PostsolveError => "postsolve_error",
            SolveStatus::NotRun => "not_run",
            SolveStatus::Unknown => "unknown",
        }
    }

    /// The status of a [`SolveStatus::name`], or `None` for any other string.
    pub fn from_name(name: &str) -> Option<SolveStatus> {
        SolveStatus::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for SolveStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl serde::Serialize for SolveStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for SolveStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        SolveStatus::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown solver status `{name}`")))
    }
}

/// What a backend returns.
#[derive(Debug, Clone)]
pub struct QpSolution {
    /// How the solve ended.
    pub status: SolveStatus,
    /// Column values.
    pub x: Vec<f64>,
    /// Row duals, `∂ objective* / ∂ b_i`.
    pub row_dual: Vec<f64>,
    /// Objective value (including the offset).
    pub objective: f64,
    /// Solver iterations.
    pub iterations: u32,
    /// Wall time in the solver.
    pub time: Duration,
}

impl QpSolution {
    /// The answer to a problem with no columns, which backends must not be handed (Clarabel
    /// panics on one, HiGHS returns no solution): every row reads `0 = b` or `0 ≤ b`.
    pub fn without_columns(p: &QpProblem, time: Duration) -> Self {
        let feasible = p.rows.iter().all(|r| match r.kind {
            RowKind::Eq => r.rhs == 0.0,
            RowKind::Le => r.rhs >= 0.0,
        });
        QpSolution {
            status: if feasible {
                SolveStatus::Optimal
            } else {
                SolveStatus::Infeasible
            },
            x: Vec::new(),
            row_dual: vec![0.0; p.rows.len()],
            objective: p.offset,
            iterations: 0,
            time,
        }
    }
}

/// A failure of the solver itself (not of the market).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SolverError {
    /// The backend rejected the problem or crashed.
    #[error("solver {solver} failed: {message}")]
    Backend {
        /// Backend name.
        solver: &'static str,
        /// What it said.
        message: String,
    },
}

/// A QP solver. Backends: [`crate::ClarabelSolver`] (default) and, with the `highs` feature,
/// `HighsSolver`.
pub trait QpSolver: Send + Sync + std::fmt::Debug {
    /// Short name written to `run.json`.
    fn name(&self) -> &'static str;
    /// Solves the problem from scratch.
    fn solve(&self, problem: &QpProblem) -> Result<QpSolution, SolverError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn status_names_are_distinct_snake_case_and_round_trip() {
        let names: HashSet<&str> = SolveStatus::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(names.len(), SolveStatus::ALL.len());
        for s in SolveStatus::ALL {
            let name = s.name();
            assert!(
                !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    && !name.starts_with('_')
                    && !name.ends_with('_'),
                "{name}"
            );
            assert_eq!(s.to_string(), name);
            assert_eq!(SolveStatus::from_name(name), Some(s));
            let de =
                serde::de::IntoDeserializer::<serde::de::value::Error>::into_deserializer(name);
            assert_eq!(<SolveStatus as serde::Deserialize>::deserialize(de), Ok(s));
        }
        assert_eq!(SolveStatus::from_name("Optimal"), None);
    }

    #[test]
    fn the_names_written_to_run_json_stay_as_they_are() {
        // run.json's readers rely on these; a renamed status is a breaking change.
        let fixed = [
            (SolveStatus::Optimal, "optimal"),
            (SolveStatus::AlmostOptimal, "almost_optimal"),
            (SolveStatus::Infeasible, "infeasible"),
            (SolveStatus::IterationLimit, "iteration_limit"),
            (SolveStatus::NumericalError, "numerical_error"),
        ];
        for (s, name) in fixed {
            assert_eq!(s.name(), name);
        }
    }

    #[test]
    fn only_optimal_and_almost_optimal_are_solved() {
        let solved: Vec<SolveStatus> = SolveStatus::ALL
            .into_iter()
            .filter(|s| s.is_solved())
            .collect();
        assert_eq!(solved, [SolveStatus::Optimal, SolveStatus::AlmostOptimal]);
        assert!(SolveStatus::ALL
            .iter()
            .all(|s| !(s.is_solved() && s.is_infeasible())));
    }

    #[test]
    fn all_lists_every_status_once() {
        // An exhaustive match: a new status stops this compiling until it is in ALL.
        let position = |s: SolveStatus| match s {
            SolveStatus::Optimal => 0,
            SolveStatus::AlmostOptimal => 1,
            SolveStatus::Infeasible => 2,
            SolveStatus::AlmostInfeasible => 3,
            SolveStatus::Unbounded => 4,
            SolveStatus::AlmostUnbounded => 5,
            SolveStatus::InfeasibleOrUnbounded => 6,
            SolveStatus::IterationLimit => 7,
            SolveStatus::TimeLimit => 8,
            SolveStatus::MemoryLimit => 9,
            SolveStatus::SolutionLimit => 10,
            SolveStatus::ObjectiveBound => 11,
            SolveStatus::ObjectiveTarget => 12,
            SolveStatus::Interrupted => 13,
            SolveStatus::NumericalError => 14,
            SolveStatus::InsufficientProgress => 15,
            SolveStatus::PresolveError => 16,
            SolveStatus::PostsolveError => 17,
            SolveStatus::NotRun => 18,
            SolveStatus::Unknown => 19,
        };
        let positions: Vec<usize> = SolveStatus::ALL.iter().map(|&s| position(s)).collect();
        assert_eq!(positions, (0..SolveStatus::ALL.len()).collect::<Vec<_>>());
    }
}
