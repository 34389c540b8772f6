//! Stockpiles (`[[bloc.stockpile]]`, e.g. Project Vault): a public buyer and seller of last
//! resort in one region's market.
//!
//! Inside the equilibrium the stockpile is two market participants at its region's node for
//! each commodity it holds:
//! * a **buyer** willing to pay up to the buy trigger B (e.g. the floor) for up to
//!   `min(max buy per period, room left, budget left / B)` tonnes — buying lifts the price
//!   towards B; since it only buys at prices ≤ B, spend never exceeds the budget;
//! * a **seller** offering up to `min(max release per period, inventory)` at the release
//!   trigger R — releasing caps the price at R. With `release_on_shortage`, R is at most
//!   0.999 × the lowest choke price of the region's buyers, so stock is released before any
//!   demand goes unserved.
//!
//! The buyer is left out when B ≥ R (it would buy what it sells). The budget pays for
//! purchases only (release revenue is not recycled); storage costs are reported as
//! `stockpile_storage_cost_usd`. Inventory stays within [0, max inventory].

use crate::{indicator, Applied, Instrument, Layout, Period, PolicyState, Solved, Welfare};
use bloc_market::{DemandBlock, DemandCurve, MarketProblem, SupplyBlock};
use bloc_results::{num, RunTables};
use bloc_scenario::{PriceTrigger, Scenario, Stockpile};
use bloc_units::{Tonnes, UsdPerTonne};

/// How far below its buy trigger a stockpile bids (a share of the trigger).
pub const BID_BELOW_TRIGGER: f64 = 1e-6;

/// A stockpile's books.
#[derive(Debug, Clone, PartialEq)]
pub struct Books {
    /// Inventory per commodity (in the stockpile's order), t.
    pub inventory: Vec<f64>,
    /// Budget not yet spent, USD.
    pub budget_left: f64,
    /// Bought through purchase guarantees this period, per commodity (t, USD).
    pub guarantee_bought: Vec<(f64, f64)>,
}

impl Books {
    /// Books at the start of the run.
    pub fn new(s: &Stockpile) -> Self {
        Books {
            inventory: vec![s.initial_inventory.0; s.commodities.len()],
            budget_left: s.budget.0,
            guarantee_bought: vec![(0.0, 0.0); s.commodities.len()],
        }
    }

    /// Books a purchase under a guarantee.
    pub fn book_guarantee(&mut self, j: usize, tonnes: f64, usd: f64) {
        self.guarantee_bought[j].0 += tonnes;
        self.guarantee_bought[j].1 += usd;
    }
}

/// The market participants of one stockpile and commodity in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct StockBlocks {
    /// Stockpile index.
    pub stockpile: usize,
    /// Position of the commodity in the stockpile's list.
    pub j: usize,
    /// Commodity index.
    pub commodity: usize,
    /// Its buyer (demand block), if it buys this period.
    pub buy: Option<usize>,
    /// Its seller (supply block), if it may release.
    pub release: Option<usize>,
    /// The buy trigger in force.
    pub buy_price: Option<f64>,
}

fn trigger(t: &PriceTrigger, c: usize, applied: &Applied) -> Option<f64> {
    match t {
        PriceTrigger::Fixed(v) => Some(v.0),
        PriceTrigger::Floor(k) => applied
            .floors
            .iter()
            .find(|f| f.commodity == c)
            .map(|f| f.floor.0 * k),
    }
}

/// How much the buyer may take: `min(max buy, room, budget / B)`, never negative.
pub fn buy_width(max_buy: f64, room: f64, budget: f64, price: f64) -> f64 {
    max_buy
        .min(room)
        .min(if price > 0.0 {
            budget / price
        } else {
            f64::INFINITY
        })
        .max(0.0)
}

/// The stockpiles of a scenario (`[[bloc.stockpile]]`), as an [`Instrument`]: a buyer and a
/// seller in the market, their books in [`PolicyState::stocks`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Stockpiles;

