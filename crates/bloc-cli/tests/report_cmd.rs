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
            a.contains(&format!(r#"<section id="{id}""#)),
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
    // With a baseline, the buyers' extra spend is drawn: the run's consumer_cost_usd (bloc
    // run computed it against the baseline), so not derived again from prices.
    assert!(a.contains(r#"data-chart="consumer_cost_usd"#));
    assert!(!a.contains(r#"data-chart="consumer-cost-derived""#));
    // Issue 21: every section after the summary is folded, and opens closed.
    assert!(!a.contains("<details open"));
    for id in ["prices", "floor-levy", "flows", "indicators", "headlines"] {
        assert!(
            a.contains(&format!(
                r#"<section id="{id}"><details class="section"><summary>"#
            )),
            "section {id} not folded"
        );
    }
}

/// Issue 21: `bloc report RUN` finds the baseline `bloc run` wrote in RUN/baseline, and the
/// page opens on the run's own summary.json: the headline sums, then each region's price
/// change for the commodity the floor touches.
#[test]
fn a_report_opens_on_the_summary_against_the_baseline_inside_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let floor = run_example(tmp.path(), "examples/floor-fixed");
    assert!(floor.join("baseline/indicators.csv").is_file());
    assert!(floor.join("summary.json").is_file());
    let html = report(&floor, &[], &tmp.path().join("r.html"));
    assert_offline(&html);
    assert!(
        html.contains("against <b>examples-base</b>"),
        "the baseline inside the run is used"
    );
    let summary = html.find(r#"<section id="summary""#).unwrap();
    let table = html.find(r#"<section id="regional-table""#).unwrap();
    let folded = html.find("<details class=\"section\">").unwrap();
    assert!(
        summary < table && table < folded,
        "summary, regional table, then the folds"
    );
    // summary.json's levy revenue: 22.5 a year for 6 years (the scenario's comment).
    assert!(
        html.contains(r#"<div class="big">$135</div><div class="label">levy revenue</div>"#),
        "{html}"
    );
    // The members' price of x: 42 in the baseline, 45 with the floor (+7.1%), as a ranked bar.
    assert!(html.contains(r#"data-chart="summary-prices""#));
    assert!(html.contains("x (42.0 → 45.0)"), "{html}");
    // By region (the scenario's comment): B 42 → 45 (+7.1%), A 34 → 32.5 (−4.4%).
    let heat = &html[table..folded];
    assert!(
        heat.contains(">+7.1%<") && heat.contains(">−4.4%<"),
        "{heat}"
    );
    // With an explicit --baseline the same page (the same baseline).
    let explicit = report(
        &floor,
        &["--baseline".as_ref(), floor.join("baseline").as_os_str()],
        &tmp.path().join("e.html"),
    );
    assert_eq!(
        html.replace(&floor.join("baseline").display().to_string(), ""),
        explicit.replace(&floor.join("baseline").display().to_string(), "")
    );
}

/// Issue 21: a chart whose values are all zero is left out and named in a line; no chart
/// holds more than seven coloured lines; numbers on axes are compact.
#[test]
fn zero_charts_are_left_out_and_legends_capped() {
    let tmp = tempfile::tempdir().unwrap();
    let floor = run_example(tmp.path(), "examples/floor-fixed");
    let html = report(&floor, &[], &tmp.path().join("r.html"));
    // floor-fixed has no shortage: unserved_t is zero in every period, so not drawn.
    assert!(!html.contains(r#"data-chart="unserved_t""#));
    assert!(html.contains("no unserved demand in this run"));
    for fig in html.split(r#"<figure class="chart"#).skip(1) {
        let legend = fig.split("</figure>").next().unwrap();
        assert!(
            legend.matches("<li>").count() <= 7,
            "a legend of more than seven: {legend}"
        );
    }
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
    // The base has no members and floor-fixed has B: the groups are compared over B's.
    assert!(
        text.starts_with(
            "The runs have different members (A 0, B 1 regions; members in B only: B)."
        ),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("indicator")), "{text}");
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
