//! The period loop.

use crate::accounts::{self, PeriodAccounts, PeriodView};
use crate::fleet::{Fleet, PeriodPrices};
use crate::indicators;
use crate::origins::Grid;
use bloc_market::{
    natural_qp, solve_market, ClarabelSolver, DemandBlock, DemandCurve, Levy, MarketOutcome,
    MarketProblem, Node, QpSolver, Route, RouteStart, SolveOptions, SolveStatus, SupplyBlock,
};
use bloc_policy::{Applied, Layout, Policies};
use bloc_results::{num, RunTables};
use bloc_scenario::{DemandForm, Scenario};
use bloc_units::{Tonnes, UsdPerTonne};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Which QP solver to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SolverChoice {
    /// Clarabel (interior point), the default.
    #[default]
    Clarabel,
    /// HiGHS's QP solver (slow on large markets; for comparison).
    #[cfg(feature = "highs")]
    Highs,
}

impl SolverChoice {
    fn solver(self) -> Box<dyn QpSolver> {
        match self {
            SolverChoice::Clarabel => Box::new(ClarabelSolver::default()),
            #[cfg(feature = "highs")]
            SolverChoice::Highs => Box::new(bloc_market::HighsSolver::default()),
        }
    }
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// The solver.
    pub solver: SolverChoice,
    /// Write each period's final QP here as `<period>.mps`.
    pub dump_lp: Option<PathBuf>,
    /// Start every period from all routes instead of last period's working set.
    pub cold: bool,
    /// Per period, the answer of a similar run to start from where last period's answer
    /// does not give the exact one ([`Run::answers`] of the scenario as written, in a sweep).
    /// Results are the same equilibrium either way; only the time to find it changes.
    pub guide: Option<std::sync::Arc<[bloc_market::WarmStart]>>,
    /// Build only the indicators table (and run.json): the prices, flows, production and
    /// consumption tables stay empty. For sweeps, which keep nothing else.
    pub indicators_only: bool,
}

/// What went wrong in a run (bad input never gets this far: it fails in loading).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The solver itself failed.
    #[error("period {period}: {source}")]
    Solver {
        /// Period label.
        period: String,
        /// The solver's error.
        source: bloc_market::SolverError,
    },
    /// The period's answer is not an equilibrium to the engine's tolerance: the solver did
    /// not finish (`status`) or the self-check found a condition violated. Never a success.
    #[error("period {period}: no exact equilibrium: {reason}")]
    Unsolved {
        /// Period label.
        period: String,
        /// The condition violated (or the solver status) and by how much.
        reason: String,
        /// The run's record up to and including the failed period (for `run.json`).
        run_json: Box<serde_json::Value>,
    },
    /// A dump could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Dump {
        /// File.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The run's record of one period (for `run.json`).
#[derive(Debug, Clone)]
pub struct PeriodReport {
    /// Label.
    pub period: String,
    /// Solver status.
    pub status: SolveStatus,
    /// Route and wedge loops converged.
    pub converged: bool,
    /// QP solves.
    pub solves: usize,
    /// Routes in the final working set.
    pub routes_in_set: usize,
    /// Largest equilibrium violation (USD/t) and relative.
    pub max_violation_usd_per_t: f64,
    /// Relative to its commodity's price scale.
    pub max_violation_relative: f64,
    /// Largest balance error (t).
    pub max_balance_error_t: f64,
    /// Relative.
    pub max_balance_error_relative: f64,
    /// Where the worst violation is.
    pub worst: String,
    /// Time in the solver.
    pub solver_time: Duration,
    /// Time of the period.
    pub total_time: Duration,
    /// Objective (USD).
    pub objective: f64,
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    /// The result tables, sorted.
    pub tables: RunTables,
    /// The contents of `run.json`.
    pub run_json: serde_json::Value,
    /// One report per period.
    pub periods: Vec<PeriodReport>,
    /// Warnings for stderr (self-check above tolerance, no convergence).
    pub warnings: Vec<String>,
    /// Per period, what a comparison with a baseline needs.
    pub accounts: Vec<PeriodAccounts>,
    /// The plants at the end of the run (decisions, closures and their dates).
    pub fleet: Fleet,
    /// Each period's answer, to guide runs of similar scenarios ([`RunOptions::guide`]).
    pub answers: Vec<bloc_market::WarmStart>,
}

impl Run {
    /// The period (from the start; negative: before the run) in which process `i` (a
    /// project) took its final investment decision, if it has.
    pub fn fid_of(&self, i: usize) -> Option<i64> {
        self.fleet.fid(i)
    }

    /// Adds the rows that compare this run of `scenario` with a run of its baseline
    /// (`welfare_change_usd`, `consumer_cost_usd`), and names the baseline in `run.json`.
    pub fn compare_with(&mut self, scenario: &Scenario, baseline: &Scenario, base_run: &Run) {
        let mut rows = bloc_results::Table::new("indicators.csv", &crate::scopes::COLUMNS[..4], 3);
        accounts::baseline_rows(&self.accounts, &base_run.accounts, &mut rows);
        crate::scopes::expand(scenario, &mut rows);
        self.tables.indicators.rows.extend(rows.rows);
        let time = scenario.time;
        self.tables
            .sort(&move |label: &str| period_order(time, label));
        self.run_json["baseline"] = serde_json::json!({
            "scenario": baseline.name,
            "scenario_hash": baseline.hash,
        });
    }
}

fn period_order(time: bloc_scenario::TimeAxis, label: &str) -> usize {
    bloc_units::Period::parse(label)
        .ok()
        .and_then(|p| time.index_of(p))
        .unwrap_or(usize::MAX)
}

