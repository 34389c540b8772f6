//! Every instrument on the shared `two-region-linear` example, worked by hand.
//!
//! The base (README there): mc_A = 10 + q, mc_B = 20 + 2q, inverse demand 50 − q in A and
//! 80 − 2q in B, A→B costs 5 + 3 (tariff). So A's excess supply is 2 p_A − 60 and B's excess
//! demand 50 − p_B; with trade p_B = p_A + 8 → p_A = 34, p_B = 42, flow 8. Each test changes
//! one thing and re-derives the answer in its comment.

use bloc_model::{run, Run, RunOptions};
use bloc_scenario::*;
use bloc_units::{CommodityId, ProcessId, RegionId, Tonnes, TonnesPerYear, Usd, UsdPerTonne};

fn base() -> Scenario {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/examples/two-region-linear/scenario.toml"
    );
    bloc_scenario::load(std::path::Path::new(p)).expect("the shared example loads")
}

fn all(from: usize) -> Span {
    Span { from, to: None }
}

fn member(s: &mut Scenario, r: &str, from: usize) {
    s.bloc.members.push(Membership {
        region: RegionId::from(r),
        span: all(from),
    });
}

fn go(s: &Scenario) -> Run {
    run(s, &RunOptions::default(), &mut |_| {}).expect("runs")
}

/// Value of `column` in `table` on the row whose leading cells equal `key`.
fn cell(r: &Run, table: &str, key: &[&str], column: &str) -> f64 {
    let t = r
        .tables
        .all()
        .into_iter()
        .find(|t| t.file == table)
        .expect("table");
    let col = t.header.iter().position(|h| *h == column).expect("column");
    let row = t
        .rows
        .iter()
        .find(|row| key.iter().enumerate().all(|(i, k)| row[i] == *k))
        .unwrap_or_else(|| panic!("no row {key:?} in {table}"));
    row[col].parse().expect("number")
}

fn price(r: &Run, period: &str, region: &str) -> f64 {
    cell(r, "prices.csv", &[period, region, "x"], "price_usd_per_t")
}

fn flow(r: &Run, period: &str) -> f64 {
    let t = &r.tables.flows;
    t.rows
        .iter()
        .find(|row| row[0] == period && row[2] == "A" && row[3] == "B")
        .map(|row| row[5].parse().unwrap())
        .unwrap_or(0.0)
}

fn indicator(r: &Run, period: &str, name: &str, scope: &str) -> f64 {
    cell(r, "indicators.csv", &[period, name, scope], "value")
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-6 * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

fn floor_rule(reference: Reference, ratio: f64, lag: usize, every: usize) -> FloorRule {
    FloorRule {
        commodity: CommodityId::from("x"),
        reference,
        ratio,
        levy: LevyRule {
            lag,
            every,
            cap: UsdPerTonne(1000.0),
        },
        span: all(0),
    }
}

// ---------------------------------------------------------------- membership and frameworks

/// Both members: no tariff, so p_B = p_A + 5: 2 p_A − 60 = 50 − p_A − 5 → p_A = 35, p_B = 40,
/// flow 10. A framework on x between A and B gives the same.
#[test]
fn members_and_frameworks_trade_tariff_free() {
    let mut s = base();
    member(&mut s, "A", 0);
    member(&mut s, "B", 0);
    let r = go(&s);
    assert_close(price(&r, "2026", "A"), 35.0, "p_A");
    assert_close(price(&r, "2026", "B"), 40.0, "p_B");
    assert_close(flow(&r, "2026"), 10.0, "flow");
    let mut s = base();
    s.bloc.frameworks.push(Framework {
        name: "A-B".into(),
        regions: vec![RegionId::from("A"), RegionId::from("B")],
        commodities: CommoditySet::Named(vec![CommodityId::from("x")]),
        span: Span {
            from: 2,
            to: Some(4),
        },
    });
    let r = go(&s);
    assert_close(price(&r, "2027", "A"), 34.0, "before the framework");
    assert_close(price(&r, "2028", "A"), 35.0, "under the framework");
    assert_close(price(&r, "2030", "A"), 34.0, "after it ends");
}

/// `import_dependence` is the members' net imports from non-members over their use (net
/// import reliance). The base answer: p_A = 34, p_B = 42, flow A→B 8 t.
/// - B alone a member (A→B keeps its tariff): B imports 8 and uses (80 − 42)/2 = 19 → 8/19.
/// - A alone a member: A exports 8 and uses 50 − 34 = 16 → −8/16 = −0.5 (its gross imports
///   from non-members would read 0, hiding that the group is a net exporter).
#[test]
fn import_dependence_is_net_imports_over_use() {
    let mut s = base();
    member(&mut s, "B", 0);
    let r = go(&s);
    assert_close(flow(&r, "2026"), 8.0, "flow");
    assert_close(
        indicator(&r, "2026", "import_dependence", "members:x"),
        8.0 / 19.0,
        "B a member",
    );
    let mut s = base();
    member(&mut s, "A", 0);
    let r = go(&s);
    assert_close(
        indicator(&r, "2026", "import_dependence", "members:x"),
        -0.5,
        "A a member",
    );
}

// ---------------------------------------------------------------- floors and levies

/// README `floor.toml`: p_A = 32.5, p_B = 45, levy 4.5, revenue 22.5 per year.
#[test]
fn shared_floor_example_gives_the_readme_answers() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/examples/two-region-linear/floor.toml"
    );
    let s = bloc_scenario::load(std::path::Path::new(p)).unwrap();
    let r = go(&s);
    for y in ["2026", "2027", "2028", "2029", "2030", "2031"] {
        assert_close(price(&r, y, "A"), 32.5, "p_A");
        assert_close(price(&r, y, "B"), 45.0, "p_B");
        assert_close(
            cell(&r, "flows.csv", &[y, "x", "A", "B"], "levy_usd_per_t"),
            4.5,
            "levy",
        );
        assert_close(
            indicator(&r, y, "levy_revenue_usd", "world"),
            22.5,
            "revenue",
        );
        assert_close(
            cell(&r, "policy.csv", &[y, "x"], "floor_usd_per_t"),
            45.0,
            "floor",
        );
    }
    assert_eq!(r.run_json["all_converged"], true);
}

