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
//!   than [`SolveOptions::tolerance`] × the commodity's price scale (or, once answers are
//!   polished and the residual has stopped falling, by less than 1e-7 of it); after
//!   [`SolveOptions::max_rounds`] solves the outcome says it did not converge (a status,
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

use crate::build::{build_qp, Built, Scaling};
use crate::check::{self_check, SelfCheck};
use crate::problem::{Levy, MarketProblem, Subsidy, SupplyBlock};
use crate::qp::{QpProblem, QpSolver, RowKind, SolveStatus, SolverError};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Quantities below this share of their commodity's scale are read as zero.
pub const NOISE: f64 = 1e-8;

/// Distance from a bound (in units of the commodity's quantity scale) within which a column
/// whose reduced cost pushes it onto the bound is put there.
pub const SNAP_DELTA: f64 = 1e-5;
/// Reduced cost (relative to the commodity's value scale) that counts as pushing.
pub const SNAP_EPS: f64 = 1e-5;

/// Wedge residual (relative) on interior-point answers from which every answer is polished.
const POLISH_FROM: f64 = 1e-6;
/// Solves without the polished residual halving after which the loops stop…
const STALL_ROUNDS: usize = 3;
/// …when the residual is within this (relative; 10× inside the 1e-6 the levy must meet).
const STALL_ACCEPT: f64 = 1e-7;

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
    /// Relative tolerance of the route and wedge loops.
    pub tolerance: f64,
    /// Most QP solves in one period.
    pub max_rounds: usize,
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
            tolerance: 1e-9,
            max_rounds: 200,
            warm: None,
            guide: None,
        }
    }
}

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

/// An answer keyed by the QP's column and row names, in natural units (t and USD/t), so that
/// it carries over to the next period's QP, whose columns, bounds, scales and working set
/// differ. A column remembers whether it sat on its lower or upper bound, so that it starts on
/// the same bound of the new problem (whose capacity or demand may have moved).
#[derive(Debug, Clone, Default)]
pub struct WarmStart {
    // Shared, not copied: a world keeps each period's answer for the next period, for the run's
    // `answers` and (in a sweep) as every sample's guide, and it never changes once made.
    cols: Arc<HashMap<String, (f64, Bound)>>,
    rows: Arc<HashMap<String, f64>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bound {
    Lower,
    Upper,
    Free,
}

impl WarmStart {
    /// The answer (x, y) of `b`'s QP.
    fn of(b: &Built, s: &Scaling, p: &MarketProblem, x: &[f64], y: &[f64]) -> Self {
        let (cs, rs) = natural_scales(p, b, s);
        let on = |v: f64, bound: f64| (v - bound).abs() <= 1e-12 * (1.0 + bound.abs());
        let cols: HashMap<_, _> =
            b.qp.cols
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let at = if on(x[j], c.lower) {
                        Bound::Lower
                    } else if c.upper.is_finite() && on(x[j], c.upper) {
                        Bound::Upper
                    } else {
                        Bound::Free
                    };
                    (c.name.clone(), (x[j] * cs[j], at))
                })
                .collect();
        let rows: HashMap<_, _> =
            b.qp.rows
                .iter()
                .enumerate()
                .map(|(i, r)| (r.name.clone(), y[i] * rs[i]))
                .collect();
        WarmStart {
            cols: Arc::new(cols),
            rows: Arc::new(rows),
        }
    }

    /// The names of the routes on which the answer carried goods.
    fn carrying(&self) -> impl Iterator<Item = &str> {
        self.cols
            .iter()
            .filter(|(_, &(v, _))| v > 0.0)
            .filter_map(|(name, _)| name.strip_prefix("f:"))
    }

    /// The answer as a starting point for `b`'s QP: values x and duals y, and the columns it
    /// puts on a bound: those that sat on one, and those within reach of one that their
    /// reduced cost pushes onto it (a column or row it does not know starts at zero).
    #[allow(clippy::type_complexity)]
    fn onto(
        &self,
        b: &Built,
        s: &Scaling,
        p: &MarketProblem,
    ) -> (Vec<f64>, Vec<f64>, Vec<Option<f64>>) {
        let (cs, rs) = natural_scales(p, b, s);
        let mut x: Vec<f64> = Vec::with_capacity(b.qp.cols.len());
        let mut known = Vec::with_capacity(b.qp.cols.len());
        for (j, c) in b.qp.cols.iter().enumerate() {
            match self.cols.get(&c.name) {
                Some(&(v, at)) => {
                    let v = match at {
                        Bound::Lower => c.lower,
                        Bound::Upper if c.upper.is_finite() => c.upper,
                        // max/min, not clamp: clamp panics on a NaN bound.
                        _ => (v / cs[j]).max(c.lower).min(c.upper),
                    };
                    x.push(v);
                    known.push(Some(at));
                }
                None => {
                    x.push(c.lower.max(0.0).min(c.upper));
                    known.push(None);
                }
            }
        }
        let y: Vec<f64> =
            b.qp.rows
                .iter()
                .enumerate()
                .map(|(i, r)| self.rows.get(&r.name).map_or(0.0, |v| v / rs[i]))
                .collect();
        let snapped = b.qp.snap_to_bounds(&x, &y, SNAP_DELTA, SNAP_EPS);
        let set =
            b.qp.cols
                .iter()
                .zip(known)
                .zip(snapped)
                .map(|((c, k), snap)| match k {
                    Some(Bound::Lower) => Some(c.lower),
                    Some(Bound::Upper) if c.upper.is_finite() => Some(c.upper),
                    _ => snap,
                })
                .collect();
        (x, y, set)
    }
}

