//! Joint production and free disposal (design §9), worked by hand on small worlds.
//!
//! One mine makes `a` and, with each tonne, one tonne of the co-product `b`; its marginal cost
//! is 10 + q (capacity 100, rise 100). A block running strictly between 0 and capacity meets
//! `p_a + p_b = mc`; a co-product in glut is worth `−disposal`.

mod common;

use common::{close, consumed, consumption, go, price};
use std::path::Path;

/// One region R with the mine and linear demands `a` = (Q0, P0) and `b` = (Q0, P0), each of
/// point elasticity −1 (so p = 2 P0 − q); `b` costs `disposal` to dispose of.
fn one_region(dir: &Path, a: (f64, f64), b: (f64, f64), disposal: f64) {
    common::write(
        dir,
        &common::Tables {
            regions: &["R"],
            commodities: &format!("a,test,refined,A,\nb,test,refined,B,{disposal}\n"),
            processes: "mine,R,a,100,10,100,a\n",
            outputs: "mine,b,1,a\n",
            demand: &format!(
                "R,a,linear,{},{},-1,0,a\nR,b,linear,{},{},-1,0,a\n",
                a.0, a.1, b.0, b.1
            ),
            ..Default::default()
        },
    );
}

/// Demands p_a = 100 − q and p_b = 60 − q: (100 − q) + (60 − q) = 10 + q → q = 50, p_a = 50,
/// p_b = 10. Raise the demand for `a` to p_a = 115 − q: 175 − 2q = 10 + q → q = 55,
/// p_a = 60 and p_b = 5: `b`'s price falls by 5 because more `a` brings more `b`.
#[test]
fn co_products_share_the_cost_and_move_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("base");
    one_region(&d, (50.0, 50.0), (30.0, 30.0), 0.0);
    let r = go(&d);
    close(price(&r, "R", "a"), 50.0, "p_a");
    close(price(&r, "R", "b"), 10.0, "p_b");
    close(consumed(&r, "R", "b"), 50.0, "b bought");

    let d = tmp.path().join("more-a");
    one_region(&d, (57.5, 57.5), (30.0, 30.0), 0.0);
    let r = go(&d);
    close(price(&r, "R", "a"), 60.0, "p_a, more demand");
    close(price(&r, "R", "b"), 5.0, "p_b, more demand for a");
}

/// Glut: p_b = 20 − q_b, disposal 4 USD/t. Were every tonne of `b` bought, (100 − q) +
/// (20 − q) = 10 + q gives q = 36.7 > 20, so `b` is in glut at −4: 100 − q − 4 = 10 + q →
/// q = 43, p_a = 57; buyers take 20 t of `b` (the whole curve at a price below 0) and 23 t are
/// disposed of.
#[test]
fn a_co_product_in_glut_is_disposed_of_at_its_cost() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("glut");
    one_region(&d, (50.0, 50.0), (10.0, 10.0), 4.0);
    let r = go(&d);
    close(price(&r, "R", "a"), 57.0, "p_a");
    close(price(&r, "R", "b"), -4.0, "p_b");
    close(consumed(&r, "R", "b"), 20.0, "b bought");
    close(
        consumption(&r, "R", "b", "disposed_t"),
        23.0,
        "b disposed of",
    );
}

/// The mine in a non-member M, buyers in a member U (p_a = 100 − q, p_b = 60 − q), each good
/// M → U at 5. Free trade: (95 − q) + (55 − q) = 10 + q → q = 46.667, p_a,U = 53.333,
/// p_b,U = 13.333. A floor of 20 on `b` at U (levy at lag 0): U buys 40 t of `b` at 20; the
/// mine would need p_b,M = −5 to sell only 40 t, so `b` is in glut at M at 0 (free disposal)
/// and the mine runs on `a` alone: 95 − q = 10 + q → q = 42.5, p_a,U = 57.5 (up 4.17), 2.5 t of
/// `b` disposed of at M, levy 15 a tonne.
#[test]
fn a_floor_on_one_co_product_raises_the_price_of_the_other() {
    let tmp = tempfile::tempdir().unwrap();
    let setup = |dir: &Path, floor: &str| {
        common::write(
            dir,
            &common::Tables {
                regions: &["M", "U"],
                commodities: "a,test,refined,A,\nb,test,refined,B,\n",
                processes: "mine,M,a,100,10,100,a\n",
                outputs: "mine,b,1,a\n",
                demand: "U,a,linear,50,50,-1,0,a\nU,b,linear,30,30,-1,0,a\n",
                transport: "M,U,*,5,a\n",
                extra: &format!(
                    "[bloc]\nmembers = [{{ region = \"U\", from = \"2026\" }}]\n{floor}"
                ),
                ..Default::default()
            },
        )
    };
    let free = tmp.path().join("free");
    setup(&free, "");
    let r = go(&free);
    close(price(&r, "U", "a"), 160.0 / 3.0, "free p_a");
    close(price(&r, "U", "b"), 40.0 / 3.0, "free p_b");

    let fl = tmp.path().join("floor");
    setup(
        &fl,
        "[[bloc.floor]]\ncommodity = \"b\"\nreference = { fixed_usd_per_t = 20 }\nratio = 1.0\nlevy = { lag = 0, cap_usd_per_t = 1000 }\n",
    );
    let r = go(&fl);
    close(price(&r, "U", "b"), 20.0, "floor p_b");
    close(consumed(&r, "U", "b"), 40.0, "b bought under the floor");
    close(price(&r, "U", "a"), 57.5, "p_a under the floor on b");
    close(
        consumption(&r, "M", "b", "disposed_t"),
        2.5,
        "b disposed of at M",
    );
}

