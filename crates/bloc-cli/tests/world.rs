//! The sourced world (`scenarios/world/`, issue 6): every shipped row names its source, the
//! 2024 base year reproduces the sourced production shares (within 3 percentage points) and
//! published prices (within 10%) that `calibration/` lists, and every variant runs with a
//! clean self-check.
//!
//! The targets in `calibration/shares.csv` and `calibration/prices.csv` are the figures of
//! `../shared/data/sources.md` §1–§3 (each row cites its table); the model side comes from a
//! real run of the built binary, so a change to the tables, the costs or the engine that moves
//! a share or a price out of tolerance fails here.

mod common;

use bloc_testkit::Table;
use common::{bloc, repo, run_quiet};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

fn world() -> PathBuf {
    repo().join("scenarios/world")
}

fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read the world folder") {
        let p = e.expect("an entry").path();
        if p.is_dir() {
            csv_files(&p, out);
        } else if p.extension() == Some(OsStr::new("csv")) {
            out.push(p);
        }
    }
}

#[test]
fn every_world_row_names_its_source() {
    let mut files = Vec::new();
    csv_files(&world(), &mut files);
    assert!(files.len() >= 9, "world CSV files: {files:?}");
    let mut checked = 0;
    for f in &files {
        let Table { header, rows } = Table::read(f);
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "regions.csv" | "commodities.csv") {
            continue; // names only, no figures
        }
        let Some(col) = header.iter().position(|h| h == "source") else {
            panic!("{} has no `source` column", f.display());
        };
        for (i, row) in rows.iter().enumerate() {
            assert!(
                !row[col].trim().is_empty(),
                "{}:{}: empty source",
                f.display(),
                i + 2
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "only {checked} rows checked");
}

#[test]
fn world_has_the_regions_and_commodities_issue_6_asks_for() {
    let regions = Table::read(&world().join("regions.csv")).rows;
    let ids: Vec<&str> = regions.iter().map(|r| r[0].as_str()).collect();
    for r in [
        "USA", "CAN", "MEX", "ARG", "CHL", "PER", "BRA", "AUS", "JPN", "KOR", "IND", "EU", "GBR",
        "SAU", "THA", "IDN", "PHL", "MYS", "VNM", "MMR", "COD", "ZWE", "ZAF", "RUS", "CHN", "ROW",
    ] {
        assert!(ids.contains(&r), "region {r} missing");
    }
    let commodities = Table::read(&world().join("commodities.csv")).rows;
    assert!(commodities.len() >= 25, "{} commodities", commodities.len());
    let families: std::collections::BTreeSet<&str> =
        commodities.iter().map(|r| r[1].as_str()).collect();
    for f in [
        "rare_earths",
        "lithium",
        "graphite",
        "cobalt",
        "nickel",
        "copper",
        "gallium",
        "germanium",
        "tungsten",
        "antimony",
    ] {
        assert!(families.contains(f), "family {f} missing");
    }
}

/// `bloc calibrate` on the 2024 base year: one line per target, every one within tolerance.
#[test]
fn base_year_2024_reproduces_sourced_shares_and_prices() {
    let scenario = world().join("calibration-2024.toml");
    let out = bloc(&[OsStr::new("calibrate"), scenario.as_os_str()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bloc calibrate failed: {}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("share ") || l.starts_with("price "))
        .collect();
    let shares = Table::read(&world().join("calibration/shares.csv")).rows;
    let prices = Table::read(&world().join("calibration/prices.csv")).rows;
    assert!(shares.len() >= 100 && prices.len() >= 12);
    assert_eq!(
        lines.len(),
        shares.len() + prices.len(),
        "one line per target:\n{stdout}"
    );
    let off: Vec<&&str> = lines
        .iter()
        .filter(|l| l.split_whitespace().any(|w| w == "OFF"))
        .collect();
    assert!(off.is_empty(), "outside tolerance:\n{off:#?}");
    assert!(lines
        .iter()
        .all(|l| l.split_whitespace().any(|w| w == "ok")));
}

/// Runs `scenario` (a folder under scenarios/world) shortened to `periods` periods through a
/// temporary file that extends it, checks that every period converged and that the
/// self-check of every period up to `clean_through` (inclusive) is below the engine's
/// tolerance (1e-6 relative, violation and balance), and returns the results directory.
fn run_short(scenario: &str, periods: u32, clean_through: &str, tmp: &Path) -> PathBuf {
    let toml = tmp.join(format!("{}.toml", scenario.replace('/', "-")));
    let target = world().join(scenario).join("scenario.toml");
    std::fs::write(
        &toml,
        format!(
            "extends = {:?}\nname = \"short\"\n\n[time]\nstart = \"2026Q1\"\nperiods = {periods}\nstep = \"quarter\"\n",
            target.to_string_lossy()
        ),
    )
    .expect("write the short scenario");
    let out = tmp.join(format!("out-{}", scenario.replace('/', "-")));
    let res = run_quiet(&toml, &out);
    assert!(
        res.status.success(),
        "{scenario}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json"))
            .expect("run.json is JSON");
    assert_eq!(json["all_converged"], true, "{scenario} did not converge");
    let per = json["per_period"].as_array().expect("per_period");
    assert_eq!(per.len(), periods as usize);
    let mut checked = 0;
    for p in per {
        let period = p["period"].as_str().expect("a period");
        if period > clean_through {
            continue;
        }
        checked += 1;
        for key in [
            "max_equilibrium_violation_relative",
            "max_balance_error_relative",
        ] {
            let v = p[key].as_f64().expect("a number");
            assert!(v < 1e-6, "{scenario} {period}: {key} = {v:e}");
        }
    }
    assert!(checked >= 8, "{scenario}: only {checked} periods checked");
    out
}

fn unserved(out: &Path, period: &str) -> f64 {
    let Table { header, rows } = Table::read(&out.join("consumption.csv"));
    let u = header.iter().position(|h| h == "unserved_t").unwrap();
    rows.iter()
        .filter(|r| r[0] == period)
        .map(|r| r[u].parse::<f64>().unwrap())
        .sum()
}

/// Each variant's first years run converged with a clean self-check: 2026Q1-2027Q4 (the
/// bloc's joining wave and all three licence regimes), and 2026Q1-2028Q3 for
/// `bloc-vs-controls` (its export cut runs 2027Q1-2028Q4; its last quarter, like
/// `china-licences` after 2028Q3, meets a known engine limitation at idle markets, see
/// docs/world.md). The baseline serves every buyer in its first period, and the base year
/// 2024 does too.
#[test]
fn world_variants_run_clean() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let base = run_short("no-bloc", 8, "2027Q4", tmp.path());
    assert!(unserved(&base, "2026Q1") < 1e-6);
    for (v, periods, clean_through) in [
        ("bloc-feb-2026", 8, "2027Q4"),
        ("china-licences", 8, "2027Q4"),
        // Runs to the cut's end (its `to` must lie in the horizon); 2028Q4 meets the known
        // limitation (docs/world.md), so the clean check stops at 2028Q3.
        ("bloc-vs-controls", 12, "2028Q3"),
    ] {
        run_short(v, periods, clean_through, tmp.path());
    }
    let out = tmp.path().join("out-2024");
    let res = run_quiet(&world().join("calibration-2024.toml"), &out);
    assert!(res.status.success());
    assert!(unserved(&out, "2024") < 1e-6);
}

