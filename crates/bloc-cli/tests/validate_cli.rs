//! `bloc validate` (issue 20, item 5): the model's change of an average price against the
//! recorded one, read from `validation.csv` beside the scenario.
//!
//! The scenario is the contract's two-region example, copied as it is, with a record written
//! beside it. Its model side is checked against the run's own `prices.csv`, averaged here by
//! hand, so the windows, the averaging and the ratio are tested apart from the engine; the
//! hit rules are unit-tested in `src/validate.rs`.

mod common;

use bloc_testkit::{copy_files, repo, Table};
use common::{bloc, run_quiet};
use std::path::Path;

const HEADER: &str = "commodity,region,base_from,base_to,from,to,record_change,source\n";

fn example(dir: &Path) -> std::path::PathBuf {
    let s = dir.join("two-region");
    std::fs::create_dir_all(&s).unwrap();
    copy_files(&repo().join("../shared/examples/two-region"), &s);
    s
}

fn validate(s: &Path) -> (i32, String, String) {
    let o = bloc(&["validate".as_ref(), s.as_os_str()]);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Mean price of (region, commodity) over the periods `[a, b)` of a run's prices.csv.
fn mean(prices: &Table, region: &str, commodity: &str, periods: &[&str]) -> f64 {
    let (p, r, c, v) = (
        prices.column("period"),
        prices.column("region"),
        prices.column("commodity"),
        prices.column("price_usd_per_t"),
    );
    let xs: Vec<f64> = prices
        .rows
        .iter()
        .filter(|row| row[r] == region && row[c] == commodity && periods.contains(&row[p].as_str()))
        .map(|row| row[v].parse().expect("a price"))
        .collect();
    assert_eq!(xs.len(), periods.len(), "{region} {commodity} {periods:?}");
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn the_model_change_is_the_ratio_of_the_run_s_average_prices() {
    let tmp = tempfile::tempdir().unwrap();
    let s = example(tmp.path());
    // The floor's levy starts in 2026Q2 (lag 1), so the USA's price moves after the first
    // quarter; China's is the other side of the wedge.
    std::fs::write(
        s.join("validation.csv"),
        format!(
            "{HEADER}ndpr_oxide,USA,2026Q1,2026Q2,2026Q2,2027Q1,1.0,assumption: test record\n\
             ndpr_oxide,CHN,2026Q1,2026Q3,2027Q1,2028Q1,1.0,assumption: test record\n"
        ),
    )
    .unwrap();
    let run = tmp.path().join("run");
    assert!(run_quiet(&s, &run).status.success());
    let prices = Table::read(&run.join("prices.csv"));
    let usa = mean(
        &prices,
        "USA",
        "ndpr_oxide",
        &["2026Q2", "2026Q3", "2026Q4"],
    ) / mean(&prices, "USA", "ndpr_oxide", &["2026Q1"]);
    let chn = mean(
        &prices,
        "CHN",
        "ndpr_oxide",
        &["2027Q1", "2027Q2", "2027Q3", "2027Q4"],
    ) / mean(&prices, "CHN", "ndpr_oxide", &["2026Q1", "2026Q2"]);
    assert!(usa > 1.05, "the floor should lift the USA's price: {usa}");
    let (code, out, err) = validate(&s);
    assert_eq!(code, 0, "{err}");
    let line = |region: &str| {
        out.lines()
            .find(|l| l.starts_with("ndpr_oxide") && l.split_whitespace().nth(1) == Some(region))
            .unwrap_or_else(|| panic!("no {region} line in\n{out}"))
            .to_string()
    };
    let model = |l: &str| -> f64 {
        l.split_whitespace()
            .nth(2)
            .unwrap()
            .trim_end_matches('x')
            .parse()
            .unwrap()
    };
    assert!(
        (model(&line("USA")) - usa).abs() < 5e-4,
        "{out}\nby hand {usa}"
    );
    assert!(
        (model(&line("CHN")) - chn).abs() < 5e-4,
        "{out}\nby hand {chn}"
    );
    // A record of 1.0 is flat: the USA's rise is a miss.
    assert!(line("USA").contains("miss"), "{out}");
    assert!(out.contains("2 comparisons: direction right in"), "{out}");
}

#[test]
fn a_bad_record_is_an_error_naming_file_line_and_field() {
    let cases = [
        (
            "ndpr_oxide,FRA,2026Q1,2026Q2,2026Q2,2027Q1,1.2,x\n",
            "validation.csv:2: field `region`: `FRA` is not a region of the scenario",
        ),
        (
            "lithium,USA,2026Q1,2026Q2,2026Q2,2027Q1,1.2,x\n",
            "validation.csv:2: field `commodity`: `lithium` is not a commodity",
        ),
        (
            "ndpr_oxide,USA,2026Q1,2026Q2,2026Q2,2027Q1,-1,x\n",
            "validation.csv:2: field `record_change`: -1 is not a ratio of two prices",
        ),
        (
            "ndpr_oxide,USA,2025Q4,2026Q2,2026Q2,2027Q1,1.2,x\n",
            "validation.csv:2: field `base_from`: `2025Q4` lies outside the run (2026Q1 to 2027Q4)",
        ),
        (
            "ndpr_oxide,USA,2026Q1,2026Q2,2026Q2,2028Q2,1.2,x\n",
            "validation.csv:2: field `to`: `2028Q2` must come after `2026Q2` and at most the period after the run's last (2028Q1)",
        ),
        (
            "ndpr_oxide,USA,2026Q1,2026Q1,2026Q2,2027Q1,1.2,x\n",
            "field `base_to`: `2026Q1` must come after `2026Q1`",
        ),
        (
            "ndpr_oxide,USA,2026Q1,2026Q2,2026Q5,2027Q1,1.2,x\n",
            "validation.csv:2: field `from`: `2026Q5` is not a period",
        ),
        (
            "ndpr_oxide,USA,2026Q1,2026Q2,2026Q2,2027Q1,lots,x\n",
            "validation.csv:2:",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let s = example(tmp.path());
    for (row, want) in cases {
        std::fs::write(s.join("validation.csv"), format!("{HEADER}{row}")).unwrap();
        let (code, _, err) = validate(&s);
        assert_eq!(code, 1, "{row}: {err}");
        assert!(err.contains(want), "{row}: want `{want}` in\n{err}");
    }
    // No record file at all: bad input, naming the file.
    std::fs::remove_file(s.join("validation.csv")).unwrap();
    let (code, _, err) = validate(&s);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("validation.csv"), "{err}");
    // A header only.
    std::fs::write(s.join("validation.csv"), HEADER).unwrap();
    let (code, _, err) = validate(&s);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no comparisons"), "{err}");
}
