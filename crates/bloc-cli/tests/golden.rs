//! Golden regression: every shipped scenario run through the CLI and diffed against stored
//! results with a tolerance; a script regenerates them.
//!
//! Every folder under `scenarios/` that holds a `scenario.toml` (at any depth) is run with
//! the built `bloc` binary into a temporary directory, and every CSV it writes is compared
//! with `tests/golden/<path under scenarios/>/` at the repository root:
//!
//! * the same CSV files, each with the same header;
//! * the same rows, matched by their key columns (`period`, `region`, `commodity`, …); a
//!   non-numeric cell must be equal, a numeric one within [`REL_TOL`] relative plus
//!   [`ABS_TOL`] absolute. `flows.csv` lists only routes that carry goods, so a row on one side
//!   only passes when its `quantity_t` is within tolerance of zero.
//!
//! A shipped scenario must also run without warnings (stderr is empty under `--quiet`) and
//! with every period converged. When results change on purpose, run
//! `tests/regenerate-golden.sh` and review `git diff tests/golden`.

mod common;

use bloc_testkit::Table;
use common::{folders, repo, run_quiet, shipped};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Relative tolerance on numeric cells.
const REL_TOL: f64 = 1e-6;
/// Absolute tolerance on numeric cells (on top of the relative one).
const ABS_TOL: f64 = 1e-6;
/// Columns that identify a row (the leading columns of every result table).
const KEY_COLUMNS: &[&str] = &[
    "period",
    "region",
    "commodity",
    "origin",
    "destination",
    "process",
    "stockpile",
    "indicator",
    "scope",
];
/// How many differences to show per file.
const SHOW: usize = 8;
/// What to do when results change on purpose.
const REGENERATE: &str =
    "run tests/regenerate-golden.sh (at the repository root) and review `git diff tests/golden`";

fn golden_root() -> PathBuf {
    repo().join("tests/golden")
}

fn csv_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| {
                    e.expect("a directory entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .filter(|n| n.ends_with(".csv"))
                .collect()
        })
        .unwrap_or_default()
}

/// Every golden directory: a folder under `tests/golden/` that holds CSV files.
fn golden_dirs() -> BTreeSet<String> {
    folders(&golden_root(), &|p| !csv_files(p).is_empty())
}

fn number(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= REL_TOL * a.abs().max(b.abs()) + ABS_TOL
}

/// One table, keyed: key → (1-based line, value cells).
struct Keyed {
    header: Vec<String>,
    rows: BTreeMap<Vec<String>, (usize, Vec<String>)>,
    key_len: usize,
}

fn keyed(text: &str) -> Result<Keyed, String> {
    let Table { header, rows } = Table::parse(text)?;
    let key_len = header
        .iter()
        .take_while(|h| KEY_COLUMNS.contains(&h.as_str()))
        .count();
    let mut out = BTreeMap::new();
    for (i, row) in rows.into_iter().enumerate() {
        let line = i + 2;
        let mut key: Vec<String> = row[..key_len].to_vec();
        // A key written twice keeps both rows, told apart by their order.
        let mut n = 0;
        while out.contains_key(&key) {
            n += 1;
            key.truncate(key_len);
            key.push(format!("#{n}"));
        }
        out.insert(key, (line, row[key_len..].to_vec()));
    }
    Ok(Keyed {
        header,
        rows: out,
        key_len,
    })
}

/// Whether a row present on one side only may stand for "nothing": `flows.csv` lists only the
/// routes that carry goods.
fn zero_flow(file: &str, t: &Keyed, values: &[String]) -> bool {
    if file != "flows.csv" {
        return false;
    }
    let Some(q) = t.header.iter().position(|h| h == "quantity_t") else {
        return false;
    };
    q >= t.key_len
        && values
            .get(q - t.key_len)
            .and_then(|v| number(v))
            .is_some_and(|v| close(v, 0.0))
}

/// The differences between a golden CSV and a fresh one.
fn compare(file: &str, golden: &str, got: &str) -> Vec<String> {
    let (g, o) = match (keyed(golden), keyed(got)) {
        (Ok(g), Ok(o)) => (g, o),
        (Err(e), _) => return vec![format!("golden {file}: {e}")],
        (_, Err(e)) => return vec![format!("{file}: {e}")],
    };
    if g.header != o.header {
        return vec![format!(
            "{file}: header differs:\n      golden: {}\n      got:    {}",
            g.header.join(","),
            o.header.join(",")
        )];
    }
    let mut diffs = Vec::new();
    for (key, (gline, gvals)) in &g.rows {
        let Some((oline, ovals)) = o.rows.get(key) else {
            if !zero_flow(file, &g, gvals) {
                diffs.push(format!(
                    "{file}: row {} (golden line {gline}) is missing",
                    key.join(",")
                ));
            }
            continue;
        };
        for (j, (gv, ov)) in gvals.iter().zip(ovals).enumerate() {
            let same = match (number(gv), number(ov)) {
                (Some(a), Some(b)) => close(a, b),
                _ => gv == ov,
            };
            if !same {
                diffs.push(format!(
                    "{file}: row {} column {}: golden {gv} (line {gline}), got {ov} (line {oline})",
                    key.join(","),
                    g.header[g.key_len + j]
                ));
            }
        }
    }
    for (key, (oline, ovals)) in &o.rows {
        if !g.rows.contains_key(key) && !zero_flow(file, &o, ovals) {
            diffs.push(format!(
                "{file}: row {} (line {oline}) is not in the golden file",
                key.join(",")
            ));
        }
    }
    diffs
}

