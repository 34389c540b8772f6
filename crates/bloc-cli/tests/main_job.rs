//! The main job (issue 21): `bloc run` without a scenario runs the bloc as announced
//! (`world/bloc-feb-2026`) against its baseline (`world/no-bloc`), writes both run
//! directories, and prints the headline answers, also kept as `summary.md`.

mod common;

use common::bloc_ok;
use std::ffi::OsStr;

#[test]
fn the_default_run_is_the_bloc_against_the_world_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("default");
    let o = bloc_ok(&[OsStr::new("run"), OsStr::new("--out"), out.as_os_str()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    // The headline, on the first screen: the run against its baseline and what it costs.
    assert!(
        stdout.starts_with("# world-bloc-feb-2026 against world-no-bloc (2026Q1–2035Q4)"),
        "{stdout}"
    );
    for line in [
        "members' consumer cost",
        "levy revenue",
        "members' support cost",
        "members' stockpile cost",
        "China's share of world output by value",
        "Capacity built inside the bloc",
        "Members' demand left unserved",
        "bloc report",
    ] {
        assert!(stdout.contains(line), "no `{line}` in:\n{stdout}");
    }
    // Both runs are written; the summary is the printed text.
    for f in ["prices.csv", "indicators.csv", "policy.csv", "run.json"] {
        assert!(out.join(f).is_file(), "{f}");
        assert!(out.join("baseline").join(f).is_file(), "baseline/{f}");
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert_eq!(summary.trim(), stdout.trim());
    // The bloc's floors are in force in the run, none in the baseline.
    let policy = std::fs::read_to_string(out.join("policy.csv")).unwrap();
    let base_policy = std::fs::read_to_string(out.join("baseline/policy.csv")).unwrap();
    assert!(policy.lines().count() > 1 && base_policy.lines().count() == 1);
    // Each floor says whether it binds and why not (README "Does a floor bind?"): the
    // NdPr oxide floor sits far above a market in which members ship oxide to China.
    let ndpr = stdout
        .lines()
        .find(|l| l.starts_with("| ndpr_oxide | 110,000 |"))
        .unwrap_or_else(|| panic!("no NdPr floor row in:\n{stdout}"));
    assert!(ndpr.contains("members are net exporters"), "{ndpr}");
    let floors = std::fs::read_to_string(out.join("floors.csv")).unwrap();
    assert!(floors.starts_with("period,commodity,floor_usd_per_t,members_price_usd_per_t,"));
    assert!(floors
        .lines()
        .any(|l| l.starts_with("2030Q1,ndpr_oxide,") && l.ends_with(",false,members_export")));
    // Each export control's leakage: China's gallium licence, followed by origin, leaks none.
    assert!(
        stdout.contains("| 1 | CHN | licence | gallium | 0 | 0.0% |"),
        "{stdout}"
    );
    // Project economics (README "Project economics"): the members' largest stranded
    // project is a copper step that decided with the others on one look-ahead price.
    let largest = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Members' largest stranded projects"))
        .nth(1)
        .unwrap_or_else(|| panic!("no stranded projects in:\n{stdout}"));
    assert!(largest.contains("cu_concentrate"), "{largest}");
    let projects = std::fs::read_to_string(out.join("projects.csv")).unwrap();
    assert!(projects.starts_with("project,region,commodity,decided,online,"));
    // The consumer cost printed is the sum of the members' rows of indicators.csv.
    let ind = std::fs::read_to_string(out.join("indicators.csv")).unwrap();
    let total: f64 = ind
        .lines()
        .filter(|l| l.contains(",consumer_cost_usd,members,"))
        .map(|l| l.split(',').nth(3).unwrap().parse::<f64>().unwrap())
        .sum();
    // summary.json holds the same figure unformatted, and the ranked lists.
    let js: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let cost = js["headline"]["members_consumer_cost_usd"]
        .as_f64()
        .unwrap();
    assert!(
        (cost - total).abs() <= 1e-6 * total.abs(),
        "{cost} against {total}"
    );
    let welfare = js["welfare_change_by_region"].as_array().unwrap();
    let sizes: Vec<f64> = welfare
        .iter()
        .map(|w| w["usd"].as_f64().unwrap().abs())
        .collect();
    assert!(
        sizes.windows(2).all(|w| w[0] >= w[1]),
        "ranked by size: {sizes:?}"
    );
    assert!(stdout.contains("Who gains and who pays"), "{stdout}");
    assert!(
        stdout.contains("Members' prices, largest changes"),
        "{stdout}"
    );
    // Formatted as the headline reads money (its own unit test: `money_reads_in_bn_m_and_thousands`).
    let printed = bloc_model::headline::usd(total);
    assert!(stdout.contains(&printed), "{printed} not in:\n{stdout}");
}
