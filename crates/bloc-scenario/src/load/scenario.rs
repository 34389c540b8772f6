//! The top level of the scenario TOML: `name`, `description`, `base_year`, `seed`, `[time]`,
//! `[tables]`, `[bloc]` (in `bloc.rs`). `extends` is taken out per file before the merge
//! (see `mod.rs`) and so is not a key here.

use super::bloc::BlocRaw;
use super::check::parse_period_label;
use super::de::Located;
use crate::model::TimeAxis;
use crate::ScenarioError;
use bloc_units::{Period, Step};
use serde::Deserialize;

/// The merged scenario TOML as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScenarioRaw {
    pub name: Located<String>,
    pub description: Option<Located<String>>,
    pub base_year: Located<i64>,
    pub seed: Option<Located<i64>>,
    pub time: Option<TimeRaw>,
    pub tables: Located<TablesRaw>,
    pub bloc: Option<BlocRaw>,
    /// `[[export_control]]`.
    pub export_control: Option<Vec<Located<super::counter::ExportControlRaw>>>,
    /// `[[strategy]]`: a player's own export measures (see `strategy.rs`).
    pub strategy: Option<Vec<Located<super::strategy::StrategyRaw>>>,
    /// `[origin]`: rules of origin (see `origin.rs`).
    pub origin: Option<super::origin::OriginRaw>,
    /// `[shock]` with `[[shock.outage]]`, `[[shock.demand]]`, `[[shock.cost]]`.
    pub shock: Option<super::counter::ShockRaw>,
    /// `[[uncertain]]`: inputs a sweep draws (see `uncertain.rs`).
    pub uncertain: Option<Vec<Located<super::uncertain::UncertainRaw>>>,
    /// `[investment]`.
    pub investment: Option<super::dynamics::InvestmentRaw>,
    /// `[closures]`.
    pub closures: Option<super::dynamics::ClosuresRaw>,
    /// `[[recycling]]`.
    pub recycling: Option<Vec<Located<super::dynamics::RecyclingRaw>>>,
    /// `[[demand_growth]]`.
    pub demand_growth: Option<Vec<Located<super::dynamics::DemandGrowthRaw>>>,
    /// `baseline = "no-bloc.toml"`: resolved against the file that names it.
    pub baseline: Option<Located<String>>,
    /// Taken out of each file before the merge; named here so that messages list it among
    /// the keys allowed.
    #[serde(rename = "extends")]
    pub _extends: Option<serde::de::IgnoredAny>,
}

/// `[time]`; every key optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimeRaw {
    pub start: Option<Located<String>>,
    pub periods: Option<Located<i64>>,
    pub step: Option<Located<String>>,
}

/// `[tables]`: paths already resolved against the file that named them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TablesRaw {
    pub regions: Located<String>,
    pub commodities: Located<String>,
    pub processes: Located<String>,
    pub inputs: Option<Located<String>>,
    pub outputs: Option<Located<String>>,
    pub demand: Located<String>,
    pub transport: Option<Located<String>>,
    pub tariffs: Option<Located<String>>,
    pub projects: Option<Located<String>>,
}

/// Default first period.
pub(crate) const DEFAULT_START: &str = "2026Q1";
/// Default number of periods.
pub(crate) const DEFAULT_PERIODS: usize = 40;
/// Longest run accepted (a guard against a mistyped `periods`, such as `40000`).
pub(crate) const MAX_PERIODS: usize = 2000;

/// `name`: not empty.
pub(crate) fn check_name(name: &Located<String>) -> Result<String, ScenarioError> {
    let n = name.value.trim();
    if n.is_empty() {
        return Err(name.error("the scenario name is empty; write one, as `name = \"world-2026\"`"));
    }
    Ok(n.to_string())
}

/// `base_year`: a four-digit year.
pub(crate) fn check_base_year(y: &Located<i64>) -> Result<i32, ScenarioError> {
    if !(1000..=9999).contains(&y.value) {
        return Err(y.error(format!(
            "{} is not a year; write the year whose US dollars all money is in, as `base_year = 2024`",
            y.value
        )));
    }
    Ok(y.value as i32)
}

/// `seed`: 0 or more.
pub(crate) fn check_seed(seed: Option<&Located<i64>>) -> Result<u64, ScenarioError> {
    match seed {
        None => Ok(0),
        Some(s) => u64::try_from(s.value).map_err(|_| {
            s.error(format!(
                "seed {} is negative; write 0 or a positive whole number",
                s.value
            ))
        }),
    }
}

/// `[time]` → the horizon (defaults: 2026Q1, 40 periods, quarters).
pub(crate) fn check_time(raw: Option<&TimeRaw>) -> Result<TimeAxis, ScenarioError> {
    let step = match raw.and_then(|t| t.step.as_ref()) {
        None => Step::Quarter,
        Some(s) => match s.value.trim() {
            "quarter" => Step::Quarter,
            "year" => Step::Year,
            other => {
                return Err(s.error(format!(
                    "`{other}` is not a step; write `step = \"quarter\"` or `step = \"year\"`"
                )))
            }
        },
    };
    let start = match raw.and_then(|t| t.start.as_ref()) {
        None => Period::parse(DEFAULT_START)
            .map_err(|e| ScenarioError::invalid("", None, None, e.to_string()))?,
        Some(s) => parse_period_label(&s.value, step).map_err(|m| s.error(m))?,
    };
    let periods = match raw.and_then(|t| t.periods.as_ref()) {
        None => DEFAULT_PERIODS,
        Some(p) => usize::try_from(p.value)
            .ok()
            .filter(|n| (1..=MAX_PERIODS).contains(n))
            .ok_or_else(|| {
                p.error(format!(
                    "periods = {} is out of range; write a whole number from 1 to {MAX_PERIODS}, as `periods = 40`",
                    p.value
                ))
            })?,
    };
    Ok(TimeAxis {
        start,
        periods,
        step,
    })
}
