//! Reference prices, floors and the adjustable levy (`[[bloc.floor]]`).
//!
//! * **Reference price** per commodity: `fixed_usd_per_t`; `cost_based` — the full cost of
//!   the members' producers at a capacity percentile plus a margin, where a block's full cost
//!   is its marginal cost at full capacity (`unit_cost + cost_rise`) plus its inputs valued at
//!   last period's members' price (the inputs' mean reference demand price in the first
//!   period); or `index` — the trailing average of the members' price over the last n
//!   periods. **Floor** = reference × ratio.
//! * **Levy** on each route from a non-member into a member (unless a framework makes the
//!   pair tariff-free); under `[origin] rule = "origin"` a tracked non-member's goods pay it
//!   whichever region ships them in: `levy = clamp(floor − (origin price + transport + tariff), 0, cap)`.
//!   With `lag = 0` it is solved with the market (a fixed point in `bloc-market`); with
//!   `lag ≥ 1` it uses the prices of `lag` periods back (0 before such a period exists). It is
//!   recomputed every `every` periods from the floor's `from` and held in between.

use crate::{indicator, Applied, Instrument, Layout, Period, PolicyState, Solved};
use bloc_market::{Levy, MarketProblem};
use bloc_results::{num, RunTables};
use bloc_scenario::{FloorRule, Reference, Scenario};
use bloc_units::UsdPerTonne;

/// The levy on a route whose origin price is `p_origin`: `clamp(floor − landed, 0, cap)`.
pub fn levy(floor: f64, p_origin: f64, transport: f64, tariff: f64, cap: f64) -> f64 {
    let u = UsdPerTonne;
    bloc_units::border::levy_to_floor(u(floor), u(p_origin), u(transport), u(tariff), u(cap)).0
}

/// The reference price of `rule` for commodity `c` in period `t`, or `None` when it cannot be
/// set yet (an index with no history and no initial value; no member producer).
pub fn reference(
    s: &Scenario,
    t: usize,
    state: &PolicyState,
    layout: &Layout,
    m: &MarketProblem,
    rule: &FloorRule,
    c: usize,
) -> Option<f64> {
    match &rule.reference {
        Reference::Fixed(v) => Some(v.0),
        Reference::Index { periods, initial } => {
            let start = t.saturating_sub(*periods);
            let hist: Vec<f64> = (start..t)
                .filter_map(|k| state.members_price.get(k).and_then(|v| v[c]))
                .collect();
            if hist.is_empty() {
                initial.map(|v| v.0)
            } else {
                Some(hist.iter().sum::<f64>() / hist.len() as f64)
            }
        }
        Reference::CostBased { percentile, margin } => {
            let input_value = |ci: usize| -> f64 {
                if let Some(p) = t
                    .checked_sub(1)
                    .and_then(|k| state.members_price.get(k))
                    .and_then(|v| v[ci])
                {
                    return p;
                }
                mean_reference_price(s, ci)
            };
            let mut blocks: Vec<(f64, f64)> = m
                .supply
                .iter()
                .enumerate()
                .filter(|(k, b)| {
                    let (r, bc) = layout.region_commodity(b.node);
                    bc == c
                        && layout.block_process[*k].is_some()
                        && s.bloc.is_member(&s.regions[r].id, t)
                        && b.capacity.0 > 0.0
                })
                .map(|(k, b)| {
                    // The process's inputs (a plant split by origin class draws them through
                    // its activities, not its own block).
                    let pi = layout.block_process[k].expect("filtered on a process");
                    let inputs: f64 = s.processes[pi]
                        .inputs
                        .iter()
                        .filter_map(|(cid, coef)| {
                            s.commodity_index(cid.as_str())
                                .map(|ci| coef * input_value(ci))
                        })
                        .sum();
                    (b.unit_cost.0 + b.cost_rise.0 + inputs, b.capacity.0)
                })
                .collect();
            cost_percentile(&mut blocks, *percentile).map(|cost| cost * (1.0 + margin))
        }
    }
}

/// An input's value when no price of it is known yet (the first period of a cost-based
/// reference): the mean reference price P0 of its demand rows, or 0 without any.
pub fn mean_reference_price(s: &Scenario, c: usize) -> f64 {
    let p0: Vec<f64> = s
        .demand
        .iter()
        .filter(|d| s.commodity_index(d.commodity.as_str()) == Some(c))
        .map(|d| d.price.0)
        .collect();
    if p0.is_empty() {
        0.0
    } else {
        p0.iter().sum::<f64>() / p0.len() as f64
    }
}

