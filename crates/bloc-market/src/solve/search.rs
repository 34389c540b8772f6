//! The driver loop of one period's solve: a [`Search`] over rounds, each of the same named
//! steps, in a [`Phase`] that only moves forward.
//!
//! A round:
//! 1. **answer** the QP of the working set at the current wedges and supports: the exact
//!    answer on the active set a known answer suggests, else the QP solver near that answer,
//!    else the QP solver on the whole problem ([`Search::answer`]);
//! 2. **polish** an interior-point answer onto its active set, once the phase asks for it
//!    ([`Search::polish`]);
//! 3. **price the routes**: every route outside the set that would pay is a candidate, the
//!    most profitable into and out of each node join; the routes in the set give the wedge
//!    residual ([`Search::price_routes`]), the supports theirs ([`Search::support_targets`]);
//! 4. **judge** convergence, with the stall rule of polished answers ([`Convergence::judge`]);
//! 5. **step** the wedges and supports towards their targets by a safeguarded secant step
//!    ([`Search::step`]).
//!
//! The phase moves from [`Phase::Rough`] (interior-point answers as they come) to
//! [`Phase::Polish`] (every answer polished, known exact answers tried first) and, where exact
//! answers stall at a kink of a wedge, to [`Phase::PolishQp`] (polished answers through the
//! QP solver only).

use super::active_set::active_set_from;
use super::fixed_point::{block_support, FixedPoint};
use super::outcome::{finish, Effort, LastSolve};
use super::polish::{basic_x, polish};
use super::prices::{cap_rents, node_prices, raw_prices};
use super::warm::near_solve;
use super::{MarketOutcome, RouteStart, SolveOptions, Tolerances, WarmStart};
use crate::build::{build_qp, Built, Scaling};
use crate::problem::{Levy, MarketProblem, Subsidy};
use crate::qp::{QpSolution, QpSolver, SolveStatus, SolverError};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Which answers a round takes. The phase only moves forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Interior-point answers are taken as they come, while the working set and the wedges
    /// still move a lot.
    Rough,
    /// Every answer is polished onto its active set, and a known exact answer is tried first.
    Polish,
    /// Polished answers through the QP solver only: exact answers stalled at a kink of a
    /// wedge (a route that sets its origin's price, the fixed point between two active sets).
    PolishQp,
}

impl Phase {
    /// Whether every answer is polished.
    fn polishes(self) -> bool {
        self != Phase::Rough
    }

    /// Whether a round may start from the exact answer a known active set gives.
    fn exact_allowed(self) -> bool {
        self != Phase::PolishQp
    }

    /// From rough answers to polished ones (no change once polishing).
    fn polish(&mut self) {
        if *self == Phase::Rough {
            *self = Phase::Polish;
        }
    }
}

/// The convergence test, with the memory the stall rule needs.
#[derive(Debug, Clone)]
pub(super) struct Convergence {
    /// The smallest residual of a polished round so far.
    best_polished: f64,
    /// Polished rounds since the residual last halved.
    stalled: usize,
    /// The residual of the round before, for the secant's safeguard.
    last_residual: f64,
}

impl Convergence {
    pub(super) fn new() -> Self {
        Convergence {
            best_polished: f64::INFINITY,
            stalled: 0,
            last_residual: f64::INFINITY,
        }
    }

    /// Whether a round with this `residual` (and routes `added` or not) has converged; may
    /// move `phase` from [`Phase::Polish`] to [`Phase::PolishQp`].
    ///
    /// Converged is a residual within a tenth of the wedge tolerance (at least 1e-7) with no
    /// route added. On polished answers the residual can stall a little above that (the
    /// interior-point answers it starts from are only so precise): once it has not halved for
    /// `stall_rounds` rounds, a residual within `stall_accept` counts. Exact answers that stall
    /// so hand the rounds to the QP solver (whose answers are polished as before).
    pub(super) fn judge(
        &mut self,
        phase: &mut Phase,
        residual: f64,
        added: bool,
        polished: bool,
        tol: &Tolerances,
    ) -> bool {
        let mut converged = residual <= tol.wedge.max(1e-7) * 0.1 && !added;
        if phase.polishes() && !added {
            if residual < self.best_polished * 0.5 {
                self.best_polished = residual;
                self.stalled = 0;
            } else {
                self.stalled += 1;
            }
            if self.stalled >= tol.stall_rounds && residual <= tol.stall_accept {
                converged = true;
            }
            if self.stalled >= tol.stall_rounds && polished && phase.exact_allowed() {
                *phase = Phase::PolishQp;
                self.stalled = 0;
            }
        }
        converged
    }

