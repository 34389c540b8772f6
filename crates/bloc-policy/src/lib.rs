//! The bloc's instruments (design §2) and the counter-policies it must live with.
//!
//! Each instrument is its own module and type, with its tests beside it, and implements
//! [`Instrument`]: `apply` edits one period's [`MarketProblem`] before it is solved, `settle`
//! reads the outcome after it, moves the instrument's state on and writes its rows.
//!
//! | instrument | module, type | what it does to the market | what it settles |
//! |---|---|---|---|
//! | shocks | [`shock`], [`shock::Shocks`] | outages, demand and cost multipliers | — |
//! | membership, frameworks | [`membership`], [`membership::Membership`] | tariff-free routes between members / framework parties | — |
//! | reference prices, floors, levy | [`floor`], [`floor::Floors`] | a levy on non-member imports into members | held levies; `policy.csv`, levy and tariff revenue |
//! | export controls | [`export_control`], [`export_control::ExportControls`] | caps (ban = 0, quota, licences) on groups of routes | — (asks for a pre-solve without controls) |
//! | strategies (a player's own measures) | [`strategy`], [`strategy::Strategies`] | the export taxes and quotas the search chose ([`PolicyState::strategy`]) | — (the search in `bloc-model` writes `strategy.csv`) |
//! | guarantees / offtake | [`guarantee`], [`guarantee::Guarantees`] | the contracted part of a plant is topped up to a strike, or bought at it | payouts; purchases into stockpiles |
//! | production subsidies | [`subsidy`], [`subsidy::Subsidies`] | a per-tonne support on named plants | payouts |
//! | stockpile (Project Vault) | [`stockpile`], [`stockpile::Stockpiles`] | a flat buyer below a trigger, a flat seller above one | books; `stockpile.csv` |
//!
//! [`Policies::apply`] runs every instrument's `apply` in the order of [`INSTRUMENTS`] (the
//! table's order) on a [`Period`]; [`Policies::settle`] runs their `settle` in the same order
//! on a [`Solved`] period, then records the period's prices, flows and members' prices for
//! the instruments that look back. Policies in force in a period are those whose
//! `[from, to)` span covers it.
//!
//! **Adding an instrument**: a module with a unit struct implementing [`Instrument`]; its
//! state between periods, if any, a field of [`PolicyState`]; what it adds to the market and
//! must find again after the solve, a named struct in a field of [`Applied`]; then its place
//! in [`INSTRUMENTS`] (it sees the market as the instruments before it left it).
#![deny(missing_docs)]

pub mod export_control;
pub mod floor;
pub mod guarantee;
pub mod instrument;
pub mod membership;
pub mod origin;
pub mod shock;
pub mod stockpile;
pub mod strategy;
pub mod subsidy;
pub mod welfare;

pub use instrument::{Instrument, Period, Solved, INSTRUMENTS};
pub use origin::{OriginPlan, RouteClass};
pub use welfare::Welfare;

use bloc_market::{MarketOutcome, MarketProblem};
use bloc_results::{num, RunTables};
use bloc_scenario::Scenario;
use std::collections::BTreeMap;

/// How the market of a period maps back to the scenario.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Regions.
    pub regions: usize,
    /// Commodities.
    pub commodities: usize,
    /// Per market route: (shipping region, destination region, commodity); a link is
    /// (region, region, commodity).
    pub routes: Vec<(usize, usize, usize)>,
    /// Per market route: what it carries ([`RouteClass::Any`] when nothing is followed).
    pub route_class: Vec<RouteClass>,
    /// Per supply block: the scenario process it belongs to (`None` for a stockpile release
    /// and for the per-class activities of a plant under `processing = "content"`, whose
    /// output the plant's own block already counts).
    pub block_process: Vec<Option<usize>>,
    /// Per demand block: the scenario demand row (`None` for a stockpile purchase and for
    /// disposal).
    pub demand_row: Vec<Option<usize>>,
    /// The demand blocks that dispose of a co-product in glut (design §9).
    pub disposal: Vec<usize>,
    /// Recycling blocks: (supply block, `[[recycling]]` index, region).
    pub recycling: Vec<(usize, usize, usize)>,
    /// The nodes after the regions × commodities use nodes: origin-class nodes and plants'
    /// capacity nodes, as (region, commodity).
    pub extra_nodes: Vec<(usize, usize)>,
    /// Per commodity: index of its first class node (class `k` of region `r` is
    /// `base + r × classes + k`), when it is followed by origin.
    pub class_base: Vec<Option<usize>>,
    /// The origin classes of the run.
    pub origin: OriginPlan,
}

