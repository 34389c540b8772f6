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
//!
//! A block's or segment's quantity is known only to the solver's quantity resolution,
//! [`crate::solve::NOISE`] × its commodity's quantity scale (quantities below it are read as
//! zero). On a small block with a steep cost line that resolution is worth a measurable price
//! (a 139 t/yr graphite mine beside China's 1.4 Mt: slope 30 USD/t per t, resolution 3.5e-3 t),
//! so its condition is checked at the quantity within that resolution that meets it best
//! ([`within_resolution`]); routes are checked as they are, and a node's balance within the
//! joint resolution of the quantities that meet there ([`balance_beyond_resolution`]).

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

/// The smallest violation of "value − cost is 0 inside, ≥ 0 at the top bound, ≤ 0 at zero"
/// over the quantities within `delta` of `x` (clamped to [0, cap]), where `gap_at(x')` is value
/// minus cost at x'. The gap is linear in x', so the candidates are x itself, the ends, the
/// bounds where they fall inside, and the quantity where the gap crosses zero.
fn within_resolution(x: f64, cap: f64, delta: f64, gap_at: impl Fn(f64) -> f64) -> f64 {
    let hi = if cap > 0.0 { cap } else { 0.0 };
    let lo_x = (x - delta).max(0.0);
    let hi_x = if cap.is_finite() {
        (x + delta).min(hi.max(x))
    } else {
        x + delta
    };
    let mut candidates = vec![x, lo_x, hi_x];
    if lo_x <= 0.0 {
        candidates.push(0.0);
    }
    if cap.is_finite() && cap > 0.0 && hi_x >= cap {
        candidates.push(cap);
    }
    // Where the gap crosses zero between the ends, the quantity that meets the condition.
    let (g_lo, g_hi) = (gap_at(lo_x), gap_at(hi_x));
    if g_lo * g_hi < 0.0 {
        candidates.push(lo_x + (hi_x - lo_x) * g_lo / (g_lo - g_hi));
    }
    candidates
        .into_iter()
        .map(|y| complementarity(gap_at(y), position(y, cap)))
        .fold(f64::INFINITY, f64::min)
}

/// Checks an outcome against its problem: every route's, block's and demand segment's
/// condition, then every node's balance.
pub fn self_check(p: &MarketProblem, o: &MarketOutcome) -> SelfCheck {
    let mut c = SelfCheck::default();
    let scales = Scales::of(p, o);
    check_routes(&mut c, p, o, &scales);
    check_supply(&mut c, p, o, &scales);
    check_demand(&mut c, p, o, &scales);
    check_balances(&mut c, p, o, &scales);
    c
}

/// What the self-check measures each condition against.
struct Scales {
    /// Quantity scale per node (its largest block, buyer or route).
    q: Vec<f64>,
    /// The solver's quantity resolution per commodity: it scales each commodity's quantities
    /// as one (crate::build::Scaling), so its resolution is a share of the commodity's largest
    /// scale, not of the node's.
    resolution_q: Vec<f64>,
    /// Price scale per node: its commodity's.
    p: Vec<f64>,
}

impl Scales {
    fn of(p: &MarketProblem, o: &MarketOutcome) -> Self {
        let scale_q = scale_q(p);
        let mut resolution_q = vec![1.0f64; p.commodity_count()];
        for (node, q) in p.nodes.iter().zip(&scale_q) {
            resolution_q[node.commodity] = resolution_q[node.commodity].max(*q);
        }
        // The price scale of each commodity: the largest of its unit costs, a tenth of its
        // buyers' top willingness to pay, and its prices anywhere (at least 1 USD/t). One
        // scale per commodity, so that a transit market (routes only, no plant or buyer) is
        // measured against the commodity's prices, not against 1 USD/t.
        let mut scale_c = p.commodity_price_scale();
        for (node, price) in p.nodes.iter().zip(&o.prices) {
            if let Some(v) = price {
                scale_c[node.commodity] = scale_c[node.commodity].max(v.abs());
            }
        }
        let scale_p: Vec<f64> = p.nodes.iter().map(|x| scale_c[x.commodity]).collect();
        debug_assert_eq!(scale_p.len(), p.nodes.len());
        Scales {
            q: scale_q,
            resolution_q,
            p: scale_p,
        }
    }

