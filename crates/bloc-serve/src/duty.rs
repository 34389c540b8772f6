//! Duty lookup: what an import owes, part by part, and which rule set each part.
//!
//! Tariff: none where the pair is tariff-free (`BlocConfig::tariff_free`: both members, or a
//! framework covering the commodity), else the importer's MFN tariff from the configuration
//! (`specific + ad_valorem × customs value`). Levy: from the schedule in force for the
//! date's period, where the pair pays it (`bloc_policy::floor::levied`). Total = tariff + levy.

use crate::error::{ApiError, ApiResult};
use crate::json::ApiQuery;
use crate::schedule::Schedule;
use crate::server::AppState;
use crate::util::{usd, Date};
use axum::extract::State;
use axum::Json;
use bloc_scenario::Scenario;
use bloc_units::{RegionId, UsdPerTonne};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// `GET /v1/duty` query.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DutyQuery {
    /// Importing region id.
    #[param(required = true, value_type = String, min_length = 1)]
    pub importer: Option<String>,
    /// Exporting (origin) region id.
    #[param(required = true, value_type = String, min_length = 1)]
    pub exporter: Option<String>,
    /// Commodity id.
    #[param(required = true, value_type = String, min_length = 1)]
    pub commodity: Option<String>,
    /// Date of import, `YYYY-MM-DD`.
    #[param(required = true, value_type = String, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-05-14")]
    pub date: Option<String>,
    /// Customs value, USD per tonne (price at origin plus transport), 0 to 1e10.
    #[param(required = true, value_type = f64, minimum = 0.0, maximum = 1e10, example = 50000)]
    pub customs_value: Option<String>,
    /// Tonnes imported (default 1), 0 to 1e10: scales the totals.
    #[param(value_type = Option<f64>, minimum = 0.0, maximum = 1e10, example = 2)]
    pub quantity_t: Option<String>,
}

/// The tariff part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TariffPart {
    /// `mfn`, `preferential` (tariff-free by membership or framework) or `none` (no row).
    pub kind: String,
    /// Ad valorem rate (fraction).
    pub ad_valorem: f64,
    /// Specific duty, USD/t.
    pub specific_usd_per_t: f64,
    /// The tariff, USD/t.
    pub usd_per_t: f64,
    /// Which rule produced it.
    pub rule: String,
}

/// The levy part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct LevyPart {
    /// The levy, USD/t.
    pub usd_per_t: f64,
    /// Schedule version used, if any.
    pub schedule_version: Option<i64>,
    /// Which rule produced it.
    pub rule: String,
}

/// What the bloc says about the pair.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct BlocPart {
    /// Importer is a member on the date.
    pub importer_member: bool,
    /// Exporter is a member on the date.
    pub exporter_member: bool,
    /// Framework making the pair tariff-free, if any.
    pub framework: Option<String>,
}

/// `GET /v1/duty` answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct DutyAnswer {
    /// Importer.
    pub importer: String,
    /// Exporter.
    pub exporter: String,
    /// Commodity.
    pub commodity: String,
    /// Date.
    pub date: String,
    /// Period of the date.
    pub period: String,
    /// Customs value, USD/t.
    pub customs_value_usd_per_t: f64,
    /// Tonnes.
    pub quantity_t: f64,
    /// Membership and frameworks.
    pub bloc: BlocPart,
    /// Tariff.
    pub tariff: TariffPart,
    /// Levy.
    pub levy: LevyPart,
    /// Tariff + levy, USD/t.
    pub total_usd_per_t: f64,
    /// Total × quantity, USD.
    pub total_usd: f64,
}

fn need<'a>(v: &'a Option<String>, name: &str, example: &str) -> ApiResult<&'a str> {
    v.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(str::trim)
        .ok_or_else(|| ApiError::field(name, format!("required, e.g. {name}={example}")))
}

fn number(v: &str, name: &str, max: f64) -> ApiResult<f64> {
    let x = v
        .parse::<f64>()
        .map_err(|_| ApiError::field(name, format!("`{v}` is not a number")))?;
    crate::util::bounded(name, x, true, max)
}

