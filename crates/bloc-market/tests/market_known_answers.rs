//! Markets small enough to solve by hand; each test states its arithmetic.

use bloc_market::*;
use bloc_units::{Tonnes, UsdPerTonne};

fn node(name: &str, commodity: usize) -> Node {
    Node {
        name: name.into(),
        commodity,
    }
}

fn block(name: &str, node: usize, cap: f64, cost: f64, rise: f64) -> SupplyBlock {
    SupplyBlock::new(
        name,
        node,
        Tonnes(cap),
        UsdPerTonne(cost),
        UsdPerTonne(rise),
    )
}

fn route(name: &str, from: usize, to: usize, transport: f64, specific: f64, adv: f64) -> Route {
    Route {
        name: name.into(),
        from,
        to,
        transport: UsdPerTonne(transport),
        specific_tariff: UsdPerTonne(specific),
        ad_valorem: adv,
        export_tax: 0.0,
        levy: Levy::None,
    }
}

/// The shared example `two-region-linear`: mc_A = 10 + q, mc_B = 20 + 2q, inverse demand
/// 50 − q and 80 − 2q, route A→B costs 5 + 3. By hand (README there): p_A = 34, p_B = 42,
/// flow 8, A makes 24 and eats 16, B makes 11 and eats 19.
fn two_region() -> MarketProblem {
    MarketProblem {
        nodes: vec![node("A.x", 0), node("B.x", 0)],
        supply: vec![
            block("a", 0, 100.0, 10.0, 100.0),
            block("b", 1, 50.0, 20.0, 100.0),
        ],
        demand: vec![
            DemandBlock {
                name: "A".into(),
                node: 0,
                curve: DemandCurve::linear(Tonnes(20.0), UsdPerTonne(30.0), -1.5),
            },
            DemandBlock {
                name: "B".into(),
                node: 1,
                curve: DemandCurve::linear(Tonnes(20.0), UsdPerTonne(40.0), -1.0),
            },
        ],
        routes: vec![
            route("A-B", 0, 1, 5.0, 3.0, 0.0),
            route("B-A", 1, 0, 5.0, 0.0, 0.0),
        ],
        caps: vec![],
    }
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn two_region_linear_by_hand() {
    for start in [RouteStart::All, RouteStart::Set(vec![])] {
        let p = two_region();
        let o = solve_market(
            &p,
            &ClarabelSolver::default(),
            &SolveOptions {
                start,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(o.converged);
        let pa = o.prices[0].unwrap();
        let pb = o.prices[1].unwrap();
        assert!(close(pa, 34.0, 1e-6), "p_A {pa}");
        assert!(close(pb, 42.0, 1e-6), "p_B {pb}");
        assert!(
            close(o.flow[0], 8.0, 1e-6) && o.flow[1] == 0.0,
            "{:?}",
            o.flow
        );
        assert!(close(o.supply[0], 24.0, 1e-6) && close(o.supply[1], 11.0, 1e-6));
        assert!(close(o.demand[0], 16.0, 1e-6) && close(o.demand[1], 19.0, 1e-6));
        assert!(o.check.max_violation_relative < 1e-6, "{:?}", o.check);
        assert!(o.check.max_balance_error_relative < 1e-6, "{:?}", o.check);
    }
}

/// With the floor at 45 in B solved as a lag-0 levy (README `floor.toml`): p_B = 45,
/// B imports 50 − 45 = 5, A exports 2 p_A − 60 = 5 → p_A = 32.5, levy 45 − 40.5 = 4.5.
#[test]
fn lag_zero_levy_reaches_the_floor() {
    let mut p = two_region();
    p.routes[0].levy = Levy::ToFloor {
        floor: UsdPerTonne(45.0),
        cap: UsdPerTonne(1000.0),
    };
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    assert!(o.converged, "{} solves", o.solves);
    assert!(close(o.prices[0].unwrap(), 32.5, 1e-6), "{:?}", o.prices);
    assert!(close(o.prices[1].unwrap(), 45.0, 1e-6));
    assert!(close(o.levy[0], 4.5, 1e-6), "levy {}", o.levy[0]);
    assert!(close(o.flow[0], 5.0, 1e-6));
    assert!(
        o.solves < 12,
        "secant should need few solves, took {}",
        o.solves
    );
}

/// An export stops when transport + tariff exceed the autarky price gap: autarky prices are
/// 30 (A) and 50 (B), a gap of 20. With wedge 5 + 14.9 trade flows, with 5 + 15.1 it does not.
#[test]
fn export_stops_when_the_wedge_exceeds_the_gap() {
    let mut p = two_region();
    p.routes[0].specific_tariff = UsdPerTonne(14.9);
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    assert!(o.flow[0] > 0.0);
    p.routes[0].specific_tariff = UsdPerTonne(15.1);
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    assert_eq!(o.flow[0], 0.0);
    assert!(close(o.prices[0].unwrap(), 30.0, 1e-6) && close(o.prices[1].unwrap(), 50.0, 1e-6));
}

/// Ad valorem tariff of 25% on the customs value (p_A + 5): p_B = 1.25 (p_A + 5);
/// A's exports 2 p_A − 60 = B's imports 50 − p_B → 3.25 p_A = 103.75, p_A = 31.923077.
#[test]
fn ad_valorem_tariff_on_customs_value() {
    let mut p = two_region();
    p.routes[0].specific_tariff = UsdPerTonne(0.0);
    p.routes[0].ad_valorem = 0.25;
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    let pa = 103.75 / 3.25;
    assert!(close(o.prices[0].unwrap(), pa, 1e-6), "{:?}", o.prices);
    assert!(close(o.prices[1].unwrap(), 1.25 * (pa + 5.0), 1e-6));
    assert!(close(o.tariff[0], 0.25 * (pa + 5.0), 1e-6));
}

/// Two stages: a mine (mc 100 + q/10 … capacity 1000, rise 100) feeds a refinery needing 2 t
/// of ore per t, cost 500 flat-ish (rise 1) with capacity 1000 — far from full. Demand for the
/// refined good is linear through (100, 2000) with e = −1 (inverse 4000 − 20 q). While the
/// refinery runs below capacity, p_refined = mc_ref + 2 × p_ore.
#[test]
fn refined_price_is_cost_plus_coefficient_times_ore_price() {
    let mut refinery = block("ref", 1, 1000.0, 500.0, 1.0);
    refinery.inputs = vec![(0, 2.0)];
    let p = MarketProblem {
        nodes: vec![node("R.ore", 0), node("R.metal", 1)],
        supply: vec![block("mine", 0, 1000.0, 100.0, 100.0), refinery],
        demand: vec![DemandBlock {
            name: "R".into(),
            node: 1,
            curve: DemandCurve::linear(Tonnes(100.0), UsdPerTonne(2000.0), -1.0),
        }],
        routes: vec![],
        caps: vec![],
    };
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    let (ore, metal, q) = (o.prices[0].unwrap(), o.prices[1].unwrap(), o.supply[1]);
    assert!(q > 0.0 && q < 1000.0);
    let mc_ref = 500.0 + 1.0 * q / 1000.0;
    assert!(
        close(metal, mc_ref + 2.0 * ore, 1e-7),
        "{metal} vs {}",
        mc_ref + 2.0 * ore
    );
    // And by hand: ore used 2q, p_ore = 100 + 0.1 × 2q; 4000 − 20q = 500 + q/1000 + 2(100 + 0.2q)
    // → q (20 + 0.001 + 0.4) = 3300 → q = 161.7568.
    assert!(close(q, 3300.0 / 20.401, 1e-6), "q {q}");
}

/// Isoelastic, one region: supply mc = 50 + 50 q/100 (capacity 100, rise 50); demand
/// Q0 = 50 at P0 = 100, e = −0.5. Exact: 100 (q/50)^−2 = 50 + q/2 → solve by bisection.
#[test]
fn isoelastic_price_within_half_a_percent() {
    let p = MarketProblem {
        nodes: vec![node("R.x", 0)],
        supply: vec![block("s", 0, 100.0, 50.0, 50.0)],
        demand: vec![DemandBlock {
            name: "R".into(),
            node: 0,
            curve: DemandCurve::isoelastic(
                Tonnes(50.0),
                UsdPerTonne(100.0),
                -0.5,
                UsdPerTonne(1000.0),
            ),
        }],
        routes: vec![],
        caps: vec![],
    };
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    let (mut lo, mut hi) = (1e-6, 100.0);
    for _ in 0..200 {
        let q = 0.5 * (lo + hi);
        if 100.0 * (q / 50.0f64).powf(-2.0) > 50.0 + q / 2.0 {
            lo = q
        } else {
            hi = q
        }
    }
    let exact = 50.0 + lo / 2.0;
    let got = o.prices[0].unwrap();
    assert!(
        (got - exact).abs() / exact < 0.005,
        "got {got}, exact {exact}"
    );
}

/// Demand beyond all supply: quantity wanted at the choke price is partly unmet.
#[test]
fn shortage_is_unserved_demand_not_an_error() {
    let p = MarketProblem {
        nodes: vec![node("R.x", 0)],
        supply: vec![block("s", 0, 10.0, 50.0, 5.0)],
        demand: vec![DemandBlock {
            name: "R".into(),
            node: 0,
            curve: DemandCurve::isoelastic(
                Tonnes(100.0),
                UsdPerTonne(100.0),
                -0.1,
                UsdPerTonne(1000.0),
            ),
        }],
        routes: vec![],
        caps: vec![],
    };
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    // Wanted at the choke price: 100 × 10^−0.1 = 79.43; supplied 10 → 69.43 unserved.
    let wanted = 100.0 * 10f64.powf(-0.1);
    assert!(
        close(o.unserved[0], wanted - 10.0, 1e-6),
        "{:?}",
        o.unserved
    );
    assert!(close(o.prices[0].unwrap(), 1000.0, 1e-6));
}

/// An export tax of 20% of A's price, collected by A, with the route's transport 5 and
/// specific tariff 3: p_B = 1.2 p_A + 8. A's exports 2 p_A − 60 = B's imports 50 − p_B =
/// 42 − 1.2 p_A → 3.2 p_A = 102: p_A = 31.875, p_B = 46.25, flow 3.75, tax 6.375 per tonne.
/// With 10% export tax and a 10% ad valorem tariff on the customs value (fob + transport):
/// p_B = 1.1 (1.1 p_A + 5) + 3 = 1.21 p_A + 8.5; 2 p_A − 60 = 41.5 − 1.21 p_A →
/// p_A = 101.5 / 3.21 = 31.619938, tax 3.161994, tariff 3 + 0.1 (1.1 p_A + 5) = 6.978193.
#[test]
fn export_tax_on_the_origin_price_enters_the_customs_value() {
    let mut p = two_region();
    p.routes[0].export_tax = 0.2;
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    assert!(o.converged, "{} solves", o.solves);
    assert!(close(o.prices[0].unwrap(), 31.875, 1e-6), "{:?}", o.prices);
    assert!(close(o.prices[1].unwrap(), 46.25, 1e-6), "{:?}", o.prices);
    assert!(close(o.flow[0], 3.75, 1e-6), "{:?}", o.flow);
    assert!(close(o.export_tax[0], 6.375, 1e-6), "{:?}", o.export_tax);
    assert!(o.check.max_violation_relative < 1e-6, "{:?}", o.check);

    p.routes[0].export_tax = 0.1;
    p.routes[0].ad_valorem = 0.1;
    let o = solve_market(&p, &ClarabelSolver::default(), &SolveOptions::default()).unwrap();
    let pa = 101.5 / 3.21;
    assert!(close(o.prices[0].unwrap(), pa, 1e-6), "{:?}", o.prices);
    assert!(close(o.export_tax[0], 0.1 * pa, 1e-6), "{:?}", o.export_tax);
    assert!(
        close(o.tariff[0], 3.0 + 0.1 * (1.1 * pa + 5.0), 1e-6),
        "{:?}",
        o.tariff
    );
    assert!(close(o.flow[0], 2.0 * pa - 60.0, 1e-6), "{:?}", o.flow);
}
