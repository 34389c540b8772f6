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
//! The `--demo` dashboard (issue 21) is driven over the DevTools protocol (`headless_chrome`):
//! its chart must have tick labels with values on both axes, the unit and a labelled floor
//! line, keep every label inside the chart, and the page must print no unrounded figure, log
//! nothing to the console and request nothing outside the service. A control test feeds the
//! same check a page with each fault, so that it can fail. Screenshots are written under the
//! test's target directory (`CARGO_TARGET_TMPDIR`) and their paths printed.
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
    assert_eq!(dom.matches("<circle class=\"point\"").count(), 2, "{dom}");
    assert!(dom.contains("2026Q2 v1"), "{dom}");
    assert!(dom.contains("<td>15,725</td>"), "levy row: {dom}");
    assert!(
        dom.contains("<td>project-vault</td>") && dom.contains("<td>6,000,000</td>"),
        "ledger: {dom}"
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 21: the `--demo` dashboard, driven over the DevTools protocol (headless_chrome): it
// must open populated, draw the reference-price chart with labelled axes and the floor, keep
// every label inside the chart, print no unrounded figure, log no console message and ask
// nothing of any host but the service. A screenshot is written and its path printed.

/// A figure printed with three or more decimals (`72465.33333333333`, `0.125`): the first one
/// in `text`, if any. Figures for people are rounded (whole dollars, percentages, one decimal
/// of a tonne); a long fraction is a number printed raw.
fn unrounded(text: &str) -> Option<String> {
    let b = text.as_bytes();
    for i in 1..b.len() {
        if b[i] == b'.' && b[i - 1].is_ascii_digit() {
            let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n >= 3 {
                let start = text[..i]
                    .rfind(|c: char| !(c.is_ascii_digit() || c == ','))
                    .map_or(0, |k| k + 1);
                return Some(text[start..i + 1 + n].to_string());
            }
        }
    }
    None
}

/// The page's state, measured in the browser: the chart's box and every text in it, its tick
/// labels, floor line and points, and the page's visible text.
const INSPECT: &str = r#"JSON.stringify((() => {
  const svg = document.getElementById('price-chart');
  const box = (e) => { const r = e.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom, w: r.width, h: r.height}; };
  const texts = svg ? Array.from(svg.querySelectorAll('text')).map(t => ({text: t.textContent, cls: t.getAttribute('class') || '', box: box(t)})) : [];
  const floor = svg ? svg.querySelector('polyline.floor') : null;
  return {
    svg: svg ? box(svg) : null,
    texts,
    yTicks: texts.filter(t => t.cls.includes('tick y')).map(t => t.text),
    xTicks: texts.filter(t => t.cls.includes('tick x')).map(t => t.text),
    units: texts.filter(t => t.cls.includes('unit')).map(t => t.text),
    floorPoints: floor ? floor.getAttribute('points').trim().split(/\s+/).length : 0,
    floorLabel: (texts.find(t => t.cls.includes('floor-label')) || {}).text || null,
    points: svg ? svg.querySelectorAll('circle.point').length : 0,
    text: document.body.innerText,
    rows: Object.fromEntries(Array.from(document.querySelectorAll('table')).map(t => [t.id, t.querySelectorAll('tbody tr:not(.empty)').length])),
    height: document.documentElement.scrollHeight
  };
})())"#;

