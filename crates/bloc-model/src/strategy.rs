//! The search of design §10: a player that sets its own export taxes and quotas, as a leader
//! against the market, or in alternating best responses with the bloc's floor ratios.
//!
//! The engine is the follower. Every evaluation of a candidate is the period's market built
//! as the run builds it, with the candidate in force, solved to the engine's exact
//! equilibrium (the same self-check as a run's period), warm-started from the evaluation
//! before it. The objective is read from the same books as `indicators.csv`
//! ([`crate::accounts::ledger`]): the player's `welfare_total_usd` (consumer + producer
//! surplus + tariff, levy and export revenue − support − stockpile cost), its export revenue
//! (export tax and quota rent), and its share of world output of the instruments'
//! commodities. The choice is myopic: the player maximises the period it chooses in and holds
//! its choice for `every` periods; investment answers it in later periods through the fleet,
//! as it answers any price.
//!
//! ## The search
//! Coordinate ascent: one instrument at a time, the others held, in sweeps until a sweep moves
//! nothing ([`MAX_SWEEPS`] at most). Each line search over `[min, max]` evaluates a grid of
//! [`GRID`] points (the bounds included, so a corner optimum is found exactly and a second
//! hump is not missed), then refines between the best grid point's neighbours by Brent's
//! method (golden sections with parabolic steps, [`brent_max`]). On the smooth objectives
//! of a linear market Brent needs about a third of the evaluations of golden sections alone
//! to reach the same tolerance (the test
//! `brent_finds_the_mark_up_and_needs_fewer_evaluations_than_golden_sections` measures it on
//! the monopoly mark-up). An instrument moves only when the move raises the
//! objective by more than [`IMPROVEMENT`] relative: where the objective does not depend on it
//! (the player's goods cannot reach the destinations, or a floor holds their price whatever
//! it does) it stays where it is, and `strategy.csv` says so.
//!
//! With `against = "bloc"` a round is the player's best response followed by the bloc's (its
//! floor ratios in force, each within the strategy's `floor_ratio` bounds, for the members'
//! welfare summed); the rounds stop when neither moves (a Nash equilibrium in policies,
//! `converged = true`) or after `max_rounds` (`converged = false`: the answers still cycle or
//! creep; a status, not an error).

use crate::accounts::{self, PeriodView};
use crate::world::{passes_check, World};
use bloc_market::{MarketOutcome, QpSolver};
use bloc_policy::Policies;
use bloc_results::{num, Table};
use bloc_scenario::{Against, Scenario, Strategy};
use std::collections::BTreeMap;

/// Grid points of a first line search (the two bounds and seven between): fine enough that a
/// hump beside a plateau (a floor that binds only above some ratio) is not missed.
pub const GRID: usize = 9;
/// Sweeps over the instruments before the search stops unconverged.
pub const MAX_SWEEPS: usize = 8;
/// A move must raise the objective by this much, relative to its size, to count.
pub const IMPROVEMENT: f64 = 1e-7;
/// Brent's tolerance on an instrument, relative to the width of its bounds.
pub const X_TOLERANCE: f64 = 1e-5;
/// Brent's evaluations at most, per line search.
const BRENT_MAX_EVALUATIONS: usize = 60;

