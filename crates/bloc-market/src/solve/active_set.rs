//! The primal–dual active-set search: from an approximate answer, the exact answer on the
//! active set it suggests ([`crate::kkt`]), the set corrected from the answer's reduced costs
//! ([`correct_active_set`]) until the answer passes [`optimal`], the test every path of the
//! solve ends in.

use super::Tolerances;
use crate::qp::{QpProblem, RowKind};

/// The exact answer of `qp` from an approximate one (last period's, or the previous round's):
/// the columns `set` puts on their bounds are fixed there, the rest solved exactly
/// ([`crate::kkt`]), and the active set corrected from the answer's reduced costs until the
/// answer is optimal for the whole problem ([`optimal`]), or `None` after
/// [`Tolerances::warm_rounds`].
pub(super) fn active_set_from(
    qp: &QpProblem,
    set: Vec<Option<f64>>,
    x: &[f64],
    y: &[f64],
    tol: &Tolerances,
) -> Option<(Vec<f64>, Vec<f64>)> {
    if qp.cols.is_empty() {
        return None;
    }
    exact_on_active_set(qp, set, x, y, tol.warm_rounds, false, tol)
}

/// A primal–dual active-set search: solve on `set`, stop when optimal, else correct the set
/// and the hints from the answer ([`correct_active_set`]), at most `rounds` times.
pub(super) fn exact_on_active_set(
    qp: &QpProblem,
    mut set: Vec<Option<f64>>,
    x: &[f64],
    y: &[f64],
    rounds: usize,
    trace: bool,
    tol: &Tolerances,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut xh = x.to_vec();
    let mut yh = y.to_vec();
    for _ in 0..rounds {
        let (xe, ye) = crate::kkt::solve_active_set(qp, &set, &xh, &yh, tol.snap_delta)?;
        if optimal(qp, &xe, &ye, &set, trace, tol) {
            return Some((xe, ye));
        }
        if !correct_active_set(qp, &xe, &ye, &mut set, &mut xh, &mut yh, tol) {
            return None;
        }
    }
    None
}

/// Moves columns in or out of the fixed set where (x, y) shows the set is wrong, and updates
/// the hints the next exact solve reads: a column freed from a bound (or one without
/// curvature that the solve left on a bound while its reduced cost pulls it off) is hinted a
/// little inside, so the solve does not put it back; a quota row that (x, y) overfills is
/// hinted binding, one whose dual has the wrong sign slack. Whether anything changed.
fn correct_active_set(
    qp: &QpProblem,
    x: &[f64],
    y: &[f64],
    set: &mut [Option<f64>],
    xh: &mut [f64],
    yh: &mut [f64],
    tol: &Tolerances,
) -> bool {
    let rc = qp.reduced_costs(x, y);
    let rc_tol = tol.reduced_cost;
    let inside = 10.0 * tol.snap_delta;
    let mut changed = false;
    for (j, c) in qp.cols.iter().enumerate() {
        let at_lo = x[j] - c.lower <= tol.snap_delta;
        let at_up = c.upper.is_finite() && c.upper - x[j] <= tol.snap_delta;
        match set[j] {
            None => {
                if at_lo && rc[j] > rc_tol {
                    set[j] = Some(c.lower);
                    changed = true;
                } else if at_up && rc[j] < -rc_tol {
                    set[j] = Some(c.upper);
                    changed = true;
                } else if at_lo && rc[j] < -rc_tol && xh[j] - c.lower <= tol.snap_delta {
                    xh[j] = c.lower + inside;
                    changed = true;
                } else if at_up && rc[j] > rc_tol && c.upper - xh[j] <= tol.snap_delta {
                    xh[j] = c.upper - inside;
                    changed = true;
                } else {
                    xh[j] = x[j];
                }
            }
            Some(v) => {
                let on_lo = v == c.lower;
                let on_up = v == c.upper;
                if on_lo && !on_up && rc[j] < -rc_tol {
                    set[j] = None;
                    xh[j] = c.lower + inside;
                    changed = true;
                } else if on_up && !on_lo && rc[j] > rc_tol {
                    set[j] = None;
                    xh[j] = c.upper - inside;
                    changed = true;
                }
            }
        }
    }
    let act = qp.activities(x);
    let mut entries_of: Vec<Vec<usize>> = Vec::new();
    for (i, r) in qp.rows.iter().enumerate() {
        if r.kind != RowKind::Le {
            yh[i] = y[i];
            // A balance that the fixed columns break (the solve dropped it: no free column
            // touches it) gets back its fixed column with the smallest reduced cost.
            if (act[i] - r.rhs).abs() > tol.balance * (1.0 + r.rhs.abs()) {
                if entries_of.is_empty() {
                    entries_of = vec![Vec::new(); qp.rows.len()];
                    for &(ei, ej, _) in &qp.entries {
                        entries_of[ei].push(ej);
                    }
                }
                let pick = entries_of[i]
                    .iter()
                    .copied()
                    .filter(|&j| set[j].is_some())
                    .min_by(|&a, &b| rc[a].abs().total_cmp(&rc[b].abs()));
                if let Some(j) = pick {
                    set[j] = None;
                    changed = true;
                }
            }
            continue;
        }
        let binding = yh[i] < -1e-12;
        if !binding && act[i] > r.rhs + 1e-9 * (1.0 + r.rhs.abs()) {
            yh[i] = -1e-9;
            changed = true;
        } else if binding && y[i] > rc_tol {
            yh[i] = 0.0;
            changed = true;
        } else {
            yh[i] = y[i];
        }
    }
    changed
}