/// Opens `url` in a fresh headless Chromium, waits for `ready` (a CSS selector), writes a
/// screenshot to `shot`, and returns what [`INSPECT`] measured with every fault found: a
/// console message, a request to anything but `allowed` (a URL prefix; `data:` URLs are no
/// request), a chart without tick labels on both axes or the unit, without a floor line and
/// its label, a text of the chart outside the chart, or an unrounded figure in the page.
fn check_page(
    chrome: &Path,
    url: &str,
    allowed: &str,
    ready: &str,
    shot: &Path,
) -> (Value, Vec<String>) {
    let page = chromium::Page::open(chrome, url, (1280, 900));
    let mut faults = vec![];
    if let Err(e) = page
        .tab()
        .wait_for_element_with_custom_timeout(ready, Duration::from_secs(30))
    {
        faults.push(format!("the page never showed `{ready}`: {e}"));
    }
    // Let late fetches and their console messages arrive.
    std::thread::sleep(Duration::from_millis(300));
    let v = page.eval_json(INSPECT);

    let height = v["height"].as_f64().unwrap_or(900.0).max(100.0);
    let bytes = page.screenshot(height, shot);
    println!("screenshot: {} ({bytes} bytes)", shot.display());

    // Every message is a fault here, a `console.log` too: the dashboard logs nothing.
    let seen = page.seen();
    faults.extend(seen.messages.iter().map(|m| format!("console: {m}")));
    faults.extend(
        seen.requests_outside(|u| u.starts_with(allowed) || u.starts_with("data:"))
            .into_iter()
            .map(|u| format!("request outside the service: {u}")),
    );
    if !seen.requests.iter().any(|u| u.starts_with(allowed)) {
        faults.push(format!(
            "the network log did not see the page itself: {:?}",
            seen.requests
        ));
    }
    // The chart: ticks with values on both axes, the unit, the floor and its label.
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (yt, xt) = (list("yTicks"), list("xTicks"));
    if yt.len() < 3 || yt.iter().any(|t| !t.chars().any(|c| c.is_ascii_digit())) {
        faults.push(format!(
            "y axis: tick labels with values expected, got {yt:?}"
        ));
    }
    if xt.is_empty() || xt.iter().any(|t| t.trim().is_empty()) {
        faults.push(format!("x axis: period labels expected, got {xt:?}"));
    }
    if !list("units").iter().any(|u| u == "USD/t") {
        faults.push(format!("y axis: no `USD/t` unit, got {:?}", list("units")));
    }
    if v["floorPoints"].as_u64().unwrap_or(0) < 2 {
        faults.push("no floor line in the chart".to_string());
    }
    match v["floorLabel"].as_str() {
        Some(l) if l.starts_with("floor ") && l.chars().any(|c| c.is_ascii_digit()) => {}
        other => faults.push(format!(
            "the floor line has no label with its value: {other:?}"
        )),
    }
    // Every text of the chart lies inside it (half a pixel of rounding) and is not empty.
    if let Some(svg) = v["svg"].as_object() {
        let f = |o: &serde_json::Map<String, Value>, k: &str| o[k].as_f64().unwrap_or(f64::NAN);
        for t in v["texts"].as_array().into_iter().flatten() {
            let b = t["box"].as_object().unwrap();
            let inside = f(b, "l") >= f(svg, "l") - 0.5
                && f(b, "r") <= f(svg, "r") + 0.5
                && f(b, "t") >= f(svg, "t") - 0.5
                && f(b, "b") <= f(svg, "b") + 0.5;
            if !inside || f(b, "w") <= 0.0 {
                faults.push(format!(
                    "chart text {} is clipped: {b:?} outside the chart {svg:?}",
                    t["text"]
                ));
            }
        }
    } else {
        faults.push("no #price-chart".to_string());
    }
    if let Some(x) = unrounded(v["text"].as_str().unwrap_or("")) {
        faults.push(format!("an unrounded figure in the page: {x}"));
    }
    (v, faults)
}

/// A page shaped like the dashboard's chart that passes [`check_page`], with `svg` added to
/// the chart and `body` to the page.
fn control_page(svg: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
<body data-ready="1"><p>Reference 72,465 USD/t, floor 90%, 12.5 t</p>
<svg id="price-chart" width="400" height="200" viewBox="0 0 400 200">
<text class="tick y" x="40" y="150" text-anchor="end">70k</text>
<text class="tick y" x="40" y="100" text-anchor="end">72.5k</text>
<text class="tick y" x="40" y="50" text-anchor="end">75k</text>
<text class="unit" x="60" y="20" text-anchor="end">USD/t</text>
<text class="tick x" x="100" y="180" text-anchor="middle">2026Q1</text>
<text class="tick x" x="250" y="180" text-anchor="middle">2026Q2</text>
<polyline class="floor" points="100,120 250,110" fill="none" stroke="red"/>
<text class="floor-label" x="260" y="114">floor 71k</text>
{svg}</svg>{body}</body></html>"#
    )
}

