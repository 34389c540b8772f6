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
//! the equilibrium conditions to rounding.

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

fn solve_once(
    qp: &QpProblem,
    fixed: &[Option<f64>],
    x_hint: &[f64],
    y_hint: &[f64],
    near: f64,
) -> Option<(Vec<f64>, Vec<f64>)> {
    // A column without curvature that sits (within `near`) on a bound is put on it: left free
    // it would add a direction in which nothing changes, and the system would be singular.
    let fixed: Vec<Option<f64>> = qp
        .cols
        .iter()
        .zip(fixed)
        .zip(x_hint)
        .map(|((c, &f), &x)| match f {
            None if c.quad == 0.0 && x - c.lower <= near => Some(c.lower),
            None if c.quad == 0.0 && c.upper - x <= near => Some(c.upper),
            other => other,
        })
        .collect();
    let held = held_rows(qp, y_hint);
    let columns = ColumnEntries::new(qp);
    let fixed = break_route_cycles(qp, &columns, fixed, x_hint);
    let fixed = anchor_route_groups(qp, &columns, &held, fixed, x_hint, y_hint);
    let fixed = &fixed[..];
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
    // The factorised matrix carries a small static shift (+ε on columns, −ε on rows) that
    // makes it quasi-definite, so LDLᵀ is stable whatever the pivots; refinement against the
    // exact matrix then removes the shift's effect.
    let eps = 1e-9 * tv.iter().fold(1e-12f64, |a, &b| a.max(b.abs()));
    let mut tv_shifted = tv.clone();
    for (k, v) in tv_shifted.iter_mut().enumerate().take(dim) {
        *v += if k < nf { eps } else { -eps };
    }
    let k = CscMatrix::new_from_triplets(dim, dim, ti.clone(), tj.clone(), tv_shifted);
    let mut signs = vec![1i8; dim];
    for s in signs.iter_mut().skip(nf) {
        *s = -1;
    }
    let settings = QDLDLSettingsBuilder::default().Dsigns(signs).build().ok()?;
    let mut f = QDLDLFactorisation::new(&k, Some(settings)).ok()?;
    // Multiply by the symmetric K from its upper triangle (duplicates summed).
    let mul = |z: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; dim];
        for ((&a, &b), &v) in ti.iter().zip(&tj).zip(&tv) {
            out[a] += v * z[b];
            if a != b {
                out[b] += v * z[a];
            }
        }
        out
    };
    let mut z = rhs.clone();
    f.solve(&mut z);
    let norm = |v: &[f64]| v.iter().fold(0.0f64, |a, &b| a.max(b.abs()));
    let scale = norm(&rhs).max(1.0);
    // |K| |z|: the size of each equation's terms, for a componentwise residual (commodities
    // of small tonnage and high value have equations far smaller than the largest: a residual
    // measured against the largest would leave their prices off by cents).
    let mul_abs = |z: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; dim];
        for ((&a, &b), &v) in ti.iter().zip(&tj).zip(&tv) {
            out[a] += (v * z[b]).abs();
            if a != b {
                out[b] += (v * z[a]).abs();
            }
        }
        out
    };
    let mut ok = false;
    let mut last = f64::INFINITY;
    for round in 0..30 {
        let kz = mul(&z);
        let mut r: Vec<f64> = rhs.iter().zip(&kz).map(|(a, b)| a - b).collect();
        if !r.iter().all(|v| v.is_finite()) {
            return None;
        }
        let nr = norm(&r);
        // Refinement that has stopped shrinking a residual far above rounding level is
        // refining a singular (or inconsistent) system: it will not get there.
        if round >= 3 && nr > 1e-9 * scale && nr > 0.9 * last {
            break;
        }
        last = nr;
        if nr <= 1e-11 * scale {
            let size = mul_abs(&z);
            let componentwise = r
                .iter()
                .zip(&size)
                .zip(&rhs)
                .all(|((ri, si), bi)| ri.abs() <= 1e-13 * (si + bi.abs()) + 1e-300);
            // Componentwise to rounding, or as far as refinement gets after a few rounds.
            if componentwise || round >= 25 {
                ok = true;
                break;
            }
        }
        f.solve(&mut r);
        for (zi, ri) in z.iter_mut().zip(&r) {
            *zi += ri;
        }
    }
    if !ok {
        if std::env::var_os("BLOC_TRACE").is_some() {
            let kz = mul(&z);
            let r: Vec<f64> = rhs.iter().zip(&kz).map(|(a, b)| a - b).collect();
            eprintln!("kkt: dim {dim} ({nf} free columns, {} rows), residual {:.2e} of {:.2e}, regularised pivots {}", rows.len(), norm(&r), scale, f.regularize_count());
        }
        return None;
    }
    let mut x: Vec<f64> = fixed.iter().map(|v| v.unwrap_or(0.0)).collect();
    for (k, &j) in free.iter().enumerate() {
        x[j] = z[k];
    }
    let mut y: Vec<f64> = (0..m)
        .map(|i| match qp.rows[i].kind {
            RowKind::Le if row_index[i] == usize::MAX && row_has_free[i] => 0.0,
            _ => y_hint[i],
        })
        .collect();
    for (r, &i) in rows.iter().enumerate() {
        y[i] = -z[nf + r];
    }
    Some((x, y))
}

