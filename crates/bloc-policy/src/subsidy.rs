//! Production subsidies (`[[bloc.subsidy]]`): named processes receive a fixed amount per tonne
//! produced while in force, which lowers the price at which they supply. Several subsidies on
//! one process add up. A block's guaranteed (contracted) part is paid by its guarantee and
//! gets no per-tonne subsidy on top. Payouts are reported as `subsidy_payout_usd`.

use crate::{indicator, Applied, Instrument, Layout, Period, PolicyState, Solved};
use bloc_market::{MarketProblem, Subsidy};
use bloc_results::RunTables;
use bloc_units::UsdPerTonne;

/// One subsidy on one supply block in a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubsidyBlock {
    /// The supply block.
    pub block: usize,
    /// The subsidy's support on it.
    pub per_t: UsdPerTonne,
}

/// The production subsidies of a scenario (`[[bloc.subsidy]]`), as an [`Instrument`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Subsidies;

impl Instrument for Subsidies {
    fn name(&self) -> &'static str {
        "subsidy"
    }

    /// Adds the subsidies in force to their blocks.
    fn apply(
        &self,
        period: &Period<'_>,
        m: &mut MarketProblem,
        layout: &mut Layout,
        applied: &mut Applied,
    ) {
        let (s, t) = (period.scenario, period.t);
        for sub in s.bloc.subsidies.iter().filter(|x| x.span.covers(t)) {
            for (k, b) in m.supply.iter_mut().enumerate() {
                let Some(p) = layout.block_process.get(k).copied().flatten() else {
                    continue;
                };
                if !sub.processes.contains(&s.processes[p].id) {
                    continue;
                }
                match b.subsidy {
                    Subsidy::None => b.subsidy = Subsidy::Fixed(sub.per_t),
                    Subsidy::Fixed(v) => b.subsidy = Subsidy::Fixed(UsdPerTonne(v.0 + sub.per_t.0)),
                    _ => continue,
                }
                applied.subsidy_blocks.push(SubsidyBlock {
                    block: k,
                    per_t: sub.per_t,
                });
            }
        }
    }

    /// Reports payouts.
    fn settle(&self, solved: &Solved<'_>, _: &mut PolicyState, tables: &mut RunTables) {
        let (m, o, label) = (solved.market, solved.outcome, solved.label);
        if solved.applied.subsidy_blocks.is_empty() {
            return;
        }
        let out = &mut tables.indicators;
        let mut by_block = std::collections::BTreeMap::<String, f64>::new();
        for b in &solved.applied.subsidy_blocks {
            *by_block.entry(m.supply[b.block].name.clone()).or_default() +=
                b.per_t.0 * o.supply[b.block];
        }
        let total: f64 = by_block.values().sum();
        for (name, v) in by_block {
            indicator(
                out,
                label,
                "subsidy_payout_usd",
                format!("process:{name}"),
                v,
            );
        }
        indicator(out, label, "subsidy_payout_usd", "world".into(), total);
    }
}