/// The commodity of each QP column (a supply block's output, a buyer's, a route's).
fn column_commodities(p: &MarketProblem, b: &Built) -> Vec<Option<usize>> {
    let mut commodity = vec![None; b.qp.cols.len()];
    for (k, blk) in p.supply.iter().enumerate() {
        commodity[b.supply_col[k]] = Some(p.nodes[blk.node].commodity);
    }
    for (k, d) in p.demand.iter().enumerate() {
        for &j in &b.demand_cols[k] {
            commodity[j] = Some(p.nodes[d.node].commodity);
        }
    }
    for (r, route) in p.routes.iter().enumerate() {
        if let Some(j) = b.route_col[r] {
            commodity[j] = Some(p.nodes[route.from].commodity);
        }
    }
    commodity
}

/// Per column, tonnes per QP unit; per row, USD/t per unit of its dual.
fn natural_scales(p: &MarketProblem, b: &Built, s: &Scaling) -> (Vec<f64>, Vec<f64>) {
    let qs = |node: usize| s.qs.get(p.nodes[node].commodity).copied().unwrap_or(1.0);
    let cs: Vec<f64> = column_commodities(p, b)
        .iter()
        .map(|c| c.and_then(|c| s.qs.get(c).copied()).unwrap_or(1.0))
        .collect();
    let mut rs = vec![s.w; b.qp.rows.len()];
    for (n, row) in b.balance_row.iter().enumerate() {
        if let Some(i) = *row {
            rs[i] = s.w / qs(n);
        }
    }
    for (g, cap) in p.caps.iter().enumerate() {
        if let (Some(i), Some(&r0)) = (b.cap_row[g], cap.routes.first()) {
            rs[i] = s.w / qs(p.routes[r0].from);
        }
    }
    (cs, rs)
}

/// Values found as a fixed point (route wedges, block supports), each updated by a
/// safeguarded secant step on g(v) = target(p(v)) − v.
struct FixedPoint {
    value: Vec<f64>,
    prev: Vec<Option<(f64, f64)>>,
}

impl FixedPoint {
    fn new(value: Vec<f64>) -> Self {
        let n = value.len();
        FixedPoint {
            value,
            prev: vec![None; n],
        }
    }

