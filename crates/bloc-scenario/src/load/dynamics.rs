//! Over time (design §3): `projects.csv`, `[investment]`, `[closures]`,
//! `[[demand_growth]]` and `[[bloc.capital_grant]]`. Same pattern as `bloc.rs`: `…Raw`
//! mirrors the TOML, `check_*` validates.
//!
//! The columns of `projects.csv`, with their units, bounds, examples and meanings, are declared
//! once in [`PROJECTS`]; the README's table is generated from it.

use super::bloc::{
    check_commodity, check_commodity_set, check_process, check_region_set, check_span, each,
    positive, share, BlocCtx,
};
use super::check::parse_period_label;
use super::csv_table::{opt, req, Bound, Cell, CsvTable, Schema};
use super::de::Located;
use super::tables::Refs;
use crate::model::*;
use crate::ScenarioError;
use bloc_units::ProcessId;
use serde::Deserialize;

/// `projects.csv`. The plant columns are read as in `processes.csv` ([`plant_cells`]), with
/// examples of a project's size.
///
/// [`plant_cells`]: super::tables::plant_cells
pub(crate) const PROJECTS: Schema = Schema {
    table: "projects",
    columns: &[
        req("id")
            .text("", "mp_10x_magnets")
            .doc("a planned process; not an id of `processes`"),
        req("region").text("", "USA").doc("as in `processes`"),
        req("output").text("", "ndfeb_magnet").doc("as in `processes`"),
        req("capacity_t_per_yr")
            .number("t/yr", Bound::AtLeast(0.0), "20000")
            .doc("as in `processes`"),
        req("unit_cost_usd_per_t")
            .number("USD/t", Bound::AtLeast(0.0), "30000")
            .doc("as in `processes`"),
        opt("cost_rise_usd_per_t")
            .number("USD/t", Bound::AtLeast(0.0), "300")
            .doc("as in `processes`"),
        req("capital_usd_per_t_per_yr")
            .number("USD/(t/yr)", Bound::AtLeast(0.0), "50000")
            .doc("capital cost per t/yr of capacity"),
        req("lead_time_yr")
            .number("yr", Bound::AtLeast(0.0), "2.5")
            .doc("from the decision to the first period online, rounded to whole periods (at least one period)"),
        opt("ramp_up_yr")
            .number("yr", Bound::AtLeast(0.0), "1")
            .doc("empty: 0; rounded to whole periods `n`: in its k-th period online (k = 0, 1, …) it has min(1, (k + 1)/n) of its capacity"),
        req("earliest_fid")
            .text("period", "2025Q3")
            .doc("first period it may decide; may lie before or after the horizon; a yearly run reads `2025Q3` as 2025"),
        opt("fid")
            .text("period", "2025Q3")
            .doc("a decision already taken (may lie before the run): it comes online at `fid` + lead time whatever the prices"),
        opt("after")
            .text("", "pilbara_p1000")
            .doc("another project of this table that must be online before this one may decide (a staged expansion); empty: none"),
        opt("life_yr")
            .number("yr", Bound::Above(0.0), "20")
            .doc("economic life (empty: `[investment] life_yr`)"),
        req("source").text("", "S08").doc("as in `processes`"),
    ],
};

/// Years → whole periods (nearest; a quarterly run rounds to the nearest quarter).
fn years_to_periods(years: f64, time: &TimeAxis) -> usize {
    (years / time.years_per_period()).round() as usize
}

/// A period cell that may lie before or after the horizon → periods from the start. A
/// project's dates are calendar facts, not tied to the run's step: a yearly run reads
/// `2025Q3` as its year, 2025.
fn check_any_period(cell: Cell, time: &TimeAxis) -> Result<i64, ScenarioError> {
    let p = match time.step {
        bloc_units::Step::Year => {
            let p = bloc_units::Period::parse(cell.text.trim())
                .map_err(|e| cell.error(format!("{e}; write a period as `2027` or `2027Q3`")))?;
            bloc_units::Period {
                year: p.year,
                quarter: 1,
            }
        }
        bloc_units::Step::Quarter => {
            parse_period_label(cell.text, time.step).map_err(|m| cell.error(m))?
        }
    };
    Ok(time.start.steps_to(p, time.step))
}

