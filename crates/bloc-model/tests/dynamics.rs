//! Over time (design §3), worked by hand on the shared `two-region-linear` example.
//!
//! The base (README there): mc_A = 10 + q, mc_B = 20 + 2q, inverse demand 50 − q in A and
//! 80 − 2q in B, A→B costs 5 + 3 (tariff): p_A = 34, p_B = 42, flow 8 t/yr. Yearly periods
//! 2026…2031. With B a member holding a floor of 45 solved with the market (lag 0), p_B = 45.

use bloc_model::{run, Run, RunOptions};
use bloc_scenario::*;
use bloc_units::{CommodityId, ProcessId, RegionId, TonnesPerYear, UsdPerTonne};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn base() -> Scenario {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/examples/two-region-linear/scenario.toml"
    );
    bloc_scenario::load(std::path::Path::new(p)).expect("the shared example loads")
}

fn go(s: &Scenario) -> Run {
    run(s, &RunOptions::default(), &mut |_| {}).expect("runs")
}

fn with_floor(s: &mut Scenario, level: f64) {
    s.bloc.members.push(Membership {
        region: RegionId::from("B"),
        span: Span { from: 0, to: None },
    });
    s.bloc.floors.push(FloorRule {
        commodity: CommodityId::from("x"),
        reference: Reference::Fixed(UsdPerTonne(level)),
        ratio: 1.0,
        levy: LevyRule {
            lag: 0,
            every: 1,
            cap: UsdPerTonne(1000.0),
        },
        span: Span { from: 0, to: None },
    });
}

/// A project making `x`: its plant (capacity t/yr, unit cost, cost rise, USD/t), its capital
/// (USD per t/yr) and its timing (lead and ramp periods, earliest FID).
fn project(
    id: &str,
    region: &str,
    (capacity, unit_cost, rise): (f64, f64, f64),
    capital: f64,
    (lead, ramp, earliest): (usize, usize, i64),
) -> Process {
    Process {
        id: ProcessId::from(id),
        region: RegionId::from(region),
        output: CommodityId::from("x"),
        capacity: TonnesPerYear(capacity),
        unit_cost: UsdPerTonne(unit_cost),
        cost_rise: Some(UsdPerTonne(rise)),
        online: None,
        offline: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        project: Some(Project {
            capital_usd_per_t_per_yr: capital,
            lead_periods: lead,
            ramp_periods: ramp,
            earliest_fid: earliest,
            fid: None,
            life_yr: None,
            after: None,
        }),
    }
}

/// (period label, value) of `column` for a process in production.csv, every period of the
/// run: a project has no row before it is online, which reads as 0.
fn production(r: &Run, process: &str, column: &str) -> Vec<(String, f64)> {
    let t = &r.tables.production;
    let col = t.header.iter().position(|h| *h == column).unwrap();
    let mut periods: Vec<String> = t.rows.iter().map(|row| row[0].clone()).collect();
    periods.dedup();
    periods
        .into_iter()
        .map(|p| {
            let v = t
                .rows
                .iter()
                .find(|row| row[0] == p && row[2] == process)
                .map_or(0.0, |row| row[col].parse().unwrap());
            (p, v)
        })
        .collect()
}

fn indicator(r: &Run, period: &str, name: &str, scope: &str) -> Option<f64> {
    r.tables
        .indicators
        .rows
        .iter()
        .find(|row| row[0] == period && row[1] == name && row[2] == scope)
        .map(|row| row[3].parse().unwrap())
}

/// The base with `b_new` of the test below (10 t/yr in B, mean cost 21, capital 225 per t/yr,
/// lead 2 years), undiscounted over 10 years, expecting last period's price.
fn with_b_new() -> Scenario {
    let mut s = base();
    s.investment = Investment {
        discount_rate: 0.0,
        life_yr: 10.0,
        expected_price: ExpectedPrice::Trailing { periods: 1 },
        foresight_yr: 0.0,
    };
    s.processes
        .push(project("b_new", "B", (10.0, 20.0, 2.0), 225.0, (2, 0, 0)));
    s
}

