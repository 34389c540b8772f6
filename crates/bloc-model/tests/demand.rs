//! Partial adjustment of demand (`long_run_elasticity`, `adjustment_per_yr` in demand.csv;
//! `bloc_scenario::Adjustment`), worked by hand on a one-region world.
//!
//! A mine of 10⁶ t/yr at 200 USD/t (cost rise 0.001) holds the price at 200 whatever is bought.
//! Buyers: isoelastic through (Q0 = 100 t/yr, P0 = 100), short-run elasticity e_S = −0.1,
//! long-run e_L = −0.5, adjustment 0.5 a year, yearly periods 2026–2028. The curve's reference
//! quantity A_t = Q0 exp(s_t) with s_0 = 0 and s_{t+1} = 0.5 s_t + 0.5 (e_L − e_S) ln(p/P0):
//! at p = 2 P0, (e_L − e_S) ln 2 = −0.4 ln 2, so s_1 = −0.2 ln 2 and s_2 = −0.3 ln 2:
//! A = 100, 100 · 2^−0.2 = 87.055, 100 · 2^−0.3 = 81.225; bought A · 2^−0.1, and held at 200
//! the demand tends to 100 · 2^−0.5 = 70.711 (the long-run curve).

mod common;

use common::{cell, go};
use std::path::Path;

/// The one-region world: the mine's capacity `mine_t_per_yr`, and `demand_csv` as the whole
/// demand table (its header names the optional columns a test needs).
fn one_region(dir: &Path, mine_t_per_yr: &str, demand_csv: &str) {
    let processes = format!("mine,R,a,{mine_t_per_yr},200,0.001,a\n");
    common::write(
        dir,
        &common::Tables {
            regions: &["R"],
            commodities: "a,test,refined,A,\n",
            processes: &processes,
            demand: "R,a,isoelastic,100,100,-0.1,0,a\n",
            ..Default::default()
        },
    );
    std::fs::write(dir.join("demand.csv"), demand_csv).unwrap();
}

/// The world of the adjustment tests: the demand table with the adjustment columns.
fn world(dir: &Path, adjust: &str) {
    one_region(
        dir,
        "1000000",
        &format!(
            "region,commodity,quantity_t_per_yr,price_usd_per_t,elasticity,growth_per_yr,long_run_elasticity,adjustment_per_yr,source\n\
             R,a,100,100,-0.1,0,{adjust},test\n"
        ),
    );
}

fn consumption(r: &bloc_model::Run, period: &str, column: &str) -> f64 {
    cell(
        r,
        "consumption.csv",
        &[("period", period), ("region", "R"), ("commodity", "a")],
        column,
    )
    .expect("a consumption row")
}

#[test]
fn demand_moves_towards_its_long_run_curve_at_the_stated_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("adjusting");
    world(&d, "-0.5,0.5");
    let r = go(&d);
    let want = [
        ("2026", 100.0),
        ("2027", 100.0 * 2f64.powf(-0.2)),
        ("2028", 100.0 * 2f64.powf(-0.3)),
    ];
    for (period, a) in want {
        let got = consumption(&r, period, "reference_quantity_t");
        assert!((got - a).abs() < 1e-6 * a, "{period}: A = {got}, want {a}");
        // Bought: on the short-run curve through A, within the curve's 0.5% approximation.
        let q = consumption(&r, period, "quantity_t");
        let on_curve = a * 2f64.powf(-0.1);
        assert!(
            (q / on_curve - 1.0).abs() < 0.005,
            "{period}: bought {q}, curve {on_curve}"
        );
    }
}

#[test]
fn without_adjustment_the_curve_stays_where_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("fixed");
    world(&d, ",");
    let r = go(&d);
    for period in ["2026", "2027", "2028"] {
        let got = consumption(&r, period, "reference_quantity_t");
        assert!((got - 100.0).abs() < 1e-9, "{period}: A = {got}");
    }
}

#[test]
fn one_adjustment_column_without_the_other_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, cells, says) in [
        ("no-rate", "-0.5,", "adjustment_per_yr is empty"),
        ("no-long-run", ",0.5", "long_run_elasticity is empty"),
        ("rate-above-one", "-0.5,1.5", "at most 1"),
        ("long-run-positive", "0.5,0.5", "long_run_elasticity"),
    ] {
        let d = tmp.path().join(name);
        world(&d, cells);
        let e = bloc_scenario::load(&d.join("scenario.toml")).expect_err(name);
        let msg = e.to_string();
        assert!(
            msg.contains("demand.csv") && msg.contains(says),
            "{name}: {msg}"
        );
    }
}

/// A choke price of the row's own (`choke_usd_per_t`), worked by hand: the mine holds 10 t/yr
/// only, at 200 USD/t, and buyers want 100 t/yr at P0 = 100 (e = −0.1), so the market clears
/// at the choke with the rest unserved. Default choke 10 × P0 = 1,000: wanted
/// 100 · 10^−0.1 = 79.433 t, unserved 69.433. Choke 5,000: wanted 100 · 50^−0.1 = 67.624 t,
/// unserved 57.624.
#[test]
fn a_row_s_choke_price_caps_its_market() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, choke, price, unserved) in [
        ("default", "", 1000.0, 100.0 * 10f64.powf(-0.1) - 10.0),
        ("own", "5000", 5000.0, 100.0 * 50f64.powf(-0.1) - 10.0),
    ] {
        let d = tmp.path().join(name);
        one_region(
            &d,
            "10",
            &format!(
                "region,commodity,quantity_t_per_yr,price_usd_per_t,elasticity,growth_per_yr,choke_usd_per_t,source\n\
                 R,a,100,100,-0.1,0,{choke},test\n"
            ),
        );
        let r = go(&d);
        let p = cell(
            &r,
            "prices.csv",
            &[("period", "2026"), ("region", "R"), ("commodity", "a")],
            "price_usd_per_t",
        )
        .expect("a price");
        assert!(
            (p - price).abs() < 1e-6 * price,
            "{name}: price {p}, want {price}"
        );
        let u = consumption(&r, "2026", "unserved_t");
        // The curve is interpolated within 0.5% of the exact one (design §1).
        assert!(
            (u / unserved - 1.0).abs() < 0.01,
            "{name}: unserved {u}, want {unserved}"
        );
    }
}

#[test]
fn a_choke_price_must_lie_above_the_reference_price_and_suit_the_form() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, form, choke, says) in [
        (
            "below",
            "isoelastic",
            "90",
            "is not above the reference price 100",
        ),
        (
            "linear",
            "linear",
            "5000",
            "a linear demand curve has no choke price",
        ),
        ("negative", "isoelastic", "-5", "choke_usd_per_t"),
    ] {
        let d = tmp.path().join(name);
        one_region(
            &d,
            "1000000",
            &format!(
                "region,commodity,form,quantity_t_per_yr,price_usd_per_t,elasticity,growth_per_yr,choke_usd_per_t,source\n\
                 R,a,{form},100,100,-0.1,0,{choke},test\n"
            ),
        );
        let e = bloc_scenario::load(&d.join("scenario.toml")).expect_err(name);
        let msg = e.to_string();
        assert!(
            msg.contains("demand.csv:2") && msg.contains(says),
            "{name}: {msg}"
        );
    }
}
