//! A real service for the tests: the demo configuration, a fresh SQLite file, a loopback
//! port, and a blocking HTTP client.
#![allow(dead_code)]

use bloc_serve::app;
use serde_json::Value;
use std::path::PathBuf;
use std::thread::JoinHandle;

pub struct Server {
    pub base: String,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bloc-serve.sqlite");
        Server::start_in(dir, db)
    }

    /// A server on an existing database file (`dir` is kept alive with the server).
    pub fn start_in(dir: tempfile::TempDir, db: PathBuf) -> Server {
        Server::start_with(dir, db, bloc_serve::Limits::default())
    }

    /// A server under the given connection limits (the real accept loop of `bloc serve`).
    pub fn start_with(dir: tempfile::TempDir, db: PathBuf, limits: bloc_serve::Limits) -> Server {
        Server::launch(dir, db, limits, false).0
    }

    /// `bloc serve --demo` on a database file: the demo tokens and data, as the binary makes
    /// them (`bloc_serve::cli::prepare`). Returns the server and the lines it printed.
    pub fn start_demo(dir: tempfile::TempDir, db: PathBuf) -> (Server, Vec<String>) {
        Server::launch(dir, db, bloc_serve::Limits::default(), true)
    }

    fn launch(
        dir: tempfile::TempDir,
        db: PathBuf,
        limits: bloc_serve::Limits,
        demo: bool,
    ) -> (Server, Vec<String>) {
        let scenario = bloc_serve::cli::demo_scenario().unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let db2 = db.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let (state, lines) = match bloc_serve::cli::prepare(scenario, &db2, demo).await {
                    Ok(x) => x,
                    Err(e) => {
                        addr_tx.send(Err(format!("{e:#}"))).unwrap();
                        return;
                    }
                };
                let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(Ok((l.local_addr().unwrap(), lines))).unwrap();
                bloc_serve::serve_on(l, app(state), limits, async {
                    let _ = stopped.await;
                })
                .await;
            });
        });
        let (addr, lines) = addr_rx
            .recv()
            .unwrap()
            .unwrap_or_else(|e| panic!("starting the service: {e}"));
        let srv = Server {
            base: format!("http://{addr}"),
            db,
            dir,
            stop: Some(stop),
            thread: Some(thread),
        };
        (srv, lines)
    }

    /// A new token in this server's database.
    pub fn token(&self, role: &str, member: Option<&str>, entity: &str) -> String {
        bloc_serve::cli::token_create(&self.db, role, member, Some(entity), None).unwrap()
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            // A fresh connection per request: the service may close a kept-alive connection
            // after answering early (a 401 before reading the body), and a client that then
            // reuses it sees an unexpected EOF (seen once in CI under load).
            agent: ureq::AgentBuilder::new().max_idle_connections(0).build(),
        }
    }
}

impl Server {
    /// Stops the server and hands back its directory and database (to start again on it).
    pub fn stop(mut self) -> (tempfile::TempDir, PathBuf) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap());
        (dir, self.db.clone())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub struct Client {
    pub base: String,
    pub agent: ureq::Agent,
}

impl Client {
    /// `(status, JSON body or Null)`.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let res = match body {
            Some(b) => req.set("Content-Type", "application/json").send_string(b),
            None => req.call(),
        };
        let resp = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status();
        let text = resp.into_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None, None)
    }
    pub fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.call("POST", path, token, Some(&body.to_string()))
    }
}

/// A valid report body.
pub fn report(
    commodity: &str,
    origin: &str,
    period: &str,
    price: f64,
    volume: f64,
    key: &str,
) -> Value {
    serde_json::json!({
        "commodity": commodity, "origin": origin, "delivery_period": period,
        "price_usd_per_t": price, "volume_t": volume, "trade_date": "2026-01-15",
        "incoterm": "CIF", "counterparty_type": "member", "idempotency_key": key
    })
}
