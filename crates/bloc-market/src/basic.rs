//! A basic flow: the same prices, supplies and demands, with goods on as few routes as
//! possible.
//!
//! Prices are unique at an equilibrium; flows need not be. Where two exporters at the same
//! price reach an importer at the same landed cost, any split between them is optimal, and an
//! interior-point solver returns the middle of that face: goods on every tied route. That is a
//! correct answer but a poor one to report (hundreds of tiny flows) and to start the next
//! period from (the working set becomes every tied route, which slows every solve).
//!
//! Every route that carries goods at an optimum has a zero reduced cost (p_dest − p_origin =
//! wedge), so moving goods around a cycle of such routes — more on the routes traversed one
//! way, less on those traversed the other way — changes no node's balance and no cost. Doing
//! that until no cycle is left (each push empties one route) leaves the routes that carry
//! goods forming a forest in each commodity: a vertex of the optimal face. Routes under a
//! quota are left as they are (moving goods onto or off them would change the quota's use).

use crate::problem::MarketProblem;

/// Rewrites `flow` (t per route) into a basic optimal flow with the same node balances.
/// Returns the number of routes emptied.
pub fn to_forest(p: &MarketProblem, flow: &mut [f64]) -> usize {
    let mut capped = vec![false; p.routes.len()];
    for cap in &p.caps {
        for &r in &cap.routes {
            if let Some(c) = capped.get_mut(r) {
                *c = true;
            }
        }
    }
    let mut order: Vec<usize> = (0..p.routes.len())
        .filter(|&r| flow[r] > 0.0 && !capped[r])
        .collect();
    // Largest flows first, so that they are the ones kept; ties by index (deterministic).
    order.sort_by(|&a, &b| flow[b].total_cmp(&flow[a]).then(a.cmp(&b)));
    // The forest: per node, (neighbour, route).
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); p.nodes.len()];
    let mut emptied = 0;
    let mut prev: Vec<usize> = vec![usize::MAX; p.nodes.len()];
    let mut via: Vec<usize> = vec![usize::MAX; p.nodes.len()];
    for r in order {
        let (u, v) = (p.routes[r].from, p.routes[r].to);
        let Some(path) = forest_path(&adj, v, u, &mut prev, &mut via) else {
            adj[u].push((v, r));
            adj[v].push((u, r));
            continue;
        };
        // The cycle u —r→ v —path→ u. Push δ against r: r and the path's routes traversed
        // forwards lose δ, those traversed backwards gain it.
        let mut delta = flow[r];
        for &(a, e) in &path {
            if p.routes[e].from == a {
                delta = delta.min(flow[e]);
            }
        }
        let mut zeroed = Vec::new();
        for &(a, e) in &path {
            if p.routes[e].from == a {
                flow[e] -= delta;
                if flow[e] <= delta * 1e-12 {
                    flow[e] = 0.0;
                    zeroed.push(e);
                }
            } else {
                flow[e] += delta;
            }
        }
        flow[r] -= delta;
        if flow[r] <= delta * 1e-12 || zeroed.is_empty() {
            flow[r] = 0.0;
        } else {
            adj[u].push((v, r));
            adj[v].push((u, r));
        }
        for e in &zeroed {
            let (a, b) = (p.routes[*e].from, p.routes[*e].to);
            adj[a].retain(|&(_, x)| x != *e);
            adj[b].retain(|&(_, x)| x != *e);
        }
        emptied += zeroed.len() + usize::from(flow[r] == 0.0);
    }
    emptied
}

/// The path from `from` to `to` in the forest, as (node the step leaves, route) pairs.
fn forest_path(
    adj: &[Vec<(usize, usize)>],
    from: usize,
    to: usize,
    prev: &mut [usize],
    via: &mut [usize],
) -> Option<Vec<(usize, usize)>> {
    if adj[from].is_empty() || adj[to].is_empty() {
        return None;
    }
    let mut seen = vec![from];
    prev[from] = from;
    let mut queue = std::collections::VecDeque::from([from]);
    let mut found = false;
    while let Some(a) = queue.pop_front() {
        if a == to {
            found = true;
            break;
        }
        for &(b, e) in &adj[a] {
            if prev[b] == usize::MAX {
                prev[b] = a;
                via[b] = e;
                seen.push(b);
                queue.push_back(b);
            }
        }
    }
    let path = found.then(|| {
        let mut steps = Vec::new();
        let mut b = to;
        while b != from {
            let a = prev[b];
            steps.push((a, via[b]));
            b = a;
        }
        steps.reverse();
        steps
    });
    for n in seen {
        prev[n] = usize::MAX;
        via[n] = usize::MAX;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Levy, Node, Route};
    use bloc_units::UsdPerTonne;

    fn route(from: usize, to: usize) -> Route {
        Route {
            name: format!("{from}>{to}"),
            from,
            to,
            transport: UsdPerTonne(1.0),
            specific_tariff: UsdPerTonne(0.0),
            ad_valorem: 0.0,
            export_tax: 0.0,
            levy: Levy::None,
        }
    }

    fn net(p: &MarketProblem, flow: &[f64]) -> Vec<f64> {
        let mut b = vec![0.0; p.nodes.len()];
        for (r, route) in p.routes.iter().enumerate() {
            b[route.from] -= flow[r];
            b[route.to] += flow[r];
        }
        b
    }

    /// `n` markets of one commodity, named by their index.
    fn nodes(n: usize) -> Vec<Node> {
        (0..n)
            .map(|i| Node {
                name: i.to_string(),
                commodity: 0,
            })
            .collect()
    }

    /// Two exporters (0, 1) and two importers (2, 3), every pair a route, 5 t on each: the
    /// balances are −10, −10, +10, +10. By hand, in index order (all flows equal): 0>2, 0>3
    /// and 1>2 make a tree; 1>3 closes the cycle 1 →(1>3) 3 →(0>3 backwards) 0 →(0>2) 2
    /// →(1>2 backwards) 1. Pushing δ = min(5 on 1>3, 5 on 0>2) against 1>3 empties 1>3 and
    /// 0>2 and adds 5 to 0>3 and 1>2: flows 0, 10, 10, 0, the same balances on two routes.
    #[test]
    fn tied_routes_become_a_forest_with_the_same_balances() {
        let p = MarketProblem {
            nodes: nodes(4),
            routes: vec![route(0, 2), route(0, 3), route(1, 2), route(1, 3)],
            ..MarketProblem::default()
        };
        let mut flow = vec![5.0; 4];
        let before = net(&p, &flow);
        to_forest(&p, &mut flow);
        assert_eq!(net(&p, &flow), before);
        assert_eq!(flow, vec![0.0, 10.0, 10.0, 0.0]);
    }

    /// A chain without a cycle is left alone.
    #[test]
    fn a_forest_is_left_as_it_is() {
        let p = MarketProblem {
            nodes: nodes(3),
            routes: vec![route(0, 1), route(1, 2)],
            ..MarketProblem::default()
        };
        let mut flow = vec![3.0, 2.0];
        assert_eq!(to_forest(&p, &mut flow), 0);
        assert_eq!(flow, vec![3.0, 2.0]);
    }
}
