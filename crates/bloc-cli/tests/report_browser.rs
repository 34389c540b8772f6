//! Issue 7: the report (and the compare page) in a real headless Chromium. The page must load
//! with no console error, request nothing over any network, and every chart must have
//! rendered: an SVG of non-zero size holding data marks. A screenshot of each page is written
//! under the test's target directory and its path printed.
//!
//! Issue 21 (the report redesign): a report opens, with its `<details>` closed, at no more
//! than three screens of 1400 × 1000 ([`MAX_OPEN_HEIGHT`]); then, with every `<details>`
//! opened, every chart is drawn and no `<text>` of any SVG reaches outside its SVG's box (the
//! old x labels "2035Q4" and y labels of 1e9 were cut). The screenshot is of the page as it
//! opens; with `BLOC_SCREENSHOTS=DIR` (as `tests/regenerate-golden.sh` sets it) each is also
//! copied to DIR, for `docs/screenshots/`.
//!
//! Chromium is the Debian package `chromium` (on `PATH`, or `BLOC_CHROMIUM`), found by
//! `bloc_testkit::chromium`: a missing browser fails the test; `BLOC_SKIP_BROWSER=1` skips
//! it and says so.

mod common;

use bloc_testkit::chromium;
use common::{bloc_ok, run_example};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

