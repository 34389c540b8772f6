//! Guarantees and offtake (`[[bloc.guarantee]]`): a named producer's contracted volume earns
//! at least a strike price.
//!
//! The producer's block is split in two along its own cost curve: the first `volume` tonnes
//! (per period) and the rest. The contracted part either
//! * **tops up**: the state pays `strike − market price` per tonne when the market is lower,
//!   so that part runs wherever its marginal cost is below `max(price, strike)` — a guaranteed
//!   plant runs where the market alone would idle it; or
//! * **is bought outright** at the strike into a named stockpile (out of the market), within
//!   that stockpile's budget and room.
//!
//! A top-up may be **two-sided** (a contract for difference, as the DoD–MP agreement's upside
//! sharing): with `upside_share` s and `upside_above_usd_per_t` A (default: the strike), the
//! state also receives `s × (price − A)` per contracted tonne when the market is above A, so
//! the contracted part earns `max(price, strike) − s × max(price − A, 0)` and runs where its
//! marginal cost is below that.
//!
//! Payouts are reported as `guarantee_payout_usd`, the state's upside receipts as
//! `guarantee_receipt_usd` (the welfare accounts net them: support cost = payouts − receipts).

use crate::{indicator, Applied, Instrument, Layout, Period, PolicyState, Solved};
use bloc_market::{MarketProblem, Subsidy, SupplyBlock};
use bloc_results::RunTables;
use bloc_scenario::GuaranteeMode;
use bloc_units::{Tonnes, UsdPerTonne};

/// Splits `b` at `v` tonnes: (the first `v` tonnes, the rest), along the same marginal cost
/// line `unit + rise·x/K`.
pub fn split(b: &SupplyBlock, v: f64) -> (SupplyBlock, SupplyBlock) {
    let k = b.capacity.0.max(0.0);
    let v = v.clamp(0.0, k);
    let share = if k > 0.0 { v / k } else { 0.0 };
    let mut first = b.clone();
    first.name = format!("{}#contracted", b.name);
    first.capacity = Tonnes(v);
    first.cost_rise = UsdPerTonne(b.cost_rise.0 * share);
    let mut rest = b.clone();
    rest.capacity = Tonnes(k - v);
    rest.unit_cost = UsdPerTonne(b.unit_cost.0 + b.cost_rise.0 * share);
    rest.cost_rise = UsdPerTonne(b.cost_rise.0 * (1.0 - share));
    (first, rest)
}

/// A guarantee in force in a period and the supply block of its contracted part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuaranteeBlock {
    /// Index of the guarantee in `[[bloc.guarantee]]`.
    pub guarantee: usize,
    /// The supply block of the contracted part.
    pub block: usize,
}

/// The guarantees of a scenario (`[[bloc.guarantee]]`), as an [`Instrument`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Guarantees;

