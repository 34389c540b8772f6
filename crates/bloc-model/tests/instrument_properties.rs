//! Properties of the instruments on seeded random variants of the shared two-region example
//! (random floors, budgets, quotas, capacities and demand), 60 cases each.

use bloc_model::{run, Run, RunOptions};
use bloc_scenario::*;
use bloc_units::{CommodityId, RegionId, Tonnes, TonnesPerYear, Usd, UsdPerTonne};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CASES: u64 = 60;
/// Result files carry at most 6 decimals: comparisons read from them allow half a unit of
/// the last one.
const PRINTED: f64 = 5e-7;

fn base(rng: &mut ChaCha8Rng) -> Scenario {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/examples/two-region-linear/scenario.toml"
    );
    let mut s = bloc_scenario::load(std::path::Path::new(p)).expect("loads");
    // Random capacities and demand levels keep the cases apart.
    for p in &mut s.processes {
        p.capacity = TonnesPerYear(p.capacity.0 * rng.gen_range(0.5..2.0));
    }
    for d in &mut s.demand {
        d.quantity = TonnesPerYear(d.quantity.0 * rng.gen_range(0.7..1.5));
        d.growth_per_yr = rng.gen_range(-0.05..0.1);
    }
    s
}

fn all() -> Span {
    Span { from: 0, to: None }
}

fn go(s: &Scenario) -> Run {
    let r = run(s, &RunOptions::default(), &mut |_| {}).expect("runs");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    r
}

fn rows<'a>(r: &'a Run, file: &str) -> impl Iterator<Item = &'a Vec<String>> {
    r.tables
        .all()
        .into_iter()
        .find(|t| t.file == file)
        .expect("table")
        .rows
        .iter()
}

fn num(s: &str) -> f64 {
    s.parse().expect("number")
}

/// A binding floor holds in the member every period: B's price never falls below it (within
/// the solver's accuracy), whatever the floor, lag-0 levy and cap are large enough.
#[test]
fn a_floor_with_an_uncapped_levy_holds_in_members() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    for case in 0..CASES {
        let mut s = base(&mut rng);
        let floor = rng.gen_range(30.0..70.0);
        s.bloc.members.push(Membership {
            region: RegionId::from("B"),
            span: all(),
        });
        s.bloc.floors.push(FloorRule {
            commodity: CommodityId::from("x"),
            reference: Reference::Fixed(UsdPerTonne(floor)),
            ratio: 1.0,
            levy: LevyRule {
                lag: 0,
                every: 1,
                cap: UsdPerTonne(1e6),
            },
            span: all(),
        });
        let r = go(&s);
        for row in rows(&r, "prices.csv").filter(|row| row[1] == "B") {
            // B's price is at least the floor whenever B imports; without imports B's own
            // curves set it, and it may then sit below the floor (no levy can lift it).
            let imports: f64 = rows(&r, "flows.csv")
                .filter(|f| f[0] == row[0] && f[3] == "B")
                .map(|f| num(&f[5]))
                .sum();
            if imports > 0.0 {
                assert!(
                    num(&row[3]) >= floor * (1.0 - 1e-7),
                    "case {case}: p_B {} < floor {floor}",
                    row[3]
                );
            }
        }
    }
}

/// A ban carries zero flow; a quota is never exceeded.
#[test]
fn bans_carry_nothing_and_quotas_are_never_exceeded() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for case in 0..CASES {
        let mut s = base(&mut rng);
        let quota = rng.gen_range(0.0..12.0);
        let ban = case % 3 == 0;
        s.counter.export_controls.push(ExportControl {
            exporter: RegionId::from("A"),
            commodities: CommoditySet::All,
            destinations: RegionSet::All,
            kind: if ban {
                ControlKind::Ban
            } else {
                ControlKind::Quota(Tonnes(quota))
            },
            span: Span {
                from: 1,
                to: Some(4),
            },
            line: 0,
        });
        let r = go(&s);
        for f in rows(&r, "flows.csv").filter(|f| f[2] == "A") {
            let year: i32 = f[0].parse().unwrap();
            if (2027..2030).contains(&year) {
                if ban {
                    panic!("case {case}: a banned route carries {} t in {year}", f[5]);
                }
                assert!(
                    num(&f[5]) <= quota * (1.0 + 1e-9) + PRINTED,
                    "case {case}: {} t over a {quota} t quota",
                    f[5]
                );
            }
        }
    }
}

