//! `[bloc]`: membership and the instruments of design §2, read from the merged scenario TOML.
//!
//! Each instrument has a `…Raw` type that mirrors its TOML exactly (`deny_unknown_fields`, so
//! a misspelt key is an error at its line) and a `check_*` function that validates it into
//! the domain type of [`crate::policy`]. To add an instrument: add a field to [`BlocRaw`]
//! (an `Option<…>` or `Option<Vec<Located<…>>>` for an array of tables), its `…Raw` type,
//! a `check_*` function, and one line in [`check_bloc`]. Every value that a message may
//! point at is a [`Located`], which carries the file, line and key path where it was written
//! (through `extends`, that may be a parent file).

use super::check::{check_period, Edge, Known};
use super::de::{At, Located};
use crate::model::TimeAxis;
use crate::policy::*;
use crate::ScenarioError;
use bloc_units::{CommodityId, RegionId, UsdPerTonne};
use serde::Deserialize;

/// `[bloc]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BlocRaw {
    /// `name = "club"`.
    pub name: Option<Located<String>>,
    /// `members = [{ region = "USA", from = "2026Q1", to = "2030Q1" }]`.
    pub members: Option<Vec<Located<MemberRaw>>>,
    /// `[[bloc.floor]]`.
    pub floor: Option<Vec<Located<FloorRaw>>>,
    /// `[[bloc.framework]]`.
    pub framework: Option<Vec<Located<FrameworkRaw>>>,
    /// `[[bloc.stockpile]]`.
    pub stockpile: Option<Vec<Located<StockpileRaw>>>,
    /// `[[bloc.guarantee]]`.
    pub guarantee: Option<Vec<Located<GuaranteeRaw>>>,
    /// `[[bloc.subsidy]]`.
    pub subsidy: Option<Vec<Located<SubsidyRaw>>>,
    /// `[[bloc.capital_grant]]`.
    pub capital_grant: Option<Vec<Located<super::dynamics::CapitalGrantRaw>>>,
    /// `[[bloc.standard]]`.
    pub standard: Option<Vec<Located<StandardRaw>>>,
}

/// One `[[bloc.framework]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FrameworkRaw {
    pub name: Option<Located<String>>,
    pub regions: Located<Vec<Located<String>>>,
    pub commodities: Located<Vec<Located<String>>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// A trigger price: `{ usd_per_t = 50000 }` or `{ floor_ratio = 1.0 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TriggerRaw {
    pub usd_per_t: Option<Located<f64>>,
    pub floor_ratio: Option<Located<f64>>,
}

/// One `[[bloc.stockpile]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StockpileRaw {
    pub name: Located<String>,
    pub region: Located<String>,
    pub commodities: Located<Vec<Located<String>>>,
    pub budget_usd: Located<f64>,
    pub max_inventory_t: Located<f64>,
    pub initial_inventory_t: Option<Located<f64>>,
    pub buy_below: Option<Located<TriggerRaw>>,
    pub release_above: Option<Located<TriggerRaw>>,
    pub release_on_shortage: Option<Located<bool>>,
    pub max_buy_t_per_period: Option<Located<f64>>,
    pub max_release_t_per_period: Option<Located<f64>>,
    pub storage_usd_per_t_yr: Option<Located<f64>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// One `[[bloc.guarantee]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GuaranteeRaw {
    pub process: Located<String>,
    pub strike_usd_per_t: Located<f64>,
    pub volume_t_per_yr: Located<f64>,
    pub mode: Option<Located<String>>,
    pub stockpile: Option<Located<String>>,
    pub upside_share: Option<Located<f64>>,
    pub upside_above_usd_per_t: Option<Located<f64>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// One `[[bloc.standard]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StandardRaw {
    pub name: Option<Located<String>>,
    pub commodities: Located<Vec<Located<String>>>,
    pub certified: Located<Vec<Located<String>>>,
    pub uncertified: Located<String>,
    pub compliance_usd_per_t: Option<Located<f64>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// One `[[bloc.subsidy]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubsidyRaw {
    pub processes: Located<Vec<Located<String>>>,
    pub usd_per_t: Located<f64>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// One entry of `members`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberRaw {
    pub region: Located<String>,
    pub from: Located<String>,
    pub to: Option<Located<String>>,
}