/// Answers a duty query from the configuration and the schedules in force.
pub fn answer(
    s: &Scenario,
    schedules: &HashMap<String, Arc<Schedule>>,
    unusable: &HashMap<String, String>,
    q: &DutyQuery,
) -> ApiResult<DutyAnswer> {
    let lane = read_query(s, q)?;
    let period = s.time.label(lane.t);
    let bloc = bloc_part(s, &lane);
    let tariff = tariff_part(s, &lane, &bloc, &period);
    let levy = levy_part(s, (schedules, unusable), &lane, &bloc, &period)?;
    let total = tariff.usd_per_t + levy.usd_per_t;
    Ok(DutyAnswer {
        importer: s.regions[lane.d].id.as_str().into(),
        exporter: s.regions[lane.o].id.as_str().into(),
        commodity: lane.commodity.into(),
        date: lane.date.into(),
        period,
        customs_value_usd_per_t: lane.value,
        quantity_t: lane.qty,
        bloc,
        tariff,
        levy,
        total_usd_per_t: total,
        total_usd: total * lane.qty,
    })
}

/// A duty query read against the configuration: the importer `d`, exporter `o`, commodity
/// `c` and period `t` (indices), and the numbers.
struct Lane<'q> {
    d: usize,
    o: usize,
    c: usize,
    t: usize,
    /// The commodity and date as asked.
    commodity: &'q str,
    date: &'q str,
    /// Customs value, USD/t.
    value: f64,
    /// Tonnes (1 when not given).
    qty: f64,
}