    /// The quantity the solver resolves at `node` (t).
    fn delta(&self, p: &MarketProblem, node: usize) -> f64 {
        crate::solve::NOISE * self.resolution_q[p.nodes[node].commodity]
    }
}

/// Routes: no price gap beyond the wedge along a route, and none short of it on a route that
/// carries goods. A route under a zero quota (a ban) can carry nothing, so no price gap along
/// it breaks the equilibrium (its rent is whatever the gap is).
fn check_routes(c: &mut SelfCheck, p: &MarketProblem, o: &MarketOutcome, sc: &Scales) {
    let banned = p.banned_routes();
    for (r, route) in p.routes.iter().enumerate() {
        let (Some(po), Some(pd)) = (o.prices[route.from], o.prices[route.to]) else {
            continue;
        };
        if banned[r] {
            continue;
        }
        let gap = pd - po - route.wedge_at(po) - o.cap_rent[r];
        let pos = if o.flow[r] > BOUND_TOLERANCE * 1e-3 * sc.q[route.from] {
            0
        } else {
            -1
        };
        c.price(complementarity(gap, pos), sc.p[route.to], || {
            format!("route {}", route.name)
        });
    }
}

/// Supply blocks: revenue (with co-products) against marginal cost plus inputs at their
/// prices, complementary to the block's output within the solver's resolution.
fn check_supply(c: &mut SelfCheck, p: &MarketProblem, o: &MarketOutcome, sc: &Scales) {
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
        let cap = if blk.capacity.0 <= crate::solve::NOISE * sc.q[blk.node] {
            0.0
        } else {
            blk.capacity.0
        };
        // Inputs valued at their prices; the block's own cost line moves with its quantity.
        let inputs = cost - blk.marginal_cost(o.supply[k]);
        let v = within_resolution(o.supply[k], cap, sc.delta(p, blk.node), |x| {
            pout - blk.marginal_cost(x) - inputs
        });
        c.price(v, sc.p[blk.node], || format!("supply block {}", blk.name));
    }
}

/// Demand segments, filled in order (the QP's optimum does, since willingness to pay falls):
/// willingness to pay against the price, complementary to the segment's quantity.
fn check_demand(c: &mut SelfCheck, p: &MarketProblem, o: &MarketOutcome, sc: &Scales) {
    for (k, d) in p.demand.iter().enumerate() {
        let Some(price) = o.prices[d.node] else {
            continue;
        };
        let mut left = o.demand[k];
        for (s, seg) in d.curve.segments.iter().enumerate() {
            let y = left.min(seg.width.0).max(0.0);
            left -= y;
            let width = if seg.width.0 <= crate::solve::NOISE * sc.q[d.node] {
                0.0
            } else {
                seg.width.0
            };
            let v = within_resolution(y, width, sc.delta(p, d.node), |x| seg.wtp_at(x) - price);
            c.price(v, sc.p[d.node], || format!("demand {} segment {s}", d.name));
        }
    }
}

/// Balances: at every node, what is made and brought in equals what is used, bought and sent
/// on, beyond what the solver's resolution explains, relative to the node's gross flow.
fn check_balances(c: &mut SelfCheck, p: &MarketProblem, o: &MarketOutcome, sc: &Scales) {
    let n = p.nodes.len();
    let mut net = vec![0.0f64; n];
    let mut gross = vec![0.0f64; n];
    // How many of the solver's quantities meet at each node: each is known to its resolution.
    let mut terms = vec![0usize; n];
    for (k, blk) in p.supply.iter().enumerate() {
        if !blk.sold_to_state {
            net[blk.node] += o.supply[k];
            gross[blk.node] += o.supply[k];
            terms[blk.node] += 1;
        }
        for &(inp, coef) in &blk.inputs {
            net[inp] -= coef * o.supply[k];
            gross[inp] += coef.abs() * o.supply[k];
            terms[inp] += 1;
        }
    }
    for (k, d) in p.demand.iter().enumerate() {
        net[d.node] -= o.demand[k];
        gross[d.node] += o.demand[k];
        terms[d.node] += 1;
    }
    for (r, route) in p.routes.iter().enumerate() {
        net[route.from] -= o.flow[r];
        net[route.to] += o.flow[r];
        gross[route.from] += o.flow[r];
        gross[route.to] += o.flow[r];
        terms[route.from] += 1;
        terms[route.to] += 1;
    }
    for i in 0..n {
        let e = net[i].abs();
        let rel = balance_beyond_resolution(e, terms[i], sc.delta(p, i)) / gross[i].max(1.0);
        if rel.is_nan()
            || rel > c.max_balance_error_relative
            || (e > c.max_balance_error_t && c.max_balance_error_relative == 0.0)
        {
            c.max_balance_error_relative = rel;
            c.max_balance_error_t = e;
            c.worst_balance = format!("node {}", p.nodes[i].name);
        }
    }
}

