//! Prices from the QP's answer: the balance duals in USD/t where a node carries goods, the
//! quota rents, and, where a node carries nothing (its dual is anywhere in an interval), the
//! cost of the first tonne delivered there ([`fill_idle_prices`]).

use super::warm::column_commodities;
use super::Tolerances;
use crate::build::{Built, Scaling};
use crate::problem::MarketProblem;

/// Quota rents (USD/t) per route: the sum of the rents of the quotas covering it.
pub(super) fn cap_rents(p: &MarketProblem, b: &Built, s: &Scaling, dual: &[f64]) -> Vec<f64> {
    let mut rent = vec![0.0; p.routes.len()];
    for (g, cap) in p.caps.iter().enumerate() {
        let Some(i) = b.cap_row[g] else { continue };
        let Some(&r0) = cap.routes.first() else {
            continue;
        };
        let q = s.qs[p.nodes[p.routes[r0].from].commodity];
        let v = (-dual[i] * s.w / q).max(0.0);
        for &r in &cap.routes {
            rent[r] += v;
        }
    }
    rent
}

/// The balance duals in USD/t (`None` for nodes without a row).
pub(super) fn raw_prices(
    p: &MarketProblem,
    b: &Built,
    s: &Scaling,
    dual: &[f64],
) -> Vec<Option<f64>> {
    (0..p.nodes.len())
        .map(|n| b.balance_row[n].map(|i| dual[i] * s.w / s.qs[p.nodes[n].commodity]))
        .collect()
}

/// Columns a hair above zero whose reduced cost says they belong at zero: within
/// [`Tolerances::snap_delta`] of zero, with a reduced cost above [`Tolerances::snap_eps`] of their commodity's price
/// scale in USD/t (the scaled QP's units are not comparable across commodities: one unit of
/// a commodity of small tonnage and high value is many USD/t). They carry nothing.
pub(super) fn idle_columns(
    p: &MarketProblem,
    b: &Built,
    s: &Scaling,
    x: &[f64],
    dual: &[f64],
    tol: &Tolerances,
) -> Vec<bool> {
    let rc = b.qp.reduced_costs(x, dual);
    let price_scale = p.commodity_price_scale();
    let commodity = column_commodities(p, b);
    (0..b.qp.cols.len())
        .map(|j| {
            let usd = match commodity[j] {
                Some(c) => rc[j] * s.w / s.qs[c] / price_scale[c],
                None => rc[j],
            };
            x[j] < tol.snap_delta && (rc[j] > tol.snap_eps || usd > tol.snap_eps)
        })
        .collect()
}

/// Prices: the balance duals where a node carries goods, else the cost of the first tonne.
pub(super) fn node_prices(
    p: &MarketProblem,
    b: &Built,
    s: &Scaling,
    x: &[f64],
    dual: &[f64],
    tol: &Tolerances,
) -> Vec<Option<f64>> {
    let n = p.nodes.len();
    let mut inflow = vec![0.0f64; n];
    let mut scale = vec![0.0f64; n];
    // A column a hair above zero whose reduced cost says it belongs at zero carries nothing:
    // it must not make its market look active (whose price would then be any point of a
    // degenerate interval instead of the cost of its first tonne).
    let idle = idle_columns(p, b, s, x, dual, tol);
    let x: Vec<f64> = x
        .iter()
        .zip(&idle)
        .map(|(&v, &i)| if i { 0.0 } else { v })
        .collect();
    for (k, blk) in p.supply.iter().enumerate() {
        let made = x[b.supply_col[k]] * s.qs[p.nodes[blk.node].commodity];
        if !blk.sold_to_state {
            inflow[blk.node] += made;
        }
        scale[blk.node] = scale[blk.node].max(blk.capacity.0);
        // Co-products (negative inputs) flow into their nodes too.
        for &(n, coef) in blk.inputs.iter().filter(|(_, c)| *c < 0.0) {
            inflow[n] += -coef * made;
            scale[n] = scale[n].max(-coef * blk.capacity.0);
        }
    }
    for d in &p.demand {
        scale[d.node] = scale[d.node].max(d.curve.segments.iter().map(|g| g.width.0).sum::<f64>());
    }
    for (r, route) in p.routes.iter().enumerate() {
        if let Some(j) = b.route_col[r] {
            inflow[route.to] += x[j] * s.qs[p.nodes[route.to].commodity];
        }
    }
    let mut price: Vec<Option<f64>> = vec![None; n];
    let mut idle = Vec::new();
    for node in 0..n {
        let active = inflow[node] > 1e-7 * scale[node].max(1e-9);
        match (b.balance_row[node], active) {
            (Some(i), true) => price[node] = Some(dual[i] * s.w / s.qs[p.nodes[node].commodity]),
            _ => idle.push(node),
        }
    }
    // A route under a binding quota delivers its first tonne at origin price + wedge + the
    // quota's rent; a route under a zero quota (a ban) delivers nothing.
    let rent = cap_rents(p, b, s, dual);
    fill_idle_prices(p, &idle, &rent, &p.banned_routes(), &mut price);
    price
}

