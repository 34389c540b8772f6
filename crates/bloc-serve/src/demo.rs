//! `bloc serve --demo`: demo tokens and demo data, so that the dashboard opens populated.
//!
//! A demo start makes its tokens ([`crate::cli::demo_tokens`]) and then seeds, through the
//! API's own handlers (the same validation, idempotency and immutability rules as a
//! `curl` call, not SQL that could bypass them):
//! - the demo reporters' price reports of [`DEMO_PERIODS`] ([`demo_reports`]: members' trade in
//!   NdPr oxide and lithium carbonate, and imports from CHN, CHL and ARG for the levy's origin
//!   prices);
//! - the reference prices of each of those periods (`POST /v1/reference-prices/{p}/compute`);
//! - the floors and levy schedule of each (`POST /v1/schedule/{p}/publish`, with the reason
//!   [`DEMO_REASON`]).
//!
//! The data are fixed (no clock, no random draw), so every demo start asks for the same
//! writes, and a second start writes nothing: a report is stored once per entity and
//! idempotency key (`demo/…`), a period's reference prices are published once (the API's 409
//! is taken as "already there"), and a period that already has a schedule gets no new
//! version. Nothing is ever deleted or rewritten. Rows are marked as demo where the schema can
//! say so: the tokens (`demo = 1`), and through them the reports (`token_id`); the reports'
//! idempotency keys start with `demo/`; the schedules carry [`DEMO_REASON`].

use crate::auth::{lookup, Caller, TokenStatus};
use crate::error::ApiError;
use crate::json::{ApiJson, ApiPath};
use crate::reports::NewReport;
use crate::schedule::PublishRequest;
use crate::server::AppState;
use anyhow::{Context, Result};
use axum::extract::State;
use axum::http::StatusCode;
use bloc_scenario::Scenario;
use std::sync::Arc;

/// The periods the demo seeds (reports, reference prices, schedule).
pub const DEMO_PERIODS: &[&str] = &["2026Q1", "2026Q2", "2026Q3", "2026Q4"];

/// The reason recorded with every schedule the demo publishes.
pub const DEMO_REASON: &str = "bloc serve --demo: demo data (illustrative prices)";

/// One demo token: who it is, and the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoToken {
    /// The member of a reporter (none for the secretariat).
    pub member: Option<String>,
    /// The reporting entity.
    pub entity: String,
    /// The token (`bloc_…`).
    pub token: String,
}

/// The tokens of a demo start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoTokens {
    /// The secretariat's.
    pub secretariat: Option<DemoToken>,
    /// One per demo reporter that is a member of the bloc.
    pub reporters: Vec<DemoToken>,
}

/// Price trends of the demo, USD/t, one value per period of [`DEMO_PERIODS`]: (commodity,
/// origin, prices, volume of one report in t). Member origins set the reference price; the
/// others the levy schedule's origin prices (its `lag` is one period).
const TRENDS: &[(&str, &str, [f64; 4], f64)] = &[
    (
        "ndpr_oxide",
        "AUS",
        [70_000.0, 71_500.0, 73_500.0, 72_800.0],
        12.0,
    ),
    (
        "ndpr_oxide",
        "CHN",
        [40_000.0, 41_200.0, 42_600.0, 43_100.0],
        10.0,
    ),
    (
        "li2co3",
        "AUS",
        [11_800.0, 11_150.0, 10_600.0, 10_950.0],
        250.0,
    ),
    ("li2co3", "CHL", [9_050.0, 8_700.0, 8_350.0, 8_600.0], 300.0),
    ("li2co3", "ARG", [9_300.0, 8_950.0, 8_700.0, 8_800.0], 200.0),
];

/// How each reporter's deal differs from the trend: price factor, volume factor. Within the
/// methodology's trimming band (±2% of the median), and no entity above half the volume.
const SPREAD: &[(f64, f64)] = &[(0.99, 1.0), (1.004, 1.25), (1.013, 0.8)];

/// A trade date inside a quarter (its middle month), `YYYY-MM-15`.
fn trade_date(period: &str) -> String {
    let (year, q) = period.split_at(4);
    let month = match q {
        "Q1" => 2,
        "Q2" => 5,
        "Q3" => 8,
        _ => 11,
    };
    format!("{year}-{month:02}-15")
}

/// The demo's reports: (index of the reporter in `entities`, report), in a fixed order. Each
/// entity reports every trend in every period, so every reference and origin price comes
/// from three entities.
pub fn demo_reports(entities: &[&str]) -> Vec<(usize, NewReport)> {
    let mut out = vec![];
    for (t, period) in DEMO_PERIODS.iter().enumerate() {
        for (commodity, origin, prices, volume) in TRENDS {
            for (e, entity) in entities.iter().enumerate() {
                let (pf, vf) = SPREAD[e % SPREAD.len()];
                out.push((
                    e,
                    NewReport {
                        commodity: commodity.to_string(),
                        origin: origin.to_string(),
                        delivery_period: period.to_string(),
                        price_usd_per_t: (prices[t] * pf).round(),
                        volume_t: (volume * vf).round(),
                        trade_date: trade_date(period),
                        incoterm: "CIF".to_string(),
                        counterparty_type: if *origin == "AUS" {
                            "member".to_string()
                        } else {
                            "non_member".to_string()
                        },
                        idempotency_key: format!("demo/{period}/{commodity}/{origin}/{entity}"),
                    },
                ));
            }
        }
    }
    out
}