/// Prices of `commodity` in `region`, in period order, from a results directory.
fn price_path(out: &Path, region: &str, commodity: &str) -> Vec<(String, f64)> {
    let rows = Table::read(&out.join("prices.csv")).rows;
    rows.iter()
        .filter(|r| r[1] == region && r[2] == commodity)
        .map(|r| (r[0].clone(), r[3].parse().unwrap()))
        .collect()
}

/// The 2010-11 backtest against the record of sources §5:
/// - direction and order of magnitude of the spike: Metal-Pages' basket rose ~12x (+1,100%)
///   from end-2009 to Q3 2011 (§5.3); the model's import price (Japan) must rise by a factor
///   within half an order of magnitude of 12, i.e. between 12/10^0.5 = 3.8 and 12x10^0.5 = 38;
/// - the restart: once Mountain Pass is back (2012Q3, §5.4) the price falls; the record's
///   Nd oxide went from $190-200/kg at end-2011 to $75-80 at end-2012 (-60%, §5.3); the model's
///   must fall by at least 30% from its peak by end-2012.
#[test]
fn crisis_2010_backtest_spikes_and_falls_back_like_the_record() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let out = tmp.path().join("crisis");
    let res = run_quiet(&world().join("crisis-2010"), &out);
    assert!(
        res.status.success() && res.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let jpn = price_path(&out, "JPN", "re_oxide");
    let at = |p: &str| jpn.iter().find(|(q, _)| q == p).map(|(_, v)| *v).unwrap();
    let base = at("2009Q4");
    let peak = jpn
        .iter()
        .filter(|(p, _)| p.as_str() >= "2010Q1" && p.as_str() < "2012Q3")
        .map(|(_, v)| *v)
        .fold(0.0, f64::max);
    let spike = peak / base;
    let (lo, hi) = (12.0 / 10f64.sqrt(), 12.0 * 10f64.sqrt());
    assert!(
        spike > lo && spike < hi,
        "spike x{spike:.2} (base {base:.0}, peak {peak:.0}); record ~x12, allowed {lo:.1}-{hi:.1}"
    );
    let after = at("2012Q4");
    assert!(
        after < 0.7 * peak,
        "after the restart the price is {after:.0}, peak {peak:.0}: it should fall by 30% or more"
    );
    // Non-Chinese supply is back from the restart on.
    let prod = Table::read(&out.join("production.csv")).rows;
    let mp: f64 = prod
        .iter()
        .filter(|r| r[2] == "usa_mountain_pass" && r[0] == "2012Q4")
        .map(|r| r[4].parse::<f64>().unwrap())
        .sum();
    assert!(mp > 0.0, "Mountain Pass produces nothing in 2012Q4");
}

