//! Export controls (`[[export_control]]`): an exporter's ban, quota or licence regime on some
//! commodities to a set of destinations, while in force.
//!
//! Each becomes a cap on a group of routes (a quota row in the QP, whose shadow price is the
//! scarcity rent the cap creates):
//! * **ban**: every covered route capped at 0;
//! * **quota**: the covered routes of each commodity together capped at the quota per period;
//! * **licence**: each covered route capped at `approved_share` × its normal exports (the flow
//!   on that route in the last period before the regime began; for a regime that begins in
//!   the first period, the flow of that period solved without controls); no licence is
//!   granted for the first `delay_periods` periods (cap 0); destinations with a general
//!   licence get their share instead.
//!
//! Where two controls cover the same route, both caps apply (the tighter binds).
//!
//! Under `[origin] rule = "origin"` (design §8) a control covers the exporter's goods (its
//! origin class) delivered into the destinations from **any** region; a quota or licence caps
//! them together. Under `last_shipper` it covers the exporter's own routes only.

use crate::{
    indicator, Applied, Instrument, Layout, Period, PolicyState, RouteClass, Solved, Welfare,
};
use bloc_market::{MarketProblem, RouteCap};
use bloc_results::RunTables;
use bloc_scenario::policy::{CommoditySet, RegionSet};
use bloc_scenario::{ControlKind, ExportControl, Scenario};
use bloc_units::Tonnes;

/// Whether some licence regime begins in the first period.
pub fn needs_uncontrolled_start(s: &Scenario) -> bool {
    s.counter
        .export_controls
        .iter()
        .any(|c| matches!(c.kind, ControlKind::Licence { .. }) && c.span.from == 0)
}

/// Whether route `k` carries region `x`'s goods: its origin class where the commodity is
/// followed, else (nothing followed) its shipper's. The goods of an exporter that is not
/// tracked (`[origin] track` leaves it out) are in class `other`: the ones it ships itself.
fn carries_goods_of(layout: &Layout, k: usize, x: usize) -> bool {
    match layout.route_class[k] {
        RouteClass::Any => layout.routes[k].0 == x,
        _ if layout.origin.tracked.contains(&x) => layout.goods_origin(k) == Some(x),
        _ => layout.routes[k].0 == x && layout.goods_origin(k).is_none(),
    }
}

/// The trade routes (no links) into a destination other than the exporter `x`, carrying
/// one of the commodities.
fn into_destinations<'a>(
    s: &'a Scenario,
    t: usize,
    commodities: &'a CommoditySet,
    destinations: &'a RegionSet,
    layout: &'a Layout,
    x: usize,
) -> impl Iterator<Item = usize> + 'a {
    (0..layout.routes.len()).filter(move |&k| {
        let (_, d, c) = layout.routes[k];
        !layout.is_link(k)
            && d != x
            && commodities.contains(&s.commodities[c].id)
            && destinations.contains(&s.regions[d].id, t, &s.bloc)
    })
}

/// The routes a control covers in period t: under `[origin] rule = "origin"`, every route
/// that delivers the exporter's goods (its origin class) into a destination, whoever ships
/// them; otherwise (`last_shipper`, or a commodity not followed) the exporter's own routes.
pub fn covered(s: &Scenario, t: usize, ctl: &ExportControl, layout: &Layout) -> Vec<usize> {
    let Some(x) = s.region_index(ctl.exporter.as_str()) else {
        return Vec::new();
    };
    exports_of(s, t, x, &ctl.commodities, &ctl.destinations, layout)
}

/// The routes an export measure of region `x` on `commodities` to `destinations` covers in
/// period t (the rule of [`covered`], for a control or a strategy's instrument).
pub fn exports_of(
    s: &Scenario,
    t: usize,
    x: usize,
    commodities: &CommoditySet,
    destinations: &RegionSet,
    layout: &Layout,
) -> Vec<usize> {
    into_destinations(s, t, commodities, destinations, layout, x)
        .filter(|&k| {
            if layout.origin.by_origin() {
                carries_goods_of(layout, k, x)
            } else {
                layout.routes[k].0 == x
            }
        })
        .collect()
}

/// Class-`x` goods delivered into a destination of `ctl` by a region other than `x`: what
/// leaks past the control through third countries (0 under `rule = "origin"` while the
/// control binds, the rerouted tonnes under `last_shipper`), and what the control targets
/// (every class-`x` tonne into its destinations, direct or not).
pub fn transshipped(
    s: &Scenario,
    t: usize,
    ctl: &ExportControl,
    layout: &Layout,
    flow: &[f64],
) -> (f64, f64) {
    let Some(x) = s.region_index(ctl.exporter.as_str()) else {
        return (0.0, 0.0);
    };
    let (mut via, mut all) = (0.0, 0.0);
    let goods = into_destinations(s, t, &ctl.commodities, &ctl.destinations, layout, x)
        .filter(|&k| carries_goods_of(layout, k, x));
    for k in goods {
        let f = flow.get(k).copied().unwrap_or(0.0);
        all += f;
        if layout.routes[k].0 != x {
            via += f;
        }
    }
    (via, all)
}

/// The licence cap on one route: share × normal exports, 0 during the delay.
pub fn licence_cap(period_in_regime: usize, delay: usize, share: f64, normal: f64) -> f64 {
    if period_in_regime < delay {
        0.0
    } else {
        (share * normal).max(0.0)
    }
}

/// The export controls of a scenario (`[[export_control]]`), as an [`Instrument`]: caps on
/// routes, read from the flows of earlier periods; no state of their own.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportControls;

