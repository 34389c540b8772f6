//! The outcome of one period's solve: [`MarketOutcome`], assembled from the last QP answer
//! (quantities cleaned of solver noise, prices recovered, wedges at the final prices, the
//! self-check run), and the natural-units QP of that last solve ([`natural_qp`]).

use super::fixed_point::block_support;
use super::prices::{cap_rents, idle_columns, node_prices};
use super::{Tolerances, WarmStart};
use crate::build::{build_qp, Built, Scaling};
use crate::check::{self_check, SelfCheck};
use crate::problem::MarketProblem;
use crate::qp::{QpProblem, SolveStatus};
use std::time::{Duration, Instant};

/// The equilibrium of one period, in natural units.
#[derive(Debug, Clone)]
pub struct MarketOutcome {
    /// Solver status of the last solve.
    pub status: SolveStatus,
    /// Whether the route and wedge loops converged.
    pub converged: bool,
    /// Price per node (USD/t); `None` where nothing could ever reach or be sold at the node.
    pub prices: Vec<Option<f64>>,
    /// Output per supply block (t).
    pub supply: Vec<f64>,
    /// Quantity bought per demand block (t).
    pub demand: Vec<f64>,
    /// Quantity wanted at the choke price but not served, per demand block (t).
    pub unserved: Vec<f64>,
    /// Flow per route (t); zero for routes outside the working set.
    pub flow: Vec<f64>,
    /// Tariff per route at the final prices (USD/t).
    pub tariff: Vec<f64>,
    /// Levy per route at the final prices (USD/t).
    pub levy: Vec<f64>,
    /// Export tax per route at the final prices (USD/t), collected by the exporter.
    pub export_tax: Vec<f64>,
    /// Shadow price of each quota (USD/t; 0 when it does not bind).
    pub cap_rent: Vec<f64>,
    /// Routes in the final working set.
    pub working_set: Vec<usize>,
    /// Objective in USD: costs minus buyers' value.
    pub objective: f64,
    /// QP solves this period.
    pub solves: usize,
    /// Time in the solver.
    pub solver_time: Duration,
    /// Total time of the period's solve.
    pub total_time: Duration,
    /// The self-check of design §1.
    pub check: SelfCheck,
    /// Solves that were answered on a known active set without the QP solver.
    pub active_set_solves: usize,
    /// The final answer by column and row name, to start the next period from.
    pub warm: WarmStart,
}

/// The last answer of a search, as [`finish`] reads it.
pub(super) struct LastSolve<'a> {
    pub(super) built: &'a Built,
    /// Columns and row duals of the answer, in the QP's scaled units.
    pub(super) x: &'a [f64],
    pub(super) dual: &'a [f64],
    pub(super) status: SolveStatus,
    /// Whether the route and wedge loops converged.
    pub(super) converged: bool,
    /// The working set of routes.
    pub(super) in_set: &'a [bool],
}

/// What a search spent: its QP solves, those answered on a known active set, and time.
#[derive(Debug, Clone)]
pub(super) struct Effort {
    pub(super) started: Instant,
    pub(super) solves: usize,
    pub(super) active_set_solves: usize,
    pub(super) solver_time: Duration,
}

/// The outcome of the last answer: quantities cleaned of solver noise, prices recovered,
/// border charges at the final prices, the self-check run. Its `warm` answer is left empty
/// for the caller.
pub(super) fn finish(
    p: &MarketProblem,
    s: &Scaling,
    last: &LastSolve,
    effort: &Effort,
    tol: &Tolerances,
) -> MarketOutcome {
    let (b, x, dual) = (last.built, last.x, last.dual);
    let prices = node_prices(p, b, s, x, dual, tol);
    let q = quantities(p, b, s, x, dual, tol);
    let charges = border_charges(p, &prices);
    let cap_rent = cap_rents(p, b, s, dual);
    let objective = b.qp.objective(x) * s.w;
    let working_set: Vec<usize> = (0..p.routes.len()).filter(|&r| last.in_set[r]).collect();
    let mut out = MarketOutcome {
        status: last.status,
        converged: last.converged,
        prices,
        supply: q.supply,
        demand: q.demand,
        unserved: q.unserved,
        flow: q.flow,
        tariff: charges.tariff,
        levy: charges.levy,
        export_tax: charges.export_tax,
        cap_rent,
        working_set,
        objective,
        solves: effort.solves,
        solver_time: effort.solver_time,
        total_time: Duration::ZERO,
        check: SelfCheck::default(),
        active_set_solves: effort.active_set_solves,
        warm: WarmStart::default(),
    };
    out.check = self_check(p, &out);
    out.total_time = effort.started.elapsed();
    out
}

