//! From a [`MarketProblem`] to a [`QpProblem`]: the Takayama–Judge welfare problem
//!
//! ```text
//! min  Σ_b (c_b x_b + ½ r_b/K_b x_b²)                 supply blocks (add_supply_columns)
//!    − Σ_s (a_s y_s − ½ (a_s − e_s)/w_s y_s²)         demand segments (add_demand_columns)
//!    + Σ_r ω_r f_r                                     routes, ω = transport + tariff + levy
//! s.t. Σ_b∈out(n) x_b − Σ_b coef_bn x_b + Σ_r∈in(n) f_r − Σ_r∈out(n) f_r − Σ_s∈n y_s = 0
//!                                                      balances (add_balance_constraints)
//!      Σ_r∈g f_r ≤ cap_g                               quotas (add_route_cap_constraints)
//!      0 ≤ x_b ≤ K_b,  0 ≤ y_s ≤ w_s,  f_r ≥ 0
//! ```
//!
//! The dual of node n's balance is its price. Each commodity's quantities are scaled by a
//! common factor and the objective by another before the solver sees them (interior-point
//! methods converge better on numbers near one); [`Scaling`] maps answers back.

use crate::problem::MarketProblem;
use crate::qp::{Col, QpProblem, Row, RowKind};

/// Scale factors: a quantity of commodity c is `qs[c]` tonnes per QP unit; the objective is
/// `w` USD per QP unit.
#[derive(Debug, Clone)]
pub(crate) struct Scaling {
    pub qs: Vec<f64>,
    pub w: f64,
}

impl Scaling {
    /// No scaling: the QP in natural units (t, USD), as dumped with `--dump-lp`.
    pub fn identity(commodities: usize) -> Self {
        Scaling {
            qs: vec![1.0; commodities],
            w: 1.0,
        }
    }

    /// Quantities of each commodity around one unit, the objective around one unit.
    pub fn for_problem(p: &MarketProblem) -> Self {
        let nc = p.commodity_count();
        let mut qs = vec![0.0f64; nc];
        let mut ps = vec![0.0f64; nc];
        for b in &p.supply {
            let c = p.nodes[b.node].commodity;
            qs[c] = qs[c].max(b.capacity.0);
            ps[c] = ps[c].max(b.unit_cost.0 + b.cost_rise.0);
        }
        for d in &p.demand {
            let c = p.nodes[d.node].commodity;
            let width: f64 = d.curve.segments.iter().map(|s| s.width.0).sum();
            qs[c] = qs[c].max(0.5 * width);
            ps[c] = ps[c].max(d.curve.top().unwrap_or(0.0) * 0.1);
        }
        for (q, p) in qs.iter_mut().zip(&mut ps) {
            if q.is_nan() || *q <= 1e-12 {
                *q = 1.0;
            }
            if p.is_nan() || *p <= 1e-12 {
                *p = 1.0;
            }
        }
        let w = qs.iter().zip(&ps).map(|(q, p)| q * p).fold(1e-12, f64::max);
        Scaling { qs, w }
    }
}

/// Where each part of the market landed in the QP.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub qp: QpProblem,
    pub supply_col: Vec<usize>,
    pub demand_cols: Vec<Vec<usize>>,
    pub route_col: Vec<Option<usize>>,
    pub balance_row: Vec<Option<usize>>,
    pub cap_row: Vec<Option<usize>>,
}

/// Builds the QP for the routes in `in_set`, each at the wedge (USD/t) given, and each supply
/// block at the support (USD/t) given.
pub(crate) fn build_qp(
    p: &MarketProblem,
    in_set: &[bool],
    wedge: &[f64],
    support: &[f64],
    s: &Scaling,
) -> Built {
    let mut b = Built {
        qp: QpProblem::default(),
        supply_col: Vec::with_capacity(p.supply.len()),
        demand_cols: Vec::with_capacity(p.demand.len()),
        route_col: vec![None; p.routes.len()],
        balance_row: vec![None; p.nodes.len()],
        cap_row: vec![None; p.caps.len()],
    };
    let mut terms: Vec<Vec<(usize, f64)>> = vec![Vec::new(); p.nodes.len()];
    let mut on_route = vec![false; p.nodes.len()];
    for r in &p.routes {
        on_route[r.from] = true;
        on_route[r.to] = true;
    }
    add_supply_columns(p, support, s, &mut b, &mut terms);
    add_demand_columns(p, s, &mut b, &mut terms);
    add_route_columns(p, in_set, wedge, s, &mut b, &mut terms);
    add_balance_constraints(p, s, &mut b, &terms, &on_route);
    add_route_cap_constraints(p, s, &mut b);
    b
}

fn qs_of(p: &MarketProblem, s: &Scaling, node: usize) -> f64 {
    s.qs.get(p.nodes[node].commodity).copied().unwrap_or(1.0)
}

