//! Strategies (design §10), hand-worked: an exporter that sets its own export taxes and
//! quotas, against the market and against the bloc's floors.
//!
//! The world of most tests: exporter X with a plant at constant marginal cost c = 100 USD/t
//! (capacity 1,000 t/yr, so it never binds) and no buyers of its own; importer M with a linear
//! demand through (Q0 = 100 t/yr, P0 = 125 USD/t) with elasticity −1 there, so
//! Q = 200 − 0.8 P, inverse P = a − b Q with a = 250, b = 1.25; the route X → M costs nothing.
//! An export tax τ on X's price (100) lands at 100 (1 + τ).

mod common;

use common::{close, go, price, Tables};
use std::path::Path;

const PLANT: &str = "plant,X,g,1000,100,0,a\n";
const DEMAND: &str = "M,g,linear,100,125,-1,0,a\n";

fn world(dir: &Path, processes: &str, demand: &str, extra: &str) {
    common::write(
        dir,
        &Tables {
            regions: &["X", "M", "N"],
            commodities: "g,test,refined,G,\nh,test,refined,H,\n",
            processes,
            demand,
            transport: "X,M,*,0,a\n",
            extra,
            ..Default::default()
        },
    );
}

/// The 2026 row of `strategy.csv` for `instrument`: its cell in `column`.
fn strategy_cell(r: &bloc_model::Run, instrument: &str, column: &str) -> String {
    let t = &r.tables.strategy;
    let at = |h: &str| t.header.iter().position(|x| *x == h).expect("column");
    t.rows
        .iter()
        .find(|row| row[0] == "2026" && row[at("instrument")] == instrument)
        .map(|row| row[at(column)].clone())
        .unwrap_or_else(|| panic!("no strategy row for {instrument}: {:?}", t.rows))
}

fn chosen(r: &bloc_model::Run, instrument: &str) -> f64 {
    strategy_cell(r, instrument, "value").parse().unwrap()
}

/// `got` equals `want` to 1e-4 relative (the precision for the search).
fn near(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-4 * want.abs().max(1e-3),
        "{what}: got {got}, want {want}"
    );
}

fn tax_strategy(objective: &str, max: f64, extra: &str) -> String {
    format!(
        "[[strategy]]\nplayer = \"X\"\nobjective = \"{objective}\"\n{extra}\
         [[strategy.instrument]]\nkind = \"tax\"\ncommodities = [\"g\"]\ndestinations = [\"M\"]\nmin = 0\nmax = {max}\n"
    )
}

/// The monopoly mark-up. X's welfare is its tax revenue (no buyers, flat costs: no surplus):
/// τ · 100 · Q with Q = (250 − 100 (1 + τ)) / 1.25, largest where 150 − 200 τ = 0: τ = 0.75,
/// M's price (a + c) / 2 = 175, Q = 60, revenue 4,500 USD.
#[test]
fn a_large_exporter_sets_the_monopoly_mark_up() {
    let tmp = tempfile::tempdir().unwrap();
    world(tmp.path(), PLANT, DEMAND, &tax_strategy("welfare", 3.0, ""));
    let r = go(tmp.path());
    near(chosen(&r, "tax:g>M"), 0.75, "export tax");
    close(price(&r, "M", "g"), 175.0, "M's price");
    close(price(&r, "X", "g"), 100.0, "X's price");
    near(
        strategy_cell(&r, "tax:g>M", "objective_usd")
            .parse()
            .unwrap(),
        4500.0,
        "X's welfare",
    );
    close(
        common::indicator(&r, "welfare_export_revenue_usd", "region:X"),
        4500.0,
        "X's export revenue in the indicators",
    );
    assert_eq!(strategy_cell(&r, "tax:g>M", "converged"), "true");
    assert_eq!(strategy_cell(&r, "tax:g>M", "note"), "interior optimum");
    let evaluations: usize = strategy_cell(&r, "tax:g>M", "evaluations").parse().unwrap();
    assert!(
        evaluations <= 60,
        "{evaluations} evaluations for one instrument"
    );
}

/// With rising costs (marginal cost 100 + q: capacity 100, cost rise 100), welfare and revenue
/// differ. Welfare (revenue + producer surplus) = P Q − cost: 250 − 2.5 Q = 100 + Q → Q =
/// 42.857, P = 196.43, X's price 142.86, τ = P / p_X − 1 = 0.375. Revenue alone, (P − p_X) Q =
/// (150 − 2.25 Q) Q → Q = 33.33, P = 208.33, p_X = 133.33, τ = 0.5625.
#[test]
fn welfare_and_revenue_objectives_set_different_taxes() {
    let tmp = tempfile::tempdir().unwrap();
    let rising = "plant,X,g,100,100,100,a\n";
    for (objective, want) in [("welfare", 0.375), ("revenue", 0.5625)] {
        let dir = tmp.path().join(objective);
        world(&dir, rising, DEMAND, &tax_strategy(objective, 3.0, ""));
        let r = go(&dir);
        near(chosen(&r, "tax:g>M"), want, objective);
    }
}