/// Self-check tolerance (relative): a period above it is a failed run ([`RunError::Unsolved`]).
pub const CHECK_TOLERANCE: f64 = 1e-6;

/// The scenario, indexed for the period loop, and what it remembers between periods.
#[derive(Debug)]
pub struct World<'s> {
    scenario: &'s Scenario,
    /// Seed in force.
    pub seed: u64,
    /// Nodes and routes, with origin classes.
    grid: Grid,
    /// Use node → whether it is a market (has supply, demand or input use).
    is_market: Vec<bool>,
    /// Price of every node, each period recorded so far: the run's one price history (the
    /// instruments read it through `Period::prices`, the fleet through `PeriodPrices`).
    prices: Vec<Vec<Option<f64>>>,
    last_set: Vec<usize>,
    last_warm: Option<bloc_market::WarmStart>,
    /// Buyers' consumption per use node, each period recorded so far (recycling's source).
    consumed: Vec<Vec<f64>>,
    /// Whether [`World::record`] writes the prices, flows, production and consumption tables
    /// (a sweep reads only the indicators).
    market_tables: bool,
    /// Which capacity is in service (projects, closures).
    pub fleet: Fleet,
    /// The last market ahead's answer, the start of the next ([`World::look_ahead`]).
    ahead: Option<AheadStart>,
    /// Its prices per node, held until the next look ahead.
    ahead_prices: Option<Vec<Option<f64>>>,
    /// Per demand row, ln(A_t / Q0_t): how far partial adjustment has moved its curve
    /// (0 for a row without `adjustment_per_yr`); see [`bloc_scenario::Adjustment`].
    demand_shift: Vec<f64>,
}

impl<'s> World<'s> {
    /// Indexes the scenario.
    pub fn new(scenario: &'s Scenario, seed: u64) -> Self {
        let nc = scenario.commodities.len();
        let grid = Grid::new(scenario);
        // A market is where someone buys (the grid's buyers: demand rows, plants' inputs) or
        // something is made (a main output, a co-product, a recycled commodity).
        let mut is_market = grid.buyers.clone();
        let ri = |id: &str| scenario.region_index(id).expect("validated region");
        let ci = |id: &str| scenario.commodity_index(id).expect("validated commodity");
        for p in &scenario.processes {
            let r = ri(p.region.as_str());
            for c in std::iter::once(&p.output).chain(p.outputs.iter().map(|(c, _)| c)) {
                is_market[r * nc + ci(c.as_str())] = true;
            }
        }
        for rc in &scenario.recycling {
            let out = ci(rc.recovered.as_str());
            for d in scenario.demand.iter().filter(|d| d.commodity == rc.product) {
                if rc.region.as_ref().is_none_or(|r| *r == d.region) {
                    is_market[ri(d.region.as_str()) * nc + out] = true;
                }
            }
            if let Some(r) = &rc.region {
                is_market[ri(r.as_str()) * nc + out] = true;
            }
        }
        World {
            scenario,
            seed,
            grid,
            is_market,
            prices: Vec::new(),
            last_set: Vec::new(),
            last_warm: None,
            consumed: Vec::new(),
            market_tables: true,
            fleet: Fleet::new(scenario),
            demand_shift: vec![0.0; scenario.demand.len()],
            ahead: None,
            ahead_prices: None,
        }
    }

    fn node(&self, r: usize, c: usize) -> usize {
        r * self.scenario.commodities.len() + c
    }

    /// The market of period `t` before any instrument, and how it maps to the scenario.
    pub fn market(&self, t: usize) -> (MarketProblem, Layout) {
        let s = self.scenario;
        let yp = s.time.years_per_period();
        let ri = |id: &str| s.region_index(id).expect("validated region");
        let ci = |id: &str| s.commodity_index(id).expect("validated commodity");
        let g = &self.grid;
        let mut m = MarketProblem::default();
        let mut layout = g.layout.clone();
        for (n, name) in g.node_names.iter().enumerate() {
            m.nodes.push(Node {
                name: name.clone(),
                commodity: g.node_commodity[n],
            });
        }
        for (pi, p) in s.processes.iter().enumerate() {
            let share = self.fleet.share(s, pi, t);
            if share <= 0.0 {
                continue;
            }
            let r = ri(p.region.as_str());
            let capacity = Tonnes(p.capacity.over(yp).0 * share);
            layout.block_process.push(Some(pi));
            if let Some(cap_node) = g.capacity_node[pi] {
                // One activity per input class, sharing the plant's capacity (design §8).
                let mut main = SupplyBlock::new(
                    p.id.to_string(),
                    cap_node,
                    capacity,
                    p.unit_cost,
                    p.cost_rise_or_default(),
                );
                main.inputs = self.co_products(pi, r).collect();
                m.supply.push(main);
                for b in g.activities(s, pi, r, capacity) {
                    layout.block_process.push(None);
                    m.supply.push(b);
                }
                continue;
            }
            let mut block = SupplyBlock::new(
                p.id.to_string(),
                g.output_node(r, ci(p.output.as_str())),
                capacity,
                p.unit_cost,
                p.cost_rise_or_default(),
            );
            block.inputs = p
                .inputs
                .iter()
                .map(|(c, k)| (self.node(r, ci(c.as_str())), *k))
                .chain(self.co_products(pi, r))
                .collect();
            m.supply.push(block);
        }
        for (row, d) in s.demand.iter().enumerate() {
            layout.demand_row.push(Some(row));
            let q0 = Tonnes(self.reference_quantity(d, t) * self.demand_shift[row].exp());
            let curve = match d.form {
                DemandForm::Isoelastic { choke } => {
                    DemandCurve::isoelastic(q0, d.price, d.elasticity, choke)
                }
                DemandForm::Linear => DemandCurve::linear(q0, d.price, d.elasticity),
            };
            let node = self.node(ri(d.region.as_str()), ci(d.commodity.as_str()));
            m.demand.push(DemandBlock {
                name: g.node_names[node].clone(),
                node,
                curve,
            });
        }
        self.add_recycling(t, &mut m, &mut layout);
        self.add_disposal(&mut m, &mut layout);
        for (k, slot) in g.routes.iter().enumerate() {
            let tariff = if layout.is_link(k) {
                bloc_scenario::Tariff::default()
            } else {
                // Under `rule = "origin"` tracked goods pay the tariff on their origin.
                let o = layout.rules_origin(k);
                s.tariff(
                    &s.regions[slot.destination].id,
                    &s.regions[o].id,
                    &s.commodities[slot.commodity].id,
                )
            };
            m.routes.push(Route {
                name: slot.name.clone(),
                from: slot.from,
                to: slot.to,
                transport: UsdPerTonne(slot.transport),
                specific_tariff: tariff.specific,
                ad_valorem: tariff.ad_valorem,
                export_tax: 0.0,
                levy: Levy::None,
            });
        }
        (m, layout)
    }