/// README `floor-lag1.toml`: 42, 44, 44.667, … → 45. In general the levy of year t is
/// 45 − (p_A(t−1) + 8) and 3 p_A(t) = 102 − levy(t), so p_B(t) = 45 − (45 − p_B(t−1))/3.
#[test]
fn shared_lagged_floor_example_climbs_to_the_floor() {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/examples/two-region-linear/floor-lag1.toml"
    );
    let s = bloc_scenario::load(std::path::Path::new(p)).unwrap();
    let r = go(&s);
    let mut pb = 42.0;
    for y in 2026..2032 {
        assert_close(price(&r, &y.to_string(), "B"), pb, &format!("p_B {y}"));
        pb = 45.0 - (45.0 - pb) / 3.0;
    }
    assert_close(price(&r, "2028", "B"), 44.0 + 2.0 / 3.0, "p_B 2028");
}

/// Lag 1, recomputed every 2 years: 2026 levy 0 (no history), 2027 held at 0 → p_B 42;
/// 2028 levy from 2027: 45 − 42 = 3 → p_A = (102 − 3)/3 = 33, p_B 44; 2029 held;
/// 2030 levy 45 − 41 = 4 → p_A = 98/3, p_B = 44.667; 2031 held.
#[test]
fn levy_held_between_recomputations() {
    let mut s = base();
    member(&mut s, "B", 0);
    s.bloc
        .floors
        .push(floor_rule(Reference::Fixed(UsdPerTonne(45.0)), 1.0, 1, 2));
    let r = go(&s);
    let want = [42.0, 42.0, 44.0, 44.0, 44.0 + 2.0 / 3.0, 44.0 + 2.0 / 3.0];
    for (k, w) in want.iter().enumerate() {
        assert_close(
            price(&r, &(2026 + k).to_string(), "B"),
            *w,
            &format!("p_B year {k}"),
        );
    }
}

/// B a member with a floor of 0.9 × last year's members' price (50 before any).
fn index_floor() -> Scenario {
    let mut s = base();
    member(&mut s, "B", 0);
    s.bloc.floors.push(floor_rule(
        Reference::Index {
            periods: 1,
            initial: Some(UsdPerTonne(50.0)),
        },
        0.9,
        0,
        1,
    ));
    s
}

/// Index reference over 1 period, ratio 0.9, initial 50: 2026 floor 45 → p_B = 45 (as in
/// `floor.toml`); 2027 reference = members' price 2026 = 45, floor 40.5 < 42 → no levy,
/// p_B = 42; 2028 reference 42, floor 37.8 → p_B = 42.
#[test]
fn index_reference_follows_the_members_price() {
    let s = index_floor();
    let r = go(&s);
    assert_close(price(&r, "2026", "B"), 45.0, "2026");
    assert_close(
        cell(&r, "policy.csv", &["2027", "x"], "floor_usd_per_t"),
        40.5,
        "floor 2027",
    );
    assert_close(price(&r, "2027", "B"), 42.0, "2027");
    assert_close(
        cell(
            &r,
            "policy.csv",
            &["2028", "x"],
            "reference_price_usd_per_t",
        ),
        42.0,
        "reference 2028",
    );
}