/// Two instruments on two markets that do not touch: each is found as if alone. g as above
/// (τ = 0.75); h: cost 50, demand through (100, 100) with elasticity −1, a = 200, so
/// τ = (a − c) / (2c) = 1.5.
#[test]
fn two_instruments_on_independent_markets_are_each_found_as_if_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let extra = "[[strategy]]\nplayer = \"X\"\n\
        [[strategy.instrument]]\nkind = \"tax\"\ncommodities = [\"g\"]\ndestinations = [\"M\"]\nmin = 0\nmax = 3\n\
        [[strategy.instrument]]\nkind = \"tax\"\ncommodities = [\"h\"]\ndestinations = [\"M\"]\nmin = 0\nmax = 3\n";
    world(
        tmp.path(),
        "plant,X,g,1000,100,0,a\nplant_h,X,h,1000,50,0,a\n",
        "M,g,linear,100,125,-1,0,a\nM,h,linear,100,100,-1,0,a\n",
        extra,
    );
    let r = go(tmp.path());
    near(chosen(&r, "tax:g>M"), 0.75, "tax on g");
    near(chosen(&r, "tax:h>M"), 1.5, "tax on h");
}

/// A quota does what the mark-up does: the monopoly quantity 60 t/yr (yearly periods), its
/// rent (175 − 100) × 60 = 4,500 USD to X.
#[test]
fn an_export_quota_is_set_at_the_monopoly_quantity() {
    let tmp = tempfile::tempdir().unwrap();
    let extra = "[[strategy]]\nplayer = \"X\"\n\
        [[strategy.instrument]]\nkind = \"quota\"\ncommodities = [\"g\"]\ndestinations = [\"M\"]\nmin = 0\nmax = 200\nstart = 200\n";
    world(tmp.path(), PLANT, DEMAND, extra);
    let r = go(tmp.path());
    near(chosen(&r, "quota:g>M"), 60.0, "quota");
    close(price(&r, "M", "g"), 175.0, "M's price");
    close(
        common::indicator(&r, "welfare_export_revenue_usd", "region:X"),
        4500.0,
        "quota rent",
    );
}

/// The bloc's floor of 200 in M (a member; lag-0 levy) holds M's price at 200 whatever X does
/// while X's landed price 100 (1 + τ) is below it: M buys 40 t whatever the tax, so the tax
/// cannot cost X sales, it only takes the levy (200 − landed). X's revenue 100 τ · 40 rises
/// all the way to its bound τ = 0.6: landed 160, levy 40. X earns 60 × 40 = 2,400 and the
/// bloc's levy falls from 100 × 40 = 4,000 (no tax) to 40 × 40 = 1,600.
#[test]
fn a_floor_that_holds_the_price_leaves_the_tax_at_its_bound() {
    let tmp = tempfile::tempdir().unwrap();
    let floor = "[bloc]\nmembers = [{ region = \"M\", from = \"2026\" }]\n\
        [[bloc.floor]]\ncommodity = \"g\"\nreference = { fixed_usd_per_t = 200 }\nratio = 1.0\nlevy = { lag = 0, cap_usd_per_t = 1000 }\n";
    world(
        tmp.path(),
        PLANT,
        DEMAND,
        &format!("{floor}{}", tax_strategy("welfare", 0.6, "")),
    );
    let r = go(tmp.path());
    close(chosen(&r, "tax:g>M"), 0.6, "tax at its bound");
    assert!(
        strategy_cell(&r, "tax:g>M", "note").starts_with("at the upper bound"),
        "{}",
        strategy_cell(&r, "tax:g>M", "note")
    );
    close(price(&r, "M", "g"), 200.0, "M's price held at the floor");
    close(
        common::indicator(&r, "welfare_export_revenue_usd", "region:X"),
        2400.0,
        "X's tax revenue",
    );
    close(
        common::indicator(&r, "welfare_levy_revenue_usd", "region:M"),
        1600.0,
        "the bloc's levy",
    );
}

/// A tax on exports that never happen (N buys nothing) changes nothing: the objective is flat,
/// the tax stays at its start, and the note says why.
#[test]
fn a_tax_on_nothing_stays_where_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let extra = "[[strategy]]\nplayer = \"X\"\n\
        [[strategy.instrument]]\nkind = \"tax\"\ncommodities = [\"g\"]\ndestinations = [\"N\"]\nmin = 0\nmax = 2\nstart = 0.3\n";
    world(tmp.path(), PLANT, DEMAND, extra);
    let r = go(tmp.path());
    assert_eq!(chosen(&r, "tax:g>N"), 0.3);
    assert!(strategy_cell(&r, "tax:g>N", "note").starts_with("flat"));
    close(price(&r, "M", "g"), 100.0, "M buys at cost");
}

fn against_bloc(dir: &Path, processes: &str, ratio: f64, max_rounds: usize) -> bloc_model::Run {
    let floor = format!(
        "[bloc]\nmembers = [{{ region = \"M\", from = \"2026\" }}]\n\
         [[bloc.floor]]\ncommodity = \"g\"\nreference = {{ fixed_usd_per_t = 100 }}\nratio = {ratio}\nlevy = {{ lag = 0, cap_usd_per_t = 1000 }}\n"
    );
    let strategy = tax_strategy(
        "welfare",
        3.0,
        &format!("against = \"bloc\"\nfloor_ratio = [0.5, 3.0]\nmax_rounds = {max_rounds}\n"),
    );
    world(dir, processes, DEMAND, &format!("{floor}{strategy}"));
    go(dir)
}

