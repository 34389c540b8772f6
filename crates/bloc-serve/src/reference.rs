//! Reference prices: a published, versioned methodology applied per commodity and period.
//!
//! Methodology `bloc-ref/1` (also served at `GET /v1/methodology`), for commodity c and
//! delivery period P:
//! 1. Inputs: the latest version of every report of c delivered in P whose origin is a
//!    member in P (the members' market; reports of imports from outside set the origin
//!    prices of the levy schedule instead).
//! 2. Trim outliers: with m the median price and MAD the median absolute deviation from m,
//!    keep the reports within `max(k × 1.4826 × MAD, min_band × m)` of m (k = 3,
//!    min_band = 2%: the band never collapses to nothing when most prices agree).
//! 3. Require at least `min_reporters` (3) distinct reporting entities among the kept
//!    reports, and no entity above `max_volume_share` (50%) of their volume.
//! 4. If so, the reference is the volume-weighted mean price of the kept reports.
//! 5. Otherwise a fallback, flagged with its reason: the scenario's rule for c
//!    (`fixed_usd_per_t`; `cost_based`: the full cost of the members' producers at the
//!    capacity percentile plus the margin, via `bloc_policy::floor::cost_percentile`;
//!    `index`: the mean of the published references of the last n periods, or the initial
//!    value), else the previous published value, else no reference for c in P.
//!
//! The result records the number of inputs, the reports used, the methodology version and a
//! SHA-256 of its content; once published it never changes (a database trigger refuses it).

use crate::auth::{Caller, Role};
use crate::db::audit;
use crate::error::{ApiError, ApiResult};
use crate::json::{ApiPath, ApiQuery};
use crate::reports::{query, Report};
use crate::server::{blocking, AppState};
use crate::util::{content_hash, finite, period_index, MAX_T, MAX_USD_PER_T};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use bloc_scenario::{Reference, Scenario};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// The parameters of a methodology version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Methodology {
    /// Version label recorded with every result.
    pub version: &'static str,
    /// Outlier band in scaled MADs.
    pub mad_k: f64,
    /// Smallest band, as a fraction of the median.
    pub min_band: f64,
    /// Fewest distinct reporting entities.
    pub min_reporters: usize,
    /// Largest share of the kept volume one entity may hold.
    pub max_volume_share: f64,
    /// The rule in words.
    pub rule: &'static str,
}

/// The methodology in force.
pub const METHODOLOGY: Methodology = Methodology {
    version: "bloc-ref/1",
    mad_k: 3.0,
    min_band: 0.02,
    min_reporters: 3,
    max_volume_share: 0.5,
    rule: "Latest versions of the reports of the commodity delivered in the period from member origins; keep those within max(k × 1.4826 × MAD, min_band × median) of the median price; if at least min_reporters distinct entities remain and none holds more than max_volume_share of the kept volume, the reference is the volume-weighted mean of the kept prices; else the scenario's fallback rule (fixed, cost_based, index), else the previous published value, each flagged.",
};

/// A published reference price.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReferencePrice {
    /// Delivery period.
    pub period: String,
    /// Commodity id.
    pub commodity: String,
    /// Stage of the commodity.
    pub stage: String,
    /// The reference, USD/t.
    pub value_usd_per_t: f64,
    /// `reports`, or `fallback:fixed`, `fallback:cost_based`, `fallback:index`, `fallback:previous`.
    pub method: String,
    /// Whether a fallback set the value.
    pub fallback: bool,
    /// Why the reports did not suffice (for a fallback).
    pub fallback_reason: Option<String>,
    /// Reports considered (latest versions).
    pub inputs_count: usize,
    /// Reports kept after trimming.
    pub used_count: usize,
    /// Distinct reporting entities among the kept reports.
    pub reporters: usize,
    /// Largest share of the kept volume held by one entity.
    pub max_volume_share: f64,
    /// The report versions used, as `id.version`.
    pub used_reports: Vec<String>,
    /// Methodology version.
    pub methodology_version: String,
    /// SHA-256 of this record without the hash and publication time.
    pub content_hash: String,
    /// When it was published (UTC).
    pub published_at: Option<String>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// What the reports give, before any fallback.
