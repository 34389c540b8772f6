//! `[[strategy]]` and its `[[strategy.instrument]]` entries (design §10). Same pattern as
//! `counter.rs`: `…Raw` mirrors the TOML, `check_strategies` validates.

use super::bloc::{check_commodity_set, check_region, check_region_set, check_span, BlocCtx};
use super::de::Located;
use crate::policy::{BlocConfig, CommoditySet, RegionSet};
use crate::strategy::{Against, Measure, Objective, Strategy, StrategyInstrument};
use crate::ScenarioError;
use serde::Deserialize;

/// The most instruments one strategy may choose: each is a coordinate of the search, and a
/// period's search costs tens of market solves per coordinate.
pub const MAX_INSTRUMENTS: usize = 8;
/// The largest export-tax rate (10 = 1,000% of the exporter's price).
const MAX_TAX: f64 = 10.0;
/// The largest quota, t per period (the `_t_per_yr` limit).
const MAX_QUOTA: f64 = 1e10;
/// The largest floor ratio the bloc may be given.
const MAX_RATIO: f64 = 100.0;
/// The most rounds of best responses.
const MAX_ROUNDS: i64 = 1000;

/// One `[[strategy]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StrategyRaw {
    pub player: Located<String>,
    pub objective: Option<Located<String>>,
    pub weights: Option<Located<WeightsRaw>>,
    pub every: Option<Located<i64>>,
    pub from: Option<Located<String>>,
    pub to: Option<Located<String>>,
    pub against: Option<Located<String>>,
    pub floor_ratio: Option<Located<Vec<Located<f64>>>>,
    pub max_rounds: Option<Located<i64>>,
    pub instrument: Option<Vec<Located<InstrumentRaw>>>,
}

/// `weights = { welfare = 1, revenue = 0, share_usd = 1e9 }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WeightsRaw {
    pub welfare: Option<Located<f64>>,
    pub revenue: Option<Located<f64>>,
    pub share_usd: Option<Located<f64>>,
}

/// One `[[strategy.instrument]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct InstrumentRaw {
    pub kind: Located<String>,
    pub commodities: Located<Vec<Located<String>>>,
    pub destinations: Located<Vec<Located<String>>>,
    pub min: Option<Located<f64>>,
    pub max: Option<Located<f64>>,
    pub start: Option<Located<f64>>,
}

/// Every `[[strategy]]`.
pub(crate) fn check_strategies(
    raw: &Option<Vec<Located<StrategyRaw>>>,
    bloc: &BlocConfig,
    ctx: &BlocCtx,
) -> Result<Vec<Strategy>, ScenarioError> {
    let raw = raw.as_deref().unwrap_or_default();
    let mut out: Vec<Strategy> = Vec::new();
    for s in raw {
        let checked = check_strategy(s, bloc, ctx)?;
        if let Some(j) = out.iter().position(|o| o.player == checked.player) {
            return Err(s.value.player.error(format!(
                "`{}` already has a strategy (line {}); give one region one `[[strategy]]` with all its instruments",
                checked.player, raw[j].at.line
            )));
        }
        out.push(checked);
    }
    Ok(out)
}

fn finite(v: &Located<f64>, what: &str) -> Result<f64, ScenarioError> {
    if v.value.is_finite() {
        Ok(v.value)
    } else {
        Err(v.error(format!("{what} must be a finite number, not {}", v.value)))
    }
}

fn check_strategy(
    s: &Located<StrategyRaw>,
    bloc: &BlocConfig,
    ctx: &BlocCtx,
) -> Result<Strategy, ScenarioError> {
    let raw = &s.value;
    let player = check_region(&raw.player, ctx)?;
    let objective = check_objective(raw)?;
    let every = match &raw.every {
        None => 1,
        Some(e) if e.value >= 1 && e.value <= ctx.time.periods as i64 => e.value as usize,
        Some(e) => {
            return Err(e.error(format!(
                "every = {} must be a whole number of periods from 1 to the run's {}; as `every = 4` (choose again each year of quarters)",
                e.value, ctx.time.periods
            )))
        }
    };
    let span = check_span(raw.from.as_ref(), raw.to.as_ref(), ctx.time)?;
    let against = check_against(raw, bloc)?;
    let Some(list) = raw.instrument.as_ref().filter(|l| !l.is_empty()) else {
        return Err(raw.player.error(
            "a strategy needs at least one `[[strategy.instrument]]` after it: what the player sets, as `kind = \"tax\"`, `commodities = [\"ndpr_oxide\"]`, `destinations = [\"members\"]`, `min = 0`, `max = 1`",
        ));
    };
    if list.len() > MAX_INSTRUMENTS {
        return Err(list[MAX_INSTRUMENTS].error(format!(
            "a strategy may choose at most {MAX_INSTRUMENTS} instruments (each is a coordinate of the search, tens of market solves a period); this is number {}. Group commodities into one instrument, as `commodities = [\"ndpr_oxide\", \"dy_oxide\"]`",
            list.len()
        )));
    }
    let mut instruments: Vec<StrategyInstrument> = Vec::new();
    for i in list {
        let inst = check_instrument(i, &player, ctx)?;
        if let Some(j) = instruments.iter().position(|o| {
            o.measure == inst.measure
                && sets_meet_c(&o.commodities, &inst.commodities)
                && sets_meet_r(&o.destinations, &inst.destinations)
        }) {
            return Err(i.value.commodities.error(format!(
                "this {} covers some of the same commodities and destinations as the instrument at line {}; which would apply? Give them disjoint commodities or destinations",
                inst.measure.as_str(),
                list[j].at.line
            )));
        }
        instruments.push(inst);
    }
    Ok(Strategy {
        player,
        instruments,
        objective,
        every,
        span,
        against,
        line: s.at.line,
    })
}

