//! Counter-policies and shocks, top-level keys of the scenario TOML:
//! `[[export_control]]`, `[[shock.outage]]`, `[[shock.demand]]`, `[[shock.cost]]`.
//! Same pattern as `bloc.rs`: `…Raw` mirrors the TOML, `check_*` validates.

use super::bloc::{
    check_commodity_set, check_process, check_region, check_region_set, check_span, each,
    non_negative, share, BlocCtx,
};
use super::de::Located;
use super::scenario::ScenarioRaw;
use crate::policy::*;
use crate::ScenarioError;
use bloc_units::Tonnes;
use serde::Deserialize;

/// One `[[export_control]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportControlRaw {
    pub exporter: Located<String>,
    pub commodities: Located<Vec<Located<String>>>,
    pub destinations: Located<Vec<Located<String>>>,
    pub kind: Located<String>,
    pub quota_t_per_period: Option<Located<f64>>,
    pub approved_share: Option<Located<f64>>,
    pub delay_periods: Option<Located<i64>>,
    pub general_licence: Option<Located<GeneralLicenceRaw>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// `general_licence = { destinations = ["KOR"], approved_share = 0.9 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GeneralLicenceRaw {
    pub destinations: Located<Vec<Located<String>>>,
    pub approved_share: Located<f64>,
}

/// `[shock]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShockRaw {
    pub outage: Option<Vec<Located<OutageRaw>>>,
    pub demand: Option<Vec<Located<DemandShockRaw>>>,
    pub cost: Option<Vec<Located<CostShockRaw>>>,
}

/// Which processes: `processes = [...]`, or `regions` and `commodities` (outputs).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutageRaw {
    pub processes: Option<Located<Vec<Located<String>>>>,
    pub regions: Option<Located<Vec<Located<String>>>>,
    pub commodities: Option<Located<Vec<Located<String>>>>,
    pub share: Located<f64>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// `[[shock.demand]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DemandShockRaw {
    pub regions: Located<Vec<Located<String>>>,
    pub commodities: Located<Vec<Located<String>>>,
    pub multiplier: Located<f64>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// `[[shock.cost]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CostShockRaw {
    pub processes: Option<Located<Vec<Located<String>>>>,
    pub regions: Option<Located<Vec<Located<String>>>>,
    pub commodities: Option<Located<Vec<Located<String>>>>,
    pub multiplier: Located<f64>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
}

/// All counter-policies and shocks.
pub(crate) fn check_counter(
    raw: &ScenarioRaw,
    ctx: &BlocCtx,
) -> Result<Counterpolicies, ScenarioError> {
    // Controls may overlap: every control in force caps the routes it covers, and on a route
    // under two the tighter binds (a ban in the dates of a licence regime shuts the routes;
    // the licence, with its own normal exports, applies again when the ban ends).
    let export_controls = each(&raw.export_control, |c| check_export_control(c, ctx))?;
    let shock = raw.shock.as_ref();
    let none = None;
    Ok(Counterpolicies {
        export_controls,
        outages: each(shock.map_or(&none, |s| &s.outage), |o| {
            Ok(Outage {
                target: check_selector(
                    o.value.processes.as_ref(),
                    o.value.regions.as_ref(),
                    o.value.commodities.as_ref(),
                    ctx,
                )?,
                share: share(&o.value.share, "share", "share = 0.5")?,
                span: check_span(o.value.from.as_ref(), o.value.to.as_ref(), ctx.time)?,
            })
        })?,
        demand_shocks: each(shock.map_or(&None, |s| &s.demand), |d| {
            Ok(DemandShock {
                regions: check_region_set(&d.value.regions, ctx)?,
                commodities: check_commodity_set(&d.value.commodities, ctx)?,
                multiplier: non_negative(&d.value.multiplier, "multiplier", "multiplier = 1.2")?,
                span: check_span(d.value.from.as_ref(), d.value.to.as_ref(), ctx.time)?,
            })
        })?,
        cost_shocks: each(shock.map_or(&None, |s| &s.cost), |c| {
            Ok(CostShock {
                target: check_selector(
                    c.value.processes.as_ref(),
                    c.value.regions.as_ref(),
                    c.value.commodities.as_ref(),
                    ctx,
                )?,
                multiplier: non_negative(&c.value.multiplier, "multiplier", "multiplier = 1.5")?,
                span: check_span(c.value.from.as_ref(), c.value.to.as_ref(), ctx.time)?,
            })
        })?,
    })
}

type Ids = Located<Vec<Located<String>>>;