#[derive(Debug, Clone, PartialEq)]
pub struct FromReports {
    /// Volume-weighted mean of the kept reports, if they pass the tests.
    pub value: Option<f64>,
    /// Why not, when they do not.
    pub reason: Option<String>,
    /// Kept reports.
    pub used: Vec<usize>,
    /// Distinct entities among them.
    pub reporters: usize,
    /// Largest volume share.
    pub max_share: f64,
}

/// Steps 2–4 of the methodology on stored reports (their entity, price and volume).
pub fn from_stored_reports(m: &Methodology, reports: &[Report]) -> FromReports {
    let triples: Vec<(&str, f64, f64)> = reports
        .iter()
        .map(|r| {
            (
                r.entity.as_str(),
                r.fields.price_usd_per_t,
                r.fields.volume_t,
            )
        })
        .collect();
    from_reports(m, &triples)
}

/// Steps 2–4 of the methodology on `(entity, price, volume)` triples.
pub fn from_reports(m: &Methodology, reports: &[(&str, f64, f64)]) -> FromReports {
    if reports.is_empty() {
        return FromReports {
            value: None,
            reason: Some("no reports".into()),
            used: vec![],
            reporters: 0,
            max_share: 0.0,
        };
    }
    let mut prices: Vec<f64> = reports.iter().map(|r| r.1).collect();
    let med = median(&mut prices);
    let mut dev: Vec<f64> = reports.iter().map(|r| (r.1 - med).abs()).collect();
    let mad = median(&mut dev);
    let band = (m.mad_k * 1.4826 * mad).max(m.min_band * med.abs());
    let used: Vec<usize> = (0..reports.len())
        .filter(|&i| (reports[i].1 - med).abs() <= band)
        .collect();
    let volume: f64 = used.iter().map(|&i| reports[i].2).sum();
    let mut by_entity: BTreeMap<&str, f64> = BTreeMap::new();
    for &i in &used {
        *by_entity.entry(reports[i].0).or_default() += reports[i].2;
    }
    let max_share = by_entity.values().fold(0.0f64, |a, &v| a.max(v / volume));
    let reporters = by_entity.len();
    let reason = if reporters < m.min_reporters {
        Some(format!(
            "{reporters} distinct reporting entities after trimming; at least {} needed",
            m.min_reporters
        ))
    } else if max_share > m.max_volume_share {
        Some(format!(
            "one entity holds {:.1}% of the volume; at most {:.0}% allowed",
            max_share * 100.0,
            m.max_volume_share * 100.0
        ))
    } else {
        None
    };
    let value = reason.is_none().then(|| {
        used.iter()
            .map(|&i| reports[i].1 * reports[i].2)
            .sum::<f64>()
            / volume
    });
    FromReports {
        value,
        reason,
        used,
        reporters,
        max_share,
    }
}

/// Whether a stored report lies within today's bounds (reports stored before the bounds
/// existed, e.g. a price of 1e308, take no part in any computation).
pub fn in_bounds(r: &Report) -> bool {
    let ok = |v: f64, max: f64| v > 0.0 && v <= max;
    ok(r.fields.price_usd_per_t, MAX_USD_PER_T) && ok(r.fields.volume_t, MAX_T)
}

/// Reads a stored reference price; `None` (and a line on stderr) for a row no reader accepts,
/// so that one bad row never makes a whole listing fail.
fn read_row(period: &str, commodity: &str, body: &str, at: String) -> Option<ReferencePrice> {
    match serde_json::from_str::<ReferencePrice>(body) {
        Ok(mut rp) if rp.value_usd_per_t.is_finite() => {
            rp.published_at = Some(at);
            Some(rp)
        }
        Ok(_) => {
            eprintln!("bloc serve: warning: the stored reference price of {commodity} in {period} is not a finite number; left out");
            None
        }
        Err(e) => {
            eprintln!("bloc serve: warning: the stored reference price of {commodity} in {period} is unreadable ({e}); left out");
            None
        }
    }
}