    /// Whether the secant may step: the residual fell since the round before.
    fn secant(&mut self, residual: f64) -> bool {
        let secant = residual < self.last_residual;
        self.last_residual = residual;
        secant
    }
}

/// A round's answer, and whether it is exact on its active set (polished).
struct Answer {
    sol: QpSolution,
    polished: bool,
}

/// What pricing the routes found.
struct Gaps {
    /// The QP's own prices (duals), per node.
    prices: Vec<Option<f64>>,
    /// Each route's wedge at those prices.
    target: Vec<f64>,
    /// The largest wedge residual of a route in the set, relative to its commodity's scale.
    residual: f64,
    /// Whether a route joined the set.
    added: bool,
}

/// One period's search for the exact equilibrium.
pub(super) struct Search<'a> {
    p: &'a MarketProblem,
    solver: &'a dyn QpSolver,
    opts: &'a SolveOptions,
    tol: &'a Tolerances,
    scaling: Scaling,
    price_scale: Vec<f64>,
    /// The working set of routes.
    in_set: Vec<bool>,
    /// Route wedges (transport, tariff, levy, export tax) found as a fixed point.
    wedges: FixedPoint,
    /// Block supports found as a fixed point.
    support: FixedPoint,
    phase: Phase,
    convergence: Convergence,
    /// The known answer the next round starts from.
    carry: Option<WarmStart>,
    /// Whether `carry` is an exact answer (last period's final one, or a polished round's):
    /// only near one is a QP of the columns it is unsure about worth trying.
    carry_exact: bool,
    effort: Effort,
}

impl<'a> Search<'a> {
    /// The search from the start `opts` give: the first working set, the wedges and supports
    /// at the guessed prices, last period's answer to carry.
    pub(super) fn new(
        p: &'a MarketProblem,
        solver: &'a dyn QpSolver,
        opts: &'a SolveOptions,
        started: Instant,
    ) -> Self {
        let carry = opts.warm.clone();
        Search {
            p,
            solver,
            opts,
            tol: &opts.tolerances,
            scaling: Scaling::for_problem(p),
            price_scale: p.commodity_price_scale(),
            in_set: first_working_set(p, opts),
            wedges: first_wedges(p, opts),
            support: first_supports(p, opts),
            phase: Phase::Rough,
            convergence: Convergence::new(),
            carry_exact: carry.is_some(),
            carry,
            effort: Effort {
                started,
                solves: 0,
                active_set_solves: 0,
                solver_time: Duration::ZERO,
            },
        }
    }

    /// Rounds until one ends the search.
    pub(super) fn run(mut self) -> Result<MarketOutcome, SolverError> {
        loop {
            if let Some(out) = self.round()? {
                return Ok(out);
            }
        }
    }

    /// One round; the outcome when it ends the search.
    fn round(&mut self) -> Result<Option<MarketOutcome>, SolverError> {
        let built = build_qp(
            self.p,
            &self.in_set,
            &self.wedges.value,
            &self.support.value,
            &self.scaling,
        );
        let mut answer = self.answer(&built)?;
        self.effort.solves += 1;
        self.effort.solver_time += answer.sol.time;
        // Once the loops have converged on interior-point answers, every answer is polished
        // onto its active set, and the loops go on until they also hold on polished prices
        // (an ad valorem wedge moves with the origin price it is charged on).
        if answer.polished {
            self.phase.polish();
        } else if self.phase.polishes() && answer.sol.status.is_solved() {
            self.polish(&built, &mut answer)?;
        }
        if !answer.sol.status.is_solved() {
            return Ok(Some(self.finish(&built, &answer.sol, false)));
        }
        let gaps = self.price_routes(&built, &answer.sol);
        let support_target = self.support_targets(&gaps.prices);
        let residual = gaps.residual.max(self.support_residual(&support_target));
        let converged = self.convergence.judge(
            &mut self.phase,
            residual,
            gaps.added,
            answer.polished,
            self.tol,
        );
        tracing::debug!(
            solves = self.effort.solves,
            residual,
            added = gaps.added,
            routes = self.in_set.iter().filter(|&&v| v).count(),
            exact = answer.polished,
            elapsed = ?self.effort.started.elapsed(),
            "round"
        );
        if (converged && (answer.polished || self.phase.polishes()))
            || self.effort.solves >= self.tol.max_rounds
        {
            return Ok(Some(self.finish(&built, &answer.sol, converged)));
        }
        self.carry_forward(&built, &answer);
        let near_converged =
            !self.phase.polishes() && !gaps.added && residual <= self.tol.polish_from;
        if !answer.polished && (converged || near_converged) {
            // Converged (or close) on interior-point answers: from here on, polish every
            // answer.
            self.phase.polish();
            return Ok(None);
        }
        self.step(&built, &answer.sol, &gaps, &support_target, residual);
        Ok(None)
    }

