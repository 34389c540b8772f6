//! The engine's check of its own answer (design §1): from the reported prices and quantities
//! alone, the largest violation of the equilibrium conditions (USD/t) and the largest balance
//! error (t).
//!
//! * route carrying goods: p_dest = p_origin + transport + tariff + levy (+ quota rent);
//!   any route: p_dest ≤ that;
//! * supply block strictly inside (0, capacity): p_out = mc(x) + Σ coef·p_in; at capacity
//!   p_out ≥ it; idle p_out ≤ it;
//! * demand segment likewise against willingness to pay.
//!
//! A quantity counts as "at a bound" within [`BOUND_TOLERANCE`] of its scale, because an
//! interior-point answer is never exactly on one.

use crate::problem::MarketProblem;
use crate::solve::MarketOutcome;

/// Relative distance from a bound within which a quantity counts as on it.
pub const BOUND_TOLERANCE: f64 = 1e-6;

/// Largest violations found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SelfCheck {
    /// Largest violation of the price conditions (USD/t).
    pub max_violation_usd_per_t: f64,
    /// The same relative to the price scale of its commodity.
    pub max_violation_relative: f64,
    /// Where it is.
    pub worst_condition: String,
    /// Largest |supply − use| at a node (t).
    pub max_balance_error_t: f64,
    /// The same relative to the node's largest flow.
    pub max_balance_error_relative: f64,
    /// Where it is.
    pub worst_balance: String,
}

impl SelfCheck {
    fn price(&mut self, v: f64, scale: f64, what: impl FnOnce() -> String) {
        let v = v.max(0.0);
        let rel = v / scale.max(1.0);
        if rel > self.max_violation_relative {
            self.max_violation_relative = rel;
            self.max_violation_usd_per_t = v;
            self.worst_condition = what();
        }
    }
}

/// Where x lies between 0 and `cap`: -1 at zero, +1 at cap, 0 strictly inside, 2 when
/// `cap` is zero (at both bounds: any price is consistent).
fn position(x: f64, cap: f64) -> i8 {
    if cap <= 0.0 {
        return 2;
    }
    let tol = BOUND_TOLERANCE * cap.abs().max(1e-9);
    if x <= tol {
        -1
    } else if cap.is_finite() && x >= cap - tol {
        1
    } else {
        0
    }
}

/// Violation of "value − cost is 0 inside, ≥ 0 at the top bound, ≤ 0 at zero".
fn complementarity(gap: f64, pos: i8) -> f64 {
    match pos {
        -1 => gap.max(0.0),
        1 => (-gap).max(0.0),
        2 => 0.0,
        _ => gap.abs(),
    }
}

