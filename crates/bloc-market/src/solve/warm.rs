//! Starting from a known answer: [`WarmStart`] keeps an answer by column and row name so that
//! it carries over to another QP (the next period's, or the next round's), and
//! [`near_solve`] solves the QP near such an answer when its active set did not hold: the
//! columns it is sure about are held, the QP solver solves the rest.

use super::polish::{basic_x, polish};
use super::Tolerances;
use crate::build::{Built, Scaling};
use crate::problem::MarketProblem;
use crate::qp::{QpSolver, SolveStatus, SolverError};
use std::collections::HashMap;
use std::sync::Arc;

/// An answer keyed by the QP's column and row names, in natural units (t and USD/t), so that
/// it carries over to the next period's QP, whose columns, bounds, scales and working set
/// differ. A column remembers whether it sat on its lower or upper bound, so that it starts on
/// the same bound of the new problem (whose capacity or demand may have moved).
#[derive(Debug, Clone, Default)]
pub struct WarmStart {
    // Shared, not copied: a world keeps each period's answer for the next period, for the run's
    // `answers` and (in a sweep) as every sample's guide, and it never changes once made.
    cols: Arc<HashMap<String, (f64, Bound)>>,
    rows: Arc<HashMap<String, f64>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Lower,
    Upper,
    Free,
}

impl WarmStart {
    /// The answer (x, y) of `b`'s QP.
    pub(super) fn of(b: &Built, s: &Scaling, p: &MarketProblem, x: &[f64], y: &[f64]) -> Self {
        let (cs, rs) = natural_scales(p, b, s);
        let on = |v: f64, bound: f64| (v - bound).abs() <= 1e-12 * (1.0 + bound.abs());
        let cols: HashMap<_, _> =
            b.qp.cols
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let at = if on(x[j], c.lower) {
                        Bound::Lower
                    } else if c.upper.is_finite() && on(x[j], c.upper) {
                        Bound::Upper
                    } else {
                        Bound::Free
                    };
                    (c.name.clone(), (x[j] * cs[j], at))
                })
                .collect();
        let rows: HashMap<_, _> =
            b.qp.rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.name.clone(), y[i] * rs[i]))
                .collect();
        WarmStart {
            cols: Arc::new(cols),
            rows: Arc::new(rows),
        }
    }

    /// The names of the routes on which the answer carried goods.
    pub(super) fn carrying(&self) -> impl Iterator<Item = &str> {
        self.cols
            .iter()
            .filter(|(_, &(v, _))| v > 0.0)
            .filter_map(|(name, _)| name.strip_prefix("f:"))
    }

    /// The answer as a starting point for `b`'s QP: values x and duals y, and the columns it
    /// puts on a bound: those that sat on one, and those within reach of one that their
    /// reduced cost pushes onto it (a column or row it does not know starts at zero).
    #[allow(clippy::type_complexity)]
    pub(super) fn onto(
        &self,
        b: &Built,
        s: &Scaling,
        p: &MarketProblem,
        tol: &Tolerances,
    ) -> (Vec<f64>, Vec<f64>, Vec<Option<f64>>) {
        let (cs, rs) = natural_scales(p, b, s);
        let mut x: Vec<f64> = Vec::with_capacity(b.qp.cols.len());
        let mut known = Vec::with_capacity(b.qp.cols.len());
        for (j, c) in b.qp.cols.iter().enumerate() {
            match self.cols.get(&c.name) {
                Some(&(v, at)) => {
                    let v = match at {
                        Bound::Lower => c.lower,
                        Bound::Upper if c.upper.is_finite() => c.upper,
                        // max/min, not clamp: clamp panics on a NaN bound.
                        _ => (v / cs[j]).max(c.lower).min(c.upper),
                    };
                    x.push(v);
                    known.push(Some(at));
                }
                None => {
                    x.push(c.lower.max(0.0).min(c.upper));
                    known.push(None);
                }
            }
        }
        let y: Vec<f64> =
            b.qp.rows
                .iter()
                .enumerate()
                .map(|(i, r)| self.rows.get(&r.name).map_or(0.0, |v| v / rs[i]))
                .collect();
        let snapped = b.qp.snap_to_bounds(&x, &y, tol.snap_delta, tol.snap_eps);
        let set =
            b.qp.cols
                .iter()
                .zip(known)
                .zip(snapped)
                .map(|((c, k), snap)| match k {
                    Some(Bound::Lower) => Some(c.lower),
                    Some(Bound::Upper) if c.upper.is_finite() => Some(c.upper),
                    _ => snap,
                })
                .collect();
        (x, y, set)
    }
}