/// A project in B: 10 t/yr at unit cost 20, cost rise 2 (mean operating cost 21), capital
/// 225 per t/yr, no discounting over 10 years (capital recovery 225 / 10 = 22.5 per t),
/// lead time 2 years. Expected price (one trailing period) in 2026 without the bloc: 42 →
/// margin 42 − 21 = 21 < 22.5, never invests.
///
/// With B a member holding a floor of 45, B imports 17.5 − 12.5 = 5 t from A (A's exports
/// 2p_A − 60 = 5: p_A = 32.5, landed 32.5 + 5 + 3 = 40.5, levy 4.5). The floor holds B's
/// price only while levied goods enter, so its room is 5 t and its lift 4.5: `b_new`'s 10 t
/// expect 0.5 × 45 + 0.5 × (45 − 4.5) = 42.75, margin 21.75 < 22.5: it does not invest (it
/// would end B's imports and sell at 40: the next test). A project of 4 t (same costs; the
/// rise is across its capacity, so still 21) fits in the room: it expects 45, margin 24 ≥
/// 22.5, decides in 2026 and is online in 2028, exactly two periods later; B then still
/// imports 1 t at the floor.
#[test]
fn a_project_that_clears_full_cost_only_with_the_floor_invests_only_with_it() {
    let mut s = with_b_new();
    let without = go(&s);
    for (period, cap) in production(&without, "b_new", "capacity_t") {
        assert_eq!(cap, 0.0, "{period}: built without the floor");
    }
    assert_eq!(
        indicator(&without, "2026", "projects_decided", "non_members"),
        None
    );
    with_floor(&mut s, 45.0);
    let too_big = go(&s);
    assert!(
        too_big.tables.projects.rows.is_empty(),
        "10 t do not fit in 5 t of room: {:?}",
        too_big.tables.projects.rows
    );

    s.processes.last_mut().unwrap().capacity = TonnesPerYear(4.0);
    let with = go(&s);
    let caps: Vec<f64> = production(&with, "b_new", "capacity_t")
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(caps, vec![0.0, 0.0, 4.0, 4.0, 4.0, 4.0]);
    assert_eq!(
        indicator(&with, "2026", "projects_decided", "members"),
        Some(1.0)
    );
    // Capital spent at the decision: 225 × 4.
    assert_eq!(
        indicator(&with, "2026", "investment_usd", "members"),
        Some(900.0)
    );
    assert_eq!(
        indicator(&with, "2028", "capacity_built_t_per_yr", "members:x"),
        Some(4.0)
    );
    assert_eq!(
        indicator(&with, "2027", "capacity_built_t_per_yr", "members:x"),
        None
    );
    // Online, B still imports 1 t at the floor: levied imports 1, levy 45 − 38.5 = 6.5.
    let row = with
        .tables
        .floors
        .rows
        .iter()
        .find(|r| r[0] == "2028")
        .expect("a floors.csv row in 2028");
    let cell = |c: &str| -> f64 {
        let i = with
            .tables
            .floors
            .header
            .iter()
            .position(|h| *h == c)
            .unwrap();
        row[i].parse().unwrap()
    };
    assert!((cell("levied_imports_t") - 1.0).abs() < 1e-6, "{row:?}");
    assert!((cell("levy_max_usd_per_t") - 6.5).abs() < 1e-6, "{row:?}");
}

/// Two 4 t projects in B (the costs of the test above) share the floor's 5 t of room. In
/// 2026 the first (scenario order) takes 4 t: the second's share is 1/4, it expects
/// 0.25 × 45 + 0.75 × 40.5 = 41.625, margin 20.625 < 22.5. In 2027 the first is not online
/// yet, but its 4 t to come still take 4 t of the 5: the same 41.625. From 2028 B imports 1 t
/// at a levy of 6.5 (test above): 0.25 × 45 + 0.75 × 38.5 = 40.125. It never decides, where
/// crediting every member project with the floor would build both (8 t against 5 t of
/// imports, and B's price would fall below the floor).
#[test]
fn projects_share_the_floors_room_and_count_what_is_coming() {
    let mut s = base();
    s.investment = with_b_new().investment;
    for id in ["b_one", "b_two"] {
        s.processes
            .push(project(id, "B", (4.0, 20.0, 2.0), 225.0, (2, 0, 0)));
    }
    with_floor(&mut s, 45.0);
    let r = go(&s);
    let decided: Vec<(String, String)> = r
        .tables
        .projects
        .rows
        .iter()
        .map(|row| (row[0].clone(), row[3].clone()))
        .collect();
    assert_eq!(decided, vec![("b_one".to_string(), "2026".to_string())]);
}