/// Cost-based: B's only plant has unit cost 20 and rise 100 → full cost 120; percentile 1,
/// margin 0.5 → reference 180; ratio 0.25 → floor 45, the answer of `floor.toml`.
#[test]
fn cost_based_reference_is_the_members_full_cost() {
    let mut s = base();
    member(&mut s, "B", 0);
    s.bloc.floors.push(floor_rule(
        Reference::CostBased {
            percentile: 1.0,
            margin: 0.5,
        },
        0.25,
        0,
        1,
    ));
    let r = go(&s);
    assert_close(
        cell(
            &r,
            "policy.csv",
            &["2026", "x"],
            "reference_price_usd_per_t",
        ),
        180.0,
        "reference",
    );
    assert_close(price(&r, "2026", "A"), 32.5, "p_A");
    assert_close(price(&r, "2026", "B"), 45.0, "p_B");
}

/// `floors.csv` of a run: (binding, status) and the members' price of period `y`.
fn floor_said(r: &Run, y: &str) -> (String, String, f64) {
    let t = &r.tables.floors;
    let row = t
        .rows
        .iter()
        .find(|row| row[0] == y && row[1] == "x")
        .unwrap_or_else(|| panic!("no floors.csv row for {y}"));
    let at = |c: &str| t.header.iter().position(|h| *h == c).unwrap();
    (
        row[at("binding")].clone(),
        row[at("status")].clone(),
        row[at("members_price_usd_per_t")].parse().unwrap(),
    )
}

fn floor_cell(r: &Run, y: &str, column: &str) -> f64 {
    cell(r, "floors.csv", &[y, "x"], column)
}

/// What `floors.csv` says of each case, worked by hand on the base (p_A = 34, p_B = 42):
/// - `floor.toml` (B a member, floor 45, levy with the market): p_B = 45, levy 4.5 on the
///   5 t B imports: binding.
/// - The same with the levy capped at 2: the wedge is 5 + 3 + 2 = 10, 2 p_A − 60 = 50 − p_A
///   − 10 → p_A = 100/3, p_B = 130/3 < 45, B imports 50 − 130/3 = 20/3 t at the cap.
/// - An index floor (ratio 0.9 of last year's members' price, initial 50): 2027's floor is
///   40.5, B's price 42 with 8 t entering at no levy: the market is above it.
/// - A the member with the floor of 45: A exports 8 t at p_A = 34 < 45; a levy on B → A
///   (landed 42 + 5 = 47 > 45, so 0) cannot lift A's price.
/// - `floor-lag1.toml`: 2026 has no levy yet (8 t enter at 0, p_B = 42); 2027's levy of 3 is
///   set from 2026's prices and leaves p_B = 44 < 45 with 6 t entering: lagged, binding.
/// - B a member with a framework with A: the 10 t B imports (p_A = 35, p_B = 40) enter
///   levy-free.
#[test]
fn floors_csv_says_whether_each_floor_binds_and_why_not() {
    let shared = |f: &str| {
        let p = format!(
            "{}/../../../shared/examples/two-region-linear/{f}",
            env!("CARGO_MANIFEST_DIR")
        );
        bloc_scenario::load(std::path::Path::new(&p)).unwrap()
    };
    let r = go(&shared("floor.toml"));
    assert_eq!(
        floor_said(&r, "2027"),
        ("true".into(), "binding".into(), 45.0)
    );
    assert_close(floor_cell(&r, "2027", "levy_max_usd_per_t"), 4.5, "levy");
    assert_close(floor_cell(&r, "2027", "levied_imports_t"), 5.0, "imports");
    assert_close(floor_cell(&r, "2027", "members_exports_t"), 0.0, "exports");

    let mut s = shared("floor.toml");
    s.bloc.floors[0].levy.cap = UsdPerTonne(2.0);
    let r = go(&s);
    let (binding, status, p) = floor_said(&r, "2027");
    assert_eq!((binding.as_str(), status.as_str()), ("true", "levy_at_cap"));
    assert_close(p, 130.0 / 3.0, "p_B under the cap");
    assert_close(
        floor_cell(&r, "2027", "levied_imports_t"),
        20.0 / 3.0,
        "imports",
    );

    let s = index_floor();
    let r = go(&s);
    assert_eq!(
        floor_said(&r, "2027"),
        ("false".into(), "market_above_floor".into(), 42.0)
    );
    assert_close(floor_cell(&r, "2027", "levied_imports_t"), 8.0, "imports");

    let mut s = base();
    member(&mut s, "A", 0);
    s.bloc
        .floors
        .push(floor_rule(Reference::Fixed(UsdPerTonne(45.0)), 1.0, 0, 1));
    let r = go(&s);
    assert_eq!(
        floor_said(&r, "2027"),
        ("false".into(), "members_export".into(), 34.0)
    );
    assert_close(floor_cell(&r, "2027", "members_exports_t"), 8.0, "exports");

    let r = go(&shared("floor-lag1.toml"));
    assert_eq!(
        floor_said(&r, "2026"),
        ("false".into(), "levy_lagged".into(), 42.0)
    );
    assert_eq!(
        floor_said(&r, "2027"),
        ("true".into(), "levy_lagged".into(), 44.0)
    );
    assert_close(floor_cell(&r, "2027", "levy_max_usd_per_t"), 3.0, "levy");

    let mut s = shared("floor.toml");
    s.bloc.frameworks.push(Framework {
        name: "A-B".into(),
        regions: vec![RegionId::from("A"), RegionId::from("B")],
        commodities: CommoditySet::Named(vec![CommodityId::from("x")]),
        span: all(0),
    });
    let r = go(&s);
    assert_eq!(
        floor_said(&r, "2027"),
        ("false".into(), "levy_free_imports".into(), 40.0)
    );
    assert_close(
        floor_cell(&r, "2027", "levy_free_imports_t"),
        10.0,
        "levy-free imports",
    );
}

