//! Writing a [`Scenario`] out as a scenario folder (design §6): `scenario.toml` and one CSV
//! per table, every row sourced [`SOURCE`](crate::SOURCE). Loading the folder back with
//! `bloc_scenario::load` gives the same regions, commodities, processes, demand and rules
//! (numbers are written in shortest round-trip form, so they read back bit for bit).
//!
//! What a folder cannot say is not written: an isoelastic row's choke price is always
//! [`CHOKE_MULTIPLE`](crate::CHOKE_MULTIPLE) × its reference price when loaded, whatever it
//! was in memory.

use crate::SOURCE;
use bloc_scenario::{BlocConfig, Counterpolicies, DemandForm, Scenario, Sel, TimeAxis};
use bloc_units::Step;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// A number that reads back to the same `f64`: plain decimals in the usual range, else
/// scientific notation (`1e-7`), which the loader accepts.
fn num(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || (1e-4..1e15).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A CSV cell, quoted when it must be.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) || text.trim() != text {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn sel<T: std::fmt::Display>(s: &Sel<T>) -> String {
    match s {
        Sel::Any => "*".to_string(),
        Sel::One(v) => cell(&v.to_string()),
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn period_label(time: &TimeAxis, t: Option<usize>) -> String {
    t.map(|t| time.label(t)).unwrap_or_default()
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Writes `s` into `dir` (created if missing) as `scenario.toml` plus `regions.csv`,
/// `commodities.csv`, `processes.csv`, `inputs.csv`, `demand.csv`, `transport.csv` and
/// `tariffs.csv`. Fails on I/O errors and on what it does not write: a `[bloc]` or
/// counter-policies (synthetic worlds have neither; their TOML is still settling), or a seed
/// above `i64::MAX`.
pub fn write_scenario_folder(s: &Scenario, dir: &Path) -> io::Result<()> {
    if s.bloc != BlocConfig::default() || s.counter != Counterpolicies::default() {
        return Err(invalid(format!(
            "scenario `{}` has a bloc or counter-policies; write_scenario_folder writes the market tables only",
            s.name
        )));
    }
    std::fs::create_dir_all(dir)?;
    let seed = i64::try_from(s.seed)
        .map_err(|_| invalid(format!("seed {} does not fit a TOML integer", s.seed)))?;
    std::fs::write(dir.join("scenario.toml"), scenario_toml(s, seed))?;
    std::fs::write(dir.join("regions.csv"), regions_csv(s))?;
    std::fs::write(dir.join("commodities.csv"), commodities_csv(s))?;
    let (processes, inputs) = processes_csv(s);
    std::fs::write(dir.join("processes.csv"), processes)?;
    std::fs::write(dir.join("inputs.csv"), inputs)?;
    std::fs::write(dir.join("demand.csv"), demand_csv(s))?;
    std::fs::write(dir.join("transport.csv"), transport_csv(s))?;
    std::fs::write(dir.join("tariffs.csv"), tariffs_csv(s))?;
    Ok(())
}

/// `scenario.toml`: name, time axis and the tables.
fn scenario_toml(s: &Scenario, seed: i64) -> String {
    let time = &s.time;
    let mut toml = String::new();
    let _ = writeln!(
        toml,
        "# Written by bloc-synth: every number here is an assumption (synthetic)."
    );
    let _ = writeln!(toml, "name = {}", toml_str(&s.name));
    if !s.description.is_empty() {
        let _ = writeln!(toml, "description = {}", toml_str(&s.description));
    }
    let _ = writeln!(toml, "base_year = {}", s.base_year);
    let _ = writeln!(toml, "seed = {seed}");
    let _ = writeln!(toml, "\n[time]");
    let _ = writeln!(toml, "start = {}", toml_str(&time.label(0)));
    let _ = writeln!(toml, "periods = {}", time.periods);
    let step = match time.step {
        Step::Quarter => "quarter",
        Step::Year => "year",
    };
    let _ = writeln!(toml, "step = {}", toml_str(step));
    let _ = writeln!(toml, "\n[tables]");
    for t in [
        "regions",
        "commodities",
        "processes",
        "inputs",
        "demand",
        "transport",
        "tariffs",
    ] {
        let _ = writeln!(toml, "{t} = {}", toml_str(&format!("{t}.csv")));
    }
    toml
}

fn regions_csv(s: &Scenario) -> String {
    let mut regions = String::from("id,name\n");
    for r in &s.regions {
        let _ = writeln!(regions, "{},{}", cell(r.id.as_str()), cell(&r.name));
    }
    regions
}

fn commodities_csv(s: &Scenario) -> String {
    let mut commodities = String::from("id,family,stage,name\n");
    for c in &s.commodities {
        let _ = writeln!(
            commodities,
            "{},{},{},{}",
            cell(c.id.as_str()),
            cell(&c.family),
            c.stage.as_str(),
            cell(&c.name)
        );
    }
    commodities
}

/// `processes.csv` and `inputs.csv`.
fn processes_csv(s: &Scenario) -> (String, String) {
    let time = &s.time;
    let mut processes = String::from(
        "id,region,output,capacity_t_per_yr,unit_cost_usd_per_t,cost_rise_usd_per_t,online,offline,source\n",
    );
    let mut inputs = String::from("process,commodity,t_per_t_output,source\n");
    for p in &s.processes {
        let _ = writeln!(
            processes,
            "{},{},{},{},{},{},{},{},{SOURCE}",
            cell(p.id.as_str()),
            cell(p.region.as_str()),
            cell(p.output.as_str()),
            num(p.capacity.0),
            num(p.unit_cost.0),
            p.cost_rise.map(|c| num(c.0)).unwrap_or_default(),
            period_label(time, p.online),
            period_label(time, p.offline),
        );
        for (c, k) in &p.inputs {
            let _ = writeln!(
                inputs,
                "{},{},{},{SOURCE}",
                cell(p.id.as_str()),
                cell(c.as_str()),
                num(*k)
            );
        }
    }
    (processes, inputs)
}

fn demand_csv(s: &Scenario) -> String {
    let mut demand = String::from(
        "region,commodity,form,quantity_t_per_yr,price_usd_per_t,elasticity,growth_per_yr,source\n",
    );
    for d in &s.demand {
        let form = match d.form {
            DemandForm::Isoelastic { .. } => "isoelastic",
            DemandForm::Linear => "linear",
        };
        let _ = writeln!(
            demand,
            "{},{},{form},{},{},{},{},{SOURCE}",
            cell(d.region.as_str()),
            cell(d.commodity.as_str()),
            num(d.quantity.0),
            num(d.price.0),
            num(d.elasticity),
            num(d.growth_per_yr),
        );
    }
    demand
}

fn transport_csv(s: &Scenario) -> String {
    let mut transport = String::from("origin,destination,commodity,cost_usd_per_t,source\n");
    for r in &s.transport {
        let _ = writeln!(
            transport,
            "{},{},{},{},{SOURCE}",
            sel(&r.origin),
            sel(&r.destination),
            sel(&r.commodity),
            num(r.cost.0)
        );
    }
    transport
}

fn tariffs_csv(s: &Scenario) -> String {
    let mut tariffs =
        String::from("importer,exporter,commodity,ad_valorem,specific_usd_per_t,source\n");
    for r in &s.tariffs {
        let _ = writeln!(
            tariffs,
            "{},{},{},{},{},{SOURCE}",
            sel(&r.importer),
            sel(&r.exporter),
            sel(&r.commodity),
            num(r.tariff.ad_valorem),
            num(r.tariff.specific.0)
        );
    }
    tariffs
}