impl Instrument for Stockpiles {
    fn name(&self) -> &'static str {
        "stockpile"
    }

    /// The owner pays for what a stockpile buys and is paid for what it releases, at its own
    /// price, and pays storage on what it holds (`state`: the books the period's rows
    /// were written from).
    fn welfare(&self, p: &Solved<'_>, state: &PolicyState, w: &mut [Welfare]) {
        let (s, m, o) = (p.scenario, p.market, p.outcome);
        let price = |n: usize| o.prices[n].unwrap_or(0.0);
        for sb in &p.applied.stock_blocks {
            let st = &s.bloc.stockpiles[sb.stockpile];
            let r = s
                .region_index(st.region.as_str())
                .expect("validated region");
            if let Some(k) = sb.buy {
                w[r].stockpile_cost += o.demand[k] * price(m.demand[k].node);
            }
            if let Some(k) = sb.release {
                w[r].stockpile_cost -= o.supply[k] * price(m.supply[k].node);
            }
        }
        let yp = s.time.years_per_period();
        for (i, st) in s.bloc.stockpiles.iter().enumerate() {
            if let Some(books) = state.stocks.get(i) {
                let r = s
                    .region_index(st.region.as_str())
                    .expect("validated region");
                let held: f64 = books.inventory.iter().sum();
                w[r].stockpile_cost += held * st.storage_cost_per_t_yr.0 * yp;
            }
        }
    }

    /// Adds each stockpile's buyer and seller.
    fn apply(
        &self,
        period: &Period<'_>,
        m: &mut MarketProblem,
        layout: &mut Layout,
        applied: &mut Applied,
    ) {
        let blocks = add_blocks(period, applied, layout, m);
        applied.stock_blocks = blocks;
    }

    fn settle(&self, solved: &Solved<'_>, state: &mut PolicyState, tables: &mut RunTables) {
        settle(solved, state, tables);
    }
}

/// Adds each stockpile's buyer and seller.
fn add_blocks(
    period: &Period<'_>,
    applied: &Applied,
    layout: &mut Layout,
    m: &mut MarketProblem,
) -> Vec<StockBlocks> {
    let (s, t, state) = (period.scenario, period.t, period.state);
    let mut out = Vec::new();
    for (i, st) in s.bloc.stockpiles.iter().enumerate() {
        if !st.span.covers(t) {
            continue;
        }
        let Some(r) = s.region_index(st.region.as_str()) else {
            continue;
        };
        let books = &state.stocks[i];
        for (j, cid) in st.commodities.iter().enumerate() {
            let Some(c) = s.commodity_index(cid.as_str()) else {
                continue;
            };
            let node = layout.node(r, c);
            let reserved: f64 = reserved_by_guarantees(s, applied, m, i, cid);
            let buy_price = trigger(&st.buy_below, c, applied);
            let mut release_price = st
                .release_above
                .as_ref()
                .and_then(|tr| trigger(tr, c, applied));
            if st.release_on_shortage {
                let choke = m
                    .demand
                    .iter()
                    .enumerate()
                    .filter(|(k, d)| d.node == node && layout.demand_row[*k].is_some())
                    .filter_map(|(_, d)| d.curve.top())
                    .reduce(f64::min);
                if let Some(ch) = choke {
                    let v = 0.999 * ch;
                    release_price = Some(release_price.map_or(v, |r| r.min(v)));
                }
            }
            let mut blocks = StockBlocks {
                stockpile: i,
                j,
                commodity: c,
                buy: None,
                release: None,
                buy_price: None,
            };
            // It bids a millionth below its trigger: it buys while the price is *below* the
            // trigger, so it never shares the margin with a levy that holds the price exactly
            // at the floor (which would leave how much it buys undetermined).
            let buy_price = buy_price.map(|b| b * (1.0 - BID_BELOW_TRIGGER));
            if let Some(b) = buy_price.filter(|&b| b > 0.0 && release_price.is_none_or(|r| b < r)) {
                let room = st.max_inventory.0 - books.inventory[j] - reserved;
                let budget = books.budget_left - reserved_spend(s, applied, m, i, cid);
                let width = buy_width(st.max_buy_per_period.0, room, budget, b);
                if width > 0.0 {
                    m.demand.push(DemandBlock {
                        name: format!("stockpile:{}:{}", st.name, cid),
                        node,
                        curve: DemandCurve::flat(Tonnes(width), UsdPerTonne(b)),
                    });
                    layout.demand_row.push(None);
                    blocks.buy = Some(m.demand.len() - 1);
                    blocks.buy_price = Some(b);
                }
            }
            if let Some(rp) = release_price {
                let cap = st.max_release_per_period.0.min(books.inventory[j]).max(0.0);
                if cap > 0.0 {
                    m.supply.push(SupplyBlock::new(
                        format!("stockpile:{}:{}", st.name, cid),
                        node,
                        Tonnes(cap),
                        UsdPerTonne(rp),
                        UsdPerTonne(0.0),
                    ));
                    layout.block_process.push(None);
                    blocks.release = Some(m.supply.len() - 1);
                }
            }
            out.push(blocks);
        }
    }
    out
}