/// Inventory stays in [0, max]; total spend never exceeds the budget.
#[test]
fn stockpile_inventory_and_spend_stay_within_limits() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    for case in 0..CASES {
        let mut s = base(&mut rng);
        let budget = rng.gen_range(0.0..600.0);
        let max_inventory = rng.gen_range(0.0..20.0);
        let initial = rng.gen_range(0.0..=max_inventory);
        let buy = rng.gen_range(35.0..50.0);
        s.bloc.stockpiles.push(Stockpile {
            name: "vault".into(),
            region: RegionId::from("B"),
            commodities: vec![CommodityId::from("x")],
            budget: Usd(budget),
            max_inventory: Tonnes(max_inventory),
            initial_inventory: Tonnes(initial),
            buy_below: PriceTrigger::Fixed(UsdPerTonne(buy)),
            release_above: Some(PriceTrigger::Fixed(UsdPerTonne(
                buy + rng.gen_range(1.0..15.0),
            ))),
            release_on_shortage: true,
            max_buy_per_period: Tonnes(rng.gen_range(0.0..8.0)),
            max_release_per_period: Tonnes(rng.gen_range(0.0..8.0)),
            storage_cost_per_t_yr: UsdPerTonne(1.0),
            span: all(),
        });
        let r = go(&s);
        let mut spent = 0.0;
        for row in rows(&r, "stockpile.csv") {
            let inv = num(&row[5]);
            assert!(
                inv >= -PRINTED && inv <= max_inventory * (1.0 + 1e-9) + PRINTED,
                "case {case}: inventory {inv} outside [0, {max_inventory}]"
            );
            spent += num(&row[6]);
            assert!(num(&row[7]) >= -1e-6, "case {case}: budget left {}", row[7]);
        }
        assert!(
            spent <= budget * (1.0 + 1e-9) + 10.0 * PRINTED,
            "case {case}: spent {spent} of {budget}"
        );
    }
}

/// With every instrument switched off — a `[bloc]` with a name and nothing in force, an
/// export control and a shock whose dates never come — the result files equal the no-bloc
/// run byte for byte.
#[test]
fn instruments_switched_off_change_nothing() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for case in 0..20 {
        let s0 = base(&mut rng);
        let mut s = s0.clone();
        s.bloc.name = "club".into();
        // Membership that ends before it starts is not allowed, so: B a member for the
        // last period only, with nothing else in force, is not "off"; use no members and
        // instruments dated after the horizon's last period.
        let never = Span {
            from: s.time.periods,
            to: None,
        };
        s.counter.export_controls.push(ExportControl {
            exporter: RegionId::from("A"),
            commodities: CommoditySet::All,
            destinations: RegionSet::All,
            kind: ControlKind::Ban,
            span: never,
            line: 0,
        });
        s.counter.outages.push(Outage {
            target: ProcessSelector {
                processes: vec![],
                region: RegionSet::All,
                commodities: CommoditySet::All,
            },
            share: 0.5,
            span: never,
        });
        let (a, b) = (go(&s0), go(&s));
        for (ta, tb) in a.tables.all().iter().zip(b.tables.all()) {
            assert_eq!(ta.to_csv(), tb.to_csv(), "case {case}: {} differs", ta.file);
        }
    }
}

fn cell(r: &Run, file: &str, key: &[&str], col: usize) -> f64 {
    rows(r, file)
        .find(|row| key.iter().enumerate().all(|(i, k)| row[i] == *k))
        .map(|row| num(&row[col]))
        .unwrap_or(0.0)
}

/// Members (and framework parties) pay no tariff to each other, whatever the MFN tariff.
#[test]
fn members_and_framework_parties_pay_no_tariff_to_each_other() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for case in 0..CASES {
        let mut s = base(&mut rng);
        for t in &mut s.tariffs {
            t.tariff.specific = UsdPerTonne(rng.gen_range(0.0..6.0));
            t.tariff.ad_valorem = rng.gen_range(0.0..0.3);
        }
        let from = rng.gen_range(0..s.time.periods);
        if case % 2 == 0 {
            for r in ["A", "B"] {
                s.bloc.members.push(Membership {
                    region: RegionId::from(r),
                    span: Span { from, to: None },
                });
            }
        } else {
            s.bloc.frameworks.push(Framework {
                name: "A-B".into(),
                regions: vec![RegionId::from("A"), RegionId::from("B")],
                commodities: CommoditySet::All,
                span: Span { from, to: None },
            });
        }
        let r = go(&s);
        for f in rows(&r, "flows.csv") {
            let t = s
                .time
                .index_of(bloc_units::Period::parse(&f[0]).unwrap())
                .unwrap();
            if t >= from {
                assert_eq!(
                    num(&f[7]),
                    0.0,
                    "case {case}: tariff {} on {:?} in force from {from}",
                    f[7],
                    f
                );
            }
        }
    }
}

fn with_new_plant(s: &mut Scenario, rng: &mut ChaCha8Rng) {
    s.processes.push(Process {
        project: None,
        id: bloc_units::ProcessId::from("b_new"),
        region: RegionId::from("B"),
        output: CommodityId::from("x"),
        capacity: TonnesPerYear(rng.gen_range(2.0..15.0)),
        unit_cost: UsdPerTonne(rng.gen_range(30.0..70.0)),
        cost_rise: Some(UsdPerTonne(rng.gen_range(1.0..20.0))),
        online: None,
        offline: None,
        inputs: vec![],
        outputs: vec![],
    });
}

