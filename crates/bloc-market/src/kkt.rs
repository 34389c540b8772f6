//! The exact answer on a known active set: with every column that sits on a bound fixed there
//! and every binding quota row held as an equality, the rest of the market is an
//! equality-constrained QP, whose optimality conditions are one symmetric linear system
//!
//! ```text
//! [ H   Aᵀ ] [x]   [−c]
//! [ A   0  ] [λ] = [ b ]        (y = −λ: the row duals, ∂objective/∂b)
//! ```
//!
//! It is factorised with QDLDL (the LDLᵀ factorisation inside Clarabel) and refined against
//! the exact matrix until the residual is at rounding level. An interior-point method stops at
//! its tolerance; this lands on the vertex of the active set, so quantities and prices satisfy
//! the equilibrium conditions to rounding. Before the system is built, the free columns that
//! would make it singular (cycles of routes, groups of markets with no price of their own) are
//! put on a bound or freed ([`crate::degeneracy`]).

use crate::degeneracy::{anchor_route_groups, break_route_cycles, ColumnEntries};
use crate::qp::{QpProblem, RowKind};
use clarabel::algebra::CscMatrix;
use clarabel::qdldl::{QDLDLFactorisation, QDLDLSettingsBuilder};

/// Solves the market on the active set: `fixed[j]` holds the value of each column on a bound
/// (`None`: free); `x_hint` and `y_hint` are an approximate answer; `y_hint` are duals used for rows no free column touches and to tell which
/// quota rows bind. Returns `(x, y)` or `None` when the system is singular or the refinement
/// does not reach rounding level.
pub(crate) fn solve_active_set(
    qp: &QpProblem,
    fixed: &[Option<f64>],
    x_hint: &[f64],
    y_hint: &[f64],
    near: f64,
) -> Option<(Vec<f64>, Vec<f64>)> {
    // A free column that the solve pushes past a bound belonged on it: fix it there and solve
    // again (at most a few rounds: the hint is already close).
    let mut fixed = fixed.to_vec();
    for _ in 0..20 {
        let (x, y) = solve_once(qp, &fixed, x_hint, y_hint, near)?;
        let mut moved = false;
        for (j, c) in qp.cols.iter().enumerate() {
            if fixed[j].is_some() {
                continue;
            }
            let slack = 1e-12
                * (1.0
                    + c.lower.abs().max(if c.upper.is_finite() {
                        c.upper.abs()
                    } else {
                        0.0
                    }));
            if x[j] < c.lower - slack {
                fixed[j] = Some(c.lower);
                moved = true;
            } else if x[j] > c.upper + slack {
                fixed[j] = Some(c.upper);
                moved = true;
            }
        }
        if !moved {
            return Some((x, y));
        }
    }
    None
}

/// One solve on the active set `fixed`, after the degenerate free columns are put on a bound
/// or freed: the KKT system assembled, factorised, refined to rounding, and read back.
fn solve_once(
    qp: &QpProblem,
    fixed: &[Option<f64>],
    x_hint: &[f64],
    y_hint: &[f64],
    near: f64,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let fixed = pin_flat_columns(qp, fixed, x_hint, near);
    let held = held_rows(qp, y_hint);
    let columns = ColumnEntries::new(qp);
    let fixed = break_route_cycles(qp, &columns, fixed, x_hint);
    let fixed = anchor_route_groups(qp, &columns, &held, fixed, x_hint, y_hint);
    let system = KktSystem::assemble(qp, &fixed, &held)?;
    let z = system.solve()?;
    Some(system.answer(qp, &fixed, &z, y_hint))
}

/// A column without curvature that sits (within `near`) on a bound is put on it: left free
/// it would add a direction in which nothing changes, and the system would be singular.
fn pin_flat_columns(
    qp: &QpProblem,
    fixed: &[Option<f64>],
    x_hint: &[f64],
    near: f64,
) -> Vec<Option<f64>> {
    qp.cols
        .iter()
        .zip(fixed)
        .zip(x_hint)
        .map(|((c, &f), &x)| match f {
            None if c.quad == 0.0 && x - c.lower <= near => Some(c.lower),
            None if c.quad == 0.0 && c.upper - x <= near => Some(c.upper),
            other => other,
        })
        .collect()
}

/// The KKT system of the active set: unknowns are the free columns, then the held rows that
/// a free column touches (their multipliers); `K` by the triplets of its upper triangle.
struct KktSystem {
    /// Free columns, in order.
    free: Vec<usize>,
    /// Held rows touched by a free column; `row_index[i]` is row i's unknown.
    rows: Vec<usize>,
    row_index: Vec<usize>,
    row_has_free: Vec<bool>,
    ti: Vec<usize>,
    tj: Vec<usize>,
    tv: Vec<f64>,
    rhs: Vec<f64>,
}

