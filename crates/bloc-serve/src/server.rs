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
use std::time::Duration;
use tokio::sync::RwLock;
use tower_http::timeout::TimeoutLayer;

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

/// How long a client may take and how many connections it may hold. Every limit is there so
/// that no single caller (a stalled upload, a pile of idle connections) can make the service
/// unreachable for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers, and the longest a kept-alive connection may sit idle
    /// between requests; then it is closed.
    pub header_timeout: Duration,
    /// Time to send the body and get the answer, from the end of the headers; then 408.
    pub request_timeout: Duration,
    /// Open connections at most; more are answered 503 and closed.
    pub max_connections: usize,
    /// Open connections at most from one IP address; more are answered 503 and closed.
    pub max_connections_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_connections_per_ip: 128,
        }
    }
}

/// Serves until Ctrl-C (or SIGTERM). Prints the address it listens on.
pub async fn serve(scenario: Scenario, cfg: ServeConfig) -> Result<()> {
    serve_state(AppState::new(scenario, &cfg.db)?, cfg).await
}

/// [`serve`] on an opened state.
pub async fn serve_state(state: Arc<AppState>, cfg: ServeConfig) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(cfg.addr)
        .await
        .with_context(|| format!("listening on {}", cfg.addr))?;
    let addr = listener.local_addr()?;
    println!(
        "bloc serve: listening on http://{addr} (database {})",
        cfg.db.display()
    );
    serve_on(listener, app(state), Limits::default(), shutdown()).await;
    Ok(())
}

/// The answer to a connection over a limit (the JSON error body), written before it is closed.
fn busy_response(limits: &Limits) -> Vec<u8> {
    let body = serde_json::json!({
        "error": "unavailable",
        "message": format!(
            "too many open connections (at most {} in all, {} from one address); retry in a second",
            limits.max_connections, limits.max_connections_per_ip
        ),
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A bare 408 of the timeout layer gets the JSON error body every other error has.
async fn timeout_body(r: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    if r.status() == axum::http::StatusCode::REQUEST_TIMEOUT
        && !r.headers().contains_key(axum::http::header::CONTENT_TYPE)
    {
        return crate::error::ApiError::Timeout(
            "the request was not sent (or answered) within the request timeout".into(),
        )
        .into_response();
    }
    r
}

/// The accept loop: serves `router` on `listener` under `limits` until `stop` completes, then
/// lets open requests finish.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    stop: impl std::future::Future<Output = ()>,
) {
    let router = router
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::map_response(timeout_body));
    let busy: Arc<[u8]> = busy_response(&limits).into();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(std::sync::Mutex::new(OpenConnections::default()));
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(guard) = OpenConnections::enter(&open, peer.ip(), &limits) else {
            let busy = busy.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncWriteExt;
                let mut stream = stream;
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    let _ = stream.write_all(&busy).await;
                    let _ = stream.shutdown().await;
                })
                .await;
            });
            continue;
        };
        let svc = hyper_util::service::TowerToHyperService::new(router.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(guard);
        });
    }
    drop(listener);
    // Let requests in flight finish (at most the request timeout), then stop.
    let _ = tokio::time::timeout(
        limits.request_timeout + limits.header_timeout,
        graceful.shutdown(),
    )
    .await;
}

/// Open connections, in all and by peer address.
#[derive(Debug, Default)]
struct OpenConnections {
    total: usize,
    by_ip: HashMap<std::net::IpAddr, usize>,
}

/// One open connection; leaving counts it out.
struct ConnectionGuard {
    open: Arc<std::sync::Mutex<OpenConnections>>,
    ip: std::net::IpAddr,
}

impl OpenConnections {
    /// Counts a new connection in, or `None` when it is over a limit.
    fn enter(
        open: &Arc<std::sync::Mutex<OpenConnections>>,
        ip: std::net::IpAddr,
        limits: &Limits,
    ) -> Option<ConnectionGuard> {
        let mut o = open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = o.by_ip.get(&ip).copied().unwrap_or(0);
        if o.total >= limits.max_connections || mine >= limits.max_connections_per_ip {
            return None;
        }
        o.total += 1;
        o.by_ip.insert(ip, mine + 1);
        Some(ConnectionGuard {
            open: open.clone(),
            ip,
        })
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(|e| e.into_inner());
        o.total = o.total.saturating_sub(1);
        if let Some(n) = o.by_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                o.by_ip.remove(&self.ip);
            }
        }
    }
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