/// Every parameter of `q`, checked: known regions and commodity, a date inside the horizon,
/// bounded numbers.
fn read_query<'q>(s: &Scenario, q: &'q DutyQuery) -> ApiResult<Lane<'q>> {
    let region = |name: &str, v: &str| -> ApiResult<usize> {
        s.region_index(v).ok_or_else(|| {
            ApiError::field(
                name,
                format!(
                    "`{v}` is not a region of this bloc; one of: {}",
                    s.regions
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    };
    let d = region("importer", need(&q.importer, "importer", "USA")?)?;
    let o = region("exporter", need(&q.exporter, "exporter", "CHN")?)?;
    let cs = need(&q.commodity, "commodity", "ndpr_oxide")?;
    let c = s.commodity_index(cs).ok_or_else(|| {
        ApiError::field(
            "commodity",
            format!(
                "`{cs}` is not a commodity of this bloc; one of: {}",
                s.commodities
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let ds = need(&q.date, "date", "2026-05-14")?;
    let date = Date::parse(ds).map_err(|m| ApiError::field("date", m))?;
    let t = s.time.index_of(date.period(s.time.step)).ok_or_else(|| {
        ApiError::field(
            "date",
            format!(
                "{ds} lies outside the configured horizon {}–{}",
                s.time.label(0),
                s.time.label(s.time.periods - 1)
            ),
        )
    })?;
    let value = number(
        need(&q.customs_value, "customs_value", "80000")?,
        "customs_value",
        crate::util::MAX_USD_PER_T,
    )?;
    let qty = match q.quantity_t.as_deref() {
        Some(v) if !v.trim().is_empty() => number(v.trim(), "quantity_t", crate::util::MAX_T)?,
        _ => 1.0,
    };
    Ok(Lane {
        d,
        o,
        c,
        t,
        commodity: cs,
        date: ds,
        value,
        qty,
    })
}

/// Whether importer and exporter are members in the period, and the framework that covers
/// the pair, if any.
fn bloc_part(s: &Scenario, lane: &Lane<'_>) -> BlocPart {
    let (t, cid) = (lane.t, &s.commodities[lane.c].id);
    let (di, oi): (&RegionId, &RegionId) = (&s.regions[lane.d].id, &s.regions[lane.o].id);
    BlocPart {
        importer_member: s.bloc.is_member(di, t),
        exporter_member: s.bloc.is_member(oi, t),
        framework: s
            .bloc
            .frameworks
            .iter()
            .find(|f| {
                f.span.covers(t)
                    && f.commodities.contains(cid)
                    && f.regions.contains(di)
                    && f.regions.contains(oi)
            })
            .map(|f| f.name.clone()),
    }
}

/// The tariff: none at home, preferential inside the bloc or a framework, else MFN.
fn tariff_part(s: &Scenario, lane: &Lane<'_>, bloc: &BlocPart, period: &str) -> TariffPart {
    let (d, o, t, value) = (lane.d, lane.o, lane.t, lane.value);
    let cid = &s.commodities[lane.c].id;
    let (di, oi): (&RegionId, &RegionId) = (&s.regions[d].id, &s.regions[o].id);
    if d == o {
        TariffPart {
            kind: "none".into(),
            ad_valorem: 0.0,
            specific_usd_per_t: 0.0,
            usd_per_t: 0.0,
            rule: "domestic: no import".into(),
        }
    } else if s.bloc.tariff_free(di, oi, cid, t) {
        let why = if bloc.importer_member && bloc.exporter_member {
            format!(
                "membership: {} and {} are both members in {period}: tariff-free",
                di.as_str(),
                oi.as_str()
            )
        } else {
            format!(
                "framework {}: tariff-free trade in {} in {period}",
                bloc.framework.clone().unwrap_or_default(),
                cid.as_str()
            )
        };
        TariffPart {
            kind: "preferential".into(),
            ad_valorem: 0.0,
            specific_usd_per_t: 0.0,
            usd_per_t: 0.0,
            rule: why,
        }
    } else {
        match s.tariff_rule(di, oi, cid) {
            Some(r) => {
                let v = r.tariff.duty(UsdPerTonne(value), UsdPerTonne(0.0)).0;
                TariffPart {
                    kind: "mfn".into(),
                    ad_valorem: r.tariff.ad_valorem,
                    specific_usd_per_t: r.tariff.specific.0,
                    usd_per_t: v,
                    rule: format!(
                        "MFN: tariffs line {} ({} USD/t + {} × customs value)",
                        r.line,
                        crate::util::usd(r.tariff.specific.0),
                        crate::util::percent(r.tariff.ad_valorem)
                    ),
                }
            }
            None => TariffPart {
                kind: "none".into(),
                ad_valorem: 0.0,
                specific_usd_per_t: 0.0,
                usd_per_t: 0.0,
                rule: "no tariff row for this pair: no tariff".into(),
            },
        }
    }
}

/// The levy: the schedule in force for the period, unless the pair is not levied.
fn levy_part(
    s: &Scenario,
    (schedules, unusable): (&HashMap<String, Arc<Schedule>>, &HashMap<String, String>),
    lane: &Lane<'_>,
    bloc: &BlocPart,
    period: &str,
) -> ApiResult<LevyPart> {
    let (d, o, c, t, cs) = (lane.d, lane.o, lane.c, lane.t, lane.commodity);
    let (di, oi): (&RegionId, &RegionId) = (&s.regions[d].id, &s.regions[o].id);
    Ok(if d == o || !bloc_policy::floor::levied(s, t, o, d, c) {
        let why = if !bloc.importer_member {
            format!("no levy: {} is not a member in {period}", di.as_str())
        } else if bloc.exporter_member {
            format!("no levy: {} is a member in {period}", oi.as_str())
        } else {
            format!(
                "no levy: framework {} covers the pair",
                bloc.framework.clone().unwrap_or_default()
            )
        };
        LevyPart {
            usd_per_t: 0.0,
            schedule_version: None,
            rule: why,
        }
    } else {
        match schedules.get(period) {
            None if unusable.contains_key(period) => {
                return Err(ApiError::Rejected(format!(
                    "no duty can be computed for {period}: {}",
                    unusable[period]
                )))
            }
            None => LevyPart { usd_per_t: 0.0, schedule_version: None, rule: format!("no levy schedule published for {period}") },
            Some(sc) => match sc.row(cs, di.as_str(), oi.as_str()) {
                Some(r) => LevyPart {
                    usd_per_t: r.levy_usd_per_t,
                    schedule_version: Some(sc.version),
                    rule: format!(
                        "schedule {period} v{}: clamp(floor {} − (origin price {} + transport {} + tariff {}), 0, cap)",
                        sc.version, usd(r.floor_usd_per_t), usd(r.origin_price_usd_per_t), usd(r.transport_usd_per_t), usd(r.tariff_usd_per_t)
                    ),
                },
                None if sc.floor(cs).is_none() => LevyPart { usd_per_t: 0.0, schedule_version: Some(sc.version), rule: format!("no floor on {cs} in force in {period}") },
                None => LevyPart { usd_per_t: 0.0, schedule_version: Some(sc.version), rule: format!("schedule {period} v{} has no route {} → {}", sc.version, oi.as_str(), di.as_str()) },
            },
        }
    })
}

/// What duty an import owes: tariff (MFN or preferential), levy, total, and the rule behind each.
#[utoipa::path(get, path = "/v1/duty", params(DutyQuery),
    responses((status = 200, body = DutyAnswer), (status = 400, body = crate::error::ErrorBody, description = "a parameter is missing or wrong; `field` names it"),
        (status = 422, body = crate::error::ErrorBody, description = "the schedule in force for the date's period cannot be read; the secretariat must publish a revision")))]
pub async fn lookup(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<DutyQuery>,
) -> ApiResult<Json<DutyAnswer>> {
    let schedules = state.schedules.read().await;
    let unusable = state.unusable_schedules.read().await;
    answer(&state.scenario, &schedules, &unusable, &q).map(Json)
}
