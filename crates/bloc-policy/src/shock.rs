//! Shocks (`[[shock.outage]]`, `[[shock.demand]]`, `[[shock.cost]]`): while in force, a share
//! of the selected plants' capacity is lost, reference demand is multiplied, or operating
//! costs (unit cost and its rise) are multiplied. Several shocks on one target compound.

use crate::{Applied, Instrument, Layout, Period};
use bloc_market::MarketProblem;
use bloc_scenario::{ProcessSelector, Scenario};
use bloc_units::Tonnes;

/// Whether a selector picks scenario process `p` in period t.
pub fn selects(s: &Scenario, t: usize, sel: &ProcessSelector, p: usize) -> bool {
    let proc_ = &s.processes[p];
    if !sel.processes.is_empty() {
        return sel.processes.contains(&proc_.id);
    }
    sel.region.contains(&proc_.region, t, &s.bloc) && sel.commodities.contains(&proc_.output)
}

/// The shocks of a scenario (`[shock]`), as an [`Instrument`]: they edit the market and keep
/// no state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shocks;

impl Instrument for Shocks {
    fn name(&self) -> &'static str {
        "shock"
    }

    fn apply(&self, p: &Period<'_>, m: &mut MarketProblem, layout: &mut Layout, _: &mut Applied) {
        apply(p.scenario, p.t, layout, m);
    }
}

/// Applies every shock in force.
pub fn apply(s: &Scenario, t: usize, layout: &Layout, m: &mut MarketProblem) {
    let c = &s.counter;
    for (k, b) in m.supply.iter_mut().enumerate() {
        let Some(p) = layout.block_process.get(k).copied().flatten() else {
            continue;
        };
        for o in c
            .outages
            .iter()
            .filter(|o| o.span.covers(t) && selects(s, t, &o.target, p))
        {
            b.capacity = Tonnes(b.capacity.0 * (1.0 - o.share).max(0.0));
        }
        for x in c
            .cost_shocks
            .iter()
            .filter(|x| x.span.covers(t) && selects(s, t, &x.target, p))
        {
            b.unit_cost = b.unit_cost * x.multiplier;
            b.cost_rise = b.cost_rise * x.multiplier;
        }
    }
    for (k, d) in m.demand.iter_mut().enumerate() {
        let Some(row) = layout.demand_row.get(k).copied().flatten() else {
            continue;
        };
        let dem = &s.demand[row];
        for x in c.demand_shocks.iter().filter(|x| {
            x.span.covers(t)
                && x.regions.contains(&dem.region, t, &s.bloc)
                && x.commodities.contains(&dem.commodity)
        }) {
            d.curve = scale_curve(&d.curve, x.multiplier);
        }
    }
}

/// A demand curve with every quantity multiplied by `k` (the same curve through (k·Q0, P0)).
pub fn scale_curve(c: &bloc_market::DemandCurve, k: f64) -> bloc_market::DemandCurve {
    let mut out = c.clone();
    for s in &mut out.segments {
        s.width = s.width * k;
    }
    out.choke_width = out.choke_width * k;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bloc_market::DemandCurve;
    use bloc_units::UsdPerTonne;

    /// Linear demand through (20, 40) with e = −1 is p = 80 − 2q; doubling it gives
    /// p = 80 − q, so at p = 50 the quantity goes from 15 to 30.
    #[test]
    fn demand_multiplier_scales_quantities_at_every_price() {
        let c = DemandCurve::linear(Tonnes(20.0), UsdPerTonne(40.0), -1.0);
        let d = scale_curve(&c, 2.0);
        assert!((c.quantity_at(50.0) - 15.0).abs() < 1e-12);
        assert!((d.quantity_at(50.0) - 30.0).abs() < 1e-12);
    }
}
