//! Floors and the adjustable levy schedule of a period.
//!
//! For each floor of the scenario in force in period P (commodity c, ratio, levy cap, lag):
//! floor = published reference of c in P × ratio. For each member importer d and each origin
//! o whose trade with d pays the levy (`bloc_policy::floor::levied`: o not a member, no
//! framework), with a route o → d in the configuration:
//! `levy = bloc_policy::floor::levy(floor, p_o, transport, tariff, cap)` — the engine's rule —
//! where p_o is the reference methodology (`bloc-ref/1`: MAD trimming, at least 3 reporting
//! entities, none above 50% of the kept volume) applied to the reports of c from o delivered
//! `lag` periods before P, else the reference of c in P (said so in `origin_price_method` and
//! `origin_price_basis`), and tariff is d's MFN duty at that price. A published schedule never changes; publishing again
//! makes a new version (with a reason), and the latest version is the one in force.

use crate::auth::{Caller, Role};
use crate::db::audit;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::{ApiPath, ApiQuery};
use crate::reference::{from_stored_reports, in_bounds, published, METHODOLOGY};
use crate::reports::query;
use crate::server::{blocking, AppState};
use crate::util::{content_hash, finite, period_index};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use bloc_scenario::Scenario;
use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// The levy rule, as published with every row.
pub const LEVY_RULE: &str = "levy = clamp(floor − (origin price + transport + tariff), 0, cap); origin price: the reference methodology (bloc-ref/1: MAD trimming, at least 3 reporting entities, none above 50% of the kept volume) applied to the reports from the origin delivered `lag` periods before, else the reference price of the period";
/// `origin_price_method` when the origin's reports gave the price.
pub const ORIGIN_FROM_REPORTS: &str = "reports";
/// `origin_price_method` when the reference price stood in.
pub const ORIGIN_FROM_REFERENCE: &str = "reference";

/// A floor in force in the period.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct FloorEntry {
    /// Commodity id.
    pub commodity: String,
    /// Published reference, USD/t.
    pub reference_usd_per_t: f64,
    /// Content hash of that reference.
    pub reference_hash: String,
    /// Floor / reference.
    pub ratio: f64,
    /// The floor, USD/t.
    pub floor_usd_per_t: f64,
    /// Largest levy, USD/t.
    pub cap_usd_per_t: f64,
}

/// The levy on one route.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ScheduleRow {
    /// Commodity id.
    pub commodity: String,
    /// Member importer.
    pub importer: String,
    /// Non-member origin.
    pub origin: String,
    /// Origin price used, USD/t.
    pub origin_price_usd_per_t: f64,
    /// Which rule gave the origin price: `reports` (the reference methodology on the
    /// origin's reports) or `reference` (too few or too concentrated reports: c's reference).
    #[serde(default)]
    pub origin_price_method: String,
    /// Where the origin price comes from, in words.
    pub origin_price_basis: String,
    /// Transport o → d, USD/t.
    pub transport_usd_per_t: f64,
    /// MFN tariff at the origin price, USD/t.
    pub tariff_usd_per_t: f64,
    /// The floor, USD/t.
    pub floor_usd_per_t: f64,
    /// The levy, USD/t.
    pub levy_usd_per_t: f64,
}

/// A published schedule version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Schedule {
    /// Period.
    pub period: String,
    /// Version (1, 2, …); the latest is in force.
    pub version: i64,
    /// Why this version was published.
    pub reason: Option<String>,
    /// The levy rule.
    pub rule: String,
    /// Floors in force.
    pub floors: Vec<FloorEntry>,
    /// Levies by route.
    pub rows: Vec<ScheduleRow>,
    /// SHA-256 of floors and rows.
    pub content_hash: String,
    /// When it was published (UTC).
    pub published_at: Option<String>,
}

impl Schedule {
    /// The row of `commodity` from `origin` into `importer`, if the schedule levies it.
    pub fn row(&self, commodity: &str, importer: &str, origin: &str) -> Option<&ScheduleRow> {
        self.rows
            .iter()
            .find(|r| r.commodity == commodity && r.importer == importer && r.origin == origin)
    }
    /// The floor of `commodity`, if one is in force.
    pub fn floor(&self, commodity: &str) -> Option<&FloorEntry> {
        self.floors.iter().find(|f| f.commodity == commodity)
    }
}

