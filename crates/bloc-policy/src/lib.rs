//! The bloc's instruments (design §2) and the counter-policies it must live with.
//!
//! Each instrument is its own module and type, with its tests beside it:
//!
//! | instrument | module | what it does to the market |
//! |---|---|---|
//! | membership, frameworks | [`membership`] | tariff-free routes between members / framework parties |
//! | reference prices, floors, levy | [`floor`] | a levy on non-member imports into members |
//! | stockpile (Project Vault) | [`stockpile`] | a flat buyer below a trigger, a flat seller above one |
//! | guarantees / offtake | [`guarantee`] | the contracted part of a plant is topped up to a strike, or bought at it |
//! | production subsidies | [`subsidy`] | a per-tonne support on named plants |
//! | export controls | [`export_control`] | caps (ban = 0, quota, licences) on groups of routes |
//! | shocks | [`shock`] | outages, demand and cost multipliers |
//!
//! [`Policies::apply`] edits one period's [`MarketProblem`] before it is solved;
//! [`Policies::settle`] reads the outcome, moves the instruments' state on (inventories,
//! budgets, levies held between recomputations, price history) and writes `policy.csv`,
//! `stockpile.csv` and the instruments' indicators. Policies in force in a period are those
//! whose `[from, to)` span covers it.
#![deny(missing_docs)]

pub mod export_control;
pub mod floor;
pub mod guarantee;
pub mod membership;
pub mod shock;
pub mod stockpile;
pub mod subsidy;

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
    /// Per market route: (origin region, destination region, commodity).
    pub routes: Vec<(usize, usize, usize)>,
    /// Per supply block: the scenario process it belongs to (`None` for a stockpile release).
    pub block_process: Vec<Option<usize>>,
    /// Per demand block: the scenario demand row (`None` for a stockpile purchase).
    pub demand_row: Vec<Option<usize>>,
}

impl Layout {
    /// Node index of (region, commodity).
    pub fn node(&self, r: usize, c: usize) -> usize {
        r * self.commodities + c
    }
    /// (region, commodity) of a node.
    pub fn region_commodity(&self, n: usize) -> (usize, usize) {
        (n / self.commodities, n % self.commodities)
    }
}

/// What the instruments remember between periods.
#[derive(Debug, Clone, Default)]
pub struct PolicyState {
    /// Prices of every node, each period solved so far.
    pub prices: Vec<Vec<Option<f64>>>,
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
}

/// Everything the instruments added to one period's market, to read the outcome back.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// Floors in force: (floor index, commodity, reference, floor).
    pub floors: Vec<(usize, usize, f64, f64)>,
    /// Stockpile blocks: per (stockpile, commodity) the buy demand block and release supply block.
    pub stock_blocks: Vec<stockpile::StockBlocks>,
    /// Guarantee blocks: (guarantee index, supply block of the contracted part).
    pub guarantee_blocks: Vec<(usize, usize)>,
    /// Subsidised blocks: (block, USD/t).
    pub subsidy_blocks: Vec<(usize, f64)>,
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
                ..PolicyState::default()
            },
        }
    }

    /// Whether a licence regime starts in the first period (then the engine first solves
    /// period 0 with export controls off, to know normal exports).
    pub fn needs_uncontrolled_start(&self) -> bool {
        export_control::needs_uncontrolled_start(self.scenario)
    }

    /// Edits period `t`'s market: shocks, tariff-free trade, floors and levies, export
    /// controls, guarantees, subsidies, stockpiles (in that order). With
    /// `controls = false` export controls are left out.
    pub fn apply(
        &self,
        t: usize,
        layout: &mut Layout,
        m: &mut MarketProblem,
        controls: bool,
    ) -> Applied {
        let s = self.scenario;
        let mut applied = Applied::default();
        shock::apply(s, t, layout, m);
        membership::apply(s, t, layout, m);
        floor::apply(s, t, &self.state, layout, m, &mut applied);
        if controls {
            export_control::apply(s, t, &self.state, layout, m);
        }
        guarantee::apply(s, t, &self.state, layout, m, &mut applied);
        subsidy::apply(s, t, layout, m, &mut applied);
        let blocks = stockpile::add_blocks(s, t, &self.state, &applied, layout, m);
        applied.stock_blocks = blocks;
        applied
    }

    /// Reads period `t`'s outcome: moves state on and writes the instruments' rows.
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
        for &(_, c, reference, fl) in &applied.floors {
            tables.policy.push(vec![
                label.clone(),
                s.commodities[c].id.to_string(),
                num(reference),
                num(fl),
            ]);
        }
        floor::settle(
            s,
            t,
            &label,
            layout,
            m,
            o,
            applied,
            &mut self.state,
            &mut tables.indicators,
        );
        guarantee::settle(
            s,
            t,
            &label,
            m,
            o,
            applied,
            &mut self.state,
            &mut tables.indicators,
        );
        subsidy::settle(&label, m, o, applied, &mut tables.indicators);
        stockpile::settle(s, t, &label, layout, m, o, applied, &mut self.state, tables);
        self.state
            .members_price
            .push(members_prices(s, t, layout, m, o));
        self.state.prices.push(o.prices.clone());
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
        has_supply[b.node] = true;
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
