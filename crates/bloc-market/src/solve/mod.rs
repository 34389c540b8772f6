//! Solving one period: the QP inside two loops that end together.
//!
//! * **Working set of routes** (design §7): at equilibrium few routes carry goods, so the QP
//!   holds only a working set; after each solve any route whose price gap exceeds its wedge
//!   (transport + tariff + levy, less any quota rent) joins, and the QP is solved again. The
//!   answer is exact: it ends only when no route outside the set would carry goods.
//! * **Price-dependent wedges**: an ad valorem tariff (on origin price + transport) and a
//!   lag-0 levy (`floor − landed price`) depend on the origin price, which is a dual of the
//!   same QP. They are found as a fixed point: solve with the wedges fixed, recompute them from
//!   the prices, repeat. Each route's wedge is updated by a safeguarded secant step on
//!   g(ω) = ω_new(p(ω)) − ω (a plain substitution when the residual grew or a step left
//!   the allowed range), which converges in a few solves where plain substitution crawls at
//!   the rate of the lagged levy path. Convergence is declared when every wedge moves by less
//!   than [`Tolerances::wedge`] × the commodity's price scale (or, once answers are
//!   polished and the residual has stopped falling, by less than 1e-7 of it); after
//!   [`Tolerances::max_rounds`] solves the outcome says it did not converge (a status,
//!   reported in `run.json` and on stderr, not a crash).
//!
//! Each round starts from the best answer known: last period's (or the previous round's)
//! exact answer gives an active set, solved exactly and checked optimal ([`crate::kkt`]);
//! failing that, the same from [`SolveOptions::guide`] (in a sweep, the same period of the
//! scenario as written); failing that, the QP solver on only the columns the known answer
//! is unsure about, polished and checked optimal for the whole problem; and only then the
//! QP solver on the whole problem. Every path ends in the same check, so the start changes
//! the time, not the answer.
//!
//! Prices of nodes that carry nothing are not pinned by the QP (any value in an interval is a
//! dual). They are reported as the cost of the first tonne delivered there (the cheapest of
//! producing it and bringing it in), which is the upper end of that interval, satisfies every
//! equilibrium condition, and is the price the node would show the moment it starts to trade.
//!
//! Where each part lives:
//!
//! | module | holds |
//! |---|---|
//! | this one | [`SolveOptions`], [`RouteStart`] and the driver loop [`solve_market`] |
//! | `warm` | [`WarmStart`] (an answer carried between periods) and the near solve around it |
//! | `fixed_point` | the safeguarded secant fixed point over wedges and supports |
//! | `polish` | polishing an interior-point answer onto its active set |
//! | `active_set` | the active-set search, its correction step and the optimality test |
//! | `prices` | prices from duals, quota rents, and the first-tonne price of idle nodes |
//! | `outcome` | [`MarketOutcome`], its assembly from the last solve, and [`natural_qp`] |
//! | `tolerances` | [`Tolerances`]: every tolerance and round limit of the search, with defaults and `validate` |

mod active_set;
mod fixed_point;
mod outcome;
mod polish;
mod prices;
mod tolerances;
mod warm;

pub use outcome::{natural_qp, MarketOutcome};
pub use warm::WarmStart;

use crate::build::{build_qp, Scaling};
use crate::problem::{Levy, MarketProblem};
use crate::qp::{QpSolver, SolveStatus, SolverError};
use active_set::active_set_from;
use fixed_point::{block_support, FixedPoint};
use outcome::finish;
use polish::{basic_x, polish};
use prices::{cap_rents, node_prices, raw_prices};
use std::collections::HashMap;
use std::time::{Duration, Instant};
pub use tolerances::Tolerances;
use warm::near_solve;

/// Quantities below this share of their commodity's scale are read as zero (the default of
/// [`Tolerances::noise`], which the self-check also reads).
pub const NOISE: f64 = Tolerances::DEFAULT.noise;

/// Which routes the first solve holds.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteStart {
    /// Every route (one big solve; the "cold" path).
    All,
    /// These routes (e.g. those that carried goods last period; the "warm" path).
    Set(Vec<usize>),
}

