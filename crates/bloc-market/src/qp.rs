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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolveStatus {
    /// Optimal to the solver's tolerances.
    Optimal,
    /// Close to optimal but not to full tolerance.
    AlmostOptimal,
    /// The constraints cannot all hold.
    Infeasible,
    /// The iteration or time limit was reached first.
    IterationLimit,
    /// The solver stopped for a numerical reason.
    NumericalError,
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
