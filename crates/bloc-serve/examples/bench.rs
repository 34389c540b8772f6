//! Load benchmark of the duty lookup on loopback, bounded in count and time.
//!
//! ```text
//! cargo run --release -p bloc-serve --example bench -- [--requests 40000] [--clients 4] [--seconds 20]
//! ```
//!
//! Starts the service in-process on the demo configuration (a fresh SQLite file), publishes
//! reference prices and a levy schedule, then `clients` threads, each with one keep-alive
//! connection, ask `GET /v1/duty` with varying importers, exporters, commodities and values
//! until `requests` are done or `seconds` have passed. Prints lookups per second and the
//! p50 / p99 / max latency. Target: ≥ 2,000 lookups/s with p99 < 10 ms on 2 cores.

use bloc_serve::{app, AppState};
use std::time::{Duration, Instant};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name}: `{v}` is not a number"))
        })
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let requests = arg("--requests", 40_000);
    let clients = arg("--clients", 4).max(1);
    let seconds = arg("--seconds", 20);
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.sqlite");
    let scenario = bloc_serve::cli::demo_scenario()?;
    let regions: Vec<String> = scenario
        .regions
        .iter()
        .map(|r| r.id.as_str().to_string())
        .collect();
    let commodities: Vec<String> = scenario
        .commodities
        .iter()
        .map(|c| c.id.as_str().to_string())
        .collect();
    let state = AppState::new(scenario, &db)?;
    let sec = bloc_serve::cli::token_create(&db, "secretariat", None, Some("secretariat"), None)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    rt.spawn(async move { axum::serve(listener, app(state)).await });

    let agent = ureq::AgentBuilder::new().build();
    for path in [
        "/v1/reference-prices/2026Q1/compute",
        "/v1/reference-prices/2026Q2/compute",
    ] {
        agent
            .post(&format!("{base}{path}"))
            .set("Authorization", &format!("Bearer {sec}"))
            .call()?;
    }
    agent
        .post(&format!("{base}/v1/schedule/2026Q2/publish"))
        .set("Authorization", &format!("Bearer {sec}"))
        .send_string("{}")?;

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let per_client = requests / clients;
    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|k| {
            let (base, regions, commodities) = (base.clone(), regions.clone(), commodities.clone());
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let agent = ureq::AgentBuilder::new().build();
                let mut lat = Vec::with_capacity(per_client as usize);
                for i in 0..per_client {
                    if Instant::now() > deadline {
                        break;
                    }
                    let n = (k * per_client + i) as usize;
                    let url = format!(
                        "{base}/v1/duty?importer={}&exporter={}&commodity={}&date=2026-05-14&customs_value={}",
                        regions[n % 3],
                        regions[(n / 3) % regions.len()],
                        commodities[n % commodities.len()],
                        10000 + n % 50000
                    );
                    let t0 = Instant::now();
                    let r = agent.get(&url).call()?;
                    let _ = r.into_string()?;
                    lat.push(t0.elapsed());
                }
                Ok(lat)
            })
        })
        .collect();
    let mut lat = vec![];
    for t in threads {
        lat.extend(
            t.join()
                .map_err(|_| anyhow::anyhow!("a client thread panicked"))??,
        );
    }
    let wall = started.elapsed();
    lat.sort();
    let q = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "duty lookups: {} in {:.2} s with {clients} clients = {:.0} lookups/s; latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms ({} cores)",
        lat.len(),
        wall.as_secs_f64(),
        lat.len() as f64 / wall.as_secs_f64(),
        ms(q(0.50)),
        ms(q(0.99)),
        ms(*lat.last().unwrap_or(&Duration::ZERO)),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    );
    Ok(())
}