/// Where members export, a levy on imports cannot hold their price: with A the member (it
/// exports 8 t to B at p_A = 34, `members_export` in floors.csv) and a floor of 45, a project
/// in A of 10 t at unit cost 10, rise 2 (mean cost 11) and capital 300 (recovery 30 at r = 0
/// over 10 years) expects A's 34, margin 23 < 30, and does not invest. Credited with the floor
/// it would expect 45, margin 34 ≥ 30, and invest.
#[test]
fn a_floor_does_not_draw_investment_where_members_export() {
    let mut s = base();
    s.investment = with_b_new().investment;
    s.processes
        .push(project("a_new", "A", (10.0, 10.0, 2.0), 300.0, (2, 0, 0)));
    with_floor(&mut s, 45.0);
    s.bloc.members[0].region = RegionId::from("A");
    let r = go(&s);
    let status: Vec<&str> = r
        .tables
        .floors
        .rows
        .iter()
        .map(|row| row[9].as_str())
        .collect();
    assert_eq!(status, vec!["members_export"; 6]);
    assert!(
        r.tables.projects.rows.is_empty(),
        "{:?}",
        r.tables.projects.rows
    );
}

/// `projects.csv` values `b_new` at the run's prices, had it decided in 2026 with the floor
/// (its decision fixed). Online from 2028
/// with its 10 t, B makes 12.5 + 10 t against buyers' 17.5 at 45, so it stops importing and
/// its price falls to autarky: 40 − p/2 = (p − 20)/2 + 10 → p_B = 40 (imports would land at
/// 45 with the levy). Its margin is 40 × 10 − (20 × 10 + 2 × 10² / (2 × 10)) = 190 a year in
/// 2028–2031, and 190 a year (the last year's) for the 6 years of its 10-year life after the
/// run. At the scenario's rate of 0: NPV = 10 × 190 − 2,250 = −350: it invested on the floor
/// and its own output took the floor's support away, so it is stranded. Its IRR solves
/// 190 × Σ_{k=2}^{11} (1 + ρ)^−k = 2,250: ρ = −0.025271 (bisection by hand in Python).
#[test]
fn a_project_that_invested_on_the_floor_shows_as_stranded_at_the_runs_prices() {
    let mut s = with_b_new();
    with_floor(&mut s, 45.0);
    // Its decision is fixed (a `fid`): it no longer takes it on its own (test above).
    s.processes
        .last_mut()
        .unwrap()
        .project
        .as_mut()
        .unwrap()
        .fid = Some(0);
    let r = go(&s);
    let t = &r.tables.projects;
    assert_eq!(
        t.rows.len(),
        1,
        "only the project that decided: {:?}",
        t.rows
    );
    let row: std::collections::BTreeMap<&str, &str> = t
        .header
        .iter()
        .copied()
        .zip(t.rows[0].iter().map(String::as_str))
        .collect();
    assert_eq!(row["project"], "b_new");
    assert_eq!((row["decided"], row["online"]), ("2026", "2028"));
    let num = |c: &str| row[c].parse::<f64>().unwrap();
    assert_eq!(num("capital_usd"), 2250.0);
    assert_eq!(num("capital_grant_usd"), 0.0);
    assert_eq!(num("support_usd"), 0.0);
    assert!((num("margin_usd") - 4.0 * 190.0).abs() < 1e-4, "{row:?}");
    assert!((num("npv_usd") + 350.0).abs() < 1e-4, "{row:?}");
    assert!((num("irr") + 0.025271).abs() < 1e-5, "{row:?}");
    assert_eq!(row["stranded"], "true");
    // Without the floor it never decides: no row.
    let mut s = base();
    s.processes
        .push(project("b_new", "B", (10.0, 20.0, 2.0), 225.0, (2, 0, 0)));
    assert!(go(&s).tables.projects.rows.is_empty());
}