/// Published reference of `commodity` in `period`, if any.
pub fn published(
    conn: &Connection,
    period: &str,
    commodity: &str,
) -> rusqlite::Result<Option<ReferencePrice>> {
    conn.query_row(
        "SELECT body, published_at FROM reference_prices WHERE period = ?1 AND commodity = ?2",
        (period, commodity),
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )
    .optional()
    .map(|o| o.and_then(|(b, at)| read_row(period, commodity, &b, at)))
}

/// The fallback value for commodity index `c` in period `t`, and its method.
fn fallback(
    s: &Scenario,
    conn: &Connection,
    t: usize,
    c: usize,
) -> rusqlite::Result<Option<(f64, &'static str)>> {
    let cid = s.commodities[c].id.as_str();
    let rule = s
        .bloc
        .floors
        .iter()
        .find(|f| f.commodity.as_str() == cid && f.span.covers(t))
        .or_else(|| s.bloc.floors.iter().find(|f| f.commodity.as_str() == cid));
    let prev = |k: usize, ci: usize| -> rusqlite::Result<Option<f64>> {
        Ok(
            published(conn, &s.time.label(k), s.commodities[ci].id.as_str())?
                .map(|r| r.value_usd_per_t),
        )
    };
    if let Some(rule) = rule {
        match &rule.reference {
            Reference::Fixed(v) => return Ok(Some((v.0, "fallback:fixed"))),
            Reference::Index { periods, initial } => {
                let mut hist = vec![];
                for k in t.saturating_sub(*periods)..t {
                    if let Some(v) = prev(k, c)? {
                        hist.push(v);
                    }
                }
                if !hist.is_empty() {
                    return Ok(Some((
                        hist.iter().sum::<f64>() / hist.len() as f64,
                        "fallback:index",
                    )));
                }
                if let Some(v) = initial {
                    return Ok(Some((v.0, "fallback:index")));
                }
            }
            Reference::CostBased { percentile, margin } => {
                // Full cost of a block: marginal cost at capacity plus its inputs, valued at
                // last period's published reference (else their mean reference demand price).
                let mut blocks = vec![];
                for p in &s.processes {
                    if p.output.as_str() != cid
                        || !p.in_service(t)
                        || !s.bloc.is_member(&p.region, t)
                        || p.capacity.0 <= 0.0
                    {
                        continue;
                    }
                    let mut inputs = 0.0;
                    for (ic, coef) in &p.inputs {
                        let ci = s.commodity_index(ic.as_str()).unwrap_or(c);
                        let v = match t.checked_sub(1) {
                            Some(k) => prev(k, ci)?,
                            None => None,
                        };
                        let v =
                            v.unwrap_or_else(|| bloc_policy::floor::mean_reference_price(s, ci));
                        inputs += coef * v;
                    }
                    blocks.push((
                        p.unit_cost.0 + p.cost_rise_or_default().0 + inputs,
                        p.capacity.0,
                    ));
                }
                if let Some(cost) = bloc_policy::floor::cost_percentile(&mut blocks, *percentile) {
                    return Ok(Some((cost * (1.0 + margin), "fallback:cost_based")));
                }
            }
        }
    }
    for k in (0..t).rev() {
        if let Some(v) = prev(k, c)? {
            return Ok(Some((v, "fallback:previous")));
        }
    }
    Ok(None)
}