/// The maximum of `f` on `[a, b]` by Brent's method (golden sections with parabolic steps),
/// to `xtol`: the bounded minimiser of Brent (1973) as SciPy's `fminbound` writes it, on −f.
/// Returns (x, f(x)). Never evaluates `a` or `b` themselves.
pub fn brent_max(
    f: &mut dyn FnMut(f64) -> f64,
    a: f64,
    b: f64,
    xtol: f64,
    max_evaluations: usize,
) -> (f64, f64) {
    let mut g = |x: f64| -f(x);
    let sqrt_eps = f64::EPSILON.sqrt();
    let golden = 0.5 * (3.0 - 5f64.sqrt());
    let (mut a, mut b) = (a.min(b), a.max(b));
    let mut fulc = a + golden * (b - a);
    let (mut nfc, mut xf) = (fulc, fulc);
    let (mut rat, mut e) = (0.0f64, 0.0f64);
    let mut fx = g(xf);
    let mut evaluations = 1;
    let (mut ffulc, mut fnfc) = (fx, fx);
    let mut xm = 0.5 * (a + b);
    let mut tol1 = sqrt_eps * xf.abs() + xtol / 3.0;
    let mut tol2 = 2.0 * tol1;
    while (xf - xm).abs() > tol2 - 0.5 * (b - a) && evaluations < max_evaluations {
        let mut golden_step = true;
        if e.abs() > tol1 {
            golden_step = false;
            let mut r = (xf - nfc) * (fx - ffulc);
            let mut q = (xf - fulc) * (fx - fnfc);
            let mut p = (xf - fulc) * q - (xf - nfc) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            }
            q = q.abs();
            r = e;
            e = rat;
            if p.abs() < (0.5 * q * r).abs() && p > q * (a - xf) && p < q * (b - xf) {
                rat = p / q;
                let x = xf + rat;
                if (x - a) < tol2 || (b - x) < tol2 {
                    rat = if xm >= xf { tol1 } else { -tol1 };
                }
            } else {
                golden_step = true;
            }
        }
        if golden_step {
            e = if xf >= xm { a - xf } else { b - xf };
            rat = golden * e;
        }
        let step = if rat >= 0.0 { 1.0 } else { -1.0 } * rat.abs().max(tol1);
        let x = xf + step;
        let fu = g(x);
        evaluations += 1;
        if fu <= fx {
            if x >= xf {
                a = xf;
            } else {
                b = xf;
            }
            (fulc, ffulc) = (nfc, fnfc);
            (nfc, fnfc) = (xf, fx);
            (xf, fx) = (x, fu);
        } else {
            if x < xf {
                a = x;
            } else {
                b = x;
            }
            if fu <= fnfc || nfc == xf {
                (fulc, ffulc) = (nfc, fnfc);
                (nfc, fnfc) = (x, fu);
            } else if fu <= ffulc || fulc == xf || fulc == nfc {
                (fulc, ffulc) = (x, fu);
            }
        }
        xm = 0.5 * (a + b);
        tol1 = sqrt_eps * xf.abs() + xtol / 3.0;
        tol2 = 2.0 * tol1;
    }
    (xf, -fx)
}

/// What one evaluation scores: each strategy's objective and the members' welfare.
#[derive(Debug, Clone)]
struct Scores {
    /// Per `[[strategy]]`, its player's objective (USD).
    players: Vec<f64>,
    /// The members' welfare summed (USD): the bloc's objective.
    members: f64,
}

/// Who moves in a line search: instrument `j` of strategy `i`, or the ratio of floor `f`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Coordinate {
    Player { i: usize, j: usize },
    Floor { f: usize },
}

/// One period's search: the market of period `t` solved for each candidate.
struct Search<'a, 's> {
    world: &'a World<'s>,
    policies: &'a mut Policies<'s>,
    solver: &'a dyn QpSolver,
    t: usize,
    /// The last evaluation's answer, to warm-start the next.
    last: Option<MarketOutcome>,
    evaluations: usize,
    failed: usize,
}

impl Search<'_, '_> {
    fn scenario(&self) -> &Scenario {
        self.world.scenario()
    }

    /// The value of a coordinate in force.
    fn get(&self, c: Coordinate) -> f64 {
        match c {
            Coordinate::Player { i, j } => self.policies.state.strategy[i][j],
            Coordinate::Floor { f } => {
                bloc_policy::floor::ratio(&self.policies.state, f, &self.scenario().bloc.floors[f])
            }
        }
    }

    fn set(&mut self, c: Coordinate, v: f64) {
        match c {
            Coordinate::Player { i, j } => self.policies.state.strategy[i][j] = v,
            Coordinate::Floor { f } => self.policies.state.floor_ratio[f] = Some(v),
        }
    }