/// What a seeding wrote and what it found already there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Reports stored now.
    pub reports_new: usize,
    /// Reports already stored by an earlier start.
    pub reports_kept: usize,
    /// Periods whose reference prices were published now.
    pub references_published: Vec<String>,
    /// Periods whose schedule was published now.
    pub schedules_published: Vec<String>,
    /// What was left as it was, and why (one line each).
    pub notes: Vec<String>,
}

impl Seeded {
    /// The lines `bloc serve --demo` prints.
    pub fn lines(&self) -> Vec<String> {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none (already published)".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut out = vec![
            format!(
                "demo data: {} price reports stored, {} already there",
                self.reports_new, self.reports_kept
            ),
            format!(
                "demo data: reference prices published for {}",
                list(&self.references_published)
            ),
            format!(
                "demo data: levy schedule published for {}",
                list(&self.schedules_published)
            ),
        ];
        out.extend(self.notes.iter().map(|n| format!("demo data: {n}")));
        out
    }
}

fn caller_of(state: &AppState, t: &DemoToken) -> Result<Caller> {
    match lookup(&state.db.reader(), &t.token)? {
        TokenStatus::Active(c) => Ok(c),
        other => anyhow::bail!(
            "the demo token of {} is not usable right after it was made ({other:?})",
            t.entity
        ),
    }
}

fn api_error(what: &str, e: ApiError) -> anyhow::Error {
    anyhow::Error::new(e).context(format!("seeding the demo data: {what}"))
}

/// Seeds the demo data of a `--demo` start with its `tokens` (see the module docs). Fails, with
/// what it was doing, only on an error the API itself would answer 4xx or 5xx to that is not
/// "already there".
pub async fn seed(state: &Arc<AppState>, tokens: &DemoTokens) -> Result<Seeded> {
    let s: &Scenario = &state.scenario;
    let mut out = Seeded::default();
    let sec = tokens
        .secretariat
        .as_ref()
        .context("seeding the demo data: no demo secretariat token")?;
    let sec = caller_of(state, sec)?;
    let reporters = tokens
        .reporters
        .iter()
        .map(|t| caller_of(state, t))
        .collect::<Result<Vec<_>>>()?;
    let entities: Vec<&str> = reporters.iter().map(|c| c.entity.as_str()).collect();
    // Periods outside the configured horizon are left out (a demo configuration may be
    // shorter); none is an error.
    let periods: Vec<&str> = DEMO_PERIODS
        .iter()
        .copied()
        .filter(|p| crate::util::period_index(s, p).is_ok())
        .collect();

    for (e, new) in demo_reports(&entities) {
        if !periods.contains(&new.delivery_period.as_str()) {
            continue;
        }
        let key = new.idempotency_key.clone();
        match crate::reports::create(State(state.clone()), reporters[e].clone(), ApiJson(new)).await
        {
            Ok((StatusCode::CREATED, _)) => out.reports_new += 1,
            Ok(_) => out.reports_kept += 1,
            // The key was used for another report (e.g. by hand): leave it be.
            Err(ApiError::Conflict(m)) => out.notes.push(format!("report {key} left out: {m}")),
            Err(e) => return Err(api_error(&format!("report {key}"), e)),
        }
    }
    for p in &periods {
        match crate::reference::compute(State(state.clone()), sec.clone(), ApiPath(p.to_string()))
            .await
        {
            Ok(_) => out.references_published.push(p.to_string()),
            // Published before (by an earlier start, or by the secretariat): immutable, kept.
            Err(ApiError::Conflict(_)) => {}
            Err(e) => return Err(api_error(&format!("reference prices of {p}"), e)),
        }
    }
    for p in &periods {
        let published = state.schedules.read().await.contains_key(*p);
        let unusable = state.unusable_schedules.read().await.contains_key(*p);
        if published || unusable {
            continue;
        }
        let req = PublishRequest {
            reason: Some(DEMO_REASON.to_string()),
        };
        match crate::schedule::publish(
            State(state.clone()),
            sec.clone(),
            ApiPath(p.to_string()),
            ApiJson(req),
        )
        .await
        {
            Ok(_) => out.schedules_published.push(p.to_string()),
            Err(ApiError::Conflict(m)) => out
                .notes
                .push(format!("schedule of {p} not published: {m}")),
            Err(e) => return Err(api_error(&format!("schedule of {p}"), e)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every demo report passes the API's validation, and each (period, commodity, origin)
    /// has three entities within the trimming band and none above half the volume: the
    /// reference and origin prices come from the reports, not from a fallback.
    #[test]
    fn demo_reports_are_valid_and_pass_the_methodology() {
        let s = crate::cli::demo_scenario().unwrap();
        let entities = ["USA-DOE", "JPN-METI", "AUS-DISR"];
        let v = demo_reports(&entities);
        assert_eq!(v.len(), DEMO_PERIODS.len() * TRENDS.len() * entities.len());
        for (_, r) in &v {
            crate::reports::validate(&s, &r.fields()).unwrap();
        }
        for chunk in v.chunks(entities.len()) {
            let triples: Vec<(&str, f64, f64)> = chunk
                .iter()
                .map(|(e, r)| {
                    (
                        entities[*e],
                        r.fields().price_usd_per_t,
                        r.fields().volume_t,
                    )
                })
                .collect();
            let f = crate::reference::from_reports(&crate::reference::METHODOLOGY, &triples);
            assert!(f.value.is_some(), "{triples:?}: {:?}", f.reason);
            assert_eq!(f.used.len(), 3, "{triples:?}");
        }
        let key = |v: &[(usize, NewReport)]| {
            v.iter()
                .map(|(e, r)| (*e, r.fields(), r.idempotency_key.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&v), key(&demo_reports(&entities)), "deterministic");
    }
}
