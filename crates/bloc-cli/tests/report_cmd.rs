//! Issue 7, parts 1 and 2: `bloc report` and `bloc compare` on run directories written by the
//! real engine (`bloc run` on the shipped examples), checked from the files (the browser test
//! is `report_browser.rs`).

mod common;

use bloc_testkit::Table;
use common::{bloc, run_example};
use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

fn report(run: &Path, extra: &[&OsStr], out: &Path) -> String {
    let mut args: Vec<&OsStr> = vec!["report".as_ref(), run.as_os_str()];
    args.extend_from_slice(extra);
    args.push("-o".as_ref());
    args.push(out.as_os_str());
    let o = bloc(&args);
    assert!(
        o.status.success(),
        "bloc report: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read_to_string(out).expect("the report")
}

/// Fails when the page could load anything: no URL with a scheme that reaches a network,
/// no `src`, no `href`, no `url(` and no `@import` at all.
pub fn assert_offline(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "http://", "https://", "//cdn", " src=", " href=", "url(", "@import", "<script", "<link",
        "<iframe", "<img",
    ] {
        assert!(
            !lower.contains(bad),
            "the report holds `{bad}`, which could load something"
        );
    }
}

#[test]
fn a_report_has_every_section_and_is_byte_for_byte_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let base = run_example(tmp.path(), "examples/base");
    let floor = run_example(tmp.path(), "examples/floor-fixed");
    let extra = ["--baseline".as_ref(), base.as_os_str()];
    let a = report(&floor, &extra, &tmp.path().join("a.html"));
    let b = report(&floor, &extra, &tmp.path().join("b.html"));
    assert_eq!(a, b, "same run directory, same bytes");
    assert_offline(&a);
    for id in [
        "summary",
        "prices",
        "floor-levy",
        "flows",
        "stockpile",
        "concentration",
        "unserved",
        "capacity",
        "consumer-cost",
        "indicators",
    ] {
        assert!(
            a.contains(&format!(r#"<section id="{id}">"#)),
            "section {id} missing"
        );
    }
    // The summary table comes first.
    assert!(a.find(r#"id="summary""#) < a.find(r#"id="prices""#));
    // floor-fixed has no stockpile: the page says so rather than drawing nothing.
    assert!(a.contains("no stockpile in this run"));
    // Its floor (45, scenario.toml) is drawn, and the levy revenue of 22.5 a year for 6 years
    // (the scenario's comment: levy 4.5 USD/t on 5 t) totals 135 in the summary.
    assert!(a.contains(r#"data-chart="floor-levy-x""#));
    assert!(
        a.contains(
            "<td>levy_revenue_usd</td><td>world</td><td>total</td><td class=\"num\">135.0</td>"
        ),
        "{a}"
    );
    // With a baseline, the buyers' extra spend is drawn.
    assert!(a.contains(r#"data-chart="consumer-cost-derived""#));
}

#[test]
fn a_stockpile_run_draws_inventory_and_spend() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_example(tmp.path(), "examples/stockpile");
    let html = report(&run, &[], &tmp.path().join("r.html"));
    assert_offline(&html);
    assert!(html.contains(r#"data-chart="stockpile-inventory""#));
    assert!(html.contains(r#"data-chart="stockpile-spend""#));
    assert!(!html.contains("no stockpile in this run"));
    // No baseline: the consumer-cost section says what to do.
    assert!(html.contains("no baseline given"));
}

/// P5/P50/P95 over several real runs (same periods, indicators and scopes): a stand-in for a
/// sweep's bands.csv built from engine output, by nearest rank.
fn bands_from(runs: &[PathBuf], out: &Path) {
    let mut v: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for r in runs {
        for rec in Table::read(&r.join("indicators.csv")).rows {
            v.entry((rec[0].clone(), rec[1].clone(), rec[2].clone()))
                .or_default()
                .push(rec[3].parse().unwrap());
        }
    }
    let mut w = csv::Writer::from_path(out).unwrap();
    w.write_record(["period", "indicator", "scope", "p5", "p50", "p95"])
        .unwrap();
    for ((p, i, s), mut x) in v {
        x.sort_by(f64::total_cmp);
        let q = |f: f64| x[((x.len() - 1) as f64 * f).round() as usize].to_string();
        w.write_record([p, i, s, q(0.05), q(0.5), q(0.95)]).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn bands_are_drawn_from_a_bands_file_or_a_sweep_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let runs: Vec<PathBuf> = [
        "examples/base",
        "examples/floor-fixed",
        "examples/stockpile",
        "examples/floor-lagged",
    ]
    .iter()
    .map(|n| run_example(tmp.path(), n))
    .collect();
    let bands = tmp.path().join("bands.csv");
    bands_from(&runs, &bands);
    let html = report(
        &runs[1],
        &["--bands".as_ref(), bands.as_os_str()],
        &tmp.path().join("r.html"),
    );
    assert!(html.contains(r#"<section id="bands">"#));
    assert!(html.contains(r#"data-chart="band-price_usd_per_t""#));
    assert!(
        html.matches(r#"class="mark band""#).count() >= 3,
        "one band per price scope at least"
    );
    // A sweep directory holding only bands.csv is accepted too.
    let sweep = tmp.path().join("sweep");
    std::fs::create_dir(&sweep).unwrap();
    std::fs::copy(&bands, sweep.join("bands.csv")).unwrap();
    let only = report(&sweep, &[], &tmp.path().join("s.html"));
    assert!(only.contains("bands only"));
    assert!(only.contains(r#"data-chart="band-price_usd_per_t""#));
    assert_offline(&only);
}

#[test]
fn a_directory_that_is_not_a_run_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let o = bloc(&[
        "report".as_ref(),
        tmp.path().as_os_str(),
        "-o".as_ref(),
        tmp.path().join("r.html").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("not a run directory (no indicators.csv)"),
        "{err}"
    );
    assert!(!tmp.path().join("r.html").exists(), "no report on failure");

    std::fs::write(
        tmp.path().join("indicators.csv"),
        "period,indicator,scope,value\n2026,hhi,commodity:x,lots\n",
    )
    .unwrap();
    let o = bloc(&[
        "compare".as_ref(),
        tmp.path().as_os_str(),
        tmp.path().as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("indicators.csv, line 2, field `value`: not a number"),
        "{err}"
    );
}

#[test]
fn compare_prints_writes_csv_and_html_with_every_headline_difference() {
    let tmp = tempfile::tempdir().unwrap();
    let base = run_example(tmp.path(), "examples/base");
    let floor = run_example(tmp.path(), "examples/floor-fixed");
    let csv_path = tmp.path().join("c.csv");
    let html_path = tmp.path().join("c.html");
    let o = bloc(&[
        "compare".as_ref(),
        base.as_os_str(),
        floor.as_os_str(),
        "--csv".as_ref(),
        csv_path.as_os_str(),
        "--html".as_ref(),
        html_path.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("indicator"), "{text}");
    // Every (indicator, scope) of either run's indicators.csv is a row of the CSV.
    let mut keys = std::collections::BTreeSet::new();
    for r in [&base, &floor] {
        for rec in Table::read(&r.join("indicators.csv")).rows {
            keys.insert((rec[1].clone(), rec[2].clone()));
        }
    }
    let comparison = Table::read(&csv_path);
    assert_eq!(
        comparison.header,
        [
            "indicator",
            "scope",
            "aggregate",
            "a",
            "b",
            "diff",
            "pct_change",
            "note"
        ]
    );
    let mut rows = BTreeMap::new();
    for rec in comparison.rows {
        rows.insert((rec[0].clone(), rec[1].clone()), rec);
    }
    for k in &keys {
        assert!(rows.contains_key(k), "{k:?} missing from the comparison");
        assert!(
            text.contains(&k.0) && text.contains(&k.1),
            "{k:?} missing from the terminal table"
        );
    }
    // By hand (floor-fixed's comment): B's price is held at 45 every year; the members' mean
    // price in run B is 45, and diff = b − a for every row with both.
    let m = &rows[&("price_usd_per_t".to_string(), "members:x".to_string())];
    assert_eq!(m[4].parse::<f64>().unwrap(), 45.0);
    for r in rows.values() {
        if let (Ok(a), Ok(b), Ok(d)) = (
            r[3].parse::<f64>(),
            r[4].parse::<f64>(),
            r[5].parse::<f64>(),
        ) {
            assert!(
                (b - a - d).abs() <= 1e-9 * (1.0 + a.abs() + b.abs()),
                "{r:?}"
            );
        }
    }
    // Levy revenue: none in the base, 135 (22.5 × 6 years) with the floor.
    let l = &rows[&("levy_revenue_usd".to_string(), "world".to_string())];
    assert_eq!(l[4].parse::<f64>().unwrap(), 135.0, "{l:?}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains(r#"<table id="compare">"#));
    assert_offline(&html);
}