// ---------------------------------------------------------------- stockpile

fn vault(buy: f64, max_buy: f64, max_inv: f64, budget: f64) -> Stockpile {
    Stockpile {
        name: "vault".into(),
        region: RegionId::from("B"),
        commodities: vec![CommodityId::from("x")],
        budget: Usd(budget),
        max_inventory: Tonnes(max_inv),
        initial_inventory: Tonnes(0.0),
        buy_below: PriceTrigger::Fixed(UsdPerTonne(buy)),
        release_above: None,
        release_on_shortage: false,
        max_buy_per_period: Tonnes(max_buy),
        max_release_per_period: Tonnes(0.0),
        storage_cost_per_t_yr: UsdPerTonne(1.0),
        span: all(0),
    }
}

/// Buys below 45, 3 t a year, room 5 t. Year 1: B's excess demand + 3: 53 − p_B = 2 p_A − 60
/// → p_A = 35, p_B = 43 (< 45, so it buys all 3), spend 129. Year 2: room 2 → 52 − p_B →
/// p_A = 104/3, p_B = 128/3, spend 2 × 128/3. Year 3: full → back to 34 / 42.
#[test]
fn stockpile_buying_lifts_the_price_within_room() {
    let mut s = base();
    s.bloc.stockpiles.push(vault(45.0, 3.0, 5.0, 1e9));
    let r = go(&s);
    assert_close(price(&r, "2026", "B"), 43.0, "p_B 2026");
    assert_close(
        cell(&r, "stockpile.csv", &["2026", "vault", "x"], "spent_usd"),
        129.0,
        "spend",
    );
    assert_close(price(&r, "2027", "B"), 128.0 / 3.0, "p_B 2027");
    assert_close(
        cell(&r, "stockpile.csv", &["2027", "vault", "x"], "inventory_t"),
        5.0,
        "full",
    );
    assert_close(price(&r, "2028", "B"), 42.0, "p_B 2028");
    // Storage: 3 t × 1 USD/t/yr in 2026.
    assert_close(
        indicator(&r, "2026", "stockpile_storage_cost_usd", "vault"),
        3.0,
        "storage",
    );
}

