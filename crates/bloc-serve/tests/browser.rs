//! The dashboard in real headless Chromium (Debian package `chromium`): every page section
//! loads with no console message at all (errors, uncaught exceptions, failed loads), and the
//! duty calculator, filled through its link parameters and submitted in the page, shows the
//! right total.
//!
//! Chromium is driven from its command line: `--dump-dom` prints the DOM once the page and
//! its fetches settle (`--virtual-time-budget`), and `--enable-logging=stderr --v=0` prints
//! every console message as an `INFO:CONSOLE` line, which the test collects. A control page
//! that logs an error proves that this detection works with the installed Chromium.
//!
//! Chromium is found by `bloc_testkit::chromium`: missing, it is a failure with a clear
//! message; `BLOC_SKIP_BROWSER=1` skips the test and says so.

mod common;
use bloc_testkit::chromium;
use common::{report, Server};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Loads `url`; returns the DOM and the console messages.
fn load(chrome: &Path, url: &str) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chrome)
        .arg("--headless")
        .args(chromium::FLAGS)
        .args([
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=15000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", chrome.display()));
    let t0 = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if t0.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            panic!("Chromium did not finish loading {url} within 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

#[test]
fn dashboard_loads_cleanly_and_the_calculator_gives_the_right_duty() {
    let Some(chrome) = chromium::for_test("the dashboard") else {
        return;
    };

    // The control: a console error and an uncaught exception are seen.
    // Quotes percent-encoded (%27): Debian's Chromium 148 loads a blank page for a data: URL
    // with a bare quote in it.
    let (dom, console) = load(&chrome, "data:text/html,<p id=x>1</p><script>console.error(%27control-error%27);document.getElementById(%27x%27).textContent=%27ran%27;throw new Error(%27control-throw%27)</script>");
    assert!(
        dom.contains("ran"),
        "Chromium did not run the control page's script: {dom}"
    );
    assert!(
        console.iter().any(|l| l.contains("control-error")),
        "console errors are not seen: {console:?}"
    );
    assert!(
        console.iter().any(|l| l.contains("control-throw")),
        "uncaught exceptions are not seen: {console:?}"
    );

    // Published data, as in the API known-answer test: duty USA ← CHN on NdPr oxide at a
    // customs value of 50,000/t = MFN 12,500 + levy 15,725 = 28,225 USD/t.
    let srv = Server::start();
    let c = srv.client();
    let sec = srv.token("secretariat", None, "secretariat");
    let t = [
        srv.token("reporter", Some("USA"), "USA-DOE"),
        srv.token("reporter", Some("JPN"), "JPN-METI"),
        srv.token("reporter", Some("AUS"), "AUS-DISR"),
    ];
    for (k, (who, origin, p, v)) in [
        (0, "AUS", 70000.0, 10.0),
        (1, "AUS", 72000.0, 10.0),
        (2, "AUS", 71000.0, 20.0),
        // The levy's origin price follows the reference methodology (issue 15, item 7):
        // three entities report CHN at 40,000.
        (0, "CHN", 40000.0, 10.0),
        (1, "CHN", 40000.0, 10.0),
        (2, "CHN", 40000.0, 10.0),
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(
            c.post(
                "/v1/reports",
                Some(&t[*who]),
                &report("ndpr_oxide", origin, "2026Q1", *p, *v, &format!("k{k}"))
            )
            .0,
            201
        );
    }
    assert_eq!(
        c.post(
            "/v1/reference-prices/2026Q1/compute",
            Some(&sec),
            &Value::Null
        )
        .0,
        201
    );
    assert_eq!(
        c.post(
            "/v1/reference-prices/2026Q2/compute",
            Some(&sec),
            &Value::Null
        )
        .0,
        201
    );
    assert_eq!(
        c.post("/v1/schedule/2026Q2/publish", Some(&sec), &json!({}))
            .0,
        201
    );
    assert_eq!(c.post("/v1/ledger/transactions", Some(&sec), &json!({"kind": "purchase", "vault": "project-vault", "commodity": "ndpr_oxide", "quantity_t": 100, "price_usd_per_t": 60000, "counterparty": "Lynas"})).0, 201);

    let url = format!(
        "{}/?importer=USA&exporter=CHN&commodity=ndpr_oxide&date=2026-05-14&customs_value=50000&quantity_t=2&calculate=1",
        srv.base
    );
    let (dom, console) = load(&chrome, &url);
    assert!(
        console.is_empty(),
        "console messages on the dashboard: {console:#?}"
    );
    assert!(
        dom.contains("data-ready=\"1\""),
        "the dashboard script did not finish: {dom}"
    );
    assert!(
        dom.contains("Total: 28,225 USD/t (56,450 USD for 2 t)"),
        "duty result: {dom}"
    );
    assert!(dom.contains("Tariff (mfn): 12,500 USD/t"), "{dom}");
    assert!(dom.contains("Levy: 15,725 USD/t"), "{dom}");
    // Chart points (two published periods), the schedule in force and the ledger.
    assert_eq!(dom.matches("<circle").count(), 2, "{dom}");
    assert!(dom.contains("2026Q2 v1"), "{dom}");
    assert!(dom.contains("<td>15,725</td>"), "levy row: {dom}");
    assert!(
        dom.contains("<td>project-vault</td>") && dom.contains("<td>6,000,000</td>"),
        "ledger: {dom}"
    );
}