/// A top-up guarantee never lowers its plant's output, and pays exactly
/// max(0, strike − price) on the contracted part's output (never negative).
#[test]
fn guarantees_raise_output_and_pay_the_gap_to_the_strike() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for case in 0..CASES {
        let mut s = base(&mut rng);
        with_new_plant(&mut s, &mut rng);
        let without = go(&s);
        let strike = rng.gen_range(30.0..80.0);
        s.bloc.guarantees.push(Guarantee {
            process: bloc_units::ProcessId::from("b_new"),
            strike: UsdPerTonne(strike),
            volume: TonnesPerYear(rng.gen_range(0.0..20.0)),
            mode: GuaranteeMode::TopUp,
            upside: None,
            span: all(),
        });
        let with = go(&s);
        for y in 2026..2032 {
            let y = y.to_string();
            let q0 = cell(&without, "production.csv", &[&y, "B", "b_new"], 4);
            let q1 = cell(&with, "production.csv", &[&y, "B", "b_new"], 4);
            assert!(
                q1 >= q0 - PRINTED,
                "case {case} {y}: output fell from {q0} to {q1}"
            );
            let payout = cell(
                &with,
                "indicators.csv",
                &[&y, "guarantee_payout_usd", "process:b_new"],
                3,
            );
            let volume = cell(
                &with,
                "indicators.csv",
                &[&y, "guarantee_volume_t", "process:b_new"],
                3,
            );
            let p = cell(&with, "prices.csv", &[&y, "B", "x"], 3);
            let want = (strike - p).max(0.0) * volume;
            assert!(
                payout >= 0.0 && (payout - want).abs() <= 1e-5 * want.max(1.0),
                "case {case} {y}: payout {payout}, want {want}"
            );
        }
    }
}

/// A production subsidy never lowers its plant's output and pays per tonne produced.
#[test]
fn subsidies_raise_output_and_pay_per_tonne() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for case in 0..CASES {
        let mut s = base(&mut rng);
        let without = go(&s);
        let per_t = rng.gen_range(0.0..15.0);
        s.bloc.subsidies.push(ProductionSubsidy {
            processes: vec![bloc_units::ProcessId::from("b_plant")],
            per_t: UsdPerTonne(per_t),
            span: all(),
        });
        let with = go(&s);
        for y in 2026..2032 {
            let y = y.to_string();
            let q0 = cell(&without, "production.csv", &[&y, "B", "b_plant"], 4);
            let q1 = cell(&with, "production.csv", &[&y, "B", "b_plant"], 4);
            assert!(
                q1 >= q0 - PRINTED,
                "case {case} {y}: output fell from {q0} to {q1}"
            );
            let payout = cell(
                &with,
                "indicators.csv",
                &[&y, "subsidy_payout_usd", "world"],
                3,
            );
            assert!(
                (payout - per_t * q1).abs() <= 1e-5 * payout.max(1.0),
                "case {case} {y}: payout {payout} vs {}",
                per_t * q1
            );
        }
    }
}

/// An outage of share s leaves (1 − s) of the capacity and output within it; a demand
/// multiplier of zero leaves nothing bought.
#[test]
fn outages_cut_capacity_and_zero_demand_buys_nothing() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for case in 0..CASES {
        let mut s = base(&mut rng);
        let share = rng.gen_range(0.01..=1.0);
        let cap = s.processes[0].capacity.0;
        s.counter.outages.push(Outage {
            target: ProcessSelector {
                processes: vec![s.processes[0].id.clone()],
                region: RegionSet::All,
                commodities: CommoditySet::All,
            },
            share,
            span: all(),
        });
        s.counter.demand_shocks.push(DemandShock {
            regions: RegionSet::Named(vec![RegionId::from("B")]),
            commodities: CommoditySet::All,
            multiplier: 0.0,
            span: Span { from: 3, to: None },
        });
        let r = go(&s);
        let id = s.processes[0].id.to_string();
        let region = s.processes[0].region.to_string();
        for y in 2026..2032 {
            let y = y.to_string();
            let c = cell(&r, "production.csv", &[&y, &region, &id], 5);
            let q = cell(&r, "production.csv", &[&y, &region, &id], 4);
            assert!(
                (c - cap * (1.0 - share)).abs() <= PRINTED + 1e-9 * cap,
                "case {case}: capacity {c}"
            );
            assert!(
                q <= c + PRINTED,
                "case {case}: output {q} above capacity {c}"
            );
        }
        for y in 2029..2032 {
            assert_eq!(
                cell(&r, "consumption.csv", &[&y.to_string(), "B", "x"], 3),
                0.0,
                "case {case}: B still buys"
            );
        }
    }
}