/// Whether (x, y) is optimal for the whole problem: every column on a bound is pushed onto it
/// by its reduced cost, every column strictly inside has (nearly) none, every quota row holds
/// with a dual of the right sign.
pub(super) fn optimal(
    qp: &QpProblem,
    full: &[f64],
    dual: &[f64],
    fixed: &[Option<f64>],
    trace: bool,
    tol: &Tolerances,
) -> bool {
    let rc = qp.reduced_costs(full, dual);
    let rc_tol = tol.reduced_cost;
    for (j, c) in qp.cols.iter().enumerate() {
        let v = full[j];
        let at_lo = v <= c.lower + 1e-12 * (1.0 + c.lower.abs());
        let at_up = c.upper.is_finite() && v >= c.upper - 1e-12 * (1.0 + c.upper.abs());
        let ok = v >= c.lower - tol.snap_delta
            && v <= c.upper + tol.snap_delta
            && match (at_lo, at_up) {
                (true, true) => true,
                (true, false) => rc[j] >= -rc_tol,
                (false, true) => rc[j] <= rc_tol,
                (false, false) => rc[j].abs() <= rc_tol,
            };
        if !ok {
            if trace {
                tracing::trace!(
                    column = %c.name,
                    fixed = ?fixed[j],
                    reduced_cost = rc[j],
                    x = v,
                    lower = c.lower,
                    upper = c.upper,
                    "polish: not optimal at a column"
                );
            }
            return false;
        }
    }
    let act = qp.activities(full);
    for (i, r) in qp.rows.iter().enumerate() {
        let off = (act[i] - r.rhs).abs() > tol.balance * (1.0 + r.rhs.abs());
        let bad = match r.kind {
            RowKind::Le => act[i] > r.rhs + tol.balance * (1.0 + r.rhs.abs()) || dual[i] > rc_tol,
            RowKind::Eq => off,
        };
        if bad {
            if trace {
                tracing::trace!(row = %r.name, activity = act[i], rhs = r.rhs, "polish: not optimal at a row");
            }
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kkt::tests::col;
    use crate::qp::Row;

    /// min c·x + ½y² s.t. x + y = 2, x, y ≥ 0: x is a flat supply at cost `c`, y one with a
    /// rising cost (marginal cost y). Returns the QP and the indices (x, y, row).
    fn two_supplies(c: f64) -> (QpProblem, usize, usize, usize) {
        let mut qp = QpProblem::default();
        let x = qp.add_col(col("x", c, 0.0));
        let y = qp.add_col(col("y", 0.0, 1.0));
        let r = qp.add_row(Row {
            name: "r".into(),
            kind: RowKind::Eq,
            rhs: 2.0,
        });
        qp.set_coef(r, x, 1.0);
        qp.set_coef(r, y, 1.0);
        (qp, x, y, r)
    }

    /// c = 3, answer x = 0, y = 2 with dual 2 (y's marginal cost). By hand, x's reduced cost
    /// is 3 − 2 = 1 > 0 at its lower bound: the set must fix x at 0; y (reduced cost
    /// 0 + 1·2 − 2 = 0, inside) stays free and its hint follows the answer; the balance holds,
    /// so its dual hint is the answer's.
    #[test]
    fn a_free_column_pushed_onto_its_bound_is_fixed() {
        let (qp, x, y, r) = two_supplies(3.0);
        let mut set = vec![None, None];
        let (mut xh, mut yh) = (vec![0.5, 0.5], vec![0.0]);
        assert!(correct_active_set(
            &qp,
            &[0.0, 2.0],
            &[2.0],
            &mut set,
            &mut xh,
            &mut yh,
            &Tolerances::DEFAULT
        ));
        assert_eq!(set[x], Some(0.0));
        assert_eq!(set[y], None);
        assert_eq!(xh[y], 2.0);
        assert_eq!(yh[r], 2.0);
        // The corrected set is optimal: a second correction changes nothing.
        assert!(optimal(
            &qp,
            &[0.0, 2.0],
            &[2.0],
            &set,
            false,
            &Tolerances::DEFAULT
        ));
        assert!(!correct_active_set(
            &qp,
            &[0.0, 2.0],
            &[2.0],
            &mut set,
            &mut xh,
            &mut yh,
            &Tolerances::DEFAULT
        ));
    }

    /// c = 1 with x wrongly fixed at 0: at x = 0, y = 2, dual 2, x's reduced cost is
    /// 1 − 2 = −1 < 0, so it wants to rise: it is freed and hinted 10·tol.snap_delta inside its
    /// bound (a flat column hinted on its bound would be put back there by the exact solve).
    /// From there the search ends at the optimum by hand: x is the cheaper supply until y's
    /// marginal cost reaches 1, so y = 1, x = 1, and the price (dual) is 1.
    #[test]
    fn a_fixed_column_pulled_off_its_bound_is_freed() {
        let (qp, x, y, _) = two_supplies(1.0);
        let mut set = vec![Some(0.0), None];
        let (mut xh, mut yh) = (vec![0.0, 2.0], vec![2.0]);
        assert!(!optimal(
            &qp,
            &[0.0, 2.0],
            &[2.0],
            &set,
            false,
            &Tolerances::DEFAULT
        ));
        assert!(correct_active_set(
            &qp,
            &[0.0, 2.0],
            &[2.0],
            &mut set,
            &mut xh,
            &mut yh,
            &Tolerances::DEFAULT
        ));
        assert_eq!(set, vec![None, None]);
        assert_eq!(xh[x], 10.0 * Tolerances::DEFAULT.snap_delta);
        let (xe, ye) = exact_on_active_set(
            &qp,
            vec![Some(0.0), None],
            &[0.0, 2.0],
            &[2.0],
            6,
            false,
            &Tolerances::DEFAULT,
        )
        .expect("the search reaches the optimum");
        assert!(
            (xe[x] - 1.0).abs() < 1e-12 && (xe[y] - 1.0).abs() < 1e-12,
            "{xe:?}"
        );
        assert!((ye[0] - 1.0).abs() < 1e-12, "{ye:?}");
    }

    /// Both columns fixed at 0 break the balance x + y = 2 (activity 0). With dual 0 neither
    /// reduced cost pulls its column off (x: 3, y: 0), so only the row can say the set is
    /// wrong: it frees its fixed column with the smallest |reduced cost|, y (0 < 3).
    #[test]
    fn a_broken_balance_gets_back_its_least_sure_column() {
        let (qp, x, y, _) = two_supplies(3.0);
        let mut set = vec![Some(0.0), Some(0.0)];
        let (mut xh, mut yh) = (vec![0.0, 0.0], vec![0.0]);
        assert!(correct_active_set(
            &qp,
            &[0.0, 0.0],
            &[0.0],
            &mut set,
            &mut xh,
            &mut yh,
            &Tolerances::DEFAULT
        ));
        assert_eq!(set[x], Some(0.0));
        assert_eq!(set[y], None);
    }

    /// A quota x ≤ 1 on a buyer x with objective −5x + ½x² (unconstrained optimum x = 5).
    /// By hand: at x = 2 the quota is overfilled while the hint calls it slack (dual 0), so
    /// the hint becomes binding (−1e-9); at x = 1 with the answer's dual +0.5 (a ≤ row's dual
    /// ∂objective/∂b must be ≤ 0) while the hint calls it binding, the hint becomes slack (0);
    /// at x = 1 with dual −4 (reduced cost −5 + 1 + 4 = 0) the answer is consistent and
    /// nothing changes.
    #[test]
    fn a_quota_hint_follows_the_answer() {
        let mut qp = QpProblem::default();
        let x = qp.add_col(col("x", -5.0, 1.0));
        let q = qp.add_row(Row {
            name: "q".into(),
            kind: RowKind::Le,
            rhs: 1.0,
        });
        qp.set_coef(q, x, 1.0);
        let mut set = vec![None];
        let (mut xh, mut yh) = (vec![2.0], vec![0.0]);
        assert!(correct_active_set(
            &qp,
            &[2.0],
            &[0.0],
            &mut set,
            &mut xh,
            &mut yh,
            &Tolerances::DEFAULT
        ));
        assert_eq!(yh, vec![-1e-9]);
        let mut yh = vec![-1.0];
        assert!(correct_active_set(
            &qp,
            &[1.0],
            &[0.5],
            &mut set,
            &mut xh,
            &mut yh,
            &Tolerances::DEFAULT
        ));
        assert_eq!(yh, vec![0.0]);
        let mut yh = vec![-1.0];
        assert!(!correct_active_set(
            &qp,
            &[1.0],
            &[-4.0],
            &mut set,
            &mut xh,
            &mut yh,
            &Tolerances::DEFAULT
        ));
        assert_eq!((set, xh, yh), (vec![None], vec![1.0], vec![-4.0]));
    }
}