/// The commodity of each QP column (a supply block's output, a buyer's, a route's).
pub(super) fn column_commodities(p: &MarketProblem, b: &Built) -> Vec<Option<usize>> {
    let mut commodity = vec![None; b.qp.cols.len()];
    for (k, blk) in p.supply.iter().enumerate() {
        commodity[b.supply_col[k]] = Some(p.nodes[blk.node].commodity);
    }
    for (k, d) in p.demand.iter().enumerate() {
        for &j in &b.demand_cols[k] {
            commodity[j] = Some(p.nodes[d.node].commodity);
        }
    }
    for (r, route) in p.routes.iter().enumerate() {
        if let Some(j) = b.route_col[r] {
            commodity[j] = Some(p.nodes[route.from].commodity);
        }
    }
    commodity
}

/// Per column, tonnes per QP unit; per row, USD/t per unit of its dual.
pub(super) fn natural_scales(p: &MarketProblem, b: &Built, s: &Scaling) -> (Vec<f64>, Vec<f64>) {
    let qs = |node: usize| s.qs.get(p.nodes[node].commodity).copied().unwrap_or(1.0);
    let cs: Vec<f64> = column_commodities(p, b)
        .iter()
        .map(|c| c.and_then(|c| s.qs.get(c).copied()).unwrap_or(1.0))
        .collect();
    let mut rs = vec![s.w; b.qp.rows.len()];
    for (n, row) in b.balance_row.iter().enumerate() {
        if let Some(i) = *row {
            rs[i] = s.w / qs(n);
        }
    }
    for (g, cap) in p.caps.iter().enumerate() {
        if let (Some(i), Some(&r0)) = (b.cap_row[g], cap.routes.first()) {
            rs[i] = s.w / qs(p.routes[r0].from);
        }
    }
    (cs, rs)
}

/// The QP solved near a known answer `w` whose active set did not hold: the columns `w` puts
/// on a bound with a reduced cost that pushes them there by more than [`Tolerances::far`] of their
/// commodity's price scale (demand segments far above or below the price, plants far below
/// or above it, routes far from paying) are held there, the QP solver solves the rest, and
/// the answer is polished onto its active set. It is kept only when that exact answer is
/// optimal for the whole problem (held columns included: [`optimal`](super::active_set::optimal)), else `None`, and the
/// caller solves the whole QP.
pub(super) fn near_solve(
    b: &Built,
    s: &Scaling,
    p: &MarketProblem,
    w: &WarmStart,
    price_scale: &[f64],
    solver: &dyn QpSolver,
    tol: &Tolerances,
) -> Result<Option<crate::qp::QpSolution>, SolverError> {
    let qp = &b.qp;
    let (x0, y0, set) = w.onto(b, s, p, tol);
    let rc = qp.reduced_costs(&x0, &y0);
    let (cs, _) = natural_scales(p, b, s);
    let commodity = column_commodities(p, b);
    // Holding columns on their upper bounds (plants at capacity, buyers served in full) can
    // leave the rest unable to balance when the market has moved since `w` (less capacity,
    // a route closed): then only the columns on their lower bounds are held.
    let mut attempt = None;
    for upper_too in [true, false] {
        let mut held: Vec<Option<f64>> = (0..qp.cols.len())
            .map(|j| {
                let far = commodity[j].map(|c| tol.far * price_scale[c] * cs[j] / s.w)?;
                let c = &qp.cols[j];
                match set[j] {
                    Some(v) if v == c.lower && rc[j] > far => Some(v),
                    Some(v) if upper_too && v == c.upper && rc[j] < -far => Some(v),
                    _ => None,
                }
            })
            .collect();
        if held.iter().all(Option::is_none) {
            return Ok(None);
        }
        // A row whose columns would all be held keeps them free (held, it could not
        // balance).
        let mut row_free = vec![false; qp.rows.len()];
        for &(i, j, _) in &qp.entries {
            if held[j].is_none() {
                row_free[i] = true;
            }
        }
        for &(i, j, _) in &qp.entries {
            if !row_free[i] {
                held[j] = None;
            }
        }
        let (reduced, keep) = qp.fix_columns(&held);
        let sol = solver.solve(&reduced)?;
        tracing::debug!(
            columns = reduced.cols.len(),
            of = qp.cols.len(),
            status = %sol.status,
            iterations = sol.iterations,
            time = ?sol.time,
            "near solve"
        );
        if sol.status == SolveStatus::Optimal {
            attempt = Some((held, keep, sol));
            break;
        }
        if !sol.status.is_infeasible() {
            return Ok(None);
        }
    }
    let Some((held, keep, sol)) = attempt else {
        return Ok(None);
    };
    let mut x: Vec<f64> = held.iter().map(|h| h.unwrap_or(0.0)).collect();
    for (k, &j) in keep.iter().enumerate() {
        x[j] = sol.x[k];
    }
    let polished = polish(qp, &basic_x(p, b, &x), &sol.row_dual, solver, tol)?;
    tracing::debug!(polished = polished.is_some(), "near solve polished");
    let Some((x, y, t)) = polished else {
        return Ok(None);
    };
    Ok(Some(crate::qp::QpSolution {
        status: SolveStatus::Optimal,
        objective: qp.objective(&x),
        x,
        row_dual: y,
        iterations: sol.iterations,
        time: sol.time + t,
    }))
}