impl KktSystem {
    /// Assembles the system; `None` when it has no unknown.
    fn assemble(qp: &QpProblem, fixed: &[Option<f64>], held: &[bool]) -> Option<Self> {
        let n = qp.cols.len();
        let m = qp.rows.len();
        let mut col_index = vec![usize::MAX; n];
        let mut free = Vec::new();
        for j in 0..n {
            if fixed[j].is_none() {
                col_index[j] = free.len();
                free.push(j);
            }
        }
        let mut row_has_free = vec![false; m];
        for &(i, j, _) in &qp.entries {
            if fixed[j].is_none() {
                row_has_free[i] = true;
            }
        }
        let mut row_index = vec![usize::MAX; m];
        let mut rows = Vec::new();
        for i in 0..m {
            if row_has_free[i] && held[i] {
                row_index[i] = free.len() + rows.len();
                rows.push(i);
            }
        }
        let nf = free.len();
        let dim = nf + rows.len();
        if dim == 0 {
            return None;
        }
        // Upper triangle of K, with every diagonal entry present.
        let mut ti = Vec::with_capacity(dim + qp.entries.len());
        let mut tj = Vec::with_capacity(dim + qp.entries.len());
        let mut tv = Vec::with_capacity(dim + qp.entries.len());
        for (k, &j) in free.iter().enumerate() {
            ti.push(k);
            tj.push(k);
            tv.push(qp.cols[j].quad);
        }
        for r in 0..rows.len() {
            ti.push(nf + r);
            tj.push(nf + r);
            tv.push(0.0);
        }
        let mut rhs = vec![0.0; dim];
        for (k, &j) in free.iter().enumerate() {
            rhs[k] = -qp.cols[j].cost;
        }
        for (r, &i) in rows.iter().enumerate() {
            rhs[nf + r] = qp.rows[i].rhs;
        }
        for &(i, j, v) in &qp.entries {
            match (fixed[j], row_index[i]) {
                (Some(val), ri) if ri != usize::MAX => rhs[ri] -= v * val,
                (None, ri) if ri != usize::MAX => {
                    ti.push(col_index[j]);
                    tj.push(ri);
                    tv.push(v);
                }
                _ => {}
            }
        }
        Some(KktSystem {
            free,
            rows,
            row_index,
            row_has_free,
            ti,
            tj,
            tv,
            rhs,
        })
    }

    fn dim(&self) -> usize {
        self.free.len() + self.rows.len()
    }

    /// K z from its upper triangle (duplicates summed); with `abs`, |K| |z|.
    fn mul(&self, z: &[f64], abs: bool) -> Vec<f64> {
        let mut out = vec![0.0; self.dim()];
        for ((&a, &b), &v) in self.ti.iter().zip(&self.tj).zip(&self.tv) {
            if abs {
                out[a] += (v * z[b]).abs();
                if a != b {
                    out[b] += (v * z[a]).abs();
                }
            } else {
                out[a] += v * z[b];
                if a != b {
                    out[b] += v * z[a];
                }
            }
        }
        out
    }

    /// The system's solution, factorised with a small static shift (+ε on columns, −ε on
    /// rows) that makes it quasi-definite, so LDLᵀ is stable whatever the pivots; refinement
    /// against the exact matrix then removes the shift's effect. `None` when refinement does
    /// not reach rounding level.
    fn solve(&self) -> Option<Vec<f64>> {
        let (dim, nf) = (self.dim(), self.free.len());
        let eps = 1e-9 * self.tv.iter().fold(1e-12f64, |a, &b| a.max(b.abs()));
        let mut tv_shifted = self.tv.clone();
        for (k, v) in tv_shifted.iter_mut().enumerate().take(dim) {
            *v += if k < nf { eps } else { -eps };
        }
        let k =
            CscMatrix::new_from_triplets(dim, dim, self.ti.clone(), self.tj.clone(), tv_shifted);
        let mut signs = vec![1i8; dim];
        for s in signs.iter_mut().skip(nf) {
            *s = -1;
        }
        let settings = QDLDLSettingsBuilder::default().Dsigns(signs).build().ok()?;
        let mut f = QDLDLFactorisation::new(&k, Some(settings)).ok()?;
        let mut z = self.rhs.clone();
        f.solve(&mut z);
        if self.refine(&mut f, &mut z)? {
            return Some(z);
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            tracing::trace!(
                dim,
                free_columns = nf,
                rows = self.rows.len(),
                residual = norm(&self.residual(&z)),
                scale = norm(&self.rhs).max(1.0),
                regularised_pivots = f.regularize_count(),
                "kkt: refinement did not converge"
            );
        }
        None
    }

    /// rhs − K z.
    fn residual(&self, z: &[f64]) -> Vec<f64> {
        let kz = self.mul(z, false);
        self.rhs.iter().zip(&kz).map(|(a, b)| a - b).collect()
    }