/// Tonnes the stockpile's purchase guarantees may add this period (their contracted blocks'
/// capacity), so the market buyer leaves room for them.
fn reserved_by_guarantees(
    s: &Scenario,
    applied: &Applied,
    m: &MarketProblem,
    i: usize,
    c: &bloc_units::CommodityId,
) -> f64 {
    guarantee_blocks_of(s, applied, i, c)
        .map(|k| m.supply[k].capacity.0)
        .sum()
}

fn reserved_spend(
    s: &Scenario,
    applied: &Applied,
    m: &MarketProblem,
    i: usize,
    c: &bloc_units::CommodityId,
) -> f64 {
    guarantee_blocks_of(s, applied, i, c)
        .map(|k| m.supply[k].capacity.0 * m.supply[k].revenue_at(0.0))
        .sum()
}

fn guarantee_blocks_of<'a>(
    s: &'a Scenario,
    applied: &'a Applied,
    i: usize,
    c: &'a bloc_units::CommodityId,
) -> impl Iterator<Item = usize> + 'a {
    applied.guarantee_blocks.iter().filter_map(move |gb| {
        let g = &s.bloc.guarantees[gb.guarantee];
        let out = s
            .processes
            .iter()
            .find(|p| p.id == g.process)
            .map(|p| &p.output);
        match &g.mode {
            bloc_scenario::GuaranteeMode::Purchase { stockpile }
                if *stockpile == s.bloc.stockpiles[i].name && out == Some(c) =>
            {
                Some(gb.block)
            }
            _ => None,
        }
    })
}

/// Members' use of each commodity in the period (t): what their buyers bought (not the
/// stockpiles' purchases, not disposal) plus what their plants took as inputs (each plant's
/// output times its scenario input coefficients, whatever blocks and per-origin activities
/// the market gave it).
fn members_use(solved: &Solved<'_>) -> Vec<f64> {
    let (s, layout, m, o) = (
        solved.scenario,
        solved.layout,
        solved.market,
        solved.outcome,
    );
    let nc = s.commodities.len();
    let member = s.bloc.members_in(s.regions.iter().map(|r| &r.id), solved.t);
    let mut used = vec![0.0f64; nc];
    for (k, d) in m.demand.iter().enumerate() {
        if layout.demand_row.get(k).copied().flatten().is_some() {
            let (r, c) = layout.region_commodity(d.node);
            if member.get(r) == Some(&true) {
                used[c] += o.demand[k];
            }
        }
    }
    for (k, pi) in layout.block_process.iter().enumerate() {
        let (Some(pi), Some(q)) = (pi, o.supply.get(k)) else {
            continue;
        };
        let Some(p) = s.processes.get(*pi) else {
            continue;
        };
        if !s.bloc.is_member(&p.region, solved.t) {
            continue;
        }
        for (c, coef) in &p.inputs {
            if let Some(ci) = s.commodity_index(c.as_str()) {
                used[ci] += coef * q;
            }
        }
    }
    used
}

/// Days of cover: an inventory over the members' use per day, for a period of `yp` years (a
/// quarter is 91.25 days). None where members use none (the cover is unbounded) or either
/// figure is not a finite number.
pub fn days_of_cover(inventory_t: f64, use_per_period_t: f64, yp: f64) -> Option<f64> {
    let per_day = use_per_period_t / (365.0 * yp);
    let days = inventory_t.max(0.0) / per_day;
    (inventory_t.is_finite() && per_day > 0.0 && days.is_finite()).then_some(days)
}