/// `projects.csv` → processes with their [`Project`] terms, after the existing processes
/// (whose ids they must not repeat).
pub(crate) fn check_projects(
    t: &CsvTable,
    refs: &Refs,
    time: &TimeAxis,
    existing: &[Process],
    processes_file: &str,
) -> Result<Vec<Process>, ScenarioError> {
    let mut out: Vec<Process> = Vec::new();
    // (project, its row) of every `after`, checked once all projects are read.
    let mut afters: Vec<(usize, usize)> = Vec::new();
    for (ri, row) in t.rows.iter().enumerate() {
        let idc = t.cell(row, "id");
        super::check::check_id_syntax(idc.text).map_err(|m| idc.error(m))?;
        if existing.iter().any(|p| p.id.as_str() == idc.text) {
            return Err(idc.error(format!(
                "project id `{}` is already a process in {processes_file}; give the project its own id",
                idc.text
            )));
        }
        if let Some(first) = out.iter().position(|p| p.id.as_str() == idc.text) {
            return Err(idc.error(format!(
                "project id `{}` is already defined on data row {}; give each project its own id",
                idc.text,
                first + 1
            )));
        }
        let plant = super::tables::plant_cells(t, row, refs)?;
        let capital = t.number(row, "capital_usd_per_t_per_yr")?;
        let lead = t.number(row, "lead_time_yr")?;
        let ramp = t.opt_number(row, "ramp_up_yr")?.unwrap_or(0.0);
        let life = t.opt_number(row, "life_yr")?;
        let efc = t.cell(row, "earliest_fid");
        if efc.is_empty() {
            return Err(efc.error(format!(
                "the cell is empty; write the first period the project may decide, as `{}`",
                time.label(0)
            )));
        }
        let earliest_fid = check_any_period(efc, time)?;
        let ac = t.cell(row, "after");
        let after = if ac.is_empty() {
            None
        } else {
            if ac.text == idc.text {
                return Err(ac.error(format!(
                    "project `{}` cannot wait for itself; name the project before it, or leave the cell empty",
                    idc.text
                )));
            }
            if existing.iter().any(|p| p.id.as_str() == ac.text) {
                return Err(ac.error(format!(
                    "`{}` is a process of {processes_file}, already in service; `after` names another project of this table, or is empty",
                    ac.text
                )));
            }
            afters.push((out.len(), ri));
            Some(ProcessId::from(ac.text))
        };
        let fc = t.cell(row, "fid");
        let fid = if fc.is_empty() {
            None
        } else {
            Some(check_any_period(fc, time)?)
        };
        out.push(Process {
            id: ProcessId::from(idc.text),
            region: plant.region,
            output: plant.output,
            capacity: plant.capacity,
            unit_cost: plant.unit_cost,
            cost_rise: plant.cost_rise,
            online: None,
            offline: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            project: Some(Project {
                capital_usd_per_t_per_yr: capital,
                lead_periods: years_to_periods(lead, time),
                ramp_periods: years_to_periods(ramp, time),
                earliest_fid,
                fid,
                life_yr: life,
                after,
            }),
        });
    }
    check_afters(t, &out, &afters)?;
    Ok(out)
}

/// Every `after` names a project of the table, and no chain of them comes back to where it
/// started (those projects would wait on each other for ever).
fn check_afters(
    t: &CsvTable,
    out: &[Process],
    afters: &[(usize, usize)],
) -> Result<(), ScenarioError> {
    let index = |id: &str| out.iter().position(|p| p.id.as_str() == id);
    for &(i, ri) in afters {
        let cell = t.cell(&t.rows[ri], "after");
        if index(cell.text).is_none() {
            return Err(cell.error(format!(
                "`{}` is not a project of this table; name one of its ids, or leave the cell empty",
                cell.text
            )));
        }
        // Follow the chain: it must end within as many steps as there are projects.
        let mut at = i;
        for _ in 0..=out.len() {
            let next = out[at]
                .project
                .as_ref()
                .and_then(|pr| pr.after.as_ref())
                .and_then(|a| index(a.as_str()));
            match next {
                None => break,
                Some(n) if n == i => {
                    return Err(cell.error(format!(
                        "project `{}` waits, through `after`, on a project that waits on it; break the cycle",
                        out[i].id
                    )));
                }
                Some(n) => at = n,
            }
        }
    }
    Ok(())
}

/// `[investment]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvestmentRaw {
    pub discount_rate: Option<Located<f64>>,
    pub life_yr: Option<Located<f64>>,
    pub expected_price: Option<Located<String>>,
    pub trailing_periods: Option<Located<i64>>,
    pub foresight_yr: Option<Located<f64>>,
}

