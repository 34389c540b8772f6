//! `bloc serve` killed with SIGKILL in the middle of a stream of report writes, three times,
//! then restarted: every acknowledged report is there, exactly as sent, and nothing is
//! half-written (SQLite integrity check; no report without its first version).

mod common;

use common::bloc_command as bloc;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn demo() -> String {
    format!("{}/../bloc-serve/demo", env!("CARGO_MANIFEST_DIR"))
}

fn token(db: &Path, args: &[&str]) -> String {
    let out = bloc()
        .args(["admin", "token", "create", "--db"])
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Starts `bloc serve` on a free loopback port; returns the child and its address.
fn start(db: &Path) -> (Child, String) {
    let mut child = bloc()
        .args(["serve", &demo(), "--addr", "127.0.0.1:0", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}

/// One HTTP/1.1 request; `None` if the connection fails (the server was killed).
fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let status = resp.split_whitespace().nth(1)?.parse().ok()?;
    let body = resp.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

fn report(key: &str, price: f64) -> String {
    format!(
        r#"{{"commodity":"ndpr_oxide","origin":"AUS","delivery_period":"2026Q1","price_usd_per_t":{price},"volume_t":1,"trade_date":"2026-01-15","incoterm":"FOB","counterparty_type":"member","idempotency_key":"{key}"}}"#
    )
}

#[test]
fn sigkill_during_writes_loses_no_acknowledged_report() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.sqlite");
    let sec = token(&db, &["--role", "secretariat"]);
    let reporters = [
        token(
            &db,
            &[
                "--role", "reporter", "--member", "JPN", "--entity", "JPN-METI",
            ],
        ),
        token(
            &db,
            &[
                "--role", "reporter", "--member", "USA", "--entity", "USA-DOE",
            ],
        ),
    ];
    // (entity index, key) → price, for every 201/200 received.
    let acked: Arc<Mutex<BTreeMap<(usize, String), f64>>> = Arc::default();
    for round in 0..3 {
        let (mut child, addr) = start(&db);
        let mut writers = vec![];
        for (w, tok) in reporters.iter().enumerate() {
            let (addr, tok, acked) = (addr.clone(), tok.clone(), acked.clone());
            writers.push(std::thread::spawn(move || {
                for k in 0.. {
                    let key = format!("round{round}-{k}");
                    let price = 50000.0 + (round * 100000 + k) as f64;
                    match http(&addr, "POST", "/v1/reports", &tok, &report(&key, price)) {
                        Some((201 | 200, _)) => {
                            acked.lock().unwrap().insert((w, key), price);
                        }
                        Some((st, b)) => panic!("{st}: {b}"),
                        None => return k,
                    }
                }
                unreachable!()
            }));
        }
        // Let the stream run, then kill the server mid-write (SIGKILL on unix).
        let before = acked.lock().unwrap().len();
        let t0 = std::time::Instant::now();
        while acked.lock().unwrap().len() < before + 150 && t0.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        for w in writers {
            w.join().unwrap();
        }
        assert!(
            acked.lock().unwrap().len() >= before + 150,
            "round {round}: the stream did not run"
        );
    }
    let integrity = bloc_serve::db::check(&db).unwrap();
    assert!(integrity.ok, "{integrity:?}");
    assert_eq!(integrity.reports_without_version, 0);
    let (mut child, addr) = start(&db);
    let (st, body) = http(&addr, "GET", "/v1/reports", &sec, "").unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(st, 200);
    let stored: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let entities = ["JPN-METI", "USA-DOE"];
    let by_key: BTreeMap<(String, String), f64> = stored
        .iter()
        .map(|r| {
            (
                (
                    r["entity"].as_str().unwrap().to_string(),
                    r["idempotency_key"].as_str().unwrap().to_string(),
                ),
                r["price_usd_per_t"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(by_key.len(), stored.len(), "no report stored twice");
    let acked = acked.lock().unwrap();
    for ((w, key), price) in acked.iter() {
        let got = by_key.get(&(entities[*w].to_string(), key.clone()));
        assert_eq!(
            got,
            Some(price),
            "acknowledged report {key} of {} lost or altered",
            entities[*w]
        );
    }
    // At most the requests in flight at each kill (2 writers × 3 rounds) were stored unacked.
    assert!(
        stored.len() <= acked.len() + 6,
        "{} stored, {} acked",
        stored.len(),
        acked.len()
    );
}

/// `bloc serve --demo` prints its demo tokens and starts; `bloc admin token create` refuses
/// bad input with exit code 1 and says what would be right.
#[test]
fn serve_demo_prints_tokens_and_token_create_checks_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let mut child = bloc()
        .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = vec![];
    loop {
        let mut l = String::new();
        if out.read_line(&mut l).unwrap() == 0 || l.contains("listening on") {
            lines.push(l);
            break;
        }
        lines.push(l);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let tokens: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("demo token"))
        .collect();
    assert_eq!(tokens.len(), 4, "{lines:?}");
    assert!(tokens[0].contains("(secretariat): bloc_"), "{lines:?}");
    assert!(
        lines
            .last()
            .unwrap()
            .contains("listening on http://127.0.0.1:"),
        "{lines:?}"
    );

    for (args, says) in [
        (vec!["--role", "reporter"], "--member"),
        (vec!["--role", "king"], "--role"),
        (vec!["--role", "secretariat", "--member", "JPN"], "--member"),
        (
            vec![
                "--role",
                "reporter",
                "--member",
                "CHN",
                "--scenario",
                &demo(),
            ],
            "not a member",
        ),
    ] {
        let out = bloc()
            .args(["admin", "token", "create", "--db"])
            .arg(&db)
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
