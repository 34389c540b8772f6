//! Price reports: `POST /v1/reports`, corrections, and reading them back.
//!
//! Reports are append-only. A correction is a new version of the report with a reason; the
//! methodology uses the latest version of each. A report carries an idempotency key, unique
//! per reporting entity: sending the same report again returns the stored one (200), sending
//! a different report under a used key is a conflict (409).

use crate::auth::{Caller, Role};
use crate::db::audit;
use crate::error::{ApiError, ApiResult};
use crate::json::ApiJson;
use crate::json::{ApiPath, ApiQuery};
use crate::server::{blocking, AppState};
use crate::util::{
    bounded, content_hash, period_index, text, Date, MAX_NAME, MAX_T, MAX_TEXT, MAX_USD_PER_T,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use bloc_scenario::Scenario;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Incoterms accepted in a report.
pub const INCOTERMS: &[&str] = &[
    "EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP",
];
/// Counterparty types accepted in a report.
pub const COUNTERPARTY_TYPES: &[&str] = &["member", "non_member", "state_entity", "affiliate"];

/// The fields of a transaction price report.
// No `deny_unknown_fields`: these fields are flattened into [`Report`], whose schema (an
// `allOf`) would then say `additionalProperties: false` of a report that also has `id`,
// `version` and the rest, so that every stored report broke its own schema. Requests are read
// as [`NewReport`] and [`Correction`], which do refuse unknown fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ReportFields {
    /// Commodity id of the configuration (e.g. `ndpr_oxide`).
    #[schema(min_length = 1, max_length = 128)]
    pub commodity: String,
    /// Region the material comes from (a region id of the configuration).
    #[schema(min_length = 1, max_length = 128)]
    pub origin: String,
    /// Delivery period, `2026Q2` (or `2026` for a yearly configuration).
    #[schema(pattern = r"^[0-9]{4}(Q[1-4])?$", example = "2026Q1")]
    pub delivery_period: String,
    /// Price, USD per tonne, > 0 and ≤ 1e10.
    #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
    pub price_usd_per_t: f64,
    /// Volume, tonnes, > 0 and ≤ 1e10.
    #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
    pub volume_t: f64,
    /// Trade date, `YYYY-MM-DD`.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-01-15")]
    pub trade_date: String,
    /// Incoterm, e.g. `FOB`, `CIF`.
    #[schema(min_length = 3, max_length = 3, example = "CIF")]
    pub incoterm: String,
    /// Counterparty type: `member`, `non_member`, `state_entity` or `affiliate`.
    #[schema(example = "member")]
    pub counterparty_type: String,
}

/// `POST /v1/reports` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// Commodity id of the configuration (e.g. `ndpr_oxide`).
    #[schema(min_length = 1, max_length = 128)]
    pub commodity: String,
    /// Region the material comes from (a region id of the configuration).
    #[schema(min_length = 1, max_length = 128)]
    pub origin: String,
    /// Delivery period, `2026Q2` (or `2026` for a yearly configuration).
    #[schema(pattern = r"^[0-9]{4}(Q[1-4])?$", example = "2026Q1")]
    pub delivery_period: String,
    /// Price, USD per tonne, > 0 and ≤ 1e10.
    #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
    pub price_usd_per_t: f64,
    /// Volume, tonnes, > 0 and ≤ 1e10.
    #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
    pub volume_t: f64,
    /// Trade date, `YYYY-MM-DD`.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-01-15")]
    pub trade_date: String,
    /// Incoterm, e.g. `FOB`, `CIF`.
    #[schema(min_length = 3, max_length = 3, example = "CIF")]
    pub incoterm: String,
    /// Counterparty type: `member`, `non_member`, `state_entity` or `affiliate`.
    #[schema(example = "member")]
    pub counterparty_type: String,
    /// Unique per reporting entity; a retry with the same key stores nothing new.
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*\S[^\u0000-\u001f\u007f-\u009f]*$"
    )]
    pub idempotency_key: String,
}