impl Layout {
    /// Use node of (region, commodity): where its buyers buy; its price is the region's price.
    pub fn node(&self, r: usize, c: usize) -> usize {
        r * self.commodities + c
    }
    /// Node of class `k` of commodity `c` in region `r`, when `c` is followed by origin.
    pub fn class_node(&self, r: usize, c: usize, k: usize) -> Option<usize> {
        self.class_base
            .get(c)
            .copied()
            .flatten()
            .map(|b| b + r * self.origin.classes() + k)
    }
    /// (region, commodity) of any node.
    pub fn region_commodity(&self, n: usize) -> (usize, usize) {
        let grid = self.regions * self.commodities;
        if n < grid {
            (n / self.commodities, n % self.commodities)
        } else {
            self.extra_nodes[n - grid]
        }
    }
    /// The use node of the region and commodity of any node.
    pub fn use_node(&self, n: usize) -> usize {
        let (r, c) = self.region_commodity(n);
        self.node(r, c)
    }
    /// Whether route `k` is a link into a use node rather than trade.
    pub fn is_link(&self, k: usize) -> bool {
        matches!(self.route_class.get(k), Some(RouteClass::Link(_)))
    }
    /// The tracked region whose goods route `k` carries, if its class is tracked.
    pub fn goods_origin(&self, k: usize) -> Option<usize> {
        match self.route_class.get(k) {
            Some(RouteClass::Class(c)) | Some(RouteClass::Link(c)) => self.origin.class_region(*c),
            _ => None,
        }
    }
    /// The region whose border treatment route `k`'s goods get: under `rule = "origin"` the
    /// tracked region they come from, else (and for class `other`) the shipper.
    pub fn rules_origin(&self, k: usize) -> usize {
        match self.goods_origin(k) {
            Some(x) if self.origin.by_origin() => x,
            _ => self.routes[k].0,
        }
    }
}

/// What the instruments remember between periods.
#[derive(Debug, Clone, Default)]
pub struct PolicyState {
    /// Flow of every route, each period solved so far.
    pub flows: Vec<Vec<f64>>,
    /// Members' price per commodity, each period (consumption-weighted).
    pub members_price: Vec<Vec<Option<f64>>>,
    /// Flows of a period-0 solve with export controls off (normal exports for licence
    /// regimes that start in the first period).
    pub uncontrolled_flows: Option<Vec<f64>>,
    /// Levy per route last set by each floor (held between recomputations).
    pub held_levy: BTreeMap<usize, Vec<f64>>,
    /// Stockpiles' books.
    pub stocks: Vec<stockpile::Books>,
    /// Per `[[strategy]]`, the value of each instrument in force (set by the search).
    pub strategy: Vec<Vec<f64>>,
    /// Per `[[bloc.floor]]`, the ratio the bloc chose in answer to a strategy (`None`: the
    /// declared ratio).
    pub floor_ratio: Vec<Option<f64>>,
    /// Where each floor in force last period can hold the price of new output up (read by
    /// the fleet's investment decisions).
    pub floor_room: Vec<floor::FloorRoom>,
    /// Each period solved so far, per node (region × commodity): what a floor's levy added to
    /// the price there ([`floor::FloorRoom::lift_usd_per_t`]; empty: no floor that period).
    pub floor_lift: Vec<Vec<f64>>,
}

/// Everything the instruments added to one period's market, to read the outcome back.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Floors in force.
    pub floors: Vec<floor::AppliedFloor>,
    /// Stockpile blocks: per (stockpile, commodity) the buy demand block and release supply block.
    pub stock_blocks: Vec<stockpile::StockBlocks>,
    /// Guarantees in force and the supply block of each one's contracted part.
    pub guarantee_blocks: Vec<guarantee::GuaranteeBlock>,
    /// Subsidised blocks (one entry per subsidy and block).
    pub subsidy_blocks: Vec<subsidy::SubsidyBlock>,
    /// Routes under an export measure (a control's cap, a strategy's tax or quota) → the
    /// exporting region, which collects the export tax and the quota rent on them.
    pub route_exporter: BTreeMap<usize, usize>,
}

/// The instruments of a scenario and their state.
#[derive(Debug)]
pub struct Policies<'s> {
    scenario: &'s Scenario,
    /// State carried between periods.
    pub state: PolicyState,
}

impl<'s> Policies<'s> {
    /// The scenario's instruments, before the first period.
    pub fn new(scenario: &'s Scenario) -> Self {
        let stocks = scenario
            .bloc
            .stockpiles
            .iter()
            .map(stockpile::Books::new)
            .collect();
        Policies {
            scenario,
            state: PolicyState {
                stocks,
                strategy: scenario
                    .strategies
                    .iter()
                    .map(|st| st.instruments.iter().map(|i| i.start).collect())
                    .collect(),
                floor_ratio: vec![None; scenario.bloc.floors.len()],
                ..PolicyState::default()
            },
        }
    }

