//! `bloc validate`: runs a validation scenario and sets the change of each commodity's price
//! beside the change on record (issue 20, item 5), with a hit rate.
//!
//! The record is `validation.csv` beside the scenario file, one comparison a row:
//!
//! | column | meaning |
//! | --- | --- |
//! | `commodity`, `region` | the price series compared (the model's price in that region's market) |
//! | `base_from`, `base_to` | the base window, `to` excluded (e.g. `2024Q1`, `2025Q1`: the 2024 average) |
//! | `from`, `to` | the compared window (e.g. `2025Q1`, `2026Q1`: the 2025 average) |
//! | `record_change` | the recorded ratio of the two averages (compared / base), > 0 |
//! | `source` | where the record comes from (the table prints its head, up to the first `:` or `(`) |
//!
//! The model's change is the ratio of its average prices over the same windows. A comparison
//! **hits** when the model gets both:
//! - the *direction*: up, down or flat alike, a change within ±[`FLAT`] counting as flat;
//! - the *size*: for a move (not flat), the model's log change within a factor of
//!   [`SIZE_FACTOR`] of the record's (record ×1.5: the model between ×1.22 and ×2.25).
//!
//! The table is the report: misses are not an error of the command (exit 0), as with
//! `bloc calibrate`. A run whose self-check fails is (exit 2), as with `bloc run`.

use crate::beside::Beside;
use crate::calibrate::number;
use crate::Failure;
use anyhow::{anyhow, Context};
use bloc_model::RunOptions;
use bloc_units::{Period, Step};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The shipped validation scenario `bloc validate` runs when none is named.
pub const DEFAULT: &str = "world/validation-2025";
/// The record, beside the scenario file.
pub const RECORD_FILE: &str = "validation.csv";
/// A change within ±5% counts as flat (neither up nor down).
pub const FLAT: f64 = 0.05;
/// A move's size is right when the model's log change is within this factor of the record's.
pub const SIZE_FACTOR: f64 = 2.0;

/// One row of `validation.csv`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    commodity: String,
    region: String,
    base_from: String,
    base_to: String,
    from: String,
    to: String,
    record_change: f64,
    source: String,
}

/// Up, down or flat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
    Flat,
}

impl Direction {
    /// The direction of a ratio of averages.
    pub(crate) fn of(change: f64) -> Direction {
        if change > 1.0 + FLAT {
            Direction::Up
        } else if change < 1.0 - FLAT {
            Direction::Down
        } else {
            Direction::Flat
        }
    }
    fn word(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Flat => "flat",
        }
    }
}

/// How a model change compares with a recorded one: (direction right, size right).
pub(crate) fn judge(model: f64, record: f64) -> (bool, bool) {
    let (dm, dr) = (Direction::of(model), Direction::of(record));
    if dm != dr {
        return (false, false);
    }
    if dr == Direction::Flat {
        return (true, true);
    }
    // Same side of 1 and both beyond the flat band, so both logs are non-zero and alike in sign.
    let q = model.ln() / record.ln();
    (true, (1.0 / SIZE_FACTOR..=SIZE_FACTOR).contains(&q))
}

/// One line of the table.
struct Line {
    commodity: String,
    region: String,
    model: f64,
    record: f64,
    direction: bool,
    size: bool,
    source: String,
}