/// A capital grant of 10% lowers the capital recovery to 20.25 < 21: the project invests
/// without the floor; the grant paid is 10% of 2,250.
#[test]
fn a_capital_grant_lowers_the_hurdle() {
    let mut s = with_b_new();
    s.bloc.capital_grants.push(CapitalGrant {
        projects: vec![ProcessId::from("b_new")],
        share: 0.1,
        span: Span { from: 0, to: None },
    });
    let r = go(&s);
    assert_eq!(
        indicator(&r, "2026", "capital_grant_usd", "non_members"),
        Some(225.0)
    );
    let caps: Vec<f64> = production(&r, "b_new", "capacity_t")
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(caps, vec![0.0, 0.0, 10.0, 10.0, 10.0, 10.0]);
}

/// Two steps of the same expansion, each clearing full cost in 2026 (as `b_new` above with a
/// 10% capital grant: margin 42 − 21 = 21 ≥ 20.25). Without `after` both decide in 2026 and
/// are online from 2028. With the second `after` the first, it may decide only from 2028,
/// when the first is online. By hand, with the first step's 10 t in B (mc ≤ 22, so it runs
/// full): B's buyers 40 − p/2 = b_plant (p − 20)/2 + A's exports 2(p − 8) − 60 + 10, so
/// 3p = 116, p_B = 38.667 (A still exports 1.33 t); the second step's margin 38.667 − 21 =
/// 17.67 < 20.25, so it never decides.
#[test]
fn a_staged_step_waits_until_the_step_before_it_is_online() {
    let mut s = base();
    s.investment = Investment {
        discount_rate: 0.0,
        life_yr: 10.0,
        expected_price: ExpectedPrice::Trailing { periods: 1 },
        foresight_yr: 0.0,
    };
    for id in ["b_step1", "b_step2"] {
        s.processes
            .push(project(id, "B", (10.0, 20.0, 2.0), 225.0, (2, 0, 0)));
    }
    s.bloc.capital_grants.push(CapitalGrant {
        projects: vec![ProcessId::from("b_step1"), ProcessId::from("b_step2")],
        share: 0.1,
        span: Span { from: 0, to: None },
    });
    let caps = |r: &Run, id: &str| -> Vec<f64> {
        production(r, id, "capacity_t")
            .into_iter()
            .map(|x| x.1)
            .collect()
    };
    let online_2028 = vec![0.0, 0.0, 10.0, 10.0, 10.0, 10.0];
    let together = go(&s);
    assert_eq!(caps(&together, "b_step1"), online_2028);
    assert_eq!(caps(&together, "b_step2"), online_2028);
    let last = s.processes.len() - 1;
    s.processes[last].project.as_mut().unwrap().after = Some(ProcessId::from("b_step1"));
    let staged = go(&s);
    assert_eq!(caps(&staged, "b_step1"), online_2028);
    assert_eq!(caps(&staged, "b_step2"), vec![0.0; 6]);
    assert_eq!(
        indicator(&staged, "2026", "projects_decided", "non_members"),
        Some(1.0)
    );
    let p_b = staged
        .tables
        .prices
        .rows
        .iter()
        .find(|row| row[0] == "2028" && row[1] == "B")
        .map(|row| row[3].parse::<f64>().unwrap())
        .unwrap();
    assert!((p_b - 116.0 / 3.0).abs() < 1e-6, "p_B 2028 = {p_b}");
}