    /// Solves period `t` with everything as it now stands; `None` when the market has no
    /// exact equilibrium there (the candidate is then never chosen).
    fn evaluate(&mut self) -> Option<Scores> {
        let (s, t) = (self.world.scenario(), self.t);
        let (mut m, mut layout) = self.world.market(t);
        let applied = self
            .policies
            .apply(t, self.world.prices(), &mut layout, &mut m, true);
        self.evaluations += 1;
        let solved = self.world.solve_near(&m, self.solver, self.last.as_ref());
        let o = match solved {
            Ok(o) if passes_check(&o) => o,
            _ => {
                self.failed += 1;
                return None;
            }
        };
        let view = PeriodView {
            s,
            t,
            label: "",
            m: &m,
            layout: &layout,
            o: &o,
            applied: &applied,
            state: &self.policies.state,
            fleet: &self.world.fleet,
        };
        let w = accounts::ledger(&view).w;
        let member = s.bloc.members_in(s.regions.iter().map(|r| &r.id), t);
        let members = (0..w.len())
            .filter(|&r| member[r])
            .map(|r| w[r].total())
            .sum();
        let players = s
            .strategies
            .iter()
            .map(|st| {
                let Some(x) = s.region_index(st.player.as_str()) else {
                    return 0.0;
                };
                let ob = &st.objective;
                let share = if ob.share_usd != 0.0 {
                    output_share(s, st, x, &m, &layout, &o)
                } else {
                    0.0
                };
                ob.welfare * w[x].total() + ob.revenue * w[x].export_revenue + ob.share_usd * share
            })
            .collect();
        self.last = Some(o);
        Some(Scores { players, members })
    }

    /// The objective of `who` with coordinate `c` at `v` (the others as they stand), from the
    /// cache when this point was solved before; −∞ when the market fails there.
    fn score_at(
        &mut self,
        c: Coordinate,
        v: f64,
        who: Side,
        cache: &mut BTreeMap<u64, f64>,
    ) -> f64 {
        if let Some(&f) = cache.get(&v.to_bits()) {
            return f;
        }
        self.set(c, v);
        let f = match self.evaluate() {
            Some(sc) => match who {
                Side::Player(i) => sc.players[i],
                Side::Bloc => sc.members,
            },
            None => f64::NEG_INFINITY,
        };
        cache.insert(v.to_bits(), f);
        f
    }

    /// The best value of coordinate `c` in `[lo, hi]` for `who`, the others held: a grid of
    /// [`GRID`] points, then Brent between the best grid point's neighbours; or, `local`,
    /// Brent alone within half a grid step of where it stands (a later sweep, after the other
    /// instruments moved a little). Moves only on a strict gain; returns what it found.
    fn line_search(&mut self, c: Coordinate, lo: f64, hi: f64, who: Side, local: bool) -> Line {
        let v0 = self.get(c);
        let mut cache = BTreeMap::new();
        let f0 = self.score_at(c, v0, who, &mut cache);
        let mut best = (v0, f0);
        let step = (hi - lo) / (GRID - 1) as f64;
        let (a, b, finite_best) = if local {
            let half = step / 2.0;
            ((v0 - half).max(lo), (v0 + half).min(hi), f0.is_finite())
        } else {
            let grid: Vec<f64> = (0..GRID)
                .map(|k| {
                    if k + 1 == GRID {
                        hi
                    } else {
                        lo + step * k as f64
                    }
                })
                .collect();
            let mut at_grid = Vec::with_capacity(GRID);
            for &x in &grid {
                let f = self.score_at(c, x, who, &mut cache);
                at_grid.push(f);
                if f > best.1 {
                    best = (x, f);
                }
            }
            let kb = (0..GRID)
                .max_by(|&a, &b| at_grid[a].total_cmp(&at_grid[b]).then(b.cmp(&a)))
                .unwrap_or(0);
            (
                grid[kb.saturating_sub(1)],
                grid[(kb + 1).min(GRID - 1)],
                at_grid[kb].is_finite(),
            )
        };
        if hi > lo && finite_best {
            let xtol = X_TOLERANCE * (hi - lo);
            let (x, f) = brent_max(
                &mut |x| self.score_at(c, x, who, &mut cache),
                a,
                b,
                xtol,
                BRENT_MAX_EVALUATIONS,
            );
            if f > best.1 {
                best = (x, f);
            }
        }
        let finite: Vec<f64> = cache.values().copied().filter(|f| f.is_finite()).collect();
        let spread = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - finite.iter().copied().fold(f64::INFINITY, f64::min);
        let scale = f0.abs().max(best.1.abs()).max(1.0);
        let gain = best.1 - f0;
        let moved = (f0.is_finite() && gain > IMPROVEMENT * scale
            || !f0.is_finite() && best.1.is_finite())
            && (best.0 - v0).abs() > X_TOLERANCE * (hi - lo);
        let value = if moved { best.0 } else { v0 };
        self.set(c, value);
        Line {
            value,
            objective: if moved { best.1 } else { f0 },
            moved,
            flat: finite.len() == cache.len() && spread <= IMPROVEMENT * scale,
        }
    }