/// The check itself must catch each fault it looks for, or the dashboard test could not fail.
#[test]
fn the_dashboard_check_catches_each_fault() {
    let Some(chrome) = chromium::for_test("the dashboard check") else {
        return;
    };
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-check");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let cases: [(&str, String, &str); 7] = [
        ("good", control_page("", ""), ""),
        (
            "clipped",
            control_page(r#"<text x="380" y="100">floor 72,465 USD/t</text>"#, ""),
            "clipped",
        ),
        (
            "unrounded",
            control_page("", "<p>clamp(floor 72465.33333333333 − …)</p>"),
            "unrounded figure in the page: 72465.33333333333",
        ),
        (
            "console",
            control_page("", "<script>console.error('boom')</script>"),
            "console",
        ),
        (
            "request",
            control_page("", r#"<img src="http://127.0.0.1:9/x.png" alt="">"#),
            "request outside the service: http://127.0.0.1:9/x.png",
        ),
        (
            "no-floor",
            control_page("", "")
                .replace(r#"class="floor""#, r#"class="other""#)
                .replace("floor 71k", "71k"),
            "no floor line",
        ),
        (
            "no-ticks",
            control_page("", "").replace(r#"class="tick y""#, r#"class="t""#),
            "y axis",
        ),
    ];
    for (name, html, expect) in cases {
        let page = out.join(format!("{name}.html"));
        std::fs::write(&page, html).unwrap();
        let url = format!("file://{}", page.display());
        let (_, faults) = check_page(
            &chrome,
            &url,
            &url,
            "body[data-ready='1']",
            &out.join(format!("{name}.png")),
        );
        if expect.is_empty() {
            assert!(faults.is_empty(), "{name}: {faults:#?}");
        } else {
            assert!(
                faults.iter().any(|f| f.contains(expect)),
                "{name}: expected a fault with `{expect}`, got {faults:#?}"
            );
        }
    }
    assert_eq!(unrounded("v1 2026Q4 72,465 3.5% 0.25"), None);
    assert_eq!(unrounded("x 72,465.333 y").as_deref(), Some("72,465.333"));
}

/// Issue 21: `bloc serve --demo` opens a populated dashboard: a chart of the reference price
/// with tick labels on both axes, the unit and the labelled floor line, no label outside the
/// chart, no unrounded figure anywhere (levy rules included), no console message and no request
/// outside the service, on both commodities and with the duty calculator filled in.
#[test]
fn r21_demo_dashboard_has_axes_a_floor_and_rounded_figures() {
    let Some(chrome) = chromium::for_test("the demo dashboard") else {
        return;
    };
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-demo");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let (srv, _) = Server::start_demo(dir, db);
    for (name, query, ready) in [
        ("ndpr_oxide", String::new(), "body[data-ready='1']"),
        (
            "li2co3-duty",
            "?importer=JPN&exporter=CHL&commodity=li2co3&date=2026-11-15&customs_value=8750&quantity_t=25&calculate=1&chart=li2co3".to_string(),
            "#duty-total",
        ),
    ] {
        let url = format!("{}/{query}", srv.base);
        let (v, faults) = check_page(
            &chrome,
            &url,
            &srv.base,
            ready,
            &out.join(format!("{name}.png")),
        );
        assert!(faults.is_empty(), "{name}: {faults:#?}\n{v:#}");
        assert!(v["points"].as_u64().unwrap() >= 4, "{name}: {v:#}");
        assert!(v["floorPoints"].as_u64().unwrap() >= 4, "{name}: {v:#}");
        for table in [
            "price-table",
            "floor-table",
            "levy-table",
            "holdings-table",
            "money-table",
        ] {
            assert!(
                v["rows"][table].as_u64().unwrap_or(0) > 0,
                "{name}: {table} is empty: {v:#}"
            );
        }
        let text = v["text"].as_str().unwrap();
        assert!(text.contains("2026Q4 v1"), "{name}: {text}");
        assert!(text.contains("bloc serve --demo"), "{name}: {text}");
        if name == "li2co3-duty" {
            assert!(text.contains("Levy: "), "{text}");
            assert!(text.contains("clamp(floor "), "{text}");
            assert!(text.contains("90%"), "the floor ratio as a share: {text}");
        }
    }
}