    /// The round's answer: from a known answer (last period's, or the previous round's), the
    /// exact answer on the active set it suggests, checked optimal; else the QP solver.
    fn answer(&mut self, built: &Built) -> Result<Answer, SolverError> {
        let first_round = self.effort.solves == 0;
        let exact = {
            let exact_from = |w: &WarmStart| {
                let (x0, y0, set) = w.onto(built, &self.scaling, self.p, self.tol);
                active_set_from(&built.qp, set, &x0, &y0, self.tol)
            };
            let mut exact = self.carry.as_ref().and_then(exact_from);
            if exact.is_none() && first_round {
                exact = self.opts.guide.as_ref().and_then(exact_from);
            }
            exact
        };
        if let Some((x, row_dual)) = exact {
            self.effort.active_set_solves += 1;
            let sol = QpSolution {
                status: SolveStatus::Optimal,
                objective: built.qp.objective(&x),
                x,
                row_dual,
                iterations: 0,
                time: Duration::ZERO,
            };
            return Ok(Answer {
                sol,
                polished: true,
            });
        }
        // Where a known answer exists but its active set did not hold, the QP solver first
        // gets only the columns that answer is unsure about.
        let known = match &self.carry {
            Some(w) if self.carry_exact => Some(w),
            _ => self.opts.guide.as_ref().filter(|_| first_round),
        };
        let near = match known {
            Some(w) => near_solve(
                built,
                &self.scaling,
                self.p,
                w,
                &self.price_scale,
                self.solver,
                self.tol,
            )?,
            None => None,
        };
        Ok(match near {
            Some(sol) => Answer {
                sol,
                polished: true,
            },
            None => Answer {
                sol: self.solver.solve(&built.qp)?,
                polished: false,
            },
        })
    }

    /// Polishes an interior-point answer onto its active set. Goods spread over tied routes
    /// are first gathered onto a forest of them (same balances, same cost), so that the
    /// emptied routes go on their bound and the active set's system is not singular; when
    /// that does not polish, the answer as it came is tried.
    fn polish(&mut self, built: &Built, answer: &mut Answer) -> Result<(), SolverError> {
        let sol = &mut answer.sol;
        let x0 = basic_x(self.p, built, &sol.x);
        let mut polished = polish(&built.qp, &x0, &sol.row_dual, self.solver, self.tol)?;
        if polished.is_none() && x0 != sol.x {
            polished = polish(&built.qp, &sol.x, &sol.row_dual, self.solver, self.tol)?;
        }
        if let Some((x, y, t)) = polished {
            self.effort.solver_time += t;
            self.effort.solves += 1;
            sol.x = x;
            sol.row_dual = y;
            answer.polished = true;
        }
        Ok(())
    }