/// Foresight. B's demand grows 10% a year: its curve is k(40 − p/2) with k = 1.1^t, and by
/// hand B's buyers = b_plant (p − 20)/2 + A's exports 2(p − 8) − 60 gives
/// p_B = (40k + 86)/(2.5 + k/2): 42 in 2026 (k = 1), 42.62 in 2027, 43.28 in 2028 (k = 1.21).
/// A project of capital 220 (no discounting, 10 years: recovery 22) and mean cost 21 needs
/// p ≥ 43. Looking back (one trailing period) it decides in 2028 and is online in 2030;
/// looking two years ahead it sees 2028's 43.28 in 2026, decides then and is online in 2028.
/// The last periods look beyond the run's horizon, which must work.
#[test]
fn investors_with_foresight_decide_a_lead_time_earlier() {
    let mut s = base();
    for d in s.demand.iter_mut().filter(|d| d.region.as_str() == "B") {
        d.growth_per_yr = 0.1;
    }
    s.processes
        .push(project("b_new", "B", (10.0, 20.0, 2.0), 220.0, (2, 0, 0)));
    let caps = |s: &Scenario| -> Vec<f64> {
        production(&go(s), "b_new", "capacity_t")
            .into_iter()
            .map(|x| x.1)
            .collect()
    };
    s.investment = Investment {
        discount_rate: 0.0,
        life_yr: 10.0,
        expected_price: ExpectedPrice::Trailing { periods: 1 },
        foresight_yr: 0.0,
    };
    assert_eq!(caps(&s), vec![0.0, 0.0, 0.0, 0.0, 10.0, 10.0]);
    s.investment.foresight_yr = 2.0;
    assert_eq!(caps(&s), vec![0.0, 0.0, 10.0, 10.0, 10.0, 10.0]);
}

/// A ramp of 4 periods: 1/4, 2/4, 3/4, then full capacity; a committed FID two periods
/// before the run with a lead of 3 years comes online in the run's second period (2027).
#[test]
fn committed_projects_come_online_after_their_lead_and_ramp_up() {
    let mut s = base();
    let mut p = project("b_new", "B", (8.0, 70.0, 2.0), 1e6, (3, 4, -5));
    p.project.as_mut().unwrap().fid = Some(-2);
    s.processes.push(p);
    let r = go(&s);
    let caps: Vec<f64> = production(&r, "b_new", "capacity_t")
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(caps, vec![0.0, 2.0, 4.0, 6.0, 8.0, 8.0]);
}

/// Adds `b_old` (10 t/yr in B at unit cost 60, rise 5: above p_B = 42) and closures after
/// 2 periods below cost, restarting 1 period after recovery.
fn with_b_old(s: &mut Scenario) {
    s.processes.push(Process {
        id: ProcessId::from("b_old"),
        region: RegionId::from("B"),
        output: CommodityId::from("x"),
        capacity: TonnesPerYear(10.0),
        unit_cost: UsdPerTonne(60.0),
        cost_rise: Some(UsdPerTonne(5.0)),
        online: None,
        offline: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        project: None,
    });
    s.closures = Some(Closures {
        after_periods: 2,
        restart_after_periods: 1,
    });
}

/// A plant in B at unit cost 60 (above p_B = 42) with closures after 2 periods and a restart
/// 1 period after recovery: below cost in 2026 and 2027 → mothballed from 2028. B's demand
/// ×8 from 2029: with b_old out, B's demand 8 (40 − p/2) = 320 − 4p equals b_plant's
/// (p − 20)/2 plus A's exports; at p_A = p − 8 > 50 A's own buyers buy nothing, so A exports
/// its whole output p − 18: 320 − 4p = 1.5p − 28, p_B = 348 / 5.5 ≈ 63.3 ≥ 60 in 2029 → it
/// runs again from 2030.
#[test]
fn a_loss_making_plant_mothballs_and_restarts_at_the_right_periods() {
    let mut s = base();
    with_b_old(&mut s);
    s.counter.demand_shocks.push(DemandShock {
        regions: RegionSet::Named(vec![RegionId::from("B")]),
        commodities: CommoditySet::All,
        multiplier: 8.0,
        span: Span { from: 3, to: None },
    });
    let r = go(&s);
    let caps: Vec<f64> = production(&r, "b_old", "capacity_t")
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(caps, vec![10.0, 10.0, 0.0, 0.0, 10.0, 10.0]);
    let p2029: f64 = r
        .tables
        .prices
        .rows
        .iter()
        .find(|row| row[0] == "2029" && row[1] == "B")
        .map(|row| row[3].parse().unwrap())
        .unwrap();
    assert!((p2029 - 348.0 / 5.5).abs() < 1e-6, "p_B 2029 = {p2029}");
    assert_eq!(
        indicator(&r, "2028", "mothballed_capacity_t_per_yr", "non_members:x"),
        Some(10.0)
    );
}