/// The entries of each column (row, value), in the order of `qp.entries`, in three flat
/// arrays: the structure checks below read them for every column on every solve.
struct ColumnEntries {
    start: Vec<usize>,
    row: Vec<usize>,
    value: Vec<f64>,
}

impl ColumnEntries {
    fn new(qp: &QpProblem) -> Self {
        let n = qp.cols.len();
        let mut start = vec![0usize; n + 1];
        for &(_, j, _) in &qp.entries {
            start[j + 1] += 1;
        }
        for j in 0..n {
            start[j + 1] += start[j];
        }
        let mut next = start.clone();
        let mut row = vec![0usize; qp.entries.len()];
        let mut value = vec![0.0f64; qp.entries.len()];
        for &(i, j, v) in &qp.entries {
            row[next[j]] = i;
            value[next[j]] = v;
            next[j] += 1;
        }
        ColumnEntries { start, row, value }
    }

    /// The rows of column `j`.
    fn rows(&self, j: usize) -> &[usize] {
        &self.row[self.start[j]..self.start[j + 1]]
    }

    /// The (row, value) entries of column `j`.
    fn entries(&self, j: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.start[j]..self.start[j + 1];
        self.row[r.clone()]
            .iter()
            .copied()
            .zip(self.value[r].iter().copied())
    }
}

/// The rows the system holds (where a free column touches them): balances, and the quota
/// rows the hint's duals say bind.
fn held_rows(qp: &QpProblem, y_hint: &[f64]) -> Vec<bool> {
    qp.rows
        .iter()
        .zip(y_hint)
        .map(|(r, &y)| r.kind == RowKind::Eq || y < -1e-12)
        .collect()
}

/// Union–find: the representative of `i`'s set (with path halving).
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Free columns without curvature that close a cycle make the system singular: goods can go
/// round the cycle at no change in cost. Such a column is an edge: a route joins its origin
/// to its destination; a flat column in one balance (a flat demand segment, a flat supply)
/// joins that market to a common "outside" node, so that two flat columns joined by routes
/// close a cycle too. Each cycle is broken as a network-simplex pivot would: edges are taken
/// in order of their hinted value, and when one closes a cycle, flow is pushed round the
/// cycle in its direction and the edge that reaches a bound first at the hint (the ratio
/// test) goes on that bound.
fn break_route_cycles(
    qp: &QpProblem,
    columns: &ColumnEntries,
    mut fixed: Vec<Option<f64>>,
    x_hint: &[f64],
) -> Vec<Option<f64>> {
    let m = qp.rows.len();
    let outside = m;
    let mut ends: Vec<Option<(usize, usize)>> = vec![None; qp.cols.len()];
    let mut edges: Vec<usize> = Vec::new();
    for (j, c) in qp.cols.iter().enumerate() {
        if fixed[j].is_some() || c.quad != 0.0 {
            continue;
        }
        // The column's first (up to) three nonzero entries.
        let mut first = [(0usize, 0.0f64); 3];
        let mut count = 0;
        for (i, v) in columns.entries(j).filter(|&(_, v)| v != 0.0).take(3) {
            first[count] = (i, v);
            count += 1;
        }
        let e = match first[..count] {
            [(a, va), (b, vb)] if va < 0.0 && vb > 0.0 && a != b => (a, b),
            [(a, va), (b, vb)] if va > 0.0 && vb < 0.0 && a != b => (b, a),
            [(a, va)] if va > 0.0 => (outside, a),
            [(a, va)] if va < 0.0 => (a, outside),
            _ => continue,
        };
        ends[j] = Some(e);
        edges.push(j);
    }
    if edges.len() < 2 {
        return fixed;
    }
    edges.sort_by(|&a, &b| x_hint[b].total_cmp(&x_hint[a]).then(a.cmp(&b)));
    let n = m + 1;
    // Room to move column j up or down from its hint.
    let room_up = |j: usize| qp.cols[j].upper - x_hint[j];
    let room_down = |j: usize| x_hint[j] - qp.cols[j].lower;
    // One pass in that order, as a network simplex would: the forest grows by every edge
    // that joins two trees; an edge that closes a cycle pivots (the leaving edge goes on its
    // bound, and if it is not the closing edge itself, the closing edge takes its place in the
    // forest; the trees' node sets do not change, so the union–find stays valid). This is the
    // forest that rebuilding from scratch after each pivot would give.
    let mut parent: Vec<usize> = (0..n).collect();
    let mut adjacent: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut came: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut reached = vec![false; n];
    let mut visited: Vec<usize> = Vec::new();
    let mut queue = std::collections::VecDeque::new();
    for &close in &edges {
        let Some((a, b)) = ends[close] else { continue };
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
            adjacent[a].push((close, b));
            adjacent[b].push((close, a));
            continue;
        }
        // The forest's path from b back to a (the search's marks are cleared after use).
        for &u in &visited {
            reached[u] = false;
            came[u] = None;
        }
        visited.clear();
        queue.clear();
        queue.push_back(b);
        reached[b] = true;
        visited.push(b);
        while let Some(u) = queue.pop_front() {
            if u == a {
                break;
            }
            for &(j, w) in &adjacent[u] {
                if !reached[w] {
                    reached[w] = true;
                    came[w] = Some((j, u));
                    visited.push(w);
                    queue.push_back(w);
                }
            }
        }
        // The push runs a → b on the closing column, then b → … → a along the path: a column
        // oriented with the walk rises, one against it falls; the first to reach a bound
        // leaves.
        let mut leave = (close, qp.cols[close].upper, room_up(close));
        let mut w = a;
        while let Some((j, u)) = came[w] {
            // The push goes u → w on this column.
            let (bound, room) = if ends[j] == Some((u, w)) {
                (qp.cols[j].upper, room_up(j))
            } else {
                (qp.cols[j].lower, room_down(j))
            };
            if room < leave.2 {
                leave = (j, bound, room);
            }
            w = u;
        }
        let (j, bound, _) = leave;
        fixed[j] = Some(if bound.is_finite() {
            bound
        } else {
            qp.cols[j].lower
        });
        if j != close {
            let (u, v) = ends[j].expect("a forest edge has ends");
            adjacent[u].retain(|&(k, _)| k != j);
            adjacent[v].retain(|&(k, _)| k != j);
            adjacent[a].push((close, b));
            adjacent[b].push((close, a));
        }
    }
    fixed
}