/// Budget 100 at a 45 trigger allows 100/45 = 2.2222 t: 52.2222 − p_B = 2 p_A − 60 →
/// p_A = 104.2222/3 = 34.7407, p_B = 42.7407, spend = 2.2222 × 42.7407 = 94.98 ≤ 100.
#[test]
fn stockpile_spend_never_exceeds_its_budget() {
    let mut s = base();
    s.bloc.stockpiles.push(vault(45.0, 10.0, 100.0, 100.0));
    let r = go(&s);
    // It bids a millionth below its trigger (bloc_policy::stockpile::BID_BELOW_TRIGGER).
    let q = 100.0 / (45.0 * (1.0 - 1e-6));
    let pa = (102.0 + q) / 3.0;
    assert_close(price(&r, "2026", "B"), pa + 8.0, "p_B");
    assert_close(
        cell(&r, "stockpile.csv", &["2026", "vault", "x"], "spent_usd"),
        q * (pa + 8.0),
        "spend",
    );
    let mut spent = 0.0;
    for y in 2026..2032 {
        spent += cell(
            &r,
            "stockpile.csv",
            &[&y.to_string(), "vault", "x"],
            "spent_usd",
        );
        assert!(
            cell(
                &r,
                "stockpile.csv",
                &[&y.to_string(), "vault", "x"],
                "budget_left_usd"
            ) >= -1e-9
        );
    }
    assert!(spent <= 100.0 + 1e-9, "spent {spent}");
}

/// 10 t in store, releases above 40, 4 t a year. Year 1 the release runs at its cap (at 40
/// it would need 6): 46 − p_B = 2 p_A − 60 → p_A = 98/3, p_B = 122/3. Year 2 the same (6 left
/// → 2); year 3 releases its last 2 t: 48 − p_B → p_A = 100/3, p_B = 124/3; then 34 / 42.
#[test]
fn stockpile_release_lowers_the_price_until_empty() {
    let mut s = base();
    let mut v = vault(1.0, 0.0, 100.0, 0.0);
    v.initial_inventory = Tonnes(10.0);
    v.release_above = Some(PriceTrigger::Fixed(UsdPerTonne(40.0)));
    v.max_release_per_period = Tonnes(4.0);
    s.bloc.stockpiles.push(v);
    let r = go(&s);
    assert_close(price(&r, "2026", "B"), 122.0 / 3.0, "2026");
    assert_close(price(&r, "2027", "B"), 122.0 / 3.0, "2027");
    assert_close(price(&r, "2028", "B"), 124.0 / 3.0, "2028");
    assert_close(price(&r, "2029", "B"), 42.0, "2029");
    assert_close(
        cell(&r, "stockpile.csv", &["2028", "vault", "x"], "inventory_t"),
        0.0,
        "empty",
    );
}

// ---------------------------------------------------------------- guarantees and subsidies

fn idle_plant(s: &mut Scenario) {
    // mc 50 + q over 10 t: above B's price of 42, so the market alone idles it.
    s.processes.push(Process {
        project: None,
        id: ProcessId::from("b_new"),
        region: RegionId::from("B"),
        output: CommodityId::from("x"),
        capacity: TonnesPerYear(10.0),
        unit_cost: UsdPerTonne(50.0),
        cost_rise: Some(UsdPerTonne(10.0)),
        online: None,
        offline: None,
        inputs: vec![],
        outputs: vec![],
    });
}

/// A two-sided contract on all of B's plant: strike 30 (below the market: no top-up), and the
/// state takes half of the price above 35. The plant then earns p − (p − 35)/2 = p/2 + 17.5
/// and runs where 20 + 2q ≤ p/2 + 17.5, q = p/4 − 1.25. B's buyers 40 − p/2 = that + A's
/// exports 2(p − 8) − 60 → 2.75 p = 117.25, p_B = 42.636364 (42 without the contract: the
/// plant makes less, B imports more); q_B = 9.409091 t; the state receives
/// 0.5 × (p_B − 35) × q_B = 35.925620 a year, which is B's support cost with the sign turned.
#[test]
fn a_two_sided_guarantee_shares_the_upside_with_the_state() {
    let mut s = base();
    s.bloc.guarantees.push(Guarantee {
        process: ProcessId::from("b_plant"),
        strike: UsdPerTonne(30.0),
        volume: TonnesPerYear(50.0),
        mode: GuaranteeMode::TopUp,
        upside: Some(Upside {
            share: 0.5,
            above: UsdPerTonne(35.0),
        }),
        span: all(0),
    });
    let r = go(&s);
    let p = 117.25 / 2.75;
    let q = p / 4.0 - 1.25;
    for y in ["2026", "2029"] {
        assert_close(price(&r, y, "B"), p, "p_B");
        assert_close(
            cell(&r, "production.csv", &[y, "B", "b_plant"], "quantity_t"),
            q,
            "b_plant",
        );
        assert_close(
            indicator(&r, y, "guarantee_receipt_usd", "process:b_plant"),
            0.5 * (p - 35.0) * q,
            "receipt",
        );
        assert_close(
            indicator(&r, y, "guarantee_payout_usd", "process:b_plant"),
            0.0,
            "payout",
        );
        assert_close(
            indicator(&r, y, "welfare_support_cost_usd", "region:B"),
            -0.5 * (p - 35.0) * q,
            "support cost",
        );
    }
    assert_eq!(r.run_json["all_converged"], true);
}

