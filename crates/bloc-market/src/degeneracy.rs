//! Degenerate structure in an active set's system ([`crate::kkt`]), removed before it is
//! built: free columns without curvature that close a cycle (goods could go round it at no
//! change in cost: [`break_route_cycles`]) and groups of markets joined only by free routes
//! that no free column ties to a price ([`anchor_route_groups`]). Either makes the system
//! singular.

use crate::qp::{QpProblem, RowKind};

/// The entries of each column (row, value), in the order of `qp.entries`, in three flat
/// arrays: the structure checks below read them for every column on every solve.
pub(crate) struct ColumnEntries {
    start: Vec<usize>,
    row: Vec<usize>,
    value: Vec<f64>,
}

impl ColumnEntries {
    pub(crate) fn new(qp: &QpProblem) -> Self {
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
pub(crate) fn break_route_cycles(
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
pub(crate) fn anchor_route_groups(
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
    use crate::kkt::held_rows;
    use crate::kkt::tests::col;
    use crate::qp::Row;

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