    /// A plant's co-products as negative inputs (design §9): (node, −tonnes per tonne).
    fn co_products(&self, pi: usize, r: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let s = self.scenario;
        s.processes[pi].outputs.iter().map(move |(c, y)| {
            let c = s.commodity_index(c.as_str()).expect("validated commodity");
            (self.grid.output_node(r, c), -y)
        })
    }

    /// Recycling (design §9): one block per `[[recycling]]` in force and region, whose
    /// capacity is collection × yield × the region's consumption of the product `lag_yr`
    /// years earlier (at least one period: this period's is not known before it is solved),
    /// or before the run its reference quantity Q0.
    fn add_recycling(&self, t: usize, m: &mut MarketProblem, layout: &mut Layout) {
        let s = self.scenario;
        let yp = s.time.years_per_period();
        for (i, rc) in s.recycling.iter().enumerate() {
            if !rc.span.covers(t) {
                continue;
            }
            let product = s.commodity_index(rc.product.as_str()).expect("validated");
            let recovered = s.commodity_index(rc.recovered.as_str()).expect("validated");
            let lag = ((rc.lag_yr / yp).round() as usize).max(1);
            for (r, reg) in s.regions.iter().enumerate() {
                let rows: Vec<&bloc_scenario::Demand> = s
                    .demand
                    .iter()
                    .filter(|d| d.region == reg.id && d.commodity == rc.product)
                    .collect();
                if rc.region.as_ref().is_some_and(|x| *x != reg.id)
                    || (rc.region.is_none() && rows.is_empty())
                {
                    continue;
                }
                let used = match t.checked_sub(lag) {
                    Some(tau) => self
                        .consumed
                        .get(tau)
                        .map(|c| c[self.node(r, product)])
                        .unwrap_or(0.0),
                    None => rows.iter().map(|d| d.quantity.over(yp).0).sum(),
                };
                let cap = rc.collection * rc.yield_t_per_t * used;
                layout.recycling.push((m.supply.len(), i, r));
                layout.block_process.push(None);
                m.supply.push(SupplyBlock::new(
                    format!("recycling:{}:{}", rc.name, reg.id),
                    self.grid.output_node(r, recovered),
                    Tonnes(cap),
                    rc.unit_cost,
                    rc.cost_rise,
                ));
            }
        }
    }

    /// Free disposal (design §9): at every node a co-product enters, a flat buyer at
    /// `−disposal_usd_per_t` wide enough for everything the blocks there could make, so a
    /// co-product in glut is worth `−disposal` and the market stays feasible.
    fn add_disposal(&self, m: &mut MarketProblem, layout: &mut Layout) {
        let mut most = std::collections::BTreeMap::<usize, f64>::new();
        for b in &m.supply {
            for &(n, coef) in &b.inputs {
                if coef < 0.0 {
                    *most.entry(n).or_default() += -coef * b.capacity.0;
                }
            }
        }
        for (n, width) in most {
            let c = self.grid.node_commodity[n];
            layout.disposal.push(m.demand.len());
            layout.demand_row.push(None);
            m.demand.push(DemandBlock {
                name: format!("dispose:{}", self.grid.node_names[n]),
                node: n,
                curve: DemandCurve::flat(
                    Tonnes(width + 1.0),
                    UsdPerTonne(-self.scenario.commodities[c].disposal.0),
                ),
            });
        }
    }

    /// Reference quantity of a demand row in period `t` (t per period): Q0 grown from the
    /// first period at `growth_per_yr` plus the `[[demand_growth]]` paths in force each
    /// period before `t` that cover the row.
    fn reference_quantity(&self, d: &bloc_scenario::Demand, t: usize) -> f64 {
        reference_quantity(self.scenario, d, t)
    }

