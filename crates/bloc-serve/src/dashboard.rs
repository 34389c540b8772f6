//! The web dashboard, served by the same binary: reference prices over time (an SVG chart),
//! the schedule in force, a duty calculator and the ledger. Plain HTML and JavaScript embedded
//! in the binary (`web/`), no external scripts; it reads the public API.

use crate::server::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::Json;
use serde::Serialize;
use std::sync::Arc;

/// `GET /`.
pub async fn index() -> Html<&'static str> {
    Html(include_str!("../web/index.html"))
}

/// `GET /app.js`.
pub async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../web/app.js"),
    )
}

/// `GET /style.css`.
pub async fn style() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../web/style.css"),
    )
}

/// What the dashboard needs to build its forms.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicConfig {
    /// Bloc name.
    pub bloc: String,
    /// Scenario name.
    pub scenario: String,
    /// Region ids.
    pub regions: Vec<String>,
    /// Commodity ids.
    pub commodities: Vec<String>,
    /// Period labels of the horizon.
    pub periods: Vec<String>,
}

/// `GET /v1/config`: the bloc's regions, commodities and periods.
#[utoipa::path(get, path = "/v1/config", responses((status = 200, body = PublicConfig)))]
pub async fn config(State(state): State<Arc<AppState>>) -> Json<PublicConfig> {
    let s = &state.scenario;
    Json(PublicConfig {
        bloc: s.bloc.name.clone(),
        scenario: s.name.clone(),
        regions: s
            .regions
            .iter()
            .map(|r| r.id.as_str().to_string())
            .collect(),
        commodities: s
            .commodities
            .iter()
            .map(|c| c.id.as_str().to_string())
            .collect(),
        periods: (0..s.time.periods).map(|t| s.time.label(t)).collect(),
    })
}