/// Cost of the first tonne at each idle node: min over its supply blocks of marginal cost at
/// zero plus inputs, and over routes into it of origin price plus wedge. Bellman–Ford order
/// (idle nodes may feed one another); where nothing can arrive, the highest willingness to pay
/// of its buyers, else no price.
fn fill_idle_prices(
    p: &MarketProblem,
    idle: &[usize],
    rent: &[f64],
    blocked: &[bool],
    price: &mut [Option<f64>],
) {
    first_tonne_prices(p, idle, rent, blocked, price);
    dead_market_prices(p, idle, price);
}

/// The Bellman–Ford part of [`fill_idle_prices`]: each idle node's cheapest first tonne, made
/// there (a block's cost at zero, or an idle co-product's share of it) or brought in.
fn first_tonne_prices(
    p: &MarketProblem,
    idle: &[usize],
    rent: &[f64],
    blocked: &[bool],
    price: &mut [Option<f64>],
) {
    if idle.is_empty() {
        return;
    }
    let mut is_idle = vec![false; p.nodes.len()];
    for &n in idle {
        is_idle[n] = true;
        price[n] = None;
    }
    let mut best = vec![f64::INFINITY; p.nodes.len()];
    for _ in 0..=idle.len() {
        let mut changed = false;
        for blk in &p.supply {
            if !is_idle[blk.node] || blk.capacity.0 <= 0.0 || blk.sold_to_state {
                continue;
            }
            let mut c = blk.unit_cost.0
                - blk.subsidy_at(best[blk.node].min(price[blk.node].unwrap_or(f64::INFINITY)));
            for &(inp, coef) in &blk.inputs {
                // An input of unknown price bars the block; a co-product of unknown price
                // earns nothing.
                let unknown = if coef < 0.0 { 0.0 } else { f64::INFINITY };
                c += coef * price[inp].unwrap_or(unknown);
            }
            if c < best[blk.node] - 1e-12 * c.abs() {
                best[blk.node] = c;
                changed = true;
            }
        }
        // An idle co-product's first tonne: what the block's cost at zero output, net of its
        // main output's revenue, its inputs and its other co-products, leaves per tonne of it.
        for blk in &p.supply {
            if blk.capacity.0 <= 0.0 || blk.sold_to_state {
                continue;
            }
            let Some(p_main) = price[blk.node] else {
                continue;
            };
            for &(n, y) in blk.inputs.iter().filter(|(n, c)| *c < 0.0 && is_idle[*n]) {
                let mut c = blk.unit_cost.0 - blk.revenue_at(p_main);
                let mut known = true;
                for &(inp, coef) in blk.inputs.iter().filter(|(m, _)| *m != n) {
                    match (price[inp], coef < 0.0) {
                        (Some(v), _) => c += coef * v,
                        (None, true) => {}
                        (None, false) => known = false,
                    }
                }
                let c = c / -y;
                if known && c < best[n] - 1e-12 * c.abs() {
                    best[n] = c;
                    changed = true;
                }
            }
        }
        for (r, route) in p.routes.iter().enumerate() {
            if !is_idle[route.to] || blocked[r] {
                continue;
            }
            let Some(po) = price[route.from] else {
                continue;
            };
            let c = po + route.wedge_at(po) + rent[r];
            if c < best[route.to] - 1e-12 * c.abs() {
                best[route.to] = c;
                changed = true;
            }
        }
        for &n in idle {
            if best[n].is_finite() {
                price[n] = Some(best[n]);
            }
        }
        if !changed {
            break;
        }
    }
}