/// The part of a node's balance error `e` (t) that the solver's quantity resolution does not
/// explain: each of the `terms` quantities meeting at the node is known only to `delta` t
/// (NOISE × its commodity's scale, as for a block), so their sum may be off by `terms × delta`
/// without any of them being wrong. On a small market of a commodity whose largest market is
/// large (Russia's gallium beside China's) that allowance is larger than a share of the node.
fn balance_beyond_resolution(e: f64, terms: usize, delta: f64) -> f64 {
    if e.is_nan() {
        return f64::NAN;
    }
    (e - terms as f64 * delta).max(0.0)
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

#[cfg(test)]
mod tests {
    use super::*;

    // A block of capacity 10 whose cost line rises from 100 to 130 (slope 3 USD/t per t),
    // selling at 115: by hand its quantity is 5, inside. At 5.001 the gap is -0.003 USD/t.
    fn gap(x: f64) -> f64 {
        115.0 - (100.0 + 3.0 * x)
    }

    #[test]
    fn a_quantity_within_the_resolution_meets_its_condition() {
        // 0.001 t off, resolution 0.002 t: some quantity within it has gap 0.
        assert_eq!(within_resolution(5.001, 10.0, 0.002, gap), 0.0);
        // Resolution 0.0004 t: the nearest is 5.0006, gap -0.0018 USD/t.
        let v = within_resolution(5.001, 10.0, 0.0004, gap);
        assert!((v - 0.0018).abs() < 1e-9, "{v}");
        // No resolution: the violation at the quantity itself.
        assert!((within_resolution(5.001, 10.0, 0.0, gap) - 0.003).abs() < 1e-9);
    }

    #[test]
    fn a_balance_is_judged_beyond_the_resolution_of_its_terms() {
        // 12 quantities meet at a node, each known to 1e-6 t: an error of 5.9e-6 t is within
        // their joint resolution of 1.2e-5 t; 2e-5 t is 8e-6 t beyond it.
        assert_eq!(balance_beyond_resolution(5.9e-6, 12, 1e-6), 0.0);
        assert!((balance_beyond_resolution(2e-5, 12, 1e-6) - 8e-6).abs() < 1e-18);
        // No resolution: the error as it is; a NaN stays a NaN (and fails the check).
        assert_eq!(balance_beyond_resolution(3.0, 4, 0.0), 3.0);
        assert!(balance_beyond_resolution(f64::NAN, 4, 1e-6).is_nan());
    }

    #[test]
    fn the_bounds_count_within_the_resolution() {
        // Price 135 above the top of the line: the block belongs at capacity. At 9.9999 it
        // is inside (gap 5.0003 breaks equality) unless the resolution reaches the bound.
        let g = |x: f64| 135.0 - (100.0 + 3.0 * x);
        assert!(within_resolution(9.99, 10.0, 0.001, g) > 5.0);
        assert_eq!(within_resolution(9.9995, 10.0, 0.001, g), 0.0);
        // Price 95 below the bottom: idle; 0.0005 t is within a resolution of 0.001.
        let g = |x: f64| 95.0 - (100.0 + 3.0 * x);
        assert_eq!(within_resolution(0.0005, 10.0, 0.001, g), 0.0);
        assert!(within_resolution(0.01, 10.0, 0.001, g) > 5.0);
    }
}