    /// After period `t` is solved: each demand row with partial adjustment moves its curve
    /// towards long-run demand at the period's price at its node
    /// ([`bloc_scenario::Adjustment`]).
    pub fn adjust_demand(&mut self, m: &MarketProblem, layout: &Layout, o: &MarketOutcome) {
        let yp = self.scenario.time.years_per_period();
        for (k, d) in m.demand.iter().enumerate() {
            let Some(row) = layout.demand_row.get(k).copied().flatten() else {
                continue;
            };
            let dr = &self.scenario.demand[row];
            let (Some(a), Some(p)) = (dr.adjust, o.prices[d.node]) else {
                continue;
            };
            if p <= 0.0 {
                continue;
            }
            let lambda = 1.0 - (1.0 - a.per_yr).powf(yp);
            let target = (a.long_run_elasticity - dr.elasticity) * (p / dr.price.0).ln();
            let s = &mut self.demand_shift[row];
            *s = (1.0 - lambda) * *s + lambda * target;
        }
    }

    /// With `[investment] foresight_yr`: the prices per node of the market that many years
    /// after the first period of `t`'s year (rounded to periods, at least one; solved in that
    /// first period and held for the year), with the capacity decided by then,
    /// the demand of then and no instrument. It is solved warm from the previous period's
    /// market ahead (the two differ by one period of growth and of decisions), or from period
    /// `t`'s answer the first time, and from every route when that start gives no exact
    /// answer. `None` without foresight, or when that market has no exact answer (then
    /// investors look back only).
    pub fn look_ahead(&mut self, t: usize, solver: &dyn QpSolver) -> Option<Vec<Option<f64>>> {
        let f = self.scenario.investment.foresight_yr;
        if f <= 0.0 {
            return None;
        }
        let yp = self.scenario.time.years_per_period();
        // Once a year (each year's first period), held for the year: investors review their
        // view of the market ahead yearly, and the extra solve costs a quarter as much.
        let per_year = ((1.0 / yp).round() as usize).max(1);
        if !t.is_multiple_of(per_year) {
            return self.ahead_prices.clone();
        }
        let h = ((f / yp).round() as usize).max(1);
        let _span = tracing::debug_span!("look_ahead", periods = h).entered();
        let (m, _) = self.market(t + h);
        let warm = |st: &Option<AheadStart>| match st {
            Some(a) => SolveOptions {
                start: RouteStart::Set(a.set.clone()),
                price_guess: Some(a.prices.clone()),
                warm: Some(a.warm.clone()),
                ..SolveOptions::default()
            },
            None => SolveOptions {
                start: RouteStart::Set(self.last_set.clone()),
                price_guess: self.prices.last().cloned(),
                warm: self.last_warm.clone(),
                ..SolveOptions::default()
            },
        };
        let first = solve_market(&m, solver, &warm(&self.ahead)).ok();
        let o = match first.filter(passes_check) {
            Some(o) => o,
            None => {
                let cold = SolveOptions {
                    start: RouteStart::All,
                    ..SolveOptions::default()
                };
                match solve_market(&m, solver, &cold).ok().filter(passes_check) {
                    Some(o) => o,
                    None => {
                        tracing::debug!(
                            "the market ahead has no exact answer; investors look back only"
                        );
                        self.ahead_prices = None;
                        return None;
                    }
                }
            }
        };
        self.ahead = Some(AheadStart {
            set: (0..m.routes.len()).filter(|&r| o.flow[r] > 0.0).collect(),
            prices: o.prices.clone(),
            warm: o.warm.clone(),
        });
        let mut o = o;
        self.grid.regional_prices(&mut o);
        self.ahead_prices = Some(o.prices);
        self.ahead_prices.clone()
    }

    /// Solves period `t`'s market: from last period's working set and answer (or, `cold`,
    /// from every route). When the warm start ends in an answer that fails the self-check (a
    /// working set that misled the route search, as where co-products tie routes on a glut)
    /// or in a solver error, it solves again from every route, which is slower but does not
    /// depend on last period; the outcome counts the solves and time of both.
    pub fn solve(
        &self,
        m: &MarketProblem,
        solver: &dyn QpSolver,
        cold: bool,
        guide: Option<&bloc_market::WarmStart>,
    ) -> Result<MarketOutcome, bloc_market::SolverError> {
        let first = self.solve_once(m, solver, cold, guide);
        if cold || first.as_ref().is_ok_and(passes_check) {
            return first;
        }
        tracing::debug!("the warm start gave no exact equilibrium; solving again from every route");
        let mut again = self.solve_once(m, solver, true, None)?;
        if let Ok(f) = first {
            again.solves += f.solves;
            again.solver_time += f.solver_time;
            again.total_time += f.total_time;
        }
        Ok(again)
    }

    fn solve_once(
        &self,
        m: &MarketProblem,
        solver: &dyn QpSolver,
        cold: bool,
        guide: Option<&bloc_market::WarmStart>,
    ) -> Result<MarketOutcome, bloc_market::SolverError> {
        let opts = SolveOptions {
            start: if cold {
                RouteStart::All
            } else {
                RouteStart::Set(self.last_set.clone())
            },
            price_guess: self.prices.last().cloned(),
            warm: if cold { None } else { self.last_warm.clone() },
            guide: if cold { None } else { guide.cloned() },
            ..SolveOptions::default()
        };
        solve_market(m, solver, &opts)
    }

    /// The scenario it runs.
    /// Price of every node, each period recorded so far.
    pub(crate) fn prices(&self) -> &[Vec<Option<f64>>] {
        &self.prices
    }