/// The full cost of the block at which cumulative capacity, cheapest first, reaches
/// `percentile` of the total. `blocks` are (full cost, capacity).
pub fn cost_percentile(blocks: &mut [(f64, f64)], percentile: f64) -> Option<f64> {
    blocks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = blocks.iter().map(|b| b.1).sum();
    if total <= 0.0 {
        return None;
    }
    let mut cum = 0.0;
    for &(cost, cap) in blocks.iter() {
        cum += cap;
        if cum >= percentile * total * (1.0 - 1e-12) {
            return Some(cost);
        }
    }
    blocks.last().map(|b| b.0)
}

/// The ratio of floor `i`: the bloc's answer to a strategy when it chose one, else declared.
pub fn ratio(state: &PolicyState, i: usize, rule: &FloorRule) -> f64 {
    state
        .floor_ratio
        .get(i)
        .copied()
        .flatten()
        .unwrap_or(rule.ratio)
}

/// A floor in force in a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AppliedFloor {
    /// Index of the rule in `[[bloc.floor]]`.
    pub rule: usize,
    /// The commodity.
    pub commodity: usize,
    /// Its reference price this period.
    pub reference: UsdPerTonne,
    /// The floor: reference × ratio.
    pub floor: UsdPerTonne,
}

/// The floors of a scenario (`[[bloc.floor]]`), as an [`Instrument`]: a levy on the routes
/// they cover, held between recomputations in [`PolicyState::held_levy`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Floors;

impl Instrument for Floors {
    fn name(&self) -> &'static str {
        "floor"
    }

    /// Sets the floors in force and the levy on each route they cover.
    fn apply(
        &self,
        period: &Period<'_>,
        m: &mut MarketProblem,
        layout: &mut Layout,
        applied: &mut Applied,
    ) {
        let (s, t, state) = (period.scenario, period.t, period.state);
        for (i, rule) in s.bloc.floors.iter().enumerate() {
            if !rule.span.covers(t) {
                continue;
            }
            let Some(c) = s.commodity_index(rule.commodity.as_str()) else {
                continue;
            };
            let Some(reference) = reference(s, t, state, layout, m, rule, c) else {
                continue;
            };
            let applied_floor = AppliedFloor {
                rule: i,
                commodity: c,
                reference: UsdPerTonne(reference),
                floor: UsdPerTonne(reference * ratio(state, i, rule)),
            };
            set_levies(period, rule, &applied_floor, layout, m);
            applied.floors.push(applied_floor);
        }
    }

    /// Writes the floors in force to `policy.csv`, remembers each floor's levies and reports
    /// levy and tariff revenue.
    fn settle(&self, solved: &Solved<'_>, state: &mut PolicyState, tables: &mut RunTables) {
        let (s, label, o) = (solved.scenario, solved.label, solved.outcome);
        for f in &solved.applied.floors {
            tables.policy.push(vec![
                label.to_string(),
                s.commodities[f.commodity].id.to_string(),
                num(f.reference.0),
                num(f.floor.0),
            ]);
        }
        for f in &solved.applied.floors {
            state.held_levy.insert(f.rule, o.levy.clone());
        }
        revenue(solved, &mut tables.indicators);
    }
}

/// The levy of floor `f` (of `rule`) on every route it covers: held when not recomputed,
/// solved with the market at lag 0, else from the prices `lag` periods back.
fn set_levies(
    period: &Period<'_>,
    rule: &FloorRule,
    f: &AppliedFloor,
    layout: &Layout,
    m: &mut MarketProblem,
) {
    let (s, t, state) = (period.scenario, period.t, period.state);
    let (i, c, floor) = (f.rule, f.commodity, f.floor.0);
    let recompute = (t - rule.span.from).is_multiple_of(rule.levy.every.max(1));
    let held = state.held_levy.get(&i);
    for (k, route) in m.routes.iter_mut().enumerate() {
        let (_, d, rc) = layout.routes[k];
        if rc != c || layout.is_link(k) || !levied(s, t, layout.rules_origin(k), d, c) {
            continue;
        }
        route.levy = if !recompute {
            Levy::Fixed(UsdPerTonne(held.map(|h| h[k]).unwrap_or(0.0)))
        } else if rule.levy.lag == 0 {
            Levy::ToFloor {
                floor: UsdPerTonne(floor),
                cap: rule.levy.cap,
            }
        } else {
            let past = t
                .checked_sub(rule.levy.lag)
                .and_then(|k| state.prices.get(k));
            let v = match past.and_then(|p| p[route.from]) {
                Some(po) => route.levy_to_floor_at(UsdPerTonne(floor), rule.levy.cap, po),
                None => 0.0,
            };
            Levy::Fixed(UsdPerTonne(v))
        };
    }
}