/// Books the period's purchases and releases and writes `stockpile.csv` and indicators.
fn settle(solved: &Solved<'_>, state: &mut PolicyState, tables: &mut RunTables) {
    let (s, label, layout, o, applied) = (
        solved.scenario,
        solved.label,
        solved.layout,
        solved.outcome,
        solved.applied,
    );
    let yp = s.time.years_per_period();
    let use_per_period = if s.bloc.stockpiles.is_empty() {
        Vec::new()
    } else {
        members_use(solved)
    };
    for (i, st) in s.bloc.stockpiles.iter().enumerate() {
        let Some(r) = s.region_index(st.region.as_str()) else {
            continue;
        };
        let mut storage = 0.0;
        for (j, cid) in st.commodities.iter().enumerate() {
            let Some(c) = s.commodity_index(cid.as_str()) else {
                continue;
            };
            let blocks = applied
                .stock_blocks
                .iter()
                .find(|b| b.stockpile == i && b.j == j);
            let price = o.prices[layout.node(r, c)].unwrap_or(0.0);
            let (mut bought, mut spent, mut released) = (0.0, 0.0, 0.0);
            if let Some(b) = blocks {
                if let Some(k) = b.buy {
                    bought = o.demand[k];
                    // It bids B and pays the market price, which is ≤ B whenever it buys.
                    spent = bought * price.min(b.buy_price.unwrap_or(price));
                }
                if let Some(k) = b.release {
                    released = o.supply[k];
                }
            }
            let books = &mut state.stocks[i];
            let (gb, gs) = std::mem::take(&mut books.guarantee_bought[j]);
            bought += gb;
            spent += gs;
            books.inventory[j] += bought - released;
            books.budget_left -= spent;
            storage += books.inventory[j] * st.storage_cost_per_t_yr.0 * yp;
            tables.stockpile.push(vec![
                label.to_string(),
                st.name.clone(),
                cid.to_string(),
                num(bought),
                num(released),
                num(books.inventory[j]),
                num(spent),
                num(books.budget_left),
            ]);
            let scope = format!("{}:{}", st.name, cid);
            indicator(
                &mut tables.indicators,
                label,
                "stockpile_spend_usd",
                scope.clone(),
                spent,
            );
            indicator(
                &mut tables.indicators,
                label,
                "stockpile_inventory_t",
                scope.clone(),
                books.inventory[j],
            );
            if let Some(days) = days_of_cover(books.inventory[j], use_per_period[c], yp) {
                indicator(
                    &mut tables.indicators,
                    label,
                    "stockpile_days_of_cover",
                    scope,
                    days,
                );
            }
        }
        indicator(
            &mut tables.indicators,
            label,
            "stockpile_storage_cost_usd",
            st.name.clone(),
            storage,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,280 t held, members using 7,788 t a quarter (85.35 t a day): 15.0 days.
    #[test]
    fn days_of_cover_are_inventory_over_daily_use() {
        let d = days_of_cover(1280.0, 7788.0, 0.25).unwrap();
        assert!((d - 1280.0 / (7788.0 / 91.25)).abs() < 1e-9, "{d}");
        // A year's period: the same use per day over 365 days.
        assert_eq!(days_of_cover(365.0, 365.0, 1.0), Some(365.0));
        // Nobody uses it: no figure; an empty stock covers 0 days.
        assert_eq!(days_of_cover(10.0, 0.0, 0.25), None);
        assert_eq!(days_of_cover(0.0, 100.0, 0.25), Some(0.0));
        assert_eq!(days_of_cover(f64::NAN, 100.0, 0.25), None);
    }

    /// Room 300 t, 500 t a period allowed, budget 2,000,000 at B = 10,000 → 200 t: the
    /// budget binds. With budget 1e9, the room (300) binds; full inventory buys nothing.
    #[test]
    fn buying_stays_within_budget_and_room() {
        assert_eq!(buy_width(500.0, 300.0, 2e6, 1e4), 200.0);
        assert_eq!(buy_width(500.0, 300.0, 1e9, 1e4), 300.0);
        assert_eq!(buy_width(500.0, 0.0, 1e9, 1e4), 0.0);
        assert_eq!(buy_width(500.0, -5.0, 1e9, 1e4), 0.0);
    }
}
