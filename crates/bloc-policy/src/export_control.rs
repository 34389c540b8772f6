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

use crate::{Applied, Instrument, Layout, Period};
use bloc_market::{MarketProblem, RouteCap};
use bloc_scenario::{ControlKind, ExportControl, Scenario};
use bloc_units::Tonnes;

/// Whether some licence regime begins in the first period.
pub fn needs_uncontrolled_start(s: &Scenario) -> bool {
    s.counter
        .export_controls
        .iter()
        .any(|c| matches!(c.kind, ControlKind::Licence { .. }) && c.span.from == 0)
}

/// The routes a control covers in period t.
pub fn covered(s: &Scenario, t: usize, ctl: &ExportControl, layout: &Layout) -> Vec<usize> {
    let Some(x) = s.region_index(ctl.exporter.as_str()) else {
        return Vec::new();
    };
    (0..layout.routes.len())
        .filter(|&k| {
            let (o, d, c) = layout.routes[k];
            o == x
                && ctl.commodities.contains(&s.commodities[c].id)
                && ctl.destinations.contains(&s.regions[d].id, t, &s.bloc)
        })
        .collect()
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

    /// Adds the caps of every control in force (none in the pre-solve without controls).
    fn apply(&self, p: &Period<'_>, m: &mut MarketProblem, layout: &mut Layout, _: &mut Applied) {
        if p.export_controls {
            add_caps(p, layout, m);
        }
    }

    fn needs_presolve(&self, s: &Scenario) -> bool {
        needs_uncontrolled_start(s)
    }
}

/// Adds the caps of every control in force.
fn add_caps(p: &Period<'_>, layout: &Layout, m: &mut MarketProblem) {
    let (s, t, state) = (p.scenario, p.t, p.state);
    for (i, ctl) in s.counter.export_controls.iter().enumerate() {
        if !ctl.span.covers(t) {
            continue;
        }
        let routes = covered(s, t, ctl, layout);
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
            ControlKind::Quota(q) => {
                for c in 0..layout.commodities {
                    let group: Vec<usize> = routes
                        .iter()
                        .copied()
                        .filter(|&k| layout.routes[k].2 == c)
                        .collect();
                    if !group.is_empty() {
                        m.caps.push(RouteCap {
                            name: format!("quota{i}:{}", s.commodities[c].id),
                            routes: group,
                            cap: *q,
                        });
                    }
                }
            }
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
                for &k in &routes {
                    let (_, d, _) = layout.routes[k];
                    let share = match general {
                        Some((set, g)) if set.contains(&s.regions[d].id, t, &s.bloc) => *g,
                        _ => *approved_share,
                    };
                    let n = normal.and_then(|f| f.get(k)).copied().unwrap_or(0.0);
                    let cap = licence_cap(t - ctl.span.from, *delay_periods, share, n);
                    m.caps.push(RouteCap {
                        name: format!("licence{i}:{}", m.routes[k].name),
                        routes: vec![k],
                        cap: Tonnes(cap),
                    });
                }
            }
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