/// Issue 20: with supply that responds (the project pipeline and brownfield steps), the
/// no-bloc baseline's price in China never exceeds the historical record of the commodity
/// (tools/world/research/price_records.csv, each record sourced there, R01-R25, nominal USD
/// per t of the model's unit), except where named below with the reason. Read from the golden
/// run (the golden test holds it equal to what the engine makes now). China: the base holds
/// today's export controls, so prices outside China for gallium, germanium and antimony sit
/// at the 2025 records that those controls set, by design.
#[test]
fn no_bloc_baseline_stays_below_the_historical_records() {
    // Exceptions, with the largest ratio measured when they were written and the reason.
    // None since investors look two years ahead (`[investment] foresight_yr` in the world's
    // scenario.toml); without it nickel reached 1.74x and Dy oxide 1.13x (docs/world.md).
    let known: &[(&str, f64, &str)] = &[];
    let records = Table::read(&repo().join("tools/world/research/price_records.csv"));
    let col = |t: &Table, h: &str| t.header.iter().position(|x| x == h).unwrap();
    let (rc, rv) = (
        col(&records, "commodity"),
        col(&records, "record_usd_per_t"),
    );
    let prices = Table::read(&repo().join("tests/golden/world/no-bloc/prices.csv"));
    let mut checked = 0;
    for r in &records.rows {
        let Ok(record) = r[rv].parse::<f64>() else {
            continue; // not found: the record file says so
        };
        let c = &r[rc];
        let peak = prices
            .rows
            .iter()
            .filter(|p| p[1] == "CHN" && &p[2] == c)
            .map(|p| p[3].parse::<f64>().unwrap())
            .fold(f64::NAN, f64::max);
        if peak.is_nan() {
            continue; // no Chinese market for it
        }
        let ratio = peak / record;
        match known.iter().find(|k| k.0 == c) {
            Some((_, bound, why)) => {
                assert!(ratio <= *bound, "{c}: {ratio:.2}x its record ({why})")
            }
            None => assert!(
                ratio <= 1.0,
                "{c}: the no-bloc peak {peak:.0} is {ratio:.2}x its record {record:.0}"
            ),
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} commodities checked");
}