/// One `[[bloc.floor]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FloorRaw {
    pub commodity: Located<String>,
    pub reference: Located<ReferenceRaw>,
    pub ratio: Option<Located<f64>>,
    pub levy: Option<Located<LevyRaw>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// `reference = { fixed_usd_per_t = 45 }`: exactly one rule. (Cost- and index-based rules
/// will be further optional keys here; [`check_reference`] insists on exactly one.)
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReferenceRaw {
    pub fixed_usd_per_t: Option<Located<f64>>,
    pub cost_based: Option<Located<CostBasedRaw>>,
    pub index: Option<Located<IndexRaw>>,
}

/// `cost_based = { percentile = 0.75, margin = 0.1 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CostBasedRaw {
    pub percentile: Located<f64>,
    pub margin: Option<Located<f64>>,
}

/// `index = { periods = 4, initial_usd_per_t = 50000 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndexRaw {
    pub periods: Located<i64>,
    pub initial_usd_per_t: Option<Located<f64>>,
}

/// `levy = { lag = 0, every = 1, cap_usd_per_t = 1000 }` (each key optional).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LevyRaw {
    pub lag: Option<Located<i64>>,
    pub every: Option<Located<i64>>,
    pub cap_usd_per_t: Option<Located<f64>>,
}

/// What the bloc checks need to know about the rest of the scenario.
#[derive(Debug)]
pub(crate) struct BlocCtx<'a> {
    pub time: &'a TimeAxis,
    pub regions: &'a Known,
    pub commodities: &'a Known,
    pub processes: &'a [crate::model::Process],
}

