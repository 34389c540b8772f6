//! Small worlds written as scenario folders, for the hand-worked tests of `origins.rs` and
//! `joint.rs`: yearly periods 2026–2028, tables given as CSV rows.
#![allow(dead_code)]

use bloc_model::{run, Run, RunOptions};
use std::path::Path;

/// The tables of a small world, as CSV rows without their headers (`commodities` rows end
/// with their `disposal_usd_per_t`, which may be empty), and TOML added after the header.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tables<'a> {
    pub regions: &'a [&'a str],
    pub commodities: &'a str,
    pub processes: &'a str,
    pub inputs: &'a str,
    pub outputs: &'a str,
    pub demand: &'a str,
    pub transport: &'a str,
    pub extra: &'a str,
}

/// Writes a scenario folder: `scenario.toml` (a yearly header naming every table, then
/// `extra`) and the tables, with their headers.
pub fn write(dir: &Path, t: &Tables<'_>) {
    let Tables {
        regions,
        commodities,
        processes,
        inputs,
        outputs,
        demand,
        transport,
        extra,
    } = *t;
    let mut regions_csv = String::from("id,name\n");
    for r in regions {
        regions_csv.push_str(&format!("{r},{r}\n"));
    }
    let files = [
        ("regions.csv", regions_csv),
        ("commodities.csv", format!("id,family,stage,name,disposal_usd_per_t\n{commodities}")),
        (
            "processes.csv",
            format!("id,region,output,capacity_t_per_yr,unit_cost_usd_per_t,cost_rise_usd_per_t,source\n{processes}"),
        ),
        ("inputs.csv", format!("process,commodity,t_per_t_output,source\n{inputs}")),
        ("outputs.csv", format!("process,commodity,t_per_t_output,source\n{outputs}")),
        (
            "demand.csv",
            format!("region,commodity,form,quantity_t_per_yr,price_usd_per_t,elasticity,growth_per_yr,source\n{demand}"),
        ),
        ("transport.csv", format!("origin,destination,commodity,cost_usd_per_t,source\n{transport}")),
        (
            "scenario.toml",
            format!(
                "name = \"small-world\"\nbase_year = 2024\n[time]\nstart = \"2026\"\nperiods = 3\nstep = \"year\"\n\
                 [tables]\nregions = \"regions.csv\"\ncommodities = \"commodities.csv\"\nprocesses = \"processes.csv\"\n\
                 inputs = \"inputs.csv\"\noutputs = \"outputs.csv\"\ndemand = \"demand.csv\"\ntransport = \"transport.csv\"\n{extra}"
            ),
        ),
    ];
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

/// Loads and runs a scenario folder.
pub fn go(dir: &Path) -> Run {
    let s = bloc_scenario::load(&dir.join("scenario.toml")).expect("the test world loads");
    run(&s, &RunOptions::default(), &mut |_| {}).expect("runs")
}

/// The value of `column` on the first row of `table` whose named cells equal `key`.
pub fn cell(r: &Run, table: &str, key: &[(&str, &str)], column: &str) -> Option<f64> {
    let t = r
        .tables
        .all()
        .into_iter()
        .find(|t| t.file == table)
        .expect("table");
    let at = |h: &str| t.header.iter().position(|x| *x == h).expect("column");
    t.rows
        .iter()
        .find(|row| key.iter().all(|(h, v)| row[at(h)] == *v))
        .map(|row| row[at(column)].parse().expect("number"))
}

/// The price of `c` in `region` in 2026.
pub fn price(r: &Run, region: &str, c: &str) -> f64 {
    cell(
        r,
        "prices.csv",
        &[("period", "2026"), ("region", region), ("commodity", c)],
        "price_usd_per_t",
    )
    .expect("a price")
}

/// A column of the 2026 consumption row of (`region`, `c`).
pub fn consumption(r: &Run, region: &str, c: &str, column: &str) -> f64 {
    cell(
        r,
        "consumption.csv",
        &[("period", "2026"), ("region", region), ("commodity", c)],
        column,
    )
    .expect("a consumption row")
}

/// What `region`'s buyers of `c` bought in 2026.
pub fn consumed(r: &Run, region: &str, c: &str) -> f64 {
    consumption(r, region, c, "quantity_t")
}

/// Tonnes of `c` shipped `from` → `to` in 2026, every origin class together.
pub fn shipped(r: &Run, c: &str, from: &str, to: &str) -> f64 {
    let t = &r.tables.flows;
    let at = |h: &str| t.header.iter().position(|x| *x == h).expect("column");
    t.rows
        .iter()
        .filter(|row| {
            row[0] == "2026"
                && row[at("commodity")] == c
                && row[at("origin")] == from
                && row[at("destination")] == to
        })
        .map(|row| row[at("quantity_t")].parse::<f64>().unwrap())
        .sum()
}

/// A 2026 indicator.
pub fn indicator(r: &Run, name: &str, scope: &str) -> f64 {
    cell(
        r,
        "indicators.csv",
        &[("period", "2026"), ("indicator", name), ("scope", scope)],
        "value",
    )
    .unwrap_or_else(|| panic!("no indicator {name} {scope}"))
}

/// `got` equals `want` to 1e-6 relative.
pub fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-6 * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}