    /// One sweep after another over the coordinates of `who` until a sweep moves nothing.
    /// Returns whether anything moved and whether the sweeps settled.
    fn best_response(
        &mut self,
        coords: &[(Coordinate, f64, f64)],
        who: Side,
        lines: &mut BTreeMap<usize, Line>,
    ) -> (bool, bool) {
        let mut any = false;
        for sweep in 0..MAX_SWEEPS {
            let mut moved = false;
            for (n, &(c, lo, hi)) in coords.iter().enumerate() {
                let line = self.line_search(c, lo, hi, who, sweep > 0);
                moved |= line.moved;
                lines.insert(n, line);
            }
            any |= moved;
            if !moved {
                return (any, true);
            }
        }
        (any, false)
    }
}

/// Whose objective a line search raises.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Player(usize),
    Bloc,
}

/// What a line search found.
#[derive(Debug, Clone, Copy)]
struct Line {
    value: f64,
    objective: f64,
    moved: bool,
    /// Every value tried gave the same objective (within [`IMPROVEMENT`]).
    flat: bool,
}

/// Region `x`'s share (0–1) of the world's output of the commodities `st`'s instruments
/// cover, co-products included.
fn output_share(
    s: &Scenario,
    st: &Strategy,
    x: usize,
    m: &bloc_market::MarketProblem,
    layout: &bloc_policy::Layout,
    o: &MarketOutcome,
) -> f64 {
    let covered =
        |c: &bloc_units::CommodityId| st.instruments.iter().any(|i| i.commodities.contains(c));
    let (mut own, mut all) = (0.0, 0.0);
    for (k, _) in m.supply.iter().enumerate() {
        let Some(pi) = layout.block_process.get(k).copied().flatten() else {
            continue;
        };
        let p = &s.processes[pi];
        let q = o.supply[k];
        let made: f64 = std::iter::once((&p.output, 1.0))
            .chain(p.outputs.iter().map(|(c, y)| (c, *y)))
            .filter(|(c, _)| covered(c))
            .map(|(_, y)| y * q)
            .sum();
        all += made;
        if s.region_index(p.region.as_str()) == Some(x) {
            own += made;
        }
    }
    if all > 0.0 {
        own / all
    } else {
        0.0
    }
}