/// Builds the floors and levy rows of period `t` from published references.
pub fn build(
    s: &Scenario,
    conn: &Connection,
    t: usize,
) -> ApiResult<(Vec<FloorEntry>, Vec<ScheduleRow>)> {
    let label = s.time.label(t);
    let mut floors = vec![];
    let mut rows = vec![];
    for rule in s.bloc.floors.iter().filter(|f| f.span.covers(t)) {
        let Some(c) = s.commodity_index(rule.commodity.as_str()) else {
            continue;
        };
        let cid = rule.commodity.as_str();
        let Some(rp) = published(conn, &label, cid)? else {
            return Err(ApiError::Conflict(format!(
                "no reference price of {cid} is published for {label}; POST /v1/reference-prices/{label}/compute first"
            )));
        };
        let floor = finite(
            &format!("the floor of {cid} in {label}"),
            rp.value_usd_per_t * rule.ratio,
        )?;
        floors.push(FloorEntry {
            commodity: cid.to_string(),
            reference_usd_per_t: rp.value_usd_per_t,
            reference_hash: rp.content_hash.clone(),
            ratio: rule.ratio,
            floor_usd_per_t: floor,
            cap_usd_per_t: rule.levy.cap.0,
        });
        let basis_t = t.checked_sub(rule.levy.lag);
        for (d, dr) in s.regions.iter().enumerate() {
            for (o, or) in s.regions.iter().enumerate() {
                if !bloc_policy::floor::levied(s, t, o, d, c) {
                    continue;
                }
                let Some(transport) = s.transport_cost(&or.id, &dr.id, &rule.commodity) else {
                    continue;
                };
                let (p, method, why) = origin_price(
                    conn,
                    s,
                    (cid, or.id.as_str()),
                    (basis_t, rule.levy.lag),
                    (&label, rp.value_usd_per_t),
                )?;
                let tariff = s
                    .tariff(&dr.id, &or.id, &rule.commodity)
                    .duty(bloc_units::UsdPerTonne(p), transport)
                    .0;
                let levy = bloc_policy::floor::levy(floor, p, transport.0, tariff, rule.levy.cap.0);
                let route = format!("{cid} {} → {}", or.id.as_str(), dr.id.as_str());
                finite(&format!("the tariff on {route}"), tariff)?;
                finite(&format!("the levy on {route}"), levy)?;
                finite(&format!("the transport cost on {route}"), transport.0)?;
                rows.push(ScheduleRow {
                    commodity: cid.to_string(),
                    importer: dr.id.as_str().to_string(),
                    origin: or.id.as_str().to_string(),
                    origin_price_usd_per_t: p,
                    origin_price_method: method.to_string(),
                    origin_price_basis: why,
                    transport_usd_per_t: transport.0,
                    tariff_usd_per_t: tariff,
                    floor_usd_per_t: floor,
                    levy_usd_per_t: levy,
                });
            }
        }
    }
    Ok((floors, rows))
}

/// The origin price of `cid` from `origin` in a levy row, with how it was found and why:
/// the reference methodology (bloc-ref/1: MAD trimming, at least 3 reporting entities, none
/// above 50% of the volume) applied to the reports of `cid` from `origin` delivered `lag`
/// periods before (`basis_t`); else `cid`'s reference in the period (`label`, `reference`).
/// One report cannot move it.
fn origin_price(
    conn: &Connection,
    s: &Scenario,
    (cid, origin): (&str, &str),
    (basis_t, lag): (Option<usize>, usize),
    (label, reference): (&str, f64),
) -> ApiResult<(f64, &'static str, String)> {
    let mut basis = None;
    let mut why_not = format!("no reports from {} for the lag {}", origin, lag);
    if let Some(bt) = basis_t {
        let bl = s.time.label(bt);
        let rep: Vec<_> = query(
            conn,
            "v.delivery_period = ?1 AND v.commodity = ?2 AND v.origin = ?3",
            &[&bl, &cid, &origin],
        )?
        .into_iter()
        .filter(in_bounds)
        .collect();
        let fr = from_stored_reports(&METHODOLOGY, &rep);
        match fr.value {
            Some(p) => {
                basis = Some((
                    finite(&format!("the origin price of {cid} from {}", origin), p)?,
                    ORIGIN_FROM_REPORTS,
                    format!(
                        "{}: {} of {} reports of {cid} from {} delivered {bl} kept, {} reporting entities, volume-weighted",
                        METHODOLOGY.version,
                        fr.used.len(),
                        rep.len(),
                        origin,
                        fr.reporters
                    ),
                ));
            }
            None if !rep.is_empty() => {
                why_not = format!(
                    "the {} reports of {cid} from {} delivered {bl} do not pass {}: {}",
                    rep.len(),
                    origin,
                    METHODOLOGY.version,
                    fr.reason.unwrap_or_default()
                );
            }
            None => {}
        }
    }
    Ok(basis.unwrap_or_else(|| {
        (
            reference,
            ORIGIN_FROM_REFERENCE,
            format!("reference of {cid} in {label} ({why_not})"),
        )
    }))
}