/// `bloc validate [SCENARIO]`: prints the table and the hit rate.
pub fn run(path: Option<&Path>) -> Result<(), Failure> {
    let beside = Beside::load(path, DEFAULT)?;
    let file = beside.path_of(RECORD_FILE);
    let records: Vec<(usize, Record)> = beside.parse(RECORD_FILE)?;
    let s = &beside.scenario;
    if records.is_empty() {
        return Err(Failure::BadInput(anyhow!(
            "{}: no comparisons; write one row per price series (columns commodity, region, base_from, base_to, from, to, record_change, source)",
            file.display()
        )));
    }
    // Check every row before solving, so a typo costs no run.
    let mut windows = Vec::with_capacity(records.len());
    for (line, r) in &records {
        let bad = |field: &str, why: String| {
            Failure::BadInput(anyhow!("{}:{line}: field `{field}`: {why}", file.display()))
        };
        if !s.commodities.iter().any(|c| c.id.as_str() == r.commodity) {
            return Err(bad(
                "commodity",
                format!("`{}` is not a commodity of the scenario", r.commodity),
            ));
        }
        if !s.regions.iter().any(|g| g.id.as_str() == r.region) {
            return Err(bad(
                "region",
                format!("`{}` is not a region of the scenario", r.region),
            ));
        }
        if !(r.record_change.is_finite() && r.record_change > 0.0) {
            return Err(bad(
                "record_change",
                format!(
                    "{} is not a ratio of two prices; write the recorded average of the compared window over the base window's, > 0 (1.35 for +35%)",
                    r.record_change
                ),
            ));
        }
        let base = window(s, &r.base_from, &r.base_to)
            .map_err(|(f, why)| bad(&format!("base_{f}"), why))?;
        let comp = window(s, &r.from, &r.to).map_err(|(f, why)| bad(f, why))?;
        windows.push((base, comp));
    }
    let result = bloc_model::run(s, &RunOptions::default(), &mut |_| {})
        .context("the validation run failed")?;
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    // Prices by (region, commodity), one per period.
    let prices = &result.tables.prices;
    let mut series: BTreeMap<(&str, &str), Vec<Option<f64>>> = BTreeMap::new();
    let labels: Vec<String> = (0..s.time.periods).map(|t| s.time.label(t)).collect();
    for row in &prices.rows {
        let t = labels
            .iter()
            .position(|l| *l == row[0])
            .ok_or_else(|| anyhow!("prices.csv holds a period `{}` outside the run", row[0]))?;
        let p = number(prices, row, "price_usd_per_t")?;
        series
            .entry((row[1].as_str(), row[2].as_str()))
            .or_insert_with(|| vec![None; s.time.periods])[t] = Some(p);
    }
    let mut lines = Vec::with_capacity(records.len());
    for ((line, r), (base, comp)) in records.iter().zip(&windows) {
        let mean = |(a, b): (usize, usize)| -> Result<f64, Failure> {
            let xs = series.get(&(r.region.as_str(), r.commodity.as_str()));
            let mut sum = 0.0;
            for t in a..b {
                sum += xs.and_then(|x| x[t]).ok_or_else(|| {
                    Failure::BadInput(anyhow!(
                        "{}:{line}: field `region`: {} has no price of {} in {} (no market there: no buyer and no plant); compare the price of a region that trades it",
                        file.display(),
                        r.region,
                        r.commodity,
                        labels[t]
                    ))
                })?;
            }
            Ok(sum / (b - a) as f64)
        };
        let model = mean(*comp)? / mean(*base)?;
        let (direction, size) = judge(model, r.record_change);
        lines.push(Line {
            commodity: r.commodity.clone(),
            region: r.region.clone(),
            model,
            record: r.record_change,
            direction,
            size,
            source: r.source.clone(),
        });
    }
    print(&s.name, &lines);
    Ok(())
}

/// A window `[from, to)` as period indices; `to` may be the period after the horizon's last.
/// An error names the field (`from` or `to`) and says what is wrong.
fn window(
    s: &bloc_scenario::Scenario,
    from: &str,
    to: &str,
) -> Result<(usize, usize), (&'static str, String)> {
    let end = s.time.label(s.time.periods - 1);
    let after = s
        .time
        .start
        .plus(s.time.periods as i64, s.time.step)
        .label(s.time.step);
    let index = |field: &'static str, text: &str| -> Result<i64, (&'static str, String)> {
        let p = Period::parse(text).map_err(|e| (field, e.to_string()))?;
        if s.time.step == Step::Year && p.quarter != 1 {
            return Err((
                field,
                format!("`{text}`: the run is yearly; write a year, as `2025`"),
            ));
        }
        Ok(s.time.start.steps_to(p, s.time.step))
    };
    let a = index("from", from)?;
    let b = index("to", to)?;
    let n = s.time.periods as i64;
    if !(0..n).contains(&a) {
        return Err((
            "from",
            format!(
                "`{from}` lies outside the run ({} to {end}); write a period in it",
                s.time.label(0)
            ),
        ));
    }
    if b <= a || b > n {
        return Err((
            "to",
            format!(
                "`{to}` must come after `{from}` and at most the period after the run's last ({after}); `to` is the first period not averaged"
            ),
        ));
    }
    Ok((a as usize, b as usize))
}