    pub(crate) fn scenario(&self) -> &'s Scenario {
        self.scenario
    }

    /// Solves a variant of this period's market (a strategy's candidate), warm from `near`,
    /// the answer to the variant before it, or, where that start gives no exact answer, as
    /// [`World::solve`] would; with the regions' prices set as the run sets them.
    pub(crate) fn solve_near(
        &self,
        m: &MarketProblem,
        solver: &dyn QpSolver,
        near: Option<&MarketOutcome>,
    ) -> Result<MarketOutcome, bloc_market::SolverError> {
        let near_answer = near.and_then(|n| {
            solve_market(
                m,
                solver,
                &SolveOptions {
                    start: RouteStart::Set(
                        (0..m.routes.len())
                            .filter(|&r| n.flow.get(r).is_some_and(|&f| f > 0.0))
                            .collect(),
                    ),
                    price_guess: Some(n.prices.clone()),
                    warm: Some(n.warm.clone()),
                    ..SolveOptions::default()
                },
            )
            .ok()
            .filter(passes_check)
        });
        let mut o = match near_answer {
            Some(o) => o,
            None => self.solve(m, solver, false, None)?,
        };
        self.grid.regional_prices(&mut o);
        Ok(o)
    }

    /// Writes period `t`'s outcome into the tables and remembers what the next period needs.
    pub fn record(
        &mut self,
        t: usize,
        m: &MarketProblem,
        layout: &Layout,
        o: &MarketOutcome,
        tables: &mut RunTables,
    ) {
        let s = self.scenario;
        let label = s.time.label(t);
        let solved = SolvedMarket {
            t,
            label: &label,
            m,
            layout,
            o,
        };
        if self.market_tables {
            self.record_prices_flows(&solved, tables);
            self.record_class_prices(&label, m, layout, o, tables);
            self.record_production(&solved, tables);
            self.record_consumption(&solved, tables);
        }
        indicators::market_indicators(s, &solved, &self.is_market, &mut tables.indicators);
        let mut used = vec![0.0f64; layout.regions * layout.commodities];
        for (k, d) in m.demand.iter().enumerate() {
            if layout.demand_row.get(k).copied().flatten().is_some() {
                used[layout.use_node(d.node)] += o.demand[k];
            }
        }
        self.consumed.push(used);
        self.prices.push(o.prices.clone());
        self.last_set = (0..m.routes.len()).filter(|&r| o.flow[r] > 0.0).collect();
        self.last_warm = Some(o.warm.clone());
    }

    /// The period's rows of `prices.csv` and `flows.csv`.
    fn record_prices_flows(&self, solved: &SolvedMarket<'_>, tables: &mut RunTables) {
        let s = self.scenario;
        let (label, m, layout, o) = (solved.label.to_string(), solved.m, solved.layout, solved.o);
        let nc = s.commodities.len();
        for (r, reg) in s.regions.iter().enumerate() {
            for (c, com) in s.commodities.iter().enumerate() {
                let n = r * nc + c;
                if let (true, Some(p)) = (self.is_market[n], o.prices[n]) {
                    tables.prices.push(vec![
                        label.clone(),
                        reg.id.to_string(),
                        com.id.to_string(),
                        num(p),
                    ]);
                }
            }
        }
        let plan = &layout.origin;
        for (k, route) in m.routes.iter().enumerate() {
            if o.flow[k] <= 0.0 || layout.is_link(k) {
                continue;
            }
            let slot = &self.grid.routes[k];
            // The goods' origin class; where nothing is followed, the shipper's class.
            let class = match layout.route_class[k] {
                bloc_policy::RouteClass::Class(c) => c,
                _ => plan.home_class(slot.origin),
            };
            tables.flows.push(vec![
                label.clone(),
                s.commodities[slot.commodity].id.to_string(),
                s.regions[slot.origin].id.to_string(),
                s.regions[slot.destination].id.to_string(),
                plan.class_name(s, class),
                num(o.flow[k]),
                num(route.transport.0),
                num(o.tariff[k]),
                num(o.levy[k]),
            ]);
        }
    }

    /// The period's rows of `production.csv`: plants (projects once online) and recycling.
    fn record_production(&self, solved: &SolvedMarket<'_>, tables: &mut RunTables) {
        let s = self.scenario;
        let (label, m, layout, o) = (solved.label.to_string(), solved.m, solved.layout, solved.o);
        let mut made = vec![(0.0f64, 0.0f64); s.processes.len()];
        for (k, b) in m.supply.iter().enumerate() {
            if let Some(p) = layout.block_process.get(k).copied().flatten() {
                made[p].0 += o.supply[k];
                made[p].1 += b.capacity.0;
            }
        }
        for (pi, p) in s.processes.iter().enumerate() {
            // A planned project (or expansion step) not yet online has no row: the world
            // holds hundreds that may never be built.
            if p.project.is_some() && made[pi].0 == 0.0 && made[pi].1 == 0.0 {
                continue;
            }
            tables.production.push(vec![
                label.clone(),
                p.region.to_string(),
                p.id.to_string(),
                p.output.to_string(),
                num(made[pi].0),
                num(made[pi].1),
                num(p.unit_cost.0),
            ]);
        }
        for &(k, i, r) in &layout.recycling {
            let rc = &s.recycling[i];
            tables.production.push(vec![
                label.clone(),
                s.regions[r].id.to_string(),
                format!("recycling:{}", rc.name),
                rc.recovered.to_string(),
                num(o.supply[k]),
                num(m.supply[k].capacity.0),
                num(rc.unit_cost.0),
            ]);
        }
    }

    /// The period's rows of `consumption.csv`: each demand row, and disposal beside it.
    fn record_consumption(&self, solved: &SolvedMarket<'_>, tables: &mut RunTables) {
        let s = self.scenario;
        let (label, m, layout, o) = (solved.label.to_string(), solved.m, solved.layout, solved.o);
        let t = solved.t;
        // Disposal by (region, commodity), reported beside the region's buyers.
        let mut disposed = std::collections::BTreeMap::<usize, f64>::new();
        for &k in &layout.disposal {
            *disposed
                .entry(layout.use_node(m.demand[k].node))
                .or_default() += o.demand[k];
        }
        for (k, d) in m.demand.iter().enumerate() {
            let Some(row) = layout.demand_row.get(k).copied().flatten() else {
                continue;
            };
            let dr = &s.demand[row];
            tables.consumption.push(vec![
                label.clone(),
                dr.region.to_string(),
                dr.commodity.to_string(),
                num(o.demand[k]),
                num(self.reference_quantity(dr, t)
                    * self.demand_shift[row].exp()
                    * demand_multiplier(s, dr, t)),
                num(o.unserved[k]),
                num(disposed.remove(&d.node).unwrap_or(0.0)),
            ]);
        }
        for (n, q) in disposed {
            let (r, c) = layout.region_commodity(n);
            tables.consumption.push(vec![
                label.clone(),
                s.regions[r].id.to_string(),
                s.commodities[c].id.to_string(),
                num(0.0),
                num(0.0),
                num(0.0),
                num(q),
            ]);
        }
    }

    /// `class_prices.csv`: each origin class's price in a region where goods of that class
    /// are made, arrive or leave, when it differs from the region's price.
    fn record_class_prices(
        &self,
        label: &str,
        m: &MarketProblem,
        layout: &Layout,
        o: &MarketOutcome,
        tables: &mut RunTables,
    ) {
        let s = self.scenario;
        let plan = &layout.origin;
        let mut active = vec![false; m.nodes.len()];
        for (k, r) in m.routes.iter().enumerate() {
            if o.flow[k] > 0.0 {
                active[r.from] = true;
                active[r.to] = true;
            }
        }
        for (k, b) in m.supply.iter().enumerate() {
            if o.supply[k] > 0.0 {
                active[b.node] = true;
            }
        }
        for c in 0..layout.commodities {
            for r in 0..layout.regions {
                let region_price = o.prices[layout.node(r, c)];
                for k in 0..plan.classes() {
                    let Some(n) = layout.class_node(r, c, k) else {
                        continue;
                    };
                    let (true, Some(p)) = (active[n], o.prices[n]) else {
                        continue;
                    };
                    let differs = region_price
                        .is_none_or(|q| (p - q).abs() > 1e-9 * p.abs().max(q.abs()).max(1.0));
                    if differs {
                        tables.class_prices.push(vec![
                            label.to_string(),
                            s.regions[r].id.to_string(),
                            s.commodities[c].id.to_string(),
                            plan.class_name(s, k),
                            num(p),
                        ]);
                    }
                }
            }
        }
    }
}