/// `POST /v1/reports/{id}/corrections` body: the corrected report and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// Commodity id of the configuration (e.g. `ndpr_oxide`).
    #[schema(min_length = 1, max_length = 128)]
    pub commodity: String,
    /// Region the material comes from (a region id of the configuration).
    #[schema(min_length = 1, max_length = 128)]
    pub origin: String,
    /// Delivery period, `2026Q2` (or `2026` for a yearly configuration).
    #[schema(pattern = r"^[0-9]{4}(Q[1-4])?$", example = "2026Q1")]
    pub delivery_period: String,
    /// Price, USD per tonne, > 0 and ≤ 1e10.
    #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
    pub price_usd_per_t: f64,
    /// Volume, tonnes, > 0 and ≤ 1e10.
    #[schema(exclusive_minimum = 0.0, maximum = 1e10)]
    pub volume_t: f64,
    /// Trade date, `YYYY-MM-DD`.
    #[schema(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-01-15")]
    pub trade_date: String,
    /// Incoterm, e.g. `FOB`, `CIF`.
    #[schema(min_length = 3, max_length = 3, example = "CIF")]
    pub incoterm: String,
    /// Counterparty type: `member`, `non_member`, `state_entity` or `affiliate`.
    #[schema(example = "member")]
    pub counterparty_type: String,
    /// Why it is corrected (not empty).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

macro_rules! fields_of {
    ($t:ty) => {
        impl $t {
            /// The report's fields.
            pub fn fields(&self) -> ReportFields {
                ReportFields {
                    commodity: self.commodity.clone(),
                    origin: self.origin.clone(),
                    delivery_period: self.delivery_period.clone(),
                    price_usd_per_t: self.price_usd_per_t,
                    volume_t: self.volume_t,
                    trade_date: self.trade_date.clone(),
                    incoterm: self.incoterm.clone(),
                    counterparty_type: self.counterparty_type.clone(),
                }
            }
        }
    };
}
fields_of!(NewReport);
fields_of!(Correction);

/// A stored report version.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Report {
    /// Report id.
    pub id: i64,
    /// Version, 1 for the original, +1 per correction.
    pub version: i64,
    /// Reporting entity.
    pub entity: String,
    /// Member the entity reports for.
    pub member: String,
    /// The report.
    #[serde(flatten)]
    #[schema(inline)]
    pub fields: ReportFields,
    /// Idempotency key of the original.
    pub idempotency_key: String,
    /// Why this version corrects the last (none for the original).
    pub reason: Option<String>,
    /// When this version was stored (UTC).
    pub created_at: String,
}