/// Strike 60 on 5 t of the idle plant: its first 5 t cost 50 → 55 ≤ 60, so all 5 run.
/// B's excess demand falls by 5: 45 − p_B = 2 p_A − 60 → p_A = 97/3, p_B = 121/3;
/// payout (60 − 121/3) × 5 = 295/3.
#[test]
fn guarantee_runs_a_plant_the_market_would_idle() {
    let mut s = base();
    idle_plant(&mut s);
    let r0 = go(&s);
    assert_close(
        cell(&r0, "production.csv", &["2026", "B", "b_new"], "quantity_t"),
        0.0,
        "idle without",
    );
    s.bloc.guarantees.push(Guarantee {
        process: ProcessId::from("b_new"),
        strike: UsdPerTonne(60.0),
        volume: TonnesPerYear(5.0),
        mode: GuaranteeMode::TopUp,
        upside: None,
        span: all(0),
    });
    let r = go(&s);
    assert_close(
        cell(&r, "production.csv", &["2026", "B", "b_new"], "quantity_t"),
        5.0,
        "runs with",
    );
    assert_close(price(&r, "2026", "B"), 121.0 / 3.0, "p_B");
    assert_close(
        indicator(&r, "2026", "guarantee_payout_usd", "process:b_new"),
        (60.0 - 121.0 / 3.0) * 5.0,
        "payout",
    );
}

/// The same 5 t bought outright at 60 into a stockpile: they leave the market, so prices stay
/// 34 / 42; inventory 5, spend 300.
#[test]
fn purchase_guarantee_fills_the_stockpile() {
    let mut s = base();
    idle_plant(&mut s);
    s.bloc.stockpiles.push(vault(1.0, 0.0, 100.0, 1e6));
    s.bloc.guarantees.push(Guarantee {
        process: ProcessId::from("b_new"),
        strike: UsdPerTonne(60.0),
        volume: TonnesPerYear(5.0),
        mode: GuaranteeMode::Purchase {
            stockpile: "vault".into(),
        },
        upside: None,
        span: all(0),
    });
    let r = go(&s);
    assert_close(price(&r, "2026", "B"), 42.0, "p_B");
    assert_close(
        cell(&r, "stockpile.csv", &["2026", "vault", "x"], "inventory_t"),
        5.0,
        "inventory",
    );
    assert_close(
        cell(&r, "stockpile.csv", &["2026", "vault", "x"], "spent_usd"),
        300.0,
        "spend",
    );
}

/// 6 per t to b_plant: B supplies (p − 14)/2, so 47 − p_B = 2 p_A − 60 → p_A = 33, p_B = 41;
/// B makes 13.5 t; payout 81.
#[test]
fn production_subsidy_lowers_the_supply_price() {
    let mut s = base();
    s.bloc.subsidies.push(ProductionSubsidy {
        processes: vec![ProcessId::from("b_plant")],
        per_t: UsdPerTonne(6.0),
        span: all(0),
    });
    let r = go(&s);
    assert_close(price(&r, "2026", "B"), 41.0, "p_B");
    assert_close(
        cell(
            &r,
            "production.csv",
            &["2026", "B", "b_plant"],
            "quantity_t",
        ),
        13.5,
        "B output",
    );
    assert_close(
        indicator(&r, "2026", "subsidy_payout_usd", "world"),
        81.0,
        "payout",
    );
}

// ---------------------------------------------------------------- export controls

fn control(kind: ControlKind, from: usize) -> ExportControl {
    ExportControl {
        exporter: RegionId::from("A"),
        commodities: CommoditySet::All,
        destinations: RegionSet::Named(vec![RegionId::from("B")]),
        kind,
        span: all(from),
        line: 0,
    }
}

/// A ban returns both to autarky (30 / 50); a 5 t quota gives p_A = 32.5 (2 p_A − 60 = 5),
/// p_B = 45 (50 − p_B = 5).
#[test]
fn ban_and_quota() {
    let mut s = base();
    s.counter.export_controls.push(control(ControlKind::Ban, 0));
    let r = go(&s);
    assert_eq!(flow(&r, "2026"), 0.0);
    assert_close(price(&r, "2026", "A"), 30.0, "p_A");
    assert_close(price(&r, "2026", "B"), 50.0, "p_B");
    let mut s = base();
    s.counter
        .export_controls
        .push(control(ControlKind::Quota(Tonnes(5.0)), 0));
    let r = go(&s);
    assert_close(flow(&r, "2026"), 5.0, "flow");
    assert_close(price(&r, "2026", "A"), 32.5, "p_A");
    assert_close(price(&r, "2026", "B"), 45.0, "p_B");
}