fn sets_meet_c(a: &CommoditySet, b: &CommoditySet) -> bool {
    match (a, b) {
        (CommoditySet::Named(x), CommoditySet::Named(y)) => x.iter().any(|c| y.contains(c)),
        _ => true,
    }
}

fn sets_meet_r(a: &RegionSet, b: &RegionSet) -> bool {
    match (a, b) {
        (RegionSet::Named(x), RegionSet::Named(y)) => x.iter().any(|c| y.contains(c)),
        (RegionSet::Members, RegionSet::NonMembers)
        | (RegionSet::NonMembers, RegionSet::Members) => false,
        _ => true,
    }
}

fn check_objective(raw: &StrategyRaw) -> Result<Objective, ScenarioError> {
    let word = raw.objective.as_ref().map(|o| o.value.trim());
    let plain = |welfare: f64, revenue: f64, kind: &'static str| Objective {
        welfare,
        revenue,
        share_usd: 0.0,
        kind,
    };
    let objective = match word {
        None | Some("welfare") => plain(1.0, 0.0, "welfare"),
        Some("revenue") => plain(0.0, 1.0, "revenue"),
        Some("weighted") => {
            let Some(w) = &raw.weights else {
                return Err(raw.objective.as_ref().expect("written").error(
                    "`objective = \"weighted\"` needs `weights`, as `weights = { welfare = 1, revenue = 0, share_usd = 1e9 }` (USD per unit of world market share)",
                ));
            };
            let get = |v: &Option<Located<f64>>, what: &str| match v {
                Some(v) => finite(v, what),
                None => Ok(0.0),
            };
            Objective {
                welfare: get(&w.value.welfare, "weights.welfare")?,
                revenue: get(&w.value.revenue, "weights.revenue")?,
                share_usd: get(&w.value.share_usd, "weights.share_usd")?,
                kind: "weighted",
            }
        }
        Some(other) => {
            return Err(raw.objective.as_ref().expect("written").error(format!(
                "`{other}` is not an objective; write `objective = \"welfare\"` (the player's consumer + producer surplus + tax and quota revenue), `\"revenue\"` (its export-tax and quota revenue) or `\"weighted\"` with `weights`"
            )))
        }
    };
    if objective.kind != "weighted" {
        if let Some(w) = &raw.weights {
            return Err(w.error(
                "`weights` applies only to `objective = \"weighted\"`; remove it or write that objective",
            ));
        }
    }
    Ok(objective)
}