/// Closures weigh a guarantee by the share of output it covers. `b_old` in B (10 t at unit
/// cost 60, rise 5) holds a top-up to 70 on 5 t of its 10. The 5 t under the top-up run (they
/// earn 70 ≥ 60–62.5), so B's buyers 40 − p/2 = b_plant (p − 20)/2 + 5 + A's exports
/// 2(p − 8) − 60: 3p = 121, p_B = 40.333. The plant earns 0.5 × 70 + 0.5 × 40.333 = 55.2 a
/// tonne against its operating cost of 60: below it in 2026 and 2027, so it mothballs from
/// 2028 and never restarts (without it p_B = 42: 0.5 × 70 + 0.5 × 42 = 56 < 60). Read as if
/// all its output earned the strike (70 ≥ 60), it would run throughout.
#[test]
fn a_plant_guaranteed_on_part_of_its_output_closes_on_what_it_earns_overall() {
    let mut s = base();
    with_b_old(&mut s);
    s.bloc.guarantees.push(Guarantee {
        process: ProcessId::from("b_old"),
        strike: UsdPerTonne(70.0),
        volume: TonnesPerYear(5.0),
        mode: GuaranteeMode::TopUp,
        upside: None,
        span: Span { from: 0, to: None },
    });
    let r = go(&s);
    let caps: Vec<f64> = production(&r, "b_old", "capacity_t")
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(caps, vec![10.0, 10.0, 0.0, 0.0, 0.0, 0.0]);
    let p2026: f64 = r
        .tables
        .prices
        .rows
        .iter()
        .find(|row| row[0] == "2026" && row[1] == "B")
        .map(|row| row[3].parse().unwrap())
        .unwrap();
    assert!((p2026 - 121.0 / 3.0).abs() < 1e-6, "p_B 2026 = {p2026}");
}

/// A run compared with itself: every consumer cost and welfare change is zero.
#[test]
fn consumer_cost_of_a_run_against_itself_is_zero() {
    let mut s = base();
    with_floor(&mut s, 45.0);
    let mut r = go(&s);
    let b = go(&s);
    r.compare_with(&s, &s, &b);
    let rows: Vec<_> = r
        .tables
        .indicators
        .rows
        .iter()
        .filter(|row| row[1] == "consumer_cost_usd" || row[1] == "welfare_change_usd")
        .collect();
    assert!(
        rows.len() >= 6 * 4,
        "too few comparison rows: {}",
        rows.len()
    );
    for row in rows {
        assert_eq!(row[3], "0", "{row:?}");
    }
}

/// Against the no-bloc baseline, B's buyers pay (45 − 42) × q_B more, q_B = 40 − 45/2 =
/// 17.5 → 52.5 a year; A's buyers pay less (p_A falls as A's exports shrink).
/// Welfare with the floor (p_A = 32.5, p_B = 45, flow 5, levy 4.5): B: CS (80 − 45) × 17.5 / 2
/// = 306.25, PS (45 − 20) × 12.5 / 2 = 156.25, tariff 15, levy 22.5 → 500 (base 506: −6);
/// A: CS (50 − 32.5) × 17.5 / 2 = 153.125, PS 22.5 × 22.5 / 2 = 253.125 → 406.25 (base 416:
/// −9.75); the world loses 15.75, the deadweight loss of the wedge.
#[test]
fn consumer_cost_of_a_floor_against_no_bloc() {
    let base_s = base();
    let mut s = base();
    with_floor(&mut s, 45.0);
    let b = go(&base_s);
    let mut r = go(&s);
    r.compare_with(&s, &base_s, &b);
    let cc = indicator(&r, "2026", "consumer_cost_usd", "region:B").unwrap();
    assert!((cc - 52.5).abs() < 1e-6, "consumer cost in B {cc}");
    assert!(indicator(&r, "2026", "consumer_cost_usd", "region:A").unwrap() < 0.0);
    let dw = |scope: &str| indicator(&r, "2026", "welfare_change_usd", scope).unwrap();
    for (scope, want) in [
        ("region:B", -6.0),
        ("members", -6.0),
        ("region:A", -9.75),
        ("non_members", -9.75),
        ("world", -15.75),
    ] {
        assert!(
            (dw(scope) - want).abs() < 1e-6,
            "{scope}: {} vs {want}",
            dw(scope)
        );
    }
}