fn read(body: &str, at: String) -> rusqlite::Result<Schedule> {
    let mut s: Schedule = serde_json::from_str(body)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    s.published_at = Some(at);
    Ok(s)
}

/// Whether every number of a schedule is finite.
fn all_finite(s: &Schedule) -> bool {
    s.floors.iter().all(|f| {
        [
            f.reference_usd_per_t,
            f.ratio,
            f.floor_usd_per_t,
            f.cap_usd_per_t,
        ]
        .iter()
        .all(|v| v.is_finite())
    }) && s.rows.iter().all(|r| {
        [
            r.origin_price_usd_per_t,
            r.transport_usd_per_t,
            r.tariff_usd_per_t,
            r.floor_usd_per_t,
            r.levy_usd_per_t,
        ]
        .iter()
        .all(|v| v.is_finite())
    })
}

/// What is published: the latest version of each period's schedule, and the periods whose
/// latest version cannot be used (unreadable, or a number that is not finite), with why.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The schedule in force, by period.
    pub in_force: HashMap<String, Arc<Schedule>>,
    /// Periods whose latest version cannot be used, and why.
    pub unusable: HashMap<String, String>,
}

/// The latest version of every published schedule, by period. Never fails on a stored row:
/// a row no reader accepts is listed in [`Loaded::unusable`] (and said on stderr), so that
/// the service still starts and a revision can replace it.
pub fn load_latest(conn: &Connection) -> anyhow::Result<Loaded> {
    let mut st = conn.prepare(
        "SELECT period, version, body, published_at FROM schedules s WHERE version = (SELECT MAX(version) FROM schedules t WHERE t.period = s.period)",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Loaded::default();
    for row in rows {
        let (period, version, body, at) = row?;
        let why = match read(&body, at) {
            Ok(s) if all_finite(&s) => {
                out.in_force.insert(period, Arc::new(s));
                continue;
            }
            Ok(_) => "a number in it is not finite".to_string(),
            Err(e) => format!("it cannot be read: {e}"),
        };
        let msg = format!(
            "version {version} of the {period} schedule is not usable ({why}); the secretariat must publish a revision"
        );
        eprintln!("bloc serve: warning: {msg}");
        out.unusable.insert(period, msg);
    }
    Ok(out)
}

/// `POST /v1/schedule/{period}/publish` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// Why (required for a revision, i.e. any version after the first).
    pub reason: Option<String>,
}