/// Against the bloc, from a floor of 200 (ratio 2 on a reference of 100), above the monopoly
/// price 175. X's answer: the tax that lands its goods at the floor, τ = 1 (below, M buys 40 t
/// whatever the tax and X takes the levy; above, X sells along M's demand with revenue
/// 80 τ (150 − 100 τ), falling at τ = 1). The bloc's answer: with X's goods landing at 200
/// whatever the floor up to 200, a lower floor changes nothing, and a higher one raises M's
/// price by more than the levy it brings (d/dF [CS + (F − 200) Q] = (F − 200) Q' < 0); so the
/// floor stays. Round 2: neither moves — a Nash equilibrium in policies: τ = 1, ratio 2.
#[test]
fn against_the_bloc_a_floor_above_the_monopoly_price_is_taken_as_export_tax() {
    let tmp = tempfile::tempdir().unwrap();
    let r = against_bloc(tmp.path(), PLANT, 2.0, 20);
    near(chosen(&r, "tax:g>M"), 1.0, "export tax");
    near(chosen(&r, "floor_ratio:g"), 2.0, "floor ratio");
    assert_eq!(strategy_cell(&r, "tax:g>M", "converged"), "true");
    assert_eq!(strategy_cell(&r, "tax:g>M", "rounds"), "2");
    close(price(&r, "M", "g"), 200.0, "M's price");
}

/// From a floor of 300 (above M's choke price 250: nothing trades), X's tax changes nothing
/// (flat: it stays at 0). The bloc's answer to τ = 0: any floor at or below X's landed price
/// 100 gives M the free-trade price 100, and any higher one costs M more surplus than it
/// brings in levy; so the bloc moves its ratio to at most 1. Round 2: X's answer to a floor
/// that no longer binds is the monopoly mark-up τ = 0.75 (M's price 175); the bloc's answer to
/// that is again any floor at or below 175 (it stays). Round 3: neither moves.
#[test]
fn against_the_bloc_from_a_prohibitive_floor_both_move_then_settle() {
    let tmp = tempfile::tempdir().unwrap();
    let r = against_bloc(tmp.path(), PLANT, 3.0, 20);
    near(chosen(&r, "tax:g>M"), 0.75, "export tax");
    let ratio = chosen(&r, "floor_ratio:g");
    assert!((0.5..=1.0 + 1e-6).contains(&ratio), "ratio {ratio}");
    assert_eq!(strategy_cell(&r, "tax:g>M", "converged"), "true");
    assert_eq!(strategy_cell(&r, "tax:g>M", "rounds"), "3");
    close(price(&r, "M", "g"), 175.0, "M's price");
}

/// With rising costs (marginal cost 100 + q) the bloc gains from a levy (an optimal tariff
/// against an upward export supply) and X answers each floor by taking its levy as tax, so
/// each round moves both further: in two rounds it has not settled. The run still finishes and
/// says so: `converged = false`.
#[test]
fn answers_that_keep_moving_report_that_they_did_not_converge() {
    let tmp = tempfile::tempdir().unwrap();
    let r = against_bloc(tmp.path(), "plant,X,g,100,100,100,a\n", 1.5, 2);
    assert_eq!(strategy_cell(&r, "tax:g>M", "converged"), "false");
    assert_eq!(strategy_cell(&r, "tax:g>M", "rounds"), "2");
    assert_eq!(strategy_cell(&r, "floor_ratio:g", "converged"), "false");
}

/// A strategy on a co-product under rules of origin (the player's goods followed, so its
/// plant's co-product enters an origin-class node): the run's books count the co-product as
/// output, not as negative use, and the run finishes. Mine in X makes g with 0.5 t of h per
/// tonne; X taxes h to M. (Before, the books indexed the class node as a use node and
/// panicked.)
#[test]
fn a_strategy_on_a_co_product_under_rules_of_origin_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let extra = "[[strategy]]\nplayer = \"X\"\n\
        [[strategy.instrument]]\nkind = \"tax\"\ncommodities = [\"h\"]\ndestinations = [\"M\"]\nmin = 0\nmax = 1\n";
    common::write(
        tmp.path(),
        &Tables {
            regions: &["X", "M", "N"],
            commodities: "g,test,refined,G,\nh,test,refined,H,\n",
            processes: "mine,X,g,1000,100,0,a\n",
            outputs: "mine,h,0.5,a\n",
            demand: "M,g,linear,100,125,-1,0,a\nM,h,linear,50,80,-1,0,a\n",
            transport: "X,M,*,0,a\n",
            extra,
            ..Default::default()
        },
    );
    let r = go(tmp.path());
    let tax = chosen(&r, "tax:h>M");
    assert!((0.0..=1.0).contains(&tax), "{tax}");
    assert!(common::indicator(&r, "welfare_export_revenue_usd", "region:X") >= 0.0);
}