/// Chooses, for every strategy that decides in period `t`, its instruments (and, against the
/// bloc, the bloc's floor ratios), leaving them in `policies.state` for the period's run;
/// writes the choices to `strategy.csv`.
pub(crate) fn decide<'s>(
    world: &World<'s>,
    policies: &mut Policies<'s>,
    t: usize,
    solver: &dyn QpSolver,
    out: &mut Table,
) {
    let s = world.scenario();
    let label = s.time.label(t);
    for (i, st) in s.strategies.iter().enumerate() {
        if !bloc_policy::strategy::decides(st, t) {
            continue;
        }
        let mut search = Search {
            world,
            policies,
            solver,
            t,
            last: None,
            evaluations: 0,
            failed: 0,
        };
        let mine: Vec<(Coordinate, f64, f64)> = st
            .instruments
            .iter()
            .enumerate()
            .map(|(j, inst)| (Coordinate::Player { i, j }, inst.min, inst.max))
            .collect();
        let floors: Vec<(Coordinate, f64, f64)> = match st.against {
            Against::Market => Vec::new(),
            Against::Bloc {
                ratio_min,
                ratio_max,
                ..
            } => s
                .bloc
                .floors
                .iter()
                .enumerate()
                .filter(|(_, f)| f.span.covers(t))
                .map(|(f, _)| (Coordinate::Floor { f }, ratio_min, ratio_max))
                .collect(),
        };
        let max_rounds = match st.against {
            Against::Market => 1,
            Against::Bloc { max_rounds, .. } => max_rounds,
        };
        let mut play = Play {
            mine,
            floors,
            player_lines: BTreeMap::new(),
            bloc_lines: BTreeMap::new(),
            rounds: 0,
            converged: false,
        };
        play.run(&mut search, i, max_rounds);
        let effort = (search.evaluations, search.failed);
        play.rows(s, (i, st), &policies.state, (&label, effort), out);
    }
}

/// One strategy's play in a period: the coordinates it and the bloc move, the last line
/// search on each, and how the rounds ended.
struct Play {
    mine: Vec<(Coordinate, f64, f64)>,
    floors: Vec<(Coordinate, f64, f64)>,
    player_lines: BTreeMap<usize, Line>,
    bloc_lines: BTreeMap<usize, Line>,
    rounds: usize,
    converged: bool,
}

impl Play {
    /// Best responses in turn, player then bloc, until neither moves or `max_rounds`.
    fn run(&mut self, search: &mut Search<'_, '_>, i: usize, max_rounds: usize) {
        while self.rounds < max_rounds {
            self.rounds += 1;
            let (p_moved, p_settled) =
                search.best_response(&self.mine, Side::Player(i), &mut self.player_lines);
            if self.floors.is_empty() {
                self.converged = p_settled;
                break;
            }
            let (b_moved, _) = search.best_response(&self.floors, Side::Bloc, &mut self.bloc_lines);
            // Neither moved in this round: each is a best response to the other.
            if !p_moved && !b_moved {
                self.converged = true;
                break;
            }
        }
    }

    /// `strategy.csv`'s rows: each instrument of strategy `i` and each floor ratio the bloc
    /// set, with the value chosen, its bounds, the objective and why it sits there.
    fn rows(
        &self,
        s: &Scenario,
        (i, st): (usize, &bloc_scenario::Strategy),
        state: &bloc_policy::PolicyState,
        (label, (evaluations, failed)): (&str, (usize, usize)),
        out: &mut Table,
    ) {
        let (rounds, converged) = (self.rounds, self.converged);
        let row = |out: &mut Table,
                   side: &str,
                   name: String,
                   v: f64,
                   lo: f64,
                   hi: f64,
                   line: Option<&Line>| {
            let note = match line {
                None => "not searched".to_string(),
                Some(l) => note(l, lo, hi),
            };
            out.push(vec![
                label.to_string(),
                st.player.to_string(),
                side.to_string(),
                name,
                num(v),
                num(lo),
                num(hi),
                num(line
                    .map(|l| l.objective)
                    .filter(|f| f.is_finite())
                    .unwrap_or(0.0)),
                evaluations.to_string(),
                failed.to_string(),
                rounds.to_string(),
                converged.to_string(),
                note,
            ]);
        };
        for (n, &(c, lo, hi)) in self.mine.iter().enumerate() {
            let Coordinate::Player { j, .. } = c else {
                continue;
            };
            let v = state.strategy[i][j];
            row(
                out,
                "player",
                st.instruments[j].name.clone(),
                v,
                lo,
                hi,
                self.player_lines.get(&n),
            );
        }
        for (n, &(c, lo, hi)) in self.floors.iter().enumerate() {
            let Coordinate::Floor { f } = c else { continue };
            let v = bloc_policy::floor::ratio(state, f, &s.bloc.floors[f]);
            let name = format!("floor_ratio:{}", s.bloc.floors[f].commodity);
            row(out, "bloc", name, v, lo, hi, self.bloc_lines.get(&n));
        }
    }
}