    /// Whether some instrument needs the first period solved without export controls first
    /// (a licence regime starting then, to know normal exports).
    pub fn needs_uncontrolled_start(&self) -> bool {
        INSTRUMENTS.iter().any(|i| i.needs_presolve(self.scenario))
    }

    /// The pre-solve, when an instrument needs it ([`Self::needs_uncontrolled_start`]): the
    /// first period's market (built by `market`, as the world builds it) with every
    /// instrument but the export controls, solved by `solve`; its flows are the normal exports
    /// a licence regime starting then is measured against. Does nothing (and builds nothing)
    /// when no instrument needs it.
    pub fn presolve<E>(
        &mut self,
        market: impl FnOnce() -> (MarketProblem, Layout),
        solve: impl FnOnce(&MarketProblem) -> Result<MarketOutcome, E>,
    ) -> Result<(), E> {
        if !self.needs_uncontrolled_start() {
            return Ok(());
        }
        let (mut m, mut layout) = market();
        self.apply(0, &[], &mut layout, &mut m, false);
        self.state.uncontrolled_flows = Some(solve(&m)?.flow);
        Ok(())
    }

    /// Edits period `t`'s market: every instrument of [`INSTRUMENTS`] in turn (shocks,
    /// tariff-free trade, floors and levies, export controls, guarantees, subsidies,
    /// stockpiles). With `controls = false` export controls are left out.
    pub fn apply(
        &self,
        t: usize,
        prices: &[Vec<Option<f64>>],
        layout: &mut Layout,
        m: &mut MarketProblem,
        controls: bool,
    ) -> Applied {
        let period = Period {
            scenario: self.scenario,
            t,
            state: &self.state,
            prices,
            export_controls: controls,
        };
        let mut applied = Applied::default();
        for instrument in INSTRUMENTS {
            instrument.apply(&period, m, layout, &mut applied);
        }
        applied
    }

    /// Reads period `t`'s outcome: every instrument settles in turn (moving its state on and
    /// writing its rows), then the period's members' prices, prices and flows are recorded.
    pub fn settle(
        &mut self,
        t: usize,
        layout: &Layout,
        m: &MarketProblem,
        o: &MarketOutcome,
        applied: &Applied,
        tables: &mut RunTables,
    ) {
        let s = self.scenario;
        let label = s.time.label(t);
        let solved = Solved {
            scenario: s,
            t,
            label: &label,
            layout,
            market: m,
            outcome: o,
            applied,
        };
        for instrument in INSTRUMENTS {
            instrument.settle(&solved, &mut self.state, tables);
        }
        self.state
            .members_price
            .push(members_prices(s, t, layout, m, o));
        self.state.flows.push(o.flow.clone());
    }
}

/// Consumption-weighted members' price of each commodity (plain mean where members consume
/// nothing; `None` where no member has a price).
pub fn members_prices(
    s: &Scenario,
    t: usize,
    layout: &Layout,
    m: &MarketProblem,
    o: &MarketOutcome,
) -> Vec<Option<f64>> {
    let mut cons = vec![0.0f64; layout.regions * layout.commodities];
    let mut has_demand = vec![false; layout.regions * layout.commodities];
    for (k, d) in m.demand.iter().enumerate() {
        if layout.demand_row.get(k).copied().flatten().is_some() {
            cons[d.node] += o.demand[k];
            has_demand[d.node] = true;
        }
    }
    let mut has_supply = vec![false; layout.regions * layout.commodities];
    for b in &m.supply {
        has_supply[layout.use_node(b.node)] = true;
    }
    (0..layout.commodities)
        .map(|c| {
            let mut w = 0.0;
            let mut pw = 0.0;
            let mut plain = Vec::new();
            for (r, reg) in s.regions.iter().enumerate() {
                let n = layout.node(r, c);
                if !s.bloc.is_member(&reg.id, t) || !(has_demand[n] || has_supply[n]) {
                    continue;
                }
                if let Some(p) = o.prices[n] {
                    w += cons[n];
                    pw += cons[n] * p;
                    plain.push(p);
                }
            }
            if w > 0.0 {
                Some(pw / w)
            } else if !plain.is_empty() {
                Some(plain.iter().sum::<f64>() / plain.len() as f64)
            } else {
                None
            }
        })
        .collect()
}

/// Pushes an indicator row.
pub(crate) fn indicator(
    out: &mut bloc_results::Table,
    label: &str,
    name: &str,
    scope: String,
    v: f64,
) {
    out.push(vec![label.to_string(), name.to_string(), scope, num(v)]);
}
