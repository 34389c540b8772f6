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

/// Runs the crisis backtest (`scenarios/world/crisis-2010`) into `dir`, with Mountain Pass and
/// Lynas or, when `restarts` is false, without them (a patch: a scenario that extends the
/// shipped one with a `processes.csv` that leaves their rows out). Insists on a clean run and
/// returns the results directory.
fn run_crisis(dir: &Path, restarts: bool) -> PathBuf {
    let crisis = world().join("crisis-2010");
    let (scenario, out) = if restarts {
        (crisis.clone(), dir.join("crisis"))
    } else {
        let patch = dir.join("no-restarts");
        std::fs::create_dir_all(&patch).expect("the patch folder");
        let processes = std::fs::read_to_string(crisis.join("processes.csv")).expect("processes");
        let kept: String = processes
            .lines()
            .filter(|l| !l.starts_with("usa_mountain_pass") && !l.starts_with("mys_lynas"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            processes.lines().count() - kept.lines().count(),
            5,
            "restart rows"
        );
        std::fs::write(patch.join("processes.csv"), kept).expect("write processes.csv");
        let toml = patch.join("scenario.toml");
        let extends = crisis.join("scenario.toml");
        std::fs::write(
            &toml,
            format!(
                "extends = {:?}\nname = \"crisis-2010-no-restarts\"\n\n[tables]\nprocesses = \"processes.csv\"\n",
                extends.to_string_lossy()
            ),
        )
        .expect("write the patch");
        (toml, dir.join("crisis-no-restarts"))
    };
    let res = run_quiet(&scenario, &out);
    assert!(
        res.status.success() && res.stderr.is_empty(),
        "restarts {restarts}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    out
}

/// The 2010-11 backtest against the record (scenarios/world/SOURCES.md, "The 2010-11 crisis
/// backtest", keys H01-H25), on the model's import price in Japan:
/// - magnitude: Metal-Pages' weighted basket of 99% oxides, FOB China, rose "more than 1,100%"
///   from the end of 2009 to its peak quarter, Q3 2011 (H09): x12. The model's peak quarter over
///   2009Q4 must lie within a factor 1.5 of it, 12/1.5 = 8 to 12 x 1.5 = 18 (the choke price,
///   10 x P0, caps the model at 148,000 / 12,814 = x11.6; no demand may go unserved, so the
///   peak is the market's, not the cap's). Cross-checks: all oxides +1,500% Oct 2009-Jun 2011
///   (H10); Nd oxide $19/kg (2009) to ~$260 (Oct 2011), Dy oxide $116 to ~$2,300 (H11, S17).
/// - timing: the peak quarter lies in 2011 (record: Q3 2011, H09; Steelhome's oxide average
///   July 2011, H16).
/// - the fall: the 2012 average at most half the peak (record: China's 2012 export value,
///   $906M / 16,265 t = $55,700/t, against 2011's $2,673M / 16,855 t = $158,600/t [derived,
///   H12], -65%; Nd oxide year-end 2011 $190-200/kg to 2012 $75-80, -60%, S05).
/// - from demand: the same run without Mountain Pass and Lynas must fall by more than half too.
///   When this was written: peak x10.85 in 2011Q1, 2012 average 0.31 of the peak with the
///   restarts and 0.375 without (2012Q4: 0.21 and 0.33); without the restarts and without the
///   partial adjustment (long-run = short-run) the 2012 average would stay at 0.82 of the peak:
///   the fall is the buyers' thrifting and substitution (demand.csv), the restarts deepen it.
/// - the restart is the record's: Mountain Pass makes 3,000 t in 2012 and 5,500 t in 2013
///   (S05), within 5%.
#[test]
fn crisis_2010_backtest_spikes_and_falls_back_like_the_record() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let record_peak = 12.0;
    for restarts in [true, false] {
        let out = run_crisis(tmp.path(), restarts);
        let jpn = price_path(&out, "JPN", "re_oxide");
        let at = |p: &str| jpn.iter().find(|(q, _)| q == p).map(|(_, v)| *v).unwrap();
        let base = at("2009Q4");
        let (peak_q, peak) = jpn
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(q, v)| (q.clone(), *v))
            .unwrap();
        let spike = peak / base;
        let (lo, hi) = (record_peak / 1.5, record_peak * 1.5);
        let what = if restarts { "with" } else { "without" };
        assert!(
            spike >= lo && spike <= hi,
            "{what} restarts: peak x{spike:.2} (base {base:.0}, peak {peak:.0} in {peak_q}); \
             record x{record_peak}, allowed {lo:.1}-{hi:.1}"
        );
        assert!(
            peak_q.starts_with("2011"),
            "{what} restarts: the peak is in {peak_q}, the record's in 2011 (Q3)"
        );
        let y2012: Vec<f64> = jpn
            .iter()
            .filter(|(q, _)| q.starts_with("2012"))
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(y2012.len(), 4);
        let avg2012 = y2012.iter().sum::<f64>() / 4.0;
        assert!(
            avg2012 <= 0.5 * peak,
            "{what} restarts: 2012 averages {avg2012:.0}, {:.2} of the peak {peak:.0}; \
             the record fell by more than half",
            avg2012 / peak
        );
        let short: f64 = jpn.iter().map(|(q, _)| unserved(&out, q)).sum();
        assert!(
            short < 1e-6,
            "{what} restarts: {short:.0} t of demand unserved (a price at the choke)"
        );
        let prod = Table::read(&out.join("production.csv")).rows;
        let mountain_pass = |year: &str| -> f64 {
            prod.iter()
                .filter(|r| r[2].starts_with("usa_mountain_pass") && r[0].starts_with(year))
                .map(|r| r[4].parse::<f64>().unwrap())
                .sum()
        };
        for (year, record) in [("2012", 3000.0), ("2013", 5500.0)] {
            let mp = mountain_pass(year);
            let want = if restarts { record } else { 0.0 };
            assert!(
                (mp - want).abs() <= 0.05 * record,
                "{what} restarts: Mountain Pass makes {mp:.0} t in {year}, want {want:.0}"
            );
        }
    }
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

/// Issue 20, item 5: the world fitted to 2024 and run through 2025 with the 2025 events at
/// their dates (`scenarios/world/validation-2025`), against the recorded change of the 2025
/// average price over 2024's (`validation.csv`, keys V01-V13 of
/// tools/world/research/validation_2025.md: USGS MCS 2026 for most, FocusEconomics for
/// copper, Pilbara's quarterlies for spodumene, a Chinese press average for China's
/// germanium). When this was written `bloc validate` reported 15 comparisons over 13
/// commodities, the direction right in 7 and direction and size in 4 (27%): Dy and Tb oxide,
/// antimony in Europe and flake graphite hit; the misses and why are in docs/world.md,
/// "Validation against 2025". This test holds the model to at least that.
#[test]
fn validation_2025_hits_at_least_what_was_reported() {
    let o = bloc(&[
        "validate".as_ref(),
        world().join("validation-2025").as_os_str(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.ends_with(|c: char| c.is_ascii_digit()) && l.contains('x'))
        .filter(|l| {
            l.split_whitespace()
                .last()
                .is_some_and(|k| k.starts_with('V'))
        })
        .collect();
    let commodities: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        rows.len() >= 15 && commodities.len() >= 10,
        "{} comparisons over {} commodities:\n{out}",
        rows.len(),
        commodities.len()
    );
    let last = out.lines().last().unwrap_or("");
    let count = |after: &str| -> usize {
        let rest = &last[last
            .find(after)
            .unwrap_or_else(|| panic!("`{after}` in {last}"))
            + after.len()..];
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("a number after `{after}` in {last}"))
    };
    let (direction, hits) = (
        count("direction right in "),
        count("direction and size in "),
    );
    assert!(
        direction >= 7 && hits >= 4,
        "direction right in {direction}, hits {hits}; reported 7 and 4:\n{out}"
    );
}