/// `[closures]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClosuresRaw {
    pub after_periods: Located<i64>,
    pub restart_after_periods: Option<Located<i64>>,
}

/// One `[[demand_growth]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemandGrowthRaw {
    pub name: Option<Located<String>>,
    pub regions: Located<Vec<Located<String>>>,
    pub commodities: Located<Vec<Located<String>>>,
    pub per_yr: Located<f64>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// One `[[bloc.capital_grant]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapitalGrantRaw {
    pub projects: Option<Located<Vec<Located<String>>>>,
    pub share: Located<f64>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// A whole number of periods in `lo..=hi`.
fn periods_in(
    v: &Located<i64>,
    lo: i64,
    what: &str,
    example: &str,
) -> Result<usize, ScenarioError> {
    if v.value < lo || v.value > 10_000 {
        return Err(v.error(format!(
            "{what} = {} is out of range; write a whole number of periods of at least {lo}, as `{example}`",
            v.value
        )));
    }
    Ok(v.value as usize)
}

/// `[investment]` → [`Investment`] (defaults for what is absent).
pub(crate) fn check_investment(raw: Option<&InvestmentRaw>) -> Result<Investment, ScenarioError> {
    let mut inv = Investment::default();
    let Some(raw) = raw else { return Ok(inv) };
    if let Some(r) = &raw.discount_rate {
        if !(r.value.is_finite() && (0.0..1.0).contains(&r.value)) {
            return Err(r.error(format!(
                "discount_rate = {} is out of range; write a fraction per year from 0 to below 1, as `discount_rate = 0.08`",
                r.value
            )));
        }
        inv.discount_rate = r.value;
    }
    if let Some(l) = &raw.life_yr {
        inv.life_yr = positive(l, "life_yr", "life_yr = 20")?;
    }
    let periods = match &raw.trailing_periods {
        Some(n) => periods_in(n, 1, "trailing_periods", "trailing_periods = 4")?,
        None => 4,
    };
    if let Some(e) = &raw.expected_price {
        if e.value.trim() != "trailing" {
            return Err(e.error(format!(
                "`{}` is not an expected-price rule; write `expected_price = \"trailing\"` (the mean of the project's regional price over `trailing_periods`)",
                e.value
            )));
        }
    }
    inv.expected_price = ExpectedPrice::Trailing { periods };
    if let Some(f) = &raw.foresight_yr {
        if !(f.value.is_finite() && (0.0..=10.0).contains(&f.value)) {
            return Err(f.error(format!(
                "foresight_yr = {} is out of range; write the years ahead investors look, from 0 (none) to 10, as `foresight_yr = 2`",
                f.value
            )));
        }
        inv.foresight_yr = f.value;
    }
    Ok(inv)
}

/// `[closures]` → [`Closures`].
pub(crate) fn check_closures(raw: Option<&ClosuresRaw>) -> Result<Option<Closures>, ScenarioError> {
    let Some(raw) = raw else { return Ok(None) };
    Ok(Some(Closures {
        after_periods: periods_in(&raw.after_periods, 1, "after_periods", "after_periods = 4")?,
        restart_after_periods: match &raw.restart_after_periods {
            Some(r) => periods_in(r, 0, "restart_after_periods", "restart_after_periods = 2")?,
            None => 0,
        },
    }))
}