/// `[bloc]` → [`BlocConfig`]. No `[bloc]` is no bloc.
pub(crate) fn check_bloc(
    raw: Option<&BlocRaw>,
    ctx: &BlocCtx,
) -> Result<BlocConfig, ScenarioError> {
    let Some(raw) = raw else {
        return Ok(BlocConfig::default());
    };
    let name = raw
        .name
        .as_ref()
        .map(|n| n.value.trim().to_string())
        .unwrap_or_default();
    let members_raw = raw.members.as_deref().unwrap_or_default();
    let members = members_raw
        .iter()
        .map(|m| check_member(m, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    check_member_overlap(members_raw, &members)?;
    let floors_raw = raw.floor.as_deref().unwrap_or_default();
    let floors = floors_raw
        .iter()
        .map(|f| check_floor(f, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    check_floor_overlap(floors_raw, &floors)?;
    let frameworks = each(&raw.framework, |f| check_framework(f, ctx))?;
    let stockpiles_raw = raw.stockpile.as_deref().unwrap_or_default();
    let stockpiles = each(&raw.stockpile, |x| check_stockpile(x, ctx))?;
    check_unique_names(stockpiles_raw, &stockpiles)?;
    let guarantees = each(&raw.guarantee, |g| check_guarantee(g, ctx, &stockpiles))?;
    let subsidies = each(&raw.subsidy, |x| check_subsidy(x, ctx))?;
    let capital_grants = each(&raw.capital_grant, |x| {
        super::dynamics::check_capital_grant(x, ctx)
    })?;
    let standards = each(&raw.standard, |x| check_standard(x, ctx))?;
    Ok(BlocConfig {
        name,
        members,
        floors,
        frameworks,
        stockpiles,
        guarantees,
        subsidies,
        capital_grants,
        standards,
    })
}

/// Checks every entry of an optional array of tables.
pub(crate) fn each<R, T>(
    raw: &Option<Vec<Located<R>>>,
    f: impl Fn(&Located<R>) -> Result<T, ScenarioError>,
) -> Result<Vec<T>, ScenarioError> {
    raw.as_deref().unwrap_or_default().iter().map(f).collect()
}

/// A finite number ≥ 0.
pub(crate) fn non_negative(
    v: &Located<f64>,
    what: &str,
    example: &str,
) -> Result<f64, ScenarioError> {
    if v.value.is_nan() || v.value < 0.0 || !v.value.is_finite() {
        return Err(v.error(format!(
            "{what} must be a number of 0 or more, not {}; as `{example}`",
            v.value
        )));
    }
    Ok(v.value)
}

/// A finite number > 0.
pub(crate) fn positive(v: &Located<f64>, what: &str, example: &str) -> Result<f64, ScenarioError> {
    if v.value.is_nan() || v.value <= 0.0 || !v.value.is_finite() {
        return Err(v.error(format!(
            "{what} must be greater than 0, not {}; as `{example}`",
            v.value
        )));
    }
    Ok(v.value)
}

/// A share in (0, 1].
pub(crate) fn share(v: &Located<f64>, what: &str, example: &str) -> Result<f64, ScenarioError> {
    if v.value.is_nan() || v.value <= 0.0 || v.value > 1.0 {
        return Err(v.error(format!(
            "{what} must lie in (0, 1], not {}; as `{example}`",
            v.value
        )));
    }
    Ok(v.value)
}

/// `["*"]` or commodity ids.
pub(crate) fn check_commodity_set(
    v: &Located<Vec<Located<String>>>,
    ctx: &BlocCtx,
) -> Result<CommoditySet, ScenarioError> {
    if v.value.is_empty() {
        return Err(v.error("the list is empty; name commodities, as `[\"ndpr_oxide\"]`, or write `[\"*\"]` for all"));
    }
    if v.value.iter().any(|c| c.value == "*") {
        return Ok(CommoditySet::All);
    }
    Ok(CommoditySet::Named(
        v.value
            .iter()
            .map(|c| check_commodity(c, ctx))
            .collect::<Result<_, _>>()?,
    ))
}

/// `["*"]`, `["members"]`, `["non_members"]` or region ids.
pub(crate) fn check_region_set(
    v: &Located<Vec<Located<String>>>,
    ctx: &BlocCtx,
) -> Result<RegionSet, ScenarioError> {
    if v.value.is_empty() {
        return Err(v.error("the list is empty; name regions, as `[\"USA\", \"JPN\"]`, or write `[\"*\"]`, `[\"members\"]` or `[\"non_members\"]`"));
    }
    let words: Vec<&str> = v.value.iter().map(|r| r.value.as_str()).collect();
    for (w, set) in [
        ("*", RegionSet::All),
        ("members", RegionSet::Members),
        ("non_members", RegionSet::NonMembers),
    ] {
        if words.contains(&w) {
            if words.len() > 1 {
                return Err(v.error(format!(
                    "`{w}` stands alone; write `[\"{w}\"]` or a list of region ids"
                )));
            }
            return Ok(set);
        }
    }
    Ok(RegionSet::Named(
        v.value
            .iter()
            .map(|r| check_region(r, ctx))
            .collect::<Result<_, _>>()?,
    ))
}

/// A process id that must exist; its index.
pub(crate) fn check_process(id: &Located<String>, ctx: &BlocCtx) -> Result<usize, ScenarioError> {
    ctx.processes
        .iter()
        .position(|p| p.id.as_str() == id.value)
        .ok_or_else(|| {
            let few: Vec<&str> = ctx
                .processes
                .iter()
                .take(8)
                .map(|p| p.id.as_str())
                .collect();
            id.error(format!(
                "there is no process `{}` in processes.csv{}",
                id.value,
                if ctx.processes.len() <= 8 {
                    format!("; there are: {}", few.join(", "))
                } else {
                    String::new()
                }
            ))
        })
}

/// One framework.
pub(crate) fn check_framework(
    f: &Located<FrameworkRaw>,
    ctx: &BlocCtx,
) -> Result<Framework, ScenarioError> {
    let raw = &f.value;
    let regions: Vec<RegionId> = raw
        .regions
        .value
        .iter()
        .map(|r| check_region(r, ctx))
        .collect::<Result<_, _>>()?;
    if regions.len() < 2 {
        return Err(raw
            .regions
            .error("a framework needs two or more regions, as `regions = [\"USA\", \"ARG\"]`"));
    }
    Ok(Framework {
        name: raw
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_else(|| {
                regions
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join("-")
            }),
        regions,
        commodities: check_commodity_set(&raw.commodities, ctx)?,
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// A trigger: exactly one of `usd_per_t` and `floor_ratio`.
pub(crate) fn check_trigger(t: &Located<TriggerRaw>) -> Result<PriceTrigger, ScenarioError> {
    match (&t.value.usd_per_t, &t.value.floor_ratio) {
        (Some(v), None) => Ok(PriceTrigger::Fixed(UsdPerTonne(positive(v, "a trigger price", "usd_per_t = 50000")?))),
        (None, Some(k)) => Ok(PriceTrigger::Floor(positive(k, "a floor ratio", "floor_ratio = 1.0")?)),
        _ => Err(t.error("write exactly one of `usd_per_t` (a price) and `floor_ratio` (a multiple of the floor in force), as `{ floor_ratio = 1.0 }`")),
    }
}

/// One stockpile.
pub(crate) fn check_stockpile(
    x: &Located<StockpileRaw>,
    ctx: &BlocCtx,
) -> Result<Stockpile, ScenarioError> {
    let raw = &x.value;
    let commodities = stockpile_commodities(raw, ctx)?;
    let max_inventory = non_negative(
        &raw.max_inventory_t,
        "max_inventory_t",
        "max_inventory_t = 5000",
    )?;
    let initial = match &raw.initial_inventory_t {
        Some(v) => {
            let i = non_negative(v, "initial_inventory_t", "initial_inventory_t = 0")?;
            if i > max_inventory {
                return Err(v.error(format!(
                    "initial_inventory_t {i} is above max_inventory_t {max_inventory}"
                )));
            }
            i
        }
        None => 0.0,
    };
    let (buy_below, release_above) = stockpile_triggers(x)?;
    let rate =
        |v: &Option<Located<f64>>, what: &str, example: &str| -> Result<f64, ScenarioError> {
            v.as_ref()
                .map(|v| non_negative(v, what, example))
                .transpose()
                .map(|v| v.unwrap_or(f64::INFINITY))
        };
    Ok(Stockpile {
        name: raw.name.value.trim().to_string(),
        region: check_region(&raw.region, ctx)?,
        commodities,
        budget: bloc_units::Usd(non_negative(
            &raw.budget_usd,
            "budget_usd",
            "budget_usd = 10e9",
        )?),
        max_inventory: bloc_units::Tonnes(max_inventory),
        initial_inventory: bloc_units::Tonnes(initial),
        buy_below,
        release_above,
        release_on_shortage: raw.release_on_shortage.as_ref().is_some_and(|b| b.value),
        max_buy_per_period: bloc_units::Tonnes(rate(
            &raw.max_buy_t_per_period,
            "max_buy_t_per_period",
            "max_buy_t_per_period = 500",
        )?),
        max_release_per_period: bloc_units::Tonnes(rate(
            &raw.max_release_t_per_period,
            "max_release_t_per_period",
            "max_release_t_per_period = 500",
        )?),
        storage_cost_per_t_yr: UsdPerTonne(
            raw.storage_usd_per_t_yr
                .as_ref()
                .map(|v| non_negative(v, "storage_usd_per_t_yr", "storage_usd_per_t_yr = 100"))
                .transpose()?
                .unwrap_or(0.0),
        ),
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// A stockpile's commodities: known, at least one, each once.
fn stockpile_commodities(
    raw: &StockpileRaw,
    ctx: &BlocCtx,
) -> Result<Vec<CommodityId>, ScenarioError> {
    let commodities: Vec<CommodityId> = raw
        .commodities
        .value
        .iter()
        .map(|c| check_commodity(c, ctx))
        .collect::<Result<_, _>>()?;
    if commodities.is_empty() {
        return Err(raw.commodities.error(
            "a stockpile holds at least one commodity, as `commodities = [\"ndpr_oxide\"]`",
        ));
    }
    for (i, c) in raw.commodities.value.iter().enumerate() {
        if raw.commodities.value[..i]
            .iter()
            .any(|d| d.value == c.value)
        {
            return Err(c.error(format!(
                "`{}` is listed twice in the stockpile's commodities; name each commodity once",
                c.value
            )));
        }
    }
    Ok(commodities)
}

/// `buy_below` (by default the floor) and `release_above`; two fixed prices must leave the
/// stockpile a band between buying and selling.
fn stockpile_triggers(
    x: &Located<StockpileRaw>,
) -> Result<(PriceTrigger, Option<PriceTrigger>), ScenarioError> {
    let raw = &x.value;
    let buy_below = match &raw.buy_below {
        Some(t) => check_trigger(t)?,
        None => PriceTrigger::Floor(1.0),
    };
    let release_above = raw.release_above.as_ref().map(check_trigger).transpose()?;
    if let (PriceTrigger::Fixed(b), Some(PriceTrigger::Fixed(r))) = (&buy_below, &release_above) {
        if b.0 >= r.0 {
            let at = raw
                .release_above
                .as_ref()
                .map(|r| r.error(""))
                .unwrap_or_else(|| x.error(""));
            return Err(match at {
                ScenarioError::Invalid { at, .. } => ScenarioError::Invalid {
                    at,
                    message: format!("release_above ({}) must be above buy_below ({}), or the stockpile would sell what it buys", r.0, b.0),
                },
                other => other,
            });
        }
    }
    Ok((buy_below, release_above))
}

/// Stockpile names are unique and not empty.
pub(crate) fn check_unique_names(
    raw: &[Located<StockpileRaw>],
    all: &[Stockpile],
) -> Result<(), ScenarioError> {
    for (j, b) in all.iter().enumerate() {
        if b.name.is_empty() {
            return Err(raw[j]
                .value
                .name
                .error("the stockpile has no name; write one, as `name = \"vault\"`"));
        }
        if let Some(i) = all[..j].iter().position(|a| a.name == b.name) {
            let here = &raw[j].value.name;
            return Err(here.error(format!(
                "a stockpile named `{}` already exists ({}); give each its own name",
                b.name,
                where_else(&raw[i].value.name.at, &here.at)
            )));
        }
    }
    Ok(())
}

/// One guarantee.
pub(crate) fn check_guarantee(
    g: &Located<GuaranteeRaw>,
    ctx: &BlocCtx,
    stockpiles: &[Stockpile],
) -> Result<Guarantee, ScenarioError> {
    let raw = &g.value;
    let p = check_process(&raw.process, ctx)?;
    let mode = match raw.mode.as_ref().map(|m| m.value.as_str()) {
        None | Some("top_up") => {
            // A top-up is paid by the state, not bought into a stockpile: a `stockpile`
            // here would be silently ignored, so it is refused (and a misspelt name with it).
            if let Some(name) = &raw.stockpile {
                let exists = stockpiles.iter().any(|s| s.name == name.value);
                return Err(name.error(if exists {
                    format!(
                        "a `top_up` guarantee is paid by the state and buys nothing into stockpile `{}`; remove `stockpile`, or write `mode = \"purchase\"`",
                        name.value
                    )
                } else {
                    format!(
                        "there is no stockpile `{}`, and a `top_up` guarantee names none; remove `stockpile`, or declare it with [[bloc.stockpile]] and write `mode = \"purchase\"`",
                        name.value
                    )
                }));
            }
            GuaranteeMode::TopUp
        }
        Some("purchase") => {
            let Some(name) = &raw.stockpile else {
                return Err(g.error("a `purchase` guarantee names the stockpile that buys, as `stockpile = \"vault\"`"));
            };
            let Some(st) = stockpiles.iter().find(|s| s.name == name.value) else {
                return Err(name.error(format!(
                    "there is no stockpile `{}`; declare it with [[bloc.stockpile]]",
                    name.value
                )));
            };
            let out = &ctx.processes[p].output;
            if !st.commodities.contains(out) {
                return Err(name.error(format!("stockpile `{}` does not hold `{out}`, what process `{}` makes; add it to its commodities", st.name, raw.process.value)));
            }
            GuaranteeMode::Purchase {
                stockpile: name.value.clone(),
            }
        }
        Some(other) => {
            let m = raw.mode.as_ref().expect("matched Some");
            return Err(m.error(format!("`{other}` is not a guarantee mode; write `mode = \"top_up\"` or `mode = \"purchase\"`")));
        }
    };
    let strike = positive(
        &raw.strike_usd_per_t,
        "strike_usd_per_t",
        "strike_usd_per_t = 110000",
    )?;
    let upside = match (&raw.upside_share, &raw.upside_above_usd_per_t) {
        (None, None) => None,
        (None, Some(a)) => {
            return Err(a.error(
                "`upside_above_usd_per_t` needs `upside_share`, the share of the market above it the state receives, as `upside_share = 0.3`",
            ))
        }
        (Some(sh), above) => {
            if !matches!(mode, GuaranteeMode::TopUp) {
                return Err(sh.error(
                    "`upside_share` makes a top-up two-sided; a `purchase` guarantee buys at the strike and has no upside to share: remove it, or write `mode = \"top_up\"`",
                ));
            }
            let share = share(sh, "upside_share", "upside_share = 0.3")?;
            let above = match above {
                None => strike,
                Some(a) => {
                    let v = positive(a, "upside_above_usd_per_t", "upside_above_usd_per_t = 150000")?;
                    if v < strike {
                        return Err(a.error(format!(
                            "upside_above_usd_per_t ({v}) is below the strike ({strike}): the state would both pay and receive between them; give {strike} or more, or leave it out (it is then the strike)"
                        )));
                    }
                    v
                }
            };
            Some(Upside {
                share,
                above: UsdPerTonne(above),
            })
        }
    };
    Ok(Guarantee {
        process: ctx.processes[p].id.clone(),
        strike: UsdPerTonne(strike),
        volume: bloc_units::TonnesPerYear(non_negative(
            &raw.volume_t_per_yr,
            "volume_t_per_yr",
            "volume_t_per_yr = 1000",
        )?),
        mode,
        upside,
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// One market standard.
pub(crate) fn check_standard(
    x: &Located<StandardRaw>,
    ctx: &BlocCtx,
) -> Result<MarketStandard, ScenarioError> {
    let raw = &x.value;
    let certified = raw
        .certified
        .value
        .iter()
        .map(|r| check_region(r, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    let uncertified = match raw.uncertified.value.trim() {
        "non_member" => {
            if let Some(c) = &raw.compliance_usd_per_t {
                return Err(c.error(
                    "`compliance_usd_per_t` goes with `uncertified = \"compliance_cost\"`; remove it, or change `uncertified`",
                ));
            }
            Uncertified::NonMember
        }
        "compliance_cost" => match &raw.compliance_usd_per_t {
            Some(c) => Uncertified::ComplianceCost(UsdPerTonne(non_negative(
                c,
                "compliance_usd_per_t",
                "compliance_usd_per_t = 500",
            )?)),
            None => {
                return Err(x.error(
                    "`uncertified = \"compliance_cost\"` needs `compliance_usd_per_t`, the cost per tonne an uncertified origin pays, as `compliance_usd_per_t = 500`",
                ))
            }
        },
        other => {
            return Err(raw.uncertified.error(format!(
                "`{other}` is not a treatment; write `uncertified = \"non_member\"` (treated as a non-member's goods) or `uncertified = \"compliance_cost\"` (with `compliance_usd_per_t`)"
            )))
        }
    };
    Ok(MarketStandard {
        name: raw
            .name
            .as_ref()
            .map(|n| n.value.trim().to_string())
            .unwrap_or_default(),
        commodities: check_commodity_set(&raw.commodities, ctx)?,
        certified,
        uncertified,
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// One production subsidy.
pub(crate) fn check_subsidy(
    x: &Located<SubsidyRaw>,
    ctx: &BlocCtx,
) -> Result<ProductionSubsidy, ScenarioError> {
    let raw = &x.value;
    if raw.processes.value.is_empty() {
        return Err(raw
            .processes
            .error("name the subsidised processes, as `processes = [\"usa_separation\"]`"));
    }
    let processes = raw
        .processes
        .value
        .iter()
        .map(|p| check_process(p, ctx).map(|i| ctx.processes[i].id.clone()))
        .collect::<Result<_, _>>()?;
    Ok(ProductionSubsidy {
        processes,
        per_t: UsdPerTonne(non_negative(
            &raw.usd_per_t,
            "usd_per_t",
            "usd_per_t = 5000",
        )?),
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
    })
}

/// A region id that must exist.
pub(crate) fn check_region(id: &Located<String>, ctx: &BlocCtx) -> Result<RegionId, ScenarioError> {
    ctx.regions.check(&id.value).map_err(|m| id.error(m))?;
    Ok(RegionId::from(id.value.as_str()))
}

/// A commodity id that must exist.
pub(crate) fn check_commodity(
    id: &Located<String>,
    ctx: &BlocCtx,
) -> Result<CommodityId, ScenarioError> {
    ctx.commodities.check(&id.value).map_err(|m| id.error(m))?;
    Ok(CommodityId::from(id.value.as_str()))
}

/// `from`/`to` labels → a span of the horizon; `from` before `to`.
pub(crate) fn check_span(
    from: Option<&Located<String>>,
    to: Option<&Located<String>>,
    time: &TimeAxis,
) -> Result<Span, ScenarioError> {
    let start = match from {
        Some(f) => check_period(&f.value, time, Edge::Start).map_err(|m| f.error(m))?,
        None => 0,
    };
    let end = match to {
        Some(t) => Some(check_period(&t.value, time, Edge::End).map_err(|m| t.error(m))?),
        None => None,
    };
    if let (Some(end), Some(t)) = (end, to) {
        if end <= start {
            let from_text = from.map_or_else(|| time.label(0), |f| f.value.clone());
            return Err(t.error(format!(
                "`to = \"{}\"` is not after `from = \"{from_text}\"`; `to` is the first period no longer covered, so it must come after `from`",
                t.value,
            )));
        }
    }
    Ok(Span {
        from: start,
        to: end,
    })
}

/// One member.
pub(crate) fn check_member(
    m: &Located<MemberRaw>,
    ctx: &BlocCtx,
) -> Result<Membership, ScenarioError> {
    let raw = &m.value;
    Ok(Membership {
        region: check_region(&raw.region, ctx)?,
        span: check_span(Some(&raw.from), raw.to.as_ref(), ctx.time)?,
    })
}

/// `line 12` in the same file, else `base.toml:12`.
fn where_else(other: &At, here: &At) -> String {
    if other.file == here.file {
        format!("line {}", other.line)
    } else {
        format!("{}:{}", other.file.display(), other.line)
    }
}

fn overlaps(a: &Span, b: &Span) -> bool {
    let before = |x: &Span, y: &Span| x.to.is_some_and(|to| to <= y.from);
    !(before(a, b) || before(b, a))
}

/// A region listed twice must have disjoint dates.
pub(crate) fn check_member_overlap(
    raw: &[Located<MemberRaw>],
    members: &[Membership],
) -> Result<(), ScenarioError> {
    for (j, b) in members.iter().enumerate() {
        for (i, a) in members[..j].iter().enumerate() {
            if a.region == b.region && overlaps(&a.span, &b.span) {
                let here = &raw[j].value.region;
                return Err(here.error(format!(
                    "region `{}` is already a member over some of these periods ({}); give each stint its own dates that do not overlap",
                    b.region,
                    where_else(&raw[i].value.region.at, &here.at)
                )));
            }
        }
    }
    Ok(())
}

/// One floor.
pub(crate) fn check_floor(
    f: &Located<FloorRaw>,
    ctx: &BlocCtx,
) -> Result<FloorRule, ScenarioError> {
    let raw = &f.value;
    let commodity = check_commodity(&raw.commodity, ctx)?;
    let reference = check_reference(&raw.reference)?;
    let ratio = match &raw.ratio {
        Some(r) if r.value <= 0.0 => {
            return Err(r.error(format!(
                "ratio {} must be greater than 0 (floor = reference × ratio), as `ratio = 0.9`",
                r.value
            )))
        }
        Some(r) => r.value,
        None => 1.0,
    };
    let levy = check_levy(raw.levy.as_ref())?;
    let span = check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?;
    Ok(FloorRule {
        commodity,
        reference,
        ratio,
        levy,
        span,
    })
}

/// `reference = { … }`: exactly one rule.
pub(crate) fn check_reference(r: &Located<ReferenceRaw>) -> Result<Reference, ScenarioError> {
    let v = &r.value;
    let rules =
        v.fixed_usd_per_t.is_some() as u8 + v.cost_based.is_some() as u8 + v.index.is_some() as u8;
    if rules != 1 {
        return Err(r.error(if rules == 0 {
            "the reference price has no rule; write one, as `reference = { fixed_usd_per_t = 45000 }`, `{ cost_based = { percentile = 0.75, margin = 0.1 } }` or `{ index = { periods = 4 } }`"
        } else {
            "the reference price has more than one rule; keep one of `fixed_usd_per_t`, `cost_based` and `index`"
        }));
    }
    if let Some(f) = &v.fixed_usd_per_t {
        if f.value <= 0.0 {
            return Err(f.error(format!(
                "a fixed reference price must be greater than 0, not {}; write it in USD/t, as `fixed_usd_per_t = 45000`",
                f.value
            )));
        }
        return Ok(Reference::Fixed(UsdPerTonne(f.value)));
    }
    if let Some(c) = &v.cost_based {
        let percentile = share(&c.value.percentile, "percentile", "percentile = 0.75")?;
        let margin = match &c.value.margin {
            Some(m) if m.value <= -1.0 || !m.value.is_finite() => {
                return Err(m.error(format!(
                    "margin {} must be above -1 (a fraction: 0.1 = 10%)",
                    m.value
                )))
            }
            Some(m) => m.value,
            None => 0.0,
        };
        return Ok(Reference::CostBased { percentile, margin });
    }
    let i = v.index.as_ref().expect("one rule is set");
    let periods = usize::try_from(i.value.periods.value)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| {
            i.value.periods.error(format!(
                "periods {} must be 1 or more: the number of past periods averaged",
                i.value.periods.value
            ))
        })?;
    let initial = i
        .value
        .initial_usd_per_t
        .as_ref()
        .map(|v| positive(v, "initial_usd_per_t", "initial_usd_per_t = 50000").map(UsdPerTonne))
        .transpose()?;
    Ok(Reference::Index { periods, initial })
}

/// `levy = { … }`; absent keys take their defaults (lag 0, every 1, no cap).
pub(crate) fn check_levy(l: Option<&Located<LevyRaw>>) -> Result<LevyRule, ScenarioError> {
    let mut rule = LevyRule {
        lag: 0,
        every: 1,
        cap: UsdPerTonne(f64::INFINITY),
    };
    let Some(l) = l else {
        return Ok(rule);
    };
    if let Some(lag) = &l.value.lag {
        rule.lag = usize::try_from(lag.value).map_err(|_| {
            lag.error(format!(
                "lag {} is negative; write the number of periods back whose prices set the levy: 0 (solved with the market) or more",
                lag.value
            ))
        })?;
    }
    if let Some(every) = &l.value.every {
        rule.every = usize::try_from(every.value)
            .ok()
            .filter(|&e| e >= 1)
            .ok_or_else(|| {
                every.error(format!(
                    "every {} must be 1 or more: the levy is recomputed every n periods",
                    every.value
                ))
            })?;
    }
    if let Some(cap) = &l.value.cap_usd_per_t {
        if cap.value < 0.0 {
            return Err(cap.error(format!(
                "cap_usd_per_t {} is negative; write 0 or more (USD/t), or leave it out for no cap",
                cap.value
            )));
        }
        rule.cap = UsdPerTonne(cap.value);
    }
    Ok(rule)
}

/// One floor per commodity at a time.
pub(crate) fn check_floor_overlap(
    raw: &[Located<FloorRaw>],
    floors: &[FloorRule],
) -> Result<(), ScenarioError> {
    for (j, b) in floors.iter().enumerate() {
        for (i, a) in floors[..j].iter().enumerate() {
            if a.commodity == b.commodity && overlaps(&a.span, &b.span) {
                let here = &raw[j].value.commodity;
                return Err(here.error(format!(
                    "commodity `{}` already has a floor over some of these periods ({}); give one floor per commodity at a time (use from/to)",
                    b.commodity,
                    where_else(&raw[i].value.commodity.at, &here.at)
                )));
            }
        }
    }
    Ok(())
}