fn check_against(raw: &StrategyRaw, bloc: &BlocConfig) -> Result<Against, ScenarioError> {
    let bloc_only =
        |what: &str, at: &dyn Fn(String) -> ScenarioError| -> Result<(), ScenarioError> {
            Err(at(format!(
            "`{what}` applies only to `against = \"bloc\"`; remove it or write `against = \"bloc\"`"
        )))
        };
    match raw.against.as_ref().map(|a| a.value.trim()) {
        None | Some("market") => {
            if let Some(r) = &raw.floor_ratio {
                bloc_only("floor_ratio", &|m| r.error(m))?;
            }
            if let Some(r) = &raw.max_rounds {
                bloc_only("max_rounds", &|m| r.error(m))?;
            }
            Ok(Against::Market)
        }
        Some("bloc") => {
            let a = raw.against.as_ref().expect("written");
            if bloc.floors.is_empty() {
                return Err(a.error(
                    "`against = \"bloc\"` has the bloc answer with its floor ratios, but the scenario declares no `[[bloc.floor]]`; add one or write `against = \"market\"`",
                ));
            }
            let (ratio_min, ratio_max) = match &raw.floor_ratio {
                None => (0.5, 2.0),
                Some(r) => {
                    let v = &r.value;
                    if v.len() != 2 {
                        return Err(r.error(format!(
                            "floor_ratio names {} numbers; give the bloc's smallest and largest floor ratio, as `floor_ratio = [0.5, 2.0]`",
                            v.len()
                        )));
                    }
                    let lo = finite(&v[0], "the smallest floor ratio")?;
                    let hi = finite(&v[1], "the largest floor ratio")?;
                    if !(lo > 0.0 && lo <= hi && hi <= MAX_RATIO) {
                        return Err(r.error(format!(
                            "floor_ratio = [{lo}, {hi}] must satisfy 0 < smallest ≤ largest ≤ {MAX_RATIO}; as `floor_ratio = [0.5, 2.0]`"
                        )));
                    }
                    (lo, hi)
                }
            };
            let max_rounds = match &raw.max_rounds {
                None => 20,
                Some(m) if (1..=MAX_ROUNDS).contains(&m.value) => m.value as usize,
                Some(m) => {
                    return Err(m.error(format!(
                        "max_rounds = {} must be a whole number from 1 to {MAX_ROUNDS}; as `max_rounds = 20`",
                        m.value
                    )))
                }
            };
            Ok(Against::Bloc {
                ratio_min,
                ratio_max,
                max_rounds,
            })
        }
        Some(other) => Err(raw.against.as_ref().expect("written").error(format!(
            "`{other}` is not whom a strategy plays against; write `against = \"market\"` (the player leads, the bloc's floors stay as declared) or `against = \"bloc\"` (the bloc answers with its floor ratios)"
        ))),
    }
}

fn check_instrument(
    i: &Located<InstrumentRaw>,
    player: &bloc_units::RegionId,
    ctx: &BlocCtx,
) -> Result<StrategyInstrument, ScenarioError> {
    let raw = &i.value;
    let (measure, unit, cap, example) = match raw.kind.value.trim() {
        "tax" => (Measure::Tax, "a rate on the exporter's price", MAX_TAX, "`min = 0`, `max = 1` (0% to 100%)"),
        "quota" => (Measure::Quota, "tonnes per period", MAX_QUOTA, "`min = 0`, `max = 5000` (t per period)"),
        other => {
            return Err(raw.kind.error(format!(
                "`{other}` is not a strategy instrument; write `kind = \"tax\"` (an export tax, a rate on the exporter's price) or `kind = \"quota\"` (t per period)"
            )))
        }
    };
    let commodities = check_commodity_set(&raw.commodities, ctx)?;
    let destinations = check_region_set(&raw.destinations, ctx)?;
    if destinations == RegionSet::Named(vec![player.clone()]) {
        return Err(raw.destinations.error(format!(
            "the destinations name only the player `{player}` itself; a measure on its exports needs other destinations, as `destinations = [\"members\"]`"
        )));
    }
    let makes = ctx.processes.iter().any(|p| {
        &p.region == player
            && (commodities.contains(&p.output)
                || p.outputs.iter().any(|(c, _)| commodities.contains(c)))
    });
    if !makes {
        return Err(raw.commodities.error(format!(
            "`{player}` makes none of these commodities (no process of its makes them), so it exports none and a {} on them changes nothing; name what it makes",
            measure.as_str()
        )));
    }
    let (Some(min), Some(max)) = (&raw.min, &raw.max) else {
        return Err(i.error(format!(
            "an instrument needs bounds: `min` and `max`, {unit}, as {example}"
        )));
    };
    let (lo, hi) = (finite(min, "min")?, finite(max, "max")?);
    if lo < 0.0 {
        return Err(min.error(format!("min = {lo} must be 0 or more ({unit})")));
    }
    if hi > cap {
        return Err(max.error(format!("max = {hi} must be at most {cap} ({unit})")));
    }
    if hi < lo {
        return Err(max.error(format!("max = {hi} is below min = {lo}; give min ≤ max")));
    }
    let start = match &raw.start {
        None => lo,
        Some(s) => {
            let v = finite(s, "start")?;
            if !(lo..=hi).contains(&v) {
                return Err(s.error(format!(
                    "start = {v} lies outside [min, max] = [{lo}, {hi}]; give a start within the bounds"
                )));
            }
            v
        }
    };
    let words =
        |v: &[bloc_units::CommodityId]| v.iter().map(|c| c.as_str()).collect::<Vec<_>>().join("+");
    let c = match &commodities {
        CommoditySet::All => "*".to_string(),
        CommoditySet::Named(v) => words(v),
    };
    let d = match &destinations {
        RegionSet::All => "*".to_string(),
        RegionSet::Members => "members".to_string(),
        RegionSet::NonMembers => "non_members".to_string(),
        RegionSet::Named(v) => v.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("+"),
    };
    Ok(StrategyInstrument {
        measure,
        name: format!("{}:{c}>{d}", measure.as_str()),
        commodities,
        destinations,
        min: lo,
        max: hi,
        start,
        line: i.at.line,
    })
}
