//! Strategies (`[[strategy]]`, design §10): a player's own export taxes and quotas, at the
//! values its search chose ([`PolicyState::strategy`]; before the first choice, each
//! instrument's `start`). The search itself, which solves the market for each candidate, is
//! in `bloc-model` (`strategy.rs`); this module only puts the chosen values on the market.
//!
//! * **tax**: every covered route's export tax is the rate (a fraction of the exporter's
//!   price, [`bloc_market::Route::export_tax`]);
//! * **quota**: the covered routes of each commodity together are capped at the value (t per
//!   period), as an export control's quota.
//!
//! The routes covered are those of an export control by the player on the same commodities
//! and destinations ([`crate::export_control::exports_of`]): under `[origin] rule = "origin"`
//! the player's goods delivered into the destinations by anyone. The player collects the tax
//! and the quota rent on them ([`Applied::route_exporter`]).

use crate::export_control::{add_quota, exports_of};
use crate::{Applied, Instrument, Layout, Period};
use bloc_market::MarketProblem;
use bloc_scenario::{Measure, Scenario, Strategy};
use bloc_units::Tonnes;

/// Whether strategy `st` is in force in period `t`.
pub fn in_force(st: &Strategy, t: usize) -> bool {
    st.span.covers(t)
}

/// Whether period `t` is one where strategy `st` chooses again: in force and a multiple of
/// `every` periods from the first period of its span.
pub fn decides(st: &Strategy, t: usize) -> bool {
    in_force(st, t) && (t - st.span.from).is_multiple_of(st.every)
}

/// The routes instrument `j` of strategy `st` covers in period `t`.
pub fn routes(s: &Scenario, t: usize, st: &Strategy, j: usize, layout: &Layout) -> Vec<usize> {
    let Some(x) = s.region_index(st.player.as_str()) else {
        return Vec::new();
    };
    let inst = &st.instruments[j];
    exports_of(s, t, x, &inst.commodities, &inst.destinations, layout)
}

/// The strategies of a scenario, as an [`Instrument`]: the chosen taxes and quotas.
#[derive(Debug, Clone, Copy, Default)]
pub struct Strategies;

impl Instrument for Strategies {
    fn name(&self) -> &'static str {
        "strategy"
    }

    /// Puts each strategy in force at its chosen values (none in the pre-solve without
    /// export controls: a strategy's measures are export measures).
    fn apply(&self, p: &Period<'_>, m: &mut MarketProblem, layout: &mut Layout, a: &mut Applied) {
        if !p.export_controls {
            return;
        }
        let (s, t) = (p.scenario, p.t);
        for (i, st) in s.strategies.iter().enumerate() {
            if !in_force(st, t) {
                continue;
            }
            let Some(x) = s.region_index(st.player.as_str()) else {
                continue;
            };
            for (j, inst) in st.instruments.iter().enumerate() {
                let value = p
                    .state
                    .strategy
                    .get(i)
                    .and_then(|v| v.get(j))
                    .copied()
                    .unwrap_or(inst.start);
                let covered = routes(s, t, st, j, layout);
                for &k in &covered {
                    a.route_exporter.insert(k, x);
                }
                match inst.measure {
                    Measure::Tax => {
                        for &k in &covered {
                            m.routes[k].export_tax = value;
                        }
                    }
                    Measure::Quota => add_quota(
                        s,
                        layout,
                        m,
                        &covered,
                        Tonnes(value),
                        &format!("strategy{i}.{j}"),
                    ),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bloc_scenario::policy::{CommoditySet, RegionSet, Span};
    use bloc_scenario::{Against, Objective, StrategyInstrument};

    fn strategy(from: usize, to: Option<usize>, every: usize) -> Strategy {
        Strategy {
            player: "X".into(),
            instruments: vec![StrategyInstrument {
                measure: Measure::Tax,
                commodities: CommoditySet::All,
                destinations: RegionSet::All,
                min: 0.0,
                max: 1.0,
                start: 0.0,
                name: "tax:*>*".into(),
                line: 1,
            }],
            objective: Objective {
                welfare: 1.0,
                revenue: 0.0,
                share_usd: 0.0,
                kind: "welfare",
            },
            every,
            span: Span { from, to },
            against: Against::Market,
            line: 1,
        }
    }

    /// From period 2, every 4 periods, until period 11: chooses in 2, 6 and 10 only.
    #[test]
    fn chooses_every_n_periods_from_the_start_of_its_span() {
        let st = strategy(2, Some(11), 4);
        let when: Vec<usize> = (0..14).filter(|&t| decides(&st, t)).collect();
        assert_eq!(when, [2, 6, 10]);
        assert!(!in_force(&st, 1) && in_force(&st, 3) && !in_force(&st, 11));
    }
}