/// A period's solved market: what the result rows and market indicators are read from.
#[derive(Clone, Copy)]
pub(crate) struct SolvedMarket<'a> {
    pub t: usize,
    /// The period's label in the result files.
    pub label: &'a str,
    pub m: &'a MarketProblem,
    pub layout: &'a Layout,
    pub o: &'a MarketOutcome,
}

/// Reference quantity of a demand row in period `t` (t per period); see
/// [`World::market`]. Periods at the same rate are grouped, so that without growth paths
/// this is `Q0 (1 + g)^(t × years per period)` exactly.
pub(crate) fn reference_quantity(s: &Scenario, d: &bloc_scenario::Demand, t: usize) -> f64 {
    let yp = s.time.years_per_period();
    // (rate, periods at that rate), in order of first use.
    let mut runs: Vec<(f64, usize)> = Vec::new();
    for tau in 0..t {
        let g = d.growth_per_yr
            + s.demand_growth
                .iter()
                .filter(|x| {
                    x.span.covers(tau)
                        && x.regions.contains(&d.region, tau, &s.bloc)
                        && x.commodities.contains(&d.commodity)
                })
                .map(|x| x.per_yr)
                .sum::<f64>();
        match runs.iter_mut().find(|r| r.0 == g) {
            Some(r) => r.1 += 1,
            None => runs.push((g, 1)),
        }
    }
    runs.iter().fold(d.quantity.over(yp).0, |q, &(g, n)| {
        q * (1.0 + g).max(0.0).powf(n as f64 * yp)
    })
}

/// The product of the demand shocks in force on a demand row in period `t` (1 without any).
fn demand_multiplier(s: &Scenario, d: &bloc_scenario::Demand, t: usize) -> f64 {
    s.counter
        .demand_shocks
        .iter()
        .filter(|x| {
            x.span.covers(t)
                && x.regions.contains(&d.region, t, &s.bloc)
                && x.commodities.contains(&d.commodity)
        })
        .map(|x| x.multiplier)
        .product()
}