/// The head of a source cell, up to its first `:` or `(` (its key, as `V01`), at most 40
/// characters: the table stays one screen wide, and the file holds the rest.
fn source_key(source: &str) -> String {
    let head = source.split([':', '(']).next().unwrap_or("").trim();
    let head = if head.is_empty() { source.trim() } else { head };
    match head.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &head[..i]),
        None => head.to_string(),
    }
}

fn print(name: &str, lines: &[Line]) {
    println!(
        "{name}: change of the average price, model vs record (flat within ±{}%; size right when the model's log change is within a factor {} of the record's)",
        100.0 * FLAT,
        SIZE_FACTOR
    );
    println!(
        "{:<18} {:<6} {:>8} {:>8}  {:<10} {:<5} {:<4} source",
        "commodity", "region", "model", "record", "direction", "size", ""
    );
    for l in lines {
        let mark = |ok: bool| if ok { "right" } else { "wrong" };
        println!(
            "{:<18} {:<6} {:>7.3}x {:>7.3}x  {:<10} {:<5} {:<4} {}",
            l.commodity,
            l.region,
            l.model,
            l.record,
            format!("{} {}", Direction::of(l.model).word(), mark(l.direction)),
            if l.direction { mark(l.size) } else { "-" },
            if l.direction && l.size { "hit" } else { "miss" },
            source_key(&l.source)
        );
    }
    let n = lines.len();
    let dir = lines.iter().filter(|l| l.direction).count();
    let hit = lines.iter().filter(|l| l.direction && l.size).count();
    let pct = |k: usize| 100.0 * k as f64 / n as f64;
    println!(
        "{n} comparisons: direction right in {dir} ({:.0}%), direction and size in {hit}; hit rate {:.0}%",
        pct(dir),
        pct(hit)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_a_source_s_key() {
        assert_eq!(source_key("V01: USGS MCS 2026"), "V01");
        assert_eq!(source_key("V13 (research.md): USGS"), "V13");
        assert_eq!(source_key("assumption"), "assumption");
        assert_eq!(source_key(": odd"), ": odd");
        assert_eq!(source_key(&"x".repeat(50)), format!("{}…", "x".repeat(40)));
    }

    #[test]
    fn directions_have_a_flat_band() {
        assert_eq!(Direction::of(1.051), Direction::Up);
        assert_eq!(Direction::of(1.049), Direction::Flat);
        assert_eq!(Direction::of(0.951), Direction::Flat);
        assert_eq!(Direction::of(0.90), Direction::Down);
    }

    #[test]
    fn a_hit_needs_the_direction_and_the_size() {
        // Record x1.5 (ln 0.405): sizes right from ln 0.203 (x1.22) to ln 0.811 (x2.25).
        assert_eq!(judge(1.3, 1.5), (true, true));
        assert_eq!(judge(2.2, 1.5), (true, true));
        assert_eq!(judge(1.15, 1.5), (true, false));
        assert_eq!(judge(2.4, 1.5), (true, false));
        // Wrong way, or flat against a move: no size to judge.
        assert_eq!(judge(0.8, 1.5), (false, false));
        assert_eq!(judge(1.02, 1.5), (false, false));
        // Down x0.8 (ln -0.223) against down x0.6 (ln -0.511): 0.44, below 1/2.
        assert_eq!(judge(0.8, 0.6), (true, false));
        assert_eq!(judge(0.7, 0.6), (true, true));
        // Both flat: a hit.
        assert_eq!(judge(1.03, 0.97), (true, true));
    }
}