fn run_default(dir: &Path) -> PathBuf {
    let out = dir.join("illustrative");
    bloc_ok(&[
        "run".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    out
}

/// Three screens of the 1400 × 1000 window: the most a report may be tall when it opens.
const MAX_OPEN_HEIGHT: f64 = 3000.0;

/// Loads `page` in a fresh headless Chromium, checks it and writes `shot`. `max_height`: the
/// bound on the page's height as it opens (details closed), when it has one.
fn check_in_browser(
    chrome: &Path,
    page: &Path,
    shot: &Path,
    min_charts: usize,
    max_height: Option<f64>,
) {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let tab = chromium::Page::open(chrome, &url, (1400, 1000));
    // The page as it opens: its height, and a screenshot of it.
    let opened = tab.eval_json("JSON.stringify({height: document.documentElement.scrollHeight})");
    let open_height = opened["height"].as_f64().unwrap();
    let bytes = tab.screenshot(open_height, shot);
    // Then every <details> opened: every chart an <svg> with a non-zero box and at least one
    // data mark, and every <text> inside its <svg>'s box (half a pixel of rounding allowed).
    let json = tab.eval_json(
        r#"document.querySelectorAll('details').forEach(d => d.open = true);
            JSON.stringify({
                ready: document.readyState,
                charts: Array.from(document.querySelectorAll('figure.chart')).map(f => {
                    const svg = f.querySelector('svg');
                    const r = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                    return {key: f.dataset.chart, w: r.width, h: r.height,
                            marks: svg ? svg.querySelectorAll('.mark').length : 0};
                }),
                clipped: Array.from(document.querySelectorAll('svg')).flatMap(svg => {
                    const b = svg.getBoundingClientRect();
                    return Array.from(svg.querySelectorAll('text')).filter(t => {
                        const r = t.getBoundingClientRect();
                        return r.left < b.left - 0.5 || r.right > b.right + 0.5
                            || r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5;
                    }).map(t => (svg.id || '?') + ': ' + t.textContent);
                }),
                texts: document.querySelectorAll('svg text').length,
                inText: document.documentElement.outerHTML.split('<figure class="chart').length - 1
            })"#,
    );
    let charts = json["charts"].as_array().unwrap();
    assert!(
        charts.len() >= min_charts,
        "{} charts, expected at least {min_charts}: {json}",
        charts.len()
    );
    assert_eq!(
        charts.len() as u64,
        json["inText"].as_u64().unwrap(),
        "every chart in the file is in the page"
    );
    for c in charts {
        assert!(
            c["w"].as_f64().unwrap() > 0.0
                && c["h"].as_f64().unwrap() > 0.0
                && c["marks"].as_u64().unwrap() > 0,
            "chart not rendered: {c}"
        );
    }
    let clipped = json["clipped"].as_array().unwrap();
    assert!(
        clipped.is_empty(),
        "text outside its chart ({} of {} texts): {clipped:?}",
        clipped.len(),
        json["texts"]
    );
    if let Some(max) = max_height {
        assert!(
            open_height <= max,
            "{url} opens {open_height} px tall, more than {max} px (three screens)"
        );
    }
    println!(
        "screenshot: {} ({} charts, opens {open_height} px tall, {bytes} bytes)",
        shot.display(),
        charts.len(),
    );
    // A warning, an error or an exception fails the page; a plain `console.log` does not.
    let seen = tab.seen();
    let errors: Vec<String> = seen
        .messages
        .iter()
        .filter(|m| m.is_warning_or_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "console errors on {url}: {errors:?}");
    let outside = seen.requests_outside(|u| u == url);
    assert!(outside.is_empty(), "the page requested {outside:?}");
    assert!(
        seen.requests.contains(&url),
        "the network log saw the page itself: {:?}",
        seen.requests
    );
    // Only a page that passed every check is kept as a screenshot of the report.
    if let Some(dir) = std::env::var_os("BLOC_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(shot, dir.join(shot.file_name().unwrap())).unwrap();
    }
}

/// The checker itself must fail on a page that asks for the network or has a chart with no
/// marks; otherwise the test above could not fail.
#[test]
fn the_browser_check_catches_a_request_and_an_empty_chart() {
    let Some(chrome) = chromium::for_test("the browser check") else {
        return;
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser-negative");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let run = run_example(&out, "examples/floor-fixed");
    let html = out.join("good.html");
    bloc_ok(&[
        "report".as_ref(),
        run.as_os_str(),
        "-o".as_ref(),
        html.as_os_str(),
    ]);
    let good = std::fs::read_to_string(&html).unwrap();
    let bad_pages = [
        // Asks the network for an image (the page's own policy blocks it, and says so).
        ("request", good.replace("<footer>", r#"<footer><img src="http://127.0.0.1:9/x.png" alt="">"#)),
        // A chart whose SVG has no data marks.
        ("empty-chart", good.replace("</body>", r#"<figure class="chart" data-chart="empty"><svg width="100" height="100"></svg></figure></body>"#)),
        // A label cut at its chart's left edge, as "2035Q4" was at the right.
        ("clipped", good.replace("</body>", r#"<figure class="chart" data-chart="clip"><svg width="100" height="50"><circle class="mark" cx="50" cy="25" r="3"/><text x="-30" y="20">2035Q4</text></svg></figure></body>"#)),
        // Taller than three screens as it opens.
        ("tall", good.replace("<footer>", r#"<div style="height:4000px"></div><footer>"#)),
    ];
    for (name, text) in bad_pages {
        let page = out.join(format!("{name}.html"));
        std::fs::write(&page, text).unwrap();
        let shot = out.join(format!("{name}.png"));
        let caught = std::panic::catch_unwind(|| {
            check_in_browser(&chrome, &page, &shot, 1, Some(MAX_OPEN_HEIGHT))
        });
        assert!(caught.is_err(), "the check passed a bad page: {name}");
    }
}

#[test]
fn reports_load_in_chromium_with_every_chart_drawn_and_no_request() {
    let Some(chrome) = chromium::for_test("the report and compare pages") else {
        return;
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-browser");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let base = run_example(&out, "examples/base");
    let floor = run_example(&out, "examples/floor-fixed");
    let stock = run_example(&out, "examples/stockpile");
    let ban = run_example(&out, "examples/export-ban");
    let world = run_default(&out);
    // The world with a Chinese export ban: bloc run writes its baseline inside, and the
    // report finds it there.
    let controls = run_example(&out, "world/bloc-vs-controls");

    let pages = [
        ("floor-fixed", floor.clone(), Some(base.clone()), 8),
        ("stockpile", stock.clone(), Some(base.clone()), 8),
        ("export-ban", ban, None, 6),
        ("world", world, None, 40),
        ("world-bloc-vs-controls", controls, None, 40),
    ];
    for (name, run, baseline, min) in pages {
        let html = out.join(format!("{name}.html"));
        let mut args: Vec<&OsStr> = vec![
            "report".as_ref(),
            run.as_os_str(),
            "-o".as_ref(),
            html.as_os_str(),
        ];
        if let Some(b) = &baseline {
            args.push("--baseline".as_ref());
            args.push(b.as_os_str());
        }
        bloc_ok(&args);
        let shot = out.join(format!("report-{name}.png"));
        check_in_browser(&chrome, &html, &shot, min, Some(MAX_OPEN_HEIGHT));
    }
    let cmp = out.join("compare.html");
    bloc_ok(&[
        "compare".as_ref(),
        base.as_os_str(),
        floor.as_os_str(),
        "--html".as_ref(),
        cmp.as_os_str(),
    ]);
    check_in_browser(&chrome, &cmp, &out.join("compare.png"), 0, None);
}
