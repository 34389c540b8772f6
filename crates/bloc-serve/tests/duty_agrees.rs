//! Issue 16, item 3: the engine's tariff (`bloc_market::Route::tariff_at`, after membership)
//! and the service's duty lookup (`bloc_serve::duty::answer`, `bloc_scenario::Tariff::duty`)
//! were two formulas that disagreed on a negative customs value (the engine took it as 0, the
//! service did not). Both now call `bloc_units::border::tariff`; this checks, on every route
//! of the demo bloc and a grid of origin prices, that they give the same duty.

use bloc_serve::duty::{answer, DutyQuery};
use std::collections::HashMap;

#[test]
fn the_engines_tariff_and_the_services_duty_agree_on_every_route() {
    let s = bloc_serve::cli::demo_scenario().unwrap();
    let world = bloc_model::World::new(&s, 0);
    let t = 0;
    let (mut m, layout) = world.market(t);
    bloc_policy::membership::apply(&s, t, &layout, &mut m);
    let date = format!("{}-02-15", 2026);
    let (no_schedules, no_unusable) = (HashMap::new(), HashMap::new());
    let mut compared = 0;
    for (k, route) in m.routes.iter().enumerate() {
        let (o, d, c) = layout.routes[k];
        for p in [0.0, 1.0, 950.0, 40_000.0, 72_500.5, 3.0e6] {
            let q = DutyQuery {
                importer: Some(s.regions[d].id.as_str().into()),
                exporter: Some(s.regions[o].id.as_str().into()),
                commodity: Some(s.commodities[c].id.as_str().into()),
                date: Some(date.clone()),
                customs_value: Some(format!("{}", p + route.transport.0)),
                quantity_t: None,
            };
            let a = answer(&s, &no_schedules, &no_unusable, &q).unwrap();
            let engine = route.tariff_at(p);
            assert!(
                (a.tariff.usd_per_t - engine).abs() <= 1e-9 * engine.abs().max(1.0),
                "{} at origin price {p}: service {} ({}), engine {engine}",
                route.name,
                a.tariff.usd_per_t,
                a.tariff.rule
            );
            compared += 1;
        }
    }
    assert!(compared >= 6 * 4, "only {compared} comparisons");
    // A negative customs value (a by-product the market pays to take) has no ad valorem duty
    // in both: the one formula takes it as 0.
    let tr = bloc_scenario::Tariff {
        ad_valorem: 0.25,
        specific: bloc_units::UsdPerTonne(10.0),
    };
    let mut r = bloc_market::Route::new("x", 0, 1, bloc_units::UsdPerTonne(20.0));
    r.specific_tariff = tr.specific;
    r.ad_valorem = tr.ad_valorem;
    assert_eq!(r.tariff_at(-100.0), 10.0);
    assert_eq!(
        tr.duty(
            bloc_units::UsdPerTonne(-100.0),
            bloc_units::UsdPerTonne(20.0)
        )
        .0,
        10.0
    );
}