/// Runs one shipped scenario and compares it; `Err` holds what is wrong.
fn check_scenario(rel: &str, tmp: &Path) -> Result<(), String> {
    let golden = golden_root().join(rel);
    if !golden.is_dir() {
        return Err(format!(
            "{rel}: no golden results in tests/golden/{rel}; {REGENERATE}"
        ));
    }
    let out = tmp.join(rel.replace('/', "__"));
    let o = run_quiet(&repo().join("scenarios").join(rel), &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    if !o.status.success() {
        return Err(format!("{rel}: bloc run failed ({}):\n{stderr}", o.status));
    }
    let mut wrong = Vec::new();
    if !stderr.trim().is_empty() {
        wrong.push(format!("bloc run printed warnings:\n{stderr}"));
    }
    let run_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("run.json"))
            .map_err(|e| format!("{rel}: run.json: {e}"))?,
    )
    .map_err(|e| format!("{rel}: run.json: {e}"))?;
    if run_json["all_converged"] != serde_json::Value::Bool(true) {
        wrong.push("run.json: not every period converged".to_string());
    }
    let (want, got) = (csv_files(&golden), csv_files(&out));
    for f in want.difference(&got) {
        wrong.push(format!(
            "{f} is in the golden results but the run did not write it"
        ));
    }
    for f in got.difference(&want) {
        wrong.push(format!("the run wrote {f}, which has no golden file"));
    }
    for f in want.intersection(&got) {
        let read = |p: PathBuf| {
            std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        };
        let diffs = compare(f, &read(golden.join(f)), &read(out.join(f)));
        let n = diffs.len();
        wrong.extend(diffs.into_iter().take(SHOW));
        if n > SHOW {
            wrong.push(format!("{f}: … and {} more differences", n - SHOW));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("{rel}:\n    {}", wrong.join("\n    ")))
    }
}

#[test]
fn every_shipped_scenario_matches_its_golden_results() {
    let scenarios = shipped();
    assert!(!scenarios.is_empty(), "no scenario.toml under scenarios/");
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let failures: Vec<String> = scenarios
        .iter()
        .filter_map(|rel| check_scenario(rel, tmp.path()).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} shipped scenarios differ from their golden results (tolerance {REL_TOL:e} relative + {ABS_TOL:e} absolute).\n\
         If the change is intended, {REGENERATE}.\n\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_shipped_scenario_has_golden_results_and_every_golden_directory_a_scenario() {
    let scenarios = shipped();
    let golden = golden_dirs();
    let missing: Vec<&String> = scenarios.difference(&golden).collect();
    let stale: Vec<&String> = golden.difference(&scenarios).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "shipped scenarios without golden results: {missing:?}; golden results without a shipped scenario: {stale:?}; {REGENERATE}"
    );
}

#[test]
fn the_comparison_allows_noise_and_catches_changes() {
    let golden = "period,region,commodity,price_usd_per_t\n2026,A,x,32.5\n2026,B,x,45\n";
    assert!(compare(
        "prices.csv",
        golden,
        "period,region,commodity,price_usd_per_t\n2026,A,x,32.5000001\n2026,B,x,45\n"
    )
    .is_empty());
    let d = compare(
        "prices.csv",
        golden,
        "period,region,commodity,price_usd_per_t\n2026,A,x,32.6\n2026,B,x,45\n",
    );
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].contains("row 2026,A,x column price_usd_per_t: golden 32.5"),
        "{d:?}"
    );
    let d = compare(
        "prices.csv",
        golden,
        "period,region,commodity,price_usd_per_t\n2026,A,x,32.5\n2026,C,x,45\n",
    );
    assert_eq!(d.len(), 2, "{d:?}");
    let d = compare(
        "prices.csv",
        golden,
        "period,region,commodity,price\n2026,A,x,32.5\n2026,B,x,45\n",
    );
    assert!(d[0].contains("header differs"), "{d:?}");
    // A route whose flow is noise may come and go.
    let flows = "period,commodity,origin,destination,quantity_t,transport_usd_per_t,tariff_usd_per_t,levy_usd_per_t\n";
    let with_zero = format!("{flows}2026,x,A,B,5,5,3,4.5\n2026,x,B,A,0,5,0,0\n");
    assert!(compare(
        "flows.csv",
        &format!("{flows}2026,x,A,B,5,5,3,4.5\n"),
        &with_zero
    )
    .is_empty());
    assert_eq!(compare("flows.csv", flows, &with_zero).len(), 1);
    // Text cells must be equal; quoted cells are read whole.
    assert_eq!(
        Table::parse("h,i\na,\"b,c\"\n").map(|t| t.rows),
        Ok(vec![vec!["a".to_string(), "b,c".to_string()]])
    );
}