/// Licences from 2027 on: normal exports are 2026's 8 t; 50% approved after 1 year. 2027:
/// nothing (autarky 30 / 50); from 2028: 4 t → p_A = 32, p_B = 46. With a general licence for
/// B at 75%: 6 t → p_A = 33, p_B = 44.
#[test]
fn licence_regime_with_delay_and_general_licence() {
    let lic = |general: Option<(RegionSet, f64)>| ControlKind::Licence {
        approved_share: 0.5,
        delay_periods: 1,
        general,
    };
    let mut s = base();
    s.counter.export_controls.push(control(lic(None), 1));
    let r = go(&s);
    assert_close(flow(&r, "2026"), 8.0, "normal");
    assert_eq!(flow(&r, "2027"), 0.0);
    assert_close(price(&r, "2027", "B"), 50.0, "during the delay");
    assert_close(flow(&r, "2028"), 4.0, "licensed");
    assert_close(price(&r, "2028", "A"), 32.0, "p_A");
    assert_close(price(&r, "2028", "B"), 46.0, "p_B");
    let mut s = base();
    s.counter.export_controls.push(control(
        lic(Some((RegionSet::Named(vec![RegionId::from("B")]), 0.75))),
        1,
    ));
    let r = go(&s);
    assert_close(flow(&r, "2028"), 6.0, "general licence");
    assert_close(price(&r, "2028", "B"), 44.0, "p_B");
}

/// A licence regime from the first period takes normal exports from that period solved
/// without controls (8 t): 50% with no delay → 4 t, p_B = 46.
#[test]
fn licence_from_the_first_period_uses_uncontrolled_flows() {
    let mut s = base();
    s.counter.export_controls.push(control(
        ControlKind::Licence {
            approved_share: 0.5,
            delay_periods: 0,
            general: None,
        },
        0,
    ));
    let r = go(&s);
    assert_close(flow(&r, "2026"), 4.0, "flow");
    assert_close(price(&r, "2026", "B"), 46.0, "p_B");
}

// ---------------------------------------------------------------- shocks

fn a_plant() -> ProcessSelector {
    ProcessSelector {
        processes: vec![ProcessId::from("a_plant")],
        region: RegionSet::All,
        commodities: CommoditySet::All,
    }
}

/// Half of A's plant out: mc_A = 10 + 2q, so A's excess supply is (p_A − 10)/2 − (50 − p_A) =
/// 1.5 p_A − 55 = 42 − p_A → p_A = 38.8, p_B = 46.8. Only in 2027.
#[test]
fn outage_halves_capacity_while_in_force() {
    let mut s = base();
    s.counter.outages.push(Outage {
        target: a_plant(),
        share: 0.5,
        span: Span {
            from: 1,
            to: Some(2),
        },
    });
    let r = go(&s);
    assert_close(price(&r, "2026", "A"), 34.0, "before");
    assert_close(price(&r, "2027", "A"), 38.8, "during");
    assert_close(price(&r, "2027", "B"), 46.8, "during");
    assert_close(
        cell(
            &r,
            "production.csv",
            &["2027", "A", "a_plant"],
            "capacity_t",
        ),
        50.0,
        "capacity",
    );
    assert_close(price(&r, "2028", "A"), 34.0, "after");
}

/// Demand in B doubled: 80 − p_B − (p_B − 20)/2 = 90 − 1.5 p_B = 2 p_A − 60 → p_A = 138/3.5.
#[test]
fn demand_multiplier() {
    let mut s = base();
    s.counter.demand_shocks.push(DemandShock {
        regions: RegionSet::Named(vec![RegionId::from("B")]),
        commodities: CommoditySet::All,
        multiplier: 2.0,
        span: all(0),
    });
    let r = go(&s);
    assert_close(price(&r, "2026", "A"), 138.0 / 3.5, "p_A");
}

/// B's costs doubled: mc_B = 40 + 4q → 50 − 0.75 p_B = 2 p_A − 60 → p_A = 104/2.75.
#[test]
fn cost_multiplier() {
    let mut s = base();
    s.counter.cost_shocks.push(CostShock {
        target: ProcessSelector {
            processes: vec![],
            region: RegionSet::Named(vec![RegionId::from("B")]),
            commodities: CommoditySet::All,
        },
        multiplier: 2.0,
        span: all(0),
    });
    let r = go(&s);
    assert_close(price(&r, "2026", "A"), 104.0 / 2.75, "p_A");
}