/// `processes = [...]` alone, or `regions`/`commodities` (each defaulting to all).
fn check_selector(
    processes: Option<&Ids>,
    regions: Option<&Ids>,
    commodities: Option<&Ids>,
    ctx: &BlocCtx,
) -> Result<ProcessSelector, ScenarioError> {
    if let Some(p) = processes {
        if let Some(other) = regions.or(commodities) {
            return Err(other.error("select processes either by `processes = [...]` or by `regions`/`commodities`, not both"));
        }
        if p.value.is_empty() {
            return Err(p.error(
                "the list is empty; name processes, as `processes = [\"chn_separation\"]`",
            ));
        }
        let ids = p
            .value
            .iter()
            .map(|id| check_process(id, ctx).map(|i| ctx.processes[i].id.clone()))
            .collect::<Result<_, _>>()?;
        return Ok(ProcessSelector {
            processes: ids,
            region: RegionSet::All,
            commodities: CommoditySet::All,
        });
    }
    Ok(ProcessSelector {
        processes: Vec::new(),
        region: regions
            .map(|r| check_region_set(r, ctx))
            .transpose()?
            .unwrap_or(RegionSet::All),
        commodities: commodities
            .map(|c| check_commodity_set(c, ctx))
            .transpose()?
            .unwrap_or(CommoditySet::All),
    })
}

/// One export control.
fn check_export_control(
    c: &Located<ExportControlRaw>,
    ctx: &BlocCtx,
) -> Result<ExportControl, ScenarioError> {
    let raw = &c.value;
    let unexpected =
        |v: Option<&Located<f64>>, key: &str, kind: &str| -> Result<(), ScenarioError> {
            match v {
                Some(v) => Err(v.error(format!(
                    "`{key}` does not apply to kind = \"{kind}\"; remove it"
                ))),
                None => Ok(()),
            }
        };
    let not_licence = |kind: &str| -> Result<(), ScenarioError> {
        if let Some(d) = &raw.delay_periods {
            return Err(d.error(format!(
                "`delay_periods` does not apply to kind = \"{kind}\"; remove it"
            )));
        }
        if let Some(g) = &raw.general_licence {
            return Err(g.error(format!(
                "`general_licence` does not apply to kind = \"{kind}\"; remove it"
            )));
        }
        Ok(())
    };
    let kind = match raw.kind.value.as_str() {
        "ban" => {
            not_licence("ban")?;
            unexpected(raw.quota_t_per_period.as_ref(), "quota_t_per_period", "ban")?;
            unexpected(raw.approved_share.as_ref(), "approved_share", "ban")?;
            ControlKind::Ban
        }
        "quota" => {
            not_licence("quota")?;
            unexpected(raw.approved_share.as_ref(), "approved_share", "quota")?;
            let Some(q) = &raw.quota_t_per_period else {
                return Err(raw.kind.error("a quota needs `quota_t_per_period`, the most that may be shipped each period, as `quota_t_per_period = 1000`"));
            };
            ControlKind::Quota(Tonnes(non_negative(
                q,
                "quota_t_per_period",
                "quota_t_per_period = 1000",
            )?))
        }
        "licence" | "license" => {
            unexpected(
                raw.quota_t_per_period.as_ref(),
                "quota_t_per_period",
                "licence",
            )?;
            let Some(s) = &raw.approved_share else {
                return Err(raw.kind.error("a licence regime needs `approved_share`, the share of normal exports approved, as `approved_share = 0.5`"));
            };
            let approved_share = if (0.0..=1.0).contains(&s.value) {
                s.value
            } else {
                return Err(s.error(format!("approved_share {} must lie in [0, 1]", s.value)));
            };
            let delay_periods = match &raw.delay_periods {
                Some(d) => usize::try_from(d.value)
                    .map_err(|_| d.error(format!("delay_periods {} must be 0 or more", d.value)))?,
                None => 0,
            };
            let general = match &raw.general_licence {
                Some(g) => {
                    let sh = &g.value.approved_share;
                    if !(0.0..=1.0).contains(&sh.value) {
                        return Err(
                            sh.error(format!("approved_share {} must lie in [0, 1]", sh.value))
                        );
                    }
                    Some((check_region_set(&g.value.destinations, ctx)?, sh.value))
                }
                None => None,
            };
            ControlKind::Licence {
                approved_share,
                delay_periods,
                general,
            }
        }
        other => {
            return Err(raw.kind.error(format!("`{other}` is not a kind of export control; write `kind = \"ban\"`, `\"quota\"` or `\"licence\"`")));
        }
    };
    Ok(ExportControl {
        exporter: check_region(&raw.exporter, ctx)?,
        commodities: check_commodity_set(&raw.commodities, ctx)?,
        destinations: check_region_set(&raw.destinations, ctx)?,
        kind,
        span: check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?,
        line: c.at.line,
    })
}