/// Publish the floors and levy schedule of a period (secretariat): version 1, or a revision.
#[utoipa::path(post, path = "/v1/schedule/{period}/publish", request_body = PublishRequest,
    params(("period" = String, Path, description = "Period label: 2026Q2 (a four-digit year in a yearly bloc)", pattern = r"^[0-9]{4}(Q[1-4])?$")), security(("bearer" = [])),
    responses((status = 201, body = Schedule), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody, description = "no reference prices yet, or nothing changed"),
        (status = 413, body = crate::error::ErrorBody, description = "body above 64 KiB"),
        (status = 422, body = crate::error::ErrorBody, description = "a result would not be a finite number")))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(period): ApiPath<String>,
    ApiJson(req): ApiJson<PublishRequest>,
) -> ApiResult<(StatusCode, Json<Schedule>)> {
    caller.require(Role::Secretariat)?;
    let t = period_index(&state.scenario, &period).map_err(|m| ApiError::field("period", m))?;
    let sched = blocking(&state, move |st| {
        let s = &st.scenario;
        let label = s.time.label(t);
        let mut conn = st.db.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (floors, rows) = build(s, &tx, t)?;
        let hash = content_hash(&serde_json::json!({"floors": floors, "rows": rows}));
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT version, content_hash FROM schedules WHERE period = ?1 ORDER BY version DESC LIMIT 1",
                [&label],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let version = last.as_ref().map_or(1, |l| l.0 + 1);
        if let Some((v, h)) = &last {
            if *h == hash {
                return Err(ApiError::Conflict(format!(
                    "nothing changed since version {v} of the {label} schedule"
                )));
            }
            if req.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(ApiError::field("reason", format!("version {v} is published; a revision needs a reason")));
            }
        }
        let sched = Schedule {
            period: label.clone(),
            version,
            reason: req.reason.clone(),
            rule: LEVY_RULE.to_string(),
            floors,
            rows,
            content_hash: hash.clone(),
            published_at: None,
        };
        tx.execute(
            "INSERT INTO schedules (period, version, body, content_hash) VALUES (?1, ?2, ?3, ?4)",
            (&label, version, serde_json::to_string(&sched).map_err(anyhow::Error::from)?, &hash),
        )?;
        audit(&tx, &caller.entity, caller.role.as_str(), "schedule.publish", &format!("schedule/{label}/{version}"),
            &serde_json::json!({"reason": req.reason, "content_hash": hash}))?;
        let at: String = tx.query_row("SELECT published_at FROM schedules WHERE period = ?1 AND version = ?2", (&label, version), |r| r.get(0))?;
        tx.commit()?;
        Ok(Schedule { published_at: Some(at), ..sched })
    })
    .await?;
    let sched = Arc::new(sched);
    state
        .schedules
        .write()
        .await
        .insert(sched.period.clone(), sched.clone());
    state.unusable_schedules.write().await.remove(&sched.period);
    Ok((StatusCode::CREATED, Json((*sched).clone())))
}

/// `GET /v1/schedule/{period}` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version; default the latest (the one in force).
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

/// The published schedule of a period: the latest version, or `?version=n`.
#[utoipa::path(get, path = "/v1/schedule/{period}", params(("period" = String, Path, description = "Period label: 2026Q2 (a four-digit year in a yearly bloc)", pattern = r"^[0-9]{4}(Q[1-4])?$"), VersionQuery),
    responses((status = 200, body = Schedule), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody, description = "the stored version cannot be read")))]
pub async fn get_period(
    State(state): State<Arc<AppState>>,
    ApiPath(period): ApiPath<String>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> ApiResult<Json<Schedule>> {
    let t = period_index(&state.scenario, &period).map_err(|m| ApiError::field("period", m))?;
    let label = state.scenario.time.label(t);
    match q.version {
        None => state
            .schedules
            .read()
            .await
            .get(&label)
            .map(|s| Json((**s).clone()))
            .ok_or_else(|| ApiError::NotFound(format!("no schedule published for {label}"))),
        Some(v) => {
            blocking(&state, move |st| {
                let conn = st.db.reader();
                conn.query_row(
                    "SELECT body, published_at FROM schedules WHERE period = ?1 AND version = ?2",
                    (&label, v),
                    |r| read(&r.get::<_, String>(0)?, r.get(1)?),
                )
                .map(Json)
                .map_err(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => {
                        ApiError::NotFound(format!("no version {v} of the {label} schedule"))
                    }
                    rusqlite::Error::ToSqlConversionFailure(e) => ApiError::Rejected(format!(
                        "version {v} of the {label} schedule cannot be read ({e})"
                    )),
                    e => e.into(),
                })
            })
            .await
        }
    }
}

/// A published schedule in the list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleSummary {
    /// Period.
    pub period: String,
    /// Latest version.
    pub version: i64,
    /// Its content hash.
    pub content_hash: String,
}

/// The periods with a published schedule, and their latest version.
#[utoipa::path(get, path = "/v1/schedule", responses((status = 200, body = Vec<ScheduleSummary>)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Json<Vec<ScheduleSummary>> {
    let mut v: Vec<ScheduleSummary> = state
        .schedules
        .read()
        .await
        .values()
        .map(|s| ScheduleSummary {
            period: s.period.clone(),
            version: s.version,
            content_hash: s.content_hash.clone(),
        })
        .collect();
    v.sort_by(|a, b| a.period.cmp(&b.period));
    Json(v)
}