/// One `[[demand_growth]]`.
pub(crate) fn check_demand_growth(
    x: &Located<DemandGrowthRaw>,
    ctx: &BlocCtx,
) -> Result<DemandGrowth, ScenarioError> {
    let raw = &x.value;
    let g = &raw.per_yr;
    if !(g.value.is_finite() && g.value > -1.0 && g.value <= 10.0) {
        return Err(g.error(format!(
            "per_yr = {} is out of range; write a growth rate per year above -1, as `per_yr = 0.12` for 12%",
            g.value
        )));
    }
    Ok(DemandGrowth {
        name: raw
            .name
            .as_ref()
            .map(|n| n.value.trim().to_string())
            .unwrap_or_default(),
        regions: check_region_set(&raw.regions, ctx)?,
        commodities: check_commodity_set(&raw.commodities, ctx)?,
        per_yr: g.value,
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// Every `[[demand_growth]]`.
pub(crate) fn check_demand_growths(
    raw: &Option<Vec<Located<DemandGrowthRaw>>>,
    ctx: &BlocCtx,
) -> Result<Vec<DemandGrowth>, ScenarioError> {
    each(raw, |x| check_demand_growth(x, ctx))
}

/// One `[[bloc.capital_grant]]`: its projects must be projects (rows of `projects.csv`).
pub(crate) fn check_capital_grant(
    x: &Located<CapitalGrantRaw>,
    ctx: &BlocCtx,
) -> Result<CapitalGrant, ScenarioError> {
    let raw = &x.value;
    let mut projects = Vec::new();
    if let Some(list) = &raw.projects {
        for p in &list.value {
            let i = check_process(p, ctx)?;
            if ctx.processes[i].project.is_none() {
                return Err(p.error(format!(
                    "`{}` is an existing process, not a project; a capital grant pays towards projects in projects.csv",
                    p.value
                )));
            }
            projects.push(ctx.processes[i].id.clone());
        }
    }
    Ok(CapitalGrant {
        projects,
        share: share(&raw.share, "share", "share = 0.3")?,
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// One `[[recycling]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecyclingRaw {
    pub name: Located<String>,
    pub product: Located<String>,
    pub recovered: Located<String>,
    pub region: Option<Located<String>>,
    #[serde(rename = "yield")]
    pub yield_t_per_t: Located<f64>,
    pub collection: Located<f64>,
    pub lag_yr: Located<f64>,
    pub unit_cost_usd_per_t: Located<f64>,
    pub cost_rise_usd_per_t: Option<Located<f64>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// The longest collection lag accepted (years): a product's life is decades at most.
pub(crate) const MAX_RECYCLING_LAG_YR: f64 = 50.0;

/// One `[[recycling]]`.
pub(crate) fn check_recycling(
    x: &Located<RecyclingRaw>,
    ctx: &BlocCtx,
) -> Result<Recycling, ScenarioError> {
    let raw = &x.value;
    let name = raw.name.value.trim();
    if name.is_empty() {
        return Err(raw
            .name
            .error("the name is empty; name the stream, as `name = \"magnet-scrap\"`"));
    }
    let product = check_commodity(&raw.product, ctx)?;
    let recovered = check_commodity(&raw.recovered, ctx)?;
    if product == recovered {
        return Err(raw.recovered.error(format!(
            "`{recovered}` is also the product; recycling recovers another commodity from it, as `recovered = \"ndpr_oxide\"` from `product = \"ndfeb_magnet\"`"
        )));
    }
    let region = match &raw.region {
        None => None,
        Some(r) if r.value.trim() == "*" => None,
        Some(r) => Some(super::bloc::check_region(r, ctx)?),
    };
    let lag = &raw.lag_yr;
    if !(lag.value.is_finite() && (0.0..=MAX_RECYCLING_LAG_YR).contains(&lag.value)) {
        return Err(lag.error(format!(
            "lag_yr = {} is out of range; write the years from consumption to collection, from 0 to {MAX_RECYCLING_LAG_YR}, as `lag_yr = 12`",
            lag.value
        )));
    }
    let cost = super::bloc::non_negative(
        &raw.unit_cost_usd_per_t,
        "unit_cost_usd_per_t",
        "unit_cost_usd_per_t = 30000",
    )?;
    let rise = match &raw.cost_rise_usd_per_t {
        Some(v) => {
            super::bloc::non_negative(v, "cost_rise_usd_per_t", "cost_rise_usd_per_t = 3000")?
        }
        None => (cost * Process::DEFAULT_COST_RISE_SHARE).max(Process::MIN_COST_RISE),
    };
    Ok(Recycling {
        name: name.to_string(),
        product,
        recovered,
        region,
        yield_t_per_t: share(&raw.yield_t_per_t, "yield", "yield = 0.9")?,
        collection: share(&raw.collection, "collection", "collection = 0.3")?,
        lag_yr: lag.value,
        unit_cost: bloc_units::UsdPerTonne(cost),
        cost_rise: bloc_units::UsdPerTonne(rise),
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// Every `[[recycling]]`; names are unique.
pub(crate) fn check_recyclings(
    raw: &Option<Vec<Located<RecyclingRaw>>>,
    ctx: &BlocCtx,
) -> Result<Vec<Recycling>, ScenarioError> {
    let all = each(raw, |x| check_recycling(x, ctx))?;
    for (j, r) in all.iter().enumerate() {
        if let Some(i) = all[..j].iter().position(|q| q.name == r.name) {
            let list = raw.as_deref().unwrap_or_default();
            return Err(list[j].value.name.error(format!(
                "recycling `{}` is named twice (first on line {}); give each stream its own name",
                r.name, list[i].at.line
            )));
        }
    }
    Ok(all)
}