/// Checks an outcome against its problem.
pub fn self_check(p: &MarketProblem, o: &MarketOutcome) -> SelfCheck {
    let mut c = SelfCheck::default();
    let n = p.nodes.len();
    let scale_q = scale_q(p);
    // The price scale of each commodity: the largest of its unit costs, a tenth of its
    // buyers' top willingness to pay, and its prices anywhere (at least 1 USD/t). One scale
    // per commodity, so that a transit market (routes only, no plant or buyer) is measured
    // against the commodity's prices, not against 1 USD/t.
    let mut scale_c = p.commodity_price_scale();
    for (node, price) in p.nodes.iter().zip(&o.prices) {
        if let Some(v) = price {
            scale_c[node.commodity] = scale_c[node.commodity].max(v.abs());
        }
    }
    let scale_p: Vec<f64> = p.nodes.iter().map(|x| scale_c[x.commodity]).collect();
    debug_assert_eq!(scale_p.len(), n);
    // A route under a zero quota (a ban) can carry nothing, so no price gap along it breaks
    // the equilibrium (its rent is whatever the gap is).
    let banned = p.banned_routes();
    for (r, route) in p.routes.iter().enumerate() {
        let (Some(po), Some(pd)) = (o.prices[route.from], o.prices[route.to]) else {
            continue;
        };
        if banned[r] {
            continue;
        }
        let gap = pd - po - route.wedge_at(po) - o.cap_rent[r];
        let pos = if o.flow[r] > BOUND_TOLERANCE * 1e-3 * scale_q[route.from] {
            0
        } else {
            -1
        };
        c.price(complementarity(gap, pos), scale_p[route.to], || {
            format!("route {}", route.name)
        });
    }
    for (k, blk) in p.supply.iter().enumerate() {
        let Some(p_node) = o.prices[blk.node] else {
            continue;
        };
        let pout = blk.revenue_at(p_node);
        let mut cost = blk.marginal_cost(o.supply[k]);
        let mut known = true;
        for &(inp, coef) in &blk.inputs {
            match o.prices[inp] {
                Some(pi) => cost += coef * pi,
                None => known = false,
            }
        }
        if !known {
            if o.supply[k] > 0.0 {
                c.price(f64::INFINITY, 1.0, || {
                    format!("block {} runs without an input price", blk.name)
                });
            }
            continue;
        }
        // A block smaller than the solver's noise at its node is on both bounds at once.
        let cap = if blk.capacity.0 <= crate::solve::NOISE * scale_q[blk.node] {
            0.0
        } else {
            blk.capacity.0
        };
        c.price(
            complementarity(pout - cost, position(o.supply[k], cap)),
            scale_p[blk.node],
            || format!("supply block {}", blk.name),
        );
    }
    for (k, d) in p.demand.iter().enumerate() {
        let Some(price) = o.prices[d.node] else {
            continue;
        };
        // Fill segments in order: the QP's optimum does, since willingness to pay falls.
        let mut left = o.demand[k];
        for (s, seg) in d.curve.segments.iter().enumerate() {
            let y = left.min(seg.width.0).max(0.0);
            left -= y;
            let width = if seg.width.0 <= crate::solve::NOISE * scale_q[d.node] {
                0.0
            } else {
                seg.width.0
            };
            let pos = position(y, width);
            let wtp = seg.wtp_at(y);
            c.price(complementarity(wtp - price, pos), scale_p[d.node], || {
                format!("demand {} segment {s}", d.name)
            });
        }
    }
    // Balances.
    let mut net = vec![0.0f64; n];
    let mut gross = vec![0.0f64; n];
    for (k, blk) in p.supply.iter().enumerate() {
        if !blk.sold_to_state {
            net[blk.node] += o.supply[k];
            gross[blk.node] += o.supply[k];
        }
        for &(inp, coef) in &blk.inputs {
            net[inp] -= coef * o.supply[k];
            gross[inp] += coef.abs() * o.supply[k];
        }
    }
    for (k, d) in p.demand.iter().enumerate() {
        net[d.node] -= o.demand[k];
        gross[d.node] += o.demand[k];
    }
    for (r, route) in p.routes.iter().enumerate() {
        net[route.from] -= o.flow[r];
        net[route.to] += o.flow[r];
        gross[route.from] += o.flow[r];
        gross[route.to] += o.flow[r];
    }
    for i in 0..n {
        let e = net[i].abs();
        let rel = e / gross[i].max(1.0);
        if rel > c.max_balance_error_relative
            || (e > c.max_balance_error_t && c.max_balance_error_relative == 0.0)
        {
            c.max_balance_error_relative = rel;
            c.max_balance_error_t = e;
            c.worst_balance = format!("node {}", p.nodes[i].name);
        }
    }
    c
}

fn scale_q(p: &MarketProblem) -> Vec<f64> {
    let mut s = vec![0.0f64; p.nodes.len()];
    for b in &p.supply {
        s[b.node] = s[b.node].max(b.capacity.0);
    }
    for d in &p.demand {
        s[d.node] = s[d.node].max(d.curve.segments.iter().map(|g| g.width.0).sum());
    }
    s.into_iter().map(|v| v.max(1.0)).collect()
}
