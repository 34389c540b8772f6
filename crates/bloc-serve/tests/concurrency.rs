//! 8 reporters × 1,000 reports, each report sent by two racing clients (16 threads, 16,000
//! requests): every report is stored exactly once, one send gets 201 and the other 200.

mod common;
use common::{report, Server};
use std::collections::HashMap;

const REPORTERS: usize = 8;
const PER_REPORTER: usize = 1000;

#[test]
fn concurrent_writers_store_each_report_exactly_once() {
    let srv = Server::start();
    let members = ["USA", "JPN", "AUS"];
    let tokens: Vec<String> = (0..REPORTERS)
        .map(|i| srv.token("reporter", Some(members[i % 3]), &format!("reporter-{i}")))
        .collect();
    let mut threads = vec![];
    for (i, token) in tokens.iter().enumerate() {
        for twin in 0..2 {
            let c = srv.client();
            let token = token.clone();
            threads.push(std::thread::spawn(move || {
                let mut codes: HashMap<u16, usize> = HashMap::new();
                let mut ids = vec![];
                for k in 0..PER_REPORTER {
                    // The twins walk the same keys in opposite orders, so they collide mid-way.
                    let k = if twin == 0 { k } else { PER_REPORTER - 1 - k };
                    let price = 60000.0 + (i * PER_REPORTER + k) as f64;
                    let body = report(
                        "ndpr_oxide",
                        "AUS",
                        "2026Q1",
                        price,
                        1.0,
                        &format!("r{i}-{k}"),
                    );
                    let (st, r) = c.post("/v1/reports", Some(&token), &body);
                    *codes.entry(st).or_default() += 1;
                    assert!(st == 201 || st == 200, "{st}: {r}");
                    assert_eq!(r["price_usd_per_t"].as_f64(), Some(price));
                    ids.push((k, r["id"].as_i64().unwrap()));
                }
                (i, codes, ids)
            }));
        }
    }
    let mut created = 0;
    let mut seen: HashMap<(usize, usize), i64> = HashMap::new();
    for t in threads {
        let (i, codes, ids) = t.join().unwrap();
        created += codes.get(&201).copied().unwrap_or(0);
        for (k, id) in ids {
            // Both twins got the same stored report for the same key.
            let prev = seen.insert((i, k), id);
            assert!(
                prev.is_none() || prev == Some(id),
                "key r{i}-{k}: ids {prev:?} and {id}"
            );
        }
    }
    assert_eq!(
        created,
        REPORTERS * PER_REPORTER,
        "exactly one 201 per report"
    );
    let conn = rusqlite::Connection::open(&srv.db).unwrap();
    let (reports, versions, distinct): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM report_versions), (SELECT COUNT(DISTINCT entity || '/' || idempotency_key) FROM reports)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let n = (REPORTERS * PER_REPORTER) as i64;
    assert_eq!((reports, versions, distinct), (n, n, n));
}
