//! The router, the shared state and the server loop.

use crate::db::Db;
use crate::schedule::Schedule;
use crate::{dashboard, duty, ledger, openapi, reference, reports, schedule};
use anyhow::{Context, Result};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use bloc_scenario::Scenario;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::RwLock;

/// Largest request body accepted (bytes); larger ones get 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// How to start the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The SQLite file (created if absent).
    pub db: PathBuf,
    /// Address to listen on.
    pub addr: SocketAddr,
}

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The bloc's configuration.
    pub scenario: Scenario,
    /// The store.
    pub db: Db,
    /// Latest published schedule of each period (published schedules never change).
    pub schedules: RwLock<HashMap<String, Arc<Schedule>>>,
    /// Periods whose latest stored schedule cannot be used, and why (see
    /// [`schedule::load_latest`]); a duty lookup there is refused rather than levy-free.
    pub unusable_schedules: RwLock<HashMap<String, String>>,
}

impl AppState {
    /// Opens the store and loads what is published into memory.
    pub fn new(scenario: Scenario, db: &std::path::Path) -> Result<Arc<AppState>> {
        let db = Db::open(db)?;
        {
            // The opening postings and their audit rows land together or not at all.
            let conn = db.writer();
            let tx = conn.unchecked_transaction()?;
            ledger::open_books(&scenario, &tx)?;
            tx.commit()?;
        }
        let loaded = schedule::load_latest(&db.reader())?;
        Ok(Arc::new(AppState {
            scenario,
            db,
            schedules: RwLock::new(loaded.in_force),
            unusable_schedules: RwLock::new(loaded.unusable),
        }))
    }
}

/// The service's routes.
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/reports", post(reports::create).get(reports::list))
        .route("/v1/reports/{id}", get(reports::history))
        .route("/v1/reports/{id}/corrections", post(reports::correct))
        .route("/v1/methodology", get(reference::methodology))
        .route("/v1/reference-prices", get(reference::list))
        .route("/v1/reference-prices/{period}", get(reference::get_period))
        .route(
            "/v1/reference-prices/{period}/compute",
            post(reference::compute),
        )
        .route("/v1/schedule", get(schedule::list))
        .route("/v1/schedule/{period}", get(schedule::get_period))
        .route("/v1/schedule/{period}/publish", post(schedule::publish))
        .route("/v1/duty", get(duty::lookup))
        .route(
            "/v1/ledger/transactions",
            post(ledger::post).get(ledger::list),
        )
        .route("/v1/ledger/balances", get(ledger::balances))
        .route("/v1/audit", get(ledger::audit_log))
        .route("/v1/config", get(dashboard::config))
        .route("/openapi.json", get(openapi::serve))
        .route("/", get(dashboard::index))
        .route("/app.js", get(dashboard::script))
        .route("/style.css", get(dashboard::style))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> crate::error::ApiError {
    crate::error::ApiError::NotFound(format!(
        "no route {}; the routes are listed at /openapi.json",
        uri.path()
    ))
}

/// Serves until Ctrl-C (or SIGTERM). Prints the address it listens on.
pub async fn serve(scenario: Scenario, cfg: ServeConfig) -> Result<()> {
    let state = AppState::new(scenario, &cfg.db)?;
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .with_context(|| format!("listening on {}", cfg.addr))?;
    let addr = listener.local_addr()?;
    println!(
        "bloc serve: listening on http://{addr} (database {})",
        cfg.db.display()
    );
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Runs a blocking database job off the async threads.
pub async fn blocking<T, F>(state: &Arc<AppState>, f: F) -> crate::error::ApiResult<T>
where
    F: FnOnce(&AppState) -> crate::error::ApiResult<T> + Send + 'static,
    T: Send + 'static,
{
    let st = state.clone();
    tokio::task::spawn_blocking(move || f(&st))
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.into()))?
}
