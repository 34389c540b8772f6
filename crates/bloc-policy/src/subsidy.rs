//! Production subsidies (`[[bloc.subsidy]]`): named processes receive a fixed amount per tonne
//! produced while in force, which lowers the price at which they supply. Several subsidies on
//! one process add up. A block's guaranteed (contracted) part is paid by its guarantee and
//! gets no per-tonne subsidy on top. Payouts are reported as `subsidy_payout_usd`.

use crate::{indicator, Applied, Layout};
use bloc_market::{MarketOutcome, MarketProblem, Subsidy};
use bloc_results::Table;
use bloc_scenario::Scenario;
use bloc_units::UsdPerTonne;

/// Adds the subsidies in force to their blocks.
pub fn apply(
    s: &Scenario,
    t: usize,
    layout: &Layout,
    m: &mut MarketProblem,
    applied: &mut Applied,
) {
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
            applied.subsidy_blocks.push((k, sub.per_t.0));
        }
    }
}

/// Reports payouts.
pub fn settle(
    label: &str,
    m: &MarketProblem,
    o: &MarketOutcome,
    applied: &Applied,
    out: &mut Table,
) {
    if applied.subsidy_blocks.is_empty() {
        return;
    }
    let mut by_block = std::collections::BTreeMap::<String, f64>::new();
    for &(k, per_t) in &applied.subsidy_blocks {
        *by_block.entry(m.supply[k].name.clone()).or_default() += per_t * o.supply[k];
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