    /// Iterative refinement of `z`: `Some(true)` once the residual is at rounding level
    /// (componentwise, or as far as refinement gets after a few rounds), `Some(false)` when it
    /// stops shrinking or runs out of rounds, `None` on a non-finite residual.
    ///
    /// Componentwise because commodities of small tonnage and high value have equations far
    /// smaller than the largest: a residual measured against the largest would leave their
    /// prices off by cents.
    fn refine(&self, f: &mut QDLDLFactorisation, z: &mut [f64]) -> Option<bool> {
        let scale = norm(&self.rhs).max(1.0);
        let mut last = f64::INFINITY;
        for round in 0..30 {
            let mut r = self.residual(z);
            if !r.iter().all(|v| v.is_finite()) {
                return None;
            }
            let nr = norm(&r);
            // Refinement that has stopped shrinking a residual far above rounding level is
            // refining a singular (or inconsistent) system: it will not get there.
            if round >= 3 && nr > 1e-9 * scale && nr > 0.9 * last {
                return Some(false);
            }
            last = nr;
            if nr <= 1e-11 * scale {
                let size = self.mul(z, true);
                let componentwise = r
                    .iter()
                    .zip(&size)
                    .zip(&self.rhs)
                    .all(|((ri, si), bi)| ri.abs() <= 1e-13 * (si + bi.abs()) + 1e-300);
                if componentwise || round >= 25 {
                    return Some(true);
                }
            }
            f.solve(&mut r);
            for (zi, ri) in z.iter_mut().zip(&r) {
                *zi += ri;
            }
        }
        Some(false)
    }

    /// Columns and row duals from the solution `z`: fixed columns at their value; a held row's
    /// dual is minus its multiplier, an inequality row no free column holds is slack (0), the
    /// rest keep the hint's dual.
    fn answer(
        &self,
        qp: &QpProblem,
        fixed: &[Option<f64>],
        z: &[f64],
        y_hint: &[f64],
    ) -> (Vec<f64>, Vec<f64>) {
        let nf = self.free.len();
        let mut x: Vec<f64> = fixed.iter().map(|v| v.unwrap_or(0.0)).collect();
        for (k, &j) in self.free.iter().enumerate() {
            x[j] = z[k];
        }
        let mut y: Vec<f64> = (0..qp.rows.len())
            .map(|i| match qp.rows[i].kind {
                RowKind::Le if self.row_index[i] == usize::MAX && self.row_has_free[i] => 0.0,
                _ => y_hint[i],
            })
            .collect();
        for (r, &i) in self.rows.iter().enumerate() {
            y[i] = -z[nf + r];
        }
        (x, y)
    }
}

/// The largest absolute entry.
fn norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |a, &b| a.max(b.abs()))
}

/// The rows the system holds (where a free column touches them): balances, and the quota
/// rows the hint's duals say bind.
pub(crate) fn held_rows(qp: &QpProblem, y_hint: &[f64]) -> Vec<bool> {
    qp.rows
        .iter()
        .zip(y_hint)
        .map(|(r, &y)| r.kind == RowKind::Eq || y < -1e-12)
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::qp::{Col, Row};

    /// A column on [0, ∞) with the given linear and quadratic cost.
    pub(crate) fn col(name: &str, cost: f64, quad: f64) -> Col {
        Col {
            name: name.into(),
            cost,
            quad,
            lower: 0.0,
            upper: f64::INFINITY,
        }
    }

    /// min ½x₁² + ½x₂² s.t. x₁ + x₂ = 2: x = (1, 1); the objective is b²/4, so the row's dual
    /// ∂obj/∂b = b/2 = 1.
    #[test]
    fn equality_qp_by_hand() {
        let mut qp = QpProblem::default();
        let a = qp.add_col(col("a", 0.0, 1.0));
        let b = qp.add_col(col("b", 0.0, 1.0));
        let r = qp.add_row(Row {
            name: "r".into(),
            kind: RowKind::Eq,
            rhs: 2.0,
        });
        qp.set_coef(r, a, 1.0);
        qp.set_coef(r, b, 1.0);
        let (x, y) = solve_active_set(&qp, &[None, None], &[1.0, 1.0], &[0.9], 1e-9).unwrap();
        assert!(
            (x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12,
            "{x:?}"
        );
        assert!((y[0] - 1.0).abs() < 1e-12, "{y:?}");
    }

    /// min ½x² − 4x + y s.t. x + y = 3, x, y ≥ 0. Free, y's stationarity sets the dual at −1
    /// and pushes x to 5, y to −2: y leaves its bound, is fixed at 0, and then x = 3 with dual
    /// ∂obj/∂b = x − 4 = −1 (raising b by one lowers the cost by one).
    #[test]
    fn a_column_pushed_past_its_bound_is_fixed_there() {
        let mut qp = QpProblem::default();
        let x = qp.add_col(col("x", -4.0, 1.0));
        let y = qp.add_col(col("y", 1.0, 0.0));
        let r = qp.add_row(Row {
            name: "r".into(),
            kind: RowKind::Eq,
            rhs: 3.0,
        });
        qp.set_coef(r, x, 1.0);
        qp.set_coef(r, y, 1.0);
        let (v, d) = solve_active_set(&qp, &[None, None], &[2.9, 0.1], &[-1.0], 1e-9).unwrap();
        assert!((v[0] - 3.0).abs() < 1e-12 && v[1] == 0.0, "{v:?}");
        assert!((d[0] + 1.0).abs() < 1e-12, "{d:?}");
    }
}
