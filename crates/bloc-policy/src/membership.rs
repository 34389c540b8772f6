//! Membership and frameworks: members trade tariff-free with each other, and the parties to a
//! framework trade tariff-free in the commodities it names, while each is in force
//! (`[bloc] members = [{ region, from, to }]`, `[[bloc.framework]]`).

use crate::{Applied, Instrument, Layout, Period};
use bloc_market::MarketProblem;
use bloc_scenario::Scenario;
use bloc_units::UsdPerTonne;

/// Membership and frameworks (`[bloc] members`, `[[bloc.framework]]`), as an [`Instrument`]:
/// they edit the routes and keep no state.
#[derive(Debug, Clone, Copy, Default)]
pub struct Membership;

impl Instrument for Membership {
    fn name(&self) -> &'static str {
        "membership"
    }

    fn apply(&self, p: &Period<'_>, m: &mut MarketProblem, layout: &mut Layout, _: &mut Applied) {
        apply(p.scenario, p.t, layout, m);
    }
}

/// Removes the tariff on every route that membership or a framework makes tariff-free, and
/// adds the compliance cost of market standards to routes from uncertified origins into
/// members (a `non_member` standard instead takes the route out of tariff-free trade: see
/// [`bloc_scenario::BlocConfig::tariff_free`]).
pub fn apply(s: &Scenario, t: usize, layout: &Layout, m: &mut MarketProblem) {
    for (k, route) in m.routes.iter_mut().enumerate() {
        if layout.is_link(k) {
            continue;
        }
        // Under `rule = "origin"`, tracked goods meet the treatment of where they come from.
        let (_, d, c) = layout.routes[k];
        let o = layout.rules_origin(k);
        let (ro, rd, cc) = (&s.regions[o].id, &s.regions[d].id, &s.commodities[c].id);
        if s.bloc.tariff_free(rd, ro, cc, t) {
            route.specific_tariff = UsdPerTonne(0.0);
            route.ad_valorem = 0.0;
        }
        let compliance = s.bloc.compliance_cost(rd, ro, cc, t);
        if compliance > 0.0 {
            route.transport = UsdPerTonne(route.transport.0 + compliance);
        }
    }
}

#[cfg(test)]
mod tests {
    use bloc_scenario::{BlocConfig, CommoditySet, Framework, Membership, Span};
    use bloc_units::{CommodityId, RegionId};

    fn span(from: usize, to: Option<usize>) -> Span {
        Span { from, to }
    }

    /// USA joins in period 0, AUS in period 2 and leaves in 4; a US–ARG framework covers
    /// copper only. By hand: USA–AUS is tariff-free in periods 2 and 3 only; USA–ARG copper
    /// always, lithium never; ARG–AUS never (ARG is not a member, and AUS is no party).
    #[test]
    fn members_and_framework_parties_trade_tariff_free_while_in_force() {
        let r = |s: &str| RegionId::from(s);
        let c = |s: &str| CommodityId::from(s);
        let bloc = BlocConfig {
            members: vec![
                Membership {
                    region: r("USA"),
                    span: span(0, None),
                },
                Membership {
                    region: r("AUS"),
                    span: span(2, Some(4)),
                },
            ],
            frameworks: vec![Framework {
                name: "US-Argentina".into(),
                regions: vec![r("USA"), r("ARG")],
                commodities: CommoditySet::Named(vec![c("copper")]),
                span: span(0, None),
            }],
            ..BlocConfig::default()
        };
        let free: Vec<bool> = (0..6)
            .map(|t| bloc.tariff_free(&r("USA"), &r("AUS"), &c("copper"), t))
            .collect();
        assert_eq!(free, [false, false, true, true, false, false]);
        assert!(bloc.tariff_free(&r("USA"), &r("ARG"), &c("copper"), 5));
        assert!(bloc.tariff_free(&r("ARG"), &r("USA"), &c("copper"), 5));
        assert!(!bloc.tariff_free(&r("USA"), &r("ARG"), &c("lithium"), 5));
        assert!(!bloc.tariff_free(&r("AUS"), &r("ARG"), &c("copper"), 3));
    }
}