impl Instrument for Guarantees {
    fn name(&self) -> &'static str {
        "guarantee"
    }

    /// Splits every guaranteed block and marks its contracted part.
    fn apply(
        &self,
        period: &Period<'_>,
        m: &mut MarketProblem,
        layout: &mut Layout,
        applied: &mut Applied,
    ) {
        let (s, t, state) = (period.scenario, period.t, period.state);
        let yp = s.time.years_per_period();
        for (gi, g) in s.bloc.guarantees.iter().enumerate() {
            if !g.span.covers(t) {
                continue;
            }
            let Some(p) = s.processes.iter().position(|x| x.id == g.process) else {
                continue;
            };
            let Some(k) = layout.block_process.iter().position(|&x| x == Some(p)) else {
                continue;
            };
            let mut volume = g.volume.over(yp).0;
            if let GuaranteeMode::Purchase { stockpile } = &g.mode {
                let Some(si) = s.bloc.stockpiles.iter().position(|x| &x.name == stockpile) else {
                    continue;
                };
                let books = &state.stocks[si];
                let j = s.bloc.stockpiles[si]
                    .commodities
                    .iter()
                    .position(|c| *c == s.processes[p].output);
                let Some(j) = j else { continue };
                let room = s.bloc.stockpiles[si].max_inventory.0 - books.inventory[j];
                volume = volume
                    .min(room.max(0.0))
                    .min((books.budget_left / g.strike.0.max(1e-9)).max(0.0));
            }
            let (mut first, rest) = split(&m.supply[k], volume);
            match &g.mode {
                GuaranteeMode::TopUp => {
                    first.subsidy = match g.upside {
                        None => Subsidy::TopUpTo(g.strike),
                        Some(u) => Subsidy::Contract {
                            strike: g.strike,
                            above: u.above,
                            share: u.share,
                        },
                    }
                }
                GuaranteeMode::Purchase { .. } => {
                    first.subsidy = Subsidy::PaidAt(g.strike);
                    first.sold_to_state = true;
                }
            }
            m.supply[k] = rest;
            m.supply.push(first);
            layout.block_process.push(Some(p));
            applied.guarantee_blocks.push(GuaranteeBlock {
                guarantee: gi,
                block: m.supply.len() - 1,
            });
        }
    }

    /// Pays the guarantees and books outright purchases into their stockpiles.
    fn settle(&self, solved: &Solved<'_>, state: &mut PolicyState, tables: &mut RunTables) {
        let (s, m, o, label) = (solved.scenario, solved.market, solved.outcome, solved.label);
        let out = &mut tables.indicators;
        let mut total = 0.0;
        let mut received = 0.0;
        for gb in &solved.applied.guarantee_blocks {
            let (gi, k) = (gb.guarantee, gb.block);
            let g = &s.bloc.guarantees[gi];
            let x = o.supply[k];
            let p = o.prices[m.supply[k].node].unwrap_or(0.0);
            if let Some(u) = g.upside {
                let r = u.share * (p - u.above.0).max(0.0) * x;
                received += r;
                indicator(
                    out,
                    label,
                    "guarantee_receipt_usd",
                    format!("process:{}", g.process),
                    r,
                );
            }
            let payout = match &g.mode {
                GuaranteeMode::TopUp => (g.strike.0 - p).max(0.0) * x,
                GuaranteeMode::Purchase { stockpile } => {
                    let cost = g.strike.0 * x;
                    if let Some(si) = s
                        .bloc
                        .stockpiles
                        .iter()
                        .position(|st| &st.name == stockpile)
                    {
                        let output = &s
                            .processes
                            .iter()
                            .find(|p| p.id == g.process)
                            .map(|p| p.output.clone());
                        if let Some(j) = output.as_ref().and_then(|c| {
                            s.bloc.stockpiles[si]
                                .commodities
                                .iter()
                                .position(|x| x == c)
                        }) {
                            state.stocks[si].book_guarantee(j, x, cost);
                        }
                    }
                    cost
                }
            };
            total += payout;
            indicator(
                out,
                label,
                "guarantee_payout_usd",
                format!("process:{}", g.process),
                payout,
            );
            indicator(
                out,
                label,
                "guarantee_volume_t",
                format!("process:{}", g.process),
                x,
            );
        }
        if !solved.applied.guarantee_blocks.is_empty() {
            indicator(out, label, "guarantee_payout_usd", "world".into(), total);
        }
        if s.bloc.guarantees.iter().any(|g| g.upside.is_some()) {
            indicator(
                out,
                label,
                "guarantee_receipt_usd",
                "world".into(),
                received,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block of 100 t with marginal cost 10 + 20·x/100 split at 25 t: the first part runs
    /// from 10 to 15 over 25 t, the rest from 15 to 30 over 75 t — the same line.
    #[test]
    fn split_keeps_the_cost_curve() {
        let b = SupplyBlock::new("p", 0, Tonnes(100.0), UsdPerTonne(10.0), UsdPerTonne(20.0));
        let (a, r) = split(&b, 25.0);
        assert_eq!(
            (a.capacity.0, a.unit_cost.0, a.cost_rise.0),
            (25.0, 10.0, 5.0)
        );
        assert_eq!(
            (r.capacity.0, r.unit_cost.0, r.cost_rise.0),
            (75.0, 15.0, 15.0)
        );
        assert_eq!(a.marginal_cost(25.0), r.marginal_cost(0.0));
        assert_eq!(r.marginal_cost(75.0), b.marginal_cost(100.0));
        // Asking for more than the block has takes it all.
        assert_eq!(split(&b, 500.0).0.capacity.0, 100.0);
    }
}