/// Supply block b: cost (c − support) x + ½ (r/K) x², 0 ≤ x ≤ K; output +x at its node
/// (unless the state buys it outright), −coef·x at each input node.
fn add_supply_columns(
    p: &MarketProblem,
    support: &[f64],
    s: &Scaling,
    b: &mut Built,
    terms: &mut [Vec<(usize, f64)>],
) {
    for (k, blk) in p.supply.iter().enumerate() {
        let q = qs_of(p, s, blk.node);
        let cap = blk.capacity.0.max(0.0);
        let slope = if cap > 0.0 {
            blk.cost_rise.0 / cap
        } else {
            0.0
        };
        let j = b.qp.add_col(Col {
            name: format!("x:{}", blk.name),
            cost: (blk.unit_cost.0 - support[k]) * q / s.w,
            quad: slope * q * q / s.w,
            lower: 0.0,
            upper: cap / q,
        });
        b.supply_col.push(j);
        if !blk.sold_to_state {
            terms[blk.node].push((j, q));
        }
        for &(inp, coef) in &blk.inputs {
            terms[inp].push((j, -coef * q));
        }
    }
}

/// Demand segment: value a y − ½ ((a − e)/w) y², 0 ≤ y ≤ w; −y at its node.
fn add_demand_columns(
    p: &MarketProblem,
    s: &Scaling,
    b: &mut Built,
    terms: &mut [Vec<(usize, f64)>],
) {
    for d in &p.demand {
        let q = qs_of(p, s, d.node);
        let mut cols = Vec::with_capacity(d.curve.segments.len());
        for (k, seg) in d.curve.segments.iter().enumerate() {
            let w = seg.width.0.max(0.0);
            let slope = if w > 0.0 {
                (seg.wtp_start.0 - seg.wtp_end.0) / w
            } else {
                0.0
            };
            let j = b.qp.add_col(Col {
                name: format!("d:{}:{k}", d.name),
                cost: -seg.wtp_start.0 * q / s.w,
                quad: slope * q * q / s.w,
                lower: 0.0,
                upper: w / q,
            });
            terms[d.node].push((j, -q));
            cols.push(j);
        }
        b.demand_cols.push(cols);
    }
}

/// Route r in the working set: cost ω_r f, f ≥ 0; −f at the origin, +f at the destination.
fn add_route_columns(
    p: &MarketProblem,
    in_set: &[bool],
    wedge: &[f64],
    s: &Scaling,
    b: &mut Built,
    terms: &mut [Vec<(usize, f64)>],
) {
    for (r, route) in p.routes.iter().enumerate() {
        if !in_set[r] {
            continue;
        }
        let q = qs_of(p, s, route.from);
        let j = b.qp.add_col(Col {
            name: format!("f:{}", route.name),
            cost: wedge[r] * q / s.w,
            quad: 0.0,
            lower: 0.0,
            upper: f64::INFINITY,
        });
        b.route_col[r] = Some(j);
        terms[route.from].push((j, -q));
        terms[route.to].push((j, q));
    }
}

/// Node n: supply − use = 0, divided by the commodity's scale so its dual times w/qs is the
/// price in USD/t. A node that no column touches and no route reaches gets no row; one that
/// only routes outside the working set reach gets an empty row, so that its dual can tell
/// whether goods should pass through it.
fn add_balance_constraints(
    p: &MarketProblem,
    s: &Scaling,
    b: &mut Built,
    terms: &[Vec<(usize, f64)>],
    on_route: &[bool],
) {
    for (n, t) in terms.iter().enumerate() {
        if t.is_empty() && !on_route[n] {
            continue;
        }
        let q = qs_of(p, s, n);
        let i = b.qp.add_row(Row {
            name: format!("bal:{}", p.nodes[n].name),
            kind: RowKind::Eq,
            rhs: 0.0,
        });
        b.balance_row[n] = Some(i);
        for &(j, v) in t {
            b.qp.set_coef(i, j, v / q);
        }
    }
}

/// Quota g: Σ_{r∈g} f_r ≤ cap_g over the routes of g in the working set.
fn add_route_cap_constraints(p: &MarketProblem, s: &Scaling, b: &mut Built) {
    for (g, cap) in p.caps.iter().enumerate() {
        let cols: Vec<(usize, f64)> = cap
            .routes
            .iter()
            .filter_map(|&r| b.route_col[r].map(|j| (j, qs_of(p, s, p.routes[r].from))))
            .collect();
        if cols.is_empty() {
            continue;
        }
        let q = cols[0].1;
        let i = b.qp.add_row(Row {
            name: format!("cap:{}", cap.name),
            kind: RowKind::Le,
            rhs: cap.cap.0.max(0.0) / q,
        });
        b.cap_row[g] = Some(i);
        for (j, qj) in cols {
            b.qp.set_coef(i, j, qj / q);
        }
    }
}
