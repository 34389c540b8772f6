//! `bloc calibrate`: runs a base-year scenario and prints, side by side with its sourced
//! targets, each country's production share per stage and each published price.
//!
//! The targets sit beside the scenario file, in `calibration/shares.csv` (stage, commodities
//! summed, region, share, source) and `calibration/prices.csv` (commodity, region,
//! price_usd_per_t, source). A share is the region's output of the stage's commodities over
//! the world's, in the run's first period; a price is the region's market price then.
//! Tolerances are those of issue 6: 3 percentage points on a share, 10% on a price.

use crate::beside::Beside;
use crate::Failure;
use anyhow::{anyhow, Context};
use bloc_model::RunOptions;
use bloc_results::{RunTables, Table};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The shipped base-year scenario `bloc calibrate` runs when none is named.
pub const DEFAULT: &str = "world/calibration-2024.toml";
/// Largest allowed gap between a model and a sourced production share (fraction of the stage).
pub const SHARE_TOLERANCE: f64 = 0.03;
/// Largest allowed relative gap between a model and a published price.
pub const PRICE_TOLERANCE: f64 = 0.10;

/// A sourced production share: `region` made `share` of the world's output of `commodities`.
#[derive(Debug, Deserialize)]
struct ShareTarget {
    stage: String,
    commodities: String,
    region: String,
    share: f64,
    source: String,
}

/// A published price, compared in the market of `region`.
#[derive(Debug, Deserialize)]
struct PriceTarget {
    commodity: String,
    region: String,
    price_usd_per_t: f64,
    source: String,
}

/// One line of the comparison.
#[derive(Debug)]
struct Line {
    kind: &'static str,
    what: String,
    region: String,
    model: f64,
    target: f64,
    /// Percentage points for a share, percent for a price.
    error: f64,
    ok: bool,
    source: String,
}

/// `bloc calibrate [SCENARIO]`: prints the table; every line says `ok` or `OFF`, and a last
/// line counts them. Lines outside tolerance are not an error of the command (exit 0): the
/// table is what it reports.
pub fn run(path: Option<&Path>) -> Result<(), Failure> {
    let beside = Beside::load(path, DEFAULT)?;
    let shares: Vec<ShareTarget> = rows(beside.parse("calibration/shares.csv")?);
    let prices: Vec<PriceTarget> = rows(beside.parse("calibration/prices.csv")?);
    let scenario = &beside.scenario;
    let result = bloc_model::run(scenario, &RunOptions::default(), &mut |_| {})
        .context("the base-year run failed")?;
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    let lines = compare(&result.tables, &shares, &prices)?;
    print(&scenario.name, &lines);
    Ok(())
}

/// The rows of a parsed file, without their line numbers.
fn rows<T>(numbered: Vec<(usize, T)>) -> Vec<T> {
    numbered.into_iter().map(|(_, r)| r).collect()
}

/// Parses a numeric cell of a result table.
pub(crate) fn number(table: &Table, row: &[String], col: &str) -> anyhow::Result<f64> {
    let i = table
        .header
        .iter()
        .position(|h| *h == col)
        .ok_or_else(|| anyhow!("{} has no column {col}", table.file))?;
    row[i]
        .parse()
        .with_context(|| format!("{}: `{}` in {col} is not a number", table.file, row[i]))
}

fn compare(
    tables: &RunTables,
    shares: &[ShareTarget],
    prices: &[PriceTarget],
) -> anyhow::Result<Vec<Line>> {
    let first = tables
        .production
        .rows
        .first()
        .map(|r| r[0].clone())
        .ok_or_else(|| anyhow!("the run produced nothing"))?;
    // Output per (region, commodity) in the first period.
    let mut output: BTreeMap<(String, String), f64> = BTreeMap::new();
    for row in tables.production.rows.iter().filter(|r| r[0] == first) {
        let q = number(&tables.production, row, "quantity_t")?;
        *output.entry((row[1].clone(), row[3].clone())).or_default() += q;
    }
    let mut price: BTreeMap<(String, String), f64> = BTreeMap::new();
    for row in tables.prices.rows.iter().filter(|r| r[0] == first) {
        let p = number(&tables.prices, row, "price_usd_per_t")?;
        price.insert((row[1].clone(), row[2].clone()), p);
    }
    let mut lines = Vec::new();
    for t in shares {
        let comms: Vec<&str> = t.commodities.split_whitespace().collect();
        let world: f64 = output
            .iter()
            .filter(|((_, c), _)| comms.contains(&c.as_str()))
            .map(|(_, q)| q)
            .sum();
        let mine: f64 = comms
            .iter()
            .map(|c| {
                output
                    .get(&(t.region.clone(), (*c).to_string()))
                    .copied()
                    .unwrap_or(0.0)
            })
            .sum();
        let model = if world > 0.0 { mine / world } else { 0.0 };
        let error = model - t.share;
        lines.push(Line {
            kind: "share",
            what: t.stage.clone(),
            region: t.region.clone(),
            model: 100.0 * model,
            target: 100.0 * t.share,
            error: 100.0 * error,
            ok: error.abs() <= SHARE_TOLERANCE + 1e-12,
            source: t.source.clone(),
        });
    }
    for t in prices {
        let model = price
            .get(&(t.region.clone(), t.commodity.clone()))
            .copied()
            .ok_or_else(|| anyhow!("no price of {} in {}", t.commodity, t.region))?;
        let error = model / t.price_usd_per_t - 1.0;
        lines.push(Line {
            kind: "price",
            what: t.commodity.clone(),
            region: t.region.clone(),
            model,
            target: t.price_usd_per_t,
            error: 100.0 * error,
            ok: error.abs() <= PRICE_TOLERANCE + 1e-12,
            source: t.source.clone(),
        });
    }
    Ok(lines)
}

fn print(name: &str, lines: &[Line]) {
    println!(
        "{name}: model vs source (shares in % of the stage, tolerance {} pp; prices in USD/t, tolerance {}%)",
        100.0 * SHARE_TOLERANCE,
        100.0 * PRICE_TOLERANCE
    );
    println!(
        "{:<6} {:<26} {:<6} {:>14} {:>14} {:>8}  {:<4} source",
        "kind", "stage or commodity", "region", "model", "source", "error", ""
    );
    for l in lines {
        let unit = if l.kind == "share" { "pp" } else { "%" };
        println!(
            "{:<6} {:<26} {:<6} {:>14.2} {:>14.2} {:>+6.2}{unit:<2}  {:<4} {}",
            l.kind,
            l.what,
            l.region,
            l.model,
            l.target,
            l.error,
            if l.ok { "ok" } else { "OFF" },
            l.source
        );
    }
    let off = lines.iter().filter(|l| !l.ok).count();
    let worst = |kind: &str| {
        lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.error.abs())
            .fold(0.0, f64::max)
    };
    println!(
        "{} figures, {} within tolerance, {off} off; worst share error {:.2} pp, worst price error {:.2}%",
        lines.len(),
        lines.len() - off,
        worst("share"),
        worst("price")
    );
}