/// The quantities of an answer, in tonnes.
struct Quantities {
    supply: Vec<f64>,
    demand: Vec<f64>,
    unserved: Vec<f64>,
    flow: Vec<f64>,
}

/// Supply, demand, unserved demand and route flows of an answer in tonnes, within their
/// bounds; whatever noise is left (below `tol.noise` × the commodity's quantity scale) is
/// zero, and a route column the prices read as idle carries nothing.
fn quantities(
    p: &MarketProblem,
    b: &Built,
    s: &Scaling,
    x: &[f64],
    dual: &[f64],
    tol: &Tolerances,
) -> Quantities {
    let qs = |node: usize| s.qs[p.nodes[node].commodity];
    let clean = |v: f64, scale: f64| {
        if v.abs() <= tol.noise * scale.max(1.0) {
            0.0
        } else {
            v
        }
    };
    let supply: Vec<f64> = p
        .supply
        .iter()
        .enumerate()
        .map(|(k, blk)| {
            clean(
                (x[b.supply_col[k]] * qs(blk.node))
                    .max(0.0)
                    .min(blk.capacity.0.max(0.0)),
                qs(blk.node),
            )
        })
        .collect();
    let mut demand = Vec::with_capacity(p.demand.len());
    let mut unserved = Vec::with_capacity(p.demand.len());
    for (k, d) in p.demand.iter().enumerate() {
        let q = qs(d.node);
        let total: f64 = b.demand_cols[k]
            .iter()
            .zip(&d.curve.segments)
            .map(|(&j, g)| (x[j] * q).max(0.0).min(g.width.0.max(0.0)))
            .sum();
        demand.push(clean(total, q));
        let first = b.demand_cols[k]
            .first()
            .map(|&j| (x[j] * q).max(0.0))
            .unwrap_or(0.0);
        unserved.push(clean((d.curve.choke_width.0 - first).max(0.0), q));
    }
    let idle = idle_columns(p, b, s, x, dual, tol);
    let flow: Vec<f64> = p
        .routes
        .iter()
        .enumerate()
        .map(|(r, route)| {
            b.route_col[r]
                .filter(|&j| !idle[j])
                .map(|j| {
                    clean(
                        (x[j] * qs(route.from)).max(0.0),
                        s.qs[p.nodes[route.from].commodity],
                    )
                })
                .unwrap_or(0.0)
        })
        .collect();
    Quantities {
        supply,
        demand,
        unserved,
        flow,
    }
}

/// Tariff, levy and export tax per route at the final prices (USD/t).
struct Charges {
    tariff: Vec<f64>,
    levy: Vec<f64>,
    export_tax: Vec<f64>,
}

/// Each route's border charges at its origin's final price; a route from a node with no
/// price pays its specific tariff only.
fn border_charges(p: &MarketProblem, prices: &[Option<f64>]) -> Charges {
    let tariff: Vec<f64> = p
        .routes
        .iter()
        .map(|r| {
            prices[r.from]
                .map(|po| r.tariff_at(po))
                .unwrap_or(r.specific_tariff.0)
        })
        .collect();
    let levy: Vec<f64> = p
        .routes
        .iter()
        .map(|r| prices[r.from].map(|po| r.levy_at(po)).unwrap_or(0.0))
        .collect();
    let export_tax: Vec<f64> = p
        .routes
        .iter()
        .map(|r| prices[r.from].map(|po| r.export_tax_at(po)).unwrap_or(0.0))
        .collect();
    Charges {
        tariff,
        levy,
        export_tax,
    }
}

/// The QP of the outcome's final solve, in natural units (t, USD): what `--dump-lp` writes.
/// Re-solving it gives the outcome's objective.
pub fn natural_qp(p: &MarketProblem, out: &MarketOutcome) -> QpProblem {
    let mut in_set = vec![false; p.routes.len()];
    for &r in &out.working_set {
        in_set[r] = true;
    }
    let wedge: Vec<f64> = p
        .routes
        .iter()
        .enumerate()
        .map(|(r, route)| route.transport.0 + out.tariff[r] + out.levy[r])
        .collect();
    let support: Vec<f64> = p
        .supply
        .iter()
        .map(|b| block_support(b, out.prices[b.node]))
        .collect();
    let commodities = p.commodity_count();
    build_qp(
        p,
        &in_set,
        &wedge,
        &support,
        &Scaling::identity(commodities),
    )
    .qp
}
