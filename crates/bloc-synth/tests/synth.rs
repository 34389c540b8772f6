//! The generator is deterministic, its worlds load back equal through the scenario loader,
//! and their magnitudes span the ranges the engine must handle.

use bloc_scenario::{DemandForm, Scenario, Stage};
use bloc_synth::{generate, write_scenario_folder, SynthSpec};

fn assert_same_world(a: &Scenario, b: &Scenario, what: &str) {
    assert_eq!(a.name, b.name, "{what}: name");
    assert_eq!(a.description, b.description, "{what}: description");
    assert_eq!(a.base_year, b.base_year, "{what}: base_year");
    assert_eq!(a.seed, b.seed, "{what}: seed");
    assert_eq!(a.time, b.time, "{what}: time");
    assert_eq!(a.regions, b.regions, "{what}: regions");
    assert_eq!(a.commodities, b.commodities, "{what}: commodities");
    assert_eq!(a.processes, b.processes, "{what}: processes");
    assert_eq!(a.demand, b.demand, "{what}: demand");
    assert_eq!(a.transport, b.transport, "{what}: transport");
    assert_eq!(a.tariffs, b.tariffs, "{what}: tariffs");
    assert_eq!(a.bloc, b.bloc, "{what}: bloc");
    assert_eq!(a.counter, b.counter, "{what}: counter-policies");
}

#[test]
fn same_seed_same_world() {
    for seed in [0, 1, 42, u64::MAX] {
        let a = generate(&SynthSpec::small(seed));
        let b = generate(&SynthSpec::small(seed));
        assert_same_world(&a, &b, &format!("seed {seed}"));
    }
    let a = generate(&SynthSpec::small(3));
    let b = generate(&SynthSpec::small(4));
    assert_ne!(
        a.processes, b.processes,
        "different seeds should give different worlds"
    );
}

#[test]
fn small_worlds_round_trip_through_the_loader() {
    for seed in 0..60 {
        let s = generate(&SynthSpec::small(seed));
        let dir = tempfile::tempdir().unwrap();
        write_scenario_folder(&s, dir.path()).unwrap();
        let back = bloc_scenario::load(dir.path())
            .unwrap_or_else(|e| panic!("seed {seed}: the written folder does not load: {e}"));
        assert_same_world(&s, &back, &format!("seed {seed}"));
    }
}

#[test]
fn the_medium_benchmark_world_round_trips() {
    let s = generate(&SynthSpec::bench_medium());
    let dir = tempfile::tempdir().unwrap();
    write_scenario_folder(&s, dir.path()).unwrap();
    let back = bloc_scenario::load(dir.path()).unwrap();
    assert_same_world(&s, &back, "bench_medium");
}

#[test]
fn a_bloc_is_refused_not_dropped() {
    let mut s = generate(&SynthSpec::small(11));
    s.bloc.name = "club".to_string();
    let dir = tempfile::tempdir().unwrap();
    let e = write_scenario_folder(&s, dir.path()).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn presets_have_their_sizes() {
    for seed in 0..200 {
        let spec = SynthSpec::small(seed);
        assert!(
            (3..=8).contains(&spec.regions) && (1..=3).contains(&spec.stages),
            "seed {seed}"
        );
    }
    let m = generate(&SynthSpec::bench_medium());
    assert_eq!((m.regions.len(), m.commodities.len()), (20, 30));
    let l = SynthSpec::bench_large();
    assert_eq!((l.regions, l.commodities()), (40, 60));
}

#[test]
fn worlds_are_economically_shaped() {
    let s = generate(&SynthSpec::bench_medium());
    let stage = |id: &str| {
        s.commodities
            .iter()
            .find(|c| c.id.as_str() == id)
            .unwrap()
            .stage
    };
    // Chains: mines have no inputs, later stages one input of the stage before, 1.2–5 t/t
    // (± 10% by region).
    for p in &s.processes {
        match stage(p.output.as_str()) {
            Stage::Mine => assert!(p.inputs.is_empty()),
            st => {
                assert_eq!(p.inputs.len(), 1);
                let (c, k) = &p.inputs[0];
                let expect = if st == Stage::Refined {
                    Stage::Mine
                } else {
                    Stage::Refined
                };
                assert_eq!(stage(c.as_str()), expect);
                assert!((1.2 * 0.9..=5.0 * 1.1).contains(k), "coefficient {k}");
            }
        }
        assert!(p.cost_rise.is_none_or(|r| r.0 > 0.0));
    }
    // Magnitudes spread over orders: reference prices 1e3–1e6, quantities 1e1–1e6.
    let prices: Vec<f64> = s.demand.iter().map(|d| d.price.0).collect();
    let (lo, hi) = prices
        .iter()
        .fold((f64::MAX, 0.0f64), |(a, b), &p| (a.min(p), b.max(p)));
    assert!(
        lo >= 1e3 * 0.8 && hi <= 1e6 * 1.25 && hi / lo > 100.0,
        "prices {lo}..{hi}"
    );
    let caps: Vec<f64> = s
        .processes
        .iter()
        .map(|p| p.capacity.0)
        .filter(|&c| c > 0.0)
        .collect();
    let (lo, hi) = caps
        .iter()
        .fold((f64::MAX, 0.0f64), |(a, b), &q| (a.min(q), b.max(q)));
    assert!(hi <= 2e6 && hi / lo > 1e3, "capacities {lo}..{hi}");
    // Both demand forms, several blocks in some market, some zero-capacity blocks.
    assert!(s.demand.iter().any(|d| d.form == DemandForm::Linear));
    assert!(s
        .demand
        .iter()
        .any(|d| matches!(d.form, DemandForm::Isoelastic { .. })));
    assert!(s.processes.iter().any(|p| p.capacity.0 == 0.0));
    assert!(s.processes.iter().any(|p| p.id.as_str().ends_with("_3")));
    // Every ordered pair of distinct regions has a route for every commodity.
    let (a, b, c) = (&s.regions[0].id, &s.regions[1].id, &s.commodities[0].id);
    assert!(s.transport_cost(a, b, c).is_some());
    assert!(s.tariffs.iter().any(|t| t.tariff.ad_valorem > 0.0));
    assert!(s.tariffs.iter().any(|t| t.tariff.specific.0 > 0.0));
}