/// A demand shock also scales the reference quantity reported in consumption.csv: B's Q0 of
/// 20 t/yr doubled is 40.
#[test]
fn demand_shock_shows_in_the_reference_quantity() {
    let mut s = base();
    s.counter.demand_shocks.push(DemandShock {
        regions: RegionSet::Named(vec![RegionId::from("B")]),
        commodities: CommoditySet::All,
        multiplier: 2.0,
        span: Span { from: 1, to: None },
    });
    let r = go(&s);
    assert_close(
        cell(
            &r,
            "consumption.csv",
            &["2026", "B", "x"],
            "reference_quantity_t",
        ),
        20.0,
        "before",
    );
    assert_close(
        cell(
            &r,
            "consumption.csv",
            &["2027", "B", "x"],
            "reference_quantity_t",
        ),
        40.0,
        "during",
    );
}

fn standard(certified: &[&str], uncertified: Uncertified) -> MarketStandard {
    MarketStandard {
        name: "traceability".into(),
        commodities: CommoditySet::All,
        certified: certified.iter().map(|r| RegionId::from(*r)).collect(),
        uncertified,
        span: all(1),
    }
}

/// A and B both members: tariff-free, the wedge is transport 5 only: 2 p_A − 60 = 50 − p_B
/// with p_B = p_A + 5 → p_A = 35, p_B = 40. From 2027 a standard certifies only B, and an
/// uncertified origin is treated as a non-member: A's goods pay B's tariff of 3 again, as in
/// the base: p_A = 34, p_B = 42.
#[test]
fn a_market_standard_treats_uncertified_members_as_non_members() {
    let mut s = base();
    member(&mut s, "A", 0);
    member(&mut s, "B", 0);
    s.bloc
        .standards
        .push(standard(&["B"], Uncertified::NonMember));
    let r = go(&s);
    assert_close(price(&r, "2026", "A"), 35.0, "p_A before");
    assert_close(price(&r, "2026", "B"), 40.0, "p_B before");
    assert_close(price(&r, "2027", "A"), 34.0, "p_A under the standard");
    assert_close(price(&r, "2027", "B"), 42.0, "p_B under the standard");
    // Certify A as well: back to tariff-free trade.
    s.bloc.standards[0].certified.push(RegionId::from("A"));
    let r = go(&s);
    assert_close(price(&r, "2027", "B"), 40.0, "p_B with A certified");
}

/// The same members; an uncertified origin pays a compliance cost of 2 per tonne instead:
/// wedge 5 + 2 = 7, 2 p_A − 60 = 50 − (p_A + 7) → p_A = 103/3, p_B = 124/3; the flow
/// 2 p_A − 60 = 26/3 t.
#[test]
fn a_market_standard_charges_uncertified_origins_a_compliance_cost() {
    let mut s = base();
    member(&mut s, "A", 0);
    member(&mut s, "B", 0);
    s.bloc.standards.push(standard(
        &["B"],
        Uncertified::ComplianceCost(UsdPerTonne(2.0)),
    ));
    let r = go(&s);
    assert_close(price(&r, "2027", "A"), 103.0 / 3.0, "p_A");
    assert_close(price(&r, "2027", "B"), 124.0 / 3.0, "p_B");
    assert_close(flow(&r, "2027"), 26.0 / 3.0, "flow");
    assert_close(
        cell(
            &r,
            "flows.csv",
            &["2027", "x", "A", "B"],
            "transport_usd_per_t",
        ),
        7.0,
        "transport with compliance",
    );
}

/// A non-member standard also brings the levy: A and B members with a floor of 45 in B
/// (lag 0); while A is certified its goods pay no levy (tariff-free: p_B = 40 < 45 and no
/// levy); uncertified from 2027, A's goods are levied up to the floor: p_B = 45.
#[test]
fn an_uncertified_member_pays_the_levy() {
    let mut s = base();
    member(&mut s, "A", 0);
    member(&mut s, "B", 0);
    s.bloc
        .floors
        .push(floor_rule(Reference::Fixed(UsdPerTonne(45.0)), 1.0, 0, 1));
    s.bloc
        .standards
        .push(standard(&["B"], Uncertified::NonMember));
    let r = go(&s);
    assert_close(price(&r, "2026", "B"), 40.0, "p_B, A certified");
    assert_close(price(&r, "2027", "B"), 45.0, "p_B, A levied");
}