/// The summary ranks what changed (the case above, over the example's 6 years): members'
/// (B's) price 45 against 42, +7.14%; welfare change A −9.75 × 6 = −58.5 ahead of
/// B −6 × 6 = −36 (ranked by size, whatever the sign); summary.json holds the same figures.
#[test]
fn the_summary_ranks_price_and_welfare_changes() {
    let base_s = base();
    let mut s = base();
    with_floor(&mut s, 45.0);
    let job = bloc_model::job::run_job(
        &s,
        Some(&base_s),
        &RunOptions::default(),
        "out",
        &mut |_, _| {},
    )
    .expect("runs");
    let js = job.summary_json.expect("a summary with a baseline");
    let p = &js["members_price_changes"][0];
    assert_eq!(p["commodity"], "x");
    assert!(
        (p["run_usd_per_t"].as_f64().unwrap() - 45.0).abs() < 1e-6,
        "{p}"
    );
    assert!(
        (p["baseline_usd_per_t"].as_f64().unwrap() - 42.0).abs() < 1e-6,
        "{p}"
    );
    assert!(
        (p["change"].as_f64().unwrap() - 3.0 / 42.0).abs() < 1e-8,
        "{p}"
    );
    let w = js["welfare_change_by_region"].as_array().unwrap();
    let got: Vec<(&str, f64)> = w
        .iter()
        .map(|x| (x["region"].as_str().unwrap(), x["usd"].as_f64().unwrap()))
        .collect();
    assert_eq!(got.len(), 2);
    assert_eq!((got[0].0, got[1].0), ("A", "B"));
    assert!(
        (got[0].1 + 58.5).abs() < 1e-5 && (got[1].1 + 36.0).abs() < 1e-5,
        "{got:?}"
    );
    assert_eq!(w[1]["member"], true);
    let md = job.summary.unwrap();
    assert!(md.contains("| x | 45 | 42 | +7.1% |"), "{md}");
    // Changes under $0.5 M are hidden from the Markdown (all of them here), kept in the JSON.
    assert!(
        md.contains("0 of 2 regions changed by $0.5 M or more"),
        "{md}"
    );
}

/// Welfare of the base by hand (2026): A: consumer surplus (50 − 34) × 16 / 2 = 128, producer
/// surplus (34 − 10) × 24 / 2 = 288; B: CS (80 − 42) × 19 / 2 = 361, PS (42 − 20) × 11 / 2 =
/// 121, tariff revenue 3 × 8 = 24. Totals 416 and 506.
#[test]
fn welfare_by_region_by_hand() {
    let r = go(&base());
    let w = |name: &str, scope: &str| indicator(&r, "2026", name, scope).unwrap();
    let close = |got: f64, want: f64| assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    close(w("welfare_consumer_surplus_usd", "region:A"), 128.0);
    close(w("welfare_producer_surplus_usd", "region:A"), 288.0);
    close(w("welfare_consumer_surplus_usd", "region:B"), 361.0);
    close(w("welfare_producer_surplus_usd", "region:B"), 121.0);
    close(w("welfare_tariff_revenue_usd", "region:B"), 24.0);
    close(w("welfare_total_usd", "region:A"), 416.0);
    close(w("welfare_total_usd", "region:B"), 506.0);
    close(w("welfare_total_usd", "world"), 922.0);
}