/// Computes (without storing) the reference of every commodity in period `t`.
pub fn compute_period(s: &Scenario, conn: &Connection, t: usize) -> ApiResult<Vec<ReferencePrice>> {
    let label = s.time.label(t);
    let m = &METHODOLOGY;
    let mut out = vec![];
    for (c, com) in s.commodities.iter().enumerate() {
        let reports: Vec<Report> = query(
            conn,
            "v.delivery_period = ?1 AND v.commodity = ?2",
            &[&label, &com.id.as_str()],
        )?
        .into_iter()
        .filter(|r| {
            s.bloc
                .is_member(&bloc_units::RegionId::from(r.fields.origin.as_str()), t)
                && in_bounds(r)
        })
        .collect();
        let fr = from_stored_reports(m, &reports);
        if let Some(v) = fr.value {
            finite(
                &format!("the reference price of {} in {label}", com.id.as_str()),
                v,
            )?;
        }
        let (value, method) = match fr.value {
            Some(v) => (v, "reports"),
            None => match fallback(s, conn, t, c)? {
                Some(x) => x,
                None => continue,
            },
        };
        finite(
            &format!("the reference price of {} in {label}", com.id.as_str()),
            value,
        )?;
        let mut rp = ReferencePrice {
            period: label.clone(),
            commodity: com.id.as_str().to_string(),
            stage: com.stage.as_str().to_string(),
            value_usd_per_t: value,
            method: method.to_string(),
            fallback: fr.value.is_none(),
            fallback_reason: fr.reason.clone(),
            inputs_count: reports.len(),
            used_count: fr.used.len(),
            reporters: fr.reporters,
            max_volume_share: fr.max_share,
            used_reports: fr
                .used
                .iter()
                .map(|&i| format!("{}.{}", reports[i].id, reports[i].version))
                .collect(),
            methodology_version: m.version.to_string(),
            content_hash: String::new(),
            published_at: None,
        };
        rp.content_hash = content_hash(&serde_json::to_value(&rp).map_err(anyhow::Error::from)?);
        out.push(rp);
    }
    Ok(out)
}

/// The methodology in force.
#[utoipa::path(get, path = "/v1/methodology", responses((status = 200, body = Methodology)))]
pub async fn methodology() -> Json<Methodology> {
    Json(METHODOLOGY)
}

/// Compute and publish the reference prices of a period (secretariat). Once published they
/// never change: a second call answers 409.
#[utoipa::path(post, path = "/v1/reference-prices/{period}/compute",
    params(("period" = String, Path, description = "Period label: 2026Q2 (a four-digit year in a yearly bloc)", pattern = r"^[0-9]{4}(Q[1-4])?$")), security(("bearer" = [])),
    responses((status = 201, body = Vec<ReferencePrice>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "already published"),
        (status = 422, body = crate::error::ErrorBody, description = "a result would not be a finite number")))]