    /// Moves every value towards its target; `bounds(i)` is the range a secant step may land
    /// in (outside it, or when `secant` is false, the plain substitution v = target is used).
    fn step(
        &mut self,
        target: &[f64],
        dependent: impl Fn(usize) -> bool,
        bounds: impl Fn(usize) -> (f64, f64),
        secant: bool,
    ) {
        for (i, (&t, prev)) in target.iter().zip(self.prev.iter_mut()).enumerate() {
            let v = self.value[i];
            let g = t - v;
            let mut next = t;
            if secant && dependent(i) {
                if let Some((v0, g0)) = *prev {
                    if (g - g0).abs() > 1e-300 && (v - v0).abs() > 1e-300 {
                        let s = v - g * (v - v0) / (g - g0);
                        let (lo, hi) = bounds(i);
                        if s.is_finite() && s >= lo && s <= hi {
                            next = s;
                        }
                    }
                }
            }
            *prev = Some((v, g));
            self.value[i] = next;
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
    let price_scale = commodity_price_scale(p, &scaling);
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
            let (x0, y0, set) = w.onto(&built, &scaling, p);
            active_set_from(&built.qp, set, &x0, &y0)
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
                    Some(w) => near_solve(&built, &scaling, p, w, &price_scale, solver)?,
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
        } else if polish_each
            && matches!(
                sol.status,
                SolveStatus::Optimal | SolveStatus::AlmostOptimal
            )
        {
            // Goods spread over tied routes are first gathered onto a forest of them (same
            // balances, same cost), so that the emptied routes go on their bound and the
            // active set's system is not singular.
            // When that does not polish, the answer as it came is tried.
            let x0 = basic_x(p, &built, &sol.x);
            let mut polished_answer = polish(&built.qp, &x0, &sol.row_dual, solver)?;
            if polished_answer.is_none() && x0 != sol.x {
                polished_answer = polish(&built.qp, &sol.x, &sol.row_dual, solver)?;
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
        if !matches!(
            sol.status,
            SolveStatus::Optimal | SolveStatus::AlmostOptimal
        ) {
            return Ok(done!(false));
        }
        // The loops work with the QP's own duals: they satisfy every condition of the routes
        // in the set, so a route outside it that would pay shows as a positive gap.
        let prices = raw_prices(p, &built, &scaling, &sol.row_dual);
        let rent = cap_rents(p, &built, &scaling, &sol.row_dual);
        let first_tonne = node_prices(p, &built, &scaling, &sol.x, &sol.row_dual);
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
                if gap > opts.tolerance * scale {
                    let v = gap / scale;
                    for (best, node) in [(&mut best_into, route.to), (&mut best_from, route.from)] {
                        if best[node].is_none_or(|(_, b)| v > b) {
                            best[node] = Some((r, v));
                        }
                    }
                }
            } else if route.price_dependent() {
                if flow_of(r) > NOISE {
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
        let mut converged = residual <= opts.tolerance.max(1e-7) * 0.1 && !added;
        if polish_each && !added {
            // On polished answers the residual can stall a little above the strict target
            // (the interior-point answers it starts from are only so precise): once it has
            // stopped falling for STALL_ROUNDS solves, a residual within STALL_ACCEPT counts.
            if residual < best_polished * 0.5 {
                best_polished = residual;
                stalled = 0;
            } else {
                stalled += 1;
            }
            if stalled >= STALL_ROUNDS && residual <= STALL_ACCEPT {
                converged = true;
            }
            // Exact answers can stall at a kink of the wedge (a route that sets its origin's
            // price, with the fixed point between two active sets): from there the rounds go
            // through the QP solver, whose answers are polished as before.
            if stalled >= STALL_ROUNDS && polished && exact_allowed {
                exact_allowed = false;
                stalled = 0;
            }
        }
        if std::env::var_os("BLOC_TRACE").is_some() {
            eprintln!(
                "solve {solves}: residual {residual:.3e}, added {added}, routes {}, exact {polished}, time {:?}",
                in_set.iter().filter(|&&v| v).count(), started.elapsed()
            );
        }
        if (converged && (polished || polish_each)) || solves >= opts.max_rounds {
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
        if !polished && (converged || (!polish_each && !added && residual <= POLISH_FROM)) {
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
            |r| p.routes[r].price_dependent() && flow_of(r) > NOISE,
            |r| {
                let route = &p.routes[r];
                let lo = route.transport.0 + route.specific_tariff.0;
                let hi = match route.levy {
                    Levy::ToFloor { cap, .. } => {
                        route.transport.0
                            + route.tariff_at(prices[route.from].unwrap_or(0.0))
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
            |_| (0.0, f64::INFINITY),
            secant,
        );
    }
}

/// Reduced cost (USD/t, as a share of the commodity's price scale) beyond which a column that
/// a known answer puts on a bound is held there in [`near_solve`]. Measured on the world
/// sweep benchmark (`bloc sweep bench`, 20 samples, 2 cores): 0.03 gave 1.32 samples/s,
/// 0.1 1.40, 0.2 1.35, 0.3 1.44–1.56, 0.4 1.52–1.56, 0.6 1.50, 1.5 1.14. Smaller holds more
/// columns (smaller QPs) but more often holds one the new answer moves off, and the whole
/// QP is solved after all.
const FAR: f64 = 0.4;

/// The QP solved near a known answer `w` whose active set did not hold: the columns `w` puts
/// on a bound with a reduced cost that pushes them there by more than [`FAR`] of their
/// commodity's price scale (demand segments far above or below the price, plants far below
/// or above it, routes far from paying) are held there, the QP solver solves the rest, and
/// the answer is polished onto its active set. It is kept only when that exact answer is
/// optimal for the whole problem (held columns included: [`optimal`]), else `None`, and the
/// caller solves the whole QP.
fn near_solve(
    b: &Built,
    s: &Scaling,
    p: &MarketProblem,
    w: &WarmStart,
    price_scale: &[f64],
    solver: &dyn QpSolver,
) -> Result<Option<crate::qp::QpSolution>, SolverError> {
    let qp = &b.qp;
    let (x0, y0, set) = w.onto(b, s, p);
    let rc = qp.reduced_costs(&x0, &y0);
    let (cs, _) = natural_scales(p, b, s);
    let commodity = column_commodities(p, b);
    // Holding columns on their upper bounds (plants at capacity, buyers served in full) can
    // leave the rest unable to balance when the market has moved since `w` (less capacity,
    // a route closed): then only the columns on their lower bounds are held.
    let mut attempt = None;
    for upper_too in [true, false] {
        let mut held: Vec<Option<f64>> = (0..qp.cols.len())
            .map(|j| {
                let far = commodity[j].map(|c| FAR * price_scale[c] * cs[j] / s.w)?;
                let c = &qp.cols[j];
                match set[j] {
                    Some(v) if v == c.lower && rc[j] > far => Some(v),
                    Some(v) if upper_too && v == c.upper && rc[j] < -far => Some(v),
                    _ => None,
                }
            })
            .collect();
        if held.iter().all(Option::is_none) {
            return Ok(None);
        }
        // A row whose columns would all be held keeps them free (held, it could not
        // balance).
        let mut row_free = vec![false; qp.rows.len()];
        for &(i, j, _) in &qp.entries {
            if held[j].is_none() {
                row_free[i] = true;
            }
        }
        for &(i, j, _) in &qp.entries {
            if !row_free[i] {
                held[j] = None;
            }
        }
        let (reduced, keep) = qp.fix_columns(&held);
        let sol = solver.solve(&reduced)?;
        if std::env::var_os("BLOC_TRACE").is_some() {
            eprintln!(
                "near: {} of {} columns, {:?} in {} iterations, {:?}",
                reduced.cols.len(),
                qp.cols.len(),
                sol.status,
                sol.iterations,
                sol.time,
            );
        }
        if sol.status == SolveStatus::Optimal {
            attempt = Some((held, keep, sol));
            break;
        }
        if sol.status != SolveStatus::Infeasible {
            return Ok(None);
        }
    }
    let Some((held, keep, sol)) = attempt else {
        return Ok(None);
    };
    let mut x: Vec<f64> = held.iter().map(|h| h.unwrap_or(0.0)).collect();
    for (k, &j) in keep.iter().enumerate() {
        x[j] = sol.x[k];
    }
    let polished = polish(qp, &basic_x(p, b, &x), &sol.row_dual, solver)?;
    if std::env::var_os("BLOC_TRACE").is_some() {
        eprintln!("near: polished {}", polished.is_some());
    }
    let Some((x, y, t)) = polished else {
        return Ok(None);
    };
    Ok(Some(crate::qp::QpSolution {
        status: SolveStatus::Optimal,
        objective: qp.objective(&x),
        x,
        row_dual: y,
        iterations: sol.iterations,
        time: sol.time + t,
    }))
}

/// The QP's answer with its route columns rewritten as a basic flow ([`crate::basic`]).
fn basic_x(p: &MarketProblem, b: &Built, x: &[f64]) -> Vec<f64> {
    let mut flow: Vec<f64> = b
        .route_col
        .iter()
        .map(|j| j.map_or(0.0, |j| x[j].max(0.0)))
        .collect();
    crate::basic::to_forest(p, &mut flow);
    let mut out = x.to_vec();
    for (r, j) in b.route_col.iter().enumerate() {
        if let Some(j) = *j {
            if x[j] > 0.0 {
                out[j] = flow[r];
            }
        }
    }
    out
}

/// Polishing: an interior-point answer leaves every column that belongs on a bound a hair off
/// it. Columns within [`SNAP_DELTA`] of a bound that their reduced cost pushes onto are fixed
/// there and the rest is solved again, so that those columns are exactly on their bounds and
/// every balance still holds. The polished answer is kept only when it is optimal for the
/// whole problem (every fixed column's reduced cost still pushes it onto its bound, every
/// free one within its bounds); otherwise `None` and the unpolished answer stands.
#[allow(clippy::type_complexity)]
fn polish(
    qp: &QpProblem,
    x: &[f64],
    y: &[f64],
    solver: &dyn QpSolver,
) -> Result<Option<(Vec<f64>, Vec<f64>, Duration)>, SolverError> {
    // Fixing fewer columns (only those whose reduced cost is clearly away from zero) is
    // tried when fixing all of them proves inconsistent.
    let mut time = Duration::ZERO;
    for eps in [SNAP_EPS, SNAP_EPS * 100.0, SNAP_EPS * 10_000.0] {
        if let Some((x, y, t)) = polish_with(qp, x, y, solver, eps)? {
            return Ok(Some((x, y, time + t)));
        }
        time += Duration::ZERO;
    }
    Ok(None)
}

#[allow(clippy::type_complexity)]
fn polish_with(
    qp: &QpProblem,
    x: &[f64],
    y: &[f64],
    solver: &dyn QpSolver,
    eps: f64,
) -> Result<Option<(Vec<f64>, Vec<f64>, Duration)>, SolverError> {
    let fixed = qp.snap_to_bounds(x, y, SNAP_DELTA, eps);
    if fixed.iter().all(Option::is_none) {
        return Ok(None);
    }
    let trace = std::env::var_os("BLOC_TRACE").is_some();
    // First straight from the interior-point answer to the active set's exact solution,
    // correcting the active set a few times: a free column the exact solution leaves a hair
    // from a bound that its reduced cost pushes onto goes on the bound; a fixed column whose
    // reduced cost pulls it off is freed.
    if let Some((xe, ye)) = exact_on_active_set(qp, fixed.clone(), x, y, ACTIVE_SET_ROUNDS, trace) {
        return Ok(Some((xe, ye, Duration::ZERO)));
    }
    // Else re-solve the problem with those columns fixed, and from that answer try again.
    let (reduced, keep) = qp.fix_columns(&fixed);
    let sol = solver.solve(&reduced)?;
    if sol.status != SolveStatus::Optimal {
        if trace {
            eprintln!("polish: status {:?}", sol.status);
        }
        return Ok(None);
    }
    let mut full: Vec<f64> = fixed.iter().map(|f| f.unwrap_or(0.0)).collect();
    for (k, &j) in keep.iter().enumerate() {
        full[j] = sol.x[k];
    }
    // A row that no free column touches gets no dual from the reduced solve (any value
    // would do there): it keeps the interior-point dual, which is one of the valid ones.
    let mut row_free = vec![false; qp.rows.len()];
    for &(i, j, _) in &qp.entries {
        if fixed[j].is_none() {
            row_free[i] = true;
        }
    }
    let dual: Vec<f64> = (0..qp.rows.len())
        .map(|i| if row_free[i] { sol.row_dual[i] } else { y[i] })
        .collect();
    if let Some((xe, ye)) = crate::kkt::solve_active_set(qp, &fixed, &full, &dual, SNAP_DELTA) {
        if optimal(qp, &xe, &ye, &fixed, false) {
            return Ok(Some((xe, ye, sol.time)));
        }
    }
    if !optimal(qp, &full, &dual, &fixed, trace) {
        return Ok(None);
    }
    Ok(Some((full, dual, sol.time)))
}

/// Reduced cost (in the scaled QP's units) a column on its bound may have against it, and a
/// free column at all, for a polished answer to count as optimal. Small, because one unit of
/// the scaled QP can be many USD/t for a commodity of high value and small tonnage.
const RC_TOL: f64 = 1e-9;

/// Rounds of active-set correction after the first exact solve.
const ACTIVE_SET_ROUNDS: usize = 6;

/// Rounds of a warm start's active-set search before the QP solver is called instead.
const WARM_ROUNDS: usize = 8;

/// The exact answer of `qp` from an approximate one (last period's, or the previous round's):
/// the columns `set` puts on their bounds are fixed there, the rest solved exactly
/// ([`crate::kkt`]), and the active set corrected from the answer's reduced costs until the
/// answer is optimal for the whole problem ([`optimal`]), or `None` after [`WARM_ROUNDS`].
fn active_set_from(
    qp: &QpProblem,
    set: Vec<Option<f64>>,
    x: &[f64],
    y: &[f64],
) -> Option<(Vec<f64>, Vec<f64>)> {
    if qp.cols.is_empty() {
        return None;
    }
    exact_on_active_set(qp, set, x, y, WARM_ROUNDS, false)
}

/// A primal–dual active-set search: solve on `set`, stop when optimal, else correct the set
/// and the hints from the answer ([`correct_active_set`]), at most `rounds` times.
fn exact_on_active_set(
    qp: &QpProblem,
    mut set: Vec<Option<f64>>,
    x: &[f64],
    y: &[f64],
    rounds: usize,
    trace: bool,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let mut xh = x.to_vec();
    let mut yh = y.to_vec();
    for _ in 0..rounds {
        let (xe, ye) = crate::kkt::solve_active_set(qp, &set, &xh, &yh, SNAP_DELTA)?;
        if optimal(qp, &xe, &ye, &set, trace) {
            return Some((xe, ye));
        }
        if !correct_active_set(qp, &xe, &ye, &mut set, &mut xh, &mut yh) {
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
) -> bool {
    let rc = qp.reduced_costs(x, y);
    let tol = RC_TOL;
    let inside = 10.0 * SNAP_DELTA;
    let mut changed = false;
    for (j, c) in qp.cols.iter().enumerate() {
        let at_lo = x[j] - c.lower <= SNAP_DELTA;
        let at_up = c.upper.is_finite() && c.upper - x[j] <= SNAP_DELTA;
        match set[j] {
            None => {
                if at_lo && rc[j] > tol {
                    set[j] = Some(c.lower);
                    changed = true;
                } else if at_up && rc[j] < -tol {
                    set[j] = Some(c.upper);
                    changed = true;
                } else if at_lo && rc[j] < -tol && xh[j] - c.lower <= SNAP_DELTA {
                    xh[j] = c.lower + inside;
                    changed = true;
                } else if at_up && rc[j] > tol && c.upper - xh[j] <= SNAP_DELTA {
                    xh[j] = c.upper - inside;
                    changed = true;
                } else {
                    xh[j] = x[j];
                }
            }
            Some(v) => {
                let on_lo = v == c.lower;
                let on_up = v == c.upper;
                if on_lo && !on_up && rc[j] < -tol {
                    set[j] = None;
                    xh[j] = c.lower + inside;
                    changed = true;
                } else if on_up && !on_lo && rc[j] > tol {
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
            if (act[i] - r.rhs).abs() > BALANCE_TOL * (1.0 + r.rhs.abs()) {
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
        } else if binding && y[i] > tol {
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
fn optimal(qp: &QpProblem, full: &[f64], dual: &[f64], fixed: &[Option<f64>], trace: bool) -> bool {
    let rc = qp.reduced_costs(full, dual);
    let tol = RC_TOL;
    for (j, c) in qp.cols.iter().enumerate() {
        let v = full[j];
        let at_lo = v <= c.lower + 1e-12 * (1.0 + c.lower.abs());
        let at_up = c.upper.is_finite() && v >= c.upper - 1e-12 * (1.0 + c.upper.abs());
        let ok = v >= c.lower - SNAP_DELTA
            && v <= c.upper + SNAP_DELTA
            && match (at_lo, at_up) {
                (true, true) => true,
                (true, false) => rc[j] >= -tol,
                (false, true) => rc[j] <= tol,
                (false, false) => rc[j].abs() <= tol,
            };
        if !ok {
            if trace {
                eprintln!(
                    "polish: column {} fixed {:?} rc {:e} x {:e} [{}, {}]",
                    c.name, fixed[j], rc[j], v, c.lower, c.upper
                );
            }
            return false;
        }
    }
    let act = qp.activities(full);
    for (i, r) in qp.rows.iter().enumerate() {
        let off = (act[i] - r.rhs).abs() > BALANCE_TOL * (1.0 + r.rhs.abs());
        let bad = match r.kind {
            RowKind::Le => act[i] > r.rhs + BALANCE_TOL * (1.0 + r.rhs.abs()) || dual[i] > tol,
            RowKind::Eq => off,
        };
        if bad {
            if trace {
                eprintln!(
                    "polish: row {} activity {:e} rhs {:e}",
                    r.name, act[i], r.rhs
                );
            }
            return false;
        }
    }
    true
}

/// Largest row violation (scaled QP units, relative to 1 + |rhs|) of a polished answer.
const BALANCE_TOL: f64 = 1e-9;

/// The support a block is solved with when its node's price is `p` (`None`: unknown yet).
fn block_support(b: &SupplyBlock, p: Option<f64>) -> f64 {
    match b.subsidy {
        Subsidy::PaidAt(v) => v.0,
        Subsidy::TopUpTo(_) => p.map(|p| b.subsidy_at(p)).unwrap_or(0.0),
        _ => b.subsidy_at(0.0),
    }
}

/// A price scale per commodity (USD/t) for relative tolerances.
fn commodity_price_scale(p: &MarketProblem, s: &Scaling) -> Vec<f64> {
    let mut ps = vec![1.0f64; s.commodities()];
    for b in &p.supply {
        let c = p.nodes[b.node].commodity;
        ps[c] = ps[c].max(b.unit_cost.0);
    }
    for d in &p.demand {
        let c = p.nodes[d.node].commodity;
        ps[c] = ps[c].max(d.curve.top().unwrap_or(0.0) / 10.0);
    }
    ps
}

/// Quota rents (USD/t) per route: the sum of the rents of the quotas covering it.
fn cap_rents(p: &MarketProblem, b: &Built, s: &Scaling, dual: &[f64]) -> Vec<f64> {
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
fn raw_prices(p: &MarketProblem, b: &Built, s: &Scaling, dual: &[f64]) -> Vec<Option<f64>> {
    (0..p.nodes.len())
        .map(|n| b.balance_row[n].map(|i| dual[i] * s.w / s.qs[p.nodes[n].commodity]))
        .collect()
}

/// Columns a hair above zero whose reduced cost says they belong at zero: within
/// [`SNAP_DELTA`] of zero, with a reduced cost above [`SNAP_EPS`] of their commodity's price
/// scale in USD/t (the scaled QP's units are not comparable across commodities: one unit of
/// a commodity of small tonnage and high value is many USD/t). They carry nothing.
fn idle_columns(p: &MarketProblem, b: &Built, s: &Scaling, x: &[f64], dual: &[f64]) -> Vec<bool> {
    let rc = b.qp.reduced_costs(x, dual);
    let price_scale = commodity_price_scale(p, s);
    let commodity = column_commodities(p, b);
    (0..b.qp.cols.len())
        .map(|j| {
            let usd = match commodity[j] {
                Some(c) => rc[j] * s.w / s.qs[c] / price_scale[c],
                None => rc[j],
            };
            x[j] < SNAP_DELTA && (rc[j] > SNAP_EPS || usd > SNAP_EPS)
        })
        .collect()
}

/// Prices: the balance duals where a node carries goods, else the cost of the first tonne.
fn node_prices(
    p: &MarketProblem,
    b: &Built,
    s: &Scaling,
    x: &[f64],
    dual: &[f64],
) -> Vec<Option<f64>> {
    let n = p.nodes.len();
    let mut inflow = vec![0.0f64; n];
    let mut scale = vec![0.0f64; n];
    // A column a hair above zero whose reduced cost says it belongs at zero carries nothing:
    // it must not make its market look active (whose price would then be any point of a
    // degenerate interval instead of the cost of its first tonne).
    let idle = idle_columns(p, b, s, x, dual);
    let x: Vec<f64> = x
        .iter()
        .zip(&idle)
        .map(|(&v, &i)| if i { 0.0 } else { v })
        .collect();
    for (k, blk) in p.supply.iter().enumerate() {
        if !blk.sold_to_state {
            inflow[blk.node] += x[b.supply_col[k]] * s.qs[p.nodes[blk.node].commodity];
        }
        scale[blk.node] = scale[blk.node].max(blk.capacity.0);
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
                c += coef * price[inp].unwrap_or(f64::INFINITY);
            }
            if c < best[blk.node] - 1e-12 * c.abs() {
                best[blk.node] = c;
                changed = true;
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
    // Markets nothing can reach: their price lies at or above every buyer's highest
    // willingness to pay there (nobody buys) and high enough that no route out of them would
    // pay (p_dest ≤ p + wedge). The lowest such price, found upwards from the buyers' tops.
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

#[allow(clippy::too_many_arguments)]
fn finish(
    p: &MarketProblem,
    b: &Built,
    s: &Scaling,
    x: &[f64],
    dual: &[f64],
    status: SolveStatus,
    converged: bool,
    in_set: &[bool],
    solves: usize,
    solver_time: Duration,
    started: Instant,
) -> MarketOutcome {
    let qs = |node: usize| s.qs[p.nodes[node].commodity];
    // Whatever noise is left: below NOISE × the commodity's quantity scale a quantity is zero.
    let clean = |v: f64, scale: f64| {
        if v.abs() <= NOISE * scale.max(1.0) {
            0.0
        } else {
            v
        }
    };
    let prices = node_prices(p, b, s, x, dual);
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
        let width: f64 = d.curve.segments.iter().map(|g| g.width.0).sum();
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
        let _ = width;
    }
    let idle = idle_columns(p, b, s, x, dual);
    let idle_col = |j: usize| idle[j];
    let flow: Vec<f64> = p
        .routes
        .iter()
        .enumerate()
        .map(|(r, route)| {
            b.route_col[r]
                .filter(|&j| !idle_col(j))
                .map(|j| {
                    clean(
                        (x[j] * qs(route.from)).max(0.0),
                        s.qs[p.nodes[route.from].commodity],
                    )
                })
                .unwrap_or(0.0)
        })
        .collect();
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
    let cap_rent = cap_rents(p, b, s, dual);
    let objective = b.qp.objective(x) * s.w;
    let working_set: Vec<usize> = (0..p.routes.len()).filter(|&r| in_set[r]).collect();
    let mut out = MarketOutcome {
        status,
        converged,
        prices,
        supply,
        demand,
        unserved,
        flow,
        tariff,
        levy,
        cap_rent,
        working_set,
        objective,
        solves,
        solver_time,
        total_time: Duration::ZERO,
        check: SelfCheck::default(),
        active_set_solves: 0,
        warm: WarmStart::default(),
    };
    out.check = self_check(p, &out);
    out.total_time = started.elapsed();
    out
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
    let commodities = p.nodes.iter().map(|n| n.commodity + 1).max().unwrap_or(0);
    build_qp(
        p,
        &in_set,
        &wedge,
        &support,
        &Scaling::identity(commodities),
    )
    .qp
}