/// Demand growth 10% a year on B only while the path is in force (2027–2028): B's reference
/// quantity at p0 is 20, 20, 22, 24.2, 24.2, 24.2; with growth off it is flat.
#[test]
fn demand_growth_paths_and_flat_demand_without_growth() {
    let mut s = base();
    s.demand_growth.push(DemandGrowth {
        name: "test".into(),
        regions: RegionSet::Named(vec![RegionId::from("B")]),
        commodities: CommoditySet::All,
        per_yr: 0.1,
        span: Span {
            from: 1,
            to: Some(3),
        },
    });
    let refq = |r: &Run, region: &str| -> Vec<f64> {
        r.tables
            .consumption
            .rows
            .iter()
            .filter(|row| row[1] == region)
            .map(|row| row[4].parse().unwrap())
            .collect()
    };
    let r = go(&s);
    let want = [20.0, 20.0, 22.0, 24.2, 24.2, 24.2];
    for (got, want) in refq(&r, "B").iter().zip(want) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
    assert!(refq(&r, "A").iter().all(|&q| q == 20.0));
}

/// Properties over random projects, closures and growth rates on the example: capacity is
/// never negative; no project has capacity before its decision + lead time; with every growth
/// rate zero the reference demand is flat.
#[test]
fn properties_of_random_pipelines() {
    for seed in 0..12u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut s = base();
        s.time.periods = 8;
        s.investment.expected_price = ExpectedPrice::Trailing {
            periods: rng.gen_range(1..4),
        };
        if rng.gen_bool(0.5) {
            with_floor(&mut s, rng.gen_range(40.0..55.0));
        }
        if rng.gen_bool(0.5) {
            s.closures = Some(Closures {
                after_periods: rng.gen_range(1..3),
                restart_after_periods: rng.gen_range(0..3),
            });
        }
        for k in 0..3 {
            let region = if rng.gen_bool(0.5) { "A" } else { "B" };
            s.processes.push(project(
                &format!("p{k}"),
                region,
                (
                    rng.gen_range(1.0..30.0),
                    rng.gen_range(5.0..40.0),
                    rng.gen_range(0.5..10.0),
                ),
                rng.gen_range(0.0..300.0),
                (
                    rng.gen_range(0..4),
                    rng.gen_range(0..3),
                    rng.gen_range(-2..5),
                ),
            ));
        }
        let r = go(&s);
        let lead_of = |id: &str| {
            s.processes
                .iter()
                .find(|p| p.id.as_str() == id)
                .and_then(|p| p.project.as_ref())
                .map(|p| p.lead_periods.max(1))
        };
        let mut decided: std::collections::BTreeMap<String, usize> = Default::default();
        for row in &r.tables.production.rows {
            let cap: f64 = row[5].parse().unwrap();
            assert!(cap >= 0.0, "seed {seed}: negative capacity {row:?}");
        }
        for (t, label) in (0..s.time.periods).map(|t| (t, s.time.label(t))) {
            for row in r.tables.production.rows.iter().filter(|x| x[0] == label) {
                let cap: f64 = row[5].parse().unwrap();
                if let Some(lead) = lead_of(&row[2]) {
                    if cap > 0.0 {
                        let fid = decided.get(&row[2]).copied();
                        assert!(
                            fid.is_some_and(|f| t >= f + lead),
                            "seed {seed}: {} has capacity in period {t}, decided {fid:?}, lead {lead}",
                            row[2]
                        );
                    }
                }
            }
            // Decisions are taken at the end of a period: record them after the check.
            for (i, p) in s.processes.iter().enumerate() {
                if p.project.is_some() && !decided.contains_key(p.id.as_str()) {
                    if let Some(f) = r.fid_of(i) {
                        if f <= t as i64 {
                            decided.insert(p.id.to_string(), f.max(0) as usize);
                        }
                    }
                }
            }
        }
        for row in &r.tables.consumption.rows {
            assert_eq!(row[4], "20", "seed {seed}: demand not flat {row:?}");
        }
    }
}