impl Instrument for ExportControls {
    fn name(&self) -> &'static str {
        "export_control"
    }

    /// The exporter collects the export tax and the quota rent.
    fn welfare(&self, p: &Solved<'_>, _state: &PolicyState, w: &mut [Welfare]) {
        let o = p.outcome;
        for (&k, &x) in &p.applied.route_exporter {
            let f = o.flow.get(k).copied().unwrap_or(0.0);
            if f > 0.0 {
                let tax = o.export_tax.get(k).copied().unwrap_or(0.0);
                let rent = o.cap_rent.get(k).copied().unwrap_or(0.0);
                w[x].export_revenue += (tax + rent) * f;
            }
        }
    }

    /// Adds the caps of every control in force (none in the pre-solve without controls).
    fn apply(&self, p: &Period<'_>, m: &mut MarketProblem, layout: &mut Layout, a: &mut Applied) {
        if p.export_controls {
            add_caps(p, layout, m, a);
        }
    }

    fn needs_presolve(&self, s: &Scenario) -> bool {
        needs_uncontrolled_start(s)
    }

    /// Reports, per control in force, the exporter's goods that reached its destinations
    /// through a third country (`transshipped_t`) and their share of all its goods that
    /// reached them (`leakage_share`, 0 when none did), scope `control:N:EXPORTER` with N the
    /// control's place among the `[[export_control]]` entries (from 1).
    fn settle(&self, solved: &Solved<'_>, _: &mut PolicyState, tables: &mut RunTables) {
        let (s, t) = (solved.scenario, solved.t);
        for (i, ctl) in s.counter.export_controls.iter().enumerate() {
            if !ctl.span.covers(t) {
                continue;
            }
            let (via, all) = transshipped(s, t, ctl, solved.layout, &solved.outcome.flow);
            let scope = format!("control:{}:{}", i + 1, ctl.exporter);
            let out = &mut tables.indicators;
            indicator(out, solved.label, "transshipped_t", scope.clone(), via);
            let share = if all > 0.0 { via / all } else { 0.0 };
            indicator(out, solved.label, "leakage_share", scope, share);
        }
    }
}

/// Adds the caps of every control in force; their rents go to the exporter
/// ([`Applied::route_exporter`]).
fn add_caps(p: &Period<'_>, layout: &Layout, m: &mut MarketProblem, applied: &mut Applied) {
    let (s, t, state) = (p.scenario, p.t, p.state);
    for (i, ctl) in s.counter.export_controls.iter().enumerate() {
        if !ctl.span.covers(t) {
            continue;
        }
        let routes = covered(s, t, ctl, layout);
        if let Some(x) = s.region_index(ctl.exporter.as_str()) {
            for &k in &routes {
                applied.route_exporter.insert(k, x);
            }
        }
        match &ctl.kind {
            ControlKind::Ban => {
                for &k in &routes {
                    m.caps.push(RouteCap {
                        name: format!("ban{i}:{}", m.routes[k].name),
                        routes: vec![k],
                        cap: Tonnes(0.0),
                    });
                }
            }
            ControlKind::Quota(q) => add_quota(s, layout, m, &routes, *q, &format!("quota{i}")),
            ControlKind::Licence {
                approved_share,
                delay_periods,
                general,
            } => {
                let normal: Option<&Vec<f64>> = if ctl.span.from == 0 {
                    state.uncontrolled_flows.as_ref()
                } else {
                    state.flows.get(ctl.span.from - 1)
                };
                // One licence per (destination, commodity): under `origin` it covers the
                // exporter's goods on every route into that destination (normal exports being
                // what they carried together); under `last_shipper`, one route.
                let mut groups: Vec<((usize, usize), Vec<usize>)> = Vec::new();
                for &k in &routes {
                    let (o, d, c) = layout.routes[k];
                    let key = if layout.origin.by_origin() {
                        (d, c)
                    } else {
                        (o * layout.regions + d, c)
                    };
                    match groups.iter_mut().find(|g| g.0 == key) {
                        Some(g) => g.1.push(k),
                        None => groups.push((key, vec![k])),
                    }
                }
                for (_, group) in groups {
                    let (_, d, _) = layout.routes[group[0]];
                    let share = match general {
                        Some((set, g)) if set.contains(&s.regions[d].id, t, &s.bloc) => *g,
                        _ => *approved_share,
                    };
                    let n: f64 = group
                        .iter()
                        .map(|&k| normal.and_then(|f| f.get(k)).copied().unwrap_or(0.0))
                        .sum();
                    let cap = licence_cap(t - ctl.span.from, *delay_periods, share, n);
                    m.caps.push(RouteCap {
                        name: format!("licence{i}:{}", m.routes[group[0]].name),
                        routes: group,
                        cap: Tonnes(cap),
                    });
                }
            }
        }
    }
}

/// One cap per commodity of `routes`, each at `q` (an export quota on them together).
pub fn add_quota(
    s: &Scenario,
    layout: &Layout,
    m: &mut MarketProblem,
    routes: &[usize],
    q: Tonnes,
    name: &str,
) {
    for c in 0..layout.commodities {
        let group: Vec<usize> = routes
            .iter()
            .copied()
            .filter(|&k| layout.routes[k].2 == c)
            .collect();
        if !group.is_empty() {
            m.caps.push(RouteCap {
                name: format!("{name}:{}", s.commodities[c].id),
                routes: group,
                cap: q,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Normal exports 1,000 t, 40% approved after a 2-period delay: 0, 0, then 400 t.
    #[test]
    fn licences_arrive_after_the_delay_at_the_approved_share() {
        let caps: Vec<f64> = (0..4).map(|k| licence_cap(k, 2, 0.4, 1000.0)).collect();
        assert_eq!(caps, [0.0, 0.0, 400.0, 400.0]);
        assert_eq!(licence_cap(0, 0, 0.9, 1000.0), 900.0);
    }
}