/// Checks a report's fields against the configuration; the error names the field.
pub fn validate(s: &Scenario, f: &ReportFields) -> ApiResult<()> {
    if s.commodity_index(&f.commodity).is_none() {
        return Err(ApiError::field(
            "commodity",
            format!(
                "`{}` is not a commodity of this bloc; one of: {}",
                f.commodity,
                s.commodities
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if s.region_index(&f.origin).is_none() {
        return Err(ApiError::field(
            "origin",
            format!(
                "`{}` is not a region of this bloc; one of: {}",
                f.origin,
                s.regions
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    period_index(s, &f.delivery_period).map_err(|m| ApiError::field("delivery_period", m))?;
    bounded("price_usd_per_t", f.price_usd_per_t, false, MAX_USD_PER_T)?;
    bounded("volume_t", f.volume_t, false, MAX_T)?;
    Date::parse(&f.trade_date).map_err(|m| ApiError::field("trade_date", m))?;
    if !INCOTERMS.contains(&f.incoterm.as_str()) {
        return Err(ApiError::field(
            "incoterm",
            format!(
                "`{}` is not an Incoterm; one of: {}",
                f.incoterm,
                INCOTERMS.join(", ")
            ),
        ));
    }
    if !COUNTERPARTY_TYPES.contains(&f.counterparty_type.as_str()) {
        return Err(ApiError::field(
            "counterparty_type",
            format!(
                "`{}` is not a counterparty type; one of: {}",
                f.counterparty_type,
                COUNTERPARTY_TYPES.join(", ")
            ),
        ));
    }
    Ok(())
}

const SELECT: &str = "SELECT r.id, v.version, r.entity, r.member, v.commodity, v.origin, \
    v.delivery_period, v.price_usd_per_t, v.volume_t, v.trade_date, v.incoterm, \
    v.counterparty_type, r.idempotency_key, v.reason, v.created_at \
    FROM reports r JOIN report_versions v ON v.report_id = r.id";

/// The latest version of each report (the ones the methodology uses).
pub const LATEST: &str =
    "v.version = (SELECT MAX(version) FROM report_versions w WHERE w.report_id = r.id)";

/// Reads rows of [`SELECT`].
pub fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Report> {
    Ok(Report {
        id: r.get(0)?,
        version: r.get(1)?,
        entity: r.get(2)?,
        member: r.get(3)?,
        fields: ReportFields {
            commodity: r.get(4)?,
            origin: r.get(5)?,
            delivery_period: r.get(6)?,
            price_usd_per_t: r.get(7)?,
            volume_t: r.get(8)?,
            trade_date: r.get(9)?,
            incoterm: r.get(10)?,
            counterparty_type: r.get(11)?,
        },
        idempotency_key: r.get(12)?,
        reason: r.get(13)?,
        created_at: r.get(14)?,
    })
}

/// Latest versions of the reports matching `filter` (an SQL condition on `r`/`v`).
pub fn query(
    conn: &Connection,
    filter: &str,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Vec<Report>> {
    let sql = format!("{SELECT} WHERE {LATEST} AND ({filter}) ORDER BY r.id");
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(params, row)?;
    rows.collect()
}

fn insert_version(
    tx: &Connection,
    id: i64,
    version: i64,
    f: &ReportFields,
    reason: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO report_versions (report_id, version, commodity, origin, delivery_period, \
         price_usd_per_t, volume_t, trade_date, incoterm, counterparty_type, reason) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(rusqlite::params![
        id,
        version,
        f.commodity,
        f.origin,
        f.delivery_period,
        f.price_usd_per_t,
        f.volume_t,
        f.trade_date,
        f.incoterm,
        f.counterparty_type,
        reason
    ])?;
    Ok(())
}

fn one(conn: &Connection, id: i64) -> rusqlite::Result<Option<Report>> {
    let sql = format!("{SELECT} WHERE {LATEST} AND r.id = ?1");
    conn.query_row(&sql, [id], row).optional()
}

/// Stores a report for `caller` (idempotent on the key). Returns it and whether it is new.
pub fn store(conn: &mut Connection, caller: &Caller, new: &NewReport) -> ApiResult<(Report, bool)> {
    let fields = new.fields();
    let member = caller.member.clone().unwrap_or_default();
    let hash = content_hash(&serde_json::to_value(&fields).map_err(anyhow::Error::from)?);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<(i64, String)> = tx
        .query_row(
            "SELECT id, request_hash FROM reports WHERE entity = ?1 AND idempotency_key = ?2",
            (&caller.entity, &new.idempotency_key),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if let Some((id, h)) = existing {
        if h != hash {
            return Err(ApiError::Conflict(format!(
                "idempotency_key `{}` was used for a different report (id {id}); use a new key, or POST /v1/reports/{id}/corrections to correct it",
                new.idempotency_key
            )));
        }
        let r = one(&tx, id)?.ok_or_else(|| anyhow::anyhow!("report {id} has no version"))?;
        return Ok((r, false));
    }
    tx.prepare_cached(
        "INSERT INTO reports (entity, member, token_id, idempotency_key, request_hash) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute((&caller.entity, &member, caller.token_id, &new.idempotency_key, &hash))?;
    let id = tx.last_insert_rowid();
    insert_version(&tx, id, 1, &fields, None)?;
    audit(
        &tx,
        &caller.entity,
        caller.role.as_str(),
        "report.create",
        &format!("report/{id}"),
        &serde_json::to_value(&fields).map_err(anyhow::Error::from)?,
    )?;
    let r = one(&tx, id)?.ok_or_else(|| anyhow::anyhow!("report {id} vanished"))?;
    tx.commit()?;
    Ok((r, true))
}

/// Submit a transaction price report (reporter).
#[utoipa::path(post, path = "/v1/reports", request_body = NewReport,
    security(("bearer" = [])),
    responses((status = 201, body = Report, description = "stored"),
        (status = 200, body = Report, description = "already stored under this idempotency key"),
        (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody, description = "body above 64 KiB")))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(new): ApiJson<NewReport>,
) -> ApiResult<(StatusCode, Json<Report>)> {
    caller.require(Role::Reporter)?;
    validate(&state.scenario, &new.fields())?;
    text("idempotency_key", &new.idempotency_key, MAX_NAME)?;
    let (r, fresh) = blocking(&state, move |st| store(&mut st.db.writer(), &caller, &new)).await?;
    let code = if fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(r)))
}

/// Correct a report: a new version with a reason (the reporting entity only).
#[utoipa::path(post, path = "/v1/reports/{id}/corrections", request_body = Correction,
    params(("id" = i64, Path, description = "report id")), security(("bearer" = [])),
    responses((status = 201, body = Report), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody, description = "body above 64 KiB")))]
pub async fn correct(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
    ApiJson(c): ApiJson<Correction>,
) -> ApiResult<(StatusCode, Json<Report>)> {
    caller.require(Role::Reporter)?;
    validate(&state.scenario, &c.fields())?;
    if c.reason.trim().is_empty() {
        return Err(ApiError::field("reason", "a correction needs a reason"));
    }
    text("reason", &c.reason, MAX_TEXT)?;
    let r = blocking(&state, move |st| {
        let mut conn = st.db.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cur = one(&tx, id)?.ok_or_else(|| ApiError::NotFound(format!("no report {id}")))?;
        if cur.entity != caller.entity {
            return Err(ApiError::Forbidden(format!(
                "report {id} belongs to another reporting entity"
            )));
        }
        insert_version(&tx, id, cur.version + 1, &c.fields(), Some(c.reason.trim()))?;
        audit(
            &tx,
            &caller.entity,
            caller.role.as_str(),
            "report.correct",
            &format!("report/{id}"),
            &serde_json::json!({"version": cur.version + 1, "reason": c.reason, "fields": c.fields()}),
        )?;
        let r = one(&tx, id)?.ok_or_else(|| anyhow::anyhow!("report {id} vanished"))?;
        tx.commit()?;
        Ok(r)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Filters of `GET /v1/reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFilter {
    /// Only this delivery period (`2026Q2`).
    #[param(pattern = r"^[0-9]{4}(Q[1-4])?$")]
    pub period: Option<String>,
    /// Only this commodity.
    pub commodity: Option<String>,
}

/// The caller's own reports (reporter) or all reports (secretariat), latest versions.
#[utoipa::path(get, path = "/v1/reports", params(ReportFilter), security(("bearer" = [])),
    responses((status = 200, body = Vec<Report>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiQuery(f): ApiQuery<ReportFilter>,
) -> ApiResult<Json<Vec<Report>>> {
    if let Some(p) = &f.period {
        period_index(&state.scenario, p).map_err(|m| ApiError::field("period", m))?;
    }
    let v = blocking(&state, move |st| {
        let conn = st.db.reader();
        let entity = match caller.role {
            Role::Secretariat => None,
            Role::Reporter => Some(caller.entity.clone()),
        };
        Ok(query(
            &conn,
            "(?1 IS NULL OR r.entity = ?1) AND (?2 IS NULL OR v.delivery_period = ?2) AND (?3 IS NULL OR v.commodity = ?3)",
            &[&entity, &f.period, &f.commodity],
        )?)
    })
    .await?;
    Ok(Json(v))
}

/// Every version of one report (its entity or the secretariat).
#[utoipa::path(get, path = "/v1/reports/{id}", params(("id" = i64, Path, description = "report id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Report>), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<Report>>> {
    let v = blocking(&state, move |st| {
        let conn = st.db.reader();
        let mut stmt =
            conn.prepare_cached(&format!("{SELECT} WHERE r.id = ?1 ORDER BY v.version"))?;
        let v: Vec<Report> = stmt
            .query_map([id], row)?
            .collect::<rusqlite::Result<_>>()?;
        let first = v
            .first()
            .ok_or_else(|| ApiError::NotFound(format!("no report {id}")))?;
        if caller.role == Role::Reporter && first.entity != caller.entity {
            return Err(ApiError::Forbidden(format!(
                "report {id} belongs to another reporting entity"
            )));
        }
        Ok(v)
    })
    .await?;
    Ok(Json(v))
}