/// Whether the route o → d of c pays the bloc's levy in period t: from a non-member (or a
/// member a `non_member` market standard shuts out) into a member, not covered by a
/// framework.
pub fn levied(s: &Scenario, t: usize, o: usize, d: usize, c: usize) -> bool {
    let (ro, rd, cc) = (&s.regions[o].id, &s.regions[d].id, &s.commodities[c].id);
    s.bloc.is_member(rd, t)
        && !s.bloc.member_origin(rd, ro, cc, t)
        && !s.bloc.tariff_free(rd, ro, cc, t)
}

/// Reports levy and tariff revenue: the world's, each importer's, and each floor's
/// commodity's.
fn revenue(solved: &Solved<'_>, out: &mut bloc_results::Table) {
    let (s, layout, m, o, label) = (
        solved.scenario,
        solved.layout,
        solved.market,
        solved.outcome,
        solved.label,
    );
    let mut levy_by_importer = vec![0.0f64; layout.regions];
    let mut tariff_by_importer = vec![0.0f64; layout.regions];
    let mut levy_by_commodity = vec![0.0f64; layout.commodities];
    for k in 0..m.routes.len() {
        let (_, d, c) = layout.routes[k];
        levy_by_importer[d] += o.flow[k] * o.levy[k];
        levy_by_commodity[c] += o.flow[k] * o.levy[k];
        tariff_by_importer[d] += o.flow[k] * o.tariff[k];
    }
    indicator(
        out,
        label,
        "levy_revenue_usd",
        "world".into(),
        levy_by_importer.iter().sum(),
    );
    indicator(
        out,
        label,
        "tariff_revenue_usd",
        "world".into(),
        tariff_by_importer.iter().sum(),
    );
    for (r, reg) in s.regions.iter().enumerate() {
        if levy_by_importer[r] != 0.0 {
            indicator(
                out,
                label,
                "levy_revenue_usd",
                format!("region:{}", reg.id),
                levy_by_importer[r],
            );
        }
        if tariff_by_importer[r] != 0.0 {
            indicator(
                out,
                label,
                "tariff_revenue_usd",
                format!("region:{}", reg.id),
                tariff_by_importer[r],
            );
        }
    }
    for f in &solved.applied.floors {
        indicator(
            out,
            label,
            "levy_revenue_usd",
            format!("commodity:{}", s.commodities[f.commodity].id),
            levy_by_commodity[f.commodity],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// README of two-region-linear, `floor-lag1.toml`, year 2: floor 45, last year's p_A = 34,
    /// transport 5, tariff 3 → landed 42 → levy 3. Year 3: p_A = 33 → landed 41 → levy 4.
    #[test]
    fn levy_lifts_the_landed_price_to_the_floor() {
        assert_eq!(levy(45.0, 34.0, 5.0, 3.0, 1000.0), 3.0);
        assert_eq!(levy(45.0, 33.0, 5.0, 3.0, 1000.0), 4.0);
        // Never negative, never above the cap.
        assert_eq!(levy(45.0, 50.0, 5.0, 3.0, 1000.0), 0.0);
        assert_eq!(levy(45.0, 0.0, 5.0, 3.0, 10.0), 10.0);
    }

    /// Blocks (cost, capacity): (10, 50), (30, 30), (20, 20). Cheapest first the cumulative
    /// capacity is 50, 70, 100 of 100: the 50th percentile is the cost-10 block, the 60th the
    /// cost-20 block, the 75th and 100th the cost-30 block.
    #[test]
    fn cost_percentile_walks_the_cost_curve() {
        let b = vec![(10.0, 50.0), (30.0, 30.0), (20.0, 20.0)];
        assert_eq!(cost_percentile(&mut b.clone(), 0.5), Some(10.0));
        assert_eq!(cost_percentile(&mut b.clone(), 0.6), Some(20.0));
        assert_eq!(cost_percentile(&mut b.clone(), 0.75), Some(30.0));
        assert_eq!(cost_percentile(&mut b.clone(), 1.0), Some(30.0));
        assert_eq!(cost_percentile(&mut [], 0.5), None);
    }
}