pub async fn compute(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(period): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<Vec<ReferencePrice>>)> {
    caller.require(Role::Secretariat)?;
    let t = period_index(&state.scenario, &period).map_err(|m| ApiError::field("period", m))?;
    let v = blocking(&state, move |st| {
        let s = &st.scenario;
        let label = s.time.label(t);
        let mut conn = st.db.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n: i64 = tx.query_row("SELECT COUNT(*) FROM reference_prices WHERE period = ?1", [&label], |r| r.get(0))?;
        if n > 0 {
            return Err(ApiError::Conflict(format!(
                "the reference prices of {label} are published and immutable; GET /v1/reference-prices/{label}"
            )));
        }
        let v = compute_period(s, &tx, t)?;
        for rp in &v {
            tx.execute(
                "INSERT INTO reference_prices (period, commodity, body, content_hash) VALUES (?1, ?2, ?3, ?4)",
                (&rp.period, &rp.commodity, serde_json::to_string(rp).map_err(anyhow::Error::from)?, &rp.content_hash),
            )?;
        }
        audit(&tx, &caller.entity, caller.role.as_str(), "reference.publish", &format!("reference-prices/{label}"),
            &serde_json::json!(v.iter().map(|r| (&r.commodity, r.value_usd_per_t, &r.method, &r.content_hash)).collect::<Vec<_>>()))?;
        let out = v
            .iter()
            .map(|r| published(&tx, &label, &r.commodity))
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        tx.commit()?;
        Ok(out)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Filters of `GET /v1/reference-prices`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefFilter {
    /// Only this commodity.
    pub commodity: Option<String>,
}

/// Every published reference price, by period then commodity.
#[utoipa::path(get, path = "/v1/reference-prices", params(RefFilter),
    responses((status = 200, body = Vec<ReferencePrice>), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiQuery(f): ApiQuery<RefFilter>,
) -> ApiResult<Json<Vec<ReferencePrice>>> {
    let v = blocking(&state, move |st| {
        let conn = st.db.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT body, published_at, period, commodity FROM reference_prices WHERE ?1 IS NULL OR commodity = ?1 ORDER BY period, commodity",
        )?;
        let rows = stmt.query_map([&f.commodity], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut out = vec![];
        for row in rows {
            let (b, at, p, c) = row?;
            out.extend(read_row(&p, &c, &b, at));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(v))
}

/// The published reference prices of one period (404 if none).
#[utoipa::path(get, path = "/v1/reference-prices/{period}",
    params(("period" = String, Path, description = "Period label: 2026Q2 (a four-digit year in a yearly bloc)", pattern = r"^[0-9]{4}(Q[1-4])?$")),
    responses((status = 200, body = Vec<ReferencePrice>), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get_period(
    State(state): State<Arc<AppState>>,
    ApiPath(period): ApiPath<String>,
) -> ApiResult<Json<Vec<ReferencePrice>>> {
    let t = period_index(&state.scenario, &period).map_err(|m| ApiError::field("period", m))?;
    let v = blocking(&state, move |st| {
        let label = st.scenario.time.label(t);
        let conn = st.db.reader();
        let mut out = vec![];
        for c in &st.scenario.commodities {
            if let Some(r) = published(&conn, &label, c.id.as_str())? {
                out.push(r);
            }
        }
        if out.is_empty() {
            return Err(ApiError::NotFound(format!(
                "no reference prices published for {label}"
            )));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Five reports: four near 100 and one at 1000. median = 100 (prices 98, 99, 100, 101,
    /// 1000 → middle 100); deviations 2, 1, 0, 1, 900 → MAD = 1; band = max(3 × 1.4826 × 1,
    /// 2% × 100) = 4.45: the 1000 is trimmed. Kept volumes 10, 10, 20, 10 (entities a, b, c, d)
    /// → mean = (98·10 + 99·10 + 100·20 + 101·10) / 50 = 4980 / 50 = 99.6.
    #[test]
    fn trims_outliers_and_weights_by_volume() {
        let r = [
            ("a", 98.0, 10.0),
            ("b", 99.0, 10.0),
            ("c", 100.0, 20.0),
            ("d", 101.0, 10.0),
            ("e", 1000.0, 500.0),
        ];
        let f = from_reports(&METHODOLOGY, &r);
        assert_eq!(f.used, vec![0, 1, 2, 3]);
        assert!((f.value.unwrap() - 99.6).abs() < 1e-9);
        assert_eq!(f.reporters, 4);
        assert!((f.max_share - 0.4).abs() < 1e-12);
    }

    /// Too few entities, or one with more than half the volume: no value, a reason.
    #[test]
    fn needs_enough_reporters_and_no_dominant_one() {
        let f = from_reports(&METHODOLOGY, &[("a", 100.0, 1.0), ("b", 100.0, 1.0)]);
        assert!(f.value.is_none() && f.reason.unwrap().contains("at least 3"));
        let f = from_reports(
            &METHODOLOGY,
            &[("a", 100.0, 10.0), ("b", 100.0, 1.0), ("c", 100.0, 1.0)],
        );
        assert!(f.value.is_none() && f.reason.unwrap().contains("83.3%"));
        assert!(from_reports(&METHODOLOGY, &[]).value.is_none());
    }
}