/// Why an instrument sits where it does, in words for `strategy.csv`.
fn note(l: &Line, lo: f64, hi: f64) -> String {
    let near =
        |a: f64, b: f64| (a - b).abs() <= X_TOLERANCE * (hi - lo).max(f64::MIN_POSITIVE) * 10.0;
    if l.flat {
        "flat: no value within the bounds changes the objective (the measure raises nothing here), so it stays where it was".into()
    } else if !l.objective.is_finite() {
        "no value within the bounds gave a market with an exact equilibrium".into()
    } else if near(l.value, hi) && hi > lo {
        "at the upper bound: the objective still rises towards it".into()
    } else if near(l.value, lo) && hi > lo {
        "at the lower bound: the objective falls as it rises".into()
    } else {
        "interior optimum".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden sections alone, for the comparison: the bracket shrinks by 0.618 per evaluation.
    fn golden_max(
        f: &mut dyn FnMut(f64) -> f64,
        mut a: f64,
        mut b: f64,
        xtol: f64,
    ) -> (f64, usize) {
        let r = (5f64.sqrt() - 1.0) / 2.0;
        let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
        let (mut fc, mut fd) = (f(c), f(d));
        let mut n = 2;
        while (b - a).abs() > xtol {
            if fc > fd {
                b = d;
                (d, fd) = (c, fc);
                c = b - r * (b - a);
                fc = f(c);
            } else {
                a = c;
                (c, fc) = (d, fd);
                d = a + r * (b - a);
                fd = f(d);
            }
            n += 1;
        }
        ((a + b) / 2.0, n)
    }

    /// The monopoly mark-up: revenue τ c (a − c(1 + τ)) / b with a = 250, c = 100, b = 1 is
    /// largest at τ = (a − c) / (2c) = 0.75 (hand-worked in `tests/strategy.rs`).
    #[test]
    fn brent_finds_the_mark_up_and_needs_fewer_evaluations_than_golden_sections() {
        let revenue = |tau: f64| tau * 100.0 * (250.0 - 100.0 * (1.0 + tau)).max(0.0);
        let mut n_brent = 0;
        let (x, f) = brent_max(
            &mut |t| {
                n_brent += 1;
                revenue(t)
            },
            0.0,
            2.0,
            2e-6,
            100,
        );
        assert!((x - 0.75).abs() < 1e-5, "{x}");
        assert!((f - 5625.0).abs() < 1e-6, "{f}");
        let (xg, n_golden) = golden_max(&mut |t| revenue(t), 0.0, 2.0, 2e-6);
        assert!((xg - 0.75).abs() < 1e-5, "{xg}");
        assert!(
            3 * n_brent <= n_golden + 6,
            "Brent {n_brent} evaluations, golden sections {n_golden}"
        );
    }

    /// A corner: f rising on [0, 1] sends Brent to the upper end (within its tolerance).
    #[test]
    fn brent_goes_to_the_bound_of_a_monotone_objective() {
        let (x, _) = brent_max(&mut |t| t, 0.0, 1.0, 1e-6, 100);
        assert!(x > 1.0 - 1e-5, "{x}");
    }
}