/// The price of each idle market nothing can reach (no price after [`first_tonne_prices`]).
///
/// Markets nothing can reach: their price lies at or above every buyer's highest
/// willingness to pay there (nobody buys) and high enough that no route out of them would
/// pay (p_dest ≤ p + wedge). The lowest such price, found upwards from the buyers' tops.
fn dead_market_prices(p: &MarketProblem, idle: &[usize], price: &mut [Option<f64>]) {
    let dead: Vec<usize> = idle
        .iter()
        .copied()
        .filter(|&n| price[n].is_none())
        .collect();
    for &n in &dead {
        price[n] = p
            .demand
            .iter()
            .filter(|d| d.node == n)
            .filter_map(|d| d.curve.top())
            .reduce(f64::max);
    }
    let mut is_dead = vec![false; p.nodes.len()];
    for &n in &dead {
        is_dead[n] = true;
    }
    for _ in 0..=dead.len() {
        let mut changed = false;
        for route in &p.routes {
            if !is_dead[route.from] {
                continue;
            }
            let Some(pd) = price[route.to] else { continue };
            // Solve p + wedge(p) = p_dest for p (the wedge may depend on p: a few steps).
            let mut q = pd - route.wedge_at(pd.max(0.0));
            for _ in 0..8 {
                q = pd - route.wedge_at(q.max(0.0));
            }
            if price[route.from].is_none_or(|v| q > v + 1e-12 * q.abs()) {
                price[route.from] = Some(q);
                changed = true;
            }
        }
        // Nor would any plant pay to turn it into its output: p_in ≥ (p_out − mc(0) −
        // other inputs) / coefficient.
        for blk in &p.supply {
            if blk.capacity.0 <= 0.0 || blk.sold_to_state {
                continue;
            }
            let Some(pout) = price[blk.node] else {
                continue;
            };
            for (k, &(inp, coef)) in blk.inputs.iter().enumerate() {
                if !is_dead[inp] || coef <= 0.0 {
                    continue;
                }
                let others: Option<f64> = blk
                    .inputs
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != k)
                    .map(|(_, &(n, c))| price[n].map(|v| c * v))
                    .sum();
                let Some(others) = others else { continue };
                let q = (blk.revenue_at(pout) - blk.unit_cost.0 - others) / coef;
                if price[inp].is_none_or(|v| q > v + 1e-12 * q.abs()) {
                    price[inp] = Some(q);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::DemandCurve;
    use crate::problem::{DemandBlock, Node, Route, SupplyBlock};
    use bloc_units::{Tonnes, UsdPerTonne};

    /// `n` nodes of one commodity, named A, B, C, ….
    fn market(n: usize) -> MarketProblem {
        MarketProblem {
            nodes: (0..n)
                .map(|i| Node {
                    name: ((b'A' + i as u8) as char).to_string(),
                    commodity: 0,
                })
                .collect(),
            ..MarketProblem::default()
        }
    }

    fn plant(node: usize, unit_cost: f64) -> SupplyBlock {
        SupplyBlock::new(
            "plant",
            node,
            Tonnes(10.0),
            UsdPerTonne(unit_cost),
            UsdPerTonne(1.0),
        )
    }

    /// The idle prices of `p` with the given known prices (rent 0, nothing banned).
    fn fill(p: &MarketProblem, idle: &[usize], known: &[Option<f64>]) -> Vec<Option<f64>> {
        let mut price = known.to_vec();
        let n = p.routes.len();
        fill_idle_prices(p, idle, &vec![0.0; n], &vec![false; n], &mut price);
        price
    }

    /// A trades at 100; idle B has its own plant (first tonne at its unit cost) and a route
    /// from A with transport 10. By hand, B's first tonne costs min(plant, 100 + 10): 110
    /// with a plant at 150, 105 with one at 105; with a quota rent of 30 on the route,
    /// min(150, 100 + 10 + 30) = 140; with the route banned, the plant's 150; with a 25 %
    /// ad valorem tariff on 100 + 10, 100 + 10 + 27.5 = 137.5.
    #[test]
    fn an_idle_node_costs_its_cheapest_first_tonne() {
        let mut p = market(2);
        p.routes.push(Route::new("A-B", 0, 1, UsdPerTonne(10.0)));
        p.supply.push(plant(1, 150.0));
        let known = [Some(100.0), Some(123.0)];
        assert_eq!(fill(&p, &[1], &known), vec![Some(100.0), Some(110.0)]);
        let mut price = known.to_vec();
        fill_idle_prices(&p, &[1], &[30.0], &[false], &mut price);
        assert_eq!(price[1], Some(140.0));
        let mut price = known.to_vec();
        fill_idle_prices(&p, &[1], &[0.0], &[true], &mut price);
        assert_eq!(price[1], Some(150.0));
        p.routes[0].ad_valorem = 0.25;
        assert_eq!(fill(&p, &[1], &known)[1], Some(137.5));
        p.routes[0].ad_valorem = 0.0;
        p.supply[0].unit_cost = UsdPerTonne(105.0);
        assert_eq!(fill(&p, &[1], &known)[1], Some(105.0));
    }

    /// Idle nodes feed one another: A (100) → B (transport 10) → C (transport 5), and C's
    /// plant turns 2 t of B into 1 t at a cost of 10. By hand: B = 110, C = min(110 + 5,
    /// 10 + 2·110) = 115, whatever order the idle nodes are listed in (C first needs B's
    /// price from a later pass).
    #[test]
    fn idle_nodes_are_priced_in_bellman_ford_order() {
        let mut p = market(3);
        p.routes.push(Route::new("A-B", 0, 1, UsdPerTonne(10.0)));
        p.routes.push(Route::new("B-C", 1, 2, UsdPerTonne(5.0)));
        let mut blk = plant(2, 10.0);
        blk.inputs.push((1, 2.0));
        p.supply.push(blk);
        let known = [Some(100.0), None, None];
        let want = vec![Some(100.0), Some(110.0), Some(115.0)];
        assert_eq!(fill(&p, &[2, 1], &known), want);
        assert_eq!(fill(&p, &[1, 2], &known), want);
        // With the route B → C gone, C's first tonne is its plant's: 10 + 2·110 = 230.
        p.routes.pop();
        assert_eq!(fill(&p, &[2, 1], &known)[2], Some(230.0));
    }

    /// Markets nothing can reach get the lowest price at which nobody there buys and nothing
    /// there would be worth selling on. By hand, with A at 100: C with a buyer whose top is
    /// 80 and no way out: 80. Add a route C → A with transport 10: it would pay below
    /// 100 − 10, so 90. D, with no buyer, is the input of a plant at A (2 t of D per t, unit
    /// cost 40): it would pay to buy D below (100 − 40)/2 = 30, so 30. E, with nothing at
    /// all: no price.
    #[test]
    fn an_unreachable_node_is_priced_where_nothing_would_trade() {
        let mut p = market(5);
        p.demand.push(DemandBlock {
            name: "buyer".into(),
            node: 2,
            curve: DemandCurve::flat(Tonnes(5.0), UsdPerTonne(80.0)),
        });
        let mut blk = plant(0, 40.0);
        blk.inputs.push((3, 2.0));
        p.supply.push(blk);
        let known = [Some(100.0), Some(1.0), Some(2.0), Some(3.0), Some(4.0)];
        let idle = [2, 3, 4];
        assert_eq!(
            fill(&p, &idle, &known),
            vec![Some(100.0), Some(1.0), Some(80.0), Some(30.0), None]
        );
        p.routes.push(Route::new("C-A", 2, 0, UsdPerTonne(10.0)));
        assert_eq!(fill(&p, &idle, &known)[2], Some(90.0));
    }
}