/// Runs a scenario from its first period to its last. `progress(t)` is called after each
/// period.
pub fn run(
    scenario: &Scenario,
    opts: &RunOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<Run, RunError> {
    let started = Instant::now();
    let seed = opts.seed.unwrap_or(scenario.seed);
    let mut world = World::new(scenario, seed);
    world.market_tables = !opts.indicators_only;
    let solver = opts.solver.solver();
    if let Some(dir) = &opts.dump_lp {
        std::fs::create_dir_all(dir).map_err(|e| RunError::Dump {
            path: dir.clone(),
            source: e,
        })?;
    }
    let mut policies = Policies::new(scenario);
    policies
        .presolve(
            || world.market(0),
            |m| world.solve(m, solver.as_ref(), true, None),
        )
        .map_err(|e| RunError::Solver {
            period: scenario.time.label(0),
            source: e,
        })?;
    let mut runner = Runner {
        scenario,
        opts,
        seed,
        started,
        world,
        policies,
        solver,
        tables: RunTables::default(),
        periods: Vec::with_capacity(scenario.time.periods),
        warnings: Vec::new(),
        period_accounts: Vec::with_capacity(scenario.time.periods),
        answers: Vec::with_capacity(scenario.time.periods),
    };
    for t in 0..scenario.time.periods {
        runner.period(t)?;
        progress(t);
    }
    Ok(runner.finish())
}

/// A run in progress: the world and its instruments, and what the periods so far wrote.
struct Runner<'s, 'o> {
    scenario: &'s Scenario,
    opts: &'o RunOptions,
    seed: u64,
    started: Instant,
    world: World<'s>,
    policies: Policies<'s>,
    solver: Box<dyn QpSolver>,
    tables: RunTables,
    periods: Vec<PeriodReport>,
    warnings: Vec<String>,
    period_accounts: Vec<PeriodAccounts>,
    answers: Vec<bloc_market::WarmStart>,
}

impl Runner<'_, '_> {
    /// Period `t`: strategies decide, the instruments edit the market, it is solved and
    /// checked, the rows are written, the instruments settle and the fleet moves on.
    fn period(&mut self, t: usize) -> Result<(), RunError> {
        let scenario = self.scenario;
        let label = scenario.time.label(t);
        let _span = tracing::debug_span!("period", %label).entered();
        if scenario
            .strategies
            .iter()
            .any(|st| bloc_policy::strategy::decides(st, t))
        {
            let _span = tracing::debug_span!("strategy").entered();
            crate::strategy::decide(
                &self.world,
                &mut self.policies,
                t,
                self.solver.as_ref(),
                &mut self.tables.strategy,
            );
        }
        let (mut market, mut layout) = self.world.market(t);
        let applied: Applied =
            self.policies
                .apply(t, &self.world.prices, &mut layout, &mut market, true);
        let mut outcome = self
            .world
            .solve(
                &market,
                self.solver.as_ref(),
                self.opts.cold,
                self.opts.guide.as_ref().and_then(|g| g.get(t)),
            )
            .map_err(|e| RunError::Solver {
                period: label.clone(),
                source: e,
            })?;
        if let Some(dir) = &self.opts.dump_lp {
            dump_lp(dir, &scenario.name, &label, &market, &outcome)?;
        }
        self.check(&label, &outcome)?;
        self.world.grid.regional_prices(&mut outcome);
        self.world
            .record(t, &market, &layout, &outcome, &mut self.tables);
        self.world.adjust_demand(&market, &layout, &outcome);
        self.answers.push(outcome.warm.clone());
        self.policies
            .settle(t, &layout, &market, &outcome, &applied, &mut self.tables);
        let ahead = self.world.look_ahead(t, self.solver.as_ref());
        let state = &self.policies.state;
        self.world.fleet.update(
            scenario,
            t,
            &PeriodPrices {
                history: &self.world.prices,
                floors: &state.floor_room,
                lift: &state.floor_lift,
                ahead: ahead.as_deref(),
            },
        );
        self.period_accounts.push(accounts::period_accounts(
            &PeriodView {
                s: scenario,
                t,
                label: &label,
                m: &market,
                layout: &layout,
                o: &outcome,
                applied: &applied,
                state,
                fleet: &self.world.fleet,
            },
            &mut self.tables.indicators,
        ));
        Ok(())
    }

    /// The period's report: an unsolved period ends the run (with `run.json` so far); one
    /// whose fixed point did not converge is a warning.
    fn check(&mut self, label: &str, outcome: &MarketOutcome) -> Result<(), RunError> {
        let c = &outcome.check;
        let report = PeriodReport {
            period: label.to_string(),
            status: outcome.status,
            converged: outcome.converged,
            solves: outcome.solves,
            routes_in_set: outcome.working_set.len(),
            max_violation_usd_per_t: c.max_violation_usd_per_t,
            max_violation_relative: c.max_violation_relative,
            max_balance_error_t: c.max_balance_error_t,
            max_balance_error_relative: c.max_balance_error_relative,
            worst: c.worst_condition.clone(),
            solver_time: outcome.solver_time,
            total_time: outcome.total_time,
            objective: outcome.objective,
        };
        if let Some(reason) = unsolved_reason(&report, c) {
            self.periods.push(report);
            let mut json = self.run_json();
            json["status"] = "failed".into();
            json["failure"] = serde_json::json!({ "period": label, "reason": reason });
            return Err(RunError::Unsolved {
                period: label.to_string(),
                reason,
                run_json: Box::new(json),
            });
        }
        if !outcome.converged {
            self.warnings.push(format!(
                "{label}: the route/levy fixed point did not converge in {} solves (status {})",
                outcome.solves, outcome.status
            ));
        }
        self.periods.push(report);
        Ok(())
    }

    fn run_json(&self) -> serde_json::Value {
        run_json(
            self.scenario,
            self.seed,
            self.solver.name(),
            &self.periods,
            self.started.elapsed(),
        )
    }

    /// After the last period: the projects table, the indicators' scopes, sorted tables and
    /// `run.json`.
    fn finish(mut self) -> Run {
        let scenario = self.scenario;
        crate::projects::write(
            scenario,
            &self.world.fleet,
            &self.period_accounts,
            &mut self.tables.projects,
        );
        crate::scopes::expand(scenario, &mut self.tables.indicators);
        let time = scenario.time;
        self.tables
            .sort(&move |label: &str| period_order(time, label));
        let mut run_json = self.run_json();
        run_json["status"] = "solved".into();
        Run {
            tables: self.tables,
            run_json,
            periods: self.periods,
            warnings: self.warnings,
            accounts: self.period_accounts,
            fleet: self.world.fleet,
            answers: self.answers,
        }
    }
}

/// `--dump-lp`: the period's final QP as an MPS file named by its period.
fn dump_lp(
    dir: &std::path::Path,
    name: &str,
    label: &str,
    market: &MarketProblem,
    outcome: &MarketOutcome,
) -> Result<(), RunError> {
    let path = dir.join(format!("{label}.mps"));
    let qp = natural_qp(market, outcome);
    let mut buf = Vec::new();
    bloc_market::mps::write_mps(&qp, &format!("{name}_{label}"), &mut buf)
        .and_then(|_| std::fs::write(&path, buf))
        .map_err(|e| RunError::Dump {
            path: path.clone(),
            source: e,
        })
}

/// Whether a solved market passes the run's self-check: solved, and its largest violation and
/// balance error within [`CHECK_TOLERANCE`] (relative; a NaN fails).
/// Where the last market ahead ended: its working set, prices and warm start.
#[derive(Debug, Clone)]
struct AheadStart {
    set: Vec<usize>,
    prices: Vec<Option<f64>>,
    warm: bloc_market::WarmStart,
}

pub(crate) fn passes_check(o: &MarketOutcome) -> bool {
    let c = &o.check;
    o.status.is_solved()
        && c.max_violation_relative <= CHECK_TOLERANCE
        && c.max_balance_error_relative <= CHECK_TOLERANCE
}

/// Why period `p`'s answer is not an equilibrium, or `None` when it is one: the solver
/// stopped short (infeasible, iteration limit, numerical error), or the self-check's largest
/// violation or balance error is above [`CHECK_TOLERANCE`] (relative) or not a number.
fn unsolved_reason(p: &PeriodReport, c: &bloc_market::SelfCheck) -> Option<String> {
    let place = |at: &str| {
        if at.is_empty() {
            "an unrecorded place (a value that is not a finite number)".to_string()
        } else {
            at.to_string()
        }
    };
    if !p.status.is_solved() {
        return Some(format!(
            "the solver stopped with status {}; the largest equilibrium violation is {:.3e} USD/t at {}",
            p.status,
            c.max_violation_usd_per_t,
            place(&c.worst_condition)
        ));
    }
    // A NaN violation fails too.
    let above = |x: f64| x.is_nan() || x > CHECK_TOLERANCE;
    if above(c.max_violation_relative) {
        return Some(format!(
            "self-check above tolerance: equilibrium violation {:.3e} USD/t ({:.1e} relative, tolerance {CHECK_TOLERANCE:.0e}) at {}",
            c.max_violation_usd_per_t,
            c.max_violation_relative,
            place(&c.worst_condition)
        ));
    }
    if above(c.max_balance_error_relative) {
        return Some(format!(
            "self-check above tolerance: balance error {:.3e} t ({:.1e} relative, tolerance {CHECK_TOLERANCE:.0e}) at {}",
            c.max_balance_error_t,
            c.max_balance_error_relative,
            place(&c.worst_balance)
        ));
    }
    None
}

fn run_json(
    s: &Scenario,
    seed: u64,
    solver: &str,
    periods: &[PeriodReport],
    total: Duration,
) -> serde_json::Value {
    let max = |f: &dyn Fn(&PeriodReport) -> f64| periods.iter().map(f).fold(0.0, f64::max);
    serde_json::json!({
        "scenario": s.name,
        "scenario_hash": s.hash,
        "engine": concat!("bloc ", env!("CARGO_PKG_VERSION")),
        "seed": seed,
        "solver": solver,
        "periods": periods.len(),
        "step": match s.time.step { bloc_units::Step::Quarter => "quarter", bloc_units::Step::Year => "year" },
        // The regions that are members in some period of the run (`bloc compare` compares
        // groups over the same regions).
        "members": s.regions.iter().filter(|r| (0..s.time.periods).any(|t| s.bloc.is_member(&r.id, t))).map(|r| r.id.as_str()).collect::<Vec<_>>(),
        "max_equilibrium_violation_usd_per_t": max(&|p| p.max_violation_usd_per_t),
        "max_equilibrium_violation_relative": max(&|p| p.max_violation_relative),
        "max_balance_error_t": max(&|p| p.max_balance_error_t),
        "max_balance_error_relative": max(&|p| p.max_balance_error_relative),
        "all_converged": periods.iter().all(|p| p.converged),
        "timings": {
            "total_s": total.as_secs_f64(),
            "solver_s": periods.iter().map(|p| p.solver_time.as_secs_f64()).sum::<f64>(),
        },
        "per_period": periods.iter().map(|p| serde_json::json!({
            "period": p.period,
            "status": p.status.name(),
            "converged": p.converged,
            "solves": p.solves,
            "routes_in_working_set": p.routes_in_set,
            "max_equilibrium_violation_usd_per_t": p.max_violation_usd_per_t,
            "max_equilibrium_violation_relative": p.max_violation_relative,
            "worst_condition": p.worst,
            "max_balance_error_t": p.max_balance_error_t,
            "max_balance_error_relative": p.max_balance_error_relative,
            "objective_usd": p.objective,
            "solver_s": p.solver_time.as_secs_f64(),
            "total_s": p.total_time.as_secs_f64(),
        })).collect::<Vec<_>>(),
    })
}