/// How to solve.
#[derive(Debug, Clone)]
pub struct SolveOptions {
    /// Routes in the first solve.
    pub start: RouteStart,
    /// Prices to start the wedge fixed point from (e.g. last period's), per node.
    pub price_guess: Option<Vec<Option<f64>>>,
    /// Every tolerance and round limit of the search ([`Tolerances::DEFAULT`] by default).
    pub tolerances: Tolerances,
    /// Last period's answer ([`MarketOutcome::warm`]): each round first tries the exact
    /// answer on the active set it suggests, and calls the QP solver only when that fails.
    pub warm: Option<WarmStart>,
    /// The answer of a similar market (in a sweep, the same period of the scenario as
    /// written): its routes that carried goods join the first working set, and the first
    /// round tries its active set when `warm`'s does not give the exact answer. Like `warm`,
    /// it only chooses where the search starts: the answer is checked optimal either way.
    pub guide: Option<WarmStart>,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            start: RouteStart::Set(Vec::new()),
            price_guess: None,
            tolerances: Tolerances::DEFAULT,
            warm: None,
            guide: None,
        }
    }
}

/// Solves one period's market.
pub fn solve_market(
    p: &MarketProblem,
    solver: &dyn QpSolver,
    opts: &SolveOptions,
) -> Result<MarketOutcome, SolverError> {
    let started = Instant::now();
    let tol = &opts.tolerances;
    if let Err(m) = tol.validate() {
        return Err(SolverError::Backend {
            solver: solver.name(),
            message: format!("invalid solve options: {m}"),
        });
    }
    let _span = tracing::debug_span!(
        "solve_market",
        nodes = p.nodes.len(),
        routes = p.routes.len(),
        solver = solver.name()
    )
    .entered();
    let scaling = Scaling::for_problem(p);
    let mut in_set = vec![false; p.routes.len()];
    match &opts.start {
        RouteStart::All => in_set.iter_mut().for_each(|v| *v = true),
        RouteStart::Set(s) => {
            let len = in_set.len();
            s.iter()
                .filter(|&&r| r < len)
                .for_each(|&r| in_set[r] = true)
        }
    }
    if let Some(g) = &opts.guide {
        let index: HashMap<&str, usize> = p
            .routes
            .iter()
            .enumerate()
            .map(|(r, route)| (route.name.as_str(), r))
            .collect();
        for name in g.carrying() {
            if let Some(&r) = index.get(name) {
                in_set[r] = true;
            }
        }
    }
    let guess = |n: usize| {
        opts.price_guess
            .as_ref()
            .and_then(|g| g.get(n).copied().flatten())
    };
    let mut wedges = FixedPoint::new(
        p.routes
            .iter()
            .map(|r| match (guess(r.from), r.levy) {
                (Some(po), _) => r.wedge_at(po),
                (None, Levy::ToFloor { .. }) => r.transport.0 + r.tariff_at(0.0),
                (None, _) => r.wedge_at(0.0),
            })
            .collect(),
    );
    let mut support = FixedPoint::new(
        p.supply
            .iter()
            .map(|b| block_support(b, guess(b.node)))
            .collect(),
    );
    let price_scale = p.commodity_price_scale();
    let mut solver_time = Duration::ZERO;
    let mut solves = 0;
    let mut last_residual = f64::INFINITY;
    let mut polish_each = false;
    let mut best_polished = f64::INFINITY;
    let mut stalled = 0usize;
    let mut carry = opts.warm.clone();
    // Whether `carry` is an exact answer (last period's final one, or a polished round's):
    // only near one is a QP of the columns it is unsure about worth trying.
    let mut carry_exact = carry.is_some();
    let mut exact_allowed = true;
    let mut active_set_solves = 0;
    loop {
        let built = build_qp(p, &in_set, &wedges.value, &support.value, &scaling);
        // From a known answer (last period's, or the previous round's), the exact answer on
        // the active set it suggests, checked optimal; else the QP solver.
        let exact_from = |w: &WarmStart| {
            let (x0, y0, set) = w.onto(&built, &scaling, p, tol);
            active_set_from(&built.qp, set, &x0, &y0, tol)
        };
        let mut exact = carry.as_ref().and_then(exact_from);
        if exact.is_none() && solves == 0 {
            exact = opts.guide.as_ref().and_then(exact_from);
        }
        let mut polished = exact.is_some();
        let mut sol = match exact {
            Some((x, row_dual)) => {
                active_set_solves += 1;
                crate::qp::QpSolution {
                    status: SolveStatus::Optimal,
                    objective: built.qp.objective(&x),
                    x,
                    row_dual,
                    iterations: 0,
                    time: Duration::ZERO,
                }
            }
            None => {
                // Where a known answer exists but its active set did not hold, the QP solver
                // first gets only the columns that answer is unsure about.
                let known = match &carry {
                    Some(w) if carry_exact => Some(w),
                    _ => opts.guide.as_ref().filter(|_| solves == 0),
                };
                let near = match known {
                    Some(w) => near_solve(&built, &scaling, p, w, &price_scale, solver, tol)?,
                    None => None,
                };
                match near {
                    Some(s) => {
                        polished = true;
                        s
                    }
                    None => solver.solve(&built.qp)?,
                }
            }
        };
        solves += 1;
        solver_time += sol.time;
        // Once the loops have converged on interior-point answers, every answer is polished
        // onto its active set, and the loops go on until they also hold on polished prices
        // (an ad valorem wedge moves with the origin price it is charged on).
        if polished {
            polish_each = true;
        } else if polish_each && sol.status.is_solved() {
            // Goods spread over tied routes are first gathered onto a forest of them (same
            // balances, same cost), so that the emptied routes go on their bound and the
            // active set's system is not singular.
            // When that does not polish, the answer as it came is tried.
            let x0 = basic_x(p, &built, &sol.x);
            let mut polished_answer = polish(&built.qp, &x0, &sol.row_dual, solver, tol)?;
            if polished_answer.is_none() && x0 != sol.x {
                polished_answer = polish(&built.qp, &sol.x, &sol.row_dual, solver, tol)?;
            }
            if let Some((x, y, t)) = polished_answer {
                solver_time += t;
                solves += 1;
                sol.x = x;
                sol.row_dual = y;
                polished = true;
            }
        }
        macro_rules! done {
            ($converged:expr) => {{
                let mut out = finish(
                    p,
                    &built,
                    &scaling,
                    &sol.x,
                    &sol.row_dual,
                    sol.status,
                    $converged,
                    &in_set,
                    solves,
                    solver_time,
                    started,
                    tol,
                );
                out.active_set_solves = active_set_solves;
                out.warm = WarmStart::of(
                    &built,
                    &scaling,
                    p,
                    &basic_x(p, &built, &sol.x),
                    &sol.row_dual,
                );
                out
            }};
        }
        if !sol.status.is_solved() {
            return Ok(done!(false));
        }
        // The loops work with the QP's own duals: they satisfy every condition of the routes
        // in the set, so a route outside it that would pay shows as a positive gap.
        let prices = raw_prices(p, &built, &scaling, &sol.row_dual);
        let rent = cap_rents(p, &built, &scaling, &sol.row_dual);
        let first_tonne = node_prices(p, &built, &scaling, &sol.x, &sol.row_dual, tol);
        // Wedge residuals on the routes in the set; violations outside it.
        let mut residual = 0.0f64;
        let mut added = false;
        let mut target = wedges.value.clone();
        let flow_of = |r: usize| built.route_col[r].map_or(0.0, |j| sol.x[j]);
        // Partial pricing: of the routes that would pay, only the most profitable into each
        // node and out of each node join. With many tied routes (equal transport costs from
        // many origins) adding every one would fill the set with routes that carry nothing.
        let mut best_into: Vec<Option<(usize, f64)>> = vec![None; p.nodes.len()];
        let mut best_from: Vec<Option<(usize, f64)>> = vec![None; p.nodes.len()];
        for (r, route) in p.routes.iter().enumerate() {
            let (Some(po), Some(pd)) = (prices[route.from], prices[route.to]) else {
                continue;
            };
            let scale = price_scale[p.nodes[route.from].commodity];
            let w_new = route.wedge_at(po);
            target[r] = w_new;
            let gap = pd - po - w_new - rent[r];
            if !in_set[r] {
                // The dual of a market that carries nothing may be anywhere in an interval
                // (an interior-point solver returns a point inside it); a route out of it pays
                // only from the interval's top, the cost of its first tonne.
                let po = po.max(first_tonne[route.from].unwrap_or(f64::INFINITY));
                let gap = pd - po - route.wedge_at(po) - rent[r];
                if gap > tol.wedge * scale {
                    let v = gap / scale;
                    for (best, node) in [(&mut best_into, route.to), (&mut best_from, route.from)] {
                        if best[node].is_none_or(|(_, b)| v > b) {
                            best[node] = Some((r, v));
                        }
                    }
                }
            } else if route.price_dependent() {
                if flow_of(r) > tol.noise {
                    // A route that carries goods: its wedge must have settled.
                    residual = residual.max((w_new - wedges.value[r]).abs() / scale);
                } else {
                    // An idle route: its origin price may be anywhere in an interval, so only
                    // ask that at the final wedge it would still not pay to use it.
                    residual = residual.max(gap.max(0.0) / scale);
                }
            }
        }
        for (r, _) in best_into.iter().chain(&best_from).flatten() {
            in_set[*r] = true;
            added = true;
        }
        let support_target: Vec<f64> = p
            .supply
            .iter()
            .map(|b| block_support(b, prices[b.node]))
            .collect();
        for (k, b) in p.supply.iter().enumerate() {
            if b.price_dependent() {
                let scale = price_scale[p.nodes[b.node].commodity];
                residual = residual.max((support_target[k] - support.value[k]).abs() / scale);
            }
        }
        let mut converged = residual <= tol.wedge.max(1e-7) * 0.1 && !added;
        if polish_each && !added {
            // On polished answers the residual can stall a little above the strict target
            // (the interior-point answers it starts from are only so precise): once it has
            // stopped falling for `stall_rounds` solves, a residual within `stall_accept` counts.
            if residual < best_polished * 0.5 {
                best_polished = residual;
                stalled = 0;
            } else {
                stalled += 1;
            }
            if stalled >= tol.stall_rounds && residual <= tol.stall_accept {
                converged = true;
            }
            // Exact answers can stall at a kink of the wedge (a route that sets its origin's
            // price, with the fixed point between two active sets): from there the rounds go
            // through the QP solver, whose answers are polished as before.
            if stalled >= tol.stall_rounds && polished && exact_allowed {
                exact_allowed = false;
                stalled = 0;
            }
        }
        tracing::debug!(
            solves,
            residual,
            added,
            routes = in_set.iter().filter(|&&v| v).count(),
            exact = polished,
            elapsed = ?started.elapsed(),
            "round"
        );
        if (converged && (polished || polish_each)) || solves >= tol.max_rounds {
            return Ok(done!(converged));
        }
        // Goods spread over tied routes are gathered onto a forest first: a cycle of free
        // routes would make the next exact solve singular.
        let basic = if polished {
            sol.x.clone()
        } else {
            basic_x(p, &built, &sol.x)
        };
        carry = exact_allowed.then(|| WarmStart::of(&built, &scaling, p, &basic, &sol.row_dual));
        carry_exact = polished;
        if !polished && (converged || (!polish_each && !added && residual <= tol.polish_from)) {
            // Converged (or close) on interior-point answers: from here on, polish every
            // answer.
            polish_each = true;
            continue;
        }
        let secant = residual < last_residual;
        last_residual = residual;
        wedges.step(
            &target,
            // Secant steps only where a route carries goods; an idle route's wedge just follows
            // its origin price, so that the wedge the QP sees is the one the check applies.
            |r| p.routes[r].price_dependent() && flow_of(r) > tol.noise,
            |r| {
                let route = &p.routes[r];
                let lo = route.transport.0 + route.specific_tariff.0;
                let hi = match route.levy {
                    Levy::ToFloor { cap, .. } => {
                        let po = prices[route.from].unwrap_or(0.0);
                        route.export_tax_at(po)
                            + route.transport.0
                            + route.tariff_at(po)
                            + cap.0
                            + 1e-9
                    }
                    _ => f64::INFINITY,
                };
                (lo, hi.max(lo))
            },
            secant,
        );
        support.step(
            &support_target,
            |k| p.supply[k].price_dependent(),
            // A contract's support turns negative above its upside price (the state's share).
            |k| match p.supply[k].subsidy {
                crate::problem::Subsidy::Contract { .. } => (f64::NEG_INFINITY, f64::INFINITY),
                _ => (0.0, f64::INFINITY),
            },
            secant,
        );
    }
}