/// Recycling: R buys a magnet `m` (its plant: mc 10 + q; demand p = 100 − q through Q0 = 50,
/// so 45 t a year are bought) and oxide `ox` (mine mc 10 + q; demand p = 100 − q). Scrap
/// magnets give back oxide: collection 0.5, yield 0.8, lag 2 years, at no cost. Capacity is
/// 0.5 × 0.8 × (consumption two years earlier): in 2026 and 2027, before the run's data, the
/// reference quantity 50 → 20 t; in 2028 the 45 t bought in 2026 → 18 t. The oxide market
/// then clears 10 + q_mine = 100 − q_mine − cap: q_mine = 35, p = 45 with 20 t recycled, and
/// q_mine = 36, p = 46 with 18 t.
#[test]
fn recycling_capacity_follows_consumption_lag_years_earlier() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("recycling");
    common::write(
&d,
&common::Tables { regions: &["R"], commodities: "m,test,component,Magnet,\nox,test,separated,Oxide,\n", processes: "mplant,R,m,100,10,100,a\noxmine,R,ox,100,10,100,a\n", demand: "R,m,linear,50,50,-1,0,a\nR,ox,linear,50,50,-1,0,a\n", extra: "[[recycling]]\nname = \"scrap\"\nproduct = \"m\"\nrecovered = \"ox\"\nregion = \"R\"\nyield = 0.8\ncollection = 0.5\nlag_yr = 2\nunit_cost_usd_per_t = 0\ncost_rise_usd_per_t = 0\n", ..Default::default() },
);
    let r = go(&d);
    let cap = |period: &str, col: &str| {
        common::cell(
            &r,
            "production.csv",
            &[("period", period), ("process", "recycling:scrap")],
            col,
        )
        .expect("a recycling row")
    };
    for (period, want_cap, want_p) in [
        ("2026", 20.0, 45.0),
        ("2027", 20.0, 45.0),
        ("2028", 18.0, 46.0),
    ] {
        close(
            cap(period, "capacity_t"),
            want_cap,
            &format!("{period} capacity"),
        );
        close(
            cap(period, "quantity_t"),
            want_cap,
            &format!("{period} recycled"),
        );
        let p = common::cell(
            &r,
            "prices.csv",
            &[("period", period), ("region", "R"), ("commodity", "ox")],
            "price_usd_per_t",
        )
        .unwrap();
        close(p, want_p, &format!("{period} oxide price"));
    }
    close(consumed(&r, "R", "m"), 45.0, "magnets bought");
}

/// Invariants over seeded random worlds with co-products: on a third of the processes, 1 to 3
/// co-products (other chains' commodities of the same stage, 0.05–0.5 t per tonne). Every
/// period solves with the self-check passing (the run fails otherwise), every co-product's
/// balance holds (in the self-check), and the prices of a cold run equal a warm run's to 1e-6
/// (unique prices, two solve paths).
#[test]
fn co_product_worlds_solve_exactly_with_unique_prices() {
    use bloc_model::{run, RunOptions};
    use rand::{Rng, SeedableRng};
    for seed in 0..12u64 {
        let mut s = bloc_synth::generate(&bloc_synth::SynthSpec::small(seed));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let stages: Vec<_> = s
            .commodities
            .iter()
            .map(|c| (c.id.clone(), c.stage))
            .collect();
        for p in s.processes.iter_mut() {
            if !rng.gen_bool(1.0 / 3.0) {
                continue;
            }
            let stage = stages
                .iter()
                .find(|(c, _)| *c == p.output)
                .expect("output")
                .1;
            let mut others: Vec<_> = stages
                .iter()
                .filter(|(c, st)| {
                    *st == stage && *c != p.output && !p.inputs.iter().any(|(i, _)| i == c)
                })
                .map(|(c, _)| c.clone())
                .collect();
            let n = rng.gen_range(1..=3).min(others.len());
            for _ in 0..n {
                let c = others.swap_remove(rng.gen_range(0..others.len()));
                p.outputs.push((c, rng.gen_range(0.05..0.5)));
            }
        }
        let prices = |cold: bool| -> Vec<(String, f64)> {
            let opts = RunOptions {
                cold,
                ..RunOptions::default()
            };
            let r = run(&s, &opts, &mut |_| {}).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            r.tables
                .prices
                .rows
                .iter()
                .map(|row| (row[..3].join("/"), row[3].parse().unwrap()))
                .collect()
        };
        let (warm, cold) = (prices(false), prices(true));
        assert_eq!(warm.len(), cold.len(), "seed {seed}");
        for ((k, a), (_, b)) in warm.iter().zip(&cold) {
            assert!(
                (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0),
                "seed {seed}: {k} warm {a} cold {b}"
            );
        }
    }
}