    /// Prices the routes at the answer's duals (which satisfy every condition of the routes
    /// in the set, so a route outside it that would pay shows as a positive gap): the routes
    /// that would pay join, and the routes in the set give the wedge residual.
    ///
    /// Partial pricing: of the routes that would pay, only the most profitable into each node
    /// and out of each node join. With many tied routes (equal transport costs from many
    /// origins) adding every one would fill the set with routes that carry nothing.
    fn price_routes(&mut self, built: &Built, sol: &QpSolution) -> Gaps {
        let (p, tol) = (self.p, self.tol);
        let prices = raw_prices(p, built, &self.scaling, &sol.row_dual);
        let rent = cap_rents(p, built, &self.scaling, &sol.row_dual);
        let first_tonne = node_prices(p, built, &self.scaling, &sol.x, &sol.row_dual, tol);
        let mut residual = 0.0f64;
        let mut target = self.wedges.value.clone();
        let flow_of = |r: usize| route_flow(built, &sol.x, r);
        let mut best_into: Vec<Option<(usize, f64)>> = vec![None; p.nodes.len()];
        let mut best_from: Vec<Option<(usize, f64)>> = vec![None; p.nodes.len()];
        for (r, route) in p.routes.iter().enumerate() {
            let (Some(po), Some(pd)) = (prices[route.from], prices[route.to]) else {
                continue;
            };
            let scale = self.price_scale[p.nodes[route.from].commodity];
            let w_new = route.wedge_at(po);
            target[r] = w_new;
            let gap = pd - po - w_new - rent[r];
            if !self.in_set[r] {
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
                    residual = residual.max((w_new - self.wedges.value[r]).abs() / scale);
                } else {
                    // An idle route: its origin price may be anywhere in an interval, so only
                    // ask that at the final wedge it would still not pay to use it.
                    residual = residual.max(gap.max(0.0) / scale);
                }
            }
        }
        let mut added = false;
        for (r, _) in best_into.iter().chain(&best_from).flatten() {
            self.in_set[*r] = true;
            added = true;
        }
        Gaps {
            prices,
            target,
            residual,
            added,
        }
    }

    /// Each block's support at the round's prices.
    fn support_targets(&self, prices: &[Option<f64>]) -> Vec<f64> {
        self.p
            .supply
            .iter()
            .map(|b| block_support(b, prices[b.node]))
            .collect()
    }

    /// The largest move of a price-dependent support, relative to its commodity's scale.
    fn support_residual(&self, support_target: &[f64]) -> f64 {
        let mut residual = 0.0f64;
        for (k, b) in self.p.supply.iter().enumerate() {
            if b.price_dependent() {
                let scale = self.price_scale[self.p.nodes[b.node].commodity];
                residual = residual.max((support_target[k] - self.support.value[k]).abs() / scale);
            }
        }
        residual
    }

    /// Keeps the round's answer for the next round to start from. Goods spread over tied
    /// routes are gathered onto a forest first: a cycle of free routes would make the next
    /// exact solve singular.
    fn carry_forward(&mut self, built: &Built, answer: &Answer) {
        let sol = &answer.sol;
        let basic = if answer.polished {
            sol.x.clone()
        } else {
            basic_x(self.p, built, &sol.x)
        };
        self.carry = self
            .phase
            .exact_allowed()
            .then(|| WarmStart::of(built, &self.scaling, self.p, &basic, &sol.row_dual));
        self.carry_exact = answer.polished;
    }

    /// Moves the wedges and supports towards their targets.
    fn step(
        &mut self,
        built: &Built,
        sol: &QpSolution,
        gaps: &Gaps,
        support_target: &[f64],
        residual: f64,
    ) {
        let (p, tol) = (self.p, self.tol);
        let secant = self.convergence.secant(residual);
        let flow_of = |r: usize| route_flow(built, &sol.x, r);
        let prices = &gaps.prices;
        self.wedges.step(
            &gaps.target,
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
        self.support.step(
            support_target,
            |k| p.supply[k].price_dependent(),
            // A contract's support turns negative above its upside price (the state's share).
            |k| match p.supply[k].subsidy {
                Subsidy::Contract { .. } => (f64::NEG_INFINITY, f64::INFINITY),
                _ => (0.0, f64::INFINITY),
            },
            secant,
        );
    }

    /// The outcome of the last answer.
    fn finish(&self, built: &Built, sol: &QpSolution, converged: bool) -> MarketOutcome {
        let last = LastSolve {
            built,
            x: &sol.x,
            dual: &sol.row_dual,
            status: sol.status,
            converged,
            in_set: &self.in_set,
        };
        let mut out = finish(self.p, &self.scaling, &last, &self.effort, self.tol);
        out.warm = WarmStart::of(
            built,
            &self.scaling,
            self.p,
            &basic_x(self.p, built, &sol.x),
            &sol.row_dual,
        );
        out
    }
}

/// Route `r`'s flow in the answer `x` (QP units; 0 outside the working set). The wedge
/// residual and the secant step read "carries goods" from this one figure.
fn route_flow(built: &Built, x: &[f64], r: usize) -> f64 {
    built.route_col[r].map_or(0.0, |j| x[j])
}

/// The first working set: the routes `opts.start` names, and those the guide's answer uses.
fn first_working_set(p: &MarketProblem, opts: &SolveOptions) -> Vec<bool> {
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
    in_set
}

/// The guessed price of node `n`, if any.
fn guess(opts: &SolveOptions, n: usize) -> Option<f64> {
    opts.price_guess
        .as_ref()
        .and_then(|g| g.get(n).copied().flatten())
}