/// Markets joined only by free routes (columns without curvature) share one price up to the
/// routes' wedges, so the system can only pin that price if some other free column ties the
/// group down. A group is tied down by a free column that touches it and no other group
/// that is not yet tied down (a buyer's segment, a plant's output, or a plant whose input
/// comes from a group already tied down); what is left untied makes the system singular
/// (and, unless the fixed columns happen to balance, inconsistent). In a degenerate answer
/// that happens when the plant or buyer that sets the group's price sits exactly on a bound:
/// each such group gets back its fixed column with the smallest reduced cost at the hint,
/// the one the answer is least sure belongs on its bound. Groups are formed over the rows the
/// system holds only: a route under a slack quota is joined to the quota's other routes by
/// nothing, so their anchors do not pin it.
fn anchor_route_groups(
    qp: &QpProblem,
    columns: &ColumnEntries,
    held: &[bool],
    mut fixed: Vec<Option<f64>>,
    x_hint: &[f64],
    y_hint: &[f64],
) -> Vec<Option<f64>> {
    let m = qp.rows.len();
    // Only the rows the system holds (`held`) join columns: a slack quota joins nothing.
    let mut held_start = Vec::with_capacity(qp.cols.len() + 1);
    let mut held_row = Vec::with_capacity(columns.row.len());
    held_start.push(0);
    for j in 0..qp.cols.len() {
        held_row.extend(columns.rows(j).iter().copied().filter(|&i| held[i]));
        held_start.push(held_row.len());
    }
    let rows_of = |j: usize| &held_row[held_start[j]..held_start[j + 1]];
    let is_link = |j: usize| qp.cols[j].quad == 0.0 && rows_of(j).len() > 1;
    // Union–find over rows joined by free columns without curvature.
    let mut parent: Vec<usize> = (0..m).collect();
    for (j, f) in fixed.iter().enumerate() {
        if f.is_none() && is_link(j) {
            let a = root(&mut parent, rows_of(j)[0]);
            for &i in &rows_of(j)[1..] {
                let b = root(&mut parent, i);
                parent[b] = a;
            }
        }
    }
    let group: Vec<usize> = (0..m).map(|i| root(&mut parent, i)).collect();
    // Groups in the system (a row with a free column), and those a quota row ties down.
    let mut in_system = vec![false; m];
    let mut tied = vec![false; m];
    for (j, f) in fixed.iter().enumerate() {
        if f.is_none() {
            for &i in rows_of(j) {
                in_system[group[i]] = true;
            }
        }
    }
    // A binding quota row (one the system holds as an equality) pins its routes' rent.
    for i in 0..m {
        if qp.rows[i].kind == RowKind::Le && held[i] {
            tied[group[i]] = true;
        }
    }
    // The free columns that are not links, by the groups they touch (each column's groups,
    // sorted and without repeats, one after another in `groups`).
    let mut groups: Vec<usize> = Vec::new();
    let mut touching: Vec<(usize, usize)> = Vec::new();
    let mut of_column: Vec<usize> = Vec::new();
    for j in (0..qp.cols.len()).filter(|&j| fixed[j].is_none() && !is_link(j)) {
        of_column.clear();
        of_column.extend(rows_of(j).iter().map(|&i| group[i]));
        of_column.sort_unstable();
        of_column.dedup();
        touching.push((groups.len(), groups.len() + of_column.len()));
        groups.extend_from_slice(&of_column);
    }
    loop {
        let mut changed = false;
        for &(from, to) in &touching {
            let mut open = groups[from..to].iter().filter(|&&k| !tied[k]);
            if let (Some(&k), None) = (open.next(), open.next()) {
                tied[k] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if (0..m).all(|g| !in_system[g] || tied[g]) {
        return fixed;
    }
    let rc = qp.reduced_costs(x_hint, y_hint);
    let mut best: Vec<Option<(usize, f64)>> = vec![None; m];
    for j in 0..qp.cols.len() {
        if fixed[j].is_none() {
            continue;
        }
        for &i in rows_of(j) {
            let g = group[i];
            if in_system[g] && !tied[g] && best[g].is_none_or(|(_, v)| rc[j].abs() < v) {
                best[g] = Some((j, rc[j].abs()));
            }
        }
    }
    for (j, _) in best.into_iter().flatten() {
        fixed[j] = None;
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qp::{Col, Row};

    fn col(name: &str, cost: f64, quad: f64) -> Col {
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

    /// Markets A → B joined only by a free route, both of whose own plant and buyer sit on
    /// bounds, have no price of their own: the system must get one of those back. The route
    /// is under a quota that also covers C → D, where a free plant pins the price; the quota
    /// is slack (its hint dual is zero), so it is not in the system and must not lend C's
    /// anchor to A and B.
    #[test]
    fn a_slack_quota_does_not_anchor_the_routes_it_covers() {
        let mut qp = QpProblem::default();
        let eq = |qp: &mut QpProblem, name: &str| {
            qp.add_row(Row {
                name: name.into(),
                kind: RowKind::Eq,
                rhs: 0.0,
            })
        };
        let (a, b, c, d) = (
            eq(&mut qp, "A"),
            eq(&mut qp, "B"),
            eq(&mut qp, "C"),
            eq(&mut qp, "D"),
        );
        let q = qp.add_row(Row {
            name: "Q".into(),
            kind: RowKind::Le,
            rhs: 10.0,
        });
        let r1 = qp.add_col(col("r1", 1.0, 0.0));
        let r2 = qp.add_col(col("r2", 1.0, 0.0));
        let sa = qp.add_col(col("sa", 5.0, 1.0));
        let db = qp.add_col(col("db", -9.0, 1.0));
        let sc = qp.add_col(col("sc", 2.0, 1.0));
        let dd = qp.add_col(col("dd", -8.0, 1.0));
        for (row, column, v) in [
            (a, r1, -1.0),
            (b, r1, 1.0),
            (q, r1, 1.0),
            (c, r2, -1.0),
            (d, r2, 1.0),
            (q, r2, 1.0),
            (a, sa, 1.0),
            (b, db, -1.0),
            (c, sc, 1.0),
            (d, dd, -1.0),
        ] {
            qp.set_coef(row, column, v);
        }
        let mut fixed = vec![None; qp.cols.len()];
        fixed[sa] = Some(0.0);
        fixed[db] = Some(0.0);
        let x = vec![1.0, 1.0, 0.0, 0.0, 1.0, 1.0];
        let y = vec![5.0, 6.0, 3.0, 4.0, 0.0];
        let columns = ColumnEntries::new(&qp);
        let out = anchor_route_groups(&qp, &columns, &held_rows(&qp, &y), fixed, &x, &y);
        assert!(
            out[sa].is_none() || out[db].is_none(),
            "A and B keep no free plant or buyer: {out:?}"
        );
        // With the quota binding, it is in the system and its rent is one more price:
        // the routes' groups are one, pinned by C's plant and D's buyer, and nothing is freed.
        let mut y_binding = y.clone();
        y_binding[q] = -1.0;
        let mut fixed = vec![None; qp.cols.len()];
        fixed[sa] = Some(0.0);
        fixed[db] = Some(0.0);
        let out = anchor_route_groups(
            &qp,
            &columns,
            &held_rows(&qp, &y_binding),
            fixed,
            &x,
            &y_binding,
        );
        assert!(out[sa].is_some() && out[db].is_some(), "{out:?}");
    }
}