/// Each route's first wedge: at the guessed origin price; with no guess, a lag-0 levy starts
/// at none (transport and tariff only) and the rest at an origin price of 0.
fn first_wedges(p: &MarketProblem, opts: &SolveOptions) -> FixedPoint {
    FixedPoint::new(
        p.routes
            .iter()
            .map(|r| match (guess(opts, r.from), r.levy) {
                (Some(po), _) => r.wedge_at(po),
                (None, Levy::ToFloor { .. }) => r.transport.0 + r.tariff_at(0.0),
                (None, _) => r.wedge_at(0.0),
            })
            .collect(),
    )
}

/// Each block's first support, at the guessed price of its node.
fn first_supports(p: &MarketProblem, opts: &SolveOptions) -> FixedPoint {
    FixedPoint::new(
        p.supply
            .iter()
            .map(|b| block_support(b, guess(opts, b.node)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tol() -> Tolerances {
        Tolerances::DEFAULT
    }

    /// A residual within a tenth of the wedge tolerance (floored at 1e-7) with no route added
    /// converges in any phase; an added route never does.
    #[test]
    fn converged_is_a_small_residual_with_no_route_added() {
        let t = tol();
        let small = t.wedge.max(1e-7) * 0.1;
        let mut phase = Phase::Rough;
        let mut c = Convergence::new();
        assert!(c.judge(&mut phase, small, false, false, &t));
        assert!(!c.judge(&mut phase, small, true, false, &t));
        assert!(!c.judge(&mut phase, small * 2.0, false, false, &t));
        // Rough rounds keep no stall count.
        assert_eq!((c.stalled, phase), (0, Phase::Rough));
    }

    /// The stall rule, by hand with the defaults: polished rounds whose residual does not halve
    /// count as stalled; after `stall_rounds` of them a residual within `stall_accept`
    /// converges, and exact answers hand over to the QP solver (PolishQp), counting anew.
    #[test]
    fn a_stalled_polished_residual_is_accepted_and_exact_answers_give_way() {
        let t = tol();
        assert!(
            t.stall_accept > t.wedge.max(1e-7) * 0.1,
            "a band to stall in"
        );
        let r = t.stall_accept * 0.9;
        let mut phase = Phase::Polish;
        let mut c = Convergence::new();
        // The first polished round sets the best residual: not stalled.
        assert!(!c.judge(&mut phase, r, false, true, &t));
        assert_eq!(c.stalled, 0);
        for k in 1..t.stall_rounds {
            assert!(!c.judge(&mut phase, r, false, true, &t), "round {k}");
            assert_eq!(c.stalled, k);
        }
        // The stall_rounds-th stalled round converges, and the phase gives way.
        assert!(c.judge(&mut phase, r, false, true, &t));
        assert_eq!((phase, c.stalled), (Phase::PolishQp, 0));
        // A residual that halves resets the count.
        let mut c = Convergence::new();
        let mut phase = Phase::Polish;
        c.judge(&mut phase, r, false, true, &t);
        c.judge(&mut phase, r, false, true, &t);
        assert_eq!(c.stalled, 1);
        c.judge(&mut phase, r * 0.4, false, true, &t);
        assert_eq!(c.stalled, 0);
    }

    /// A stalled residual above `stall_accept` does not converge, and polished answers that
    /// did not come from an exact solve do not move the phase.
    #[test]
    fn a_stalled_residual_above_the_band_goes_on() {
        let t = tol();
        let r = t.stall_accept * 2.0;
        let mut phase = Phase::Polish;
        let mut c = Convergence::new();
        for _ in 0..=t.stall_rounds + 1 {
            assert!(!c.judge(&mut phase, r, false, false, &t));
        }
        assert_eq!(phase, Phase::Polish);
    }

    /// The secant steps only after a residual that fell.
    #[test]
    fn the_secant_steps_only_on_a_falling_residual() {
        let mut c = Convergence::new();
        assert!(c.secant(1.0));
        assert!(c.secant(0.5));
        assert!(!c.secant(0.5));
        assert!(!c.secant(0.7));
        assert!(c.secant(0.1));
    }

    /// Phases only move forward.
    #[test]
    fn phases_move_forward() {
        let mut p = Phase::Rough;
        assert!(!p.polishes() && p.exact_allowed());
        p.polish();
        assert_eq!(p, Phase::Polish);
        assert!(p.polishes() && p.exact_allowed());
        let mut q = Phase::PolishQp;
        q.polish();
        assert_eq!(q, Phase::PolishQp);
        assert!(q.polishes() && !q.exact_allowed());
    }
}
